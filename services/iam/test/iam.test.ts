// IAM users, access keys and inline policies through the SDK, and what the edge does with them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUsersCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

const rejectsWith = async (promise: Promise<unknown>, name: string, status: number, message?: RegExp) =>
  assert.rejects(promise, (e: any) => {
    assert.equal(e.name, name);
    assert.equal(e.$metadata.httpStatusCode, status);
    if (message) assert.match(e.message, message);
    return true;
  });

describe('IAM', () => {
  let p: TestPlatform;
  let iam: IAMClient;
  before(async () => {
    p = await startPlatform({ services: ['iam', 'sts'] });
    iam = p.client(IAMClient);
  });
  after(() => p.stop());

  test('creates, gets, lists with pagination and deletes users', async () => {
    const created = await iam.send(new CreateUserCommand({ UserName: 'carol', Path: '/team/', Tags: [{ Key: 'k', Value: 'v' }] }));
    assert.equal(created.User!.Arn, 'arn:aws:iam::000000000000:user/team/carol');
    assert.match(created.User!.UserId!, /^AIDA[A-Z2-7]{17}$/);
    assert.equal((await iam.send(new GetUserCommand({ UserName: 'carol' }))).User!.Path, '/team/');
    for (const name of ['u1', 'u2', 'u3']) await iam.send(new CreateUserCommand({ UserName: name }));
    const page1 = await iam.send(new ListUsersCommand({ MaxItems: 2 }));
    assert.equal(page1.Users!.length, 2);
    assert.equal(page1.IsTruncated, true);
    const page2 = await iam.send(new ListUsersCommand({ MaxItems: 10, Marker: page1.Marker }));
    const names = [...page1.Users!, ...page2.Users!].map((u) => u.UserName);
    assert.deepEqual(names, ['carol', 'u1', 'u2', 'u3']);
    assert.deepEqual((await iam.send(new ListUsersCommand({ PathPrefix: '/team/' }))).Users!.map((u) => u.UserName), ['carol']);
    await iam.send(new DeleteUserCommand({ UserName: 'u3' }));
    await rejectsWith(iam.send(new GetUserCommand({ UserName: 'u3' })), 'NoSuchEntityException', 404, /The user with name u3 cannot be found\./);
  });

  test('refuses a duplicate user with EntityAlreadyExists and an invalid name with ValidationError', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'dup' }));
    await rejectsWith(iam.send(new CreateUserCommand({ UserName: 'dup' })), 'EntityAlreadyExistsException', 409, /User with name dup already exists\./);
    await rejectsWith(iam.send(new CreateUserCommand({ UserName: 'bad name!' })), 'ValidationError', 400);
  });

  test('a key created through IAM signs requests at once; an inactive or deleted key is refused', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }))).AccessKey!;
    const asAlice = p.client(STSClient, { credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } });
    const me = await asAlice.send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, 'arn:aws:iam::000000000000:user/alice');

    await iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: key.AccessKeyId!, Status: 'Inactive' }));
    await rejectsWith(asAlice.send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403);
    await iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: key.AccessKeyId!, Status: 'Active' }));
    assert.equal((await asAlice.send(new GetCallerIdentityCommand({}))).Account, '000000000000');

    const listed = await iam.send(new ListAccessKeysCommand({ UserName: 'alice' }));
    assert.deepEqual(listed.AccessKeyMetadata!.map((k) => [k.AccessKeyId, k.Status]), [[key.AccessKeyId, 'Active']]);
    await rejectsWith(iam.send(new DeleteUserCommand({ UserName: 'alice' })), 'DeleteConflictException', 409, /must delete access keys first/);
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: key.AccessKeyId! }));
    await rejectsWith(asAlice.send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403);
  });

  test('a user has at most two access keys', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'keys' }));
    await iam.send(new CreateAccessKeyCommand({ UserName: 'keys' }));
    await iam.send(new CreateAccessKeyCommand({ UserName: 'keys' }));
    await rejectsWith(iam.send(new CreateAccessKeyCommand({ UserName: 'keys' })), 'LimitExceededException', 409, /AccessKeysPerUser: 2/);
  });

  test('an IAM user may do only what its inline policies allow, and an explicit deny wins', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'bob' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'bob' }))).AccessKey!;
    const asBob = p.client(IAMClient, { credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } });
    await rejectsWith(asBob.send(new ListUsersCommand({})), 'AccessDenied', 403, /user\/bob is not authorized to perform: iam:ListUsers/);

    const allow = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:List*', Resource: '*' }] });
    await iam.send(new PutUserPolicyCommand({ UserName: 'bob', PolicyName: 'read', PolicyDocument: allow }));
    assert.ok((await asBob.send(new ListUsersCommand({}))).Users!.length > 0);
    const stored = await iam.send(new GetUserPolicyCommand({ UserName: 'bob', PolicyName: 'read' }));
    assert.deepEqual(JSON.parse(decodeURIComponent(stored.PolicyDocument!)), JSON.parse(allow));

    const deny = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'iam:ListUsers', Resource: '*' }] });
    await iam.send(new PutUserPolicyCommand({ UserName: 'bob', PolicyName: 'deny', PolicyDocument: deny }));
    await rejectsWith(asBob.send(new ListUsersCommand({})), 'AccessDenied', 403);
    await iam.send(new DeleteUserPolicyCommand({ UserName: 'bob', PolicyName: 'deny' }));
    assert.ok((await asBob.send(new ListUsersCommand({}))).Users!.length > 0);

    await rejectsWith(
      iam.send(new PutUserPolicyCommand({ UserName: 'bob', PolicyName: 'bad', PolicyDocument: '{not json' })),
      'MalformedPolicyDocumentException',
      400,
    );
  });
});
