// The edge's way to temporary credentials: seals new session tokens and opens presented ones with the
// keys of the `sts` store (shared by every node). Opening is a cache hit after a token's first use;
// a token sealed with a key this node has not loaded yet (rotated in by another node) reloads the
// keys once, at most every few seconds.
import { AuthErrors, SessionTokenSealer, UnknownSealingKey, type SessionTokenClaims, type SessionTokenOptions } from '@atoll/auth';
import type { AccessKeyCredentials, SessionDirectory } from '@atoll/core';
import type { SealingKeyRow, StsStore } from './sts-store.js';

const RELOAD_EVERY_MS = 5_000;

function toKey(row: SealingKeyRow): { id: string; key: Buffer } {
  return { id: row.key_id, key: Buffer.from(row.key, 'base64') };
}

export class StsSessionDirectory implements SessionDirectory {
  readonly #store: StsStore;
  readonly #sealer: SessionTokenSealer;
  #reloadedAt = 0;

  private constructor(store: StsStore, sealer: SessionTokenSealer) {
    this.#store = store;
    this.#sealer = sealer;
  }

  static async open(store: StsStore, options: SessionTokenOptions = {}): Promise<StsSessionDirectory> {
    const rows = await store.sealingKeys();
    return new StsSessionDirectory(store, new SessionTokenSealer(rows.map(toKey), options));
  }

  seal(claims: SessionTokenClaims): string {
    return this.#sealer.seal(claims);
  }

  openSession(accessKeyId: string, sessionToken: string): AccessKeyCredentials | Promise<AccessKeyCredentials> {
    try {
      const claims = this.#sealer.open(accessKeyId, sessionToken);
      return { secretAccessKey: claims.secretAccessKey, identity: claims.identity };
    } catch (error) {
      if (error instanceof UnknownSealingKey) return this.#reloadAndOpen(accessKeyId, sessionToken, error.keyId);
      throw error;
    }
  }

  /** Cache figures of the token opener (the bench reads them). */
  stats(): { hits: number; misses: number; size: number } {
    return this.#sealer.stats();
  }

  async #reloadAndOpen(accessKeyId: string, sessionToken: string, keyId: string): Promise<AccessKeyCredentials> {
    if (Date.now() - this.#reloadedAt >= RELOAD_EVERY_MS) {
      this.#reloadedAt = Date.now();
      for (const row of await this.#store.listKeys()) if (!this.#sealer.hasKey(row.key_id)) this.#sealer.addKey(toKey(row));
    }
    if (!this.#sealer.hasKey(keyId)) throw AuthErrors.invalidToken('query');
    const claims = this.#sealer.open(accessKeyId, sessionToken);
    return { secretAccessKey: claims.secretAccessKey, identity: claims.identity };
  }
}
