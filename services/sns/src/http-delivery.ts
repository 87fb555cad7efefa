// HTTP/HTTPS delivery: each POST (notification or subscription confirmation) is first stored in
// the durable delivery queue, then attempted; a 5xx, a 429 or a network error reschedules it by the
// delivery policy's retry schedule (no-delay, min-delay, backoff and max-delay phases), and any
// other answer ends it. Pending deliveries resume after a restart. One node attempts them for all
// (leadership `sns:http-retries`), so a retry scheduled by a node that dies is made by another; a
// delivery queued on another node wakes it with the signal `sns.http`.
import type { Leadership, Logger } from '@atoll/core';
import { Notifier, type DeliveryChannel, type DeliveryItem } from './delivery.js';
import { LeaderRole } from './leader-role.js';
import type { DeadLetter, RetryPolicy, SubscriptionRecord, TopicRecord } from './sns-records.js';
import type { HttpDeliveryRow, HttpPost, SnsStore } from './sns-store.js';

const BATCH = 100;
const ATTEMPT_TIMEOUT_MS = 15_000;

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  minDelayTarget: 20,
  maxDelayTarget: 20,
  numRetries: 3,
  numNoDelayRetries: 0,
  numMinDelayRetries: 0,
  numMaxDelayRetries: 0,
  backoffFunction: 'linear',
};

/** The delays (seconds) before each retry: no-delay, min-delay, backoff, then max-delay phases. */
export function retryDelays(p: RetryPolicy): number[] {
  const out: number[] = [];
  for (let i = 0; i < p.numNoDelayRetries && out.length < p.numRetries; i++) out.push(0);
  for (let i = 0; i < p.numMinDelayRetries && out.length < p.numRetries; i++) out.push(p.minDelayTarget);
  const backoff = Math.max(0, p.numRetries - out.length - p.numMaxDelayRetries);
  for (let i = 1; i <= backoff; i++) {
    const t = backoff === 1 ? 1 : (i - 1) / (backoff - 1);
    const f =
      p.backoffFunction === 'linear' ? t
      : p.backoffFunction === 'arithmetic' ? t * t
      : p.backoffFunction === 'geometric' ? (Math.pow(2, t * 4) - 1) / 15
      : (Math.exp(t * 4) - 1) / (Math.exp(4) - 1);
    out.push(Math.round(p.minDelayTarget + (p.maxDelayTarget - p.minDelayTarget) * f));
  }
  while (out.length < p.numRetries) out.push(p.maxDelayTarget);
  return out;
}

/** The effective HTTP retry policy of a subscription: its own DeliveryPolicy, else the topic's. */
export function effectiveRetryPolicy(topic: TopicRecord | undefined, sub: SubscriptionRecord): RetryPolicy {
  const read = (text: string | undefined): Partial<RetryPolicy> | undefined => {
    if (!text) return undefined;
    try {
      const doc = JSON.parse(text) as { healthyRetryPolicy?: Partial<RetryPolicy>; http?: { defaultHealthyRetryPolicy?: Partial<RetryPolicy> } };
      return doc.healthyRetryPolicy ?? doc.http?.defaultHealthyRetryPolicy;
    } catch {
      return undefined;
    }
  };
  return { ...DEFAULT_RETRY_POLICY, ...read(topic?.attributes.DeliveryPolicy), ...read(sub.attributes.DeliveryPolicy) };
}

export class HttpChannel implements DeliveryChannel {
  readonly #inflight = new Set<number>();
  readonly #controller = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #again = false;
  #closed = false;
  readonly role: LeaderRole;

  constructor(
    readonly store: SnsStore,
    readonly notifier: Notifier,
    readonly logger: Logger,
    leadership: Leadership,
    /** Multiplies retry delays (tests shorten them). */
    readonly delayScale = 1,
    readonly deadLetter: DeadLetter = () => {},
  ) {
    this.role = new LeaderRole('sns:http-retries', 'sns.http', store, leadership, logger, () => this.#wake());
  }

  /** Asks for leadership of the delivery queue; the leader starts at once what a previous run left. */
  start(): void {
    if (!this.#closed) this.role.start();
  }

  async deliver(topic: TopicRecord, sub: SubscriptionRecord, items: readonly DeliveryItem[]): Promise<void> {
    const raw = sub.attributes.RawMessageDelivery === 'true';
    const policy = effectiveRetryPolicy(topic, sub);
    await this.enqueue(
      items.map((item) => {
        const headers: Record<string, string> = {
          'x-amz-sns-message-type': 'Notification',
          'x-amz-sns-message-id': item.message.messageId,
          'x-amz-sns-topic-arn': topic.arn,
          'x-amz-sns-subscription-arn': sub.arn,
        };
        if (raw) headers['x-amz-sns-rawdelivery'] = 'true';
        if (item.message.traceHeader) headers['x-amzn-trace-id'] = item.message.traceHeader;
        const body = raw ? Notifier.textFor(sub.protocol, item.message) : JSON.stringify(this.notifier.notification(topic, sub, item));
        return { subscriptionArn: sub.arn, url: sub.endpoint, body, headers, policy };
      }),
    );
  }

  /** Stores POSTs durably and starts them. */
  async enqueue(posts: HttpPost[]): Promise<void> {
    if (posts.length === 0) return;
    await this.store.addHttpDeliveries(posts);
    this.kick();
  }

  /** Has the leader attempt the deliveries that are due (here when this node leads, else on the leader). */
  kick(): void {
    if (!this.#closed) this.role.kick();
  }

  #wake(): void {
    if (this.#closed || !this.role.leading) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    setImmediate(() => void this.#run());
  }

  async #run(): Promise<void> {
    try {
      do {
        this.#again = false;
        if (this.#closed || !this.role.leading) return;
        const due = (await this.store.dueHttpDeliveries(Date.now(), BATCH)).filter((d) => !this.#inflight.has(d.id));
        for (const d of due) {
          this.#inflight.add(d.id);
          void this.#attempt(d)
            .catch((error: unknown) => this.logger.warn({ err: error, url: d.url }, 'sns http delivery could not be recorded'))
            .finally(() => {
              this.#inflight.delete(d.id);
              this.#wake();
            });
        }
        await this.#schedule();
      } while (this.#again);
    } catch (error) {
      // The next poll (every second while this node leads) tries again.
      if (!this.#closed) this.logger.warn({ err: error }, 'sns http deliveries could not be read');
    } finally {
      this.#running = false;
    }
  }

  /** Wakes up when the next delivery is due (the leader also looks every second). */
  async #schedule(): Promise<void> {
    const next = await this.store.nextHttpDeliveryAt();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (next === undefined || this.#closed || !this.role.leading) return;
    this.#timer = setTimeout(() => this.#wake(), Math.max(0, Math.min(next - Date.now(), 1000)));
    this.#timer.unref();
  }

  /** One attempt: success or a permanent failure removes the delivery, a retryable failure reschedules it. */
  async #attempt(d: HttpDeliveryRow): Promise<void> {
    let retryable = true;
    let failure = 'network error';
    try {
      const response = await fetch(d.url, {
        method: 'POST',
        body: d.body,
        headers: { 'content-type': 'text/plain; charset=UTF-8', 'user-agent': 'Amazon Simple Notification Service Agent', ...d.headers },
        signal: AbortSignal.any([this.#controller.signal, AbortSignal.timeout(ATTEMPT_TIMEOUT_MS)]),
      });
      await response.arrayBuffer().catch(() => undefined);
      retryable = response.status >= 500 || response.status === 429;
      failure = `HTTP ${response.status}`;
      if (!retryable && response.status >= 300) this.logger.warn({ url: d.url, status: response.status }, 'sns http delivery refused');
    } catch (error) {
      if (this.#closed) return; // stays queued for the next start
      this.logger.debug({ err: error, url: d.url }, 'sns http delivery attempt failed');
    }
    if (this.#closed) return;
    const delays = retryDelays(d.policy);
    if (!retryable || d.attempt >= delays.length) {
      const delivered = !retryable && /^HTTP 2/.test(failure);
      if (!delivered) {
        if (retryable) this.logger.warn({ url: d.url, attempts: d.attempt + 1 }, 'sns http delivery gave up after retries');
        const sub = await this.store.getSubscription(d.subscriptionArn);
        if (sub && d.headers['x-amz-sns-message-type'] === 'Notification') {
          this.deadLetter(sub.attributes.RedrivePolicy, d.body, 'DeliveryFailed', `${failure} from ${d.url}`, sub.topicArn);
        }
      }
      await this.store.finishHttpDelivery(d.id);
      return;
    }
    await this.store.rescheduleHttpDelivery(d.id, d.attempt + 1, Date.now() + delays[d.attempt]! * 1000 * this.delayScale);
  }

  close(): void {
    this.#closed = true;
    this.role.stop();
    if (this.#timer) clearTimeout(this.#timer);
    this.#controller.abort();
  }
}
