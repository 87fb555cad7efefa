import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MathError, evaluate, matchesSearch, parseExpression, parseSearch, type MathContext, type Series } from './metric-math.js';

const s = (label: string, pairs: [number, number][]): Series => ({ label, timestamps: pairs.map(([t]) => t), values: pairs.map(([, v]) => v) });

function ctx(values: Record<string, Series>): MathContext {
  return {
    start: 0,
    end: 4 * 60_000,
    periodSeconds: 60,
    metricIds: Object.keys(values),
    resolve: async (id) => values[id],
    search: async () => [],
  };
}

const run = (expr: string, values: Record<string, Series>) => evaluate(parseExpression(expr), ctx(values));

describe('metric math', () => {
  const a = s('a', [[0, 1], [60_000, 2], [180_000, 4]]);
  const b = s('b', [[0, 10], [60_000, 20], [120_000, 30], [180_000, 40]]);

  it('applies arithmetic with precedence over aligned timestamps', async () => {
    assert.deepEqual(((await run('a + b * 2', { a, b })) as Series).values, [21, 42, 84]);
    assert.deepEqual(((await run('(a + 1) ^ 2 - -1', { a })) as Series).values, [5, 10, 26]);
    assert.equal(await run('2 * 3 + 1', {}), 7);
  });

  it('reduces a series to a number and an array to a series', async () => {
    assert.equal(await run('SUM(a)', { a }), 7);
    assert.equal(await run('MAX(b)', { b }), 40);
    assert.deepEqual(((await run('SUM(METRICS())', { a, b })) as Series).values, [11, 22, 30, 44]);
    assert.deepEqual(((await run('AVG([a, b])'.replace('[a, b]', 'METRICS()'), { a, b })) as Series).values, [5.5, 11, 30, 22]);
  });

  it('computes RATE per second, FILL with a value, REPEAT and LINEAR, and IF', async () => {
    assert.deepEqual(((await run('RATE(b)', { b })) as Series).values, [10 / 60, 10 / 60, 10 / 60]);
    assert.deepEqual(((await run('FILL(a, 0)', { a })) as Series).values, [1, 2, 0, 4]);
    assert.deepEqual(((await run('FILL(a, REPEAT)', { a })) as Series).values, [1, 2, 2, 4]);
    assert.deepEqual(((await run('FILL(a, LINEAR)', { a })) as Series).values, [1, 2, 3, 4]);
    assert.deepEqual(((await run('IF(b > 15, b, 0)', { b })) as Series).values, [0, 20, 30, 40]);
    assert.deepEqual(((await run('IF(b > 15 AND b < 35, 1)', { b })) as Series).timestamps, [60_000, 120_000]);
  });

  it('refuses malformed expressions with a position, and unknown functions', async () => {
    assert.throws(() => parseExpression('1 + * 2'), (e: unknown) => e instanceof MathError && /position 4/.test(e.message));
    assert.throws(() => parseExpression('SUM(a'), MathError);
    await assert.rejects(run('NOPE(a)', { a }), MathError);
    await assert.rejects(run('x + 1', {}), (e: unknown) => e instanceof MathError && /Unknown id 'x'/.test(e.message));
  });

  it('matches SEARCH schemas, key-value pairs and terms', () => {
    const q = parseSearch('{AWS/SQS,QueueName} MetricName="ApproximateNumberOfMessagesVisible" orders');
    const m = { namespace: 'AWS/SQS', name: 'ApproximateNumberOfMessagesVisible', dims: [{ Name: 'QueueName', Value: 'orders-prod' }] };
    assert.equal(matchesSearch(q, m), true);
    assert.equal(matchesSearch(q, { ...m, dims: [{ Name: 'QueueName', Value: 'billing' }] }), false);
    assert.equal(matchesSearch(q, { ...m, dims: [...m.dims, { Name: 'X', Value: 'orders' }] }), false);
  });

  it('parses junk or refuses it with MathError, and evaluates without other errors', async () => {
    const token = fc.constantFrom('a', 'b', 'x', '1', '2.5', '+', '-', '*', '/', '^', '(', ')', ',', '>', '==', 'AND', 'SUM(', 'AVG(', 'RATE(', 'FILL(', 'IF(', 'METRICS()', 'METRICS(', "'b'", 'REPEAT', 'LINEAR', 'SEARCH(', "'{N,D} x'", 'PERIOD(', 'NOPE(', ' ');
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.array(token, { maxLength: 14 }).map((t) => t.join('')), fc.string({ maxLength: 30 })), async (src) => {
        try {
          await evaluate(parseExpression(src), ctx({ a, b }));
        } catch (error) {
          if (!(error instanceof MathError)) throw error;
        }
      }),
      { seed: 21_2024, numRuns: 400 },
    );
  });
});
