import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EncodedJson, stringifyJson } from './encoded-json.js';

test('encoded values are written verbatim, at any depth, next to ordinary values', () => {
  const items = [new EncodedJson('{"id":{"S":"a"},"n":{"N":"1.50"}}'), new EncodedJson('{"id":{"S":"b\\u0001"}}')];
  const text = stringifyJson({ Items: items, Count: 2, Nested: { One: new EncodedJson('[1,2]') } });
  assert.equal(text, '{"Items":[{"id":{"S":"a"},"n":{"N":"1.50"}},{"id":{"S":"b\\u0001"}}],"Count":2,"Nested":{"One":[1,2]}}');
  assert.deepEqual(JSON.parse(text).Items[1], { id: { S: 'b\u0001' } });
});

test('a string that looks like a placeholder stays a string', () => {
  const lookalike = '\u00010:0';
  const text = stringifyJson({ A: lookalike, B: [new EncodedJson('true')] });
  assert.deepEqual(JSON.parse(text), { A: lookalike, B: [true] });
});

test('without encoded values the text is JSON.stringify; elsewhere an encoded value is its value', () => {
  const plain = { a: [1, 'x', null], b: { c: true } };
  assert.equal(stringifyJson(plain), JSON.stringify(plain));
  assert.equal(stringifyJson(undefined), 'null');
  assert.equal(JSON.stringify({ item: new EncodedJson('{"k":{"S":"v"}}') }), '{"item":{"k":{"S":"v"}}}');
});

test('a value from another copy of this package is recognised and written verbatim', async () => {
  const copy = (await import(`./encoded-json.js?copy=${Date.now()}`)) as typeof import('./encoded-json.js');
  assert.notEqual(copy.EncodedJson, EncodedJson);
  const value = new copy.EncodedJson('{"k":{"N":"1.0"}}');
  assert.ok(value instanceof EncodedJson);
  assert.equal(stringifyJson({ Item: value }), '{"Item":{"k":{"N":"1.0"}}}');
});
