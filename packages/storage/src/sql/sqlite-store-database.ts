// The embedded engine behind the store contract: one SQLite file per store (WAL), statements prepared
// once per SQL text, and transactions group-committed: the transactions queued in one tick run in one
// SQLite transaction (a savepoint each, so a failing one rolls back alone; a single write statement
// needs none, SQLite undoes a failing statement by itself), then one fdatasync of the WAL off the
// event loop makes them all durable. Statements outside a transaction wait while a batch
// is open, so that nobody reads a write that may still roll back. Direct reads share one read
// transaction, ended before any batch begins and at the latest a millisecond after it began: a read
// on its own in WAL mode takes and drops the WAL read lock with fcntl calls on the -shm file, which
// cost 4-13 µs of a 1-2 µs primary-key lookup. Only this connection writes the file, so a shared
// read never misses a write: every batch ends it first.
import { AtollError } from '@atoll/core';
import { openDatabase, type SqliteDatabase, type SqliteStatement } from '../database.js';
import { GroupCommit } from '../group-commit.js';
import { migrationSql, orderedMigrations } from './store-database.js';
import { LocalSignals } from './local-signals.js';
import type {
  Signals,
  SqlDialect,
  SqlExecutor,
  SqlRunResult,
  SqlTransaction,
  SqlValue,
  StoreDatabase,
  StoreMigration,
  TransactionOptions,
} from '@atoll/core';

const DIALECT: SqlDialect = { name: 'sqlite', forUpdate: '', skipLocked: '' };
/**
 * Prepared statements kept per connection. A store's fixed texts are far fewer; texts that vary with
 * a list are kept to a few sizes (sqlInList, powerOfTwoChunks), and this bound catches the rest.
 */
const MAX_STATEMENTS = 512;

interface Pending {
  work: (tx: SqlTransaction) => Promise<unknown>;
  /**
   * A single write statement (`run` outside a transaction): it runs without a savepoint and without
   * an await, as SQLite undoes a failing statement's changes by itself (statement journal). That
   * saved ~1.2 µs of CPU per write (SAVEPOINT, RELEASE and a promise turn).
   */
  single?: { stmt: SqliteStatement; params: readonly SqlValue[] };
  durable: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

function bind(params: readonly SqlValue[]): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < params.length; i++) {
    if (typeof params[i] === 'boolean') {
      out ??= params.slice();
      out[i] = params[i] ? 1 : 0;
    }
  }
  return (out ?? params) as unknown[];
}

class SqliteExecutor implements SqlTransaction {
  readonly dialect = DIALECT;
  notes: [string, string][] | undefined;

  constructor(readonly statement: (sql: string) => SqliteStatement) {}

  all<R>(sql: string, params: readonly SqlValue[] = []): Promise<R[]> {
    try {
      return Promise.resolve(this.statement(sql).all(...bind(params)) as R[]);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  get<R>(sql: string, params: readonly SqlValue[] = []): Promise<R | undefined> {
    try {
      return Promise.resolve(this.statement(sql).get(...bind(params)) as R | undefined);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<SqlRunResult> {
    try {
      const stmt = this.statement(sql);
      if (stmt.reader) {
        stmt.all(...bind(params));
        return Promise.resolve({ changes: 0 });
      }
      return Promise.resolve({ changes: stmt.run(...bind(params)).changes });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  notify(channel: string, payload: string): void {
    (this.notes ??= []).push([channel, payload]);
  }
}

export interface SqliteStoreOptions {
  /** Commit at once when this many transactions are queued (default 1000). */
  maxBatch?: number;
}

export class SqliteStoreDatabase implements StoreDatabase {
  readonly dialect = DIALECT;
  readonly location: string;
  readonly signals: LocalSignals;
  /** The underlying connection, for code that has not moved to the contract yet and for tests. */
  readonly db: SqliteDatabase;
  readonly #commit: GroupCommit;
  readonly #statements = new Map<string, SqliteStatement>();
  readonly #keepsPartialChanges = new Set<string>();
  readonly #direct: SqliteExecutor;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  #scheduled = false;
  /** Set while a batch's transaction is open: direct statements wait for it. */
  #open: Promise<void> | undefined;
  /** A read transaction shared by direct reads is open (see #read). */
  #reading = false;
  readonly #endRead = (): void => {
    if (!this.#reading) return;
    this.#reading = false;
    if (this.db.inTransaction) this.#statement('COMMIT').run();
  };
  #closed = false;

  private constructor(db: SqliteDatabase, file: string, signals: LocalSignals, options: SqliteStoreOptions) {
    this.db = db;
    this.location = `sqlite:${file}`;
    this.signals = signals;
    this.#maxBatch = options.maxBatch ?? 1000;
    this.#commit = new GroupCommit(db);
    this.#direct = new SqliteExecutor((sql) => this.#statement(sql));
  }

  /** Opens (creating) `file` and applies the pending migrations; refuses a schema newer than `migrations`. */
  static async open(
    file: string,
    migrations: readonly StoreMigration[],
    options: SqliteStoreOptions & { signals?: LocalSignals } = {},
  ): Promise<SqliteStoreDatabase> {
    const ordered = orderedMigrations(migrations);
    // The bookkeeping table is the one earlier versions used, so existing data directories keep their history.
    const db = openDatabase(file, [], {});
    // The savepoint each transaction of a batch runs in keeps a sub-journal of the pages it changes;
    // on disk (the default) that costs several page writes per row written, in memory nothing.
    db.pragma('temp_store = MEMORY');
    const newest = (db.prepare('SELECT MAX(version) FROM atoll_migrations').pluck().get() as number | null) ?? 0;
    const known = ordered.at(-1)?.version ?? 0;
    if (newest > known) {
      db.close();
      throw new AtollError(
        'STORAGE_SCHEMA_TOO_NEW',
        `${file} has schema version ${newest}, newer than this Atoll knows (${known}): it was written by a newer Atoll; run that version`,
      );
    }
    const applied = new Set((db.prepare('SELECT version FROM atoll_migrations').pluck().all() as number[]));
    const store = new SqliteStoreDatabase(db, file, options.signals ?? new LocalSignals(), options);
    for (const m of ordered) {
      if (applied.has(m.version)) continue;
      const up = migrationSql(m, 'sqlite');
      db.exec('BEGIN');
      try {
        if (typeof up === 'function') await up(store.#direct);
        else db.exec(up);
        db.prepare('INSERT INTO atoll_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
        db.exec('COMMIT');
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        db.close();
        throw new AtollError('STORAGE_MIGRATION_FAILED', `migration ${m.version} (${m.name}) of ${file} failed`, { cause: error });
      }
    }
    store.#commit.syncNow();
    return store;
  }

  #statement(sql: string): SqliteStatement {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      if (this.#statements.size >= MAX_STATEMENTS) {
        // The oldest goes (its native memory is freed once nothing holds it): texts built from a
        // list's length must not pile up prepared statements for the connection's life.
        const oldest = this.#statements.keys().next().value as string;
        this.#statements.delete(oldest);
        this.#keepsPartialChanges.delete(oldest);
      }
      this.#statements.set(sql, stmt);
      // `OR FAIL` keeps what a failing statement changed before the failure: such a statement runs
      // in a savepoint even alone.
      if (/\b(OR|CONFLICT)\s+FAIL\b/i.test(sql)) this.#keepsPartialChanges.add(sql);
    }
    return stmt;
  }

  /** Opens the shared read transaction unless one (or a batch) is open. */
  #read(): void {
    if (this.#reading || this.#closed || this.db.inTransaction) return;
    this.#statement('BEGIN').run();
    this.#reading = true;
    setTimeout(this.#endRead, 1).unref();
  }

  all<R>(sql: string, params?: readonly SqlValue[]): Promise<R[]> {
    if (this.#open) return this.#open.then(() => this.all<R>(sql, params));
    this.#read();
    return this.#direct.all<R>(sql, params);
  }

  get<R>(sql: string, params?: readonly SqlValue[]): Promise<R | undefined> {
    if (this.#open) return this.#open.then(() => this.get<R>(sql, params));
    this.#read();
    return this.#direct.get<R>(sql, params);
  }

  /** A statement outside a transaction; a write is durable when it resolves. */
  run(sql: string, params?: readonly SqlValue[]): Promise<SqlRunResult> {
    if (this.#open) return this.#open.then(() => this.run(sql, params));
    const stmt = this.#statement(sql);
    if (stmt.reader) {
      this.#read();
      return this.#direct.run(sql, params);
    }
    const work = (tx: SqlTransaction) => tx.run(sql, params);
    return this.#enqueue(work, this.#keepsPartialChanges.has(sql) ? undefined : { stmt, params: params ?? [] }, true);
  }

  transaction<T>(work: (tx: SqlTransaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return this.#enqueue(work, undefined, options.durable ?? true);
  }

  #enqueue<T>(work: (tx: SqlTransaction) => Promise<T>, single: Pending['single'], durable: boolean): Promise<T> {
    if (this.#closed) return Promise.reject(new AtollError('STORAGE_CLOSED', `${this.location} is closed`));
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = { work, durable, resolve: resolve as (v: unknown) => void, reject };
      if (single) pending.single = single;
      this.#queue.push(pending);
      if (this.#queue.length >= this.#maxBatch && !this.#open) void this.#flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    // A batch is running: when it ends it flushes what was queued meanwhile.
    if (this.#open) return;
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    let release!: () => void;
    this.#open = new Promise<void>((resolve) => (release = resolve));
    const outcomes: { ok: boolean; value: unknown; notes?: [string, string][] }[] = [];
    this.#endRead();
    try {
      this.#statement('BEGIN').run();
      try {
        for (const item of batch) {
          if (item.single) {
            try {
              outcomes.push({ ok: true, value: { changes: item.single.stmt.run(...bind(item.single.params)).changes } });
            } catch (error) {
              // An error that ended the whole transaction (disk full, I/O) fails the whole batch, as a
              // savepoint's rollback would.
              if (!this.db.inTransaction) throw error;
              outcomes.push({ ok: false, value: error });
            }
            continue;
          }
          this.#statement('SAVEPOINT atoll_tx').run();
          const tx = new SqliteExecutor(this.#direct.statement);
          try {
            const value = await item.work(tx);
            this.#statement('RELEASE atoll_tx').run();
            outcomes.push({ ok: true, value, notes: tx.notes });
          } catch (error) {
            this.#statement('ROLLBACK TO atoll_tx').run();
            this.#statement('RELEASE atoll_tx').run();
            outcomes.push({ ok: false, value: error });
          }
        }
        this.#statement('COMMIT').run();
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    } finally {
      this.#open = undefined;
      release();
      if (this.#queue.length > 0 && !this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.#flush());
      }
    }
    const durable: number[] = [];
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (!outcome.ok) item.reject(outcome.value);
      else if (!item.durable) this.#settle(item, outcome);
      else durable.push(i);
    });
    if (durable.length === 0) return;
    this.#commit.sync().then(
      () => durable.forEach((i) => this.#settle(batch[i]!, outcomes[i]!)),
      (error) => durable.forEach((i) => batch[i]!.reject(error)),
    );
  }

  #settle(item: Pending, outcome: { value: unknown; notes?: [string, string][] }): void {
    item.resolve(outcome.value);
    if (outcome.notes) for (const [channel, payload] of outcome.notes) this.signals.deliver(channel, payload);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    while (this.#queue.length > 0 || this.#open) {
      if (this.#open) await this.#open;
      else await this.#flush();
    }
    this.#endRead();
    await this.#commit.sync();
    this.#closed = true;
    this.#commit.close();
    this.db.close();
  }
}

export type { SqlExecutor };
