// Authorization through the official SDKs: IAM users and role sessions are refused what no policy
// grants (AWS's AccessDenied wording), allowed through attached AWS managed policies, limited by a
// permissions boundary and by session policies, and allowed or denied by a queue's own policy.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DetachUserPolicyCommand,
  IAMClient,
  PutUserPermissionsBoundaryCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { CreateQueueCommand, ListQueuesCommand, SendMessageCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

const ACCOUNT = '000000000000';
const QUEUE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:jobs`;
type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

const deniedWith = (pattern: RegExp) => (e: any) => {
  assert.match(e.name, /^AccessDenied/);
  assert.match(e.message, pattern);
  return true;
};

describe('authorization', () => {
  let p: TestPlatform;
  let iam: IAMClient;
  const queueUrl = () => `${p.endpoint}/${ACCOUNT}/jobs`;

  async function user(name: string): Promise<Credentials> {
    await iam.send(new CreateUserCommand({ UserName: name }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    return { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
  }

  before(async () => {
    p = await startPlatform({ services: ['iam', 'sts', 'sqs', 'dynamodb', 's3'] });
    iam = p.client(IAMClient);
    await p.client(SQSClient).send(new CreateQueueCommand({ QueueName: 'jobs' }));
    await p.client(S3Client, { forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: 'reports' }));
  });
  after(() => p.stop());

  test('a user without policies is refused; attaching AmazonSQSFullAccess allows it; detaching refuses again', async () => {
    const credentials = await user('dev');
    const sqs = p.client(SQSClient, { credentials });
    const noPolicy = new RegExp(`^User: arn:aws:iam::${ACCOUNT}:user/dev is not authorized to perform: sqs:SendMessage on resource: ${QUEUE_ARN} because no identity-based policy allows the sqs:SendMessage action$`);
    await assert.rejects(sqs.send(new SendMessageCommand({ QueueUrl: queueUrl(), MessageBody: 'x' })), deniedWith(noPolicy));
    await iam.send(new AttachUserPolicyCommand({ UserName: 'dev', PolicyArn: 'arn:aws:iam::aws:policy/AmazonSQSFullAccess' }));
    assert.ok((await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl(), MessageBody: 'x' }))).MessageId);
    await iam.send(new DetachUserPolicyCommand({ UserName: 'dev', PolicyArn: 'arn:aws:iam::aws:policy/AmazonSQSFullAccess' }));
    await assert.rejects(sqs.send(new SendMessageCommand({ QueueUrl: queueUrl(), MessageBody: 'x' })), deniedWith(noPolicy));
  });

  test('a permissions boundary limits what attached policies grant', async () => {
    const credentials = await user('bounded');
    await iam.send(new AttachUserPolicyCommand({ UserName: 'bounded', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
    await iam.send(new PutUserPermissionsBoundaryCommand({ UserName: 'bounded', PermissionsBoundary: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess' }));
    const s3 = p.client(S3Client, { credentials, forcePathStyle: true });
    assert.ok(await s3.send(new ListObjectsV2Command({ Bucket: 'reports' })));
    await assert.rejects(s3.send(new PutObjectCommand({ Bucket: 'reports', Key: 'a', Body: 'a' })), (e: any) => e.name === 'AccessDenied');
    await assert.rejects(
      p.client(SQSClient, { credentials }).send(new ListQueuesCommand({})),
      deniedWith(/user\/bounded is not authorized to perform: sqs:ListQueues on resource: .* because no permissions boundary allows the sqs:ListQueues action$/),
    );
  });

  test('a role session has its role\'s managed policies, narrowed by a session policy', async () => {
    const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] };
    await iam.send(new CreateRoleCommand({ RoleName: 'reader', AssumeRolePolicyDocument: JSON.stringify(trust) }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'reader', PolicyArn: 'arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess' }));
    const sts = p.client(STSClient);
    const assume = async (Policy?: string): Promise<Credentials> => {
      const c = (await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/reader`, RoleSessionName: 's1', ...(Policy ? { Policy } : {}) }))).Credentials!;
      return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    };
    const session = await assume();
    assert.ok(await p.client(DynamoDBClient, { credentials: session }).send(new ListTablesCommand({})));
    await assert.rejects(
      p.client(SQSClient, { credentials: session }).send(new SendMessageCommand({ QueueUrl: queueUrl(), MessageBody: 'x' })),
      deniedWith(new RegExp(`^User: arn:aws:sts::${ACCOUNT}:assumed-role/reader/s1 is not authorized to perform: sqs:SendMessage on resource: ${QUEUE_ARN} because no identity-based policy allows the sqs:SendMessage action$`)),
    );
    const narrowed = await assume(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }));
    await assert.rejects(
      p.client(DynamoDBClient, { credentials: narrowed }).send(new ListTablesCommand({})),
      deniedWith(/assumed-role\/reader\/s1 is not authorized to perform: dynamodb:ListTables on resource: .* because no session policy allows the dynamodb:ListTables action$/),
    );
  });

  test('a queue policy naming a user allows it without identity policies, and its explicit deny wins', async () => {
    const credentials = await user('partner');
    const sqs = p.client(SQSClient, { credentials });
    const userArn = `arn:aws:iam::${ACCOUNT}:user/partner`;
    const setPolicy = (Effect: string) =>
      p.client(SQSClient).send(
        new SetQueueAttributesCommand({
          QueueUrl: queueUrl(),
          Attributes: { Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect, Principal: { AWS: userArn }, Action: 'sqs:SendMessage', Resource: QUEUE_ARN }] }) },
        }),
      );
    await setPolicy('Allow');
    assert.ok((await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl(), MessageBody: 'x' }))).MessageId);
    await iam.send(new AttachUserPolicyCommand({ UserName: 'partner', PolicyArn: 'arn:aws:iam::aws:policy/AmazonSQSFullAccess' }));
    await setPolicy('Deny');
    await assert.rejects(
      sqs.send(new SendMessageCommand({ QueueUrl: queueUrl(), MessageBody: 'x' })),
      deniedWith(new RegExp(`user/partner is not authorized to perform: sqs:SendMessage on resource: ${QUEUE_ARN} with an explicit deny in a resource-based policy$`)),
    );
  });
});
