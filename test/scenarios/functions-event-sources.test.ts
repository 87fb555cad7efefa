// Functions triggered by other services: S3 event notifications and DynamoDB streams, with the
// function reporting what it received through an SQS queue (it calls SQS with its own credentials).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import AdmZip from 'adm-zip';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AddPermissionCommand, CreateFunctionCommand, CreateEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createLambdaRole, startPlatform, type TestPlatform } from '@atoll/test-support';

const reporter = (queueUrl: string, pick: string) => {
  const archive = new AdmZip();
  archive.addFile(
    'index.js',
    Buffer.from(`const { SQSClient, SendMessageCommand } = require('@aws-sdk/client-sqs');
const sqs = new SQSClient({});
exports.handler = async (event) => {
  for (const record of event.Records) {
    await sqs.send(new SendMessageCommand({ QueueUrl: ${JSON.stringify(queueUrl)}, MessageBody: JSON.stringify(${pick}) }));
  }
};`),
  );
  return archive.toBuffer();
};

async function receiveOne(sqs: SQSClient, QueueUrl: string): Promise<unknown> {
  for (let i = 0; i < 20; i++) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    if (out.Messages?.length) return JSON.parse(out.Messages[0]!.Body!);
  }
  throw new Error('nothing arrived');
}

describe('functions triggered by other services', () => {
  let p: TestPlatform;
  let sqs: SQSClient;
  let lambda: LambdaClient;
  before(async () => {
    p = await startPlatform({ services: ['sqs', 's3', 'lambda', 'dynamodb', 'dynamodbstreams', 'iam', 'sts'] });
    sqs = p.client(SQSClient);
    lambda = p.client(LambdaClient);
    // The functions' execution role: it may report to the queues and read the table's stream, nothing else.
    await createLambdaRole(p, 'r', {
      'report-and-read-streams': [
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' },
        { Effect: 'Allow', Action: ['dynamodb:DescribeStream', 'dynamodb:GetShardIterator', 'dynamodb:GetRecords', 'dynamodb:ListStreams'], Resource: '*' },
      ],
    });
  });
  after(() => p.stop());

  test('an object created in a bucket invokes the configured function with the S3 event', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 's3-seen' }));
    const fn = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 's3-reporter',
        Runtime: 'nodejs20.x',
        Role: 'arn:aws:iam::000000000000:role/r',
        Handler: 'index.handler',
        Code: { ZipFile: reporter(QueueUrl!, '{ source: record.eventSource, key: record.s3.object.key, event: record.eventName }') },
      }),
    );
    const s3 = p.client(S3Client, { forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'inbox' }));
    // S3 may invoke the function for this bucket only with its permission, as in AWS.
    await lambda.send(new AddPermissionCommand({ FunctionName: 's3-reporter', StatementId: 's3', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com', SourceArn: 'arn:aws:s3:::inbox', SourceAccount: p.accountId }));
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: 'inbox',
        NotificationConfiguration: { LambdaFunctionConfigurations: [{ LambdaFunctionArn: fn.FunctionArn!, Events: ['s3:ObjectCreated:*'] }] },
      }),
    );
    await s3.send(new PutObjectCommand({ Bucket: 'inbox', Key: 'letter.txt', Body: 'hi' }));
    assert.deepEqual(await receiveOne(sqs, QueueUrl!), { source: 'aws:s3', key: 'letter.txt', event: 'ObjectCreated:Put' });
  });

  test('a stream record carries binary values as base64, as Lambda events do', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'stream-seen' }));
    const ddb = p.client(DynamoDBClient);
    const table = await ddb.send(
      new CreateTableCommand({
        TableName: 'blobs',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
      }),
    );
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'stream-reporter',
        Runtime: 'nodejs20.x',
        Role: 'arn:aws:iam::000000000000:role/r',
        Handler: 'index.handler',
        Code: { ZipFile: reporter(QueueUrl!, '{ source: record.eventSource, image: record.dynamodb.NewImage, created: typeof record.dynamodb.ApproximateCreationDateTime }') },
      }),
    );
    await lambda.send(
      new CreateEventSourceMappingCommand({ FunctionName: 'stream-reporter', EventSourceArn: table.TableDescription!.LatestStreamArn!, StartingPosition: 'TRIM_HORIZON' }),
    );
    await ddb.send(new PutItemCommand({ TableName: 'blobs', Item: { id: { S: 'b1' }, data: { B: new Uint8Array([1, 2]) } } }));
    assert.deepEqual(await receiveOne(sqs, QueueUrl!), { source: 'aws:dynamodb', image: { id: { S: 'b1' }, data: { B: 'AQI=' } }, created: 'number' });
  });
});
