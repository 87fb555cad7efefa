// The policy simulator answers from the edge's evaluator; principals' policies are read through
// IAM's public operations (here: the real IAM of a platform, through the SDK).
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import * as sdk from '@aws-sdk/client-iam';
import type { RequestContext } from '@atoll/core';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { simulateOperations } from './simulate-operations.js';

const ACCOUNT = '000000000000';
const BUCKET_OBJECT = 'arn:aws:s3:::reports/2024/a.csv';

describe('Simulate operations', () => {
  let p: TestPlatform;
  let client: sdk.IAMClient;
  let ops: ReturnType<typeof simulateOperations>;
  const ctx = { accountId: ACCOUNT, region: 'us-east-1' } as RequestContext;

  before(async () => {
    p = await startPlatform({ services: ['iam'] });
    client = p.client(sdk.IAMClient);
    ops = simulateOperations({
      invoke: async (operation, input) => {
        const Command = (sdk as unknown as Record<string, new (i: unknown) => sdk.ServiceInputTypes>)[`${operation}Command`]!;
        return client.send(new Command(input) as never);
      },
    });
  });
  after(() => p.stop());

  const readReports = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'Read', Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: ['arn:aws:s3:::reports', 'arn:aws:s3:::reports/*'] },
      { Sid: 'NoSecrets', Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::reports/secret/*' },
      { Sid: 'FromOffice', Effect: 'Allow', Action: 's3:PutObject', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } },
    ],
  });

  it('SimulateCustomPolicy: allowed, implicitDeny and explicitDeny with the deciding statements and their positions', async () => {
    const out = await ops.SimulateCustomPolicy(
      { PolicyInputList: [readReports], ActionNames: ['s3:GetObject', 's3:DeleteObject'], ResourceArns: [BUCKET_OBJECT, 'arn:aws:s3:::reports/secret/k'] },
      ctx,
    );
    const byKey = new Map(out.EvaluationResults!.map((r) => [`${r.EvalActionName} ${r.EvalResourceName}`, r]));
    assert.equal(out.EvaluationResults!.length, 4);
    const allowed = byKey.get(`s3:GetObject ${BUCKET_OBJECT}`)!;
    assert.equal(allowed.EvalDecision, 'allowed');
    assert.deepEqual(allowed.MatchedStatements, [{ SourcePolicyId: 'PolicyInputList.1', SourcePolicyType: 'none', StartPosition: { Line: 1, Column: 38 }, EndPosition: { Line: 1, Column: 172 } }]);
    assert.equal(byKey.get(`s3:DeleteObject ${BUCKET_OBJECT}`)!.EvalDecision, 'implicitDeny');
    assert.deepEqual(byKey.get(`s3:DeleteObject ${BUCKET_OBJECT}`)!.MatchedStatements, []);
    const denied = byKey.get('s3:GetObject arn:aws:s3:::reports/secret/k')!;
    assert.equal(denied.EvalDecision, 'explicitDeny');
    assert.equal(denied.MatchedStatements!.length, 1);
    assert.equal(denied.MatchedStatements![0]!.StartPosition!.Column, 173);
  });

  it('reports the condition keys it lacked, and decides with ContextEntries', async () => {
    const put = { PolicyInputList: [readReports], ActionNames: ['s3:PutObject'], ResourceArns: [BUCKET_OBJECT] };
    const missing = (await ops.SimulateCustomPolicy(put, ctx)).EvaluationResults![0]!;
    assert.equal(missing.EvalDecision, 'implicitDeny');
    assert.deepEqual(missing.MissingContextValues, ['aws:SourceIp']);
    const entries = (ip: string) => [{ ContextKeyName: 'aws:SourceIp', ContextKeyValues: [ip], ContextKeyType: 'ip' as const }];
    const inside = (await ops.SimulateCustomPolicy({ ...put, ContextEntries: entries('10.1.2.3') }, ctx)).EvaluationResults![0]!;
    assert.equal(inside.EvalDecision, 'allowed');
    assert.deepEqual(inside.MissingContextValues, []);
    const outside = (await ops.SimulateCustomPolicy({ ...put, ContextEntries: entries('192.168.1.1') }, ctx)).EvaluationResults![0]!;
    assert.equal(outside.EvalDecision, 'implicitDeny');
  });

  it('applies a permissions boundary and a resource policy naming the caller', async () => {
    const boundary = JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'sqs:*', Resource: '*' } });
    const out = (await ops.SimulateCustomPolicy({ PolicyInputList: [readReports], PermissionsBoundaryPolicyInputList: [boundary], ActionNames: ['s3:GetObject'], ResourceArns: [BUCKET_OBJECT] }, ctx))
      .EvaluationResults![0]!;
    assert.equal(out.EvalDecision, 'implicitDeny');
    assert.deepEqual(out.PermissionsBoundaryDecisionDetail, { AllowedByPermissionsBoundary: false });
    const caller = `arn:aws:iam::${ACCOUNT}:user/carol`;
    const resourcePolicy = JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Principal: { AWS: caller }, Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::reports/*' } });
    const viaResource = (await ops.SimulateCustomPolicy({ PolicyInputList: [readReports], ActionNames: ['s3:DeleteObject'], ResourceArns: [BUCKET_OBJECT], ResourcePolicy: resourcePolicy, CallerArn: caller }, ctx))
      .EvaluationResults![0]!;
    assert.equal(viaResource.EvalDecision, 'allowed');
    assert.equal(viaResource.MatchedStatements![0]!.SourcePolicyType, 'resource');
  });

  it('refuses malformed input policies with InvalidInput', async () => {
    await assert.rejects(ops.SimulateCustomPolicy({ PolicyInputList: ['{"Statement": 1}'], ActionNames: ['s3:GetObject'] }, ctx), (e: Error) => e.name === 'InvalidInputException' || e.name === 'InvalidInput');
  });

  it('SimulatePrincipalPolicy: a user\'s inline, group and attached AWS managed policies, with paging', async () => {
    await client.send(new sdk.CreateUserCommand({ UserName: 'sim' }));
    await client.send(new sdk.PutUserPolicyCommand({ UserName: 'sim', PolicyName: 'reports', PolicyDocument: readReports }));
    await client.send(new sdk.CreateGroupCommand({ GroupName: 'queues' }));
    await client.send(new sdk.AddUserToGroupCommand({ GroupName: 'queues', UserName: 'sim' }));
    await client.send(new sdk.AttachGroupPolicyCommand({ GroupName: 'queues', PolicyArn: 'arn:aws:iam::aws:policy/AmazonSQSFullAccess' }));
    const input = { PolicySourceArn: `arn:aws:iam::${ACCOUNT}:user/sim`, ActionNames: ['s3:GetObject', 'sqs:SendMessage', 'dynamodb:GetItem'], ResourceArns: [BUCKET_OBJECT] };
    const out = await ops.SimulatePrincipalPolicy(input, ctx);
    const [s3, sqs, ddb] = out.EvaluationResults!;
    assert.equal(s3!.EvalDecision, 'allowed');
    assert.deepEqual([s3!.MatchedStatements![0]!.SourcePolicyId, s3!.MatchedStatements![0]!.SourcePolicyType], ['reports', 'user']);
    assert.equal(sqs!.EvalDecision, 'allowed');
    assert.deepEqual([sqs!.MatchedStatements![0]!.SourcePolicyId, sqs!.MatchedStatements![0]!.SourcePolicyType], ['AmazonSQSFullAccess', 'aws-managed']);
    assert.equal(ddb!.EvalDecision, 'implicitDeny');
    const first = await ops.SimulatePrincipalPolicy({ ...input, MaxItems: 2 }, ctx);
    assert.equal(first.EvaluationResults!.length, 2);
    assert.equal(first.IsTruncated, true);
    const second = await ops.SimulatePrincipalPolicy({ ...input, MaxItems: 2, Marker: first.Marker! }, ctx);
    assert.deepEqual(second.EvaluationResults!.map((r) => r.EvalActionName), ['dynamodb:GetItem']);
    assert.equal(second.IsTruncated, false);
  });

  it('SimulatePrincipalPolicy: a role limited by its permissions boundary; unknown entities are NoSuchEntity', async () => {
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' } });
    await client.send(new sdk.CreateRoleCommand({ RoleName: 'fn', AssumeRolePolicyDocument: trust, PermissionsBoundary: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess' }));
    await client.send(new sdk.AttachRolePolicyCommand({ RoleName: 'fn', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
    const out = await ops.SimulatePrincipalPolicy({ PolicySourceArn: `arn:aws:iam::${ACCOUNT}:role/fn`, ActionNames: ['s3:GetObject', 's3:PutObject'], ResourceArns: [BUCKET_OBJECT] }, ctx);
    assert.deepEqual(out.EvaluationResults!.map((r) => [r.EvalDecision, r.PermissionsBoundaryDecisionDetail?.AllowedByPermissionsBoundary]), [['allowed', true], ['implicitDeny', false]]);
    await assert.rejects(ops.SimulatePrincipalPolicy({ PolicySourceArn: `arn:aws:iam::${ACCOUNT}:user/nobody`, ActionNames: ['s3:GetObject'] }, ctx), (e: Error) => e.name === 'NoSuchEntityException' || e.name === 'NoSuchEntity');
  });
});
