// Order-preserving binary encoding of key values: SQLite compares BLOBs with memcmp, and the
// encoded bytes compare exactly as DynamoDB orders S (UTF-8 bytes), B (bytes) and N (numeric value).
import { parseNumber } from './number.js';
import type { AttributeValue } from './attribute-value.js';

/**
 * Numbers: zero is 0x80. A positive number is 0x81, one byte of (exponent + 130; exponents run from -130 to 125), then its digits as
 * ASCII; a shorter digit string that is a prefix sorts first, as it should. A negative number is 0x7F,
 * the inverted exponent byte, the nines' complement of the digits, and 0xFF, so that a longer
 * magnitude (a smaller number) sorts first.
 */
export function encodeNumber(text: string): Buffer {
  const d = parseNumber(text);
  if (d.digits === '') return Buffer.from([0x80]);
  const n = d.digits.length;
  if (!d.neg) {
    const out = Buffer.allocUnsafe(2 + n);
    out[0] = 0x81;
    out[1] = d.exp + 130;
    out.write(d.digits, 2, 'latin1');
    return out;
  }
  const out = Buffer.allocUnsafe(3 + n);
  out[0] = 0x7f;
  out[1] = 255 - (d.exp + 130);
  for (let i = 0; i < n; i++) out[2 + i] = 0x30 + (9 - (d.digits.charCodeAt(i) - 0x30));
  out[2 + n] = 0xff;
  return out;
}

export function encodeKeyValue(value: AttributeValue): Buffer {
  if ('S' in value) return Buffer.from(value.S, 'utf8');
  if ('N' in value) return encodeNumber(value.N);
  if ('B' in value) return value.B;
  throw new Error('not a key type');
}
