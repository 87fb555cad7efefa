// STS's state: the keys that seal session tokens, behind the asynchronous store contract (SQLite or
// PostgreSQL). Temporary credentials themselves are stateless (the token carries them), so this is
// the only table: every node reads the same keys and opens every node's tokens.
//
// Known limitations: no rotation schedule yet. A key added later (a new id) seals new tokens while
// older keys keep opening theirs; nothing adds one today.
import { randomBytes } from 'node:crypto';
import type { StorageBackend, StoreDatabase, StoreMigration } from '@atoll/core';

export interface SealingKeyRow {
  key_id: string;
  /** The 32-byte AES key, base64. */
  key: string;
  created_at: string;
}

/** The id of the first key, which every node tries to create and all end up sharing. */
export const FIRST_KEY_ID = 'k1';

const MIGRATIONS: StoreMigration[] = [
  {
    version: 1,
    name: 'session token sealing keys',
    up: `CREATE TABLE sealing_keys (key_id TEXT PRIMARY KEY, key TEXT NOT NULL, created_at TEXT NOT NULL)`,
  },
];

export class StsStore {
  readonly db: StoreDatabase;

  private constructor(db: StoreDatabase) {
    this.db = db;
  }

  /** Opens STS's database (`sts/sts.db` on SQLite, schema `sts` on PostgreSQL). */
  static async open(storage: StorageBackend): Promise<StsStore> {
    return new StsStore(await storage.open('sts', MIGRATIONS));
  }

  /**
   * The sealing keys, newest first, creating the first one when there is none. Insert-if-absent:
   * nodes starting together each offer a key, one is kept, and all read that one.
   */
  async sealingKeys(): Promise<SealingKeyRow[]> {
    const existing = await this.listKeys();
    if (existing.length > 0) return existing;
    await this.db.run('INSERT INTO sealing_keys (key_id, key, created_at) VALUES (?, ?, ?) ON CONFLICT (key_id) DO NOTHING', [
      FIRST_KEY_ID,
      randomBytes(32).toString('base64'),
      new Date().toISOString(),
    ]);
    return this.listKeys();
  }

  listKeys(): Promise<SealingKeyRow[]> {
    return this.db.all<SealingKeyRow>('SELECT key_id, key, created_at FROM sealing_keys ORDER BY created_at DESC, key_id DESC');
  }

  /** Adds a key (rotation); it seals new tokens on every node once they reload their keys. */
  async addKey(keyId: string): Promise<void> {
    await this.db.run('INSERT INTO sealing_keys (key_id, key, created_at) VALUES (?, ?, ?)', [keyId, randomBytes(32).toString('base64'), new Date().toISOString()]);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
