// The DynamoDB Streams event source: reads each shard in order through the dynamodbstreams
// service's public operations (DescribeStream, GetShardIterator, GetRecords), invokes the function
// with batches, retries failed batches (bisecting them when asked), sends exhausted batches to the
// on-failure destination, and checkpoints the last processed sequence number per shard.
import { randomUUID } from 'node:crypto';
import type { CallContext } from '@atoll/core';
import type { EventSourceMappingRecord } from './lambda-records.js';
import type { PollerHost } from './sqs-poller.js';
import type { DestinationSender } from './destinations.js';
import { EventFilter } from './event-filter.js';

interface StreamRecord {
  eventID?: string;
  eventName?: string;
  eventVersion?: string;
  eventSource?: string;
  awsRegion?: string;
  dynamodb?: { SequenceNumber?: string; ApproximateCreationDateTime?: Date | number; [key: string]: unknown };
  userIdentity?: unknown;
}

interface Shard {
  ShardId: string;
  ParentShardId?: string;
}

export interface StreamPollerHost extends PollerHost {
  destinations: DestinationSender;
  /** Records the last sequence number processed in a shard (never rejects). */
  checkpoint(uuid: string, shardId: string, sequenceNumber: string): Promise<void>;
}

export class StreamPoller {
  #stopped = false;
  #main?: Promise<void>;
  readonly #finished = new Set<string>();
  readonly #running = new Map<string, Promise<void>>();

  constructor(private readonly host: StreamPollerHost, private readonly uuid: string) {}

  start(_m: EventSourceMappingRecord): void {
    this.#main = this.#discover();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#main?.catch(() => {});
    await Promise.allSettled(this.#running.values());
  }

  async #discover(): Promise<void> {
    while (!this.#stopped) {
      const m = await this.host.mapping(this.uuid).catch(() => null);
      if (m === null) {
        await sleep(1000);
        continue;
      }
      if (!m || m.doc.State !== 'Enabled') return;
      try {
        const ctx: CallContext = await this.host.callContext(m);
        const out = await this.host.platform.call<{ StreamDescription?: { Shards?: Shard[] } }>('dynamodbstreams', 'DescribeStream', { StreamArn: m.doc.EventSourceArn }, ctx);
        const shards = out.StreamDescription?.Shards ?? [];
        const known = new Set(shards.map((s) => s.ShardId));
        for (const shard of shards) {
          if (this.#finished.has(shard.ShardId) || this.#running.has(shard.ShardId)) continue;
          // A child shard waits until its parent is read to its end.
          if (shard.ParentShardId && known.has(shard.ParentShardId) && !this.#finished.has(shard.ParentShardId)) continue;
          const run = this.#readShard(shard.ShardId).finally(() => this.#running.delete(shard.ShardId));
          this.#running.set(shard.ShardId, run);
        }
      } catch (error) {
        await this.host.recordResult(this.uuid, `PROBLEM: ${(error as Error).message}`);
      }
      await sleep(1000);
    }
  }

  async #readShard(shardId: string): Promise<void> {
    let iterator: string | undefined;
    while (!this.#stopped) {
      const m = await this.host.mapping(this.uuid).catch(() => null);
      if (m === null) {
        await sleep(1000);
        continue;
      }
      if (!m || m.doc.State !== 'Enabled') return;
      try {
        const ctx: CallContext = await this.host.callContext(m);
        if (!iterator) {
          const checkpoint = m.checkpoints?.[shardId];
          const out = await this.host.platform.call<{ ShardIterator?: string }>('dynamodbstreams', 'GetShardIterator', {
            StreamArn: m.doc.EventSourceArn,
            ShardId: shardId,
            ShardIteratorType: checkpoint ? 'AFTER_SEQUENCE_NUMBER' : (m.doc.StartingPosition ?? 'TRIM_HORIZON'),
            ...(checkpoint ? { SequenceNumber: checkpoint } : {}),
          }, ctx);
          iterator = out.ShardIterator;
          if (!iterator) {
            this.#finished.add(shardId);
            return;
          }
        }
        const out = await this.host.platform.call<{ Records?: StreamRecord[]; NextShardIterator?: string }>('dynamodbstreams', 'GetRecords', { ShardIterator: iterator, Limit: Math.min(m.doc.BatchSize, 1000) }, ctx);
        const all = out.Records ?? [];
        const filter = new EventFilter(m.doc.FilterCriteria?.Filters);
        const records = filter.empty ? all : all.filter((r) => filter.matches(JSON.parse(JSON.stringify(toLambdaRecord(r, m.doc.EventSourceArn), binaryAsBase64))));
        if (records.length > 0) await this.#process(m, shardId, records);
        else if (all.length > 0) await this.host.checkpoint(this.uuid, shardId, sequenceOf(all[all.length - 1]!));
        iterator = out.NextShardIterator;
        if (!iterator) {
          this.#finished.add(shardId);
          return;
        }
        if (records.length === 0) await sleep(Math.max(250, m.doc.MaximumBatchingWindowInSeconds * 1000));
      } catch (error) {
        iterator = undefined;
        await this.host.recordResult(this.uuid, `PROBLEM: ${(error as Error).message}`);
        await sleep(1000);
      }
    }
  }

  /** Runs one batch to completion: success, or retries (with bisection) until exhausted. */
  async #process(m: EventSourceMappingRecord, shardId: string, records: StreamRecord[]): Promise<void> {
    const maxAge = m.doc.MaximumRecordAgeInSeconds ?? -1;
    if (maxAge >= 0) {
      const now = Date.now() / 1000;
      const fresh = records.filter((r) => now - creationSeconds(r) <= maxAge);
      if (fresh.length < records.length) {
        await this.#onFailure(m, shardId, records.filter((r) => !fresh.includes(r)), 'RecordAgeExceeded', 0);
        records = fresh;
        if (records.length === 0) return;
      }
    }
    const queue: StreamRecord[][] = [records];
    while (queue.length > 0 && !this.#stopped) {
      const batch = queue.shift()!;
      const outcome = await this.#invokeWithRetries(m, shardId, batch);
      if (outcome === 'ok') {
        await this.host.checkpoint(this.uuid, shardId, sequenceOf(batch[batch.length - 1]!));
        continue;
      }
      if (outcome === 'stopped') return;
      const failed = outcome.remaining;
      if (m.doc.BisectBatchOnFunctionError && failed.length > 1) {
        const half = Math.ceil(failed.length / 2);
        queue.unshift(failed.slice(0, half), failed.slice(half));
        continue;
      }
      await this.#onFailure(m, shardId, failed, 'RetryAttemptsExhausted', outcome.attempts);
      await this.host.checkpoint(this.uuid, shardId, sequenceOf(batch[batch.length - 1]!));
    }
  }

  async #invokeWithRetries(m: EventSourceMappingRecord, shardId: string, batch: StreamRecord[]): Promise<'ok' | 'stopped' | { attempts: number; remaining: StreamRecord[] }> {
    const maxRetries = m.doc.MaximumRetryAttempts ?? -1;
    const scope = { account: m.account, region: m.region };
    let attempts = 0;
    let pending = batch;
    for (;;) {
      if (this.#stopped) return 'stopped';
      attempts++;
      const payload = Buffer.from(JSON.stringify({ Records: pending.map((r) => toLambdaRecord(r, m.doc.EventSourceArn)) }, binaryAsBase64));
      let failedFrom: number | undefined;
      try {
        const target = await this.host.invoker.resolve(scope, m.functionName, m.doc.FunctionArn.split(':')[7]);
        const result = await this.host.invoker.run(scope, target, { payload });
        if (!result.functionError) {
          failedFrom = firstReportedFailure(m, result.payload, pending);
          if (failedFrom === undefined) {
            await this.host.recordResult(this.uuid, 'OK');
            return 'ok';
          }
        }
      } catch (error) {
        if ((error as { code?: string }).code === 'TooManyRequestsException') {
          attempts--;
          await sleep(200);
          continue;
        }
        await this.host.recordResult(this.uuid, `PROBLEM: ${(error as Error).message}`);
      }
      if (failedFrom !== undefined && failedFrom > 0) {
        // Records before the first reported failure are done.
        await this.host.checkpoint(this.uuid, shardId, sequenceOf(pending[failedFrom - 1]!));
        pending = pending.slice(failedFrom);
      }
      await this.host.recordResult(this.uuid, 'PROBLEM: Function call failed');
      if (m.doc.BisectBatchOnFunctionError && pending.length > 1) return { attempts, remaining: pending };
      if (maxRetries >= 0 && attempts > maxRetries) return { attempts, remaining: pending };
      await sleep(Math.min(100 * 2 ** Math.min(attempts, 6), 5000));
    }
  }

  async #onFailure(m: EventSourceMappingRecord, shardId: string, batch: StreamRecord[], condition: string, attempts: number): Promise<void> {
    const dest = m.doc.DestinationConfig?.OnFailure?.Destination;
    if (!dest || batch.length === 0) return;
    const body = {
      requestContext: { requestId: randomUUID(), functionArn: m.doc.FunctionArn, condition, approximateInvokeCount: attempts },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId,
        startSequenceNumber: sequenceOf(batch[0]!),
        endSequenceNumber: sequenceOf(batch[batch.length - 1]!),
        approximateArrivalOfFirstRecord: new Date(creationSeconds(batch[0]!) * 1000).toISOString(),
        approximateArrivalOfLastRecord: new Date(creationSeconds(batch[batch.length - 1]!) * 1000).toISOString(),
        batchSize: batch.length,
        streamArn: m.doc.EventSourceArn,
      },
    };
    await this.host.destinations.send(dest, JSON.stringify(body), { account: m.account, region: m.region }).catch(() => {});
  }
}

function firstReportedFailure(m: EventSourceMappingRecord, payload: Buffer, batch: StreamRecord[]): number | undefined {
  if (!m.doc.FunctionResponseTypes?.includes('ReportBatchItemFailures')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  const list = (value as { batchItemFailures?: { itemIdentifier?: string }[] } | null)?.batchItemFailures;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  let first: number | undefined;
  for (const item of list) {
    const index = batch.findIndex((r) => sequenceOf(r) === item?.itemIdentifier);
    if (index < 0) return 0;
    first = first === undefined ? index : Math.min(first, index);
  }
  return first;
}

/** Binary attribute values (Buffers from the typed Streams API) as the base64 text Lambda events carry. */
function base64Binaries(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map(base64Binaries);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, base64Binaries(v)]));
  }
  return value;
}

function toLambdaRecord(r: StreamRecord, arn: string): unknown {
  const dynamodb = base64Binaries({ ...(r.dynamodb ?? {}) }) as Record<string, unknown>;
  if (r.dynamodb?.ApproximateCreationDateTime !== undefined) dynamodb.ApproximateCreationDateTime = creationSeconds(r);
  // The Streams API names the identity `{ Type, PrincipalId }`; Lambda events use lower camel case.
  const identity = r.userIdentity as { Type?: string; PrincipalId?: string } | undefined;
  return {
    eventID: r.eventID,
    eventName: r.eventName,
    eventVersion: r.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: r.awsRegion,
    dynamodb,
    eventSourceARN: arn,
    ...(identity ? { userIdentity: { type: identity.Type, principalId: identity.PrincipalId } } : {}),
  };
}

function creationSeconds(r: StreamRecord): number {
  const t = r.dynamodb?.ApproximateCreationDateTime;
  if (t instanceof Date) return Math.floor(t.getTime() / 1000);
  if (typeof t === 'number') return t;
  return Math.floor(Date.now() / 1000);
}

const sequenceOf = (r: StreamRecord): string => String(r.dynamodb?.SequenceNumber ?? '');

/** JSON replacer: binary attribute values travel as base64, as in the Lambda event. */
function binaryAsBase64(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return Buffer.from((value as { data: number[] }).data).toString('base64');
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
