// Function logs (START/END/REPORT and the runtime's output) in their own SQLite database. Logs are
// written in batches on a timer with synchronous=NORMAL: like CloudWatch Logs' own delivery they
// are asynchronous to the invocation, and an fsync per invocation would cost more than the invocation.
import { join } from 'node:path';
import { openDatabase, type SqliteDatabase } from '@atoll/storage';

const MIGRATIONS = [
  {
    version: 1,
    name: 'init',
    up: `
      CREATE TABLE log_events (id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, region TEXT NOT NULL,
        log_group TEXT NOT NULL, log_stream TEXT NOT NULL, timestamp INTEGER NOT NULL, message TEXT NOT NULL);
      CREATE INDEX log_events_by_group ON log_events (account, region, log_group, id);
    `,
  },
];

export interface StoredLogEvent {
  id: number;
  logStream: string;
  timestamp: number;
  message: string;
}

interface PendingRow {
  account: string;
  region: string;
  logGroup: string;
  logStream: string;
  timestamp: number;
  message: string;
}

export class LogStore {
  readonly #db: SqliteDatabase;
  #pending: PendingRow[] = [];
  #timer?: NodeJS.Timeout;

  constructor(dir: string, readonly flushMs = 200) {
    this.#db = openDatabase(join(dir, 'logs.db'), MIGRATIONS, { synchronous: 'normal' });
  }

  append(scope: { account: string; region: string }, logGroup: string, logStream: string, events: { timestamp: number; message: string }[]): void {
    for (const e of events) this.#pending.push({ account: scope.account, region: scope.region, logGroup, logStream, timestamp: e.timestamp, message: e.message });
    if (this.#pending.length >= 5000) this.flush();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => this.flush(), this.flushMs);
      this.#timer.unref();
    }
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    const rows = this.#pending;
    this.#pending = [];
    const insert = this.#db.prepare('INSERT INTO log_events (account, region, log_group, log_stream, timestamp, message) VALUES (?, ?, ?, ?, ?, ?)');
    this.#db.transaction(() => {
      for (const r of rows) insert.run(r.account, r.region, r.logGroup, r.logStream, r.timestamp, r.message);
    })();
  }

  read(scope: { account: string; region: string }, logGroup: string, afterId = 0, limit = 10_000): StoredLogEvent[] {
    this.flush();
    return this.#db
      .prepare('SELECT id, log_stream AS logStream, timestamp, message FROM log_events WHERE account = ? AND region = ? AND log_group = ? AND id > ? ORDER BY id LIMIT ?')
      .all(scope.account, scope.region, logGroup, afterId, limit) as StoredLogEvent[];
  }

  close(): void {
    this.flush();
    this.#db.close();
  }
}
