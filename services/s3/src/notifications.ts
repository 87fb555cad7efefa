// Bucket event notifications: matching an event against the bucket's notification configuration
// (event name patterns, prefix/suffix key filters) and delivering S3's event JSON to SQS queues, SNS
// topics and Lambda functions (asynchronous invocations) through their public operations, as the
// `s3.amazonaws.com` service principal for the bucket: the destination's policy must allow it, as in
// AWS. Delivery is asynchronous and best-effort: it never delays or fails the request that caused the
// event (a crash can lose an undelivered event).
import { randomBytes } from 'node:crypto';
import type { CallContext, CallerIdentity, Logger, PlatformContext } from '@atoll/core';

export interface FilterRule {
  Name?: string;
  Value?: string;
}

export interface DestinationConfig {
  Id?: string;
  QueueArn?: string;
  TopicArn?: string;
  LambdaFunctionArn?: string;
  Events?: string[];
  Filter?: { Key?: { FilterRules?: FilterRule[] } };
}

export interface NotificationConfiguration {
  QueueConfigurations?: DestinationConfig[];
  TopicConfigurations?: DestinationConfig[];
  LambdaFunctionConfigurations?: DestinationConfig[];
  EventBridgeConfiguration?: Record<string, never>;
}

export interface ObjectEvent {
  /** Without the `s3:` prefix, e.g. `ObjectCreated:Put`. */
  eventName: string;
  bucket: string;
  bucketOwner: string;
  /** The account that owns the bucket (`aws:SourceAccount` of S3's deliveries). */
  bucketAccount: string;
  region: string;
  key: string;
  size?: number;
  etag?: string;
  versionId?: string;
  requestId: string;
  sourceIp: string;
  principalId: string;
}

/**
 * S3's service principal acting for a bucket (`aws:SourceArn` the bucket, `aws:SourceAccount` its
 * owner): the destination's resource policy (queue, topic, function permission) must allow it.
 */
export function s3ServiceIdentity(bucket: string, bucketAccount: string): CallerIdentity {
  return {
    type: 'AWSService',
    accountId: bucketAccount,
    arn: '',
    principalId: 's3.amazonaws.com',
    service: { principal: 's3.amazonaws.com', sourceArn: `arn:aws:s3:::${bucket}`, sourceAccount: bucketAccount },
  };
}

/** True when `eventName` (e.g. `ObjectCreated:Put`) matches a configured pattern (`s3:ObjectCreated:*`). */
export function eventMatches(patterns: readonly string[], eventName: string): boolean {
  const full = `s3:${eventName}`;
  return patterns.some((p) => p === full || (p.endsWith(':*') && full.startsWith(p.slice(0, -1))));
}

export function keyMatchesFilter(filter: DestinationConfig['Filter'], key: string): boolean {
  for (const rule of filter?.Key?.FilterRules ?? []) {
    const name = (rule.Name ?? '').toLowerCase();
    const value = rule.Value ?? '';
    if (name === 'prefix' && !key.startsWith(value)) return false;
    if (name === 'suffix' && !key.endsWith(value)) return false;
  }
  return true;
}

/** S3's URL encoding of keys in event records (spaces as `+`). */
const encodeKey = (key: string): string => encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');

let sequence = 0n;

export function eventRecord(event: ObjectEvent, configurationId: string, now = new Date()): Record<string, unknown> {
  sequence++;
  const sequencer = (BigInt(now.getTime()) * 1000n + (sequence % 1000n)).toString(16).toUpperCase().padStart(18, '0');
  const object: Record<string, unknown> = { key: encodeKey(event.key) };
  if (event.size !== undefined) object.size = event.size;
  if (event.etag !== undefined) object.eTag = event.etag.replace(/"/g, '');
  if (event.versionId !== undefined) object.versionId = event.versionId;
  object.sequencer = sequencer;
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: event.region,
    eventTime: now.toISOString(),
    eventName: event.eventName,
    userIdentity: { principalId: event.principalId },
    requestParameters: { sourceIPAddress: event.sourceIp },
    responseElements: { 'x-amz-request-id': event.requestId, 'x-amz-id-2': randomBytes(32).toString('base64') },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId,
      bucket: { name: event.bucket, ownerIdentity: { principalId: event.bucketOwner }, arn: `arn:aws:s3:::${event.bucket}` },
      object,
    },
  };
}

export type DestinationKind = 'queue' | 'topic' | 'function';

/** Every destination of a configuration with its kind and ARN. */
export function destinationsOf(config: NotificationConfiguration): [DestinationConfig, DestinationKind, string][] {
  return [
    ...(config.QueueConfigurations ?? []).map((c) => [c, 'queue', c.QueueArn ?? ''] as [DestinationConfig, DestinationKind, string]),
    ...(config.TopicConfigurations ?? []).map((c) => [c, 'topic', c.TopicArn ?? ''] as [DestinationConfig, DestinationKind, string]),
    ...(config.LambdaFunctionConfigurations ?? []).map((c) => [c, 'function', c.LambdaFunctionArn ?? ''] as [DestinationConfig, DestinationKind, string]),
  ];
}

function arnParts(arn: string): { region: string; account: string; resource: string } | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return { region: parts[3]!, account: parts[4]!, resource: parts.slice(5).join(':') };
}

export class Notifier {
  readonly #platform: PlatformContext;
  readonly #log: Logger;

  constructor(platform: PlatformContext) {
    this.#platform = platform;
    this.#log = platform.logger.child({ component: 's3-notifications' });
  }

  /** Sends the event to every matching destination, without waiting and without throwing. */
  /** The platform event type an S3 event is emitted as (`s3.ObjectCreated`, `s3.ObjectRemoved`). */
  static busType(eventName: string): string {
    return `s3.${eventName.split(':')[0]}`;
  }

  publish(config: NotificationConfiguration | undefined, event: ObjectEvent): void {
    this.#platform.bus.emit({
      type: Notifier.busType(event.eventName),
      accountId: event.bucketAccount,
      region: event.region,
      detail: { ...event },
    });
    if (!config) return;
    for (const [destination, kind, arn] of destinationsOf(config)) {
      if (!eventMatches(destination.Events ?? [], event.eventName)) continue;
      if (!keyMatchesFilter(destination.Filter, event.key)) continue;
      const body = JSON.stringify({ Records: [eventRecord(event, destination.Id ?? '')] });
      this.#deliver(kind, arn, body, s3ServiceIdentity(event.bucket, event.bucketAccount)).catch((error: unknown) =>
        this.#log.warn({ err: error, bucket: event.bucket, destination }, 'S3 event notification not delivered'),
      );
    }
  }

  /**
   * Sends S3's `s3:TestEvent` to a queue or topic; for a function, checks with a DryRun invoke that
   * S3 may invoke it (S3 sends functions no test event). Rejects when the destination does not exist
   * or does not allow S3 to deliver from this bucket.
   */
  async sendTestEvent(kind: DestinationKind, arn: string, bucket: string, bucketAccount: string, requestId: string): Promise<void> {
    const identity = s3ServiceIdentity(bucket, bucketAccount);
    if (kind === 'function') {
      const parts = arnParts(arn);
      if (!parts) throw new Error(`not an ARN: ${arn}`);
      await this.#platform.call('lambda', 'Invoke', { FunctionName: arn, InvocationType: 'DryRun' }, { accountId: parts.account, region: parts.region, identity });
      return;
    }
    const body = JSON.stringify({
      Service: 'Amazon S3',
      Event: 's3:TestEvent',
      Time: new Date().toISOString(),
      Bucket: bucket,
      RequestId: requestId,
      HostId: randomBytes(32).toString('base64'),
    });
    await this.#deliver(kind, arn, body, identity);
  }

  async #deliver(kind: DestinationKind, arn: string, body: string, identity: CallerIdentity): Promise<void> {
    const parts = arnParts(arn);
    if (!parts) throw new Error(`not an ARN: ${arn}`);
    const ctx: CallContext = { accountId: parts.account, region: parts.region, identity };
    if (kind === 'queue') {
      // S3 sends to the queue's ARN: finding its URL is the platform's own lookup, not S3's call.
      const { QueueUrl } = await this.#platform.call<{ QueueUrl: string }>(
        'sqs',
        'GetQueueUrl',
        { QueueName: parts.resource, QueueOwnerAWSAccountId: parts.account },
        { accountId: parts.account, region: parts.region },
      );
      await this.#platform.call('sqs', 'SendMessage', { QueueUrl, MessageBody: body }, ctx);
    } else if (kind === 'function') {
      await this.#platform.call('lambda', 'Invoke', { FunctionName: arn, InvocationType: 'Event', Payload: Buffer.from(body) }, ctx);
    } else {
      await this.#platform.call('sns', 'Publish', { TopicArn: arn, Message: body, Subject: 'Amazon S3 Notification' }, ctx);
    }
  }
}
