// Group commit with the fsync off the event loop. Writes queued in one tick run in one SQLite
// transaction, committed with synchronous=NORMAL (the COMMIT writes the WAL but does not fsync);
// then one fdatasync of the WAL file runs on libuv's thread pool, and the writers' promises resolve
// when it has completed, so an acknowledged write is on disk while the event loop keeps serving.
// While one fdatasync is in flight the next ticks keep committing and share the next one (a
// pipeline). A write may ask not to wait for the disk (`durable: false`, e.g. a receive's
// visibility change); any later durable write's fsync covers it too.
// SQS, SNS and DynamoDB each arrived at this design; it lives here so they share one copy.
import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';
import type { SqliteDatabase, SqliteStatement } from './database.js';

interface Pending {
  work: () => unknown;
  durable: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitOptions {
  /** Commit at once when this many writes are queued (default 1000). */
  maxBatch?: number;
}

export class GroupCommit {
  readonly #db: SqliteDatabase;
  readonly #walPath: string | undefined;
  readonly #maxBatch: number;
  readonly #begin: SqliteStatement;
  readonly #commit: SqliteStatement;
  readonly #rollback: SqliteStatement;
  readonly #savepoint: SqliteStatement;
  readonly #release: SqliteStatement;
  readonly #rollbackTo: SqliteStatement;
  #walFd: number | undefined;
  #queue: Pending[] = [];
  #scheduled = false;
  #syncing: Promise<void> | undefined;
  #next: Promise<void> | undefined;
  #closed = false;

  /** `db` must be in WAL mode (openDatabase does that); this sets `synchronous = NORMAL` on it. */
  constructor(db: SqliteDatabase, options: GroupCommitOptions = {}) {
    this.#db = db;
    this.#walPath = db.memory ? undefined : `${db.name}-wal`;
    this.#maxBatch = options.maxBatch ?? 1000;
    db.pragma('synchronous = NORMAL');
    this.#begin = db.prepare('BEGIN');
    this.#commit = db.prepare('COMMIT');
    this.#rollback = db.prepare('ROLLBACK');
    this.#savepoint = db.prepare('SAVEPOINT atoll_write');
    this.#release = db.prepare('RELEASE atoll_write');
    this.#rollbackTo = db.prepare('ROLLBACK TO atoll_write');
  }

  /**
   * Runs `work` (synchronous SQLite statements) in the next shared transaction. Resolves with its
   * result after the commit and, unless `durable` is false, after the WAL has been fsynced. If
   * `work` throws, only its own changes roll back and its promise rejects.
   */
  run<T>(work: () => T, options: { durable?: boolean } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, durable: options.durable ?? true, resolve: resolve as (v: unknown) => void, reject });
      if (this.#queue.length >= this.#maxBatch) this.flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits everything queued now; durable writes settle after the next fdatasync. */
  flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      this.#begin.run();
      try {
        for (const item of batch) {
          // A savepoint per write, so that a failing write rolls back only itself.
          this.#savepoint.run();
          try {
            outcomes.push({ ok: true, value: item.work() });
            this.#release.run();
          } catch (error) {
            this.#rollbackTo.run();
            this.#release.run();
            outcomes.push({ ok: false, value: error });
          }
        }
        this.#commit.run();
      } catch (error) {
        if (this.#db.inTransaction) this.#rollback.run();
        throw error;
      }
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    const durable: { item: Pending; value: unknown }[] = [];
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (!outcome.ok) item.reject(outcome.value);
      else if (!item.durable) item.resolve(outcome.value);
      else durable.push({ item, value: outcome.value });
    });
    if (durable.length === 0) return;
    this.sync().then(
      () => durable.forEach(({ item, value }) => item.resolve(value)),
      (error) => durable.forEach(({ item }) => item.reject(error)),
    );
  }

  /**
   * Makes every transaction committed so far durable (fdatasync of the WAL off the event loop).
   * While one fdatasync runs, later callers share the next one.
   */
  sync(): Promise<void> {
    if (this.#walPath === undefined || this.#closed) return Promise.resolve();
    if (this.#syncing) {
      this.#next ??= this.#syncing.then(
        () => this.#startSync(),
        () => this.#startSync(),
      );
      return this.#next;
    }
    return this.#startSync();
  }

  #startSync(): Promise<void> {
    this.#next = undefined;
    const current = new Promise<void>((resolve, reject) => {
      if (this.#closed) return resolve();
      let fd: number;
      try {
        fd = this.#fd();
      } catch (error) {
        return reject(error);
      }
      fdatasync(fd, (error) => (error && !this.#closed ? reject(error) : resolve()));
    });
    this.#syncing = current;
    const clear = () => {
      if (this.#syncing === current) this.#syncing = undefined;
    };
    current.then(clear, clear);
    return current;
  }

  /** Makes every commit so far durable now, blocking (for rare writes made outside `run`). */
  syncNow(): void {
    if (this.#walPath === undefined) return;
    fdatasyncSync(this.#fd());
  }

  /** Commits what is queued, fsyncs synchronously and releases the WAL file. Call before closing the database. */
  close(): void {
    this.flush();
    if (this.#walPath !== undefined && (this.#walFd !== undefined || this.#db.open)) {
      try {
        fdatasyncSync(this.#fd());
      } catch {
        // The database may already be closed and its WAL removed: nothing left to sync.
      }
    }
    this.#closed = true;
    if (this.#walFd !== undefined) closeSync(this.#walFd);
    this.#walFd = undefined;
  }

  #fd(): number {
    this.#walFd ??= openSync(this.#walPath!, 'r');
    return this.#walFd;
  }
}
