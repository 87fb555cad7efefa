// AssumeRole called in-process by a service principal (Lambda assuming a function's execution role,
// ECS a task role): the trust policy is checked against the service and its source ARN.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { CallerIdentity, PlatformContext } from '@atoll/core';
import type { AssumeRoleResult } from '@atoll/aws-models/sts';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

const ACCOUNT = '000000000000';
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:fn`;

const servicePrincipal = (principal: string, sourceArn = FUNCTION_ARN): CallerIdentity => ({
  type: 'AWSService',
  accountId: ACCOUNT,
  arn: '',
  principalId: principal,
  service: { principal, sourceArn, sourceAccount: ACCOUNT },
});

describe('STS AssumeRole for service principals', () => {
  let p: TestPlatform;
  let platform: PlatformContext;
  const roleArn = `arn:aws:iam::${ACCOUNT}:role/fn-role`;

  before(async () => {
    p = await startPlatform({
      services: ['iam', 'sts'],
      extraProviders: [
        (context) => {
          platform = context;
          return { service: 'cloudtrail', operations: {} };
        },
      ],
    });
    await p.client(IAMClient).send(
      new CreateRoleCommand({
        RoleName: 'fn-role',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'lambda.amazonaws.com' },
              Action: 'sts:AssumeRole',
              Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:lambda:*:${ACCOUNT}:function:*` } },
            },
          ],
        }),
      }),
    );
  });
  after(() => p.stop());

  const assume = (identity: CallerIdentity) =>
    platform.call<AssumeRoleResult>('sts', 'AssumeRole', { RoleArn: roleArn, RoleSessionName: 'fn' }, { accountId: ACCOUNT, region: 'us-east-1', identity });

  test('lets the service the trust policy names assume the role for a matching source', async () => {
    const out = await assume(servicePrincipal('lambda.amazonaws.com'));
    const c = out.Credentials!;
    const me = await p.client(STSClient, { credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken } }).send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/fn-role/fn`);
  });

  test('refuses another service, and the named service for a source the condition excludes', async () => {
    const denied = (e: any) => {
      assert.equal(e.code, 'AccessDenied');
      assert.equal(e.status, 403);
      return true;
    };
    await assert.rejects(assume(servicePrincipal('ecs-tasks.amazonaws.com')), denied);
    await assert.rejects(assume(servicePrincipal('lambda.amazonaws.com', `arn:aws:sns:us-east-1:${ACCOUNT}:topic`)), denied);
  });
});
