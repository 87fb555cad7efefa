import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FilterPatternError, compileFilterPattern, splitDelimited } from './filter-pattern.js';

const m = (pattern: string, message: string) => compileFilterPattern(pattern).matches(message);

describe('filter patterns', () => {
  it('matches everything with an empty pattern', () => {
    assert.equal(m('', 'anything'), true);
  });

  it('matches terms, quoted phrases, any-of and exclusions, case-sensitively', () => {
    assert.equal(m('ERROR', '[ERROR] disk full'), true);
    assert.equal(m('ERROR', '[error] disk full'), false);
    assert.equal(m('ERROR disk', '[ERROR] disk full'), true);
    assert.equal(m('ERROR memory', '[ERROR] disk full'), false);
    assert.equal(m('"disk full"', '[ERROR] disk full'), true);
    assert.equal(m('"full disk"', '[ERROR] disk full'), false);
    assert.equal(m('?ERROR ?WARN', 'WARN low memory'), true);
    assert.equal(m('?ERROR ?WARN', 'INFO ok'), false);
    assert.equal(m('ERROR -Exiting', 'ERROR Exiting now'), false);
    assert.equal(m('ERROR -Exiting', 'ERROR retrying'), true);
  });

  it('evaluates JSON selectors with && and ||, numbers, wildcards and parentheses', () => {
    const p = '{ $.level = "error" && $.ms > 100 }';
    assert.equal(m(p, '{"level":"error","ms":150}'), true);
    assert.equal(m(p, '{"level":"error","ms":50}'), false);
    assert.equal(m(p, '{"level":"info","ms":150}'), false);
    assert.equal(m(p, 'not json'), false);
    assert.equal(m('{ $.user.id = 42 || ($.a[1] = "x*" && $.b NOT EXISTS) }', '{"a":[0,"xyz"]}'), true);
    assert.equal(m('{ $.user.id = 42 || ($.a[1] = "x*" && $.b NOT EXISTS) }', '{"a":[0,"xyz"],"b":1}'), false);
    assert.equal(m('{ $.user.id = 42 }', '{"user":{"id":42}}'), true);
    assert.equal(m('{ $.ok IS TRUE }', '{"ok":true}'), true);
    assert.equal(m('{ $.v IS NULL }', '{"v":null}'), true);
    assert.equal(m('{ $.status != 200 }', '{"status":500}'), true);
    assert.equal(compileFilterPattern('{ $.ms > 1 }').value('{"ms":12.5}', '$.ms'), '12.5');
  });

  it('binds space-delimited fields, with ... and conditions', () => {
    const line = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 1534';
    assert.deepEqual(splitDelimited(line).slice(3, 5), ['10/Oct/2000:13:25:15 -0700', 'GET /apache_pb.gif HTTP/1.0']);
    assert.equal(m('[ip, id, user, timestamp, request, status_code = 4*, size]', line), true);
    assert.equal(m('[ip, id, user, timestamp, request, status_code = 5*, size]', line), false);
    assert.equal(m('[ip, ..., status_code = 404, size > 1000]', line), true);
    assert.equal(m('[ip, ..., status_code = 404, size > 2000]', line), false);
    assert.equal(m('[a, b]', line), false);
    assert.equal(compileFilterPattern('[..., status, bytes]').value(line, '$bytes'), '1534');
  });

  it('refuses malformed patterns with the position of the fault', () => {
    for (const [pattern, position] of [
      ['{ $.level = }', 12],
      ['{ $.level = "x" ', 16],
      ['{ level = "x" }', 2],
      ['{ $.a > "x" }', 8],
      ['"unterminated', 0],
      ['[a, b = ]', 8],
    ] as const) {
      assert.throws(() => compileFilterPattern(pattern), (e: unknown) => {
        assert.ok(e instanceof FilterPatternError, pattern);
        assert.equal(e.position, position, `${pattern}: ${e.message}`);
        return true;
      });
    }
  });
});
