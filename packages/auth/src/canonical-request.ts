// SigV4's canonical forms: URI path and query encoding, header canonicalization, the canonical
// request, the string to sign and the signing key. Pure functions over node:crypto.
import * as crypto from 'node:crypto';
import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

// crypto.hash (Node 20.12 and later) hashes in one call without building a Hash object.
const oneShot = (crypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string }).hash;

export function sha256Hex(data: string | Uint8Array): string {
  return oneShot ? oneShot('sha256', data, 'hex') : createHash('sha256').update(data).digest('hex');
}

export function hmac(key: string | Uint8Array, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** A signing key's HMAC pads (key XOR ipad, key XOR opad), made once per key. */
interface HmacPads {
  inner: Buffer;
  outer: Buffer;
}
const padsOfKey = new WeakMap<Uint8Array, HmacPads>();
/** Reused for every HMAC: `inner pad ‖ text` and `outer pad ‖ inner digest`. Calls are synchronous. */
const innerScratch = Buffer.allocUnsafe(4096);
const outerScratch = Buffer.allocUnsafe(96);

function padsOf(key: Uint8Array): HmacPads {
  let pads = padsOfKey.get(key);
  if (pads === undefined) {
    const inner = Buffer.alloc(64, 0x36);
    const outer = Buffer.alloc(64, 0x5c);
    for (let i = 0; i < key.length; i++) {
      inner[i]! ^= key[i]!;
      outer[i]! ^= key[i]!;
    }
    pads = { inner, outer };
    padsOfKey.set(key, pads);
  }
  return pads;
}

/**
 * Hex HMAC-SHA256 of text under a (signing) key of at most 64 bytes, as RFC 2104 defines it: two
 * one-shot hashes over the key's cached pads, written into reused buffers. Building an Hmac object
 * costs about twice as much, and a digest returned as a Buffer (rather than text) six times a hash.
 * Longer keys or text go through createHmac.
 */
export function hmacHex(key: Uint8Array, data: string): string {
  // A UTF-8 character takes at most 3 bytes per UTF-16 code unit.
  if (!oneShot || key.length > 64 || data.length * 3 > innerScratch.length - 64) return createHmac('sha256', key).update(data, 'utf8').digest('hex');
  const pads = padsOf(key);
  innerScratch.set(pads.inner, 0);
  const length = 64 + innerScratch.write(data, 64, 'utf8');
  const inner = oneShot('sha256', innerScratch.subarray(0, length), 'latin1' as 'hex');
  outerScratch.set(pads.outer, 0);
  outerScratch.write(inner, 64, 'latin1');
  return oneShot('sha256', outerScratch, 'hex');
}

/** Compares two hex signatures in constant time (for equal lengths), without allocating. */
export function signaturesEqual(expected: string, provided: string): boolean {
  if (expected.length !== provided.length) return false;
  let difference = 0;
  for (let i = 0; i < expected.length; i++) difference |= expected.charCodeAt(i) ^ provided.charCodeAt(i);
  return difference === 0;
}

const signingKeys = new Map<string, Buffer>();
const SIGNING_KEY_CACHE_SIZE = 256;

/** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"); cached. */
export function deriveSigningKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const last = lastSigningKey;
  if (last !== undefined && last.date === date && last.region === region && last.service === service && last.secret === secretAccessKey) return last.key;
  const key = signingKeyOf(secretAccessKey, date, region, service);
  lastSigningKey = { secret: secretAccessKey, date, region, service, key };
  return key;
}

/** The last key derived: a busy endpoint sees one caller's scope request after request. */
let lastSigningKey: { secret: string; date: string; region: string; service: string; key: Buffer } | undefined;

function signingKeyOf(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  // Keyed by the secret itself: the process holds it anyway, and hashing it cost a digest per request.
  const cacheKey = `${date}\n${region}\n${service}\n${secretAccessKey}`;
  const cached = signingKeys.get(cacheKey);
  if (cached) return cached;
  let key = hmac(`AWS4${secretAccessKey}`, date);
  key = hmac(key, region);
  key = hmac(key, service);
  key = hmac(key, 'aws4_request');
  if (signingKeys.size >= SIGNING_KEY_CACHE_SIZE) signingKeys.delete(signingKeys.keys().next().value as string);
  signingKeys.set(cacheKey, key);
  return key;
}

function isUnreserved(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e
  );
}

const HEX = '0123456789ABCDEF';

/** Percent-encodes every byte of the UTF-8 text except RFC 3986 unreserved ones (and `/` if asked). */
export function uriEncode(text: string, keepSlash = false): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    if (isUnreserved(byte) || (keepSlash && byte === 0x2f)) out += String.fromCharCode(byte);
    else out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

/** Thrown for a `%` escape that is not two hex digits. */
export class MalformedEscapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedEscapeError';
  }
}

function hexDigit(c: number): number {
  return c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
}

/**
 * True when the text is already in canonical encoding (what SDKs send): unreserved characters and
 * upper-case escapes of bytes that are not unreserved. Checked without allocating, since presigned
 * URLs carry several long parameters on every request.
 */
function isCanonical(text: string, keepSlash: boolean): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isUnreserved(c) || (keepSlash && c === 0x2f)) continue;
    if (c !== 0x25 || i + 2 >= text.length) return false;
    const high = hexDigit(text.charCodeAt(i + 1));
    const low = hexDigit(text.charCodeAt(i + 2));
    if (high < 0 || low < 0 || isUnreserved(high * 16 + low)) return false;
    i += 2;
  }
  return true;
}

/**
 * Brings already-encoded URI text to the canonical encoding without changing its meaning:
 * escapes of unreserved characters are decoded, other escapes upper-cased, and raw characters
 * outside the unreserved set encoded. `%2F` stays encoded; a raw `/` stays raw when `keepSlash`.
 */
export function normalizeEncoded(text: string, keepSlash: boolean): string {
  if (isCanonical(text, keepSlash)) return text;
  const bytes = Buffer.from(text, 'utf8');
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === 0x25) {
      const h = bytes.subarray(i + 1, i + 3).toString('latin1');
      if (h.length < 2) throw new MalformedEscapeError('Incomplete trailing escape % sequence');
      if (!/^[0-9A-Fa-f]{2}$/.test(h)) throw new MalformedEscapeError(`Illegal hex character in escape % pattern: %${h}`);
      const value = parseInt(h, 16);
      out += isUnreserved(value) ? String.fromCharCode(value) : `%${h.toUpperCase()}`;
      i += 2;
    } else if (isUnreserved(c) || (keepSlash && c === 0x2f)) {
      out += String.fromCharCode(c);
    } else {
      out += `%${HEX[c >> 4]}${HEX[c & 15]}`;
    }
  }
  return out;
}

/**
 * The canonical URI. S3 signs the path as sent (normalized escapes only: no dot-segment removal, no
 * slash collapsing, no second encoding). Every other service removes empty and dot segments and
 * encodes the already-encoded path a second time, as the SDKs' signers do.
 */
export function canonicalPath(rawPath: string, s3: boolean): string {
  if (rawPath === '/' || rawPath === '') return '/';
  const path = rawPath;
  if (s3) return normalizeEncoded(path, true);
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return uriEncode(normalized, true);
}

export interface QueryParameter {
  /** Canonically encoded name and value. */
  name: string;
  value: string;
}

/** Splits a raw query string into canonically encoded parameters, in the order received. */
export function parseQuery(rawQuery: string): QueryParameter[] {
  const params: QueryParameter[] = [];
  if (!rawQuery) return params;
  for (const piece of rawQuery.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const name = eq < 0 ? piece : piece.slice(0, eq);
    const value = eq < 0 ? '' : piece.slice(eq + 1);
    params.push({ name: normalizeEncoded(name, false), value: normalizeEncoded(value, false) });
  }
  return params;
}

/** Decodes a canonically encoded query component back to text. */
export function decodeComponent(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Parameters sorted by name, then value (byte order, which equals code-unit order for ASCII). */
export function canonicalQuery(params: QueryParameter[], exclude?: string): string {
  return params
    .filter((p) => p.name !== exclude)
    .sort((a, b) => compareCodeUnits(a.name, b.name) || compareCodeUnits(a.value, b.value))
    .map((p) => `${p.name}=${p.value}`)
    .join('&');
}

const NOT_PLAIN_HEADER = /[^\x21-\x7e ]|^ | $|  /;

/** A header's canonical value: trimmed, with runs of spaces and tabs collapsed to one space. */
export function canonicalHeaderValue(value: string | string[] | undefined): string {
  if (value === undefined) return '';
  // Most values are canonical already: printable ASCII without a run of spaces or outer spaces.
  if (typeof value === 'string' && !NOT_PLAIN_HEADER.test(value)) return value;
  const values = Array.isArray(value) ? value : [value];
  return values.map((v) => rawBytesAsUtf8(v).replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').trim()).join(',');
}

/**
 * Node decodes header bytes as Latin-1; signers sign the UTF-8 text. A value with bytes above 0x7F
 * that form valid UTF-8 is read back as that UTF-8 text.
 */
function rawBytesAsUtf8(value: string): string {
  if (!/[\x80-\xff]/.test(value)) return value;
  const bytes = Buffer.from(value, 'latin1');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : value;
}

export interface CanonicalRequestParts {
  method: string;
  canonicalUri: string;
  canonicalQuery: string;
  /** Lower-case names, sorted. */
  signedHeaders: readonly string[];
  headers: IncomingHttpHeaders;
  payloadHash: string;
}

export function buildCanonicalRequest(parts: CanonicalRequestParts): string {
  let text = `${parts.method}\n${parts.canonicalUri}\n${parts.canonicalQuery}\n`;
  for (const name of parts.signedHeaders) text += `${name}:${canonicalHeaderValue(parts.headers[name])}\n`;
  return `${text}\n${parts.signedHeaders.join(';')}\n${parts.payloadHash}`;
}

export function buildStringToSign(amzDate: string, scope: string, canonicalRequest: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
}
