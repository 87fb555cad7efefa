// A PlatformContext for provider-level tests: a temporary data directory, a silent logger, and
// `call` routed to small in-memory stand-ins for SQS and DynamoDB Streams (their public operations
// only), so that event sources and destinations are tested without those services.
import { embeddedStorage } from '@atoll/storage';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID, createHash } from 'node:crypto';
import { EventBus, loadConfig, serviceError, type PlatformContext, type RequestContext } from '@atoll/core';
import { requestContext as sharedRequestContext, silentLogger, tempDir } from '@atoll/test-support';


interface FakeMessage {
  id: string;
  body: string;
  receives: number;
  visibleAt: number;
  receipt?: string;
}

export class FakeSqs {
  readonly queues = new Map<string, FakeMessage[]>();
  /** Messages moved to a queue's dead-letter queue after maxReceives. */
  readonly redrive = new Map<string, { target: string; maxReceives: number }>();
  visibilityMs = 200;

  send(queue: string, body: string): void {
    this.#queue(queue).push({ id: randomUUID(), body, receives: 0, visibleAt: 0 });
  }

  bodies(queue: string): string[] {
    return this.#queue(queue).map((m) => m.body);
  }

  async call(op: string, input: Record<string, any>): Promise<unknown> {
    const name = (q: string) => q.split('/').pop()!;
    switch (op) {
      case 'GetQueueUrl':
        if (!this.queues.has(input.QueueName)) throw serviceError('QueueDoesNotExist', 400, 'The specified queue does not exist.');
        return { QueueUrl: `http://fake/000000000000/${input.QueueName}` };
      case 'SendMessage':
        this.send(name(input.QueueUrl), input.MessageBody);
        return { MessageId: randomUUID() };
      case 'ReceiveMessage': {
        const queue = this.#queue(name(input.QueueUrl));
        const now = Date.now();
        const out: unknown[] = [];
        for (const m of [...queue]) {
          if (out.length >= (input.MaxNumberOfMessages ?? 1) || m.visibleAt > now) continue;
          const policy = this.redrive.get(name(input.QueueUrl));
          if (policy && m.receives >= policy.maxReceives) {
            queue.splice(queue.indexOf(m), 1);
            this.#queue(policy.target).push({ ...m, receives: 0, visibleAt: 0 });
            continue;
          }
          m.receives++;
          m.visibleAt = now + this.visibilityMs;
          m.receipt = randomUUID();
          out.push({
            MessageId: m.id,
            ReceiptHandle: m.receipt,
            Body: m.body,
            MD5OfBody: createHash('md5').update(m.body).digest('hex'),
            Attributes: { ApproximateReceiveCount: String(m.receives), SentTimestamp: String(now) },
          });
        }
        if (out.length === 0 && input.WaitTimeSeconds) await new Promise((r) => setTimeout(r, 50));
        return { Messages: out };
      }
      case 'DeleteMessageBatch': {
        const queue = this.#queue(name(input.QueueUrl));
        for (const e of input.Entries) {
          const i = queue.findIndex((m) => m.receipt === e.ReceiptHandle);
          if (i >= 0) queue.splice(i, 1);
        }
        return { Successful: input.Entries.map((e: { Id: string }) => ({ Id: e.Id })), Failed: [] };
      }
      default:
        throw serviceError('NotImplemented', 501, op);
    }
  }

  #queue(name: string): FakeMessage[] {
    let q = this.queues.get(name);
    if (!q) this.queues.set(name, (q = []));
    return q;
  }
}

export class FakeStreams {
  /** Records per shard, in order. */
  readonly shards = new Map<string, { SequenceNumber: string; Keys: Record<string, unknown>; NewImage?: Record<string, unknown> }[]>();
  #seq = 100;

  put(shard: string, key: string): string {
    const seq = String(this.#seq++).padStart(21, '0');
    let list = this.shards.get(shard);
    if (!list) this.shards.set(shard, (list = []));
    list.push({ SequenceNumber: seq, Keys: { id: { S: key } }, NewImage: { id: { S: key } } });
    return seq;
  }

  async call(op: string, input: Record<string, any>): Promise<unknown> {
    switch (op) {
      case 'DescribeStream':
        return { StreamDescription: { StreamArn: input.StreamArn, Shards: [...this.shards.keys()].map((id) => ({ ShardId: id })) } };
      case 'GetShardIterator': {
        const list = this.shards.get(input.ShardId) ?? [];
        let position = 0;
        if (input.ShardIteratorType === 'LATEST') position = list.length;
        if (input.ShardIteratorType === 'AFTER_SEQUENCE_NUMBER') position = list.findIndex((r) => r.SequenceNumber === input.SequenceNumber) + 1;
        return { ShardIterator: `${input.ShardId}|${position}` };
      }
      case 'GetRecords': {
        const [shard, pos] = String(input.ShardIterator).split('|');
        const list = this.shards.get(shard!) ?? [];
        const start = Number(pos);
        const records = list.slice(start, start + (input.Limit ?? 100)).map((r) => ({
          eventID: randomUUID(),
          eventName: 'INSERT',
          eventVersion: '1.1',
          eventSource: 'aws:dynamodb',
          awsRegion: 'us-east-1',
          dynamodb: { ...r, ApproximateCreationDateTime: new Date(), StreamViewType: 'NEW_IMAGE', SizeBytes: 10 },
        }));
        return { Records: records, NextShardIterator: `${shard}|${start + records.length}` };
      }
      default:
        throw serviceError('NotImplemented', 501, op);
    }
  }
}

export function fakePlatform(dataDir = tempDir('atoll-lambda-')) {
  const sqs = new FakeSqs();
  const streams = new FakeStreams();
  const config = loadConfig([], {}, { dataDir, port: 0 });
  const platform: PlatformContext = {
    config,
    logger: silentLogger,
    bus: new EventBus(),
    auditTrail: { page: async () => ({ events: [] }) },
    storage: embeddedStorage({ dataDir }),
    endpoint: () => 'http://127.0.0.1:4566',
    async call<O>(service: string, op: string, input: unknown): Promise<O> {
      if (service === 'sqs') return (await sqs.call(op, input as Record<string, any>)) as O;
      if (service === 'dynamodbstreams') return (await streams.call(op, input as Record<string, any>)) as O;
      throw serviceError('UnknownService', 400, `no service ${service}`);
    },
  };
  return { platform, sqs, streams, dataDir };
}

export function requestContext(operation = 'Test'): RequestContext {
  return sharedRequestContext({ requestId: randomUUID(), service: 'lambda', operation });
}
