// The account's root access key: created on the first start, kept in the data directory (mode
// 0600) and never regenerated while that file exists.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AtollError, newAccessKeyId, newSecretAccessKey } from '@atoll/core';

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
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, path);
  return { credentials, created: true, path };
}

/** Reads the root key without creating it (for `atoll env`). */
export function readRootCredentials(dataDir: string): RootCredentials | undefined {
  const path = rootCredentialsPath(dataDir);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as RootCredentials;
}
