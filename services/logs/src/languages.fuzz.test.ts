// Junk in the small languages CloudWatch Logs reads: filter patterns and Insights queries only ever
// refuse with their typed errors (FilterPatternError, QueryError), and a compiled pattern never
// throws on a message.
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FilterPatternError, compileFilterPattern } from './filter-pattern.js';
import { QueryError, QueryRun, parseQuery } from './insights-query.js';

const params = { seed: Number(process.env.ATOLL_FUZZ_SEED ?? 21_2024), numRuns: Math.round(400 * Number(process.env.ATOLL_FUZZ_SCALE ?? 1)) };

const patternToken = fc.constantFrom('{', '}', '[', ']', '$.a', '$.a.b', '$.a[0]', '$.', '$', '=', '!=', '>', '<=', '&&', '||', '(', ')', '"x"', '"', 'x*', '1', '-2.5', 'IS', 'NULL', 'TRUE', 'NOT', 'EXISTS', '...', ',', '?a', '-b', 'ERROR', '%re%', ' ');
const queryToken = fc.constantFrom('fields', 'filter', 'stats', 'sort', 'limit', 'parse', 'display', '|', '@message', '@timestamp', 'a', 'a.b', 'count(*)', 'count(', 'sum(a)', 'pct(a, 50)', 'bin(5m)', 'bin(', 'by', 'as', 'x', 'and', 'or', 'not', 'like', 'in', '[', ']', '/re/', '/(?<n>\\w+)/', '"*=*"', '"', '=', '<', '>=', '(', ')', ',', '10', '0', 'desc', 'asc', '-', '*');

describe('log languages under junk', () => {
  it('filter patterns compile or refuse with FilterPatternError, and never throw on a message', () => {
    fc.assert(
      fc.property(fc.oneof(fc.array(patternToken, { maxLength: 14 }).map((t) => t.join(' ')), fc.string({ maxLength: 40 })), fc.string({ maxLength: 60 }), (source, message) => {
        let p;
        try {
          p = compileFilterPattern(source);
        } catch (error) {
          if (error instanceof FilterPatternError) return;
          throw error;
        }
        p.matches(message);
        p.matches(JSON.stringify({ a: [message, { b: 1 }] }));
        p.value(message, '$.a');
      }),
      params,
    );
  });

  it('Insights queries parse or refuse with QueryError, and run without throwing', () => {
    fc.assert(
      fc.property(fc.oneof(fc.array(queryToken, { maxLength: 14 }).map((t) => t.join(' ')), fc.string({ maxLength: 40 })), (source) => {
        let q;
        try {
          q = parseQuery(source);
        } catch (error) {
          if (error instanceof QueryError) return;
          throw error;
        }
        const run = new QueryRun(q, 10);
        try {
          run.add({ '@timestamp': 0, '@message': 'x=1', a: 1, 'a.b': 'y' });
          run.result();
        } catch (error) {
          if (error instanceof QueryError) return;
          throw error;
        }
      }),
      params,
    );
  });
});
