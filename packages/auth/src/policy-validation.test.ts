// IAM's grammar check with IAM's MalformedPolicyDocument messages, per policy kind.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceError } from '@atoll/core';
import { parsePolicyDocument, policySize, validatePolicyDocument, type PolicyKind, type PolicyLimits } from './policy-validation.js';

function malformed(text: string | object, kind: PolicyKind = 'identity', limits?: PolicyLimits): ServiceError {
  try {
    validatePolicyDocument(text, kind, limits);
  } catch (err) {
    const error = err as ServiceError;
    assert.equal(error.name, 'MalformedPolicyDocument', error.message);
    assert.equal(error.status, 400);
    return error;
  }
  assert.fail('expected MalformedPolicyDocument');
}

const statement = { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/*' };
const doc = (s: object | object[], extra: object = {}): string => JSON.stringify({ Version: '2012-10-17', Statement: s, ...extra });
const trust = (s: object): string => doc({ Effect: 'Allow', Action: 'sts:AssumeRole', ...s });

describe('validatePolicyDocument', () => {
  test('accepts a valid identity policy with Statement as an object or a list', () => {
    assert.deepEqual(validatePolicyDocument(doc(statement)).Statement, statement);
    assert.equal((validatePolicyDocument(doc([statement, { ...statement, Effect: 'Deny', Sid: 'x' }])).Statement as unknown[]).length, 2);
    assert.ok(parsePolicyDocument(doc(statement)));
  });

  test('answers "This policy contains invalid Json" for text that is not JSON', () => {
    assert.equal(malformed('{"Version": ').message, 'This policy contains invalid Json');
  });

  test('answers "Syntax errors in policy." for a missing or bad Effect, unknown fields and wrong types', () => {
    const { Effect: _omit, ...noEffect } = statement;
    for (const text of [
      doc(noEffect),
      doc({ ...statement, Effect: 'Maybe' }),
      doc({ ...statement, Unknown: 1 }),
      doc(statement, { Extra: true }),
      doc({ ...statement, Action: 5 }),
      doc({ ...statement, NotAction: 's3:*' }),
      doc({ ...statement, Condition: { StringEquals: 'x' } }),
      JSON.stringify({ Version: '2012-10-17' }),
      JSON.stringify({ Version: '2012-10-18', Statement: statement }),
      '[]',
    ]) {
      assert.equal(malformed(text).message, 'Syntax errors in policy.', text);
    }
  });

  test('requires Version 2012-10-17 only for managed policies (CreatePolicy), as IAM does', () => {
    const old = JSON.stringify({ Statement: statement });
    assert.ok(validatePolicyDocument(old, 'identity'));
    assert.equal(malformed(old, 'identity', { requireCurrentVersion: true }).message, 'Policy document must be version 2012-10-17 or greater.');
    assert.ok(validatePolicyDocument(JSON.stringify({ Version: '2008-10-17', Statement: { ...statement, Principal: '*' } }), 'resource'));
  });

  test('requires actions and resources, and refuses a principal in an identity policy', () => {
    assert.equal(malformed(doc({ Effect: 'Allow', Resource: '*' })).message, 'Policy statement must contain actions.');
    assert.equal(malformed(doc({ Effect: 'Allow', Action: [], Resource: '*' })).message, 'Policy statement must contain actions.');
    assert.equal(malformed(doc({ Effect: 'Allow', Action: 's3:*' })).message, 'Policy statement must contain resources.');
    assert.equal(malformed(doc({ ...statement, Principal: '*' })).message, 'Policy document should not specify a principal.');
    assert.equal(malformed(doc({ ...statement, NotPrincipal: { AWS: '123456789012' } })).message, 'Policy document should not specify a principal.');
  });

  test('checks the form of actions but accepts unknown actions and unknown services, as IAM does', () => {
    assert.ok(validatePolicyDocument(doc({ ...statement, Action: ['s3:GetObjekt', 'dyanmodb:PutItem', 'sqs:*', 'ec2:Describe*', '*'] })));
    assert.equal(malformed(doc({ ...statement, Action: 'GetObject' })).message, 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
    assert.equal(malformed(doc({ ...statement, Action: 's3 Get' })).message, 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
    assert.equal(malformed(doc({ ...statement, Action: 's3:a:b' })).message, 'Actions/Condition can contain only one colon.');
    assert.equal(malformed(doc({ ...statement, Action: 's 3:GetObject' })).message, 'Vendor s 3 is not valid');
    assert.equal(malformed(doc({ ...statement, Action: '*:Untag*' })).message, 'Action vendors (e.g., aws, ec2, etc.) must not contain wildcards');
  });

  test('requires resources in ARN form with a literal vendor', () => {
    assert.equal(malformed(doc({ ...statement, Resource: 'bucket' })).message, 'Resource bucket must be in ARN format or "*".');
    assert.equal(malformed(doc({ ...statement, Resource: 'foo:bar:baz' })).message, 'Resource foo:bar:baz must be in ARN format or "*".');
    assert.equal(malformed(doc({ ...statement, Resource: 'arn:aws:s*:::bucket' })).message, 'Resource vendor must be fully qualified and cannot contain regexes.');
    assert.equal(malformed(doc({ ...statement, Resource: 'arn:aws:sqs:us-east-1:1234:q' })).message, 'The policy failed legacy parsing');
    assert.ok(validatePolicyDocument(doc({ ...statement, Resource: ['arn:aws:logs:*:*:*', 'arn:aws:sqs:*', 'arn:aws:s3:::${aws:username}/*', 'arn:aws:iam::aws:policy/x'] })));
  });

  test('requires unique, alphanumeric statement ids in identity and trust policies', () => {
    assert.equal(malformed(doc([{ ...statement, Sid: 'a' }, { ...statement, Sid: 'a' }])).message, 'Statement IDs (SID) in a single policy must be unique.');
    assert.match(malformed(doc({ ...statement, Sid: 'has space' })).message, /^Statement IDs \(SID\) must be alpha-numeric/);
    assert.ok(validatePolicyDocument(doc({ ...statement, Sid: 'has space', Principal: '*' }), 'resource'));
  });

  test('accepts every documented condition operator with set prefixes and IfExists, and refuses unknown ones', () => {
    const condition = {
      'ForAnyValue:StringLike': { 'aws:TagKeys': ['a*'] },
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['a'] },
      NumericLessThanIfExists: { 's3:max-keys': '10' },
      IpAddress: { 'aws:SourceIp': '10.0.0.0/8' },
      Null: { 'aws:TokenIssueTime': 'true' },
      Bool: { 'aws:SecureTransport': true },
      DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' },
      ArnLikeIfExists: { 'aws:SourceArn': 'arn:aws:sns:*:*:t' },
      BinaryEquals: { 'aws:x': 'QmluYXJ5' },
    };
    assert.ok(validatePolicyDocument(doc({ ...statement, Condition: condition })));
    assert.equal(malformed(doc({ ...statement, Condition: { StringFuzzy: { 'aws:a': 'b' } } })).message, 'Invalid Condition type : StringFuzzy');
    assert.equal(malformed(doc({ ...statement, Condition: { StringEquals: { username: 'b' } } })).message, 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
  });

  test('trust policies: a principal is required, Resource is prohibited, principals must be well formed', () => {
    assert.ok(validatePolicyDocument(trust({ Principal: { Service: 'lambda.amazonaws.com' } }), 'trust'));
    assert.ok(validatePolicyDocument(trust({ Principal: { AWS: ['123456789012', 'arn:aws:iam::123456789012:root', 'arn:aws:iam::123456789012:role/path/r'] } }), 'trust'));
    assert.ok(validatePolicyDocument(trust({ Action: 'sts:AssumeRoleWithWebIdentity', Principal: { Federated: 'arn:aws:iam::123456789012:oidc-provider/token.example.com' } }), 'trust'));
    assert.equal(malformed(trust({ Principal: { Service: 'lambda.amazonaws.com' }, Resource: '*' }), 'trust').message, 'Has prohibited field Resource');
    assert.equal(malformed(trust({}), 'trust').message, 'Missing required field Principal');
    assert.equal(malformed(trust({ Principal: { AWS: 'arn:aws:iam::123456789012:role/*' } }), 'trust').message, 'Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:role/*"');
    assert.equal(malformed(trust({ Principal: { AWS: 'alice' } }), 'trust').message, 'Invalid principal in policy: "AWS":"alice"');
    assert.equal(malformed(trust({ Principal: { Robot: 'x' } }), 'trust').message, 'Invalid principal in policy');
  });

  test('counts size in non-whitespace characters and answers the caller\'s limit error', () => {
    const text = doc(statement);
    assert.equal(policySize('{ "a" :\n\t"b c" }'), 10);
    assert.ok(validatePolicyDocument(text, 'identity', { maxSize: policySize(text) }));
    assert.throws(
      () => validatePolicyDocument(`${text}\n\n    `, 'identity', { maxSize: policySize(text) - 1 }),
      (e: ServiceError) => e.name === 'LimitExceeded' && e.message === `Cannot exceed quota for PolicySize: ${policySize(text) - 1}`,
    );
    const custom = new Error('too big');
    assert.throws(() => validatePolicyDocument(text, 'identity', { maxSize: 10, tooLarge: () => custom }), custom);
  });
});
