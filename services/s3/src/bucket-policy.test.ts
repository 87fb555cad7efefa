import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallerIdentity } from '@atoll/core';
import { evaluatePolicy, policyError } from './bucket-policy.js';

const anonymous: CallerIdentity = { type: 'Anonymous', accountId: '', arn: '', principalId: '' };
const policy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::site/public/*' },
    { Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Resource: 'arn:aws:s3:::site/public/secret*' },
  ],
});

test('allows anonymous reads that a public statement names', () => {
  assert.equal(evaluatePolicy(policy, anonymous, 's3:GetObject', 'arn:aws:s3:::site/public/index.html'), 'Allow');
});

test('gives no allow for other actions or resources', () => {
  assert.equal(evaluatePolicy(policy, anonymous, 's3:PutObject', 'arn:aws:s3:::site/public/index.html'), 'None');
  assert.equal(evaluatePolicy(policy, anonymous, 's3:GetObject', 'arn:aws:s3:::site/private/x'), 'None');
});

test('an explicit deny wins over an allow', () => {
  assert.equal(evaluatePolicy(policy, anonymous, 's3:GetObject', 'arn:aws:s3:::site/public/secret.txt'), 'Deny');
});

test('refuses policies that are not JSON or lack a Statement', () => {
  assert.match(policyError('nope') ?? '', /valid JSON/);
  assert.match(policyError('{}') ?? '', /Statement/);
  assert.equal(policyError(policy), undefined);
});
