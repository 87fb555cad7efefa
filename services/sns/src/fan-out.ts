// Fan-out: drains the outbox in publish order, filters each message per subscription and hands the
// matching ones to the protocol's delivery channel, all subscriptions in parallel. A row leaves the
// outbox only after every channel has taken it, so a crash redelivers (at least once). One node
// drains for all (leadership `sns:fan-out`), so that FIFO topics keep their order; a publish on
// another node wakes it with the signal `sns.outbox`.
import type { Leadership, Logger } from '@atoll/core';
import type { DeliveryChannel, DeliveryItem } from './delivery.js';
import { matchesFilterPolicy, parseFilterPolicy, type FilterScope } from './filter-policy.js';
import { Notifier } from './delivery.js';
import { LeaderRole } from './leader-role.js';
import type { SubscriptionRecord } from './sns-records.js';
import type { OutboxRow, SnsStore } from './sns-store.js';

const BATCH = 500;
/**
 * A drain starts this long after the first publish that needs it, so that publishes arriving
 * meanwhile share its SendMessageBatch calls (up to 10 messages per subscriber per call) instead of
 * each paying one call per subscriber. Trades a few milliseconds of delivery latency for publish
 * latency that stays flat as subscribers are added.
 */
const COALESCE_MS = 10;
/** Subscriptions started per turn of the event loop, so that publishes interleave with a large fan-out. */
const PER_TURN = 10;

export class FanOut {
  #running = false;
  #again = false;
  #closed = false;
  #idle: (() => void)[] = [];
  readonly #policies = new Map<string, { text: string; scope: FilterScope; policy: ReturnType<typeof parseFilterPolicy> }>();
  readonly role: LeaderRole;

  constructor(
    readonly store: SnsStore,
    readonly channels: Partial<Record<string, DeliveryChannel>>,
    readonly logger: Logger,
    leadership: Leadership,
  ) {
    this.role = new LeaderRole('sns:fan-out', 'sns.outbox', store, leadership, logger, () => this.#wake());
  }

  /** Asks for leadership of the outbox; the leader drains at once what a previous run left. */
  start(): void {
    if (!this.#closed) this.role.start();
  }

  /** Has the leader drain the outbox (here when this node leads, else on the leader). */
  kick(): void {
    if (!this.#closed) this.role.kick();
  }

  /** Starts a drain (or marks one to follow the running one). */
  #wake(): void {
    if (this.#closed || !this.role.leading) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    setTimeout(() => void this.#drain(), COALESCE_MS);
  }

  /** Resolves when the outbox has been drained (for tests and shutdown). */
  idle(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  close(): void {
    this.#closed = true;
    this.role.stop();
  }

  async #drain(): Promise<void> {
    try {
      let after = 0;
      for (;;) {
        this.#again = false;
        const rows = await this.store.readOutbox(after, BATCH);
        if (rows.length === 0 || this.#closed || !this.role.leading) {
          if (this.#again && !this.#closed && this.role.leading) {
            after = 0;
            continue;
          }
          break;
        }
        await this.#deliver(rows);
        after = rows[rows.length - 1]!.id;
        await this.store.completeOutbox(rows.map((r) => r.id));
      }
    } catch (error) {
      this.logger.error({ err: error }, 'sns fan-out failed');
      setTimeout(() => this.#wake(), 1000).unref();
    } finally {
      this.#running = false;
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  async #deliver(rows: readonly OutboxRow[]): Promise<void> {
    const byTopic = new Map<string, { rows: OutboxRow[]; version: number }>();
    for (const row of rows) {
      let entry = byTopic.get(row.topicArn);
      if (!entry) byTopic.set(row.topicArn, (entry = { rows: [], version: 0 }));
      entry.rows.push(row);
      entry.version = Math.max(entry.version, row.topicVersion);
    }
    const work: Promise<void>[] = [];
    let started = 0;
    for (const [topicArn, { rows: list, version }] of byTopic) {
      // Subscriptions at least as recent as the newest publish of the batch saw.
      const view = await this.store.topicView(topicArn, version);
      if (!view) continue;
      const topic = view.topic;
      for (const sub of view.subscriptions) {
        if (!sub.confirmed) continue;
        const channel = this.channels[sub.protocol];
        if (!channel) continue;
        const items: DeliveryItem[] = [];
        for (const row of list) if (this.#matches(sub, row)) items.push({ seq: row.id, message: row.message });
        if (items.length === 0) continue;
        if (++started % PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
        work.push(
          channel.deliver(topic, sub, items).catch((error: unknown) => this.logger.warn({ err: error, subscription: sub.arn }, 'sns delivery failed')),
        );
      }
    }
    await Promise.all(work);
  }

  #matches(sub: SubscriptionRecord, row: OutboxRow): boolean {
    const text = sub.attributes.FilterPolicy;
    if (!text) return true;
    const scope = (sub.attributes.FilterPolicyScope ?? 'MessageAttributes') as FilterScope;
    let cached = this.#policies.get(sub.arn);
    if (!cached || cached.text !== text || cached.scope !== scope) {
      cached = { text, scope, policy: parseFilterPolicy(text, scope) };
      this.#policies.set(sub.arn, cached);
    }
    return matchesFilterPolicy(cached.policy, scope, row.message.attributes, Notifier.textFor(sub.protocol, row.message));
  }
}
