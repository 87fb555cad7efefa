import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { QueryError, QueryRun, discoverFields, parseQuery, type LogRecord } from './insights-query.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function records(): LogRecord[] {
  const lines = [
    { t: 0, m: '{"level":"error","ms":120,"route":"/a"}' },
    { t: 60_000, m: '{"level":"info","ms":20,"route":"/a"}' },
    { t: 301_000, m: '{"level":"error","ms":300,"route":"/b"}' },
    { t: 302_000, m: 'user=alice action=login took 15ms' },
  ];
  return lines.map(({ t, m }, i) => {
    const r: LogRecord = { '@timestamp': T0 + t, '@message': m, '@logStream': 's', '@ptr': String(i) };
    discoverFields(m, r);
    return r;
  });
}

function run(query: string, limit = 1000): { field: string; value: string }[][] {
  const q = new QueryRun(parseQuery(query), limit);
  for (const r of records()) if (!q.add(r)) break;
  return q.result();
}

const rows = (result: { field: string; value: string }[][]) => result.map((r) => Object.fromEntries(r.filter((f) => f.field !== '@ptr').map((f) => [f.field, f.value])));

describe('Logs Insights queries', () => {
  it('filters on discovered JSON fields and projects fields', () => {
    const out = rows(run('fields @timestamp, route, ms | filter level = "error" and ms > 100 | sort ms desc'));
    assert.deepEqual(
      out.map((r) => [r['@timestamp'], r.route, r.ms]),
      [
        ['2026-01-01 12:05:01.000', '/b', '300'],
        ['2026-01-01 12:00:00.000', '/a', '120'],
      ],
    );
  });

  it('counts by bin(5m) and aggregates by field', () => {
    assert.deepEqual(rows(run('stats count(*) as n by bin(5m)')), [
      { 'bin(5m)': '2026-01-01 12:00:00.000', n: '2' },
      { 'bin(5m)': '2026-01-01 12:05:00.000', n: '2' },
    ]);
    assert.deepEqual(rows(run('filter ispresent(route) | stats avg(ms) as avg, max(ms), count(*) by route | sort route')), [
      { route: '/a', avg: '70', 'max(ms)': '120', 'count(*)': '2' },
      { route: '/b', avg: '300', 'max(ms)': '300', 'count(*)': '1' },
    ]);
  });

  it('parses with globs and named regex groups, matches like, and limits', () => {
    assert.deepEqual(rows(run('parse @message "user=* action=* took *ms" as user, action, took | filter ispresent(user) | display user, action, took')), [{ user: 'alice', action: 'login', took: '15' }]);
    assert.deepEqual(rows(run('parse @message /user=(?<who>\\w+)/ | filter who like /^ali/ | display who')), [{ who: 'alice' }]);
    assert.equal(run('fields @message | limit 2').length, 2);
    assert.equal(run('filter @message like "login"').length, 1);
    assert.equal(run('filter @message not like "login"').length, 3);
    assert.equal(run('filter level in ["error", "warn"]').length, 2);
  });

  it('names the substrings a leading filter requires, for the store to search', () => {
    assert.deepEqual(new QueryRun(parseQuery('filter @message like "ERROR" and @message like "db" | stats count(*)'), 10).required, ['ERROR', 'db']);
    assert.deepEqual(new QueryRun(parseQuery('filter @message like /ERR/ or level = "x"'), 10).required, []);
  });

  it('discovers JSON fields only for queries that name them', () => {
    assert.equal(new QueryRun(parseQuery('stats count(*) by bin(5m)'), 10).needsDiscoveredFields, false);
    assert.equal(new QueryRun(parseQuery('filter @message like "x" | fields @timestamp, @message'), 10).needsDiscoveredFields, false);
    assert.equal(new QueryRun(parseQuery('parse @message "a=*" as a | stats count(*) by a'), 10).needsDiscoveredFields, false);
    assert.equal(new QueryRun(parseQuery('stats avg(ms) by route'), 10).needsDiscoveredFields, true);
    assert.equal(new QueryRun(parseQuery('filter @message like "x"'), 10).needsDiscoveredFields, true);
  });

  it('refuses malformed queries with the offending range', () => {
    for (const [query, start] of [
      ['fields @message | bogus x', 18],
      ['stats foo(x)', 6],
      ['filter (level = "x"', 19],
      ['limit 0', 6],
      ['fields a | limit 5 7', 19],
    ] as const) {
      assert.throws(() => parseQuery(query), (e: unknown) => {
        assert.ok(e instanceof QueryError, query);
        assert.equal(e.start, start, `${query}: ${e.message}`);
        return true;
      });
    }
  });
});
