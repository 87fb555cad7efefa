// SNS to SQS fan-out and S3 event notifications to SQS, end to end through the SDKs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateBucketCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { queuePolicyAllowing, startPlatform, type TestPlatform } from '@atoll/test-support';

async function receiveAll(sqs: SQSClient, QueueUrl: string, expected: number): Promise<string[]> {
  const bodies: string[] = [];
  const deadline = Date.now() + 10_000;
  while (bodies.length < expected && Date.now() < deadline) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const m of out.Messages ?? []) bodies.push(m.Body!);
  }
  return bodies;
}

describe('messaging across services', () => {
  let p: TestPlatform;
  let sqs: SQSClient;
  before(async () => {
    p = await startPlatform({ services: ['sqs', 'sns', 's3'] });
    sqs = p.client(SQSClient);
  });
  after(() => p.stop());

  test('a message published to a topic reaches every subscribed queue whose filter matches', async () => {
    const sns = p.client(SNSClient);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'orders' }));
    const queues: { url: string; arn: string }[] = [];
    for (const name of ['all-orders', 'big-orders', 'raw-orders']) {
      // Each queue's policy lets the topic deliver to it, as AWS requires.
      const Policy = queuePolicyAllowing(`arn:aws:sqs:${p.region}:${p.accountId}:${name}`, 'sns.amazonaws.com', TopicArn!);
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { Policy } }));
      const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      queues.push({ url: QueueUrl!, arn: attrs.Attributes!.QueueArn! });
    }
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: queues[0]!.arn }));
    await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: 'sqs',
        Endpoint: queues[1]!.arn,
        Attributes: { FilterPolicy: JSON.stringify({ amount: [{ numeric: ['>=', 100] }] }) },
      }),
    );
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: queues[2]!.arn, Attributes: { RawMessageDelivery: 'true' } }));

    await sns.send(new PublishCommand({ TopicArn, Message: 'small', MessageAttributes: { amount: { DataType: 'Number', StringValue: '5' } } }));
    await sns.send(new PublishCommand({ TopicArn, Message: 'big', MessageAttributes: { amount: { DataType: 'Number', StringValue: '500' } } }));

    const all = (await receiveAll(sqs, queues[0]!.url, 2)).map((b) => JSON.parse(b));
    assert.deepEqual(all.map((e) => e.Message).sort(), ['big', 'small']);
    for (const envelope of all) {
      assert.equal(envelope.Type, 'Notification');
      assert.equal(envelope.TopicArn, TopicArn);
      assert.ok(envelope.Signature && envelope.SigningCertURL && envelope.MessageId);
    }
    const big = (await receiveAll(sqs, queues[1]!.url, 1)).map((b) => JSON.parse(b).Message);
    assert.deepEqual(big, ['big']);
    const raw = await receiveAll(sqs, queues[2]!.url, 2);
    assert.deepEqual(raw.sort(), ['big', 'small']);
  });

  test('creating an object sends an S3 event notification to the configured queue, honouring the filter', async () => {
    const s3 = p.client(S3Client, { forcePathStyle: true });
    // The queue's policy lets S3 send the bucket's events, as AWS requires.
    const Policy = queuePolicyAllowing(`arn:aws:sqs:${p.region}:${p.accountId}:uploads`, 's3.amazonaws.com', 'arn:aws:s3:::photos');
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'uploads', Attributes: { Policy } }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await s3.send(new CreateBucketCommand({ Bucket: 'photos' }));
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: 'photos',
        NotificationConfiguration: {
          QueueConfigurations: [
            {
              QueueArn: Attributes!.QueueArn!,
              Events: ['s3:ObjectCreated:*'],
              Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'img/' }, { Name: 'suffix', Value: '.jpg' }] } },
            },
          ],
        },
      }),
    );
    await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'notes/a.txt', Body: 'x' }));
    await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'img/cat.jpg', Body: 'meow' }));
    const events = (await receiveAll(sqs, QueueUrl!, 2))
      .map((b) => JSON.parse(b))
      .filter((e) => e.Records);
    assert.equal(events.length, 1);
    const record = events[0].Records[0];
    assert.equal(record.eventSource, 'aws:s3');
    assert.match(record.eventName, /^ObjectCreated:/);
    assert.equal(record.s3.bucket.name, 'photos');
    assert.equal(record.s3.object.key, 'img/cat.jpg');
    assert.equal(record.s3.object.size, 4);
  });
});
