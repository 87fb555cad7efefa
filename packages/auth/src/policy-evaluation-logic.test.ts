// The IAM evaluation rules, each with the AWS documentation it follows (IAM User Guide sections).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { CallerIdentity } from '@atoll/core';
import { accessDeniedMessage, authorize, type AuthorizeRequest } from './authorizer.js';
import { compilePolicy } from './policy-compiler.js';
import { ConditionContext, globalConditionKeys } from './policy-context.js';
import { evaluatePolicies } from './policy-evaluator.js';
import { statementPositions } from './policy-positions.js';

const ACCOUNT = '111122223333';
const OTHER = '444455556666';
const QUEUE = `arn:aws:sqs:us-east-1:${ACCOUNT}:orders`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/app`;
const SESSION_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/app/worker`;

const alice: CallerIdentity = { type: 'IAMUser', accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/alice`, principalId: 'AIDAALICE', userName: 'alice' };
const session: CallerIdentity = {
  type: 'AssumedRole',
  accountId: ACCOUNT,
  arn: SESSION_ARN,
  principalId: 'AROAAPP:worker',
  session: { roleArn: ROLE_ARN, roleId: 'AROAAPP', roleName: 'app', sessionName: 'worker', issued: Date.parse('2024-05-01T10:00:00Z'), expires: Date.parse('2024-05-01T11:00:00Z') },
};
const root: CallerIdentity = { type: 'Root', accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, principalId: ACCOUNT };
const strangerRole: CallerIdentity = { ...session, accountId: OTHER, arn: `arn:aws:sts::${OTHER}:assumed-role/app/worker`, session: { ...session.session!, roleArn: `arn:aws:iam::${OTHER}:role/app` } };
const sns: CallerIdentity = { type: 'AWSService', accountId: ACCOUNT, arn: 'sns.amazonaws.com', principalId: 'sns.amazonaws.com', service: { principal: 'sns.amazonaws.com', sourceArn: `arn:aws:sns:us-east-1:${ACCOUNT}:topic` } };

const identity = (action: string, resource = '*', effect = 'Allow', extra: object = {}): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: effect, Action: action, Resource: resource, ...extra }] });
const resourcePolicy = (principal: unknown, effect = 'Allow', extra: object = {}): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: effect, Principal: principal, Action: 'sqs:SendMessage', Resource: QUEUE, ...extra }] });
const send = (who: CallerIdentity, extra: Partial<AuthorizeRequest> = {}): AuthorizeRequest => ({ identity: who, action: 'sqs:SendMessage', resource: QUEUE, identityPolicies: [], ...extra });
const decide = (request: AuthorizeRequest): string => {
  const r = authorize(request);
  return `${r.decision}:${r.source}`;
};

describe('policy evaluation logic (IAM User Guide: "Policy evaluation logic")', () => {
  test('an explicit deny in any policy overrides every allow ("Explicit deny" step)', () => {
    assert.equal(decide(send(alice, { identityPolicies: [identity('sqs:*'), identity('sqs:Send*', '*', 'Deny')] })), 'ExplicitDeny:identity');
    assert.equal(decide(send(alice, { identityPolicies: [identity('sqs:*')], resourcePolicies: [resourcePolicy('*', 'Deny')] })), 'ExplicitDeny:resource');
    assert.equal(decide(send(alice, { identityPolicies: [identity('*')], boundary: identity('sqs:SendMessage', '*', 'Deny') })), 'ExplicitDeny:boundary');
    assert.equal(decide(send(session, { identityPolicies: [identity('*')], sessionPolicies: [identity('*', '*', 'Deny')] })), 'ExplicitDeny:session');
  });

  test('same account: an identity policy or a resource policy naming the principal allows ("Identity-based and resource-based policies")', () => {
    assert.equal(decide(send(alice, { identityPolicies: [identity('sqs:SendMessage', QUEUE)] })), 'Allow:identity');
    assert.equal(decide(send(alice, { resourcePolicies: [resourcePolicy({ AWS: alice.arn })] })), 'Allow:resource');
    assert.equal(decide(send(alice, { resourcePolicies: [resourcePolicy('*')] })), 'Allow:resource');
    assert.equal(decide(send(alice)), 'ImplicitDeny:identity');
  });

  test('same account: a resource policy naming only the account delegates to identity policies (it does not allow by itself)', () => {
    for (const principal of [{ AWS: ACCOUNT }, { AWS: `arn:aws:iam::${ACCOUNT}:root` }]) {
      assert.equal(decide(send(alice, { resourcePolicies: [resourcePolicy(principal)] })), 'ImplicitDeny:identity');
      assert.equal(decide(send(alice, { resourcePolicies: [resourcePolicy(principal)], identityPolicies: [identity('sqs:*')] })), 'Allow:identity');
    }
  });

  test('a permissions boundary must also allow, except for a resource policy naming the user ("Permissions boundaries for IAM entities")', () => {
    const boundary = identity('s3:*');
    assert.equal(decide(send(alice, { identityPolicies: [identity('sqs:*')], boundary })), 'ImplicitDeny:boundary');
    assert.equal(decide(send(alice, { identityPolicies: [identity('sqs:*')], boundary: identity('sqs:Send*') })), 'Allow:identity');
    // "Resource-based policies that grant permissions to an IAM user ARN are not limited by an implicit deny in a permissions boundary."
    assert.equal(decide(send(alice, { resourcePolicies: [resourcePolicy({ AWS: alice.arn })], boundary })), 'Allow:resource');
  });

  test('role sessions: naming the session ARN is not limited by the boundary or session policies; naming the role ARN is ("Session policies")', () => {
    const limits = { boundary: identity('s3:*'), sessionPolicies: [identity('s3:*')] };
    assert.equal(decide(send(session, { resourcePolicies: [resourcePolicy({ AWS: SESSION_ARN })], ...limits })), 'Allow:resource');
    assert.equal(decide(send(session, { resourcePolicies: [resourcePolicy({ AWS: ROLE_ARN })], ...limits })), 'ImplicitDeny:boundary');
    assert.equal(decide(send(session, { resourcePolicies: [resourcePolicy({ AWS: ROLE_ARN })], sessionPolicies: [identity('s3:*')] })), 'ImplicitDeny:session');
    assert.equal(decide(send(session, { resourcePolicies: [resourcePolicy({ AWS: ROLE_ARN })], sessionPolicies: [identity('sqs:*')] })), 'Allow:resource');
    assert.equal(decide(send(session, { resourcePolicies: [resourcePolicy({ AWS: ROLE_ARN })] })), 'Allow:resource');
  });

  test('session policies narrow a role session: both the role policies and the session policy must allow', () => {
    assert.equal(decide(send(session, { identityPolicies: [identity('sqs:*')], sessionPolicies: [identity('s3:*')] })), 'ImplicitDeny:session');
    assert.equal(decide(send(session, { identityPolicies: [identity('sqs:*')], sessionPolicies: [identity('sqs:SendMessage', QUEUE)] })), 'Allow:identity');
    assert.equal(decide(send(session, { identityPolicies: [identity('s3:*')], sessionPolicies: [identity('sqs:*')] })), 'ImplicitDeny:identity');
  });

  test('cross account: the identity side and the resource policy must both allow ("Cross-account policy evaluation logic")', () => {
    assert.equal(decide(send(strangerRole, { identityPolicies: [identity('sqs:*')] })), 'ImplicitDeny:resource');
    assert.equal(decide(send(strangerRole, { resourcePolicies: [resourcePolicy({ AWS: OTHER })] })), 'ImplicitDeny:identity');
    assert.equal(decide(send(strangerRole, { identityPolicies: [identity('sqs:*')], resourcePolicies: [resourcePolicy({ AWS: OTHER })] })), 'Allow:identity');
    assert.equal(decide(send(strangerRole, { identityPolicies: [identity('sqs:*')], resourcePolicies: [resourcePolicy({ AWS: `arn:aws:iam::${OTHER}:role/app` })] })), 'Allow:identity');
    assert.equal(decide(send(strangerRole, { identityPolicies: [identity('sqs:*')], boundary: identity('s3:*'), resourcePolicies: [resourcePolicy({ AWS: OTHER })] })), 'ImplicitDeny:boundary');
  });

  test('the account root acts freely in its account unless a resource policy denies it', () => {
    assert.equal(decide(send(root)), 'Allow:root');
    assert.equal(decide(send(root, { resourcePolicies: [resourcePolicy('*', 'Deny')] })), 'ExplicitDeny:resource');
  });

  test('a service principal is allowed only by a resource policy naming it, with aws:SourceArn ("AWS service principals")', () => {
    const bySource = (arn: string): string =>
      resourcePolicy({ Service: 'sns.amazonaws.com' }, 'Allow', { Condition: { ArnEquals: { 'aws:SourceArn': arn } } });
    const context = globalConditionKeys({ identity: sns });
    assert.equal(decide(send(sns, { context })), 'ImplicitDeny:resource');
    assert.equal(decide(send(sns, { context, identityPolicies: [identity('*')] })), 'ImplicitDeny:resource');
    assert.equal(decide(send(sns, { context, resourcePolicies: [bySource(sns.service!.sourceArn!)] })), 'Allow:resource');
    assert.equal(decide(send(sns, { context, resourcePolicies: [bySource(`arn:aws:sns:us-east-1:${ACCOUNT}:other`)] })), 'ImplicitDeny:resource');
    assert.equal(decide(send(sns, { context, resourcePolicies: [resourcePolicy({ Service: 's3.amazonaws.com' })] })), 'ImplicitDeny:resource');
    const byAccount = resourcePolicy('*', 'Allow', { Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } } });
    assert.equal(decide(send(sns, { context, resourcePolicies: [byAccount] })), 'Allow:resource');
  });

  test('NotPrincipal exempts a caller only when it and its account are listed ("NotPrincipal")', () => {
    const denyOthers = (list: string[]): string => resourcePolicy(undefined, 'Deny', { Principal: undefined, NotPrincipal: { AWS: list } });
    const allowAll = identity('sqs:*');
    assert.equal(decide(send(alice, { identityPolicies: [allowAll], resourcePolicies: [denyOthers([alice.arn, ACCOUNT])] })), 'Allow:identity');
    assert.equal(decide(send(alice, { identityPolicies: [allowAll], resourcePolicies: [denyOthers([alice.arn])] })), 'ExplicitDeny:resource');
    assert.equal(decide(send(session, { identityPolicies: [allowAll], resourcePolicies: [denyOthers([ROLE_ARN, `arn:aws:iam::${ACCOUNT}:root`])] })), 'Allow:identity');
  });
});

describe('policy variables and global keys (IAM User Guide: "IAM policy elements: Variables and tags")', () => {
  const bucketPolicy = (resource: string, version = '2012-10-17'): string =>
    JSON.stringify({ Version: version, Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: resource }] });

  test('substitutes aws:username, aws:PrincipalTag/…, aws:userid and defaults; Version 2008-10-17 takes them literally', () => {
    const tagged = { ...session, session: { ...session.session!, tags: { team: 'blue' } } };
    const ctx = (who: CallerIdentity): Record<string, string> => globalConditionKeys({ identity: who });
    const get = (who: CallerIdentity, policy: string, key: string): string =>
      evaluatePolicies({ action: 's3:GetObject', resource: `arn:aws:s3:::bucket/${key}`, context: ctx(who) }, [policy]);
    assert.equal(get(alice, bucketPolicy('arn:aws:s3:::bucket/${aws:username}/*'), 'alice/a.txt'), 'Allow');
    assert.equal(get(alice, bucketPolicy('arn:aws:s3:::bucket/${aws:username}/*'), 'bob/a.txt'), 'ImplicitDeny');
    assert.equal(get(tagged, bucketPolicy('arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*'), 'blue/x'), 'Allow');
    assert.equal(get(session, bucketPolicy('arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*'), 'blue/x'), 'ImplicitDeny');
    assert.equal(get(session, bucketPolicy("arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'shared'}/*"), 'shared/x'), 'Allow');
    assert.equal(get(session, bucketPolicy('arn:aws:s3:::bucket/${aws:userid}/*'), 'AROAAPP:worker/x'), 'Allow');
    assert.equal(get(alice, bucketPolicy('arn:aws:s3:::bucket/${aws:username}/*', '2008-10-17'), 'alice/x'), 'ImplicitDeny');
    assert.equal(get(alice, bucketPolicy('arn:aws:s3:::bucket/${aws:username}/*', '2008-10-17'), '${aws:username}/x'), 'Allow');
  });

  test('fills session, service and tag keys: TokenIssueTime, MultiFactorAuthPresent, SourceIdentity, FederatedProvider, PrincipalIsAWSService', () => {
    const web: CallerIdentity = {
      ...session,
      session: { ...session.session!, mfa: true, sourceIdentity: 'alice', webIdentity: { provider: `arn:aws:iam::${ACCOUNT}:oidc-provider/idp.example.com`, subject: 's' } },
    };
    const keys = globalConditionKeys({ identity: web, principalTags: { team: 'red', env: 'prod' }, now: new Date('2024-05-01T10:10:00Z') });
    assert.equal(keys['aws:PrincipalArn'], ROLE_ARN);
    assert.equal(keys['aws:TokenIssueTime'], '2024-05-01T10:00:00Z');
    assert.equal(keys['aws:MultiFactorAuthPresent'], 'true');
    assert.equal(keys['aws:MultiFactorAuthAge'], '600');
    assert.equal(keys['aws:SourceIdentity'], 'alice');
    assert.equal(keys['aws:FederatedProvider'], `arn:aws:iam::${ACCOUNT}:oidc-provider/idp.example.com`);
    assert.equal(keys['aws:PrincipalIsAWSService'], 'false');
    assert.equal(keys['aws:PrincipalTag/team'], 'red');
    assert.equal(keys['aws:PrincipalType'], 'AssumedRole');
    const user = globalConditionKeys({ identity: alice });
    assert.equal(user['aws:MultiFactorAuthPresent'], undefined, 'absent for long-term keys');
    assert.equal(user['aws:TokenIssueTime'], undefined);
    const service = globalConditionKeys({ identity: sns });
    assert.equal(service['aws:PrincipalIsAWSService'], 'true');
    assert.equal(service['aws:SourceArn'], sns.service!.sourceArn);
    assert.equal(service['aws:SourceAccount'], ACCOUNT);
  });

  test('a Null condition on aws:TokenIssueTime tells temporary from long-term credentials', () => {
    const onlyTemporary = identity('sqs:*', '*', 'Allow', { Condition: { Null: { 'aws:TokenIssueTime': 'false' } } });
    assert.equal(decide(send(session, { identityPolicies: [onlyTemporary], context: globalConditionKeys({ identity: session }) })), 'Allow:identity');
    assert.equal(decide(send(alice, { identityPolicies: [onlyTemporary], context: globalConditionKeys({ identity: alice }) })), 'ImplicitDeny:identity');
  });

  test('a multi-valued key without a set operator matches when any value matches (positive) or none does (negated)', () => {
    const request = (op: string): string =>
      evaluatePolicies({ action: 'sqs:TagQueue', resource: QUEUE, context: { 'aws:TagKeys': ['a', 'b'] } }, [identity('sqs:*', '*', 'Allow', { Condition: { [op]: { 'aws:TagKeys': 'a' } } })]);
    assert.equal(request('StringEquals'), 'Allow');
    assert.equal(request('StringNotEquals'), 'ImplicitDeny');
    assert.equal(request('ForAllValues:StringEquals'), 'ImplicitDeny');
    assert.equal(request('ForAnyValue:StringNotEquals'), 'Allow');
  });

  test('resolves context keys on first read, once each, and lets service keys override global ones', () => {
    let built = 0;
    const context = new ConditionContext((key) => {
      built++;
      return key === 'aws:username' ? ['alice'] : undefined;
    });
    assert.equal(evaluatePolicies({ action: 'sqs:SendMessage', resource: QUEUE, context }, [identity('sqs:*')]), 'Allow');
    assert.equal(built, 0);
    const extended = context.with({ 'sqs:x': 'y' });
    assert.deepEqual(extended.get('aws:username'), ['alice']);
    assert.deepEqual(extended.get('sqs:x'), ['y']);
    assert.deepEqual(context.get('aws:username'), ['alice']);
    assert.equal(built, 1);
    const request = ConditionContext.forRequest({ identity: alice, sourceIp: '::ffff:10.0.0.1', region: 'eu-west-1' }, { 'aws:RequestedRegion': 'us-east-1' });
    assert.deepEqual(request.get('aws:sourceip'), ['10.0.0.1']);
    assert.deepEqual(request.get('aws:requestedregion'), ['us-east-1']);
    assert.deepEqual(request.get('aws:principalarn'), [alice.arn]);
    assert.equal(request.get('aws:tokenissuetime'), undefined);
  });
});

describe('AccessDenied messages (as AWS words them)', () => {
  test('name the missing or denying policy type', () => {
    const base = { identity: session, action: 'sqs:SendMessage', resource: QUEUE };
    const prefix = `User: ${SESSION_ARN} is not authorized to perform: sqs:SendMessage on resource: ${QUEUE}`;
    assert.equal(accessDeniedMessage(base, { decision: 'ImplicitDeny', source: 'identity' }), `${prefix} because no identity-based policy allows the sqs:SendMessage action`);
    assert.equal(accessDeniedMessage(base, { decision: 'ImplicitDeny', source: 'boundary' }), `${prefix} because no permissions boundary allows the sqs:SendMessage action`);
    assert.equal(accessDeniedMessage(base, { decision: 'ImplicitDeny', source: 'session' }), `${prefix} because no session policy allows the sqs:SendMessage action`);
    assert.equal(accessDeniedMessage(base, { decision: 'ExplicitDeny', source: 'resource' }), `${prefix} with an explicit deny in a resource-based policy`);
    assert.equal(accessDeniedMessage(base, { decision: 'ExplicitDeny', source: 'identity' }), `${prefix} with an explicit deny in an identity-based policy`);
  });
});

describe('compiled policies and statement positions', () => {
  test('compiles a text once and reuses it; a text that does not parse grants nothing', () => {
    const text = identity('sqs:*');
    assert.equal(compilePolicy(text), compilePolicy(text));
    assert.equal(compilePolicy('{nope').invalid, true);
    assert.equal(evaluatePolicies({ action: 'sqs:SendMessage', resource: QUEUE }, ['{nope']), 'ImplicitDeny');
  });

  test('finds each statement\'s start and end line and column', () => {
    const text = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},\n    {"Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"}\n  ]\n}';
    const positions = statementPositions(text);
    assert.equal(positions.length, 2);
    assert.deepEqual(positions[0], { start: { Line: 4, Column: 5 }, end: { Line: 4, Column: 59 } });
    assert.deepEqual(positions[1]!.start, { Line: 5, Column: 5 });
    const single = statementPositions('{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}');
    assert.deepEqual(single, [{ start: { Line: 1, Column: 14 }, end: { Line: 1, Column: 60 } }]);
  });
});
