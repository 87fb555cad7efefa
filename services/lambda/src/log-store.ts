// Function logs (START/END/REPORT and the runtime's output) in their own store (`lambda/logs.db` on
// SQLite, schema `lambda_logs` on PostgreSQL). Logs are buffered and written in batches on a timer,
// without waiting for an fsync: like CloudWatch Logs' own delivery they are asynchronous to the
// invocation, and an fsync per invocation would cost more than the invocation.
import type { StorageBackend, StoreDatabase, StoreMigration } from '@atoll/core';

const MIGRATIONS: readonly StoreMigration[] = [
  {
    version: 1,
    name: 'init',
    up: {
      sqlite: `
      CREATE TABLE log_events (id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, region TEXT NOT NULL,
        log_group TEXT NOT NULL, log_stream TEXT NOT NULL, timestamp INTEGER NOT NULL, message TEXT NOT NULL);
      CREATE INDEX log_events_by_group ON log_events (account, region, log_group, id);
    `,
      postgres: `
      CREATE TABLE log_events (id BIGSERIAL PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL,
        log_group TEXT NOT NULL, log_stream TEXT NOT NULL, timestamp BIGINT NOT NULL, message TEXT NOT NULL);
      CREATE INDEX log_events_by_group ON log_events (account, region, log_group, id);
    `,
    },
  },
];

/** Rows per INSERT statement: powers of two up to this, so that a few statement texts serve every batch. */
const MAX_ROWS_PER_INSERT = 256;
const INSERT_COLUMNS = 'INSERT INTO log_events (account, region, log_group, log_stream, timestamp, message) VALUES ';
const READ =
  'SELECT id, log_stream AS "logStream", timestamp, message FROM log_events WHERE account = ? AND region = ? AND log_group = ? AND id > ? ORDER BY id LIMIT ?';

export interface StoredLogEvent {
  id: number;
  logStream: string;
  timestamp: number;
  message: string;
}

export class LogStore {
  readonly #db: StoreDatabase;
  readonly #inserts = new Map<number, string>();
  /** Six parameters per event, in column order. */
  #pending: (string | number)[] = [];
  #timer?: NodeJS.Timeout;
  #flushing: Promise<void> = Promise.resolve();

  private constructor(db: StoreDatabase, readonly flushMs: number) {
    this.#db = db;
  }

  static async open(storage: StorageBackend, flushMs = 200): Promise<LogStore> {
    return new LogStore(await storage.open('lambda_logs', MIGRATIONS, { file: 'lambda/logs.db' }), flushMs);
  }

  append(scope: { account: string; region: string }, logGroup: string, logStream: string, events: { timestamp: number; message: string }[]): void {
    for (const e of events) this.#pending.push(scope.account, scope.region, logGroup, logStream, e.timestamp, e.message);
    if (this.#pending.length >= 5000 * 6) void this.flush();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => void this.flush(), this.flushMs);
      this.#timer.unref();
    }
  }

  /** Writes what is buffered; resolves once it (and every earlier flush) is written or given up. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return this.#flushing;
    const params = this.#pending;
    this.#pending = [];
    const write = this.#flushing.then(() =>
      this.#db.transaction(async (tx) => {
        let offset = 0;
        while (offset < params.length) {
          const rows = largestPowerOfTwo(Math.min((params.length - offset) / 6, MAX_ROWS_PER_INSERT));
          await tx.run(this.#insert(rows), params.slice(offset, offset + rows * 6));
          offset += rows * 6;
        }
      }, { durable: false }),
    );
    // A failed write loses that batch of log lines only; later flushes go on.
    this.#flushing = write.catch(() => {});
    return this.#flushing;
  }

  async read(scope: { account: string; region: string }, logGroup: string, afterId = 0, limit = 10_000): Promise<StoredLogEvent[]> {
    await this.flush();
    return this.#db.all<StoredLogEvent>(READ, [scope.account, scope.region, logGroup, afterId, limit]);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.#db.close();
  }

  #insert(rows: number): string {
    let sql = this.#inserts.get(rows);
    if (!sql) this.#inserts.set(rows, (sql = INSERT_COLUMNS + Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?)').join(', ')));
    return sql;
  }
}

function largestPowerOfTwo(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}
