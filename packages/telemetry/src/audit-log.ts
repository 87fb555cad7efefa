// The audit trail: one event per API call in CloudTrail's event shape, stored in SQLite. Events are
// written in batches of up to 256, at least every 20 ms (WAL, synchronous=NORMAL): a crash of the
// process can take at most the last 20 ms of events, a power loss the last unsynced ones. A batch is
// one row (as CloudTrail delivers its trail in files of events): a row per event cost ~17 µs of a
// busy server's time on every call. Queries read batches newest first, narrowed by their time
// range, and filter their events.
import { join } from 'node:path';
import type { SqliteDatabase, SqliteStatement } from '@atoll/storage';
import type { AuditEvent, AuditPage, AuditQuery, AuditTrail } from '@atoll/core';

export type { AuditEvent, AuditPage, AuditQuery } from '@atoll/core';

const MAX_BATCH = 256;
const FLUSH_INTERVAL_MS = 20;

const MIGRATIONS = [
  {
    version: 1,
    name: 'audit events',
    up: `CREATE TABLE audit_events (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      event_id TEXT NOT NULL UNIQUE,
      event_time TEXT NOT NULL,
      account_id TEXT NOT NULL,
      region TEXT NOT NULL,
      event_source TEXT NOT NULL,
      event_name TEXT NOT NULL,
      read_only INTEGER NOT NULL,
      error_code TEXT,
      event TEXT NOT NULL);
    CREATE INDEX audit_events_time ON audit_events (account_id, event_time);`,
  },
  {
    // A row per event cost ~17 µs per call on a busy server; a row per batch costs nearly nothing.
    // Version 2 (this table without its unique event-id index) existed only during development: a
    // trail at version 1 or 2 has the columns read here.
    version: 3,
    name: 'audit events in batches',
    up: `CREATE TABLE audit_batches (
      seq INTEGER PRIMARY KEY,
      first_time TEXT NOT NULL,
      last_time TEXT NOT NULL,
      events TEXT NOT NULL);
    INSERT INTO audit_batches (seq, first_time, last_time, events)
      SELECT seq, event_time, event_time, '[' || event || ']' FROM audit_events;
    DROP TABLE audit_events;
    CREATE INDEX audit_batches_time ON audit_batches (last_time);`,
  },
];

/** An event's position: its batch's seq times this, plus its index in the batch (MAX_BATCH is less). */
const POSITIONS_PER_BATCH = 1024;

/** Event times have whole seconds; bounds are compared in the same form. */
const eventTimeText = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The database opens in `open()`, which the platform calls right after its listener is up, so that
 * loading SQLite does not delay the first request; events recorded before are kept and written then.
 */
export class AuditLog implements AuditTrail {
  readonly #file: string;
  #db: SqliteDatabase | undefined;
  #insert: SqliteStatement | undefined;
  #opening: Promise<void> | undefined;
  #pending: AuditEvent[] = [];
  #scheduled = false;

  constructor(dataDir: string) {
    this.#file = join(dataDir, 'audit', 'audit.db');
  }

  open(): Promise<void> {
    this.#opening ??= import('@atoll/storage').then(({ openDatabase }) => {
      this.#db = openDatabase(this.#file, MIGRATIONS, { synchronous: 'normal' });
      this.#insert = this.#db.prepare('INSERT INTO audit_batches (first_time, last_time, events) VALUES (?, ?, ?)');
      this.flush();
    });
    return this.#opening;
  }

  #timer: NodeJS.Timeout | undefined;

  record(event: AuditEvent): void {
    this.#pending.push(event);
    if (this.#pending.length >= MAX_BATCH) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      this.#timer = setTimeout(() => this.flush(), FLUSH_INTERVAL_MS);
      this.#timer.unref();
    }
  }

  flush(): void {
    this.#scheduled = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const insert = this.#insert;
    if (!insert) return;
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    let first = batch[0]!.eventTime;
    let last = first;
    for (const e of batch) {
      if (e.eventTime < first) first = e.eventTime;
      if (e.eventTime > last) last = e.eventTime;
    }
    insert.run(first, last, JSON.stringify(batch));
  }

  /**
   * Newest first. `seq` is the event's position in the trail; pass it as `before` for the next page.
   */
  async query(q: AuditQuery): Promise<{ seq: number; event: AuditEvent }[]> {
    return (await this.page(q)).events;
  }

  /** A page of events, newest first, and where to read on (see AuditPage). */
  async page(q: AuditQuery): Promise<AuditPage> {
    await this.open();
    this.flush();
    const limit = q.limit ?? 50;
    const start = q.startTime ? eventTimeText(q.startTime) : undefined;
    const end = q.endTime ? eventTimeText(q.endTime) : undefined;
    const where = ['seq <= ?'];
    // `before` is exclusive: the newest batch to read is the one that holds position before - 1.
    const args: unknown[] = [q.before !== undefined ? Math.floor((q.before - 1) / POSITIONS_PER_BATCH) : Number.MAX_SAFE_INTEGER];
    if (start) (where.push('last_time >= ?'), args.push(start));
    if (end) (where.push('first_time <= ?'), args.push(end));
    const rows = this.#db!.prepare(`SELECT seq, events FROM audit_batches WHERE ${where.join(' AND ')} ORDER BY seq DESC`);
    const out: { seq: number; event: AuditEvent }[] = [];
    let read = 0;
    let lastSeq = 0;
    for (const row of rows.iterate(...args) as IterableIterator<{ seq: number; events: string }>) {
      // An older batch is left: the caller reads on from the start of the last one read.
      if (q.maxBatches !== undefined && read >= q.maxBatches) return { events: out, next: lastSeq * POSITIONS_PER_BATCH };
      read++;
      lastSeq = row.seq;
      const events = JSON.parse(row.events) as AuditEvent[];
      for (let i = events.length - 1; i >= 0; i--) {
        const position = row.seq * POSITIONS_PER_BATCH + i;
        const e = events[i]!;
        if (q.before !== undefined && position >= q.before) continue;
        if (e.recipientAccountId !== q.accountId) continue;
        if ((q.region && e.awsRegion !== q.region) || (q.eventName && e.eventName !== q.eventName) || (q.eventSource && e.eventSource !== q.eventSource)) continue;
        if ((start && e.eventTime < start) || (end && e.eventTime > end)) continue;
        if (q.match && !q.match(e)) continue;
        out.push({ seq: position, event: e });
        if (out.length >= limit) return { events: out, next: position };
      }
    }
    return { events: out };
  }

  async close(): Promise<void> {
    if (this.#pending.length > 0) await this.open();
    else if (this.#opening) await this.#opening;
    this.flush();
    this.#db?.close();
    this.#db = undefined;
  }
}
