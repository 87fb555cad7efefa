// IAM roles through the SDK: trust policies, updates, tags, inline policies, boundaries, paging,
// DeleteRole's conflicts, service-linked roles and instance profiles.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  CreateServiceLinkedRoleCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteRolePolicyCommand,
  DeleteServiceLinkedRoleCommand,
  DetachRolePolicyCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetServiceLinkedRoleDeletionStatusCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  ListRolesCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
  UpdateRoleDescriptionCommand,
} from '@aws-sdk/client-iam';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

const rejectsWith = async (promise: Promise<unknown>, name: string, status: number, message?: RegExp) =>
  assert.rejects(promise, (e: any) => {
    assert.equal(e.name, name);
    assert.equal(e.$metadata.httpStatusCode, status);
    if (message) assert.match(e.message, message);
    return true;
  });

const trust = (service = 'lambda.amazonaws.com') =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });
const allow = (action: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });

describe('IAM roles', () => {
  let p: TestPlatform;
  let iam: IAMClient;
  before(async () => {
    p = await startPlatform({ services: ['iam', 'sts'] });
    iam = p.client(IAMClient);
  });
  after(() => p.stop());

  test('creates a role with its trust policy, and GetRole answers it URL-encoded with tags, duration and last use', async () => {
    const created = await iam.send(
      new CreateRoleCommand({ RoleName: 'app', Path: '/svc/', AssumeRolePolicyDocument: trust(), Description: 'the app', MaxSessionDuration: 7200, Tags: [{ Key: 'team', Value: 'blue' }] }),
    );
    assert.equal(created.Role!.Arn, 'arn:aws:iam::000000000000:role/svc/app');
    assert.match(created.Role!.RoleId!, /^AROA[A-Z2-7]{17}$/);
    const got = (await iam.send(new GetRoleCommand({ RoleName: 'APP' }))).Role!;
    assert.equal(got.RoleName, 'app');
    assert.deepEqual(JSON.parse(decodeURIComponent(got.AssumeRolePolicyDocument!)), JSON.parse(trust()));
    assert.equal(got.MaxSessionDuration, 7200);
    assert.equal(got.Description, 'the app');
    assert.deepEqual(got.Tags, [{ Key: 'team', Value: 'blue' }]);
    assert.deepEqual(got.RoleLastUsed, {});
    await rejectsWith(iam.send(new CreateRoleCommand({ RoleName: 'App', AssumeRolePolicyDocument: trust() })), 'EntityAlreadyExistsException', 409, /Role with name App already exists\./);
    await rejectsWith(iam.send(new GetRoleCommand({ RoleName: 'nope' })), 'NoSuchEntityException', 404, /The role with name nope cannot be found\./);
  });

  test('refuses a trust policy without a principal, a malformed one, and a session duration out of range', async () => {
    await rejectsWith(iam.send(new CreateRoleCommand({ RoleName: 'bad1', AssumeRolePolicyDocument: allow('s3:*') })), 'MalformedPolicyDocumentException', 400);
    await rejectsWith(iam.send(new CreateRoleCommand({ RoleName: 'bad2', AssumeRolePolicyDocument: '{' })), 'MalformedPolicyDocumentException', 400);
    await rejectsWith(iam.send(new CreateRoleCommand({ RoleName: 'bad3', AssumeRolePolicyDocument: trust(), MaxSessionDuration: 60 })), 'ValidationError', 400);
    await rejectsWith(iam.send(new CreateRoleCommand({ RoleName: 'bad name', AssumeRolePolicyDocument: trust() })), 'ValidationError', 400);
    await iam.send(new CreateRoleCommand({ RoleName: 'upd', AssumeRolePolicyDocument: trust() }));
    await rejectsWith(iam.send(new UpdateRoleCommand({ RoleName: 'upd', MaxSessionDuration: 50000 })), 'ValidationError', 400);
    await iam.send(new UpdateRoleCommand({ RoleName: 'upd', MaxSessionDuration: 43200, Description: 'x' }));
    const described = await iam.send(new UpdateRoleDescriptionCommand({ RoleName: 'upd', Description: 'y' }));
    assert.deepEqual([described.Role!.MaxSessionDuration, described.Role!.Description], [43200, 'y']);
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'upd', PolicyDocument: trust('ecs-tasks.amazonaws.com') }));
    const got = (await iam.send(new GetRoleCommand({ RoleName: 'upd' }))).Role!;
    assert.match(decodeURIComponent(got.AssumeRolePolicyDocument!), /ecs-tasks\.amazonaws\.com/);
    await rejectsWith(iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'upd', PolicyDocument: allow('s3:*') })), 'MalformedPolicyDocumentException', 400);
  });

  test('lists roles under a path prefix with Marker and MaxItems', async () => {
    for (const name of ['pa', 'pb', 'pc']) await iam.send(new CreateRoleCommand({ RoleName: name, Path: '/paged/', AssumeRolePolicyDocument: trust() }));
    const first = await iam.send(new ListRolesCommand({ PathPrefix: '/paged/', MaxItems: 2 }));
    assert.deepEqual(first.Roles!.map((r) => r.RoleName), ['pa', 'pb']);
    assert.equal(first.IsTruncated, true);
    const second = await iam.send(new ListRolesCommand({ PathPrefix: '/paged/', Marker: first.Marker }));
    assert.deepEqual(second.Roles!.map((r) => r.RoleName), ['pc']);
    assert.equal(second.IsTruncated, false);
  });

  test('tags and untags a role', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'tagged', AssumeRolePolicyDocument: trust(), Tags: [{ Key: 'a', Value: '1' }] }));
    await iam.send(new TagRoleCommand({ RoleName: 'tagged', Tags: [{ Key: 'a', Value: '2' }, { Key: 'b', Value: '3' }] }));
    assert.deepEqual((await iam.send(new ListRoleTagsCommand({ RoleName: 'tagged' }))).Tags, [{ Key: 'a', Value: '2' }, { Key: 'b', Value: '3' }]);
    await iam.send(new UntagRoleCommand({ RoleName: 'tagged', TagKeys: ['a'] }));
    assert.deepEqual((await iam.send(new ListRoleTagsCommand({ RoleName: 'tagged' }))).Tags, [{ Key: 'b', Value: '3' }]);
  });

  test('refuses to delete a role while it has inline or attached policies or an instance profile', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'busy', AssumeRolePolicyDocument: trust() }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'busy', PolicyName: 'inline', PolicyDocument: allow('s3:*') }));
    assert.deepEqual((await iam.send(new ListRolePoliciesCommand({ RoleName: 'busy' }))).PolicyNames, ['inline']);
    const stored = await iam.send(new GetRolePolicyCommand({ RoleName: 'busy', PolicyName: 'inline' }));
    assert.deepEqual(JSON.parse(decodeURIComponent(stored.PolicyDocument!)), JSON.parse(allow('s3:*')));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'busy', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }));
    await rejectsWith(
      iam.send(new AttachRolePolicyCommand({ RoleName: 'busy', PolicyArn: 'arn:aws:iam::aws:policy/NoSuchPolicyAnywhere' })),
      'NoSuchEntityException',
      404,
      /does not exist or is not attachable/,
    );
    assert.deepEqual((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'busy' }))).AttachedPolicies, [
      { PolicyName: 'ReadOnlyAccess', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
    ]);
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'busy-profile' }));
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'busy-profile', RoleName: 'busy' }));
    await iam.send(new CreateRoleCommand({ RoleName: 'second', AssumeRolePolicyDocument: trust() }));
    await rejectsWith(iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'busy-profile', RoleName: 'second' })), 'LimitExceededException', 409);
    const profile = (await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'busy-profile' }))).InstanceProfile!;
    assert.deepEqual(profile.Roles!.map((r) => r.RoleName), ['busy']);
    assert.match(profile.InstanceProfileId!, /^AIPA/);
    assert.deepEqual((await iam.send(new ListInstanceProfilesForRoleCommand({ RoleName: 'busy' }))).InstanceProfiles!.map((i) => i.InstanceProfileName), ['busy-profile']);

    await rejectsWith(iam.send(new DeleteRoleCommand({ RoleName: 'busy' })), 'DeleteConflictException', 409, /must remove roles from instance profile first/);
    await rejectsWith(iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: 'busy-profile' })), 'DeleteConflictException', 409);
    await iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: 'busy-profile', RoleName: 'busy' }));
    await iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: 'busy-profile' }));
    await rejectsWith(iam.send(new DeleteRoleCommand({ RoleName: 'busy' })), 'DeleteConflictException', 409, /must delete policies first/);
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'busy', PolicyName: 'inline' }));
    await rejectsWith(iam.send(new DeleteRoleCommand({ RoleName: 'busy' })), 'DeleteConflictException', 409, /must detach all policies first/);
    await iam.send(new DetachRolePolicyCommand({ RoleName: 'busy', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }));
    await rejectsWith(iam.send(new DetachRolePolicyCommand({ RoleName: 'busy', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' })), 'NoSuchEntityException', 404);
    await iam.send(new DeleteRoleCommand({ RoleName: 'busy' }));
    await rejectsWith(iam.send(new GetRoleCommand({ RoleName: 'busy' })), 'NoSuchEntityException', 404);
  });

  test('sets and removes a role\'s permissions boundary, and refuses an unknown policy as one', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'bounded', AssumeRolePolicyDocument: trust(), PermissionsBoundary: 'arn:aws:iam::aws:policy/PowerUserAccess' }));
    assert.equal((await iam.send(new GetRoleCommand({ RoleName: 'bounded' }))).Role!.PermissionsBoundary?.PermissionsBoundaryArn, 'arn:aws:iam::aws:policy/PowerUserAccess');
    await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: 'bounded', PermissionsBoundary: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }));
    const got = (await iam.send(new GetRoleCommand({ RoleName: 'bounded' }))).Role!;
    assert.deepEqual(got.PermissionsBoundary, { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' });
    await rejectsWith(
      iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: 'bounded', PermissionsBoundary: 'arn:aws:iam::000000000000:policy/missing' })),
      'NoSuchEntityException',
      404,
    );
    await iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: 'bounded' }));
    assert.equal((await iam.send(new GetRoleCommand({ RoleName: 'bounded' }))).Role!.PermissionsBoundary, undefined);
  });

  test('creates a service-linked role under /aws-service-role/, protects it, and deletes it with a deletion task', async () => {
    const created = (await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'ecs.amazonaws.com' }))).Role!;
    assert.equal(created.RoleName, 'AWSServiceRoleForECS');
    assert.equal(created.Path, '/aws-service-role/ecs.amazonaws.com/');
    assert.equal(created.Arn, 'arn:aws:iam::000000000000:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS');
    assert.match(decodeURIComponent(created.AssumeRolePolicyDocument!), /"Service":"ecs.amazonaws.com"/);
    await rejectsWith(iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'ecs.amazonaws.com' })), 'InvalidInputException', 400, /has been taken/);
    await rejectsWith(iam.send(new DeleteRoleCommand({ RoleName: 'AWSServiceRoleForECS' })), 'UnmodifiableEntityException', 400, /protected role/);
    await rejectsWith(
      iam.send(new PutRolePolicyCommand({ RoleName: 'AWSServiceRoleForECS', PolicyName: 'x', PolicyDocument: allow('s3:*') })),
      'UnmodifiableEntityException',
      400,
    );
    const custom = (await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'elasticloadbalancing.amazonaws.com', CustomSuffix: 'mine' }))).Role!;
    assert.equal(custom.RoleName, 'AWSServiceRoleForElasticLoadBalancing_mine');
    const task = await iam.send(new DeleteServiceLinkedRoleCommand({ RoleName: 'AWSServiceRoleForECS' }));
    assert.match(task.DeletionTaskId!, /^task\/aws-service-role\/ecs\.amazonaws\.com\/AWSServiceRoleForECS\/[0-9a-f-]{36}$/);
    assert.equal((await iam.send(new GetServiceLinkedRoleDeletionStatusCommand({ DeletionTaskId: task.DeletionTaskId! }))).Status, 'SUCCEEDED');
    await rejectsWith(iam.send(new GetRoleCommand({ RoleName: 'AWSServiceRoleForECS' })), 'NoSuchEntityException', 404);
  });
});
