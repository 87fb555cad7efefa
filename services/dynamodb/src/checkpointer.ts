// SQLite only: starts and stops the checkpoint worker (checkpoint-worker.ts) for one database file.
// The main connection keeps a high auto-checkpoint threshold only as a backstop if the worker cannot run.
import { Worker } from 'node:worker_threads';
import type { SqliteDatabase } from '@atoll/storage';

export class Checkpointer {
  readonly #worker: Worker;

  constructor(db: SqliteDatabase, file: string, intervalMs = 500) {
    // About 256 MB of WAL before the writer would checkpoint by itself.
    db.pragma('wal_autocheckpoint = 65536');
    this.#worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData: { file, intervalMs } });
    // The worker may fail after the store closed its connection (a close does not wait for it).
    this.#worker.on('error', () => {
      if (db.open) db.pragma('wal_autocheckpoint = 1000');
    });
    this.#worker.unref();
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.postMessage('stop');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
    await this.#worker.terminate();
  }
}
