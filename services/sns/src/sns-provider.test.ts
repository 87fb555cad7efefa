import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { X509Certificate, createVerify } from 'node:crypto';
import type { ServiceError } from '@atoll/core';
import { stringToSign, type Envelope } from './envelope.js';
import { fakePlatform, requestContext, type FakePlatform } from '@atoll/test-support';
import { SnsProvider } from './sns-provider.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

let platform: FakePlatform;
let sns: SnsProvider;
const ctx = requestContext();
const op = async (name: string, input: unknown): Promise<Any> => sns.operations[name]!(input, ctx);
/** Batches SNS sent to SQS, by queue URL. */
const sent = new Map<string, Any[]>();
const queues = new Set(['orders', 'audit', 'raw', 'ordered.fifo', 'a', 'b', 'c', 'd', 'gone', 'dlq']);
/** Single messages SNS sent to SQS (dead letters). */
const single: Any[] = [];

async function rejectsWith(promise: Promise<unknown>, code: string, status?: number): Promise<void> {
  await assert.rejects(promise, (err: ServiceError) => {
    assert.equal(err.code, code);
    if (status !== undefined) assert.equal(err.status, status);
    return true;
  });
}

const queueArn = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;
const delivered = (name: string): Any[] => (sent.get(`http://127.0.0.1:4566/000000000000/${name}`) ?? []).flatMap((b) => b.Entries);

function verifies(envelope: Envelope, certPem: string): boolean {
  const algorithm = envelope.SignatureVersion === '2' ? 'RSA-SHA256' : 'RSA-SHA1';
  return createVerify(algorithm).update(stringToSign(envelope)).verify(new X509Certificate(certPem).publicKey, envelope.Signature, 'base64');
}

before(async () => {
  platform = fakePlatform();
  platform.handlers.set('sqs.GetQueueUrl', (input: Any) => {
    if (!queues.has(input.QueueName)) throw new Error('QueueDoesNotExist');
    return { QueueUrl: `http://127.0.0.1:4566/000000000000/${input.QueueName}` };
  });
  platform.handlers.set('sqs.SendMessage', (input: Any) => {
    single.push(input);
    return { MessageId: 'x' };
  });
  platform.handlers.set('sqs.SendMessageBatch', (input: Any) => {
    if (input.QueueUrl.endsWith('/gone')) throw Object.assign(new Error('The specified queue does not exist.'), { code: 'QueueDoesNotExist' });
    const list = sent.get(input.QueueUrl) ?? [];
    list.push(input);
    sent.set(input.QueueUrl, list);
    return { Successful: input.Entries.map((e: Any) => ({ Id: e.Id })), Failed: [] };
  });
  sns = new SnsProvider(platform, { retryDelayScale: 0.001 });
  await sns.start();
});

after(async () => {
  await sns.close();
  platform.cleanup();
});

describe('topics', () => {
  test('CreateTopic is idempotent and refuses the same name with different attributes', async () => {
    const a = await op('CreateTopic', { Name: 'events', Attributes: { DisplayName: 'Events' } });
    assert.equal(a.TopicArn, 'arn:aws:sns:us-east-1:000000000000:events');
    assert.deepEqual(await op('CreateTopic', { Name: 'events', Attributes: { DisplayName: 'Events' } }), a);
    await rejectsWith(op('CreateTopic', { Name: 'events', Attributes: { DisplayName: 'Other' } }), 'InvalidParameter', 400);
  });

  test('topic names are checked, and FIFO topics must end in .fifo', async () => {
    await rejectsWith(op('CreateTopic', { Name: 'bad name' }), 'InvalidParameter');
    await rejectsWith(op('CreateTopic', { Name: 'nofifo', Attributes: { FifoTopic: 'true' } }), 'InvalidParameter');
    await rejectsWith(op('CreateTopic', { Name: 'std', Attributes: { ContentBasedDeduplication: 'true' } }), 'InvalidParameter');
  });

  test('attributes, tags and the missing-topic error', async () => {
    const { TopicArn } = await op('CreateTopic', { Name: 'attrs', Tags: [{ Key: 'team', Value: 'a' }] });
    await op('SetTopicAttributes', { TopicArn, AttributeName: 'DisplayName', AttributeValue: 'Shown' });
    const { Attributes } = await op('GetTopicAttributes', { TopicArn });
    assert.equal(Attributes.DisplayName, 'Shown');
    assert.equal(Attributes.SubscriptionsConfirmed, '0');
    assert.ok(JSON.parse(Attributes.Policy).Statement.length > 0);
    await op('TagResource', { ResourceArn: TopicArn, Tags: [{ Key: 'env', Value: 'dev' }] });
    await op('UntagResource', { ResourceArn: TopicArn, TagKeys: ['team'] });
    assert.deepEqual((await op('ListTagsForResource', { ResourceArn: TopicArn })).Tags, [{ Key: 'env', Value: 'dev' }]);
    await rejectsWith(op('GetTopicAttributes', { TopicArn: `${TopicArn}-missing` }), 'NotFound', 404);
    await rejectsWith(op('Publish', { TopicArn: `${TopicArn}-missing`, Message: 'x' }), 'NotFound', 404);
  });
});

describe('delivery to SQS', () => {
  test('a published message reaches each SQS subscriber as a signed notification', async () => {
    const { TopicArn } = await op('CreateTopic', { Name: 'fanout', Attributes: { SignatureVersion: '2' } });
    const sub = await op('Subscribe', { TopicArn, Protocol: 'sqs', Endpoint: queueArn('orders') });
    assert.match(sub.SubscriptionArn, /^arn:aws:sns:us-east-1:000000000000:fanout:/);
    await op('Subscribe', { TopicArn, Protocol: 'sqs', Endpoint: queueArn('audit') });
    const { MessageId } = await op('Publish', {
      TopicArn,
      Message: 'hello',
      Subject: 'greeting',
      MessageAttributes: { kind: { DataType: 'String', StringValue: 'test' } },
    });
    await sns.fanOut.idle();
    for (const q of ['orders', 'audit']) {
      const [entry] = delivered(q);
      const envelope = JSON.parse(entry.MessageBody) as Envelope;
      assert.equal(envelope.Type, 'Notification');
      assert.equal(envelope.MessageId, MessageId);
      assert.equal(envelope.Message, 'hello');
      assert.equal(envelope.Subject, 'greeting');
      assert.deepEqual(envelope.MessageAttributes, { kind: { Type: 'String', Value: 'test' } });
      assert.equal(envelope.SignatureVersion, '2');
      assert.equal(verifies(envelope, sns.identity.certificatePem), true);
      assert.match(envelope.SigningCertURL, /\/_atoll\/sns\/SimpleNotificationService\.pem$/);
    }
  });

  test('raw delivery sends the bare message with its attributes', async () => {
    const { TopicArn } = await op('CreateTopic', { Name: 'rawtopic' });
    await op('Subscribe', { TopicArn, Protocol: 'sqs', Endpoint: queueArn('raw'), Attributes: { RawMessageDelivery: 'true' } });
    await op('Publish', { TopicArn, Message: 'bare', MessageAttributes: { n: { DataType: 'Number', StringValue: '5' } } });
    await sns.fanOut.idle();
    const [entry] = delivered('raw');
    assert.equal(entry.MessageBody, 'bare');
    assert.deepEqual(entry.MessageAttributes, { n: { DataType: 'Number', StringValue: '5' } });
  });

  test('filter policies choose which subscribers get a message', async () => {
    const { TopicArn } = await op('CreateTopic', { Name: 'filtered' });
    await op('Subscribe', { TopicArn, Protocol: 'sqs', Endpoint: queueArn('a'), Attributes: { FilterPolicy: '{"color":["red"]}' } });
    await op('Subscribe', {
      TopicArn,
      Protocol: 'sqs',
      Endpoint: queueArn('b'),
      Attributes: { FilterPolicy: '{"order":{"total":[{"numeric":[">",100]}]}}', FilterPolicyScope: 'MessageBody' },
    });
    await op('Publish', { TopicArn, Message: '{"order":{"total":50}}', MessageAttributes: { color: { DataType: 'String', StringValue: 'red' } } });
    await op('Publish', { TopicArn, Message: '{"order":{"total":500}}', MessageAttributes: { color: { DataType: 'String', StringValue: 'blue' } } });
    await sns.fanOut.idle();
    assert.deepEqual(delivered('a').map((e) => JSON.parse(e.MessageBody).Message), ['{"order":{"total":50}}']);
    assert.deepEqual(delivered('b').map((e) => JSON.parse(e.MessageBody).Message), ['{"order":{"total":500}}']);
  });

  test('an invalid filter policy and a missing queue are refused', async () => {
    const { TopicArn } = await op('CreateTopic', { Name: 'refusals' });
    await rejectsWith(op('Subscribe', { TopicArn, Protocol: 'sqs', Endpoint: queueArn('nope') }), 'InvalidParameter', 400);
    await rejectsWith(
      op('Subscribe', { TopicArn, Protocol: 'sqs', Endpoint: queueArn('a'), Attributes: { FilterPolicy: '{"a":"b"}' } }),
      'InvalidParameter',
    );
    await rejectsWith(op('Subscribe', { TopicArn, Protocol: 'sqs', Endpoint: queueArn('ordered.fifo') }), 'InvalidParameter');
  });

  test('a FIFO topic keeps order, deduplicates, and requires a group id', async () => {
    const { TopicArn } = await op('CreateTopic', { Name: 'ordered.fifo', Attributes: { FifoTopic: 'true' } });
    await op('Subscribe', { TopicArn, Protocol: 'sqs', Endpoint: queueArn('ordered.fifo') });
    await rejectsWith(op('Publish', { TopicArn, Message: 'x', MessageDeduplicationId: 'd' }), 'InvalidParameter');
    await rejectsWith(op('Publish', { TopicArn, Message: 'x', MessageGroupId: 'g' }), 'InvalidParameter');
    const ids: string[] = [];
    for (let i = 0; i < 15; i++) {
      const r = await op('Publish', { TopicArn, Message: `m${i}`, MessageGroupId: 'g', MessageDeduplicationId: `d${i}` });
      assert.match(r.SequenceNumber, /^\d{20}$/);
      ids.push(r.MessageId);
    }
    const dup = await op('Publish', { TopicArn, Message: 'again', MessageGroupId: 'g', MessageDeduplicationId: 'd3' });
    assert.equal(dup.MessageId, ids[3]);
    await sns.fanOut.idle();
    const entries = delivered('ordered.fifo');
    assert.deepEqual(entries.map((e) => JSON.parse(e.MessageBody).Message), ids.map((_, i) => `m${i}`));
    assert.equal(entries[0].MessageGroupId, 'g');
    assert.equal(entries[0].MessageDeduplicationId, 'd0');
  });

  test('PublishBatch applies the batch rules and reports per-entry failures', async () => {
    const { TopicArn } = await op('CreateTopic', { Name: 'batch' });
    const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ Id: `e${i}`, Message: `m${i}` }));
    await rejectsWith(op('PublishBatch', { TopicArn, PublishBatchRequestEntries: entries(11) }), 'TooManyEntriesInBatchRequest');
    await rejectsWith(op('PublishBatch', { TopicArn, PublishBatchRequestEntries: [] }), 'EmptyBatchRequest');
    await rejectsWith(op('PublishBatch', { TopicArn, PublishBatchRequestEntries: [{ Id: 'a', Message: 'x' }, { Id: 'a', Message: 'y' }] }), 'BatchEntryIdsNotDistinct');
    await rejectsWith(op('PublishBatch', { TopicArn, PublishBatchRequestEntries: [{ Id: 'a b', Message: 'x' }] }), 'InvalidBatchEntryId');
    const result = await op('PublishBatch', { TopicArn, PublishBatchRequestEntries: [...entries(2), { Id: 'bad', Message: '' }] });
    assert.deepEqual(result.Successful.map((s: Any) => s.Id), ['e0', 'e1']);
    assert.equal(result.Failed[0].Code, 'InvalidParameter');
  });

  test('a message that cannot be delivered goes to the subscription dead-letter queue', async () => {
    const { TopicArn } = await op('CreateTopic', { Name: 'with-dlq' });
    await op('Subscribe', {
      TopicArn,
      Protocol: 'sqs',
      Endpoint: queueArn('gone'),
      Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: queueArn('dlq') }) },
    });
    const { MessageId } = await op('Publish', { TopicArn, Message: 'undeliverable' });
    await sns.fanOut.idle();
    for (let i = 0; i < 100 && single.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(single[0].QueueUrl, 'http://127.0.0.1:4566/000000000000/dlq');
    assert.equal(JSON.parse(single[0].MessageBody).MessageId, MessageId);
    assert.equal(single[0].MessageAttributes.ErrorCode.StringValue, 'QueueDoesNotExist');
  });

  test('a published message waiting in the outbox is delivered after a restart', async () => {
    const { TopicArn } = await op('CreateTopic', { Name: 'durable' });
    await op('Subscribe', { TopicArn, Protocol: 'sqs', Endpoint: queueArn('c') });
    sns.fanOut.close();
    await op('Publish', { TopicArn, Message: 'survives' });
    await sns.close();
    assert.deepEqual(delivered('c'), []);
    sns = new SnsProvider(platform, { retryDelayScale: 0.001 });
    await sns.start();
    await new Promise((r) => setImmediate(r));
    await sns.fanOut.idle();
    assert.deepEqual(delivered('c').map((e) => JSON.parse(e.MessageBody).Message), ['survives']);
  });
});

describe('delivery to HTTP', () => {
  let server: Server;
  let url: string;
  const received: { headers: IncomingMessage['headers']; body: Any }[] = [];
  let failNext = 0;

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (failNext > 0) {
          failNext--;
          res.writeHead(500).end();
          return;
        }
        received.push({ headers: req.headers, body: JSON.parse(body) });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });

  after(() => new Promise<void>((r) => server.close(() => r())));

  const waitFor = async (n: number) => {
    for (let i = 0; i < 200 && received.length < n; i++) await new Promise((r) => setTimeout(r, 10));
  };

  test('an HTTP subscription is pending until the endpoint confirms with the token it received', async () => {
    const { TopicArn } = await op('CreateTopic', { Name: 'web' });
    const sub = await op('Subscribe', { TopicArn, Protocol: 'http', Endpoint: url });
    assert.equal(sub.SubscriptionArn, 'pending confirmation');
    await waitFor(1);
    const confirmation = received[0]!;
    assert.equal(confirmation.headers['x-amz-sns-message-type'], 'SubscriptionConfirmation');
    assert.equal(confirmation.body.Type, 'SubscriptionConfirmation');
    assert.equal(verifies(confirmation.body, sns.identity.certificatePem), true);
    await rejectsWith(op('ConfirmSubscription', { TopicArn, Token: 'wrong' }), 'InvalidParameter');
    const confirmed = await op('ConfirmSubscription', { TopicArn, Token: confirmation.body.Token });
    assert.match(confirmed.SubscriptionArn, /^arn:aws:sns:/);

    failNext = 1; // the first attempt fails with 500 and is retried
    await op('Publish', { TopicArn, Message: 'over http' });
    await waitFor(2);
    assert.equal(received[1]!.headers['x-amz-sns-message-type'], 'Notification');
    assert.equal(received[1]!.body.Message, 'over http');
    assert.equal(verifies(received[1]!.body, sns.identity.certificatePem), true);
    const attributes = (await op('GetSubscriptionAttributes', { SubscriptionArn: confirmed.SubscriptionArn })).Attributes;
    assert.equal(attributes.PendingConfirmation, 'false');
    assert.equal(attributes.Protocol, 'http');
  });

  test('an HTTP delivery still failing at shutdown is attempted again after a restart', async () => {
    const TopicArn = 'arn:aws:sns:us-east-1:000000000000:web';
    failNext = 1_000_000;
    const before = received.length;
    await op('SetSubscriptionAttributes', {
      SubscriptionArn: (await op('ListSubscriptionsByTopic', { TopicArn })).Subscriptions[0].SubscriptionArn,
      AttributeName: 'DeliveryPolicy',
      AttributeValue: JSON.stringify({ healthyRetryPolicy: { numRetries: 100, minDelayTarget: 1, maxDelayTarget: 1 } }),
    });
    await op('Publish', { TopicArn, Message: 'after restart' });
    await sns.fanOut.idle();
    await sns.close();
    failNext = 0;
    sns = new SnsProvider(platform, { retryDelayScale: 0.001 });
    await sns.start();
    await waitFor(before + 1);
    assert.equal(received[before]!.body.Message, 'after restart');
  });
});
