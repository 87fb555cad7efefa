// POST /_atoll/reset: a clean platform between test suites without a restart. State made through the
// SDKs is gone after it, the workloads it ran are stopped, the platform keeps serving, only the root
// identity may ask for it, `?services=` leaves the other services alone, and the reset is audited.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import AdmZip from 'adm-zip';
import { CreateQueueCommand, ListQueuesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateBucketCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateFunctionCommand, InvokeCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, ListUsersCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { signedFetch, startPlatform, type Credentials, type TestPlatform } from '@atoll/test-support';

function reset(p: TestPlatform, services?: string, credentials: Credentials = p.credentials) {
  return signedFetch(p.endpoint, credentials, { service: 'atoll', method: 'POST', path: '/_atoll/reset', query: services ? { services } : {} });
}

/** The processes this (test) process has started: the platform runs its workloads as children. */
function childProcesses(): number {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.trim() !== '').length - 1; // less the ps itself
}

const code = (() => {
  const zip = new AdmZip();
  zip.addFile('index.js', Buffer.from('exports.handler = async (event) => ({ echoed: event });'));
  return zip.toBuffer();
})();

describe('platform reset', () => {
  let p: TestPlatform;
  let sqs: SQSClient;
  let s3: S3Client;
  let dynamodb: DynamoDBClient;
  let lambda: LambdaClient;
  let iam: IAMClient;
  before(async () => {
    p = await startPlatform({ services: ['sqs', 's3', 'dynamodb', 'dynamodbstreams', 'lambda', 'iam', 'sts', 'cloudtrail'] });
    sqs = p.client(SQSClient);
    s3 = p.client(S3Client, { forcePathStyle: true });
    dynamodb = p.client(DynamoDBClient);
    lambda = p.client(LambdaClient);
    iam = p.client(IAMClient);
  });
  after(() => p.stop());

  async function makeState(): Promise<void> {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'orders' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hello' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'uploads' }));
    await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'a.txt', Body: 'a' }));
    await dynamodb.send(
      new CreateTableCommand({
        TableName: 'items',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await dynamodb.send(new PutItemCommand({ TableName: 'items', Item: { id: { S: '1' } } }));
  }

  test('empties every service, stops the functions it ran, and keeps serving', async () => {
    await makeState();
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'fn',
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
      }),
    );
    await lambda.send(
      new CreateFunctionCommand({ FunctionName: 'echo', Runtime: 'nodejs20.x', Role: `arn:aws:iam::${p.accountId}:role/fn`, Handler: 'index.handler', Code: { ZipFile: code } }),
    );
    const before = childProcesses();
    const invoked = await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('{"n":1}') }));
    assert.equal(invoked.FunctionError, undefined);
    assert.ok(childProcesses() > before, 'the invocation runs in a worker process');

    const answer = await reset(p);
    assert.equal(answer.status, 200, answer.text);
    const outcome = JSON.parse(answer.text) as { services: string[] };
    assert.ok(outcome.services.includes('sqs') && outcome.services.includes('lambda'));
    assert.equal(childProcesses(), before, 'the function environments are stopped');

    assert.deepEqual((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? [], []);
    assert.deepEqual((await s3.send(new ListBucketsCommand({}))).Buckets ?? [], []);
    assert.deepEqual((await dynamodb.send(new ListTablesCommand({}))).TableNames, []);
    assert.deepEqual((await lambda.send(new ListFunctionsCommand({}))).Functions, []);
    assert.deepEqual((await iam.send(new ListUsersCommand({}))).Users, []);
    // The platform still serves, with the same root key: the state can be made again.
    await makeState();
    assert.equal((await sqs.send(new ListQueuesCommand({}))).QueueUrls?.length, 1);
  });

  test('?services= empties the named services only', async () => {
    await reset(p);
    await makeState();
    const answer = await reset(p, 'sqs,dynamodb');
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(JSON.parse(answer.text).services, ['sqs', 'dynamodb']);
    assert.deepEqual((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? [], []);
    assert.deepEqual((await dynamodb.send(new ListTablesCommand({}))).TableNames, []);
    assert.deepEqual((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name), ['uploads']);
  });

  test('an unknown service name is refused with 400 and nothing is reset', async () => {
    await reset(p);
    await makeState();
    const answer = await reset(p, 'sqs,nosuch');
    assert.equal(answer.status, 400);
    assert.equal(JSON.parse(answer.text).__type, 'InvalidParameterValue');
    assert.equal((await sqs.send(new ListQueuesCommand({}))).QueueUrls?.length, 1);
  });

  test('only the root identity may reset: an IAM user, even an administrator, gets AccessDenied', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'admin' }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'admin',
        PolicyName: 'all',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
      }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'admin' }))).AccessKey!;
    const answer = await reset(p, 'sqs', { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! });
    assert.equal(answer.status, 403);
    assert.equal(JSON.parse(answer.text).__type, 'AccessDenied');
    const unsigned = await fetch(`${p.endpoint}/_atoll/reset`, { method: 'POST' });
    assert.equal(unsigned.status, 400);
    const wrongSecret = await reset(p, 'sqs', { accessKeyId: p.credentials.accessKeyId, secretAccessKey: 'not-the-secret' });
    assert.equal(wrongSecret.status, 400);
    assert.equal(JSON.parse(wrongSecret.text).__type, 'InvalidSignatureException');
  });

  test('the reset is recorded in the audit trail with who asked for it', async () => {
    await reset(p, 's3');
    const trail = p.client(CloudTrailClient);
    let events: { CloudTrailEvent?: string }[] = [];
    for (let i = 0; i < 20 && events.length === 0; i++) {
      events = (await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'ResetPlatform' }] }))).Events ?? [];
      if (events.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(events.length > 0, 'a ResetPlatform event is in the trail');
    const event = JSON.parse(events[0]!.CloudTrailEvent!);
    assert.equal(event.userIdentity.type, 'Root');
    assert.deepEqual(event.requestParameters.services, ['s3']);
  });
});
