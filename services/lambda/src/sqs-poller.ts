// The SQS event source: long-polls a queue through the SQS service's public operations, gathers a
// batch (batch size, batching window), invokes the function synchronously and deletes what
// succeeded. Failed messages are left alone so that they return after the visibility timeout and
// the queue's redrive policy applies. Up to ScalingConfig.MaximumConcurrency batches run at once.
// Receives and deletes are made as the function's execution role session.
import type { CallContext, Logger, PlatformContext } from '@atoll/core';
import type { EventSourceMappingRecord } from './lambda-records.js';
import type { Invoker } from './invoker.js';
import { EventFilter, sqsFilterView } from './event-filter.js';

interface SqsMessage {
  MessageId: string;
  ReceiptHandle: string;
  MD5OfBody?: string;
  Body?: string;
  Attributes?: Record<string, string>;
  MessageAttributes?: Record<string, { StringValue?: string; BinaryValue?: Uint8Array; DataType: string; StringListValues?: string[]; BinaryListValues?: Uint8Array[] }>;
}

export interface PollerHost {
  platform: PlatformContext;
  invoker: Invoker;
  logger: Logger;
  pollWaitSeconds: number;
  /** The current mapping, or undefined when it was deleted. */
  mapping(uuid: string): Promise<EventSourceMappingRecord | undefined>;
  /**
   * How the poller calls the event source: as the function's execution role session (its identity
   * policies must allow sqs:ReceiveMessage, dynamodb:GetRecords …, as in Lambda).
   */
  callContext(m: EventSourceMappingRecord): Promise<CallContext>;
  /** Records LastProcessingResult (never rejects). */
  recordResult(uuid: string, result: string): Promise<void>;
}

const DEFAULT_CONCURRENCY = 5;

export class SqsPoller {
  #stopped = false;
  readonly #loops: Promise<void>[] = [];

  constructor(private readonly host: PollerHost, private readonly uuid: string) {}

  start(m: EventSourceMappingRecord): void {
    const concurrency = Math.max(1, Math.min(m.doc.ScalingConfig?.MaximumConcurrency ?? DEFAULT_CONCURRENCY, 1000));
    for (let i = 0; i < concurrency; i++) this.#loops.push(this.#loop());
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.allSettled(this.#loops);
  }

  async #loop(): Promise<void> {
    let queueUrl: string | undefined;
    while (!this.#stopped) {
      const m = await this.host.mapping(this.uuid).catch(() => null);
      if (m === null) {
        // The store is unreachable for now: try again shortly.
        await sleep(1000);
        continue;
      }
      if (!m || m.doc.State !== 'Enabled') return;
      try {
        const ctx = await this.host.callContext(m);
        // Finding the queue's URL is the platform's own lookup (Lambda polls the queue's ARN).
        queueUrl ??= await this.#queueUrl(m, { accountId: m.account, region: m.region });
        const started = Date.now();
        const batch = await this.#gather(m, queueUrl, ctx);
        if (batch.length === 0 || this.#stopped) {
          // An empty poll that came back at once (WaitTimeSeconds 0) must not spin.
          if (Date.now() - started < 100) await sleep(100);
          continue;
        }
        await this.#deliver(m, queueUrl, batch, ctx);
      } catch (error) {
        queueUrl = undefined;
        await this.host.recordResult(this.uuid, `PROBLEM: ${(error as Error).message}`);
        this.host.logger.debug({ err: error, mapping: this.uuid }, 'lambda: SQS poll failed');
        await sleep(1000);
      }
    }
  }

  async #queueUrl(m: EventSourceMappingRecord, ctx: CallContext): Promise<string> {
    const parts = m.doc.EventSourceArn.split(':');
    const out = await this.host.platform.call<{ QueueUrl: string }>('sqs', 'GetQueueUrl', { QueueName: parts[5], QueueOwnerAWSAccountId: parts[4] }, ctx);
    return out.QueueUrl;
  }

  async #gather(m: EventSourceMappingRecord, queueUrl: string, ctx: CallContext): Promise<SqsMessage[]> {
    const batchSize = m.doc.BatchSize;
    const windowMs = m.doc.MaximumBatchingWindowInSeconds * 1000;
    const messages: SqsMessage[] = [];
    const started = Date.now();
    for (;;) {
      const remainingWindow = windowMs - (Date.now() - started);
      const wait = messages.length === 0 ? this.host.pollWaitSeconds : Math.max(0, Math.min(Math.floor(remainingWindow / 1000), this.host.pollWaitSeconds));
      const out = await this.host.platform.call<{ Messages?: SqsMessage[] }>('sqs', 'ReceiveMessage', {
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, batchSize - messages.length),
        WaitTimeSeconds: wait,
        AttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }, ctx);
      messages.push(...(out.Messages ?? []));
      if (this.#stopped || messages.length >= batchSize || messages.length === 0) return messages;
      if (Date.now() - started >= windowMs) return messages;
      if ((out.Messages ?? []).length === 0 && remainingWindow < 1000) {
        await sleep(Math.max(0, remainingWindow));
        return messages;
      }
    }
  }

  async #deliver(m: EventSourceMappingRecord, queueUrl: string, batch: SqsMessage[], ctx: CallContext): Promise<void> {
    const scope = { account: m.account, region: m.region };
    const filter = new EventFilter(m.doc.FilterCriteria?.Filters);
    const records = batch.map((msg) => toRecord(msg, m.doc.EventSourceArn, m.region) as { body: string; messageId: string });
    if (!filter.empty) {
      // Messages that match no filter are deleted without invoking the function, as Lambda does.
      const dropped = batch.filter((_, i) => !filter.matches(sqsFilterView(records[i]!)));
      if (dropped.length) await this.#delete(queueUrl, dropped, ctx);
      batch = batch.filter((_, i) => filter.matches(sqsFilterView(records[i]!)));
      if (batch.length === 0) return;
    }
    const event = { Records: batch.map((msg) => toRecord(msg, m.doc.EventSourceArn, m.region)) };
    const fnName = m.functionName;
    const qualifier = m.doc.FunctionArn.split(':')[7];
    let result;
    try {
      const target = await this.host.invoker.resolve(scope, fnName, qualifier);
      result = await this.host.invoker.run(scope, target, { payload: Buffer.from(JSON.stringify(event)), traceId: batch[0]?.Attributes?.AWSTraceHeader, serviceSegment: true });
    } catch (error) {
      // Throttled or gone: the messages return to the queue after their visibility timeout.
      await this.host.recordResult(this.uuid, `PROBLEM: Function call failed: ${(error as { code?: string }).code ?? (error as Error).message}`);
      await sleep(500);
      return;
    }
    if (result.functionError) {
      await this.host.recordResult(this.uuid, 'PROBLEM: Function call failed');
      return;
    }
    let succeeded = batch;
    if (m.doc.FunctionResponseTypes?.includes('ReportBatchItemFailures')) {
      const failed = batchItemFailures(result.payload, new Set(batch.map((b) => b.MessageId)));
      if (failed === 'all') {
        await this.host.recordResult(this.uuid, 'PROBLEM: Function response invalid');
        return;
      }
      succeeded = batch.filter((b) => !failed.has(b.MessageId));
    }
    await this.#delete(queueUrl, succeeded, ctx);
    await this.host.recordResult(this.uuid, 'OK');
  }

  async #delete(queueUrl: string, messages: SqsMessage[], ctx: CallContext): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10);
      await this.host.platform.call('sqs', 'DeleteMessageBatch', {
        QueueUrl: queueUrl,
        Entries: chunk.map((msg, n) => ({ Id: String(n), ReceiptHandle: msg.ReceiptHandle })),
      }, ctx);
    }
  }
}

/** Reads `batchItemFailures`; an invalid answer fails the whole batch, as Lambda does. */
export function batchItemFailures(payload: Buffer, ids: Set<string>): Set<string> | 'all' {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return new Set();
  }
  if (value === null || typeof value !== 'object' || !('batchItemFailures' in value)) return new Set();
  const list = (value as { batchItemFailures: unknown }).batchItemFailures;
  if (list === null || list === undefined) return new Set();
  if (!Array.isArray(list)) return 'all';
  const failed = new Set<string>();
  for (const item of list) {
    const id = (item as { itemIdentifier?: unknown })?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !ids.has(id)) return 'all';
    failed.add(id);
  }
  return failed;
}

function toRecord(msg: SqsMessage, arn: string, region: string): unknown {
  const attributes: Record<string, unknown> = {};
  for (const [name, a] of Object.entries(msg.MessageAttributes ?? {})) {
    attributes[name] = {
      ...(a.StringValue !== undefined ? { stringValue: a.StringValue } : {}),
      ...(a.BinaryValue !== undefined ? { binaryValue: Buffer.from(a.BinaryValue).toString('base64') } : {}),
      stringListValues: a.StringListValues ?? [],
      binaryListValues: (a.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
      dataType: a.DataType,
    };
  }
  return {
    messageId: msg.MessageId,
    receiptHandle: msg.ReceiptHandle,
    body: msg.Body ?? '',
    attributes: msg.Attributes ?? {},
    messageAttributes: attributes,
    md5OfBody: msg.MD5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: arn,
    awsRegion: region,
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
