// Crash test: the platform runs as a child process while publishers publish to a topic with an SQS
// subscriber, and is killed with SIGKILL; after a restart on the same data directory every
// acknowledged publish reaches the queue (at least once).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { queuePolicyAllowing, spawnPlatform } from '@atoll/test-support';

test('acknowledged publishes survive kill -9 and are delivered after restart', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'atoll-sns-crash-'));
  try {
    const first = await spawnPlatform({ dataDir });
    const config = { endpoint: first.endpoint, region: 'us-east-1', credentials: first.credentials, maxAttempts: 1 };
    const sns = new SNSClient(config);
    const sqs = new SQSClient(config);
    // The queue's policy lets SNS deliver to it, as AWS requires.
    const Policy = queuePolicyAllowing('arn:aws:sqs:us-east-1:000000000000:fanout-crash', 'sns.amazonaws.com', 'arn:aws:sns:us-east-1:000000000000:crash');
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'fanout-crash', Attributes: { Policy } }));
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'crash' }));
    await sns.send(
      new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: `arn:aws:sqs:us-east-1:000000000000:fanout-crash`, Attributes: { RawMessageDelivery: 'true' } }),
    );
    const acked = new Set<string>();
    let n = 0;
    let stop = false;
    const publisher = async () => {
      while (!stop) {
        const body = `p-${++n}`;
        try {
          await sns.send(new PublishCommand({ TopicArn, Message: body }));
          acked.add(body);
        } catch {
          return;
        }
      }
    };
    const workers = Array.from({ length: 8 }, publisher);
    while (acked.size < 800) await new Promise((r) => setTimeout(r, 20));
    await first.kill('SIGKILL');
    stop = true;
    await Promise.all(workers);
    sns.destroy();
    sqs.destroy();

    const second = await spawnPlatform({ dataDir });
    const after = new SQSClient({ ...config, endpoint: second.endpoint, credentials: second.credentials });
    try {
      const delivered = new Set<string>();
      let emptyPolls = 0;
      while (emptyPolls < 3) {
        const { Messages } = await after.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        if (!Messages?.length) {
          emptyPolls++;
          continue;
        }
        emptyPolls = 0;
        for (const m of Messages) delivered.add(m.Body!);
        await after.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle! })) }));
      }
      const lost = [...acked].filter((b) => !delivered.has(b));
      assert.deepEqual(lost, [], `${lost.length} acknowledged publishes were never delivered`);
    } finally {
      after.destroy();
      await second.kill('SIGTERM');
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
