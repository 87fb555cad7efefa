// IAM's own operations are authorized on the ARNs AWS names, path included: a user allowed
// iam:GetRole on `role/app/*` reads a role under that path and is refused others; self-service
// policies with `${aws:username}` cover calls that leave UserName out; AddRoleToInstanceProfile asks
// iam:PassRole on the role.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AddRoleToInstanceProfileCommand,
  CreateAccessKeyCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteRoleCommand,
  GetPolicyCommand,
  GetRoleCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

const ACCOUNT = '000000000000';
const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
const policy = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const denied = (pattern: RegExp) => (e: any) => {
  assert.equal(e.name, 'AccessDenied');
  assert.equal(e.$metadata.httpStatusCode, 403);
  assert.match(e.message, pattern);
  return true;
};

describe('IAM operations are authorized on IAM resource ARNs', () => {
  let p: TestPlatform;
  let iam: IAMClient;
  async function user(name: string, document: string): Promise<IAMClient> {
    await iam.send(new CreateUserCommand({ UserName: name, Path: '/staff/' }));
    await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'p', PolicyDocument: document }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    return p.client(IAMClient, { credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } });
  }

  before(async () => {
    p = await startPlatform({ services: ['iam', 'sts'] });
    iam = p.client(IAMClient);
    await iam.send(new CreateRoleCommand({ RoleName: 'web', Path: '/app/', AssumeRolePolicyDocument: trust }));
    await iam.send(new CreateRoleCommand({ RoleName: 'admin', AssumeRolePolicyDocument: trust }));
  });
  after(() => p.stop());

  test('iam:GetRole on role/app/* reads a role by its name alone (the path is looked up) and not another', async () => {
    const client = await user('reader', policy({ Effect: 'Allow', Action: 'iam:GetRole', Resource: 'arn:aws:iam::*:role/app/*' }));
    assert.equal((await client.send(new GetRoleCommand({ RoleName: 'web' }))).Role!.Arn, `arn:aws:iam::${ACCOUNT}:role/app/web`);
    // Names compare case-insensitively: the stored ARN is what is authorized.
    assert.equal((await client.send(new GetRoleCommand({ RoleName: 'WEB' }))).Role!.RoleName, 'web');
    await assert.rejects(
      client.send(new GetRoleCommand({ RoleName: 'admin' })),
      denied(new RegExp(`^User: arn:aws:iam::${ACCOUNT}:user/staff/reader is not authorized to perform: iam:GetRole on resource: arn:aws:iam::${ACCOUNT}:role/admin because no identity-based policy allows the iam:GetRole action$`)),
    );
    // A role that does not exist is named with the path `/`: refused, not NoSuchEntity.
    await assert.rejects(client.send(new GetRoleCommand({ RoleName: 'ghost' })), denied(/role\/ghost /));
  });

  test('a role deleted and created again under another path is authorized on its new ARN', async () => {
    const client = await user('mover', policy({ Effect: 'Allow', Action: 'iam:GetRole', Resource: 'arn:aws:iam::*:role/app/*' }));
    await iam.send(new CreateRoleCommand({ RoleName: 'moving', Path: '/app/', AssumeRolePolicyDocument: trust }));
    assert.ok(await client.send(new GetRoleCommand({ RoleName: 'moving' })));
    await iam.send(new DeleteRoleCommand({ RoleName: 'moving' }));
    await iam.send(new CreateRoleCommand({ RoleName: 'moving', Path: '/other/', AssumeRolePolicyDocument: trust }));
    await assert.rejects(client.send(new GetRoleCommand({ RoleName: 'moving' })), denied(/role\/other\/moving /));
  });

  test('a self-service policy on user/${aws:username} covers GetUser and ListAccessKeys without a UserName', async () => {
    const client = await user('self', policy({ Effect: 'Allow', Action: ['iam:GetUser', 'iam:ListAccessKeys'], Resource: 'arn:aws:iam::*:user/staff/${aws:username}' }));
    assert.equal((await client.send(new GetUserCommand({}))).User!.UserName, 'self');
    assert.equal((await client.send(new ListAccessKeysCommand({ UserName: 'self' }))).AccessKeyMetadata!.length, 1);
    assert.equal((await client.send(new ListAccessKeysCommand({}))).AccessKeyMetadata!.length, 1);
    await assert.rejects(client.send(new GetUserCommand({ UserName: 'reader' })), denied(/user\/staff\/reader /));
  });

  test('creating a role is authorized on the ARN with the given path; a policy is read by its ARN', async () => {
    const client = await user('creator', policy(
      { Effect: 'Allow', Action: 'iam:CreateRole', Resource: 'arn:aws:iam::*:role/team/*' },
      { Effect: 'Allow', Action: 'iam:GetPolicy', Resource: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
    ));
    assert.ok(await client.send(new CreateRoleCommand({ RoleName: 'svc', Path: '/team/', AssumeRolePolicyDocument: trust })));
    await assert.rejects(client.send(new CreateRoleCommand({ RoleName: 'svc2', AssumeRolePolicyDocument: trust })), denied(/role\/svc2 /));
    assert.ok(await client.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' })));
    await assert.rejects(client.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' })), denied(/iam:GetPolicy/));
  });

  test('AddRoleToInstanceProfile needs iam:PassRole on the role', async () => {
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'hosts', Path: '/app/' }));
    const statement = { Effect: 'Allow', Action: 'iam:AddRoleToInstanceProfile', Resource: 'arn:aws:iam::*:instance-profile/app/*' };
    const without = await user('no-pass', policy(statement));
    await assert.rejects(
      without.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'hosts', RoleName: 'web' })),
      denied(new RegExp(`iam:PassRole on resource: arn:aws:iam::${ACCOUNT}:role/app/web `)),
    );
    const withPass = await user('passer', policy(statement, { Effect: 'Allow', Action: 'iam:PassRole', Resource: 'arn:aws:iam::*:role/app/*' }));
    assert.ok(await withPass.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'hosts', RoleName: 'web' })));
  });
});
