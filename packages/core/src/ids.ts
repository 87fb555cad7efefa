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

// randomUUID draws from a cached entropy pool, so deriving hex from it is much cheaper on hot
// paths than a randomBytes call per id.
function uuidHex(): string {
  const u = randomUUID();
  return u.slice(0, 8) + u.slice(9, 13) + u.slice(15, 18) + u.slice(20, 23) + u.slice(24);
}

/** An X-Ray trace id: `1-<8 hex seconds>-<24 hex random>`. */
export function newTraceId(now = Date.now()): string {
  return `1-${Math.floor(now / 1000).toString(16).padStart(8, '0')}-${uuidHex().slice(0, 24)}`;
}

/** Random hex of `bytes` bytes (up to 14 bytes come from one pooled UUID). */
export const randomHex = (bytes: number): string =>
  bytes * 2 <= 28 ? uuidHex().slice(0, bytes * 2) : randomBytes(bytes).toString('hex');
