// SNS state on SQLite: topics and subscriptions (cached in memory, written through), the outbox of
// published messages waiting for fan-out (written by group commit, so that a publish is durable
// before it is acknowledged and delivered after a crash), and FIFO deduplication ids.
import { join } from 'node:path';
import { GroupCommit, openDatabase, type Migration, type SqliteDatabase, type SqliteStatement } from '@atoll/storage';
import type { SnsAttributeValue } from './filter-policy.js';
import type { RetryPolicy } from './http-delivery.js';

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'topics, subscriptions, outbox',
    up: `
      CREATE TABLE topics (
        arn TEXT PRIMARY KEY, account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
        fifo INTEGER NOT NULL, attributes TEXT NOT NULL, tags TEXT NOT NULL, data_protection_policy TEXT,
        created_at INTEGER NOT NULL);
      CREATE TABLE subscriptions (
        arn TEXT PRIMARY KEY, topic_arn TEXT NOT NULL, account_id TEXT NOT NULL, region TEXT NOT NULL,
        protocol TEXT NOT NULL, endpoint TEXT NOT NULL, owner TEXT NOT NULL, attributes TEXT NOT NULL,
        confirmed INTEGER NOT NULL, token TEXT, created_at INTEGER NOT NULL);
      CREATE INDEX subscriptions_topic ON subscriptions (topic_arn);
      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT, topic_arn TEXT NOT NULL, message TEXT NOT NULL, created_at INTEGER NOT NULL);
      CREATE TABLE dedup (
        topic_arn TEXT NOT NULL, dedup_id TEXT NOT NULL, message_id TEXT NOT NULL, seq INTEGER NOT NULL,
        expires_at INTEGER NOT NULL, PRIMARY KEY (topic_arn, dedup_id)) WITHOUT ROWID;
      CREATE INDEX dedup_expiry ON dedup (expires_at);
    `,
  },
  {
    version: 2,
    name: 'durable http deliveries',
    up: `
      CREATE TABLE http_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT, subscription_arn TEXT NOT NULL, url TEXT NOT NULL, body TEXT NOT NULL,
        headers TEXT NOT NULL, policy TEXT NOT NULL, attempt INTEGER NOT NULL, next_at INTEGER NOT NULL);
      CREATE INDEX http_deliveries_due ON http_deliveries (next_at);
    `,
  },
];

export interface TopicRecord {
  arn: string;
  accountId: string;
  region: string;
  name: string;
  fifo: boolean;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  dataProtectionPolicy: string | null;
  createdAt: number;
  /** Count of subscriptions deleted since start (SubscriptionsDeleted). */
  deletedSubscriptions: number;
}

export interface SubscriptionRecord {
  arn: string;
  topicArn: string;
  accountId: string;
  region: string;
  protocol: string;
  endpoint: string;
  owner: string;
  attributes: Record<string, string>;
  confirmed: boolean;
  token: string | null;
  createdAt: number;
}

/** A published message as stored in the outbox. */
export interface PublishedMessage {
  messageId: string;
  message: string;
  subject?: string;
  messageStructure?: string;
  attributes?: Record<string, SnsAttributeValue>;
  groupId?: string;
  dedupId?: string;
  timestamp: string;
}

export interface OutboxRow {
  id: number;
  topicArn: string;
  message: PublishedMessage;
}

/** An HTTP/HTTPS POST waiting for its next attempt. */
export interface HttpDeliveryRow {
  id: number;
  subscriptionArn: string;
  url: string;
  body: string;
  headers: Record<string, string>;
  policy: RetryPolicy;
  /** Attempts made so far. */
  attempt: number;
  nextAt: number;
}

export interface PublishOutcome {
  messageId: string;
  seq: number;
  duplicate: boolean;
}

const DEDUP_WINDOW_MS = 5 * 60 * 1000;

function encodeMessage(m: PublishedMessage): string {
  const attributes = m.attributes
    ? Object.fromEntries(
        Object.entries(m.attributes).map(([k, v]) => [
          k,
          v.BinaryValue !== undefined ? { DataType: v.DataType, BinaryValue: Buffer.from(v.BinaryValue).toString('base64') } : v,
        ]),
      )
    : undefined;
  return JSON.stringify({ ...m, attributes });
}

function decodeMessage(text: string): PublishedMessage {
  const m = JSON.parse(text) as PublishedMessage & { attributes?: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }> };
  if (m.attributes) {
    for (const v of Object.values(m.attributes)) {
      if (typeof v.BinaryValue === 'string') (v as SnsAttributeValue).BinaryValue = Buffer.from(v.BinaryValue, 'base64');
    }
  }
  return m as PublishedMessage;
}

export class SnsStore {
  readonly db: SqliteDatabase;
  readonly #group: GroupCommit;
  readonly #topics = new Map<string, TopicRecord>();
  readonly #subscriptions = new Map<string, SubscriptionRecord>();
  readonly #byTopic = new Map<string, Set<SubscriptionRecord>>();
  readonly #s: Record<string, SqliteStatement>;

  constructor(dir: string) {
    this.db = openDatabase(join(dir, 'sns.db'), MIGRATIONS);
    this.#group = new GroupCommit(this.db);
    const db = this.db;
    this.#s = {
      putTopic: db.prepare(`INSERT OR REPLACE INTO topics (arn, account_id, region, name, fifo, attributes, tags, data_protection_policy, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      deleteTopic: db.prepare('DELETE FROM topics WHERE arn = ?'),
      putSubscription: db.prepare(`INSERT OR REPLACE INTO subscriptions (arn, topic_arn, account_id, region, protocol, endpoint, owner,
        attributes, confirmed, token, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      deleteSubscription: db.prepare('DELETE FROM subscriptions WHERE arn = ?'),
      deleteTopicSubscriptions: db.prepare('DELETE FROM subscriptions WHERE topic_arn = ?'),
      insertOutbox: db.prepare('INSERT INTO outbox (topic_arn, message, created_at) VALUES (?, ?, ?)'),
      readOutbox: db.prepare('SELECT id, topic_arn, message FROM outbox WHERE id > ? ORDER BY id LIMIT ?'),
      deleteOutbox: db.prepare('DELETE FROM outbox WHERE id = ?'),
      getDedup: db.prepare('SELECT message_id, seq, expires_at FROM dedup WHERE topic_arn = ? AND dedup_id = ?'),
      putDedup: db.prepare('INSERT OR REPLACE INTO dedup (topic_arn, dedup_id, message_id, seq, expires_at) VALUES (?, ?, ?, ?, ?)'),
      expiredDedup: db.prepare('DELETE FROM dedup WHERE expires_at <= ?'),
      insertHttp: db.prepare(
        'INSERT INTO http_deliveries (subscription_arn, url, body, headers, policy, attempt, next_at) VALUES (?, ?, ?, ?, ?, 0, ?)',
      ),
      dueHttp: db.prepare('SELECT * FROM http_deliveries WHERE next_at <= ? ORDER BY next_at LIMIT ?'),
      nextHttp: db.prepare('SELECT MIN(next_at) FROM http_deliveries').pluck(),
      deleteHttp: db.prepare('DELETE FROM http_deliveries WHERE id = ?'),
      rescheduleHttp: db.prepare('UPDATE http_deliveries SET attempt = ?, next_at = ? WHERE id = ?'),
    };
    for (const r of db.prepare('SELECT * FROM topics').all() as Record<string, unknown>[]) {
      const t: TopicRecord = {
        arn: r.arn as string,
        accountId: r.account_id as string,
        region: r.region as string,
        name: r.name as string,
        fifo: r.fifo === 1,
        attributes: JSON.parse(r.attributes as string) as Record<string, string>,
        tags: JSON.parse(r.tags as string) as Record<string, string>,
        dataProtectionPolicy: (r.data_protection_policy as string | null) ?? null,
        createdAt: r.created_at as number,
        deletedSubscriptions: 0,
      };
      this.#topics.set(t.arn, t);
    }
    for (const r of db.prepare('SELECT * FROM subscriptions ORDER BY created_at').all() as Record<string, unknown>[]) {
      this.#indexSubscription({
        arn: r.arn as string,
        topicArn: r.topic_arn as string,
        accountId: r.account_id as string,
        region: r.region as string,
        protocol: r.protocol as string,
        endpoint: r.endpoint as string,
        owner: r.owner as string,
        attributes: JSON.parse(r.attributes as string) as Record<string, string>,
        confirmed: r.confirmed === 1,
        token: (r.token as string | null) ?? null,
        createdAt: r.created_at as number,
      });
    }
  }

  #indexSubscription(s: SubscriptionRecord): void {
    this.#subscriptions.set(s.arn, s);
    let set = this.#byTopic.get(s.topicArn);
    if (!set) this.#byTopic.set(s.topicArn, (set = new Set()));
    set.add(s);
  }

  // ---- topics -------------------------------------------------------------------------------

  getTopic(arn: string): TopicRecord | undefined {
    return this.#topics.get(arn);
  }

  listTopics(accountId: string, region: string): TopicRecord[] {
    return [...this.#topics.values()].filter((t) => t.accountId === accountId && t.region === region).sort((a, b) => (a.arn < b.arn ? -1 : 1));
  }

  saveTopic(t: TopicRecord): void {
    this.#s.putTopic.run(t.arn, t.accountId, t.region, t.name, t.fifo ? 1 : 0, JSON.stringify(t.attributes), JSON.stringify(t.tags), t.dataProtectionPolicy, t.createdAt);
    this.#group.syncNow();
    this.#topics.set(t.arn, t);
  }

  deleteTopic(t: TopicRecord): void {
    this.db.transaction(() => {
      this.#s.deleteTopicSubscriptions.run(t.arn);
      this.#s.deleteTopic.run(t.arn);
    })();
    this.#group.syncNow();
    this.#topics.delete(t.arn);
    for (const s of this.#byTopic.get(t.arn) ?? []) this.#subscriptions.delete(s.arn);
    this.#byTopic.delete(t.arn);
  }

  // ---- subscriptions ------------------------------------------------------------------------

  getSubscription(arn: string): SubscriptionRecord | undefined {
    return this.#subscriptions.get(arn);
  }

  subscriptionsOf(topicArn: string): SubscriptionRecord[] {
    return [...(this.#byTopic.get(topicArn) ?? [])];
  }

  listSubscriptions(accountId: string, region: string): SubscriptionRecord[] {
    return [...this.#subscriptions.values()].filter((s) => s.accountId === accountId && s.region === region);
  }

  saveSubscription(s: SubscriptionRecord): void {
    this.#s.putSubscription.run(
      s.arn, s.topicArn, s.accountId, s.region, s.protocol, s.endpoint, s.owner, JSON.stringify(s.attributes), s.confirmed ? 1 : 0, s.token, s.createdAt,
    );
    this.#group.syncNow();
    this.#indexSubscription(s);
  }

  deleteSubscription(s: SubscriptionRecord): void {
    this.#s.deleteSubscription.run(s.arn);
    this.#group.syncNow();
    this.#subscriptions.delete(s.arn);
    this.#byTopic.get(s.topicArn)?.delete(s);
    const topic = this.#topics.get(s.topicArn);
    if (topic) topic.deletedSubscriptions++;
  }

  // ---- outbox -------------------------------------------------------------------------------

  /** Stores published messages durably (FIFO topics: deduplicated over 5 minutes). */
  publish(topic: TopicRecord, messages: readonly PublishedMessage[]): Promise<PublishOutcome[]> {
    return this.#group.run(() => {
      if (!this.#topics.has(topic.arn)) throw new TopicGoneError();
      const now = Date.now();
      const out: PublishOutcome[] = [];
      for (const m of messages) {
        if (topic.fifo && m.dedupId !== undefined) {
          const prior = this.#s.getDedup.get(topic.arn, m.dedupId) as { message_id: string; seq: number; expires_at: number } | undefined;
          if (prior && prior.expires_at > now) {
            out.push({ messageId: prior.message_id, seq: prior.seq, duplicate: true });
            continue;
          }
        }
        const seq = Number(this.#s.insertOutbox.run(topic.arn, encodeMessage(m), now).lastInsertRowid);
        if (topic.fifo && m.dedupId !== undefined) this.#s.putDedup.run(topic.arn, m.dedupId, m.messageId, seq, now + DEDUP_WINDOW_MS);
        out.push({ messageId: m.messageId, seq, duplicate: false });
      }
      return out;
    });
  }

  /** Outbox rows after `afterId`, oldest first. */
  readOutbox(afterId: number, limit: number): OutboxRow[] {
    return (this.#s.readOutbox.all(afterId, limit) as { id: number; topic_arn: string; message: string }[]).map((r) => ({
      id: r.id,
      topicArn: r.topic_arn,
      message: decodeMessage(r.message),
    }));
  }

  /** Removes delivered rows from the outbox. */
  completeOutbox(ids: readonly number[]): Promise<void> {
    return this.#group.run(() => {
      for (const id of ids) this.#s.deleteOutbox.run(id);
    }, { durable: false });
  }

  // ---- HTTP deliveries ----------------------------------------------------------------------

  addHttpDeliveries(posts: readonly { subscriptionArn: string; url: string; body: string; headers: Record<string, string>; policy: RetryPolicy }[]): Promise<void> {
    return this.#group.run(() => {
      const now = Date.now();
      for (const p of posts) this.#s.insertHttp.run(p.subscriptionArn, p.url, p.body, JSON.stringify(p.headers), JSON.stringify(p.policy), now);
    });
  }

  dueHttpDeliveries(now: number, limit: number): HttpDeliveryRow[] {
    return (this.#s.dueHttp.all(now, limit) as Record<string, unknown>[]).map((r) => ({
      id: r.id as number,
      subscriptionArn: r.subscription_arn as string,
      url: r.url as string,
      body: r.body as string,
      headers: JSON.parse(r.headers as string) as Record<string, string>,
      policy: JSON.parse(r.policy as string) as RetryPolicy,
      attempt: r.attempt as number,
      nextAt: r.next_at as number,
    }));
  }

  nextHttpDeliveryAt(): number | undefined {
    return (this.#s.nextHttp.get() as number | null) ?? undefined;
  }

  /** A delivery that succeeded or failed for good (an undone removal only means one more attempt). */
  finishHttpDelivery(id: number): Promise<void> {
    return this.#group.run(() => void this.#s.deleteHttp.run(id), { durable: false });
  }

  rescheduleHttpDelivery(id: number, attempt: number, nextAt: number): Promise<void> {
    return this.#group.run(() => void this.#s.rescheduleHttp.run(attempt, nextAt, id), { durable: false });
  }

  sweep(): Promise<void> {
    return this.#group.run(() => {
      this.#s.expiredDedup.run(Date.now());
    }, { durable: false });
  }

  close(): void {
    this.#group.close();
    this.db.close();
  }
}

export class TopicGoneError extends Error {}
