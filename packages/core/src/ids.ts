// Identifiers in AWS's formats: request ids, message ids, access keys, trace ids.
import { randomBytes, randomUUID } from 'node:crypto';

export const newRequestId = (): string => randomUUID();
export const newUuid = (): string => randomUUID();

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomKeyChars(count: number): string {
  let out = '';
  for (const b of randomBytes(count)) out += KEY_ALPHABET[b % 32];
  return out;
}

/** An access key id: a four-letter prefix (AKIA for long-term keys, ASIA for temporary) and 16 characters. */
export function newAccessKeyId(prefix = 'AKIA'): string {
  return prefix + randomKeyChars(16);
}

export function newSecretAccessKey(): string {
  return randomBytes(30).toString('base64').replace(/[^A-Za-z0-9]/g, 'x').slice(0, 40);
}

/** A unique id of the form IAM uses for users and roles: a prefix (`AIDA`, `AROA`) and 17 characters. */
export function newUniqueId(prefix: string): string {
  return prefix + randomKeyChars(17);
}

// Random hex for ids on hot paths comes from a pool: one randomBytes call makes 4 KiB of hex, and
// each id is a slice of it (V8 slices a flat string without copying), not a call per id.
const POOL_BYTES = 2048;
let hexPool = '';
let hexAt = 0;

function takeHex(chars: number): string {
  if (hexAt + chars > hexPool.length) {
    hexPool = randomBytes(POOL_BYTES).toString('hex');
    hexAt = 0;
  }
  const hex = hexPool.slice(hexAt, hexAt + chars);
  hexAt += chars;
  return hex;
}

/** An X-Ray trace id: `1-<8 hex seconds>-<24 hex random>`. */
export function newTraceId(now = Date.now()): string {
  return `1-${Math.floor(now / 1000).toString(16).padStart(8, '0')}-${takeHex(24)}`;
}

/** Random hex of `bytes` bytes. */
export const randomHex = (bytes: number): string => (bytes * 2 <= 64 ? takeHex(bytes * 2) : randomBytes(bytes).toString('hex'));
