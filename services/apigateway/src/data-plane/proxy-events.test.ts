import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBinaryBody, resultV1, resultV2 } from './proxy-events.js';

test('a 1.0 result needs a statusCode and a string body', () => {
  assert.equal(resultV1('{"body":"x"}'), undefined);
  assert.equal(resultV1('not json'), undefined);
  assert.equal(resultV1('{"statusCode":200,"body":{"a":1}}'), undefined);
  const ok = resultV1('{"statusCode":201,"headers":{"X-A":"1"},"multiValueHeaders":{"x-b":["1","2"]},"body":"aGk=","isBase64Encoded":true}');
  assert.equal(ok?.status, 201);
  assert.deepEqual(ok?.headers, { 'x-a': '1', 'x-b': ['1', '2'] });
  assert.equal(ok?.body.toString(), 'hi');
});

test('a 2.0 result without statusCode is a 200 JSON body; with one, cookies become Set-Cookie', () => {
  const plain = resultV2('{"hello":"world"}');
  assert.deepEqual([plain?.status, plain?.body.toString(), plain?.headers['content-type']], [200, '{"hello":"world"}', 'application/json']);
  const full = resultV2('{"statusCode":302,"headers":{"location":"/x"},"cookies":["a=1","b=2"]}');
  assert.deepEqual([full?.status, full?.headers['set-cookie']], [302, ['a=1', 'b=2']]);
  assert.equal(resultV2('{"statusCode":"abc"}'), undefined);
  assert.equal(resultV2('<html>'), undefined);
});

test('text bodies go to functions as they are, others base64-encoded', () => {
  assert.equal(isBinaryBody({ 'content-type': 'application/json' }, Buffer.from('{}')), false);
  assert.equal(isBinaryBody({ 'content-type': 'application/vnd.api+json' }, Buffer.from('{}')), false);
  assert.equal(isBinaryBody({ 'content-type': 'image/png' }, Buffer.from([1, 2])), true);
  assert.equal(isBinaryBody({}, Buffer.from('x')), false);
});
