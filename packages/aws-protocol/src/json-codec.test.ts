// Regressions found by the fuzz suite (test/fuzz): deep nesting, prototype keys in maps, timestamps
// outside JavaScript's date range.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '@atoll/aws-models';
import { ServiceError } from '@atoll/core';
import { fromJson, MAX_JSON_DEPTH } from './json-codec.js';
import { jsonProtocol } from './protocols/json.js';
import { readQueryInput } from './protocols/query.js';
import { formatTimestamp, parseTimestamp } from './timestamps.js';

const OPTIONS = { useLocationName: false };

test('values nested past the limit answer SerializationException instead of overflowing the stack', async () => {
  const ddb = await loadModel('dynamodb');
  const nested = (depth: number) => `{"TableName":"t","Item":{"a":${'{"L":['.repeat(depth)}{"S":"x"}${']}'.repeat(depth)}}}`;
  const parse = (body: string) =>
    jsonProtocol.parseInput(ddb, ddb.operations.PutItem!, { method: 'POST', rawPath: '/', rawQuery: '', query: new URLSearchParams(), headers: {}, body: Buffer.from(body) }, {});
  assert.ok(parse(nested(40)));
  for (const depth of [MAX_JSON_DEPTH, 50_000]) {
    assert.throws(() => parse(nested(depth)), (e: unknown) => e instanceof ServiceError && e.code === 'SerializationException' && e.status === 400);
  }
});

test('a map key named __proto__ is an entry, not the prototype', async () => {
  const sqs = await loadModel('sqs');
  const input = fromJson(sqs, sqs.operations.SendMessage!.input!, JSON.parse('{"QueueUrl":"u","MessageBody":"b","MessageAttributes":{"__proto__":{"DataType":"String","StringValue":"v"}}}'), OPTIONS) as any;
  assert.deepEqual(Object.keys(input.MessageAttributes), ['__proto__']);
  assert.equal(Object.getPrototypeOf(input.MessageAttributes), Object.prototype);
  const query = readQueryInput(sqs, sqs.operations.SendMessage!, new URLSearchParams('QueueUrl=u&MessageBody=b&MessageAttribute.1.Name=__proto__&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=v')) as any;
  assert.deepEqual(Object.keys(query.MessageAttributes), ['__proto__']);
  assert.equal(Object.getPrototypeOf(query.MessageAttributes), Object.prototype);
});

test('a timestamp outside the date range is not a timestamp (formatting it threw RangeError)', () => {
  for (const value of ['99999999999999999999', 1e20, '-8640000000000001', new Date(NaN)]) assert.equal(parseTimestamp(value), undefined, String(value));
  const edge = parseTimestamp(8_640_000_000_000)!;
  assert.equal(formatTimestamp(edge, 'iso8601'), '+275760-09-13T00:00:00Z');
});
