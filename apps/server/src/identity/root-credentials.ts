// The account's root access key: created on the first start, kept in the data directory (mode
// 0600) and never regenerated while that file exists.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AtollError, newAccessKeyId, newSecretAccessKey, type StorageBackend, type StoreMigration } from '@atoll/core';

export interface RootCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  createdAt: string;
}

export function rootCredentialsPath(dataDir: string): string {
  return join(dataDir, 'credentials', 'root.json');
}

/** Reads the root key, creating it when absent; `created` tells whether this call made it. */
export function loadOrCreateRootCredentials(dataDir: string, accountId: string): { credentials: RootCredentials; created: boolean; path: string } {
  const path = rootCredentialsPath(dataDir);
  if (existsSync(path)) {
    try {
      const credentials = JSON.parse(readFileSync(path, 'utf8')) as RootCredentials;
      if (credentials.accessKeyId && credentials.secretAccessKey) return { credentials, created: false, path };
    } catch (cause) {
      throw new AtollError('ROOT_CREDENTIALS_UNREADABLE', `cannot read ${path}`, { cause });
    }
  }
  const credentials: RootCredentials = {
    accessKeyId: newAccessKeyId('AKIA'),
    secretAccessKey: newSecretAccessKey(),
    accountId,
    createdAt: new Date().toISOString(),
  };
  writeCredentials(path, credentials);
  return { credentials, created: true, path };
}

function writeCredentials(path: string, credentials: RootCredentials): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, path);
}

/** Reads the root key without creating it (for `atoll env`). */
export function readRootCredentials(dataDir: string): RootCredentials | undefined {
  const path = rootCredentialsPath(dataDir);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as RootCredentials;
}

const PLATFORM_MIGRATIONS: StoreMigration[] = [
  {
    version: 1,
    name: 'root credentials',
    up: `CREATE TABLE root_credentials (
      account_id TEXT PRIMARY KEY, access_key_id TEXT NOT NULL, secret_access_key TEXT NOT NULL, created_at TEXT NOT NULL)`,
  },
];

/**
 * With several nodes the root key lives in the shared database, so that every node accepts it: the
 * first node to start stores its own (the data directory's, or a new one), every later node takes
 * the stored one and writes it to its data directory too (`atoll env` reads it there).
 */
export async function sharedRootCredentials(
  storage: StorageBackend,
  dataDir: string,
  accountId: string,
): Promise<{ credentials: RootCredentials; created: boolean; path: string }> {
  const db = await storage.open('platform', PLATFORM_MIGRATIONS);
  try {
    const local = loadOrCreateRootCredentials(dataDir, accountId);
    const stored = await db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO root_credentials (account_id, access_key_id, secret_access_key, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (account_id) DO NOTHING`,
        [accountId, local.credentials.accessKeyId, local.credentials.secretAccessKey, local.credentials.createdAt],
      );
      return tx.get<{ access_key_id: string; secret_access_key: string; created_at: string }>(
        'SELECT access_key_id, secret_access_key, created_at FROM root_credentials WHERE account_id = ?',
        [accountId],
      );
    });
    if (!stored || stored.access_key_id === local.credentials.accessKeyId) return local;
    const credentials: RootCredentials = { accessKeyId: stored.access_key_id, secretAccessKey: stored.secret_access_key, accountId, createdAt: stored.created_at };
    writeCredentials(local.path, credentials);
    return { credentials, created: false, path: local.path };
  } finally {
    await db.close();
  }
}
