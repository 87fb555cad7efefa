import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicyDocument } from './policy-document.js';
import type { ServiceError } from '@atoll/core';

function malformed(text: string | object, kind?: 'identity' | 'resource'): ServiceError {
  try {
    parsePolicyDocument(text, kind ? { kind } : {});
  } catch (err) {
    const error = err as ServiceError;
    assert.equal(error.name, 'MalformedPolicyDocument');
    assert.equal(error.status, 400);
    return error;
  }
  assert.fail('expected MalformedPolicyDocument');
}

const statement = { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/*' };
const doc = (s: object | object[], extra: object = {}): string => JSON.stringify({ Version: '2012-10-17', Statement: s, ...extra });

describe('parsePolicyDocument', () => {
  test('accepts a valid identity policy with Statement as an object or a list', () => {
    assert.deepEqual(parsePolicyDocument(doc(statement)).Statement, statement);
    assert.equal((parsePolicyDocument(doc([statement, { ...statement, Effect: 'Deny', Sid: 'x' }])).Statement as unknown[]).length, 2);
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
      '[]',
    ]) {
      assert.equal(malformed(text).message, 'Syntax errors in policy.', text);
    }
  });

  test('requires Version 2012-10-17 for identity policies but not for resource policies', () => {
    assert.equal(malformed(JSON.stringify({ Statement: statement })).message, 'Policy document must be version 2012-10-17 or greater.');
    const resource = { ...statement, Principal: '*' };
    assert.ok(parsePolicyDocument(JSON.stringify({ Version: '2008-10-17', Statement: resource }), { kind: 'resource' }));
  });

  test('requires actions and resources, and refuses a principal in an identity policy', () => {
    assert.equal(malformed(doc({ Effect: 'Allow', Resource: '*' })).message, 'Policy statement must contain actions.');
    assert.equal(malformed(doc({ Effect: 'Allow', Action: [], Resource: '*' })).message, 'Policy statement must contain actions.');
    assert.equal(malformed(doc({ Effect: 'Allow', Action: 's3:*' })).message, 'Policy statement must contain resources.');
    assert.equal(malformed(doc({ ...statement, Principal: '*' })).message, 'Policy document should not specify a principal.');
  });

  test('validates action vendors and resource ARNs with IAM\'s messages', () => {
    assert.equal(malformed(doc({ ...statement, Action: 'GetObject' })).message, 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
    assert.equal(malformed(doc({ ...statement, Action: 's3:a:b' })).message, 'Actions/Condition can contain only one colon.');
    assert.equal(malformed(doc({ ...statement, Action: 's 3:GetObject' })).message, 'Vendor s 3 is not valid');
    assert.equal(malformed(doc({ ...statement, Resource: 'bucket' })).message, 'Resource bucket must be in ARN format or "*".');
  });

  test('requires statement ids to be unique', () => {
    assert.equal(malformed(doc([{ ...statement, Sid: 'a' }, { ...statement, Sid: 'a' }])).message, 'Statement IDs (SID) in a single policy must be unique.');
  });

  test('accepts every documented condition operator with set prefixes and IfExists', () => {
    const condition = {
      'ForAnyValue:StringLike': { 'aws:TagKeys': ['a*'] },
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['a'] },
      NumericLessThanIfExists: { 's3:max-keys': '10' },
      IpAddress: { 'aws:SourceIp': '10.0.0.0/8' },
      Null: { 'aws:TokenIssueTime': 'true' },
      Bool: { 'aws:SecureTransport': true },
    };
    assert.ok(parsePolicyDocument(doc({ ...statement, Condition: condition })));
    assert.equal(malformed(doc({ ...statement, Condition: { StringFuzzy: { a: 'b' } } })).message, 'Syntax errors in policy.');
  });
});
