import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePolicies, type PolicyRequest } from './policy-evaluator.js';
import type { PolicyDocument, PolicyStatement } from './policy-document.js';

const QUEUE = 'arn:aws:sqs:us-east-1:000000000000:orders';
const send: PolicyRequest = { action: 'sqs:SendMessage', resource: QUEUE };

function policy(...statements: PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

const allow = (extra: Partial<PolicyStatement> = {}): PolicyStatement => ({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: QUEUE, ...extra });
const deny = (extra: Partial<PolicyStatement> = {}): PolicyStatement => ({ Effect: 'Deny', Action: 'sqs:SendMessage', Resource: QUEUE, ...extra });

describe('evaluatePolicies: effects, actions and resources', () => {
  test('denies implicitly when no statement applies', () => {
    assert.equal(evaluatePolicies(send, []), 'ImplicitDeny');
    assert.equal(evaluatePolicies(send, [policy(allow({ Action: 'sqs:ReceiveMessage' }))]), 'ImplicitDeny');
  });

  test('allows when a statement matches action and resource', () => {
    assert.equal(evaluatePolicies(send, [policy(allow())]), 'Allow');
  });

  test('lets an explicit deny win over any allow, in any policy and order', () => {
    assert.equal(evaluatePolicies(send, [policy(allow()), policy(deny())]), 'ExplicitDeny');
    assert.equal(evaluatePolicies(send, [policy(deny(), allow())]), 'ExplicitDeny');
  });

  test('accepts Statement as an object and Action as a string or list', () => {
    assert.equal(evaluatePolicies(send, [{ Version: '2012-10-17', Statement: allow() }]), 'Allow');
    assert.equal(evaluatePolicies(send, [policy(allow({ Action: ['sqs:ReceiveMessage', 'sqs:SendMessage'] }))]), 'Allow');
  });

  test('matches actions case-insensitively with * and ? wildcards', () => {
    assert.equal(evaluatePolicies(send, [policy(allow({ Action: 'SQS:sendmessage' }))]), 'Allow');
    assert.equal(evaluatePolicies(send, [policy(allow({ Action: 'sqs:Send*' }))]), 'Allow');
    assert.equal(evaluatePolicies(send, [policy(allow({ Action: 'sqs:?endMessage' }))]), 'Allow');
    assert.equal(evaluatePolicies(send, [policy(allow({ Action: '*' }))]), 'Allow');
    assert.equal(evaluatePolicies(send, [policy(allow({ Action: 'sns:*' }))]), 'ImplicitDeny');
  });

  test('matches resources case-sensitively with wildcards in each ARN part', () => {
    assert.equal(evaluatePolicies(send, [policy(allow({ Resource: 'arn:aws:sqs:*:000000000000:ord*' }))]), 'Allow');
    assert.equal(evaluatePolicies(send, [policy(allow({ Resource: 'arn:aws:sqs:us-east-1:000000000000:Orders' }))]), 'ImplicitDeny');
    assert.equal(evaluatePolicies(send, [policy(allow({ Resource: 'arn:aws:sqs:us-east-?:*:orders' }))]), 'Allow');
    assert.equal(evaluatePolicies(send, [policy(allow({ Resource: '*' }))]), 'Allow');
    const object: PolicyRequest = { action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/photos/2024/a.jpg' };
    assert.equal(evaluatePolicies(object, [policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/photos/*' })]), 'Allow');
    assert.equal(evaluatePolicies(object, [policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/docs/*' })]), 'ImplicitDeny');
  });

  test('applies NotAction and NotResource as exclusions', () => {
    assert.equal(evaluatePolicies(send, [policy({ Effect: 'Allow', NotAction: 'sqs:DeleteQueue', Resource: '*' })]), 'Allow');
    assert.equal(evaluatePolicies(send, [policy({ Effect: 'Allow', NotAction: 'sqs:*', Resource: '*' })]), 'ImplicitDeny');
    assert.equal(evaluatePolicies(send, [policy({ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', Action: '*', NotResource: QUEUE })]), 'Allow');
    assert.equal(
      evaluatePolicies({ ...send, resource: 'arn:aws:sqs:us-east-1:000000000000:other' }, [
        policy({ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', Action: '*', NotResource: QUEUE }),
      ]),
      'ExplicitDeny',
    );
  });

  test('substitutes policy variables in resources, and does not match when a variable has no value', () => {
    const home: PolicyStatement = { Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::home/${aws:username}/*' };
    const request: PolicyRequest = { action: 's3:PutObject', resource: 'arn:aws:s3:::home/alice/notes.txt', context: { 'aws:username': 'alice' } };
    assert.equal(evaluatePolicies(request, [policy(home)]), 'Allow');
    assert.equal(evaluatePolicies({ ...request, context: { 'aws:username': 'bob' } }, [policy(home)]), 'ImplicitDeny');
    assert.equal(evaluatePolicies({ ...request, context: {} }, [policy(home)]), 'ImplicitDeny');
    const withDefault: PolicyStatement = { ...home, Resource: "arn:aws:s3:::home/${aws:username, 'alice'}/*" };
    assert.equal(evaluatePolicies({ ...request, context: {} }, [policy(withDefault)]), 'Allow');
  });

  test('matches resource policy principals by ARN, account and service', () => {
    const who = { arn: 'arn:aws:iam::111122223333:user/bob', accountId: '111122223333' };
    const resourcePolicy = (principal: PolicyStatement['Principal']): PolicyDocument => policy(allow({ Principal: principal }));
    assert.equal(evaluatePolicies({ ...send, principal: who }, [resourcePolicy('*')]), 'Allow');
    assert.equal(evaluatePolicies({ ...send, principal: who }, [resourcePolicy({ AWS: 'arn:aws:iam::111122223333:user/bob' })]), 'Allow');
    assert.equal(evaluatePolicies({ ...send, principal: who }, [resourcePolicy({ AWS: ['999999999999', 'arn:aws:iam::111122223333:root'] })]), 'Allow');
    assert.equal(evaluatePolicies({ ...send, principal: who }, [resourcePolicy({ AWS: '999999999999' })]), 'ImplicitDeny');
    assert.equal(evaluatePolicies({ ...send, principal: { service: 'sns.amazonaws.com' } }, [resourcePolicy({ Service: 'sns.amazonaws.com' })]), 'Allow');
  });
});

describe('evaluatePolicies: conditions', () => {
  const withCondition = (condition: PolicyStatement['Condition']): PolicyDocument[] => [policy(allow({ Condition: condition }))];
  const ctx = (context: Record<string, string | string[]>): PolicyRequest => ({ ...send, context });

  test('evaluates string operators, with key names matched case-insensitively', () => {
    assert.equal(evaluatePolicies(ctx({ 'aws:username': 'alice' }), withCondition({ StringEquals: { 'AWS:UserName': 'alice' } })), 'Allow');
    assert.equal(evaluatePolicies(ctx({ 'aws:username': 'Alice' }), withCondition({ StringEquals: { 'aws:username': 'alice' } })), 'ImplicitDeny');
    assert.equal(evaluatePolicies(ctx({ 'aws:username': 'Alice' }), withCondition({ StringEqualsIgnoreCase: { 'aws:username': 'alice' } })), 'Allow');
    assert.equal(evaluatePolicies(ctx({ 'aws:username': 'bob' }), withCondition({ StringNotEquals: { 'aws:username': ['alice', 'carol'] } })), 'Allow');
    assert.equal(evaluatePolicies(ctx({ 'aws:username': 'alice' }), withCondition({ StringNotEquals: { 'aws:username': ['alice', 'carol'] } })), 'ImplicitDeny');
    assert.equal(evaluatePolicies(ctx({ 's3:prefix': 'home/alice/x' }), withCondition({ StringLike: { 's3:prefix': ['home/*', 'tmp/*'] } })), 'Allow');
    assert.equal(evaluatePolicies(ctx({ 's3:prefix': 'etc/x' }), withCondition({ StringNotLike: { 's3:prefix': 'home/*' } })), 'Allow');
  });

  test('requires every operator and every key of a condition block', () => {
    const condition = { StringEquals: { 'aws:username': 'alice', 'aws:PrincipalAccount': '000000000000' }, Bool: { 'aws:SecureTransport': 'true' } };
    assert.equal(evaluatePolicies(ctx({ 'aws:username': 'alice', 'aws:PrincipalAccount': '000000000000', 'aws:SecureTransport': 'true' }), withCondition(condition)), 'Allow');
    assert.equal(evaluatePolicies(ctx({ 'aws:username': 'alice', 'aws:PrincipalAccount': '000000000000', 'aws:SecureTransport': 'false' }), withCondition(condition)), 'ImplicitDeny');
  });

  test('treats a missing key as no match, except for negated operators and IfExists', () => {
    assert.equal(evaluatePolicies(ctx({}), withCondition({ StringEquals: { 'aws:username': 'alice' } })), 'ImplicitDeny');
    assert.equal(evaluatePolicies(ctx({}), withCondition({ StringNotEquals: { 'aws:username': 'alice' } })), 'Allow');
    assert.equal(evaluatePolicies(ctx({}), withCondition({ StringEqualsIfExists: { 'aws:username': 'alice' } })), 'Allow');
    assert.equal(evaluatePolicies(ctx({ 'aws:username': 'bob' }), withCondition({ StringEqualsIfExists: { 'aws:username': 'alice' } })), 'ImplicitDeny');
  });

  test('evaluates numeric, date and boolean operators', () => {
    assert.equal(evaluatePolicies(ctx({ 's3:max-keys': '10' }), withCondition({ NumericLessThanEquals: { 's3:max-keys': '10' } })), 'Allow');
    assert.equal(evaluatePolicies(ctx({ 's3:max-keys': '11' }), withCondition({ NumericLessThan: { 's3:max-keys': 10 } })), 'ImplicitDeny');
    assert.equal(evaluatePolicies(ctx({ 's3:max-keys': 'many' }), withCondition({ NumericGreaterThan: { 's3:max-keys': '1' } })), 'ImplicitDeny');
    assert.equal(evaluatePolicies(ctx({ 'aws:CurrentTime': '2024-01-01T00:00:00Z' }), withCondition({ DateLessThan: { 'aws:CurrentTime': '2024-06-01T00:00:00Z' } })), 'Allow');
    assert.equal(evaluatePolicies(ctx({ 'aws:CurrentTime': '2024-07-01T00:00:00Z' }), withCondition({ DateLessThan: { 'aws:CurrentTime': '2024-06-01T00:00:00Z' } })), 'ImplicitDeny');
    assert.equal(evaluatePolicies(ctx({ 'aws:EpochTime': '1704067200' }), withCondition({ DateGreaterThan: { 'aws:EpochTime': '2023-12-31T00:00:00Z' } })), 'Allow');
    assert.equal(evaluatePolicies(ctx({ 'aws:SecureTransport': 'false' }), withCondition({ Bool: { 'aws:SecureTransport': false } })), 'Allow');
  });

  test('matches source addresses against IPv4 and IPv6 ranges', () => {
    assert.equal(evaluatePolicies(ctx({ 'aws:SourceIp': '203.0.113.7' }), withCondition({ IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } })), 'Allow');
    assert.equal(evaluatePolicies(ctx({ 'aws:SourceIp': '198.51.100.7' }), withCondition({ IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '10.0.0.1'] } })), 'ImplicitDeny');
    assert.equal(evaluatePolicies(ctx({ 'aws:SourceIp': '2001:db8::1' }), withCondition({ IpAddress: { 'aws:SourceIp': '2001:db8::/32' } })), 'Allow');
    assert.equal(evaluatePolicies(ctx({ 'aws:SourceIp': '198.51.100.7' }), withCondition({ NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } })), 'Allow');
  });

  test('matches ARNs part by part with ArnLike, ArnEquals and ArnNotLike', () => {
    const topic = 'arn:aws:sns:us-east-1:000000000000:events';
    assert.equal(evaluatePolicies(ctx({ 'aws:SourceArn': topic }), withCondition({ ArnLike: { 'aws:SourceArn': 'arn:aws:sns:*:000000000000:*' } })), 'Allow');
    assert.equal(evaluatePolicies(ctx({ 'aws:SourceArn': topic }), withCondition({ ArnEquals: { 'aws:SourceArn': topic } })), 'Allow');
    assert.equal(evaluatePolicies(ctx({ 'aws:SourceArn': topic }), withCondition({ ArnNotLike: { 'aws:SourceArn': 'arn:aws:sns:*:111111111111:*' } })), 'Allow');
    assert.equal(evaluatePolicies(ctx({ 'aws:SourceArn': topic }), withCondition({ ArnLike: { 'aws:SourceArn': 'arn:aws:sqs:*:*:*' } })), 'ImplicitDeny');
  });

  test('tests presence with Null', () => {
    assert.equal(evaluatePolicies(ctx({}), withCondition({ Null: { 'aws:TokenIssueTime': 'true' } })), 'Allow');
    assert.equal(evaluatePolicies(ctx({ 'aws:TokenIssueTime': '2024-01-01T00:00:00Z' }), withCondition({ Null: { 'aws:TokenIssueTime': 'true' } })), 'ImplicitDeny');
    assert.equal(evaluatePolicies(ctx({ 'aws:TokenIssueTime': '2024-01-01T00:00:00Z' }), withCondition({ Null: { 'aws:TokenIssueTime': 'false' } })), 'Allow');
  });

  test('applies ForAnyValue and ForAllValues to multi-valued keys', () => {
    const tags = ctx({ 'aws:TagKeys': ['env', 'team'] });
    assert.equal(evaluatePolicies(tags, withCondition({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['team'] } })), 'Allow');
    assert.equal(evaluatePolicies(tags, withCondition({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['owner'] } })), 'ImplicitDeny');
    assert.equal(evaluatePolicies(tags, withCondition({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env', 'team', 'owner'] } })), 'Allow');
    assert.equal(evaluatePolicies(tags, withCondition({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env'] } })), 'ImplicitDeny');
    assert.equal(evaluatePolicies(ctx({}), withCondition({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env'] } })), 'Allow');
    assert.equal(evaluatePolicies(ctx({}), withCondition({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env'] } })), 'ImplicitDeny');
    assert.equal(evaluatePolicies(tags, withCondition({ 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['owner'] } })), 'Allow');
  });

  test('substitutes policy variables in condition values', () => {
    const condition = { StringLike: { 's3:prefix': ['home/${aws:username}/*'] } };
    assert.equal(evaluatePolicies(ctx({ 'aws:username': 'alice', 's3:prefix': 'home/alice/a' }), withCondition(condition)), 'Allow');
    assert.equal(evaluatePolicies(ctx({ 'aws:username': 'alice', 's3:prefix': 'home/bob/a' }), withCondition(condition)), 'ImplicitDeny');
  });

  test('denies with a conditional Deny only when its condition holds', () => {
    const policies = [policy(allow(), deny({ Condition: { Bool: { 'aws:SecureTransport': 'false' } } }))];
    assert.equal(evaluatePolicies(ctx({ 'aws:SecureTransport': 'false' }), policies), 'ExplicitDeny');
    assert.equal(evaluatePolicies(ctx({ 'aws:SecureTransport': 'true' }), policies), 'Allow');
  });

  test('fails closed on an unknown condition operator', () => {
    assert.equal(evaluatePolicies(ctx({ a: 'b' }), withCondition({ StringFuzzy: { a: 'b' } })), 'ImplicitDeny');
  });
});
