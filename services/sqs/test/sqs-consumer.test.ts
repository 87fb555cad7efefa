// Compatibility: the popular `sqs-consumer` package consumes (receives, handles, deletes) messages
// from an Atoll queue unchanged.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

let platform: TestPlatform;
let sqs: SQSClient;

before(async () => {
  platform = await startPlatform({ services: ['sqs'] });
  sqs = platform.client(SQSClient);
});

after(async () => {
  await platform.stop();
});

test('sqs-consumer handles every message once and deletes it', async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'consumer-compat' }));
  await sqs.send(
    new SendMessageBatchCommand({ QueueUrl, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: `job ${i}` })) }),
  );
  const handled: string[] = [];
  const errors: Error[] = [];
  await new Promise<void>((resolve) => {
    const consumer = Consumer.create({
      queueUrl: QueueUrl!,
      sqs,
      batchSize: 5,
      waitTimeSeconds: 1,
      handleMessage: async (message) => {
        handled.push(message.Body!);
        if (handled.length === 10) setImmediate(() => consumer.stop());
        return message;
      },
    });
    consumer.on('error', (err) => errors.push(err));
    consumer.on('processing_error', (err) => errors.push(err));
    consumer.on('stopped', () => resolve());
    consumer.start();
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(handled.sort(), Array.from({ length: 10 }, (_, i) => `job ${i}`).sort());
  // The consumer deletes a batch after handling it; wait for the last delete to land.
  let attributes: Record<string, string> | undefined;
  for (let i = 0; i < 100; i++) {
    ({ Attributes: attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    ));
    if (attributes?.ApproximateNumberOfMessagesNotVisible === '0') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.deepEqual(attributes, { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
});
