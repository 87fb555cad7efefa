// Group commit: writes from many requests in the same tick go into one SQLite transaction, so that
// one fsync makes all of them durable. Each caller's promise settles only after the commit, so an
// acknowledged write is on disk. A failing write rolls back only itself (a savepoint per write).
import type { SqliteDatabase } from './database.js';

interface Pending<T> {
  work: () => T;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit {
  readonly #db: SqliteDatabase;
  readonly #maxBatch: number;
  #queue: Pending<unknown>[] = [];
  #scheduled = false;

  constructor(db: SqliteDatabase, options: { maxBatch?: number } = {}) {
    this.#db = db;
    this.#maxBatch = options.maxBatch ?? 1000;
  }

  /**
   * Runs `work` (synchronous SQLite statements) inside the next shared transaction and resolves with
   * its result once that transaction has committed. If `work` throws, its own changes are rolled
   * back and the promise rejects; the other writes of the batch still commit.
   */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve, reject } as Pending<unknown>);
      if (this.#queue.length >= this.#maxBatch) this.flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits everything queued now. */
  flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    const outcomes: { ok: boolean; value: unknown }[] = [];
    const db = this.#db;
    try {
      db.transaction(() => {
        for (const item of batch) {
          try {
            outcomes.push({ ok: true, value: db.transaction(item.work)() });
          } catch (error) {
            outcomes.push({ ok: false, value: error });
          }
        }
      })();
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.value);
    });
  }
}
