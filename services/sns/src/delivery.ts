// Delivery channels, one per subscription protocol: SQS (through SQS's public SendMessageBatch) and
// Lambda (asynchronous Invoke) here, HTTP/HTTPS in http-delivery.ts; and the Notifier that builds
// the signed documents they carry. SQS and Lambda deliveries are made as the `sns.amazonaws.com`
// service principal for the topic (`aws:SourceArn`, `aws:SourceAccount`): the queue's policy or the
// function's permissions must allow them, as in AWS. A refused or failed delivery is logged, goes to
// the subscription's dead-letter queue if it has one, and is announced as an `sns.DeliveryFailed`
// bus event (AWS counts it in NumberOfNotificationsFailed).
// A channel receives a subscription and the messages that passed its filter, oldest first.
import type { KeyObject } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import type { CallerIdentity, Logger, PlatformContext } from '@atoll/core';
import { envelopeAttributes, sign, type Envelope } from './envelope.js';
import type { DeadLetter, PublishedMessage, SubscriptionRecord, TopicRecord } from './sns-records.js';

export interface DeliveryItem {
  seq: number;
  message: PublishedMessage;
}

export interface DeliveryChannel {
  /**
   * Delivers the items to the subscription. Resolves once they are handed off: stored by the
   * target (SQS) or scheduled with retries (HTTP, Lambda).
   */
  deliver(topic: TopicRecord, subscription: SubscriptionRecord, items: readonly DeliveryItem[]): Promise<void>;
}

/** SNS's service principal delivering for a topic. */
export function snsServiceIdentity(topicArn: string): CallerIdentity {
  const account = topicArn.split(':')[4] ?? '';
  return {
    type: 'AWSService',
    accountId: account,
    arn: '',
    principalId: 'sns.amazonaws.com',
    service: { principal: 'sns.amazonaws.com', sourceArn: topicArn, sourceAccount: account },
  };
}

/** Announces a delivery that failed (`sns.DeliveryFailed`), for metrics and delivery status logs. */
export function reportDeliveryFailure(platform: PlatformContext, topic: TopicRecord, sub: SubscriptionRecord, code: string, message: string, count = 1): void {
  platform.bus.emit({
    type: 'sns.DeliveryFailed',
    accountId: topic.accountId,
    region: topic.region,
    detail: { topicArn: topic.arn, subscriptionArn: sub.arn, protocol: sub.protocol, endpoint: sub.endpoint, errorCode: code, errorMessage: message, count },
  });
}

/** Builds the signed documents SNS sends, with URLs that point back at this platform. */
export class Notifier {
  constructor(
    readonly key: KeyObject,
    readonly endpoint: () => string,
  ) {}

  get certUrl(): string {
    return `${this.endpoint()}/_atoll/sns/SimpleNotificationService.pem`;
  }

  unsubscribeUrl(subscriptionArn: string): string {
    return `${this.endpoint()}/_atoll/sns/unsubscribe?SubscriptionArn=${encodeURIComponent(subscriptionArn)}`;
  }

  subscribeUrl(topicArn: string, token: string): string {
    return `${this.endpoint()}/_atoll/sns/confirm?TopicArn=${encodeURIComponent(topicArn)}&Token=${token}`;
  }

  /** The message text for a protocol (MessageStructure=json picks the protocol's key or `default`). */
  static textFor(protocol: string, m: PublishedMessage): string {
    if (m.messageStructure !== 'json') return m.message;
    const doc = JSON.parse(m.message) as Record<string, string>;
    return doc[protocol] ?? doc.default ?? '';
  }

  /** Signatures by message and text: the signed fields are the same for every subscriber of a protocol. */
  readonly #signed = new Map<string, Envelope>();

  notification(topic: TopicRecord, sub: SubscriptionRecord, item: DeliveryItem): Envelope {
    const m = item.message;
    const text = Notifier.textFor(sub.protocol, m);
    const version = topic.attributes.SignatureVersion ?? '1';
    const key = `${m.messageId}\u0000${version}\u0000${m.messageStructure === 'json' ? sub.protocol : ''}`;
    const cached = this.#signed.get(key);
    if (cached) return { ...cached, UnsubscribeURL: this.unsubscribeUrl(sub.arn) };
    const envelope = this.#notification(topic, sub, item, text, version);
    if (this.#signed.size >= 1000) this.#signed.delete(this.#signed.keys().next().value!);
    this.#signed.set(key, envelope);
    return envelope;
  }

  #notification(topic: TopicRecord, sub: SubscriptionRecord, item: DeliveryItem, text: string, version: string): Envelope {
    const m = item.message;
    return sign(
      {
        Type: 'Notification',
        MessageId: m.messageId,
        TopicArn: topic.arn,
        Subject: m.subject,
        Message: text,
        SequenceNumber: topic.fifo ? String(item.seq).padStart(20, '0') : undefined,
        Timestamp: m.timestamp,
        SignatureVersion: version,
        SigningCertURL: this.certUrl,
        UnsubscribeURL: this.unsubscribeUrl(sub.arn),
        MessageAttributes: envelopeAttributes(m.attributes),
      },
      this.key,
    );
  }

  confirmation(topic: TopicRecord, token: string, type: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation'): Envelope {
    return sign(
      {
        Type: type,
        MessageId: randomUUID(),
        Token: token,
        TopicArn: topic.arn,
        Message:
          type === 'SubscriptionConfirmation'
            ? `You have chosen to subscribe to the topic ${topic.arn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`
            : `You have chosen to deactivate subscription to the topic ${topic.arn}.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.`,
        SubscribeURL: this.subscribeUrl(topic.arn, token),
        Timestamp: new Date().toISOString(),
        SignatureVersion: topic.attributes.SignatureVersion ?? '1',
        SigningCertURL: this.certUrl,
      },
      this.key,
    );
  }
}

/** Splits `sqs` endpoint ARNs (`arn:aws:sqs:region:account:name`). */
export function parseQueueArn(arn: string): { region: string; accountId: string; name: string } | undefined {
  const parts = arn.split(':');
  if (parts.length !== 6 || parts[0] !== 'arn' || parts[2] !== 'sqs' || !/^\d{12}$/.test(parts[4]!) || !parts[5]) return undefined;
  return { region: parts[3]!, accountId: parts[4]!, name: parts[5] };
}

export class SqsChannel implements DeliveryChannel {
  constructor(
    readonly platform: PlatformContext,
    readonly notifier: Notifier,
    readonly logger: Logger,
    readonly deadLetter: DeadLetter = () => {},
  ) {}

  async deliver(topic: TopicRecord, sub: SubscriptionRecord, items: readonly DeliveryItem[]): Promise<void> {
    const queue = parseQueueArn(sub.endpoint);
    if (!queue) return;
    const url = `${this.platform.endpoint()}/${queue.accountId}/${queue.name}`;
    const raw = sub.attributes.RawMessageDelivery === 'true';
    const fifoQueue = queue.name.endsWith('.fifo');
    for (const chunk of sqsChunks(items)) {
      const traceHeader = chunk[0]!.message.traceHeader;
      const Entries = chunk.map((item, n) => {
        const m = item.message;
        return {
          Id: `m${n}`,
          MessageBody: raw ? Notifier.textFor('sqs', m) : JSON.stringify(this.notifier.notification(topic, sub, item)),
          MessageAttributes: raw ? sqsAttributes(m) : undefined,
          MessageGroupId: fifoQueue ? (m.groupId ?? 'default') : undefined,
          MessageDeduplicationId: fifoQueue ? (m.dedupId ?? m.messageId) : undefined,
        };
      });
      try {
        const result = await this.platform.call<{ Failed?: { Id: string; Code: string; Message: string }[] }>(
          'sqs',
          'SendMessageBatch',
          { QueueUrl: url, Entries },
          { accountId: queue.accountId, region: queue.region, identity: snsServiceIdentity(topic.arn), ...(traceHeader ? { traceHeader } : {}) },
        );
        for (const f of result.Failed ?? []) {
          this.logger.warn({ subscription: sub.arn, code: f.Code, message: f.Message }, 'sns delivery to sqs failed');
          reportDeliveryFailure(this.platform, topic, sub, f.Code, f.Message);
          const entry = Entries[Number(f.Id.slice(1))];
          if (entry) this.deadLetter(sub.attributes.RedrivePolicy, entry.MessageBody, f.Code, f.Message, topic.arn);
        }
      } catch (error) {
        this.logger.warn({ err: error, subscription: sub.arn }, 'sns delivery to sqs failed');
        const e = error as { code?: string; message?: string };
        reportDeliveryFailure(this.platform, topic, sub, e.code ?? 'InternalError', e.message ?? '', Entries.length);
        for (const entry of Entries) this.deadLetter(sub.attributes.RedrivePolicy, entry.MessageBody, e.code ?? 'InternalError', e.message ?? '', topic.arn);
      }
    }
  }
}

/**
 * SendMessageBatch calls of up to 10 items, in order; a call carries one trace (the publisher's),
 * so consecutive items share a call only when they share a trace header (or have none).
 */
export function sqsChunks(items: readonly DeliveryItem[]): DeliveryItem[][] {
  const chunks: DeliveryItem[][] = [];
  let current: DeliveryItem[] = [];
  for (const item of items) {
    if (current.length === 10 || (current.length > 0 && current[0]!.message.traceHeader !== item.message.traceHeader)) {
      chunks.push(current);
      current = [];
    }
    current.push(item);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function sqsAttributes(m: PublishedMessage) {
  if (!m.attributes || Object.keys(m.attributes).length === 0) return undefined;
  const out: Record<string, { DataType: string; StringValue?: string; BinaryValue?: Buffer }> = {};
  for (const [name, v] of Object.entries(m.attributes)) {
    out[name] = v.BinaryValue !== undefined ? { DataType: v.DataType, BinaryValue: Buffer.from(v.BinaryValue) } : { DataType: v.DataType, StringValue: v.StringValue };
  }
  return out;
}

export class LambdaChannel implements DeliveryChannel {
  constructor(
    readonly platform: PlatformContext,
    readonly notifier: Notifier,
    readonly logger: Logger,
    readonly deadLetter: DeadLetter = () => {},
  ) {}

  async deliver(topic: TopicRecord, sub: SubscriptionRecord, items: readonly DeliveryItem[]): Promise<void> {
    const parts = sub.endpoint.split(':');
    const ctx = { accountId: parts[4] ?? topic.accountId, region: parts[3] ?? topic.region, identity: snsServiceIdentity(topic.arn) };
    for (const item of items) {
      const n = this.notifier.notification(topic, sub, item);
      const event = {
        Records: [
          {
            EventSource: 'aws:sns',
            EventVersion: '1.0',
            EventSubscriptionArn: sub.arn,
            Sns: {
              Type: n.Type,
              MessageId: n.MessageId,
              TopicArn: n.TopicArn,
              Subject: n.Subject ?? null,
              Message: n.Message,
              Timestamp: n.Timestamp,
              SignatureVersion: n.SignatureVersion,
              Signature: n.Signature,
              SigningCertUrl: n.SigningCertURL,
              UnsubscribeUrl: n.UnsubscribeURL,
              MessageAttributes: n.MessageAttributes ?? {},
            },
          },
        ],
      };
      const traceHeader = item.message.traceHeader;
      this.platform
        .call('lambda', 'Invoke', { FunctionName: sub.endpoint, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(event)) }, traceHeader ? { ...ctx, traceHeader } : ctx)
        .catch((error: unknown) => {
          this.logger.warn({ err: error, subscription: sub.arn }, 'sns delivery to lambda failed');
          const e = error as { code?: string; message?: string };
          reportDeliveryFailure(this.platform, topic, sub, e.code ?? 'InternalError', e.message ?? '');
          this.deadLetter(sub.attributes.RedrivePolicy, JSON.stringify(n), e.code ?? 'InternalError', e.message ?? '', topic.arn);
        });
    }
  }
}
