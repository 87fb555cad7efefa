// S3 event notifications delivered to a real SQS queue of the same platform.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand, DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { queuePolicyAllowing, startPlatform, type TestPlatform } from '@atoll/test-support';

let p: TestPlatform;
before(async () => {
  p = await startPlatform({ services: ['s3', 'sqs'] });
});
after(() => p.stop());

test(
  'sends s3:TestEvent, then ObjectCreated and ObjectRemoved events for matching keys to an SQS queue',
  async () => {
  const s3 = p.client(S3Client, { forcePathStyle: true });
  const sqs = p.client(SQSClient);
  // The queue's policy lets S3 send the bucket's events, as AWS requires.
  const Policy = queuePolicyAllowing(`arn:aws:sqs:${p.region}:${p.accountId}:s3-events`, 's3.amazonaws.com', 'arn:aws:s3:::notify');
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 's3-events', Attributes: { Policy } }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  await s3.send(new CreateBucketCommand({ Bucket: 'notify' }));
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: 'notify',
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Id: 'uploads',
            QueueArn: Attributes!.QueueArn,
            Events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'in/' }] } },
          },
        ],
      },
    }),
  );
  await s3.send(new PutObjectCommand({ Bucket: 'notify', Key: 'in/report.csv', Body: 'a,b' }));
  await s3.send(new PutObjectCommand({ Bucket: 'notify', Key: 'out/ignored.csv', Body: 'x' }));
  await s3.send(new DeleteObjectCommand({ Bucket: 'notify', Key: 'in/report.csv' }));
  const bodies: any[] = [];
  for (let i = 0; i < 20 && bodies.length < 3; i++) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const m of out.Messages ?? []) bodies.push(JSON.parse(m.Body!));
  }
  assert.equal(bodies.length, 3);
  assert.equal(bodies[0].Event, 's3:TestEvent');
  const records = bodies.slice(1).map((b) => b.Records[0]);
  assert.deepEqual(records.map((r) => r.eventName).sort(), ['ObjectCreated:Put', 'ObjectRemoved:Delete']);
  const created = records.find((r) => r.eventName === 'ObjectCreated:Put');
  assert.equal(created.s3.bucket.name, 'notify');
  assert.equal(created.s3.object.key, 'in/report.csv');
  assert.equal(created.s3.object.size, 3);
  assert.equal(created.s3.configurationId, 'uploads');
  },
);
