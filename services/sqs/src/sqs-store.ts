// SQS state on SQLite: queues (cached in memory, written through) and messages, with every message
// write (send, receive, delete, visibility change) batched by group commit so that one fsync covers a
// tick's requests. Receive, delete and visibility changes use indexes only. It owns no AWS semantics
// beyond the queue mechanics (visibility, FIFO group locks, dedup, dead-letter moves, retention).
import { join } from 'node:path';
import { GroupCommit, openDatabase, type Migration, type SqliteDatabase, type SqliteStatement } from '@atoll/storage';
import { newNonce } from './receipt-handle.js';
import { settingsOf, type QueueSettings } from './queue-attributes.js';

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'queues and messages',
    up: `
      CREATE TABLE queues (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
        fifo INTEGER NOT NULL, attributes TEXT NOT NULL, tags TEXT NOT NULL,
        created_at INTEGER NOT NULL, modified_at INTEGER NOT NULL, last_purge_at INTEGER,
        UNIQUE (account_id, region, name));
      CREATE TABLE messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        queue_id INTEGER NOT NULL,
        message_id TEXT NOT NULL,
        body TEXT NOT NULL, md5_body TEXT NOT NULL,
        attributes TEXT, md5_attributes TEXT,
        system_attributes TEXT, md5_system_attributes TEXT,
        sender_id TEXT NOT NULL,
        sent_at INTEGER NOT NULL, visible_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
        receive_count INTEGER NOT NULL DEFAULT 0, first_receive_at INTEGER, received_at INTEGER, receipt_nonce TEXT,
        group_id TEXT, dedup_id TEXT, dlq_source_arn TEXT);
      CREATE INDEX messages_visible ON messages (queue_id, visible_at);
      CREATE INDEX messages_group ON messages (queue_id, group_id, seq) WHERE group_id IS NOT NULL;
      CREATE INDEX messages_expiry ON messages (expires_at);
      CREATE TABLE dedup (
        queue_id INTEGER NOT NULL, dedup_key TEXT NOT NULL, message_id TEXT NOT NULL, seq INTEGER NOT NULL,
        expires_at INTEGER NOT NULL, PRIMARY KEY (queue_id, dedup_key)) WITHOUT ROWID;
      CREATE INDEX dedup_expiry ON dedup (expires_at);
      CREATE TABLE move_tasks (
        task_handle TEXT PRIMARY KEY, account_id TEXT NOT NULL, region TEXT NOT NULL,
        source_arn TEXT NOT NULL, destination_arn TEXT, max_per_second INTEGER,
        status TEXT NOT NULL, moved INTEGER NOT NULL, to_move INTEGER NOT NULL,
        started_at INTEGER NOT NULL, failure_reason TEXT);
      CREATE INDEX move_tasks_source ON move_tasks (source_arn, started_at);
    `,
  },
];

export interface QueueRecord {
  id: number;
  accountId: string;
  region: string;
  name: string;
  arn: string;
  fifo: boolean;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  createdAt: number;
  modifiedAt: number;
  lastPurgeAt: number | null;
  settings: QueueSettings;
  deleted: boolean;
}

export interface MessageRow {
  seq: number;
  queue_id: number;
  message_id: string;
  body: string;
  md5_body: string;
  attributes: string | null;
  md5_attributes: string | null;
  system_attributes: string | null;
  md5_system_attributes: string | null;
  sender_id: string;
  sent_at: number;
  visible_at: number;
  expires_at: number;
  receive_count: number;
  first_receive_at: number | null;
  received_at: number | null;
  receipt_nonce: string | null;
  group_id: string | null;
  dedup_id: string | null;
  dlq_source_arn: string | null;
}

export interface NewMessage {
  messageId: string;
  body: string;
  md5Body: string;
  attributes: string | null;
  md5Attributes: string | null;
  systemAttributes: string | null;
  md5SystemAttributes: string | null;
  senderId: string;
  delaySeconds: number;
  groupId?: string;
  dedupId?: string;
}

export interface SendOutcome {
  messageId: string;
  seq: number;
  /** True when a FIFO deduplication id matched an earlier message; nothing was enqueued. */
  duplicate: boolean;
}

export interface MoveTaskRow {
  task_handle: string;
  account_id: string;
  region: string;
  source_arn: string;
  destination_arn: string | null;
  max_per_second: number | null;
  status: string;
  moved: number;
  to_move: number;
  started_at: number;
  failure_reason: string | null;
}

export class StaleReceiptError extends Error {
  constructor(readonly reason: 'wrong-queue' | 'expired' | 'missing') {
    super(reason);
  }
}

export class NotInFlightError extends Error {}

/** A visibility change would keep the message hidden more than 12 hours after it was received. */
export class VisibilityLimitError extends Error {}

const DEDUP_WINDOW_MS = 5 * 60 * 1000;
const MAX_VISIBILITY_MS = 12 * 60 * 60 * 1000;

export const queueKey = (accountId: string, region: string, name: string): string => `${accountId}\u0000${region}\u0000${name}`;

export class SqsStore {
  readonly db: SqliteDatabase;
  readonly #group: GroupCommit;
  readonly #queues = new Map<string, QueueRecord>();
  readonly #byId = new Map<number, QueueRecord>();
  readonly #s: Record<string, SqliteStatement>;
  /** Per FIFO queue, the message group the last receive stopped at (receives rotate over groups). */
  readonly #fifoCursor = new Map<number, string>();
  /** Called after a commit made messages available in these queues. */
  onAvailable: (queue: QueueRecord) => void = () => {};

  constructor(dir: string) {
    this.db = openDatabase(join(dir, 'sqs.db'), MIGRATIONS);
    this.#group = new GroupCommit(this.db);
    const db = this.db;
    this.#s = {
      insertQueue: db.prepare(`INSERT INTO queues (account_id, region, name, fifo, attributes, tags, created_at, modified_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      updateQueue: db.prepare('UPDATE queues SET attributes = ?, tags = ?, modified_at = ?, last_purge_at = ? WHERE id = ?'),
      deleteQueue: db.prepare('DELETE FROM queues WHERE id = ?'),
      deleteQueueMessages: db.prepare('DELETE FROM messages WHERE queue_id = ?'),
      deleteQueueDedup: db.prepare('DELETE FROM dedup WHERE queue_id = ?'),
      insertMessage: db.prepare(`INSERT INTO messages (queue_id, message_id, body, md5_body, attributes, md5_attributes,
        system_attributes, md5_system_attributes, sender_id, sent_at, visible_at, expires_at, receive_count, group_id, dedup_id, dlq_source_arn)
        VALUES (@queue_id, @message_id, @body, @md5_body, @attributes, @md5_attributes, @system_attributes, @md5_system_attributes,
        @sender_id, @sent_at, @visible_at, @expires_at, @receive_count, @group_id, @dedup_id, @dlq_source_arn)`),
      getDedup: db.prepare('SELECT message_id, seq, expires_at FROM dedup WHERE queue_id = ? AND dedup_key = ?'),
      putDedup: db.prepare('INSERT OR REPLACE INTO dedup (queue_id, dedup_key, message_id, seq, expires_at) VALUES (?, ?, ?, ?, ?)'),
      visibleStandard: db.prepare(
        'SELECT * FROM messages INDEXED BY messages_visible WHERE queue_id = ? AND visible_at <= ? ORDER BY visible_at LIMIT ?',
      ),
      nextGroupHead: db.prepare(
        `SELECT * FROM messages INDEXED BY messages_group WHERE queue_id = ? AND group_id IS NOT NULL AND group_id > ?
         ORDER BY group_id, seq LIMIT 1`,
      ),
      groupMessages: db.prepare(
        'SELECT * FROM messages INDEXED BY messages_group WHERE queue_id = ? AND group_id = ? AND seq >= ? ORDER BY seq LIMIT ?',
      ),
      anyVisible: db.prepare('SELECT 1 FROM messages INDEXED BY messages_visible WHERE queue_id = ? AND visible_at <= ? LIMIT 1').pluck(),
      nextVisible: db.prepare('SELECT MIN(visible_at) FROM messages WHERE queue_id = ?').pluck(),
      markReceived: db.prepare(
        `UPDATE messages SET visible_at = @visibleAt, receive_count = receive_count + 1,
         first_receive_at = COALESCE(first_receive_at, @now), received_at = @now, receipt_nonce = @nonce WHERE seq = @seq`,
      ),
      getBySeq: db.prepare('SELECT queue_id, receipt_nonce, visible_at, received_at FROM messages WHERE seq = ?'),
      deleteBySeq: db.prepare('DELETE FROM messages WHERE seq = ?'),
      setVisibleAt: db.prepare('UPDATE messages SET visible_at = ? WHERE seq = ?'),
      countVisible: db.prepare('SELECT COUNT(*) FROM messages WHERE queue_id = ? AND visible_at <= ?').pluck(),
      countInvisible: db.prepare(
        'SELECT COUNT(*) FROM messages WHERE queue_id = ? AND visible_at > ? AND receive_count > 0',
      ).pluck(),
      countDelayed: db.prepare('SELECT COUNT(*) FROM messages WHERE queue_id = ? AND visible_at > ? AND receive_count = 0').pluck(),
      countAll: db.prepare('SELECT COUNT(*) FROM messages WHERE queue_id = ?').pluck(),
      expiredMessages: db.prepare('DELETE FROM messages WHERE expires_at <= ?'),
      expiredDedup: db.prepare('DELETE FROM dedup WHERE expires_at <= ?'),
      oldestVisible: db.prepare(
        'SELECT * FROM messages INDEXED BY messages_visible WHERE queue_id = ? AND visible_at <= ? ORDER BY visible_at LIMIT ?',
      ),
      insertTask: db.prepare(`INSERT INTO move_tasks (task_handle, account_id, region, source_arn, destination_arn, max_per_second,
        status, moved, to_move, started_at) VALUES (@task_handle, @account_id, @region, @source_arn, @destination_arn,
        @max_per_second, @status, @moved, @to_move, @started_at)`),
      updateTask: db.prepare('UPDATE move_tasks SET status = ?, moved = ?, failure_reason = ? WHERE task_handle = ?'),
      getTask: db.prepare('SELECT * FROM move_tasks WHERE task_handle = ?'),
      tasksBySource: db.prepare('SELECT * FROM move_tasks WHERE source_arn = ? ORDER BY started_at DESC LIMIT ?'),
      runningTasks: db.prepare("SELECT * FROM move_tasks WHERE status IN ('RUNNING', 'CANCELLING')"),
    };
    for (const row of db.prepare('SELECT * FROM queues').all() as Record<string, unknown>[]) this.#cache(row);
  }

  #cache(row: Record<string, unknown>): QueueRecord {
    const attributes = JSON.parse(row.attributes as string) as Record<string, string>;
    const q: QueueRecord = {
      id: row.id as number,
      accountId: row.account_id as string,
      region: row.region as string,
      name: row.name as string,
      arn: `arn:aws:sqs:${row.region as string}:${row.account_id as string}:${row.name as string}`,
      fifo: row.fifo === 1,
      attributes,
      tags: JSON.parse(row.tags as string) as Record<string, string>,
      createdAt: row.created_at as number,
      modifiedAt: row.modified_at as number,
      lastPurgeAt: (row.last_purge_at as number | null) ?? null,
      settings: settingsOf(attributes),
      deleted: false,
    };
    this.#queues.set(queueKey(q.accountId, q.region, q.name), q);
    this.#byId.set(q.id, q);
    return q;
  }

  // ---- queues -------------------------------------------------------------------------------

  getQueue(accountId: string, region: string, name: string): QueueRecord | undefined {
    return this.#queues.get(queueKey(accountId, region, name));
  }

  getQueueById(id: number): QueueRecord | undefined {
    return this.#byId.get(id);
  }

  getQueueByArn(arn: string): QueueRecord | undefined {
    const parts = arn.split(':');
    if (parts.length !== 6 || parts[2] !== 'sqs') return undefined;
    return this.getQueue(parts[4]!, parts[3]!, parts[5]!);
  }

  listQueues(accountId: string, region: string): QueueRecord[] {
    const out: QueueRecord[] = [];
    for (const q of this.#queues.values()) if (q.accountId === accountId && q.region === region) out.push(q);
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  createQueue(accountId: string, region: string, name: string, fifo: boolean, attributes: Record<string, string>, tags: Record<string, string>): QueueRecord {
    const now = Math.floor(Date.now() / 1000);
    const info = this.#s.insertQueue.run(accountId, region, name, fifo ? 1 : 0, JSON.stringify(attributes), JSON.stringify(tags), now, now);
    this.#group.syncNow();
    return this.#cache({
      id: Number(info.lastInsertRowid), account_id: accountId, region, name, fifo: fifo ? 1 : 0,
      attributes: JSON.stringify(attributes), tags: JSON.stringify(tags), created_at: now, modified_at: now, last_purge_at: null,
    });
  }

  /** Writes a queue's attributes, tags and purge time after the caller changed them on the record. */
  saveQueue(q: QueueRecord, touch = true): void {
    if (touch) q.modifiedAt = Math.floor(Date.now() / 1000);
    q.settings = settingsOf(q.attributes);
    this.#s.updateQueue.run(JSON.stringify(q.attributes), JSON.stringify(q.tags), q.modifiedAt, q.lastPurgeAt, q.id);
    this.#group.syncNow();
  }

  async deleteQueue(q: QueueRecord): Promise<void> {
    q.deleted = true;
    this.#queues.delete(queueKey(q.accountId, q.region, q.name));
    this.#byId.delete(q.id);
    await this.#group.run(() => {
      this.#s.deleteQueueMessages.run(q.id);
      this.#s.deleteQueueDedup.run(q.id);
      this.#s.deleteQueue.run(q.id);
    });
  }

  // ---- messages -----------------------------------------------------------------------------

  /** Enqueues messages durably (FIFO: deduplicated within 5 minutes); resolves after the commit. */
  async send(q: QueueRecord, messages: readonly NewMessage[]): Promise<SendOutcome[]> {
    const outcomes = await this.#group.run(() => {
      if (q.deleted) throw new QueueGoneError();
      const now = Date.now();
      const results: SendOutcome[] = [];
      for (const m of messages) {
        let dedupKey: string | undefined;
        if (q.fifo && m.dedupId !== undefined) {
          dedupKey = q.attributes.DeduplicationScope === 'messageGroup' ? `${m.groupId}\u0000${m.dedupId}` : m.dedupId;
          const prior = this.#s.getDedup.get(q.id, dedupKey) as { message_id: string; seq: number; expires_at: number } | undefined;
          if (prior && prior.expires_at > now) {
            results.push({ messageId: prior.message_id, seq: prior.seq, duplicate: true });
            continue;
          }
        }
        const info = this.#s.insertMessage.run({
          queue_id: q.id,
          message_id: m.messageId,
          body: m.body,
          md5_body: m.md5Body,
          attributes: m.attributes,
          md5_attributes: m.md5Attributes,
          system_attributes: m.systemAttributes,
          md5_system_attributes: m.md5SystemAttributes,
          sender_id: m.senderId,
          sent_at: now,
          visible_at: now + m.delaySeconds * 1000,
          expires_at: now + q.settings.retentionSeconds * 1000,
          receive_count: 0,
          group_id: m.groupId ?? null,
          dedup_id: m.dedupId ?? null,
          dlq_source_arn: null,
        });
        const seq = Number(info.lastInsertRowid);
        if (dedupKey !== undefined) this.#s.putDedup.run(q.id, dedupKey, m.messageId, seq, now + DEDUP_WINDOW_MS);
        results.push({ messageId: m.messageId, seq, duplicate: false });
      }
      return results;
    });
    if (outcomes.some((o) => !o.duplicate)) this.onAvailable(q);
    return outcomes;
  }

  /** True when a receive could return something now (no write, no wait). */
  hasVisible(q: QueueRecord, now = Date.now()): boolean {
    return this.#s.anyVisible.get(q.id, now) !== undefined;
  }

  /** The earliest time at which some message of the queue becomes visible, if any. */
  nextVisibleAt(q: QueueRecord): number | undefined {
    return (this.#s.nextVisible.get(q.id) as number | null) ?? undefined;
  }

  /**
   * Takes up to `max` visible messages, hides them for `visibilitySeconds` and gives each a new
   * receipt nonce. Expired messages are dropped, and messages over the redrive policy's
   * maxReceiveCount move to the dead-letter queue instead of being returned.
   */
  async receive(q: QueueRecord, max: number, visibilitySeconds: number): Promise<MessageRow[]> {
    const touched = new Set<QueueRecord>();
    const rows = await this.#group.run(() => {
      if (q.deleted) throw new QueueGoneError();
      const now = Date.now();
      const out: MessageRow[] = [];
      const take = (row: MessageRow): boolean => {
        if (row.expires_at <= now) {
          this.#s.deleteBySeq.run(row.seq);
          return false;
        }
        const redrive = q.settings.redrive;
        if (redrive && row.receive_count >= redrive.maxReceiveCount) {
          const dlq = this.getQueueByArn(redrive.deadLetterTargetArn);
          if (dlq && dlq.id !== q.id) {
            this.#moveRow(row, dlq, now, q.arn);
            touched.add(dlq);
            return false;
          }
        }
        const nonce = newNonce();
        const visibleAt = now + visibilitySeconds * 1000;
        this.#s.markReceived.run({ visibleAt, now, nonce, seq: row.seq });
        row.visible_at = visibleAt;
        row.receive_count += 1;
        row.first_receive_at ??= now;
        row.received_at = now;
        row.receipt_nonce = nonce;
        out.push(row);
        return true;
      };
      if (!q.fifo) {
        // Rounds repeat only when rows were dropped (expired, dead-lettered); rows taken with a zero
        // visibility timeout stay visible and are skipped by `seen`.
        const seen = new Set<number>();
        for (let round = 0; round < 20 && out.length < max; round++) {
          const batch = this.#s.visibleStandard.all(q.id, now, max - out.length + seen.size) as MessageRow[];
          let dropped = false;
          for (const row of batch) {
            if (seen.has(row.seq) || out.length >= max) continue;
            seen.add(row.seq);
            if (!take(row)) dropped = true;
          }
          if (!dropped) break;
        }
        return out;
      }
      // FIFO: visit message groups in turn from a rotating cursor (one index seek per group). A group
      // whose head is invisible (in flight or delayed) is locked; an unlocked group gives its
      // messages in order until one is not visible. At most 1,000 groups are visited per receive.
      const cursor = this.#fifoCursor.get(q.id) ?? '';
      let group = cursor;
      let wrapped = false;
      for (let visited = 0; visited < 1000 && out.length < max; ) {
        const head = this.#s.nextGroupHead.get(q.id, group) as MessageRow | undefined;
        if (!head || (wrapped && head.group_id! > cursor)) {
          if (wrapped || cursor === '') break;
          wrapped = true;
          group = '';
          continue;
        }
        visited++;
        group = head.group_id!;
        if (head.visible_at > now) continue;
        let from = head.seq;
        for (let page = 0; page < 10 && out.length < max; page++) {
          const rows = this.#s.groupMessages.all(q.id, group, from, max - out.length + 1) as MessageRow[];
          let stop = rows.length === 0;
          for (const row of rows) {
            from = row.seq + 1;
            if (out.length >= max || row.visible_at > now) {
              stop = true;
              break;
            }
            // A message dropped (expired, dead-lettered) lets the rest of its group follow in order.
            take(row);
          }
          if (stop) break;
        }
      }
      this.#fifoCursor.set(q.id, group);
      return out;
    }, { durable: false });
    for (const dlq of touched) this.onAvailable(dlq);
    return rows;
  }

  #moveRow(row: MessageRow, dest: QueueRecord, now: number, sourceArn: string | null): void {
    this.#s.deleteBySeq.run(row.seq);
    this.#s.insertMessage.run({
      queue_id: dest.id,
      message_id: row.message_id,
      body: row.body,
      md5_body: row.md5_body,
      attributes: row.attributes,
      md5_attributes: row.md5_attributes,
      system_attributes: row.system_attributes,
      md5_system_attributes: row.md5_system_attributes,
      sender_id: row.sender_id,
      sent_at: dest.fifo ? now : row.sent_at,
      visible_at: now,
      expires_at: (dest.fifo ? now : row.sent_at) + dest.settings.retentionSeconds * 1000,
      receive_count: 0,
      group_id: dest.fifo ? (row.group_id ?? 'default') : null,
      dedup_id: dest.fifo ? row.dedup_id : null,
      dlq_source_arn: sourceArn,
    });
  }

  /**
   * Deletes the message a receipt handle names. A handle of an earlier receive of a message that was
   * received again deletes nothing (standard) or is refused as expired (FIFO).
   */
  deleteMessage(q: QueueRecord, seq: number, nonce: string): Promise<void> {
    return this.#group.run(() => {
      const row = this.#s.getBySeq.get(seq) as { queue_id: number; receipt_nonce: string | null; visible_at: number } | undefined;
      if (!row) return;
      if (row.queue_id !== q.id) throw new StaleReceiptError('wrong-queue');
      if (row.receipt_nonce !== nonce) {
        if (q.fifo) throw new StaleReceiptError('expired');
        return;
      }
      if (q.fifo && row.visible_at <= Date.now()) throw new StaleReceiptError('expired');
      this.#s.deleteBySeq.run(seq);
    });
  }

  /** Sets a received message's visibility timeout, counted from now. */
  async changeVisibility(q: QueueRecord, seq: number, nonce: string, seconds: number): Promise<void> {
    await this.#group.run(() => {
      const row = this.#s.getBySeq.get(seq) as { queue_id: number; receipt_nonce: string | null; visible_at: number; received_at: number | null } | undefined;
      if (!row || row.queue_id !== q.id || row.receipt_nonce !== nonce) throw new StaleReceiptError('missing');
      const now = Date.now();
      if (row.visible_at <= now) throw new NotInFlightError();
      if (now + seconds * 1000 - (row.received_at ?? now) > MAX_VISIBILITY_MS) throw new VisibilityLimitError();
      this.#s.setVisibleAt.run(now + seconds * 1000, seq);
    });
    if (seconds === 0) this.onAvailable(q);
  }

  /** Deletes every message of the queue. */
  purge(q: QueueRecord): Promise<void> {
    return this.#group.run(() => {
      this.#s.deleteQueueMessages.run(q.id);
    });
  }

  counts(q: QueueRecord): { visible: number; notVisible: number; delayed: number } {
    const now = Date.now();
    return {
      visible: this.#s.countVisible.get(q.id, now) as number,
      notVisible: this.#s.countInvisible.get(q.id, now) as number,
      delayed: this.#s.countDelayed.get(q.id, now) as number,
    };
  }

  countAll(q: QueueRecord): number {
    return this.#s.countAll.get(q.id) as number;
  }

  /**
   * Moves up to `max` visible messages from `source` to the queue `destinationOf(row)` names (a
   * message with no destination stays). Returns the number moved.
   */
  async moveMessages(source: QueueRecord, max: number, destinationOf: (row: MessageRow) => QueueRecord | undefined): Promise<number> {
    const touched = new Set<QueueRecord>();
    const moved = await this.#group.run(() => {
      if (source.deleted) return 0;
      const now = Date.now();
      const rows = this.#s.oldestVisible.all(source.id, now, max) as MessageRow[];
      let n = 0;
      for (const row of rows) {
        const dest = destinationOf(row);
        if (!dest || dest.deleted) continue;
        this.#moveRow(row, dest, now, null);
        touched.add(dest);
        n++;
      }
      return n;
    });
    for (const q of touched) this.onAvailable(q);
    return moved;
  }

  /** Removes messages past their retention period and deduplication ids past their window. */
  sweep(): Promise<void> {
    return this.#group.run(() => {
      const now = Date.now();
      this.#s.expiredMessages.run(now);
      this.#s.expiredDedup.run(now);
    }, { durable: false });
  }

  // ---- message move tasks -------------------------------------------------------------------

  insertTask(task: MoveTaskRow): void {
    this.#s.insertTask.run(task);
    this.#group.syncNow();
  }

  updateTask(handle: string, status: string, moved: number, failureReason: string | null = null): void {
    this.#s.updateTask.run(status, moved, failureReason, handle);
  }

  getTask(handle: string): MoveTaskRow | undefined {
    return this.#s.getTask.get(handle) as MoveTaskRow | undefined;
  }

  tasksBySource(sourceArn: string, limit: number): MoveTaskRow[] {
    return this.#s.tasksBySource.all(sourceArn, limit) as MoveTaskRow[];
  }

  runningTasks(): MoveTaskRow[] {
    return this.#s.runningTasks.all() as MoveTaskRow[];
  }

  close(): void {
    this.#group.close();
    this.db.close();
  }
}

/** The queue was deleted while a request on it waited for the commit. */
export class QueueGoneError extends Error {}
