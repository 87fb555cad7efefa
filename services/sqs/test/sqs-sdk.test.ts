// End-to-end: the real platform on port 0, driven by @aws-sdk/client-sqs (JSON protocol, which
// verifies the MD5 digests itself) and by raw signed query-protocol requests.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ChangeMessageVisibilityBatchCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  TagQueueCommand,
} from '@aws-sdk/client-sqs';
import { signedFetch, startPlatform, type TestPlatform } from '@atoll/test-support';

let platform: TestPlatform;
let sqs: SQSClient;
let n = 0;

async function rejectsWith(promise: Promise<unknown>, name: string, status: number): Promise<void> {
  await assert.rejects(promise, (err: { name: string; $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(err.name, name);
    assert.equal(err.$metadata?.httpStatusCode, status);
    return true;
  });
}

async function queue(attributes?: Record<string, string>, fifo = false): Promise<string> {
  const QueueName = `e2e-${++n}${fifo ? '.fifo' : ''}`;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName, Attributes: fifo ? { FifoQueue: 'true', ...attributes } : attributes }));
  return QueueUrl!;
}

before(async () => {
  platform = await startPlatform({ services: ['sqs'] });
  sqs = platform.client(SQSClient);
});

after(async () => {
  await platform.stop();
});

describe('SQS through the SDK', () => {
  test('queues are created, found by name and listed with their URLs', async () => {
    const url = await queue();
    assert.equal(url, `${platform.endpoint}/${platform.accountId}/e2e-${n}`);
    assert.equal((await sqs.send(new GetQueueUrlCommand({ QueueName: `e2e-${n}` }))).QueueUrl, url);
    const listed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: `e2e-${n}` }));
    assert.deepEqual(listed.QueueUrls, [url]);
  });

  test('a message with string, number and binary attributes round-trips and the SDK accepts the digests', async () => {
    const url = await queue();
    const attributes = {
      s: { DataType: 'String', StringValue: 'text ✓' },
      n: { DataType: 'Number', StringValue: '42.5' },
      b: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 2, 255]) },
    };
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'héllo', MessageAttributes: attributes }));
    assert.ok(sent.MessageId);
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }),
    );
    assert.equal(Messages![0]!.Body, 'héllo');
    assert.equal(Messages![0]!.MessageAttributes!.n!.StringValue, '42.5');
    assert.deepEqual([...Messages![0]!.MessageAttributes!.b!.BinaryValue!], [0, 1, 2, 255]);
    assert.equal(Messages![0]!.Attributes!.ApproximateReceiveCount, '1');
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: Messages![0]!.ReceiptHandle }));
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    assert.equal(attrs.Attributes!.ApproximateNumberOfMessages, '0');
    assert.equal(attrs.Attributes!.ApproximateNumberOfMessagesNotVisible, '0');
  });

  test('batches send, change visibility and delete, and report per-entry failures', async () => {
    const url = await queue();
    const sent = await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: `body ${i}` })) }),
    );
    assert.equal(sent.Successful!.length, 10);
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    assert.equal(Messages!.length, 10);
    const changed = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: Messages!.map((m, i) => ({ Id: `c${i}`, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 60 })),
      }),
    );
    assert.equal(changed.Successful!.length, 10);
    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [...Messages!.slice(0, 9).map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle! })), { Id: 'bad', ReceiptHandle: 'not-a-handle' }],
      }),
    );
    assert.equal(deleted.Successful!.length, 9);
    assert.equal(deleted.Failed![0]!.Id, 'bad');
    assert.equal(deleted.Failed![0]!.Code, 'ReceiptHandleIsInvalid');
  });

  test('a long poll returns as soon as a message is sent', async () => {
    const url = await queue();
    const polling = sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
    await new Promise((r) => setTimeout(r, 50));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'now' }));
    const { Messages } = await polling;
    assert.equal(Messages![0]!.Body, 'now');
  });

  test('FIFO queues deliver a group in order and deduplicate', async () => {
    const url = await queue({ ContentBasedDeduplication: 'true' }, true);
    for (const body of ['1', '2', '3']) await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageGroupId: 'g' }));
    const dup = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '1', MessageGroupId: 'g' }));
    assert.ok(dup.SequenceNumber);
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    assert.deepEqual(Messages!.map((m) => m.Body), ['1', '2', '3']);
  });

  test('attributes and tags are set and read back', async () => {
    const url = await queue();
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '120', DelaySeconds: '5' } }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['VisibilityTimeout', 'DelaySeconds'] }));
    assert.deepEqual(Attributes, { VisibilityTimeout: '120', DelaySeconds: '5' });
    await sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: { team: 'core' } }));
    assert.deepEqual((await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags, { team: 'core' });
  });
});

describe('SQS errors through the SDK', () => {
  test('a missing queue answers QueueDoesNotExist', async () => {
    await rejectsWith(sqs.send(new GetQueueUrlCommand({ QueueName: 'no-such-queue' })), 'QueueDoesNotExist', 400);
    await rejectsWith(
      sqs.send(new SendMessageCommand({ QueueUrl: `${platform.endpoint}/${platform.accountId}/no-such-queue`, MessageBody: 'x' })),
      'QueueDoesNotExist',
      400,
    );
  });

  test('batch rule violations answer their own errors', async () => {
    const url = await queue();
    await rejectsWith(
      sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `m${i}`, MessageBody: 'x' })) })),
      'TooManyEntriesInBatchRequest',
      400,
    );
    await rejectsWith(
      sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', MessageBody: 'x' }, { Id: 'a', MessageBody: 'y' }] })),
      'BatchEntryIdsNotDistinct',
      400,
    );
    await rejectsWith(sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'no spaces', MessageBody: 'x' }] })), 'InvalidBatchEntryId', 400);
  });

  test('invalid bodies, names and attributes are refused and change nothing', async () => {
    const url = await queue();
    await rejectsWith(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'bad \u0000 char' })), 'InvalidMessageContents', 400);
    await rejectsWith(sqs.send(new CreateQueueCommand({ QueueName: 'bad name!' })), 'InvalidParameterValue', 400);
    await rejectsWith(sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Bogus: '1' } as Record<string, string> })), 'InvalidAttributeName', 400);
    await rejectsWith(
      sqs.send(new CreateQueueCommand({ QueueName: `e2e-${n}`, Attributes: { VisibilityTimeout: '99' } })),
      'QueueNameExists',
      400,
    );
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }));
    assert.equal(Attributes!.ApproximateNumberOfMessages, '0');
  });

  test('a FIFO send without a group id answers MissingParameter', async () => {
    const url = await queue({}, true);
    await rejectsWith(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageDeduplicationId: 'd' })), 'MissingParameter', 400);
  });

  test('a second purge within a minute answers PurgeQueueInProgress, a bad handle ReceiptHandleIsInvalid', async () => {
    const url = await queue();
    await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
    await rejectsWith(sqs.send(new PurgeQueueCommand({ QueueUrl: url })), 'PurgeQueueInProgress', 403);
    await rejectsWith(sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'garbage' })), 'ReceiptHandleIsInvalid', 404);
  });

  test('a deleted queue is gone', async () => {
    const url = await queue();
    await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    await rejectsWith(sqs.send(new ReceiveMessageCommand({ QueueUrl: url })), 'QueueDoesNotExist', 400);
  });
});

describe('SQS over the query protocol', () => {
  const query = (params: Record<string, string>) =>
    signedFetch(platform.endpoint, platform.credentials, {
      service: 'sqs',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ Version: '2012-11-05', ...params }).toString(),
    });

  test('SendMessage and ReceiveMessage answer XML with the same digests', async () => {
    const url = await queue();
    const send = await query({
      Action: 'SendMessage',
      QueueUrl: url,
      MessageBody: 'over query',
      'MessageAttribute.1.Name': 'color',
      'MessageAttribute.1.Value.DataType': 'String',
      'MessageAttribute.1.Value.StringValue': 'red',
    });
    assert.equal(send.status, 200);
    assert.match(send.text, /<SendMessageResponse[^>]*>/);
    assert.match(send.text, /<MD5OfMessageBody>[0-9a-f]{32}<\/MD5OfMessageBody>/);
    const md5 = /<MD5OfMessageAttributes>([0-9a-f]{32})<\/MD5OfMessageAttributes>/.exec(send.text)?.[1];
    assert.ok(md5);
    const receive = await query({ Action: 'ReceiveMessage', QueueUrl: url, 'MessageAttributeName.1': 'All' });
    assert.equal(receive.status, 200);
    assert.match(receive.text, /<Body>over query<\/Body>/);
    assert.ok(receive.text.includes(`<MD5OfMessageAttributes>${md5}</MD5OfMessageAttributes>`));
  });

  test('errors come back as XML with the query error code', async () => {
    const response = await query({ Action: 'GetQueueUrl', QueueName: 'no-such-queue' });
    assert.equal(response.status, 400);
    assert.match(response.text, /<ErrorResponse[\s\S]*<Code>AWS\.SimpleQueueService\.NonExistentQueue<\/Code>/);
    assert.match(response.text, /<Type>Sender<\/Type>/);
  });
});
