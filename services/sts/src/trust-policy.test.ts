import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { delegatedTrustPolicy, evaluateTrust, parseTrustPolicy, type TrustPrincipal } from './trust-policy.js';

const ROLE = 'arn:aws:iam::111111111111:role/team/app';
const trust = (statements: object[]) => parseTrustPolicy(JSON.stringify({ Version: '2012-10-17', Statement: statements }));
const decide = (doc: ReturnType<typeof trust>, principal: TrustPrincipal, context: Record<string, string | string[]> = {}, action = 'sts:AssumeRole') =>
  evaluateTrust(doc, { action, roleArn: ROLE, principal, context });

const alice: TrustPrincipal = { arn: 'arn:aws:iam::111111111111:user/alice', accountId: '111111111111' };
const bob: TrustPrincipal = { arn: 'arn:aws:iam::111111111111:user/bob', accountId: '111111111111' };

describe('trust policies', () => {
  it('trusts a named user and not another user of the account', () => {
    const doc = trust([{ Effect: 'Allow', Principal: { AWS: alice.arn }, Action: 'sts:AssumeRole' }]);
    assert.equal(decide(doc, alice), 'Allow');
    assert.equal(decide(doc, bob), 'ImplicitDeny');
  });

  it('trusts every principal of an account named by id or root ARN, and no other account', () => {
    for (const entry of ['111111111111', 'arn:aws:iam::111111111111:root']) {
      const doc = trust([{ Effect: 'Allow', Principal: { AWS: entry }, Action: 'sts:AssumeRole' }]);
      assert.equal(decide(doc, bob), 'Allow');
      assert.equal(decide(doc, { arn: 'arn:aws:iam::222222222222:user/eve', accountId: '222222222222' }), 'ImplicitDeny');
    }
  });

  it('trusts the sessions of a named role (role chaining), its path ignored', () => {
    const doc = trust([{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:role/builder' }, Action: 'sts:AssumeRole' }]);
    const session = { arn: 'arn:aws:sts::111111111111:assumed-role/builder/s', accountId: '111111111111', roleArn: 'arn:aws:iam::111111111111:role/ci/builder' };
    assert.equal(decide(doc, session), 'Allow');
    assert.equal(decide(doc, { ...session, roleArn: 'arn:aws:iam::111111111111:role/other' }), 'ImplicitDeny');
  });

  it('trusts a service principal, with aws:SourceArn conditions', () => {
    const doc = trust([
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:lambda:*:111111111111:function:*' } } },
    ]);
    assert.equal(decide(doc, { service: 'lambda.amazonaws.com' }, { 'aws:SourceArn': 'arn:aws:lambda:us-east-1:111111111111:function:f' }), 'Allow');
    assert.equal(decide(doc, { service: 'lambda.amazonaws.com' }, { 'aws:SourceArn': 'arn:aws:lambda:us-east-1:222222222222:function:f' }), 'ImplicitDeny');
    assert.equal(decide(doc, { service: 'ecs-tasks.amazonaws.com' }), 'ImplicitDeny');
  });

  it('requires the external id its condition names', () => {
    const doc = trust([{ Effect: 'Allow', Principal: { AWS: '111111111111' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'xyz' } } }]);
    assert.equal(decide(doc, alice, { 'sts:ExternalId': 'xyz' }), 'Allow');
    assert.equal(decide(doc, alice, { 'sts:ExternalId': 'abc' }), 'ImplicitDeny');
    assert.equal(decide(doc, alice), 'ImplicitDeny');
  });

  it('matches a federated OIDC provider with its aud and sub conditions', () => {
    const provider = 'arn:aws:iam::111111111111:oidc-provider/idp.example.com';
    const doc = trust([
      { Effect: 'Allow', Principal: { Federated: provider }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringEquals: { 'idp.example.com:aud': 'client-1' }, StringLike: { 'idp.example.com:sub': 'repo:org/*' } } },
    ]);
    const context = { 'idp.example.com:aud': 'client-1', 'idp.example.com:sub': 'repo:org/app' };
    assert.equal(decide(doc, { federated: provider }, context, 'sts:AssumeRoleWithWebIdentity'), 'Allow');
    assert.equal(decide(doc, { federated: provider }, { ...context, 'idp.example.com:sub': 'repo:evil/app' }, 'sts:AssumeRoleWithWebIdentity'), 'ImplicitDeny');
    assert.equal(decide(doc, { federated: provider }, context, 'sts:AssumeRole'), 'ImplicitDeny');
  });

  it('lets an explicit deny win, and trusts no one when the document does not parse', () => {
    const doc = trust([
      { Effect: 'Allow', Principal: { AWS: '111111111111' }, Action: 'sts:AssumeRole' },
      { Effect: 'Deny', Principal: { AWS: alice.arn }, Action: 'sts:*' },
    ]);
    assert.equal(decide(doc, alice), 'ExplicitDeny');
    assert.equal(decide(doc, bob), 'Allow');
    assert.equal(decide(parseTrustPolicy('{not json'), alice), 'ImplicitDeny');
  });

  it('gives the edge only the statements naming principals directly, without account-wide entries', () => {
    const text = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: ['111111111111', alice.arn] }, Action: 'sts:AssumeRole' },
        { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: 'sts:AssumeRole' },
        { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    });
    const delegated = JSON.parse(delegatedTrustPolicy(text)!);
    assert.deepEqual(delegated.Statement.map((s: { Principal: unknown }) => s.Principal), [{ AWS: [alice.arn] }, { Service: ['ecs-tasks.amazonaws.com'] }]);
    assert.equal(delegatedTrustPolicy(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '111111111111' }, Action: 'sts:AssumeRole' }] })), undefined);
  });
});
