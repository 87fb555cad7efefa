// Group commit whose fsync does not block the event loop. The database runs in WAL mode with
// synchronous=NORMAL, so a COMMIT only writes the WAL; each batch's promises settle after an
// fdatasync of the WAL file, run on libuv's thread pool, so an acknowledged write is on disk while
// requests keep being parsed and served during the flush. (@atoll/storage's GroupCommit fsyncs
// inside COMMIT, on the event loop; this is the same contract without that stall.)
import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';
import type { SqliteDatabase } from '@atoll/storage';

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class DurableCommit {
  readonly #db: SqliteDatabase;
  readonly #walPath: string;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  #scheduled = false;
  #walFd: number | undefined;
  #syncing: Promise<void> | undefined;
  #next: Promise<void> | undefined;
  readonly #begin;
  readonly #commit;
  readonly #rollback;
  readonly #savepoint;
  readonly #release;
  readonly #rollbackTo;

  constructor(db: SqliteDatabase, databaseFile: string, options: { maxBatch?: number } = {}) {
    this.#db = db;
    this.#begin = db.prepare('BEGIN');
    this.#commit = db.prepare('COMMIT');
    this.#rollback = db.prepare('ROLLBACK');
    this.#savepoint = db.prepare('SAVEPOINT atoll_write');
    this.#release = db.prepare('RELEASE atoll_write');
    this.#rollbackTo = db.prepare('ROLLBACK TO atoll_write');
    this.#walPath = `${databaseFile}-wal`;
    this.#maxBatch = options.maxBatch ?? 1000;
  }

  /**
   * Runs `work` (synchronous SQLite statements) inside the next shared transaction and resolves with
   * its result once the transaction is durable. If `work` throws, only its own changes roll back.
   */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      if (this.#queue.length >= this.#maxBatch) this.flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits everything queued now; the promises settle after the WAL is synced. */
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
    const settle = (syncError?: unknown) =>
      batch.forEach((item, i) => {
        const outcome = outcomes[i]!;
        if (!outcome.ok) item.reject(outcome.value);
        else if (syncError) item.reject(syncError);
        else item.resolve(outcome.value);
      });
    if (outcomes.every((o) => !o.ok)) settle();
    else this.sync().then(() => settle(), settle);
  }

  /**
   * Makes every transaction committed so far durable (fdatasync of the WAL off the event loop).
   * While one fdatasync runs, later callers share the next one, so that a burst of batches costs two
   * syncs rather than one each.
   */
  sync(): Promise<void> {
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
      fdatasync(this.#fd(), (error) => (error ? reject(error) : resolve()));
    });
    this.#syncing = current;
    const clear = () => {
      if (this.#syncing === current) this.#syncing = undefined;
    };
    current.then(clear, clear);
    return current;
  }

  /** Flushes the queue and syncs before returning (shutdown). */
  close(): void {
    this.flush();
    if (this.#walFd !== undefined) {
      fdatasyncSync(this.#walFd);
      closeSync(this.#walFd);
      this.#walFd = undefined;
    }
  }

  #fd(): number {
    if (this.#walFd === undefined) this.#walFd = openSync(this.#walPath, 'r');
    return this.#walFd;
  }
}
