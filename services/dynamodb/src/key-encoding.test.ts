import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { encodeKeyTuple, encodeKeyValue, encodeNumber } from './key-encoding.js';
import type { AttributeValue } from './attribute-value.js';
import { compareNumbers } from './number.js';

function randomNumber(seed: number): string {
  const r = (n: number) => Math.floor(Math.abs(Math.sin(seed++) * 10000)) % n;
  const sign = r(2) ? '-' : '';
  const digits = Array.from({ length: 1 + r(20) }, () => String(r(10))).join('');
  const exp = r(60) - 30;
  return `${sign}${digits}e${exp}`;
}

describe('order-preserving key encoding', () => {
  test('byte order of encoded numbers equals numeric order', () => {
    const numbers = Array.from({ length: 400 }, (_, i) => randomNumber(i * 7 + 1));
    numbers.push('0', '-0.0', '1', '-1', '10', '-10', '0.1', '-0.1', '1e125', '-1e125', '1e-130', '-1e-130');
    for (let i = 0; i < numbers.length; i++) {
      for (let j = i + 1; j < numbers.length; j += 7) {
        const a = numbers[i]!;
        const b = numbers[j]!;
        assert.equal(Math.sign(Buffer.compare(encodeNumber(a), encodeNumber(b))), Math.sign(compareNumbers(a, b)), `${a} vs ${b}`);
      }
    }
  });

  test('equal numbers written differently encode to the same bytes', () => {
    assert.deepEqual(encodeNumber('1.50'), encodeNumber('15e-1'));
    assert.deepEqual(encodeNumber('-0'), encodeNumber('0'));
  });

  test('strings sort by UTF-8 bytes and prefixes first', () => {
    const words = ['', 'a', 'ab', 'b', 'Z', 'é', '\u{1F600}', 'ﬀ'];
    const sorted = [...words].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    const byEncoding = [...words].sort((x, y) => Buffer.compare(encodeKeyValue({ S: x }), encodeKeyValue({ S: y })));
    assert.deepEqual(byEncoding, sorted);
    assert.ok(Buffer.compare(encodeKeyValue({ S: 'a' }), encodeKeyValue({ S: 'ab' })) < 0);
  });

  test('binaries sort by unsigned bytes', () => {
    assert.ok(Buffer.compare(encodeKeyValue({ B: Buffer.from([0x7f]) }), encodeKeyValue({ B: Buffer.from([0x80]) })) < 0);
  });
});

test('a key tuple compares attribute by attribute, shorter values and 0x00 bytes included', () => {
  const ordered: AttributeValue[][] = [
    [{ S: 'a' }, { N: '-10' }],
    [{ S: 'a' }, { N: '2' }],
    [{ S: 'a' }, { N: '10' }],
    [{ S: 'a\u0000' }, { N: '1' }],
    [{ S: 'a\u0000b' }, { N: '1' }],
    [{ S: 'ab' }, { N: '1' }],
    [{ S: 'b' }, { N: '-1' }],
  ];
  for (let i = 1; i < ordered.length; i++) {
    const before = encodeKeyTuple(ordered[i - 1]!);
    const after = encodeKeyTuple(ordered[i]!);
    assert.ok(Buffer.compare(before, after) < 0, `${JSON.stringify(ordered[i - 1])} < ${JSON.stringify(ordered[i])}`);
  }
});
