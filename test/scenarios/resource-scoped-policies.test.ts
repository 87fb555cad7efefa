// IAM users whose policies name resources: the edge authorizes each call on the ARNs it acts on
// (queue, topic, table, bucket or object, function) and with the IAM action AWS uses for it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CreateQueueCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateTableCommand, DynamoDBClient, ExecuteStatementCommand, GetItemCommand, PutItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { CopyObjectCommand, CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

const denied = (name: string, status: number, resource?: string) => (e: any) => {
  assert.equal(e.name, name);
  assert.equal(e.$metadata.httpStatusCode, status);
  if (resource) assert.match(e.message, new RegExp(`on resource: ${resource.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} because no identity-based policy allows`));
  return true;
};

describe('resource-scoped IAM policies', () => {
  let p: TestPlatform;
  let credentials: { accessKeyId: string; secretAccessKey: string };
  before(async () => {
    p = await startPlatform({ services: ['iam', 'sts', 'sqs', 'sns', 'dynamodb', 's3'] });
    const iam = p.client(IAMClient);
    await iam.send(new CreateUserCommand({ UserName: 'app' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'app' }))).AccessKey!;
    credentials = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:us-east-1:000000000000:orders' },
        { Effect: 'Allow', Action: 'sns:Publish', Resource: 'arn:aws:sns:us-east-1:000000000000:alerts' },
        { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:PartiQLSelect'], Resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/carts' },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::assets/public/*' },
        { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::assets' },
        { Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::assets/copies/*' },
      ],
    };
    await iam.send(new PutUserPolicyCommand({ UserName: 'app', PolicyName: 'app', PolicyDocument: JSON.stringify(policy) }));

    const sqs = p.client(SQSClient);
    for (const QueueName of ['orders', 'payments']) await sqs.send(new CreateQueueCommand({ QueueName }));
    const sns = p.client(SNSClient);
    for (const Name of ['alerts', 'billing']) await sns.send(new CreateTopicCommand({ Name }));
    const ddb = p.client(DynamoDBClient);
    for (const TableName of ['carts', 'users']) {
      await ddb.send(new CreateTableCommand({ TableName, KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
    }
    const s3 = p.client(S3Client, { forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'assets' }));
    for (const Key of ['public/logo.png', 'private/keys.txt']) await s3.send(new PutObjectCommand({ Bucket: 'assets', Key, Body: Key }));
  });
  after(() => p.stop());

  test('SQS: the allowed queue only, and a batch needs the single action', async () => {
    const sqs = p.client(SQSClient, { credentials });
    const url = (name: string) => `${p.endpoint}/000000000000/${name}`;
    await sqs.send(new SendMessageCommand({ QueueUrl: url('orders'), MessageBody: 'ok' }));
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: url('orders'), Entries: [{ Id: '1', MessageBody: 'ok' }] }));
    await assert.rejects(sqs.send(new SendMessageCommand({ QueueUrl: url('payments'), MessageBody: 'no' })), denied('AccessDenied', 400, 'arn:aws:sqs:us-east-1:000000000000:payments'));
  });

  test('SNS: publishing to the allowed topic only', async () => {
    const sns = p.client(SNSClient, { credentials });
    await sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:alerts', Message: 'ok' }));
    await assert.rejects(sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:billing', Message: 'no' })), denied('AuthorizationErrorException', 403, 'arn:aws:sns:us-east-1:000000000000:billing'));
  });

  test('DynamoDB: the allowed table only, and a transaction is checked on every table it writes', async () => {
    const ddb = p.client(DynamoDBClient, { credentials });
    await ddb.send(new PutItemCommand({ TableName: 'carts', Item: { id: { S: 'c1' } } }));
    assert.equal((await ddb.send(new GetItemCommand({ TableName: 'carts', Key: { id: { S: 'c1' } } }))).Item?.id?.S, 'c1');
    await assert.rejects(ddb.send(new GetItemCommand({ TableName: 'users', Key: { id: { S: 'u1' } } })), denied('AccessDeniedException', 400, 'arn:aws:dynamodb:us-east-1:000000000000:table/users'));
    await assert.rejects(
      ddb.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: 'carts', Item: { id: { S: 'c2' } } } }, { Put: { TableName: 'users', Item: { id: { S: 'u2' } } } }] })),
      denied('AccessDeniedException', 400),
    );
    // PartiQL needs dynamodb:PartiQLSelect (and so on) on the statement's table.
    const selected = await ddb.send(new ExecuteStatementCommand({ Statement: 'SELECT * FROM "carts" WHERE id = ?', Parameters: [{ S: 'c1' }] }));
    assert.equal(selected.Items?.[0]?.id?.S, 'c1');
    await assert.rejects(ddb.send(new ExecuteStatementCommand({ Statement: 'SELECT * FROM "users"' })), denied('AccessDeniedException', 400, 'arn:aws:dynamodb:us-east-1:000000000000:table/users'));
    await assert.rejects(ddb.send(new ExecuteStatementCommand({ Statement: `DELETE FROM "carts" WHERE id = 'c1'` })), denied('AccessDeniedException', 400));
  });

  test('S3: objects under the allowed prefix, listing as s3:ListBucket, and plain Access Denied elsewhere', async () => {
    const s3 = p.client(S3Client, { credentials, forcePathStyle: true });
    const got = await s3.send(new GetObjectCommand({ Bucket: 'assets', Key: 'public/logo.png' }));
    assert.equal(await got.Body!.transformToString(), 'public/logo.png');
    assert.equal((await s3.send(new ListObjectsV2Command({ Bucket: 'assets' }))).KeyCount, 2);
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: 'assets', Key: 'private/keys.txt' })), (e: any) => {
      assert.equal(e.name, 'AccessDenied');
      assert.equal(e.$metadata.httpStatusCode, 403);
      assert.equal(e.message, 'Access Denied');
      return true;
    });
    await assert.rejects(s3.send(new PutObjectCommand({ Bucket: 'assets', Key: 'public/new.txt', Body: 'x' })), denied('AccessDenied', 403));
  });

  test('S3: a copy needs s3:GetObject on its source as well as s3:PutObject on its destination', async () => {
    const s3 = p.client(S3Client, { credentials, forcePathStyle: true });
    // The user may write under copies/ but may not read private/: copying private/ out is refused.
    await assert.rejects(s3.send(new CopyObjectCommand({ Bucket: 'assets', Key: 'copies/keys.txt', CopySource: 'assets/private/keys.txt' })), denied('AccessDenied', 403));
    await s3.send(new CopyObjectCommand({ Bucket: 'assets', Key: 'copies/logo.png', CopySource: 'assets/public/logo.png' }));
    const copied = await p.client(S3Client, { forcePathStyle: true }).send(new GetObjectCommand({ Bucket: 'assets', Key: 'copies/logo.png' }));
    assert.equal(await copied.Body!.transformToString(), 'public/logo.png');
  });
});
