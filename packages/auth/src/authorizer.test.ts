import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { CallerIdentity } from '@atoll/core';
import { accessDeniedError, authorize } from './authorizer.js';
import { globalConditionKeys } from './policy-context.js';
import type { PolicyDocument } from './policy-document.js';

const alice: CallerIdentity = { type: 'IAMUser', accountId: '000000000000', arn: 'arn:aws:iam::000000000000:user/alice', principalId: 'AIDAALICE', userName: 'alice' };
const root: CallerIdentity = { type: 'Root', accountId: '000000000000', arn: 'arn:aws:iam::000000000000:root', principalId: '000000000000' };
const stranger: CallerIdentity = { type: 'IAMUser', accountId: '111111111111', arn: 'arn:aws:iam::111111111111:user/bob', principalId: 'AIDABOB', userName: 'bob' };
const QUEUE = 'arn:aws:sqs:us-east-1:000000000000:orders';
const allowSend: PolicyDocument = { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: QUEUE } };
const denySend: PolicyDocument = { Version: '2012-10-17', Statement: { Effect: 'Deny', Action: 'sqs:*', Resource: '*' } };
const queuePolicy = (principal: string): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: { Effect: 'Allow', Principal: { AWS: principal }, Action: 'sqs:SendMessage', Resource: QUEUE },
});

describe('authorize', () => {
  test('lets the account root act in its own account without policies', () => {
    assert.equal(authorize({ identity: root, action: 'sqs:SendMessage', resource: QUEUE, identityPolicies: [] }).decision, 'Allow');
  });

  test('allows a user through an identity policy or, in the same account, through the resource policy', () => {
    assert.equal(authorize({ identity: alice, action: 'sqs:SendMessage', resource: QUEUE, identityPolicies: [allowSend] }).decision, 'Allow');
    const viaResource = authorize({ identity: alice, action: 'sqs:SendMessage', resource: QUEUE, identityPolicies: [], resourcePolicies: [queuePolicy(alice.arn)] });
    assert.deepEqual(viaResource, { decision: 'Allow', source: 'resource' });
    assert.equal(authorize({ identity: alice, action: 'sqs:SendMessage', resource: QUEUE, identityPolicies: [] }).decision, 'ImplicitDeny');
  });

  test('requires both policies to allow across accounts', () => {
    const crossAllow: PolicyDocument = { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'sqs:*', Resource: '*' } };
    assert.equal(authorize({ identity: stranger, action: 'sqs:SendMessage', resource: QUEUE, identityPolicies: [crossAllow] }).decision, 'ImplicitDeny');
    assert.equal(
      authorize({ identity: stranger, action: 'sqs:SendMessage', resource: QUEUE, identityPolicies: [crossAllow], resourcePolicies: [queuePolicy('111111111111')] }).decision,
      'Allow',
    );
  });

  test('treats AWS managed policies (account `aws`) as no other account\'s: an identity policy suffices', () => {
    const getPolicy: PolicyDocument = { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'iam:GetPolicy', Resource: '*' } };
    const managed = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
    assert.equal(authorize({ identity: alice, action: 'iam:GetPolicy', resource: managed, identityPolicies: [getPolicy] }).decision, 'Allow');
    assert.equal(authorize({ identity: alice, action: 'iam:GetPolicy', resource: managed, identityPolicies: [] }).decision, 'ImplicitDeny');
    // An account id merely starting with letters a, w, s is still another account.
    assert.equal(authorize({ identity: alice, action: 'iam:GetPolicy', resource: 'arn:aws:iam::awsx:policy/p', identityPolicies: [getPolicy] }).decision, 'ImplicitDeny');
  });

  test('lets an explicit deny in either policy win', () => {
    assert.deepEqual(authorize({ identity: alice, action: 'sqs:SendMessage', resource: QUEUE, identityPolicies: [allowSend, denySend] }), {
      decision: 'ExplicitDeny',
      source: 'identity',
    });
    assert.deepEqual(authorize({ identity: root, action: 'sqs:SendMessage', resource: QUEUE, identityPolicies: [], resourcePolicies: [denySend] }), {
      decision: 'ExplicitDeny',
      source: 'resource',
    });
  });
});

describe('accessDeniedError', () => {
  test('names the user, action and resource as AWS does, in each dialect', () => {
    const request = { identity: alice, action: 'sqs:SendMessage', resource: QUEUE };
    const implicit = accessDeniedError('query', request, { decision: 'ImplicitDeny', source: 'identity' });
    assert.equal(implicit.name, 'AccessDenied');
    assert.equal(implicit.status, 403);
    assert.equal(
      implicit.message,
      'User: arn:aws:iam::000000000000:user/alice is not authorized to perform: sqs:SendMessage on resource: arn:aws:sqs:us-east-1:000000000000:orders because no identity-based policy allows the sqs:SendMessage action',
    );
    const explicit = accessDeniedError('json', request, { decision: 'ExplicitDeny', source: 'identity' });
    assert.equal(explicit.name, 'AccessDeniedException');
    assert.equal(explicit.status, 400);
    assert.match(explicit.message, /with an explicit deny in an identity-based policy$/);
    assert.equal(accessDeniedError('s3', request, { decision: 'ImplicitDeny', source: 'identity' }).message, 'Access Denied');
  });
});

describe('globalConditionKeys', () => {
  test('describes the caller, the source address and the time', () => {
    const keys = globalConditionKeys({ identity: alice, sourceIp: '::ffff:127.0.0.1', now: new Date('2024-01-01T00:00:00.123Z'), region: 'eu-west-1' });
    assert.equal(keys['aws:username'], 'alice');
    assert.equal(keys['aws:PrincipalType'], 'User');
    assert.equal(keys['aws:SourceIp'], '127.0.0.1');
    assert.equal(keys['aws:CurrentTime'], '2024-01-01T00:00:00Z');
    assert.equal(keys['aws:EpochTime'], '1704067200');
    assert.equal(keys['aws:RequestedRegion'], 'eu-west-1');
    assert.equal(keys['aws:SecureTransport'], 'false');
  });
});
