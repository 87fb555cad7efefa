// The audit trail: one event per API call in CloudTrail's event shape, stored in SQLite. Events are
// written in batches of up to 256, at least every 20 ms (WAL, synchronous=NORMAL): a crash of the
// process can take at most the last 20 ms of events, a power loss the last unsynced ones. The
// CloudTrail service reads them back.
import { join } from 'node:path';
import type { SqliteDatabase, SqliteStatement } from '@atoll/storage';
import type { CallerIdentity } from '@atoll/core';

export interface AuditEvent {
  eventVersion: '1.08';
  eventID: string;
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  sourceIPAddress: string;
  userAgent: string;
  userIdentity: {
    type: CallerIdentity['type'];
    principalId: string;
    arn: string;
    accountId: string;
    accessKeyId?: string;
    userName?: string;
  };
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
  errorCode?: string;
  errorMessage?: string;
  requestID: string;
  readOnly: boolean;
  eventType: 'AwsApiCall';
  managementEvent: boolean;
  recipientAccountId: string;
}

export interface AuditQuery {
  accountId: string;
  region?: string;
  eventName?: string;
  eventSource?: string;
  startTime?: Date;
  endTime?: Date;
  limit?: number;
  /** Return events older than this sequence number (for pagination). */
  before?: number;
}

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
    // The unique index on the random event id cost a random B-tree insert per call (more than half
    // of the audit's write time) and no lookup used it. Rows are appended in time order, so the
    // time index only ever grows at its end.
    version: 2,
    name: 'audit events without the event id index',
    up: `CREATE TABLE audit_events_v2 (
      seq INTEGER PRIMARY KEY,
      event_time TEXT NOT NULL,
      account_id TEXT NOT NULL,
      region TEXT NOT NULL,
      event_source TEXT NOT NULL,
      event_name TEXT NOT NULL,
      read_only INTEGER NOT NULL,
      error_code TEXT,
      event TEXT NOT NULL);
    INSERT INTO audit_events_v2 (seq, event_time, account_id, region, event_source, event_name, read_only, error_code, event)
      SELECT seq, event_time, account_id, region, event_source, event_name, read_only, error_code, event FROM audit_events;
    DROP TABLE audit_events;
    ALTER TABLE audit_events_v2 RENAME TO audit_events;
    CREATE INDEX audit_events_time ON audit_events (event_time);`,
  },
];

/**
 * The database opens in `open()`, which the platform calls right after its listener is up, so that
 * loading SQLite does not delay the first request; events recorded before are kept and written then.
 */
export class AuditLog {
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
      this.#insert = this.#db.prepare(
        `INSERT INTO audit_events (event_time, account_id, region, event_source, event_name, read_only, error_code, event)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
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
    const db = this.#db;
    const insert = this.#insert;
    if (!db || !insert) return;
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    db.transaction(() => {
      for (const e of batch) {
        insert.run(
          e.eventTime,
          e.recipientAccountId,
          e.awsRegion,
          e.eventSource,
          e.eventName,
          e.readOnly ? 1 : 0,
          e.errorCode ?? null,
          JSON.stringify(e),
        );
      }
    })();
  }

  /** Newest first. */
  async query(q: AuditQuery): Promise<{ seq: number; event: AuditEvent }[]> {
    await this.open();
    this.flush();
    const where = ['account_id = ?'];
    const args: unknown[] = [q.accountId];
    if (q.region) (where.push('region = ?'), args.push(q.region));
    if (q.eventName) (where.push('event_name = ?'), args.push(q.eventName));
    if (q.eventSource) (where.push('event_source = ?'), args.push(q.eventSource));
    if (q.startTime) (where.push('event_time >= ?'), args.push(q.startTime.toISOString()));
    if (q.endTime) (where.push('event_time <= ?'), args.push(q.endTime.toISOString()));
    if (q.before) (where.push('seq < ?'), args.push(q.before));
    const rows = this.#db!
      .prepare(`SELECT seq, event FROM audit_events WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`)
      .all(...args, q.limit ?? 50) as { seq: number; event: string }[];
    return rows.map((r) => ({ seq: r.seq, event: JSON.parse(r.event) as AuditEvent }));
  }

  async close(): Promise<void> {
    if (this.#pending.length > 0) await this.open();
    else if (this.#opening) await this.#opening;
    this.flush();
    this.#db?.close();
    this.#db = undefined;
  }
}
