import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceError } from '@atoll/core';
import { fakePlatform, requestContext, type FakePlatform } from '@atoll/test-support';
import { md5Hex } from './message-md5.js';
import { SqsProvider } from './sqs-provider.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

let platform: FakePlatform;
let sqs: SqsProvider;
const ctx = requestContext();
const op = async (name: string, input: unknown): Promise<Any> => sqs.operations[name]!(input, ctx);

async function rejectsWith(promise: Promise<unknown>, code: string, status?: number): Promise<void> {
  await assert.rejects(promise, (err: ServiceError) => {
    assert.equal(err.name, code);
    if (status !== undefined) assert.equal(err.status, status);
    return true;
  });
}

let counter = 0;
async function newQueue(attributes: Record<string, string> = {}, fifo = false): Promise<string> {
  const name = `q${++counter}${fifo ? '.fifo' : ''}`;
  const { QueueUrl } = await op('CreateQueue', { QueueName: name, Attributes: fifo ? { FifoQueue: 'true', ...attributes } : attributes });
  return QueueUrl;
}

before(async () => {
  platform = fakePlatform();
  sqs = new SqsProvider(platform);
  await sqs.start();
});

after(async () => {
  await sqs.close();
  await platform.storage.close();
  platform.cleanup();
});

describe('queues', () => {
  test('CreateQueue returns a URL of the form endpoint/account/name and is idempotent with equal attributes', async () => {
    const first = await op('CreateQueue', { QueueName: 'orders', Attributes: { VisibilityTimeout: '45' } });
    assert.equal(first.QueueUrl, 'http://127.0.0.1:4566/000000000000/orders');
    const again = await op('CreateQueue', { QueueName: 'orders', Attributes: { VisibilityTimeout: '45' } });
    assert.equal(again.QueueUrl, first.QueueUrl);
    await rejectsWith(op('CreateQueue', { QueueName: 'orders', Attributes: { VisibilityTimeout: '10' } }), 'QueueNameExists', 400);
  });

  test('CreateQueue refuses bad names, unknown attributes and out-of-range values', async () => {
    await rejectsWith(op('CreateQueue', { QueueName: 'bad name' }), 'InvalidParameterValue', 400);
    await rejectsWith(op('CreateQueue', { QueueName: 'x.fifo' }), 'InvalidParameterValue');
    await rejectsWith(op('CreateQueue', { QueueName: 'ok', Attributes: { Nope: '1' } }), 'InvalidAttributeName');
    await rejectsWith(op('CreateQueue', { QueueName: 'ok', Attributes: { DelaySeconds: '901' } }), 'InvalidAttributeValue');
    await rejectsWith(op('CreateQueue', { QueueName: 'ok', Attributes: { ContentBasedDeduplication: 'true' } }), 'InvalidAttributeName');
  });

  test('GetQueueAttributes returns every attribute with All, and counts messages', async () => {
    const url = await newQueue();
    await op('SendMessage', { QueueUrl: url, MessageBody: 'a' });
    await op('SendMessage', { QueueUrl: url, MessageBody: 'b', DelaySeconds: 60 });
    const { Attributes } = await op('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['All'] });
    assert.equal(Attributes.ApproximateNumberOfMessages, '1');
    assert.equal(Attributes.ApproximateNumberOfMessagesDelayed, '1');
    assert.equal(Attributes.VisibilityTimeout, '30');
    assert.match(Attributes.QueueArn, /^arn:aws:sqs:us-east-1:000000000000:q\d+$/);
    await rejectsWith(op('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['Bogus'] }), 'InvalidAttributeName');
  });

  test('ListQueues filters by prefix and pages with NextToken', async () => {
    for (const n of ['page-a', 'page-b', 'page-c']) await op('CreateQueue', { QueueName: n });
    const first = await op('ListQueues', { QueueNamePrefix: 'page-', MaxResults: 2 });
    assert.equal(first.QueueUrls.length, 2);
    const second = await op('ListQueues', { QueueNamePrefix: 'page-', MaxResults: 2, NextToken: first.NextToken });
    assert.deepEqual(second.QueueUrls, ['http://127.0.0.1:4566/000000000000/page-c']);
    assert.equal(second.NextToken, undefined);
  });

  test('a deleted queue answers QueueDoesNotExist', async () => {
    const url = await newQueue();
    await op('DeleteQueue', { QueueUrl: url });
    await rejectsWith(op('SendMessage', { QueueUrl: url, MessageBody: 'x' }), 'QueueDoesNotExist', 400);
    await rejectsWith(op('GetQueueUrl', { QueueName: 'nope' }), 'QueueDoesNotExist');
  });

  test('a second purge within 60 seconds answers PurgeQueueInProgress', async () => {
    const url = await newQueue();
    await op('SendMessage', { QueueUrl: url, MessageBody: 'x' });
    await op('PurgeQueue', { QueueUrl: url });
    assert.deepEqual(await op('ReceiveMessage', { QueueUrl: url }), {});
    await rejectsWith(op('PurgeQueue', { QueueUrl: url }), 'PurgeQueueInProgress', 403);
  });

  test('tags are added, listed and removed', async () => {
    const url = await newQueue();
    await op('TagQueue', { QueueUrl: url, Tags: { team: 'a', env: 'dev' } });
    await op('UntagQueue', { QueueUrl: url, TagKeys: ['env'] });
    assert.deepEqual((await op('ListQueueTags', { QueueUrl: url })).Tags, { team: 'a' });
  });
});

describe('resource policy', () => {
  test('answers a cached queue\'s Policy synchronously and follows SetQueueAttributes and deletion', async () => {
    const url = await newQueue();
    const arn = `arn:aws:sqs:${ctx.region}:${ctx.accountId}:${url.split('/').pop()}`;
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'sqs:SendMessage', Resource: arn }] });
    // The first read fills the queue cache; later ones answer without a Promise.
    const first = sqs.resourcePolicy(arn);
    assert.equal(first instanceof Promise ? await first : first, undefined);
    assert.equal(sqs.resourcePolicy(arn), undefined);
    await op('SetQueueAttributes', { QueueUrl: url, Attributes: { Policy: policy } });
    const read = sqs.resourcePolicy(arn);
    const text = read instanceof Promise ? await read : read;
    assert.equal(text, policy);
    // Once read again into the cache, it is answered without a Promise.
    assert.equal(sqs.resourcePolicy(arn), policy);
    await op('DeleteQueue', { QueueUrl: url });
    const gone = sqs.resourcePolicy(arn);
    assert.equal(gone instanceof Promise ? await gone : gone, undefined);
    // A queue this node never read is looked up in the store.
    assert.ok(sqs.resourcePolicy(`arn:aws:sqs:${ctx.region}:${ctx.accountId}:never`) instanceof Promise);
  });
});

describe('messages', () => {
  test('a sent message is received with its MD5 digests and deleted by its receipt handle', async () => {
    const url = await newQueue();
    const sent = await op('SendMessage', {
      QueueUrl: url,
      MessageBody: 'hello',
      MessageAttributes: { color: { DataType: 'String', StringValue: 'blue' } },
    });
    assert.equal(sent.MD5OfMessageBody, md5Hex('hello'));
    assert.match(sent.MD5OfMessageAttributes, /^[0-9a-f]{32}$/);
    const { Messages } = await op('ReceiveMessage', { QueueUrl: url, MessageAttributeNames: ['All'], AttributeNames: ['All'] });
    assert.equal(Messages.length, 1);
    assert.equal(Messages[0].MessageId, sent.MessageId);
    assert.equal(Messages[0].MD5OfMessageAttributes, sent.MD5OfMessageAttributes);
    assert.equal(Messages[0].Attributes.ApproximateReceiveCount, '1');
    await op('DeleteMessage', { QueueUrl: url, ReceiptHandle: Messages[0].ReceiptHandle });
    assert.deepEqual(await op('ReceiveMessage', { QueueUrl: url }), {});
  });

  test('a received message is invisible until its visibility timeout, then comes back with a new handle', async () => {
    const url = await newQueue();
    await op('SendMessage', { QueueUrl: url, MessageBody: 'm' });
    const first = (await op('ReceiveMessage', { QueueUrl: url, VisibilityTimeout: 30 })).Messages[0];
    assert.deepEqual(await op('ReceiveMessage', { QueueUrl: url }), {});
    await op('ChangeMessageVisibility', { QueueUrl: url, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 0 });
    const second = (await op('ReceiveMessage', { QueueUrl: url, AttributeNames: ['ApproximateReceiveCount'] })).Messages[0];
    assert.notEqual(second.ReceiptHandle, first.ReceiptHandle);
    assert.equal(second.Attributes.ApproximateReceiveCount, '2');
    // The stale handle deletes nothing on a standard queue; the fresh one does.
    await op('DeleteMessage', { QueueUrl: url, ReceiptHandle: first.ReceiptHandle });
    await op('ChangeMessageVisibility', { QueueUrl: url, ReceiptHandle: second.ReceiptHandle, VisibilityTimeout: 0 });
    const third = (await op('ReceiveMessage', { QueueUrl: url })).Messages[0];
    assert.equal(third.MessageId, first.MessageId);
    await rejectsWith(
      op('ChangeMessageVisibility', { QueueUrl: url, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 10 }),
      'InvalidParameterValue',
    );
  });

  test('a visible message answers MessageNotInflight to a visibility change', async () => {
    const url = await newQueue();
    await op('SendMessage', { QueueUrl: url, MessageBody: 'm' });
    const m = (await op('ReceiveMessage', { QueueUrl: url, VisibilityTimeout: 0 })).Messages[0];
    await rejectsWith(op('ChangeMessageVisibility', { QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 5 }), 'MessageNotInflight');
  });

  test('a visibility change past 12 hours from the receive is refused', async () => {
    const url = await newQueue();
    await op('SendMessage', { QueueUrl: url, MessageBody: 'm' });
    const m = (await op('ReceiveMessage', { QueueUrl: url, VisibilityTimeout: 43200 })).Messages[0];
    await op('ChangeMessageVisibility', { QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 43000 });
    // 43200 s from now is past 12 hours from the receive only once a moment has passed since it: in
    // the same millisecond it is exactly 12 hours, which is allowed (the test failed when it was that quick).
    await new Promise((resolve) => setTimeout(resolve, 5));
    await rejectsWith(op('ChangeMessageVisibility', { QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 43200 }), 'InvalidParameterValue');
  });

  test('a malformed receipt handle answers ReceiptHandleIsInvalid', async () => {
    const url = await newQueue();
    await rejectsWith(op('DeleteMessage', { QueueUrl: url, ReceiptHandle: 'garbage' }), 'ReceiptHandleIsInvalid', 404);
  });

  test('a delayed message stays hidden', async () => {
    const url = await newQueue();
    await op('SendMessage', { QueueUrl: url, MessageBody: 'later', DelaySeconds: 30 });
    assert.deepEqual(await op('ReceiveMessage', { QueueUrl: url }), {});
  });

  test('a waiting receive wakes when a message is sent', async () => {
    const url = await newQueue();
    const receiving = op('ReceiveMessage', { QueueUrl: url, WaitTimeSeconds: 20 });
    await new Promise((r) => setTimeout(r, 20));
    await op('SendMessage', { QueueUrl: url, MessageBody: 'wake' });
    const { Messages } = await receiving;
    assert.equal(Messages[0].Body, 'wake');
  });

  test('an aborted long poll returns no messages', async () => {
    const url = await newQueue();
    const controller = new AbortController();
    const receiving = sqs.operations.ReceiveMessage!({ QueueUrl: url, WaitTimeSeconds: 20 }, requestContext({ signal: controller.signal }));
    controller.abort();
    assert.deepEqual(await receiving, {});
  });

  test('bodies with invalid characters answer InvalidMessageContents and oversize ones InvalidParameterValue', async () => {
    const url = await newQueue({ MaximumMessageSize: '1024' });
    await rejectsWith(op('SendMessage', { QueueUrl: url, MessageBody: 'a\u0000b' }), 'InvalidMessageContents', 400);
    await rejectsWith(op('SendMessage', { QueueUrl: url, MessageBody: 'x'.repeat(1025) }), 'InvalidParameterValue', 400);
    await rejectsWith(
      op('SendMessage', { QueueUrl: url, MessageBody: 'x', MessageAttributes: { 'AWS.x': { DataType: 'String', StringValue: 'v' } } }),
      'InvalidParameterValue',
    );
    await rejectsWith(
      op('SendMessage', { QueueUrl: url, MessageBody: 'x', MessageAttributes: { n: { DataType: 'Number', StringValue: 'abc' } } }),
      'InvalidParameterValue',
    );
    const { Attributes } = await op('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] });
    assert.equal(Attributes.ApproximateNumberOfMessages, '0');
  });

  test('batch requests follow the entry count, id and distinctness rules', async () => {
    const url = await newQueue();
    const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ Id: `e${i}`, MessageBody: `b${i}` }));
    await rejectsWith(op('SendMessageBatch', { QueueUrl: url, Entries: entries(11) }), 'TooManyEntriesInBatchRequest');
    await rejectsWith(op('SendMessageBatch', { QueueUrl: url, Entries: [] }), 'EmptyBatchRequest');
    await rejectsWith(op('SendMessageBatch', { QueueUrl: url, Entries: [{ Id: 'a', MessageBody: 'x' }, { Id: 'a', MessageBody: 'y' }] }), 'BatchEntryIdsNotDistinct');
    await rejectsWith(op('SendMessageBatch', { QueueUrl: url, Entries: [{ Id: 'a b', MessageBody: 'x' }] }), 'InvalidBatchEntryId');
    const result = await op('SendMessageBatch', { QueueUrl: url, Entries: [...entries(2), { Id: 'bad', MessageBody: '\u0001' }] });
    assert.deepEqual(result.Successful.map((s: Any) => s.Id), ['e0', 'e1']);
    assert.equal(result.Failed[0].Id, 'bad');
    assert.equal(result.Failed[0].Code, 'InvalidMessageContents');
    const received = await op('ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 10 });
    const deleted = await op('DeleteMessageBatch', {
      QueueUrl: url,
      Entries: [...received.Messages.map((m: Any, i: number) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })), { Id: 'x', ReceiptHandle: 'nope' }],
    });
    assert.equal(deleted.Successful.length, 2);
    assert.equal(deleted.Failed[0].Code, 'ReceiptHandleIsInvalid');
  });

  test('messages survive a restart and deleted ones stay deleted', async () => {
    const url = await newQueue();
    await op('SendMessage', { QueueUrl: url, MessageBody: 'keep' });
    await op('SendMessage', { QueueUrl: url, MessageBody: 'drop' });
    const { Messages } = await op('ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 });
    const drop = Messages.find((m: Any) => m.Body === 'drop');
    await op('DeleteMessage', { QueueUrl: url, ReceiptHandle: drop.ReceiptHandle });
    await sqs.close();
    sqs = new SqsProvider(platform);
    await sqs.start();
    const after = await op('ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 10 });
    assert.deepEqual(after.Messages.map((m: Any) => m.Body), ['keep']);
  });
});

describe('FIFO queues', () => {
  test('messages of a group come in order, and a group is locked while a message is in flight', async () => {
    const url = await newQueue({ ContentBasedDeduplication: 'true' }, true);
    for (const [group, body] of [['a', 'a1'], ['b', 'b1'], ['a', 'a2'], ['b', 'b2']]) {
      await op('SendMessage', { QueueUrl: url, MessageBody: body, MessageGroupId: group });
    }
    const first = await op('ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 1 });
    assert.equal(first.Messages[0].Body, 'a1');
    const second = await op('ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 10 });
    assert.deepEqual(second.Messages.map((m: Any) => m.Body), ['b1', 'b2']);
    assert.deepEqual(await op('ReceiveMessage', { QueueUrl: url }), {});
    await op('DeleteMessage', { QueueUrl: url, ReceiptHandle: first.Messages[0].ReceiptHandle });
    const third = await op('ReceiveMessage', { QueueUrl: url, AttributeNames: ['All'] });
    assert.equal(third.Messages[0].Body, 'a2');
    assert.equal(third.Messages[0].Attributes.MessageGroupId, 'a');
    assert.match(third.Messages[0].Attributes.SequenceNumber, /^\d{20}$/);
  });

  test('a locked group with a long backlog does not hide other groups', async () => {
    const url = await newQueue({ ContentBasedDeduplication: 'true' }, true);
    for (let i = 0; i < 300; i++) {
      await op('SendMessageBatch', {
        QueueUrl: url,
        Entries: Array.from({ length: 10 }, (_, j) => ({ Id: `e${j}`, MessageBody: `hot ${i * 10 + j}`, MessageGroupId: 'a-hot' })),
      });
    }
    await op('SendMessage', { QueueUrl: url, MessageBody: 'other', MessageGroupId: 'b-other' });
    const first = await op('ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 1 });
    assert.equal(first.Messages[0].Body, 'hot 0');
    const next = await op('ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 10 });
    assert.deepEqual(next.Messages.map((m: Any) => m.Body), ['other']);
  });

  test('a deduplication id seen in the last 5 minutes enqueues nothing and returns the first message id', async () => {
    const url = await newQueue({}, true);
    const a = await op('SendMessage', { QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'd1' });
    const b = await op('SendMessage', { QueueUrl: url, MessageBody: 'y', MessageGroupId: 'g', MessageDeduplicationId: 'd1' });
    assert.equal(b.MessageId, a.MessageId);
    assert.equal(b.SequenceNumber, a.SequenceNumber);
    const { Messages } = await op('ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 10 });
    assert.deepEqual(Messages.map((m: Any) => m.Body), ['x']);
  });

  test('content-based deduplication uses the SHA-256 of the body', async () => {
    const url = await newQueue({ ContentBasedDeduplication: 'true' }, true);
    const a = await op('SendMessage', { QueueUrl: url, MessageBody: 'same', MessageGroupId: 'g' });
    const b = await op('SendMessage', { QueueUrl: url, MessageBody: 'same', MessageGroupId: 'h' });
    assert.equal(a.MessageId, b.MessageId);
  });

  test('a FIFO send without a group id or deduplication id is refused', async () => {
    const url = await newQueue({}, true);
    await rejectsWith(op('SendMessage', { QueueUrl: url, MessageBody: 'x', MessageDeduplicationId: 'd' }), 'MissingParameter');
    await rejectsWith(op('SendMessage', { QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g' }), 'InvalidParameterValue');
    await rejectsWith(op('SendMessage', { QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'd', DelaySeconds: 5 }), 'InvalidParameterValue');
  });

  test('an expired FIFO receipt handle answers ReceiptHandleIsInvalid', async () => {
    const url = await newQueue({ ContentBasedDeduplication: 'true' }, true);
    await op('SendMessage', { QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g' });
    const first = (await op('ReceiveMessage', { QueueUrl: url, VisibilityTimeout: 0 })).Messages[0];
    await op('ReceiveMessage', { QueueUrl: url });
    await rejectsWith(op('DeleteMessage', { QueueUrl: url, ReceiptHandle: first.ReceiptHandle }), 'ReceiptHandleIsInvalid');
  });
});

describe('dead-letter queues', () => {
  test('a message received more than maxReceiveCount times moves to the dead-letter queue', async () => {
    const dlqUrl = await newQueue();
    const dlqArn = (await op('GetQueueAttributes', { QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] })).Attributes.QueueArn;
    const url = await newQueue({ RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }) });
    const sent = await op('SendMessage', { QueueUrl: url, MessageBody: 'poison' });
    for (let i = 0; i < 2; i++) assert.equal((await op('ReceiveMessage', { QueueUrl: url, VisibilityTimeout: 0 })).Messages.length, 1);
    assert.deepEqual(await op('ReceiveMessage', { QueueUrl: url }), {});
    const dead = await op('ReceiveMessage', { QueueUrl: dlqUrl, AttributeNames: ['All'], VisibilityTimeout: 0 });
    assert.equal(dead.Messages[0].MessageId, sent.MessageId);
    assert.equal(dead.Messages[0].Attributes.DeadLetterQueueSourceArn.endsWith(url.split('/').pop()), true);
    assert.deepEqual((await op('ListDeadLetterSourceQueues', { QueueUrl: dlqUrl })).queueUrls, [url]);

    // A move task redrives it to its source queue.
    const { TaskHandle } = await op('StartMessageMoveTask', { SourceArn: dlqArn });
    assert.ok(TaskHandle);
    for (let i = 0; i < 100; i++) {
      const tasks = await op('ListMessageMoveTasks', { SourceArn: dlqArn });
      if (tasks.Results[0].Status === 'COMPLETED') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const tasks = await op('ListMessageMoveTasks', { SourceArn: dlqArn });
    assert.equal(tasks.Results[0].Status, 'COMPLETED');
    assert.equal(tasks.Results[0].ApproximateNumberOfMessagesMoved, 1);
    const back = await op('ReceiveMessage', { QueueUrl: url });
    assert.equal(back.Messages[0].Body, 'poison');
  });

  test('a redrive policy naming a missing queue is refused', async () => {
    await rejectsWith(
      op('CreateQueue', {
        QueueName: 'orphan',
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:none', maxReceiveCount: 1 }) },
      }),
      'InvalidParameterValue',
    );
  });

  test('a dead-letter queue whose RedriveAllowPolicy denies the source is refused', async () => {
    const dlqUrl = await newQueue({ RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'denyAll' }) });
    const dlqArn = (await op('GetQueueAttributes', { QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] })).Attributes.QueueArn;
    await rejectsWith(
      op('CreateQueue', { QueueName: 'denied-source', Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 }) } }),
      'InvalidParameterValue',
    );
  });

  test('a move task from a queue that is no dead-letter queue is refused', async () => {
    const url = await newQueue();
    const arn = (await op('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['QueueArn'] })).Attributes.QueueArn;
    await rejectsWith(op('StartMessageMoveTask', { SourceArn: arn }), 'InvalidParameterValue');
    await rejectsWith(op('StartMessageMoveTask', { SourceArn: 'arn:aws:sqs:us-east-1:000000000000:none' }), 'ResourceNotFoundException');
  });
});
