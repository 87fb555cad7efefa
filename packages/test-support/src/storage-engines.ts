// Runs one contract suite against every storage engine: the embedded SQLite and PostgreSQL. The
// PostgreSQL cases use a database of their own, created for the run and dropped after it, on the
// server that ATOLL_TEST_POSTGRES_URL names (default: the local one, database `test`, trust auth).
// Where no PostgreSQL answers, its cases are skipped with that reason, except under CI, where they fail.
import { after, describe } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { StorageBackend } from '@atoll/core';
import { embeddedStorage, openStorage } from '@atoll/storage';

export const TEST_POSTGRES_URL = process.env.ATOLL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface PostgresTestDatabase {
  /** The URL of a new, empty database. */
  url: string;
  /** Drops the database (ending its connections). */
  drop(): Promise<void>;
}

/** Creates a database for one test run; undefined (with the reason) when no PostgreSQL answers. */
export async function createPostgresTestDatabase(): Promise<PostgresTestDatabase | { unavailable: string }> {
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (error) {
    const reason = `no PostgreSQL at ${TEST_POSTGRES_URL} (${(error as Error).message})`;
    if (process.env.CI) throw new Error(`${reason}: CI must run the PostgreSQL contract cases`);
    return { unavailable: reason };
  }
  const name = `atoll_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 3000 });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

export interface EngineContext {
  readonly engine: 'sqlite' | 'postgres';
  /**
   * A node's storage on fresh state (a new data directory; on PostgreSQL, every schema of the run's
   * database dropped). Closed after the suite.
   */
  open(): Promise<StorageBackend>;
  /** Another node on the same state as the last `open()` (PostgreSQL only: SQLite serves one node). */
  node(): Promise<StorageBackend>;
  /** The PostgreSQL URL of this run's database (PostgreSQL only). */
  readonly databaseUrl: string | undefined;
}

/**
 * Declares `cases` once per engine, as `<title> on sqlite` and `<title> on postgres`. Call it with
 * top-level await: it checks whether PostgreSQL answers before it declares the suites.
 */
export async function forEachEngine(title: string, cases: (engine: EngineContext) => void): Promise<void> {
  const pgDb = await createPostgresTestDatabase();
  const pgReady = 'url' in pgDb ? pgDb : undefined;
  for (const engine of ['sqlite', 'postgres'] as const) {
    const skip = engine === 'postgres' && !pgReady ? (pgDb as { unavailable: string }).unavailable : false;
    describe(`${title} on ${engine}`, { skip }, () => {
      const opened: StorageBackend[] = [];
      const dirs: string[] = [];
      let dataDir = '';
      const backend = async (): Promise<StorageBackend> => {
        const storage =
          engine === 'sqlite' ? embeddedStorage({ dataDir }) : await openStorage({ dataDir, databaseUrl: pgReady!.url, leaderIntervalMs: 100 });
        opened.push(storage);
        return storage;
      };
      const ctx: EngineContext = {
        engine,
        databaseUrl: pgReady?.url,
        async open() {
          dataDir = mkdtempSync(join(tmpdir(), 'atoll-store-'));
          dirs.push(dataDir);
          if (engine === 'postgres') await dropSchemas(pgReady!.url);
          return backend();
        },
        async node() {
          if (engine !== 'postgres') throw new Error('several nodes need PostgreSQL');
          return backend();
        },
      };
      after(async () => {
        for (const storage of opened) await storage.close().catch(() => {});
        for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      });
      cases(ctx);
    });
  }
  if (pgReady) {
    // Dropped once every suite of this file has run.
    after(() => pgReady.drop());
  }
}

async function dropSchemas(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('information_schema', 'public')",
    );
    for (const row of rows as { nspname: string }[]) await client.query(`DROP SCHEMA "${row.nspname}" CASCADE`);
  } finally {
    await client.end();
  }
}
