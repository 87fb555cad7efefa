// The AWS managed policies come from the data package with their real default-version documents.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { validatePolicyDocument } from '@atoll/auth';
import { awsManagedPolicy, isAwsManagedPolicyArn, listAwsManagedPolicies } from './aws-managed-policies.js';

const REQUIRED = [
  'arn:aws:iam::aws:policy/AdministratorAccess',
  'arn:aws:iam::aws:policy/ReadOnlyAccess',
  'arn:aws:iam::aws:policy/PowerUserAccess',
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
  'arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole',
  'arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole',
  'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy',
  'arn:aws:iam::aws:policy/AmazonSQSFullAccess',
  'arn:aws:iam::aws:policy/AmazonS3FullAccess',
  'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
  'arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess',
  'arn:aws:iam::aws:policy/CloudWatchLogsFullAccess',
];

describe('AWS managed policies', () => {
  it('serves every policy that deploy tools attach, with its path and a parseable document', () => {
    for (const arn of REQUIRED) {
      const policy = awsManagedPolicy(arn);
      assert.ok(policy, arn);
      assert.equal(policy.arn, arn);
      assert.equal(arn.endsWith(`${policy.path}${policy.name}`), true, `${policy.path} ${policy.name}`);
      assert.match(policy.versionId, /^v\d+$/);
      assert.match(policy.policyId, /^ANPA[A-Z2-7]{17}$/);
      const doc = JSON.parse(policy.document) as { Statement: unknown };
      assert.ok(doc.Statement);
    }
  });

  it('gives AdministratorAccess its real document and AWSLambdaBasicExecutionRole its service-role path', () => {
    const admin = awsManagedPolicy('arn:aws:iam::aws:policy/AdministratorAccess')!;
    assert.deepEqual(JSON.parse(admin.document), { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
    const basic = awsManagedPolicy('arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole')!;
    assert.equal(basic.path, '/service-role/');
    assert.equal(basic.name, 'AWSLambdaBasicExecutionRole');
    assert.match(basic.document, /logs:PutLogEvents/);
  });

  it('answers undefined for an unknown name and for ARNs outside the aws namespace', () => {
    assert.equal(awsManagedPolicy('arn:aws:iam::aws:policy/NoSuchPolicyAtAll'), undefined);
    assert.equal(awsManagedPolicy('arn:aws:iam::123456789012:policy/AdministratorAccess'), undefined);
    assert.equal(isAwsManagedPolicyArn('arn:aws:iam::123456789012:policy/x'), false);
  });

  it('lists every policy of the package, sorted by name, with stable ids', () => {
    const all = listAwsManagedPolicies();
    assert.ok(all.length > 1000, String(all.length));
    for (let i = 1; i < all.length; i++) assert.ok(all[i - 1]!.name < all[i]!.name);
    assert.equal(new Set(all.map((p) => p.policyId)).size, all.length);
  });

  it("has only documents that pass IAM's grammar check (no false MalformedPolicyDocument)", () => {
    for (const policy of listAwsManagedPolicies()) assert.ok(validatePolicyDocument(policy.document, 'identity'), policy.name);
  });
});
