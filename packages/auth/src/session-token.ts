// Stateless session tokens for temporary credentials (`ASIA…` keys): STS seals the key id, its secret
// and the session's identity with AES-256-GCM, and the edge opens the token on each request — no
// database read. Opened tokens are kept in a bounded LRU, so a repeated request costs one map lookup.
//
// Token layout (base64): version (1 byte) | key id length (1 byte) | key id | IV (12) | tag (16) |
// ciphertext of the claims' JSON. The header (version and key id) is the AEAD's additional data, so
// a token cannot be moved to another key. Keys rotate by id: any key still held opens its tokens.
//
// Known limitations: no revocation (AWS revokes sessions through a role's policy with
// `aws:TokenIssueTime`; that is the authorizer's, not the token's). Claims are JSON, not compressed.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { CallerIdentity } from '@atoll/core';
import { AuthErrors } from './auth-errors.js';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What a session token carries. */
export interface SessionTokenClaims {
  accessKeyId: string;
  secretAccessKey: string;
  /** The session's identity (`AssumedRole`, or the `IAMUser` of GetSessionToken) with its `session` facts. */
  identity: CallerIdentity;
  /** Epoch milliseconds. */
  expires: number;
}

/** A 32-byte AES key and the id tokens name it by. */
export interface SealingKey {
  id: string;
  key: Buffer;
}

export interface SessionTokenOptions {
  /** The clock (epoch ms), injectable for tests of expiry. */
  now?: () => number;
  /** Opened tokens kept (LRU), 10,000 by default. */
  cacheSize?: number;
}

/** Thrown by `open` for a token sealed with a key this sealer does not hold (rotated in elsewhere). */
export class UnknownSealingKey extends Error {
  constructor(readonly keyId: string) {
    super(`session token sealed with unknown key ${keyId}`);
  }
}

export class SessionTokenSealer {
  readonly #keys = new Map<string, Buffer>();
  #current: SealingKey;
  readonly #now: () => number;
  readonly #cacheSize: number;
  readonly #cache = new Map<string, SessionTokenClaims>();
  #hits = 0;
  #misses = 0;

  /** `keys[0]` seals new tokens; every key opens the tokens it sealed. */
  constructor(keys: readonly SealingKey[], options: SessionTokenOptions = {}) {
    if (keys.length === 0) throw new Error('a session token sealer needs a key');
    for (const k of keys) this.addKey(k);
    this.#current = keys[0]!;
    this.#now = options.now ?? Date.now;
    this.#cacheSize = options.cacheSize ?? 10_000;
  }

  /** A new random key (32 bytes). */
  static newKey(id: string): SealingKey {
    return { id, key: randomBytes(32) };
  }

  addKey(k: SealingKey): void {
    if (k.key.length !== 32) throw new Error(`sealing key ${k.id} must be 32 bytes`);
    if (Buffer.byteLength(k.id) > 255 || k.id.length === 0) throw new Error('sealing key ids are 1 to 255 bytes');
    this.#keys.set(k.id, k.key);
  }

  hasKey(id: string): boolean {
    return this.#keys.has(id);
  }

  seal(claims: SessionTokenClaims): string {
    const id = Buffer.from(this.#current.id);
    const header = Buffer.concat([Buffer.from([VERSION, id.length]), id]);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#current.key, iv);
    cipher.setAAD(header);
    const body = Buffer.concat([cipher.update(JSON.stringify(claims), 'utf8'), cipher.final()]);
    return Buffer.concat([header, iv, cipher.getAuthTag(), body]).toString('base64');
  }

  /**
   * The claims of a token presented with `accessKeyId`. Throws AuthError (query dialect; the edge
   * answers in its own by `kind`): `invalid-token` when the token is malformed, tampered with, or
   * sealed for another key id; `expired-token` once it has expired. Throws UnknownSealingKey for a
   * well-formed token of a key this sealer lacks (the caller may reload its keys and retry).
   */
  open(accessKeyId: string, token: string): SessionTokenClaims {
    let claims = this.#cache.get(token);
    if (claims) {
      this.#hits++;
      this.#cache.delete(token);
      this.#cache.set(token, claims);
    } else {
      this.#misses++;
      claims = this.#unseal(token);
      if (this.#cache.size >= this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(token, claims);
    }
    if (claims.accessKeyId !== accessKeyId) throw AuthErrors.invalidToken('query');
    if (this.#now() >= claims.expires) {
      this.#cache.delete(token);
      throw AuthErrors.expiredToken('query');
    }
    return claims;
  }

  /** Cache figures since the start: hits, misses (tokens decrypted) and entries held. */
  stats(): { hits: number; misses: number; size: number } {
    return { hits: this.#hits, misses: this.#misses, size: this.#cache.size };
  }

  #unseal(token: string): SessionTokenClaims {
    const raw = Buffer.from(token, 'base64');
    if (raw.length < 2 || raw[0] !== VERSION) throw AuthErrors.invalidToken('query');
    const idEnd = 2 + raw[1]!;
    if (raw.length < idEnd + IV_BYTES + TAG_BYTES + 2) throw AuthErrors.invalidToken('query');
    const keyId = raw.subarray(2, idEnd).toString();
    const key = this.#keys.get(keyId);
    if (!key) throw new UnknownSealingKey(keyId);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(idEnd, idEnd + IV_BYTES));
      decipher.setAAD(raw.subarray(0, idEnd));
      decipher.setAuthTag(raw.subarray(idEnd + IV_BYTES, idEnd + IV_BYTES + TAG_BYTES));
      const text = Buffer.concat([decipher.update(raw.subarray(idEnd + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      const claims = JSON.parse(text) as SessionTokenClaims;
      if (typeof claims.accessKeyId !== 'string' || typeof claims.expires !== 'number' || !claims.identity) throw new Error('claims');
      return claims;
    } catch {
      throw AuthErrors.invalidToken('query');
    }
  }
}
