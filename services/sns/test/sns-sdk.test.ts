// End-to-end: the real platform (SNS and SQS) on port 0, driven by @aws-sdk/client-sns and
// @aws-sdk/client-sqs; notifications are checked against the certificate served at SigningCertURL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { X509Certificate, createVerify } from 'node:crypto';
import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  PublishBatchCommand,
  PublishCommand,
  SetSubscriptionAttributesCommand,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { queuePolicyAllowing, startPlatform, type TestPlatform } from '@atoll/test-support';

let platform: TestPlatform;
let sns: SNSClient;
let sqs: SQSClient;
let n = 0;

async function rejectsWith(promise: Promise<unknown>, name: string, status: number): Promise<void> {
  await assert.rejects(promise, (err: { name: string; $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(err.name, name);
    assert.equal(err.$metadata?.httpStatusCode, status);
    return true;
  });
}

/** A queue whose policy lets SNS topics of this account send to it (as AWS requires). */
async function queue(fifo = false): Promise<{ url: string; arn: string }> {
  const name = `sub-${++n}${fifo ? '.fifo' : ''}`;
  const Policy = queuePolicyAllowing(`arn:aws:sqs:${platform.region}:${platform.accountId}:${name}`, 'sns.amazonaws.com', `arn:aws:sns:${platform.region}:${platform.accountId}:*`);
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: fifo ? { FifoQueue: 'true', Policy } : { Policy } }),
  );
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { url: QueueUrl!, arn: Attributes!.QueueArn! };
}

async function receiveAll(url: string, count: number): Promise<string[]> {
  const bodies: string[] = [];
  for (let i = 0; i < 20 && bodies.length < count; i++) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const m of Messages ?? []) bodies.push(m.Body!);
  }
  return bodies;
}

async function verifies(envelope: Record<string, string>): Promise<boolean> {
  const pem = await (await fetch(envelope.SigningCertURL!)).text();
  const fields =
    envelope.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  const text = fields.filter((f) => envelope[f] !== undefined).map((f) => `${f}\n${envelope[f]}\n`).join('');
  const algorithm = envelope.SignatureVersion === '2' ? 'RSA-SHA256' : 'RSA-SHA1';
  return createVerify(algorithm).update(text).verify(new X509Certificate(pem).publicKey, envelope.Signature!, 'base64');
}

before(async () => {
  platform = await startPlatform({ services: ['sqs', 'sns'] });
  sns = platform.client(SNSClient);
  sqs = platform.client(SQSClient);
});

after(async () => {
  await platform.stop();
});

describe('SNS through the SDK', () => {
  test('a publish reaches every subscribed queue as a notification that verifies with the served certificate', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'orders' }));
    const queues = [await queue(), await queue()];
    for (const q of queues) await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: q.arn }));
    const { MessageId } = await sns.send(
      new PublishCommand({ TopicArn, Message: 'order placed', Subject: 'new', MessageAttributes: { kind: { DataType: 'String', StringValue: 'a' } } }),
    );
    for (const q of queues) {
      const [body] = await receiveAll(q.url, 1);
      const envelope = JSON.parse(body!) as Record<string, string>;
      assert.equal(envelope.MessageId, MessageId);
      assert.equal(envelope.Message, 'order placed');
      assert.equal(envelope.TopicArn, TopicArn);
      assert.equal(await verifies(envelope), true);
    }
    const subs = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
    assert.equal(subs.Subscriptions!.length, 2);
    const topics = await sns.send(new ListTopicsCommand({}));
    assert.ok(topics.Topics!.some((t) => t.TopicArn === TopicArn));
  });

  test('raw delivery and filter policies apply per subscription', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'filtered' }));
    const q = await queue();
    const { SubscriptionArn } = await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: q.arn, ReturnSubscriptionArn: true }));
    await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn, AttributeName: 'RawMessageDelivery', AttributeValue: 'true' }));
    await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn, AttributeName: 'FilterPolicy', AttributeValue: '{"level":[{"prefix":"err"}]}' }));
    const attrs = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn }));
    assert.equal(attrs.Attributes!.RawMessageDelivery, 'true');
    await sns.send(new PublishCommand({ TopicArn, Message: 'skip me', MessageAttributes: { level: { DataType: 'String', StringValue: 'info' } } }));
    await sns.send(new PublishCommand({ TopicArn, Message: 'keep me', MessageAttributes: { level: { DataType: 'String', StringValue: 'error' } } }));
    assert.deepEqual(await receiveAll(q.url, 1), ['keep me']);
  });

  test('a FIFO topic delivers to a FIFO queue in order, once per deduplication id', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'ordered.fifo', Attributes: { FifoTopic: 'true' } }));
    const q = await queue(true);
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: q.arn, Attributes: { RawMessageDelivery: 'true' } }));
    for (let i = 0; i < 12; i++) {
      await sns.send(new PublishCommand({ TopicArn, Message: `m${i}`, MessageGroupId: 'g', MessageDeduplicationId: `d${i}` }));
    }
    await sns.send(new PublishCommand({ TopicArn, Message: 'dup', MessageGroupId: 'g', MessageDeduplicationId: 'd0' }));
    const bodies: string[] = [];
    for (let i = 0; i < 20 && bodies.length < 12; i++) {
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: q.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      for (const m of Messages ?? []) bodies.push(m.Body!);
      // The group stays locked until the received messages are deleted.
      if (Messages?.length) {
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: q.url, Entries: Messages.map((m, j) => ({ Id: `d${j}`, ReceiptHandle: m.ReceiptHandle! })) }));
      }
    }
    assert.deepEqual(bodies, Array.from({ length: 12 }, (_, i) => `m${i}`));
  });

  test('PublishBatch publishes every entry', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'batched' }));
    const q = await queue();
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: q.arn, Attributes: { RawMessageDelivery: 'true' } }));
    const result = await sns.send(
      new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: Array.from({ length: 10 }, (_, i) => ({ Id: `e${i}`, Message: `b${i}` })) }),
    );
    assert.equal(result.Successful!.length, 10);
    assert.deepEqual((await receiveAll(q.url, 10)).sort(), Array.from({ length: 10 }, (_, i) => `b${i}`).sort());
  });

  test('an HTTP endpoint receives a confirmation, confirms through SubscribeURL, then gets notifications', async () => {
    const received: Record<string, string>[] = [];
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(JSON.parse(body) as Record<string, string>);
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'webhook' }));
      const sub = await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'http', Endpoint: endpoint }));
      assert.equal(sub.SubscriptionArn, 'pending confirmation');
      for (let i = 0; i < 200 && received.length < 1; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(received[0]!.Type, 'SubscriptionConfirmation');
      assert.equal(await verifies(received[0]!), true);
      const confirm = await fetch(received[0]!.SubscribeURL!);
      assert.equal(confirm.status, 200);
      await sns.send(new PublishCommand({ TopicArn, Message: 'hook' }));
      for (let i = 0; i < 200 && received.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(received[1]!.Type, 'Notification');
      assert.equal(received[1]!.Message, 'hook');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('SNS errors through the SDK', () => {
  test('a missing topic answers NotFound', async () => {
    const arn = `arn:aws:sns:${platform.region}:${platform.accountId}:missing`;
    await rejectsWith(sns.send(new PublishCommand({ TopicArn: arn, Message: 'x' })), 'NotFoundException', 404);
    await rejectsWith(sns.send(new GetTopicAttributesCommand({ TopicArn: arn })), 'NotFoundException', 404);
  });

  test('a subscription to a queue that does not exist answers InvalidParameter', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'noqueue' }));
    await rejectsWith(
      sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: `arn:aws:sqs:${platform.region}:${platform.accountId}:nope` })),
      'InvalidParameterException',
      400,
    );
  });

  test('batch rules and FIFO rules answer their errors', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'rules.fifo', Attributes: { FifoTopic: 'true' } }));
    await rejectsWith(sns.send(new PublishCommand({ TopicArn, Message: 'x', MessageDeduplicationId: 'd' })), 'InvalidParameterException', 400);
    await rejectsWith(
      sns.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, Message: 'x', MessageGroupId: 'g' })) })),
      'TooManyEntriesInBatchRequestException',
      400,
    );
    await rejectsWith(
      sns.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: [{ Id: 'a', Message: 'x' }, { Id: 'a', Message: 'y' }] })),
      'BatchEntryIdsNotDistinctException',
      400,
    );
  });

  test('unsubscribing and deleting topics remove them', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'shortlived' }));
    const q = await queue();
    const { SubscriptionArn } = await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: q.arn }));
    await sns.send(new UnsubscribeCommand({ SubscriptionArn }));
    await rejectsWith(sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn })), 'NotFoundException', 404);
    await sns.send(new DeleteTopicCommand({ TopicArn }));
    await rejectsWith(sns.send(new GetTopicAttributesCommand({ TopicArn })), 'NotFoundException', 404);
  });
});
