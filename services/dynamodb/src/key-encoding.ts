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

/**
 * A multi-attribute key (a GSI's partition or sort key of up to four attributes) as one byte string
 * that compares as the tuple does, attribute by attribute: each value's encoding with 0x00 escaped
 * as 0x00 0xFF, closed by 0x00 0x00 (so a value sorts before every longer value it prefixes).
 */
export function encodeKeyTuple(values: AttributeValue[]): Buffer {
  const parts: Buffer[] = [];
  for (const value of values) parts.push(escapeComponent(encodeKeyValue(value)), TERMINATOR);
  return Buffer.concat(parts);
}

/** The encoded tuple's bytes for a begins_with on its last attribute: the value, escaped, unterminated. */
export function encodeKeyTuplePrefix(values: AttributeValue[], prefix: AttributeValue): Buffer {
  return Buffer.concat([encodeKeyTuple(values), escapeComponent(encodeKeyValue(prefix))]);
}

const TERMINATOR = Buffer.from([0x00, 0x00]);

function escapeComponent(bytes: Buffer): Buffer {
  if (!bytes.includes(0x00)) return bytes;
  const out: number[] = [];
  for (const b of bytes) {
    out.push(b);
    if (b === 0x00) out.push(0xff);
  }
  return Buffer.from(out);
}
