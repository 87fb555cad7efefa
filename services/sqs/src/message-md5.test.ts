import { test } from 'node:test';
import assert from 'node:assert/strict';
import { md5Hex, md5OfMessageAttributes } from './message-md5.js';

test('the body digest is the hex MD5 of the UTF-8 body', () => {
  assert.equal(md5Hex('hello'), '5d41402abc4b2a76b9719d911017c592');
});

test('the attribute digest matches the value AWS documents for a string attribute', () => {
  // Computed by hand from the documented encoding: len+name, len+type, 0x01, len+value.
  const digest = md5OfMessageAttributes({ a: { DataType: 'String', StringValue: 'b' } });
  const expected = md5Hex(
    Buffer.concat([
      Buffer.from([0, 0, 0, 1]), Buffer.from('a'),
      Buffer.from([0, 0, 0, 6]), Buffer.from('String'),
      Buffer.from([1]),
      Buffer.from([0, 0, 0, 1]), Buffer.from('b'),
    ]),
  );
  assert.equal(digest, expected);
});

test('the attribute digest sorts names and marks binary values with transport type 2', () => {
  const a = md5OfMessageAttributes({
    z: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2]) },
    a: { DataType: 'Number', StringValue: '1' },
  });
  const b = md5OfMessageAttributes({
    a: { DataType: 'Number', StringValue: '1' },
    z: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2]) },
  });
  assert.equal(a, b);
  assert.equal(md5OfMessageAttributes({}), undefined);
});
