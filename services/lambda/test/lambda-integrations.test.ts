import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LambdaClient, AddPermissionCommand, CreateFunctionCommand, InvokeCommand, CreateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { S3Client, CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SNSClient, CreateTopicCommand, SubscribeCommand, PublishCommand } from '@aws-sdk/client-sns';
import { SQSClient, CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createLambdaRole, startPlatform, type TestPlatform } from '@atoll/test-support';
import { zip, ROLE, decode } from './helpers.js';

let platform: TestPlatform;
let lambda: LambdaClient;
let sqs: SQSClient;

before(async () => {
  platform = await startPlatform({ services: ['lambda', 's3', 'sns', 'sqs', 'iam', 'sts'] });
  // The execution role the functions name (ROLE): Lambda assumes it as lambda.amazonaws.com.
  await createLambdaRole(platform);
  lambda = platform.client(LambdaClient);
  sqs = platform.client(SQSClient);
});

after(async () => {
  await platform.stop();
});

async function receiveOne(queueUrl: string): Promise<string | undefined> {
  for (let i = 0; i < 20; i++) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
    if (out.Messages?.length) return out.Messages[0]!.Body;
  }
  return undefined;
}

test('a function is created from code stored in S3', async () => {
  const s3 = platform.client(S3Client, { forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: 'code' }));
  await s3.send(new PutObjectCommand({ Bucket: 'code', Key: 'fn.zip', Body: zip({ 'index.js': `exports.handler = async () => 'from s3';` }) }));
  await lambda.send(new CreateFunctionCommand({ FunctionName: 'from-s3', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { S3Bucket: 'code', S3Key: 'fn.zip' } }));
  assert.equal(decode((await lambda.send(new InvokeCommand({ FunctionName: 'from-s3' }))).Payload), 'from s3');
  await assert.rejects(
    lambda.send(new CreateFunctionCommand({ FunctionName: 'missing-s3', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { S3Bucket: 'code', S3Key: 'nope.zip' } })),
    { name: 'InvalidParameterValueException' },
  );
});

test('an SNS subscription with protocol lambda invokes the function with the SNS event', async () => {
  const sink = await sqs.send(new CreateQueueCommand({ QueueName: 'sns-sink' }));
  await lambda.send(new CreateFunctionCommand({
    FunctionName: 'sns-handler',
    Runtime: 'nodejs20.x',
    Role: ROLE,
    Handler: 'index.handler',
    Timeout: 10,
    Environment: { Variables: { SINK: sink.QueueUrl! } },
    Code: { ZipFile: zip({ 'index.js': `const { SQSClient, SendMessageCommand } = require('@aws-sdk/client-sqs');
const sqs = new SQSClient({});
exports.handler = async (event) => { const r = event.Records[0]; await sqs.send(new SendMessageCommand({ QueueUrl: process.env.SINK, MessageBody: r.EventSource + ' ' + r.Sns.Message })); };` }) },
  }));
  const sns = platform.client(SNSClient);
  const topic = await sns.send(new CreateTopicCommand({ Name: 'events' }));
  // SNS may invoke the function only with its permission, as in AWS.
  await lambda.send(new AddPermissionCommand({ FunctionName: 'sns-handler', StatementId: 'sns', Action: 'lambda:InvokeFunction', Principal: 'sns.amazonaws.com', SourceArn: topic.TopicArn }));
  await sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: 'lambda', Endpoint: `arn:aws:lambda:${platform.region}:${platform.accountId}:function:sns-handler` }));
  await sns.send(new PublishCommand({ TopicArn: topic.TopicArn, Message: 'hello from sns' }));
  assert.equal(await receiveOne(sink.QueueUrl!), 'aws:sns hello from sns');
});

test('an SQS event source mapping delivers messages and failed ones follow the redrive policy', async () => {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'esm-dlq' }));
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const source = await sqs.send(new CreateQueueCommand({
    QueueName: 'esm-source',
    // Long enough for a cold start on a loaded machine: a batch still being processed when its
    // visibility ends is received again (as in AWS), and 'fine' would reach the dead-letter queue.
    Attributes: { VisibilityTimeout: '4', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }) },
  }));
  const sourceArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: source.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  await lambda.send(new CreateFunctionCommand({
    FunctionName: 'esm-consumer',
    Runtime: 'nodejs20.x',
    Role: ROLE,
    Handler: 'index.handler',
    Code: { ZipFile: zip({ 'index.js': `exports.handler = async (e) => ({ batchItemFailures: e.Records.filter(r => r.body === 'poison').map(r => ({ itemIdentifier: r.messageId })) });` }) },
  }));
  await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'esm-consumer', EventSourceArn: sourceArn, BatchSize: 5, FunctionResponseTypes: ['ReportBatchItemFailures'] }));
  await sqs.send(new SendMessageCommand({ QueueUrl: source.QueueUrl, MessageBody: 'fine' }));
  await sqs.send(new SendMessageCommand({ QueueUrl: source.QueueUrl, MessageBody: 'poison' }));
  assert.equal(await receiveOne(dlq.QueueUrl!), 'poison');
});
