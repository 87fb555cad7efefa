// Managed policies (versions, attachments, ListPolicies, ListEntitiesForPolicy), groups and their
// members, user boundaries and tags, OIDC providers, and what the edge lets a user do through them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AddClientIDToOpenIDConnectProviderCommand,
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateUserCommand,
  DeleteGroupCommand,
  DeleteOpenIDConnectProviderCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteUserCommand,
  DetachGroupPolicyCommand,
  DetachUserPolicyCommand,
  GetGroupCommand,
  GetOpenIDConnectProviderCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetUserCommand,
  IAMClient,
  ListAttachedGroupPoliciesCommand,
  ListEntitiesForPolicyCommand,
  ListGroupsForUserCommand,
  ListOpenIDConnectProvidersCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  ListUserTagsCommand,
  PutGroupPolicyCommand,
  PutUserPermissionsBoundaryCommand,
  RemoveClientIDFromOpenIDConnectProviderCommand,
  RemoveUserFromGroupCommand,
  SetDefaultPolicyVersionCommand,
  TagUserCommand,
  DeleteGroupPolicyCommand,
  UpdateOpenIDConnectProviderThumbprintCommand,
  DeleteUserPermissionsBoundaryCommand,
} from '@aws-sdk/client-iam';
import { CreateQueueCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

const rejectsWith = async (promise: Promise<unknown>, name: string, status: number, message?: RegExp) =>
  assert.rejects(promise, (e: any) => {
    assert.equal(e.name, name);
    assert.equal(e.$metadata.httpStatusCode, status);
    if (message) assert.match(e.message, message);
    return true;
  });

/** SQS words a refusal as AccessDenied (its HTTP status differs by protocol). */
const denied = async (promise: Promise<unknown>) =>
  assert.rejects(promise, (e: any) => {
    assert.match(e.name, /^AccessDenied/);
    return true;
  });

const doc = (effect: 'Allow' | 'Deny', action: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: effect, Action: action, Resource: '*' }] });

describe('IAM managed policies and groups', () => {
  let p: TestPlatform;
  let iam: IAMClient;
  before(async () => {
    p = await startPlatform({ services: ['iam', 'sts', 'sqs'] });
    iam = p.client(IAMClient);
  });
  after(() => p.stop());

  test('creates a policy, keeps at most five versions, switches the default and deletes it once only the default is left', async () => {
    const created = (await iam.send(new CreatePolicyCommand({ PolicyName: 'Versioned', Path: '/team/', PolicyDocument: doc('Allow', 's3:GetObject'), Description: 'd' }))).Policy!;
    assert.equal(created.Arn, 'arn:aws:iam::000000000000:policy/team/Versioned');
    assert.match(created.PolicyId!, /^ANPA/);
    assert.deepEqual([created.DefaultVersionId, created.AttachmentCount, created.IsAttachable], ['v1', 0, true]);
    const arn = created.Arn!;
    await rejectsWith(iam.send(new CreatePolicyCommand({ PolicyName: 'versioned', PolicyDocument: doc('Allow', 's3:*') })), 'EntityAlreadyExistsException', 409, /A policy called versioned already exists/);
    for (let i = 2; i <= 5; i++) await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc('Allow', `s3:Op${i}`), SetAsDefault: i === 4 }));
    await rejectsWith(iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc('Allow', 's3:*') })), 'LimitExceededException', 409, /up to 5 versions/);
    assert.equal((await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy!.DefaultVersionId, 'v4');
    const v4 = (await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v4' }))).PolicyVersion!;
    assert.equal(v4.IsDefaultVersion, true);
    assert.deepEqual(JSON.parse(decodeURIComponent(v4.Document!)), JSON.parse(doc('Allow', 's3:Op4')));
    const versions = (await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }))).Versions!;
    assert.deepEqual(versions.map((v) => [v.VersionId, v.IsDefaultVersion]), [['v5', false], ['v4', true], ['v3', false], ['v2', false], ['v1', false]]);
    await rejectsWith(iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v4' })), 'DeleteConflictException', 409, /default version/);
    await rejectsWith(iam.send(new DeletePolicyCommand({ PolicyArn: arn })), 'DeleteConflictException', 409, /more than one version/);
    await iam.send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }));
    for (const v of ['v2', 'v3', 'v4', 'v5']) await iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: v }));
    await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
    await rejectsWith(iam.send(new GetPolicyCommand({ PolicyArn: arn })), 'NoSuchEntityException', 404, /does not exist or is not attachable/);
    await rejectsWith(
      iam.send(new CreatePolicyCommand({ PolicyName: 'Big', PolicyDocument: doc('Allow', `s3:${'x'.repeat(6200)}`) })),
      'LimitExceededException',
      409,
      /PolicySize: 6144/,
    );
    await rejectsWith(
      iam.send(new CreatePolicyCommand({ PolicyName: 'Principal', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: '*' }] }) })),
      'MalformedPolicyDocumentException',
      400,
    );
  });

  test('lists local and AWS policies by scope, only attached ones, and the entities a policy is attached to', async () => {
    const arn = (await iam.send(new CreatePolicyCommand({ PolicyName: 'Listed', PolicyDocument: doc('Allow', 'sqs:*') }))).Policy!.Arn!;
    await iam.send(new CreateUserCommand({ UserName: 'lister' }));
    await iam.send(new CreateGroupCommand({ GroupName: 'listers' }));
    await iam.send(new AttachUserPolicyCommand({ UserName: 'lister', PolicyArn: arn }));
    await iam.send(new AttachGroupPolicyCommand({ GroupName: 'listers', PolicyArn: arn }));
    await iam.send(new AttachUserPolicyCommand({ UserName: 'lister', PolicyArn: arn }));
    const local = (await iam.send(new ListPoliciesCommand({ Scope: 'Local' }))).Policies!;
    assert.deepEqual(local.filter((x) => x.PolicyName === 'Listed').map((x) => x.AttachmentCount), [2]);
    const aws = await iam.send(new ListPoliciesCommand({ Scope: 'AWS', MaxItems: 5 }));
    assert.equal(aws.Policies!.length, 5);
    assert.ok(aws.Policies!.every((x) => x.Arn!.startsWith('arn:aws:iam::aws:policy/')));
    assert.equal(aws.IsTruncated, true);
    const next = await iam.send(new ListPoliciesCommand({ Scope: 'AWS', MaxItems: 5, Marker: aws.Marker }));
    assert.ok(next.Policies![0]!.Arn! > aws.Policies![4]!.Arn!);
    const attached = (await iam.send(new ListPoliciesCommand({ OnlyAttached: true }))).Policies!.map((x) => x.PolicyName);
    assert.ok(attached.includes('Listed'));
    assert.ok(!attached.includes('AdministratorAccess'));
    const entities = await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: arn }));
    assert.deepEqual(entities.PolicyUsers!.map((u) => u.UserName), ['lister']);
    assert.deepEqual(entities.PolicyGroups!.map((g) => g.GroupName), ['listers']);
    assert.deepEqual(entities.PolicyRoles, []);
    await rejectsWith(iam.send(new DeletePolicyCommand({ PolicyArn: arn })), 'DeleteConflictException', 409, /attached to entities/);
    await rejectsWith(iam.send(new DeleteUserCommand({ UserName: 'lister' })), 'DeleteConflictException', 409, /must detach all policies first/);
    await iam.send(new DetachUserPolicyCommand({ UserName: 'lister', PolicyArn: arn }));
    await iam.send(new DetachGroupPolicyCommand({ GroupName: 'listers', PolicyArn: arn }));
    await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
  });

  test('keeps group members and refuses to delete a group with members or policies', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'm1' }));
    const group = (await iam.send(new CreateGroupCommand({ GroupName: 'devs', Path: '/eng/' }))).Group!;
    assert.equal(group.Arn, 'arn:aws:iam::000000000000:group/eng/devs');
    assert.match(group.GroupId!, /^AGPA/);
    await rejectsWith(iam.send(new CreateGroupCommand({ GroupName: 'DEVS' })), 'EntityAlreadyExistsException', 409);
    await iam.send(new AddUserToGroupCommand({ GroupName: 'devs', UserName: 'm1' }));
    await rejectsWith(iam.send(new AddUserToGroupCommand({ GroupName: 'devs', UserName: 'ghost' })), 'NoSuchEntityException', 404, /user with name ghost/);
    await rejectsWith(iam.send(new AddUserToGroupCommand({ GroupName: 'ghosts', UserName: 'm1' })), 'NoSuchEntityException', 404, /group with name ghosts/);
    const got = await iam.send(new GetGroupCommand({ GroupName: 'devs' }));
    assert.deepEqual(got.Users!.map((u) => u.UserName), ['m1']);
    assert.deepEqual((await iam.send(new ListGroupsForUserCommand({ UserName: 'm1' }))).Groups!.map((g) => g.GroupName), ['devs']);
    await rejectsWith(iam.send(new DeleteUserCommand({ UserName: 'm1' })), 'DeleteConflictException', 409, /groups/);
    await rejectsWith(iam.send(new DeleteGroupCommand({ GroupName: 'devs' })), 'DeleteConflictException', 409, /must remove users from group first/);
    await iam.send(new RemoveUserFromGroupCommand({ GroupName: 'devs', UserName: 'm1' }));
    await iam.send(new PutGroupPolicyCommand({ GroupName: 'devs', PolicyName: 'g', PolicyDocument: doc('Allow', 's3:*') }));
    await rejectsWith(iam.send(new DeleteGroupCommand({ GroupName: 'devs' })), 'DeleteConflictException', 409, /must delete policies first/);
    await iam.send(new DeleteGroupPolicyCommand({ GroupName: 'devs', PolicyName: 'g' }));
    await iam.send(new DeleteGroupCommand({ GroupName: 'devs' }));
    await iam.send(new DeleteUserCommand({ UserName: 'm1' }));
  });

  test('a user may do what its group\'s attached managed policy allows, and a new default version takes effect at once', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'worker' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'worker' }))).AccessKey!;
    const sqs = p.client(SQSClient, { credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } });
    await denied(sqs.send(new ListQueuesCommand({})));
    const arn = (await iam.send(new CreatePolicyCommand({ PolicyName: 'QueueReader', PolicyDocument: doc('Allow', 'sqs:ListQueues') }))).Policy!.Arn!;
    await iam.send(new CreateGroupCommand({ GroupName: 'workers' }));
    await iam.send(new AttachGroupPolicyCommand({ GroupName: 'workers', PolicyArn: arn }));
    assert.deepEqual((await iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: 'workers' }))).AttachedPolicies, [{ PolicyName: 'QueueReader', PolicyArn: arn }]);
    await denied(sqs.send(new ListQueuesCommand({})));
    await iam.send(new AddUserToGroupCommand({ GroupName: 'workers', UserName: 'worker' }));
    await sqs.send(new ListQueuesCommand({}));
    await denied(sqs.send(new CreateQueueCommand({ QueueName: 'w' })));
    await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc('Allow', 'sqs:*'), SetAsDefault: true }));
    await sqs.send(new CreateQueueCommand({ QueueName: 'w' }));
    await iam.send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }));
    await denied(sqs.send(new CreateQueueCommand({ QueueName: 'w2' })));
    await iam.send(new RemoveUserFromGroupCommand({ GroupName: 'workers', UserName: 'worker' }));
    await denied(sqs.send(new ListQueuesCommand({})));
    await iam.send(new AttachUserPolicyCommand({ UserName: 'worker', PolicyArn: 'arn:aws:iam::aws:policy/AmazonSQSFullAccess' }));
    await sqs.send(new ListQueuesCommand({}));
  });

  test('sets a user\'s boundary and tags', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'bounded' }));
    await iam.send(new PutUserPermissionsBoundaryCommand({ UserName: 'bounded', PermissionsBoundary: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }));
    assert.equal((await iam.send(new GetUserCommand({ UserName: 'bounded' }))).User!.PermissionsBoundary?.PermissionsBoundaryArn, 'arn:aws:iam::aws:policy/ReadOnlyAccess');
    const entities = await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess', PolicyUsageFilter: 'PermissionsBoundary' }));
    assert.deepEqual(entities.PolicyUsers!.map((u) => u.UserName), ['bounded']);
    await iam.send(new DeleteUserPermissionsBoundaryCommand({ UserName: 'bounded' }));
    assert.equal((await iam.send(new GetUserCommand({ UserName: 'bounded' }))).User!.PermissionsBoundary, undefined);
    await iam.send(new TagUserCommand({ UserName: 'bounded', Tags: [{ Key: 'team', Value: 'x' }] }));
    assert.deepEqual((await iam.send(new ListUserTagsCommand({ UserName: 'bounded' }))).Tags, [{ Key: 'team', Value: 'x' }]);
  });

  test('registers OpenID Connect providers with client ids and thumbprints', async () => {
    const arn = (await iam.send(new CreateOpenIDConnectProviderCommand({ Url: 'https://issuer.example.com/realm/', ClientIDList: ['app'] }))).OpenIDConnectProviderArn!;
    assert.equal(arn, 'arn:aws:iam::000000000000:oidc-provider/issuer.example.com/realm');
    await rejectsWith(iam.send(new CreateOpenIDConnectProviderCommand({ Url: 'https://issuer.example.com/realm' })), 'EntityAlreadyExistsException', 409);
    await rejectsWith(iam.send(new CreateOpenIDConnectProviderCommand({ Url: 'http://issuer.example.com' })), 'InvalidInputException', 400);
    await iam.send(new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: 'sts.amazonaws.com' }));
    await iam.send(new RemoveClientIDFromOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: 'app' }));
    await iam.send(new UpdateOpenIDConnectProviderThumbprintCommand({ OpenIDConnectProviderArn: arn, ThumbprintList: ['a'.repeat(40)] }));
    const got = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    assert.equal(got.Url, 'issuer.example.com/realm');
    assert.deepEqual(got.ClientIDList, ['sts.amazonaws.com']);
    assert.deepEqual(got.ThumbprintList, ['a'.repeat(40)]);
    const local = (await iam.send(new CreateOpenIDConnectProviderCommand({ Url: 'http://127.0.0.1:9999/oidc', ClientIDList: ['x'] }))).OpenIDConnectProviderArn!;
    assert.equal((await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: local }))).Url, 'http://127.0.0.1:9999/oidc');
    assert.deepEqual((await iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList!.map((x) => x.Arn).sort(), [arn, local].sort());
    await iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    await rejectsWith(iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn })), 'NoSuchEntityException', 404, /OpenIDConnect Provider not found/);
  });
});
