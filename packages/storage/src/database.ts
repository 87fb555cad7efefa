// Embedded SQLite databases, one per service: WAL mode, synchronous=FULL for acknowledged writes,
// and forward-only migrations recorded in the database itself. The store modules of the services
// are the only callers; the PostgreSQL backend slots in behind those stores, not here.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { AtollError } from '@atoll/core';

export type SqliteDatabase = Database.Database;
export type SqliteStatement<P extends unknown[] | {} = unknown[], R = unknown> = Database.Statement<P, R>;

/** A migration: a number that only grows, and the SQL (or function) that moves the schema to it. */
export interface Migration {
  version: number;
  name: string;
  up: string | ((db: SqliteDatabase) => void);
}

export interface OpenDatabaseOptions {
  /**
   * `full` (default) makes every committed transaction durable before the call returns, at the cost
   * of an fsync per commit; group commit (see GroupCommit) amortizes it. `normal` is for data that
   * can be rebuilt (caches, metrics).
   */
  synchronous?: 'full' | 'normal';
  readonly?: boolean;
}

/** Opens (creating if needed) a SQLite database file and applies the pending migrations in order. */
export function openDatabase(file: string, migrations: readonly Migration[], options: OpenDatabaseOptions = {}): SqliteDatabase {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  let db: SqliteDatabase;
  try {
    db = new Database(file, { readonly: options.readonly ?? false });
  } catch (cause) {
    throw new AtollError('STORAGE_OPEN_FAILED', `cannot open database ${file}`, { cause });
  }
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  if (!options.readonly) migrate(db, migrations);
  return db;
}

function migrate(db: SqliteDatabase, migrations: readonly Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS atoll_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = new Set(
    (db.prepare('SELECT version FROM atoll_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.version === sorted[i - 1]!.version) {
      throw new AtollError('STORAGE_MIGRATION_DUPLICATE', `two migrations have version ${sorted[i]!.version}`);
    }
  }
  const record = db.prepare('INSERT INTO atoll_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const migration of sorted) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      if (typeof migration.up === 'string') db.exec(migration.up);
      else migration.up(db);
      record.run(migration.version, migration.name, new Date().toISOString());
    })();
  }
}
