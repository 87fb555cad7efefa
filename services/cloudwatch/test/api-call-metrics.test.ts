// Platform metrics derived from the edge's API call events, read back through
// @aws-sdk/client-cloudwatch: AWS/SQS message counts, AWS/SNS publishes, AWS/DynamoDB latency,
// consumed capacity and user errors, AWS/S3 request metrics.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand, type Dimension } from '@aws-sdk/client-cloudwatch';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { CreateTopicCommand, PublishBatchCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateFunctionCommand, InvokeCommand, LambdaClient, PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import AdmZip from 'adm-zip';
import { createLambdaRole, startPlatform, type TestPlatform } from '@atoll/test-support';

describe('CloudWatch platform metrics from API calls', () => {
  let p: TestPlatform;
  let cw: CloudWatchClient;
  before(async () => {
    p = await startPlatform({ services: ['cloudwatch', 'sns', 'sqs', 'dynamodb', 's3', 'lambda', 'iam', 'sts'] });
    cw = p.client(CloudWatchClient);
    // Calls are counted once CloudWatch is active (it is activated by its first call or the warm-up).
    await cw.send(new ListMetricsCommand({}));
  });
  after(() => p.stop());

  /** Polls a metric's statistic (over the last 10 minutes) until it equals `want` (written about every second). */
  async function waitFor(namespace: string, name: string, dims: Dimension[], statistic: 'Sum' | 'SampleCount', want: number): Promise<number> {
    const deadline = Date.now() + 20_000;
    let got: number | undefined;
    while (Date.now() < deadline) {
      const out = await cw.send(
        new GetMetricStatisticsCommand({ Namespace: namespace, MetricName: name, Dimensions: dims, StartTime: new Date(Date.now() - 600_000), EndTime: new Date(Date.now() + 120_000), Period: 3600, Statistics: [statistic] }),
      );
      got = (out.Datapoints ?? []).reduce((s, d) => s + (d[statistic] ?? 0), 0);
      if (got === want) return got;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.fail(`${namespace} ${name} ${JSON.stringify(dims)} ${statistic}: wanted ${want}, got ${got}`);
  }

  test('counts SQS messages sent, received and deleted per queue, batch entries included', async () => {
    const sqs = p.client(SQSClient);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'metered' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'one' }));
    await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: 'a', MessageBody: 'two' }, { Id: 'b', MessageBody: 'three' }] }));
    let received: { ReceiptHandle?: string }[] = [];
    while (received.length < 3) {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      received = received.concat(out.Messages ?? []);
    }
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: received[0]!.ReceiptHandle }));
    const dims = [{ Name: 'QueueName', Value: 'metered' }];
    await waitFor('AWS/SQS', 'NumberOfMessagesSent', dims, 'Sum', 3);
    await waitFor('AWS/SQS', 'NumberOfMessagesReceived', dims, 'Sum', 3);
    await waitFor('AWS/SQS', 'NumberOfMessagesDeleted', dims, 'Sum', 1);
  });

  test('counts SNS messages published per topic name', async () => {
    const sns = p.client(SNSClient);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'metered-topic' }));
    await sns.send(new PublishCommand({ TopicArn, Message: 'a' }));
    await sns.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: [{ Id: '1', Message: 'b' }, { Id: '2', Message: 'c' }] }));
    await waitFor('AWS/SNS', 'NumberOfMessagesPublished', [{ Name: 'TopicName', Value: 'metered-topic' }], 'Sum', 3);
  });

  test('records DynamoDB request latency per table and operation, consumed capacity when returned, and user errors', async () => {
    const ddb = p.client(DynamoDBClient);
    await ddb.send(
      new CreateTableCommand({ TableName: 'metered', BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] }),
    );
    await ddb.send(new PutItemCommand({ TableName: 'metered', Item: { pk: { S: 'a' } }, ReturnConsumedCapacity: 'TOTAL' }));
    await ddb.send(new PutItemCommand({ TableName: 'metered', Item: { pk: { S: 'b' } } }));
    await ddb.send(new GetItemCommand({ TableName: 'metered', Key: { pk: { S: 'a' } }, ReturnConsumedCapacity: 'TOTAL', ConsistentRead: true }));
    await assert.rejects(ddb.send(new GetItemCommand({ TableName: 'missing', Key: { pk: { S: 'a' } } })), { name: 'ResourceNotFoundException' });
    await waitFor('AWS/DynamoDB', 'SuccessfulRequestLatency', [{ Name: 'TableName', Value: 'metered' }, { Name: 'Operation', Value: 'PutItem' }], 'SampleCount', 2);
    await waitFor('AWS/DynamoDB', 'ConsumedWriteCapacityUnits', [{ Name: 'TableName', Value: 'metered' }], 'Sum', 1);
    await waitFor('AWS/DynamoDB', 'ConsumedReadCapacityUnits', [{ Name: 'TableName', Value: 'metered' }], 'Sum', 1);
    await waitFor('AWS/DynamoDB', 'UserErrors', [], 'Sum', 1);
  });

  test('publishes S3 request metrics per bucket with the EntireBucket filter, errors included', async () => {
    const s3 = p.client(S3Client, { forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'metered-bucket' }));
    await s3.send(new PutObjectCommand({ Bucket: 'metered-bucket', Key: 'k', Body: 'hello' }));
    await (await s3.send(new GetObjectCommand({ Bucket: 'metered-bucket', Key: 'k' }))).Body!.transformToString();
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: 'metered-bucket', Key: 'missing' })), { name: 'NoSuchKey' });
    const dims = [
      { Name: 'BucketName', Value: 'metered-bucket' },
      { Name: 'FilterId', Value: 'EntireBucket' },
    ];
    await waitFor('AWS/S3', 'AllRequests', dims, 'Sum', 4);
    await waitFor('AWS/S3', 'GetRequests', dims, 'Sum', 2);
    await waitFor('AWS/S3', 'PutRequests', dims, 'Sum', 1);
    await waitFor('AWS/S3', '4xxErrors', dims, 'Sum', 1);
    await waitFor('AWS/S3', '5xxErrors', dims, 'Sum', 0);
    await waitFor('AWS/S3', 'TotalRequestLatency', dims, 'SampleCount', 4);
  });

  test('counts Lambda invocations refused for concurrency as Throttles per function and in total', async () => {
    const lambda = p.client(LambdaClient);
    await createLambdaRole(p, 'throttled-role', {});
    const zip = new AdmZip();
    zip.addFile('index.js', Buffer.from('exports.handler = async () => 1;'));
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'throttled', Runtime: 'nodejs22.x', Role: `arn:aws:iam::${p.accountId}:role/throttled-role`, Handler: 'index.handler', Code: { ZipFile: zip.toBuffer() } }));
    await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'throttled', ReservedConcurrentExecutions: 0 }));
    for (let i = 0; i < 2; i++) await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: `arn:aws:lambda:${p.region}:${p.accountId}:function:throttled` })), { name: 'TooManyRequestsException' });
    await waitFor('AWS/Lambda', 'Throttles', [{ Name: 'FunctionName', Value: 'throttled' }], 'Sum', 2);
    await waitFor('AWS/Lambda', 'Throttles', [], 'Sum', 2);
  });
});
