// The S3 Select SQL subset: parsing (and its errors), three-valued logic, LIKE, CAST, BETWEEN/IN,
// aggregates, and the event-stream framing round trip.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AggregateState, keeps, parseSelect, type Accessor, type Value } from './select-sql.js';
import { decodeMessages, encodeError, encodeEvent } from '@atoll/aws-protocol';

const row = (values: Record<string, Value>): Accessor => (path) => (path.length === 1 ? (values[String(path[0])] ?? null) : null);
const where = (sql: string, values: Record<string, Value>): boolean => keeps(parseSelect(`SELECT * FROM S3Object s WHERE ${sql}`).where!(row(values)));

describe('S3 Select SQL', () => {
  it('evaluates comparisons with numeric strings, AND/OR/NOT and NULL as not kept', () => {
    assert.equal(where("a > 5 AND b = 'x'", { a: '10', b: 'x' }), true);
    assert.equal(where("a > 5 AND b = 'x'", { a: '3', b: 'x' }), false);
    assert.equal(where('NOT (a = 1) OR b IS NULL', { a: 1 }), true);
    assert.equal(where('a = 1', {}), false);
    assert.equal(where('NOT (a = 1)', {}), false, 'NOT NULL is NULL');
    assert.equal(where('a IS NOT NULL', { a: '' }), true);
  });

  it('matches LIKE patterns with % and _ and an ESCAPE character', () => {
    assert.equal(where("name LIKE 'A_i%'", { name: 'Alice' }), true);
    assert.equal(where("name NOT LIKE '%e'", { name: 'Alice' }), false);
    assert.equal(where("name LIKE '50!%' ESCAPE '!'", { name: '50%' }), true);
    assert.equal(where("name LIKE '50!%' ESCAPE '!'", { name: '500' }), false);
  });

  it('supports BETWEEN, IN, arithmetic and CAST, failing a CAST of text to INT', () => {
    assert.equal(where('CAST(a AS INT) BETWEEN 2 AND 4', { a: '3.9' }), true);
    assert.equal(where("b IN ('x', 'y')", { b: 'y' }), true);
    assert.equal(where('a * 2 + 1 = 7', { a: '3' }), true);
    assert.throws(() => where('CAST(a AS INT) = 1', { a: 'abc' }), (e: any) => e.code === 'CastFailed');
  });

  it('names projections by alias, last path segment or position', () => {
    const q = parseSelect('SELECT s.a.b, x AS y, 1 + 1 FROM S3Object s LIMIT 3');
    assert.deepEqual(q.projections.map((p) => p.name), ['b', 'y', '_3']);
    assert.equal(q.limit, 3);
  });

  it('aggregates matching rows', () => {
    const q = parseSelect('SELECT COUNT(*), SUM(v), AVG(v), MIN(v), MAX(v), COUNT(w) FROM S3Object');
    const state = new AggregateState(q.aggregates);
    for (const v of ['1', '5', '3']) state.add(row({ v }));
    assert.deepEqual(state.result().map(([, v]) => v), [3, 9, 3, '1', '5', 0]);
  });

  it('refuses malformed queries with the parse error codes', () => {
    for (const sql of ['SELECT', 'SELECT a FROM', 'SELECT a FROM S3Object WHERE a = ', 'SELECT a FROM t', 'SELECT a FROM S3Object LIMIT x']) {
      assert.throws(() => parseSelect(sql), (e: any) => e.code === 'ParseUnexpectedToken' && e.status === 400, sql);
    }
    assert.throws(() => parseSelect('SELECT FOO(a) FROM S3Object'), (e: any) => e.code === 'UnsupportedFunction');
    assert.throws(() => parseSelect('SELECT a, COUNT(*) FROM S3Object'), (e: any) => e.code === 'UnsupportedSqlStructure');
  });
});

describe('S3 event-stream framing', () => {
  it('encodes messages that decode back with valid CRCs', () => {
    const data = Buffer.concat([encodeEvent('Records', Buffer.from('a,b\n'), 'application/octet-stream'), encodeEvent('End'), encodeError('CastFailed', 'bad')]);
    const messages = decodeMessages(data);
    assert.deepEqual(messages.map((m) => m.headers[':event-type'] ?? m.headers[':error-code']), ['Records', 'End', 'CastFailed']);
    assert.equal(messages[0]!.payload.toString(), 'a,b\n');
    const corrupt = Buffer.from(data);
    corrupt[14] ^= 1;
    assert.throws(() => decodeMessages(corrupt), /CRC/);
  });
});
