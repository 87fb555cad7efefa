// AssumeRole and GetSessionToken through the SDK, and what the edge does with the temporary
// credentials they issue (SQS, S3, presigned URLs, tampered and foreign tokens).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutRolePolicyCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import {
  AssumeRoleCommand,
  DecodeAuthorizationMessageCommand,
  GetAccessKeyInfoCommand,
  GetCallerIdentityCommand,
  GetSessionTokenCommand,
  STSClient,
  type Credentials,
} from '@aws-sdk/client-sts';
import { CreateQueueCommand, GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

const ACCOUNT = '000000000000';
const doc = (Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });

const rejectsWith = async (promise: Promise<unknown>, name: string, status: number, message?: RegExp) =>
  assert.rejects(promise, (e: any) => {
    assert.equal(e.name, name, e.message);
    assert.equal(e.$metadata.httpStatusCode, status);
    if (message) assert.match(e.message, message);
    return true;
  });

describe('STS AssumeRole and temporary credentials', () => {
  let p: TestPlatform;
  let iam: IAMClient;
  let alice: { accessKeyId: string; secretAccessKey: string };
  let bob: { accessKeyId: string; secretAccessKey: string };
  const roleArn = `arn:aws:iam::${ACCOUNT}:role/app`;
  const asTemp = (c: Credentials) => ({ credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! } });

  before(async () => {
    p = await startPlatform({ services: ['iam', 'sts', 'sqs', 's3'] });
    iam = p.client(IAMClient);
    for (const name of ['alice', 'bob']) {
      await iam.send(new CreateUserCommand({ UserName: name }));
      await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'assume', PolicyDocument: doc([{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:GetAccessKeyInfo', 'sts:DecodeAuthorizationMessage'], Resource: '*' }]) }));
    }
    const key = async (name: string) => {
      const k = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
      return { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
    };
    alice = await key('alice');
    bob = await key('bob');
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'app',
        MaxSessionDuration: 7200,
        AssumeRolePolicyDocument: doc([
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/alice` }, Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'] },
        ]),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'app',
        PolicyName: 'work',
        PolicyDocument: doc([
          { Effect: 'Allow', Action: 'sqs:*', Resource: `arn:aws:sqs:*:${ACCOUNT}:allowed-*` },
          { Effect: 'Allow', Action: 's3:*', Resource: ['arn:aws:s3:::allowed-bucket', 'arn:aws:s3:::allowed-bucket/*'] },
        ]),
      }),
    );
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'partner',
        AssumeRolePolicyDocument: doc([{ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'ext-123' } } }]),
      }),
    );
    const sqs = p.client(SQSClient);
    await sqs.send(new CreateQueueCommand({ QueueName: 'allowed-q' }));
    await sqs.send(new CreateQueueCommand({ QueueName: 'other-q' }));
    const s3 = p.client(S3Client, { forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'allowed-bucket' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'other-bucket' }));
  });
  after(() => p.stop());

  const stsAs = (credentials: object) => p.client(STSClient, { credentials });
  const assume = (input: Partial<ConstructorParameters<typeof AssumeRoleCommand>[0]> = {}, who = alice) =>
    stsAs(who).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'sess-1', ...input }));

  test('issues ASIA credentials whose caller identity is the role session', async () => {
    const before = Date.now();
    const out = await assume({ DurationSeconds: 1800 });
    const c = out.Credentials!;
    assert.match(c.AccessKeyId!, /^ASIA[A-Z2-7]{16}$/);
    assert.equal(c.SecretAccessKey!.length, 40);
    assert.ok(c.SessionToken!.length > 100);
    const lifetime = c.Expiration!.getTime() - before;
    assert.ok(lifetime > 1790_000 && lifetime <= 1801_000, `lifetime ${lifetime}`);
    assert.equal(out.AssumedRoleUser!.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/app/sess-1`);
    assert.match(out.AssumedRoleUser!.AssumedRoleId!, /^AROA[A-Z2-7]{17}:sess-1$/);
    const me = await p.client(STSClient, asTemp(c)).send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, out.AssumedRoleUser!.Arn);
    assert.equal(me.UserId, out.AssumedRoleUser!.AssumedRoleId);
    assert.equal(me.Account, ACCOUNT);
  });

  test('uses the role permissions with SQS: allowed queue yes, another queue AccessDenied', async () => {
    const c = (await assume()).Credentials!;
    const sqs = p.client(SQSClient, asTemp(c));
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'allowed-q' }));
    assert.ok((await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hi' }))).MessageId);
    const other = `${p.endpoint}/${ACCOUNT}/other-q`;
    await assert.rejects(sqs.send(new SendMessageCommand({ QueueUrl: other, MessageBody: 'no' })), (e: any) => {
      assert.match(e.name, /AccessDenied/);
      assert.match(e.message, new RegExp(`assumed-role/app/sess-1 is not authorized to perform: sqs:SendMessage`));
      return true;
    });
  });

  test('uses the role permissions with S3, in headers and in a presigned URL', async () => {
    const c = (await assume()).Credentials!;
    const s3 = p.client(S3Client, { forcePathStyle: true, ...asTemp(c) });
    await s3.send(new PutObjectCommand({ Bucket: 'allowed-bucket', Key: 'k', Body: 'v' }));
    assert.equal(await (await s3.send(new GetObjectCommand({ Bucket: 'allowed-bucket', Key: 'k' }))).Body!.transformToString(), 'v');
    await rejectsWith(s3.send(new PutObjectCommand({ Bucket: 'other-bucket', Key: 'k', Body: 'v' })), 'AccessDenied', 403);
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'allowed-bucket', Key: 'k' }), { expiresIn: 60 });
    assert.match(url, /X-Amz-Security-Token=/);
    const response = await fetch(url);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'v');
  });

  test('narrows the role permissions with a session policy', async () => {
    const policy = doc([{ Effect: 'Allow', Action: 'sqs:GetQueueUrl', Resource: '*' }]);
    const out = await assume({ Policy: policy, RoleSessionName: 'narrow' });
    assert.ok(out.PackedPolicySize! > 0 && out.PackedPolicySize! <= 100);
    const sqs = p.client(SQSClient, asTemp(out.Credentials!));
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'allowed-q' }));
    await assert.rejects(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'no' })), (e: any) => /AccessDenied/.test(e.name));
  });

  test('refuses a tampered token, a token of another key, and a temporary key without token', async () => {
    const c = (await assume()).Credentials!;
    const raw = Buffer.from(c.SessionToken!, 'base64');
    raw[raw.length - 5] = raw[raw.length - 5]! ^ 0x40;
    const tampered = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: raw.toString('base64') };
    const message = /^The security token included in the request is invalid\.$/;
    await rejectsWith(stsAs(tampered).send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403, message);
    const other = (await assume({ RoleSessionName: 'other' })).Credentials!;
    await rejectsWith(stsAs({ ...tampered, sessionToken: other.SessionToken! }).send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403, message);
    await rejectsWith(stsAs({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey! }).send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403, message);
    const s3 = p.client(S3Client, { forcePathStyle: true, credentials: tampered });
    await rejectsWith(s3.send(new GetObjectCommand({ Bucket: 'allowed-bucket', Key: 'k' })), 'InvalidToken', 400, /The provided token is malformed or otherwise invalid\./);
    // A wrong secret with a valid token is a signature mismatch, as for any key.
    await rejectsWith(stsAs({ ...asTemp(c).credentials, secretAccessKey: 'x'.repeat(40) }).send(new GetCallerIdentityCommand({})), 'SignatureDoesNotMatch', 403);
  });

  test('refuses a caller the trust policy does not name, and a role that does not exist', async () => {
    await rejectsWith(
      assume({}, bob),
      'AccessDenied',
      403,
      new RegExp(`^User: arn:aws:iam::${ACCOUNT}:user/bob is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${ACCOUNT}:role/app$`),
    );
    await rejectsWith(assume({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/nope` }), 'AccessDenied', 403, /is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::000000000000:role\/nope/);
  });

  test('requires the external id the trust policy names', async () => {
    const partner = `arn:aws:iam::${ACCOUNT}:role/partner`;
    await rejectsWith(assume({ RoleArn: partner }, bob), 'AccessDenied', 403);
    await rejectsWith(assume({ RoleArn: partner, ExternalId: 'wrong-id' }, bob), 'AccessDenied', 403);
    const out = await assume({ RoleArn: partner, ExternalId: 'ext-123' }, bob);
    assert.equal(out.AssumedRoleUser!.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/partner/sess-1`);
  });

  test('checks the duration against the model and the role maximum, and the session policy grammar', async () => {
    await rejectsWith(assume({ DurationSeconds: 899 }), 'ValidationError', 400, /durationSeconds/);
    await rejectsWith(assume({ DurationSeconds: 7201 }), 'ValidationError', 400, /^The requested DurationSeconds exceeds the MaxSessionDuration set for this role\.$/);
    assert.ok((await assume({ DurationSeconds: 7200 })).Credentials);
    await rejectsWith(assume({ RoleSessionName: 'bad name!' }), 'ValidationError', 400, /roleSessionName/);
    await rejectsWith(assume({ Policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}' }), 'MalformedPolicyDocumentException', 400);
  });

  test('limits role chaining to one hour', async () => {
    const c = (await assume()).Credentials!;
    await iam.send(
      new CreateRoleCommand({ RoleName: 'chained', MaxSessionDuration: 14400, AssumeRolePolicyDocument: doc([{ Effect: 'Allow', Principal: { AWS: roleArn }, Action: 'sts:AssumeRole' }]) }),
    );
    const chained = stsAs(asTemp(c).credentials);
    const arn = `arn:aws:iam::${ACCOUNT}:role/chained`;
    await rejectsWith(chained.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'cc', DurationSeconds: 7200 })), 'ValidationError', 400, /1 hour session limit for roles assumed by role chaining/);
    const out = await chained.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'cc' }));
    assert.equal(out.AssumedRoleUser!.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/chained/cc`);
  });

  test('takes session tags and a source identity only when the trust policy allows them', async () => {
    const out = await assume({ Tags: [{ Key: 'team', Value: 'blue' }], SourceIdentity: 'alice-src' });
    assert.equal(out.SourceIdentity, 'alice-src');
    await rejectsWith(
      assume({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/partner`, ExternalId: 'ext-123', Tags: [{ Key: 'team', Value: 'blue' }] }, bob),
      'AccessDenied',
      403,
      /is not authorized to perform: sts:TagSession on resource/,
    );
    await rejectsWith(assume({ Tags: [{ Key: 'Team', Value: 'a' }, { Key: 'team', Value: 'b' }] }), 'ValidationError', 400, /Duplicate tag keys/);
    const many = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}-${'x'.repeat(100)}`, Value: randomBytes(192).toString('base64') }));
    await rejectsWith(assume({ Tags: many }), 'PackedPolicyTooLargeException', 400, /^Packed policy consumes \d+% of allotted space/);
  });

  test('GetSessionToken gives an IAM user credentials that act as the user, and refuses session callers', async () => {
    const c = (await stsAs(alice).send(new GetSessionTokenCommand({ DurationSeconds: 900 }))).Credentials!;
    assert.match(c.AccessKeyId!, /^ASIA/);
    const me = await stsAs(asTemp(c).credentials).send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, `arn:aws:iam::${ACCOUNT}:user/alice`);
    await rejectsWith(stsAs(asTemp(c).credentials).send(new GetSessionTokenCommand({})), 'AccessDenied', 403, /Cannot call GetSessionToken with session credentials/);
    // The user's own permissions: AssumeRole works with them.
    assert.ok((await stsAs(asTemp(c).credentials).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'via-session' }))).Credentials);
  });

  test('GetAccessKeyInfo names the account, DecodeAuthorizationMessage refuses junk', async () => {
    const c = (await assume()).Credentials!;
    assert.equal((await stsAs(alice).send(new GetAccessKeyInfoCommand({ AccessKeyId: c.AccessKeyId! }))).Account, ACCOUNT);
    await rejectsWith(stsAs(alice).send(new DecodeAuthorizationMessageCommand({ EncodedMessage: 'junk' })), 'InvalidAuthorizationMessageException', 400);
  });

  test('serves repeated requests with temporary credentials from the session cache', async () => {
    const c = (await assume()).Credentials!;
    const sts = stsAs(asTemp(c).credentials);
    const stats = async () => (await (await fetch(`${p.endpoint}/_atoll/sts/session-cache`)).json()) as { hits: number; misses: number };
    const start = await stats();
    for (let i = 0; i < 5; i++) await sts.send(new GetCallerIdentityCommand({}));
    const end = await stats();
    assert.equal(end.misses - start.misses, 1);
    assert.equal(end.hits - start.hits, 4);
  });
});
