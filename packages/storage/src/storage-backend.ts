// Where a node keeps its state, chosen once at start: the embedded default (SQLite files under the
// data directory, blobs beside them) or PostgreSQL (ATOLL_DATABASE_URL) with blobs in a shared
// directory (ATOLL_BLOB_DIR). Services open their stores through it and run their once-only loops
// under its leadership; they never look at which engine it is beyond the SQL dialect.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AtollError, type OpenStoreOptions, type StorageBackend, type StoreDatabase, type StoreMigration } from '@atoll/core';
import { LocalLeadership, PostgresLeadership } from './leadership.js';
import type { Leadership } from '@atoll/core';
import type { PostgresCluster } from './sql/postgres-store-database.js';
import { LocalSignals } from './sql/local-signals.js';
import { redactUrl } from './sql/store-database.js';

export interface StorageOptions {
  dataDir: string;
  /** `postgres://…`: state in PostgreSQL; the embedded SQLite engine when absent. */
  databaseUrl?: string;
  /** Where blobs (S3 objects, function code) live; `dataDir` by default. A shared directory for several nodes. */
  blobDir?: string;
  /** `s3://bucket/prefix`: blobs in an S3-compatible bucket, with `blobDir` (or `<dataDir>/blob-cache`) as the local cache. */
  blobUrl?: string;
  /** PostgreSQL pool size per node. */
  poolSize?: number;
  /** How often leader locks are tried (PostgreSQL). */
  leaderIntervalMs?: number;
  onError?: (error: unknown, what: string) => void;
}

/** Blobs live under `blobDir`; with a bucket, that directory (or `<dataDir>/blob-cache`) is the local cache. */
function blobRoot(options: StorageOptions): string {
  if (options.blobDir) return options.blobDir;
  return options.blobUrl ? join(options.dataDir, 'blob-cache') : options.dataDir;
}

class SqliteBackend implements StorageBackend {
  readonly engine = 'sqlite' as const;
  readonly database: string;
  readonly blobDir: string;
  readonly blobUrl: string | undefined;
  readonly leadership: Leadership;
  readonly #signals = new LocalSignals();
  /** Each store opened so far, by name, and its file relative to the data directory. */
  readonly #files = new Map<string, string>();

  constructor(readonly options: StorageOptions) {
    this.database = `sqlite:${options.dataDir}`;
    this.blobUrl = options.blobUrl;
    this.blobDir = blobRoot(options);
    this.leadership = new LocalLeadership(options.onError);
  }

  async open(name: string, migrations: readonly StoreMigration[], options: OpenStoreOptions = {}): Promise<StoreDatabase> {
    // The engines load on first use, so that start-up does not wait for them.
    const { SqliteStoreDatabase } = await import('./sql/sqlite-store-database.js');
    const file = options.file ?? join(name, `${name}.db`);
    this.#files.set(name, file);
    const store = await SqliteStoreDatabase.open(join(this.options.dataDir, file), migrations, {
      signals: this.#signals,
    });
    return store;
  }

  async check(): Promise<void> {}

  storesOpened(): readonly string[] {
    return [...this.#files.keys()];
  }

  async wipe(name: string): Promise<void> {
    const file = join(this.options.dataDir, this.#files.get(name) ?? join(name, `${name}.db`));
    if (existsSync(file)) {
      const { emptySqliteFile } = await import('./sql/wipe-store.js');
      emptySqliteFile(file);
    }
    await wipeBlobs(this, name);
  }

  async close(): Promise<void> {
    await this.leadership.close();
  }
}

class PostgresBackend implements StorageBackend {
  readonly engine = 'postgres' as const;
  readonly database: string;
  readonly blobDir: string;
  readonly blobUrl: string | undefined;
  readonly leadership: Leadership;

  constructor(
    readonly cluster: PostgresCluster,
    options: StorageOptions,
  ) {
    this.database = redactUrl(cluster.url);
    this.blobUrl = options.blobUrl;
    this.blobDir = blobRoot(options);
    this.leadership = new PostgresLeadership(cluster, { intervalMs: options.leaderIntervalMs, onError: options.onError });
  }

  readonly #opened = new Set<string>();

  open(name: string, migrations: readonly StoreMigration[]): Promise<StoreDatabase> {
    this.#opened.add(name);
    return this.cluster.open(name, migrations);
  }

  check(): Promise<void> {
    return this.cluster.check();
  }

  storesOpened(): readonly string[] {
    return [...this.#opened];
  }

  async wipe(name: string): Promise<void> {
    const { emptyPostgresSchema } = await import('./sql/wipe-store.js');
    await emptyPostgresSchema(this.cluster, name);
    await wipeBlobs(this, name);
  }

  async close(): Promise<void> {
    await this.leadership.close();
    await this.cluster.close();
  }
}

/**
 * Removes a store's blobs from the blob directory (or, with a bucket, from this node's cache of it:
 * the bucket's objects are left, unreferenced).
 */
async function wipeBlobs(storage: { blobDir: string }, name: string): Promise<void> {
  await rm(join(storage.blobDir, name, 'blobs'), { recursive: true, force: true });
}

/**
 * Opens the node's storage. With a database URL it connects at once and throws STORAGE_UNAVAILABLE
 * (naming the URL, password hidden) when the database cannot be reached.
 */
export async function openStorage(options: StorageOptions): Promise<StorageBackend> {
  if (!options.databaseUrl) return embeddedStorage(options);
  if (!/^postgres(ql)?:\/\//.test(options.databaseUrl)) {
    throw new AtollError('CONFIG_INVALID_DATABASE_URL', `the database URL must start with postgres://, got "${redactUrl(options.databaseUrl)}"`);
  }
  const { PostgresCluster } = await import('./sql/postgres-store-database.js');
  const cluster = new PostgresCluster({ url: options.databaseUrl, poolSize: options.poolSize, onError: options.onError });
  try {
    await cluster.check();
  } catch (error) {
    await cluster.close();
    throw error;
  }
  return new PostgresBackend(cluster, options);
}

/** The embedded engine alone (no connection to make, so no await): SQLite files under `dataDir`. */
export function embeddedStorage(options: StorageOptions): StorageBackend {
  return new SqliteBackend(options);
}
