import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter, FilterExpressionError } from './filter-expression.js';
import { summarize } from './trace-model.js';

const facts = summarize('1-00000000-000000000000000000000000', [
  JSON.stringify({
    name: 'api',
    id: 'aaaaaaaaaaaaaaaa',
    start_time: 10,
    end_time: 11.5,
    user: 'alice',
    annotations: { zero: 0, off: false, tier: 'gold' },
    http: { request: { url: 'https://shop/cart?x', method: 'POST' }, response: { status: 429 } },
    throttle: true,
    error: true,
    subsegments: [{ id: 'bbbbbbbbbbbbbbbb', name: 'DynamoDB', namespace: 'aws', start_time: 10.1, end_time: 10.2, fault: true, aws: { table_name: 'carts' } }],
  }),
]);

describe('filter expressions', () => {
  const cases: [string, boolean][] = [
    ['throttle', true],
    ['ok', false],
    ['error AND throttle', true],
    ['fault', true],
    ['!fault', false],
    ['NOT partial', true],
    ['responsetime = 1.5', true],
    ['responsetime > 1.5 OR duration >= 1.5', true],
    ['http.status = 429 && http.method = "POST"', true],
    ['http.url CONTAINS "/cart"', true],
    ['http.url BEGINSWITH "http://"', false],
    ['user = "alice"', true],
    ['annotation.zero = 0', true],
    ['annotation.off = false', true],
    ['annotation.off', false],
    ['annotation.tier ENDSWITH "ld"', true],
    ['annotation.missing = 1', false],
    ['service("carts") { fault }', true],
    ['service(id(name: "carts", type: "AWS::DynamoDB::Table"))', true],
    ['service(id(name: "carts", type: "AWS::SQS::Queue"))', false],
    ['edge("api", "carts") { fault }', true],
    ['edge("carts", "api")', false],
    ['(service("api") OR service("x")) AND NOT service("y")', true],
  ];
  for (const [expression, expected] of cases) {
    it(`evaluates ${expression} to ${expected}`, () => assert.equal(compileFilter(expression)(facts), expected));
  }

  it('refuses malformed expressions with a FilterExpressionError', () => {
    for (const bad of ['service(', 'responsetime >', 'responsetime CONTAINS 1', 'bogus', 'error = 1', 'http.status = "x"', '"a"', 'edge("a")', 'fault AND']) {
      assert.throws(() => compileFilter(bad), FilterExpressionError, bad);
    }
  });
});
