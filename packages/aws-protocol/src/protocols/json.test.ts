import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EncodedJson, stringifyJson } from '@atoll/core';
import { outputText } from './json.js';

test('an output structure is written as stringifyJson writes it, with members held as JSON text copied verbatim', () => {
  const item = new EncodedJson('{"pk":{"S":"k1"},"v":{"N":"1.50"}}');
  const bodies: unknown[] = [
    {},
    { Item: item },
    { Item: item, ConsumedCapacity: { TableName: 't', CapacityUnits: 0.5 } },
    { Items: [item, item], Count: 2, LastEvaluatedKey: { pk: { S: 'a"b\u2028' } } },
    { Responses: { t: [item] }, UnprocessedKeys: {} },
    { 'needs "quoting"': 'x', skipped: undefined, nested: { deep: item } },
    item,
    [1, item],
    null,
  ];
  for (const body of bodies) {
    const text = outputText(body);
    assert.equal(text, stringifyJson(body ?? {}));
    assert.doesNotThrow(() => JSON.parse(text));
  }
  assert.equal(outputText({ Item: item }), '{"Item":{"pk":{"S":"k1"},"v":{"N":"1.50"}}}');
});
