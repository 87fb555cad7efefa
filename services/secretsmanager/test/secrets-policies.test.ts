// Resource policies enforced by the edge's IAM evaluator, policy validation, GetRandomPassword and
// encryption at rest, end-to-end through @aws-sdk/client-secrets-manager.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DeleteResourcePolicyCommand,
  GetRandomPasswordCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  ValidateResourcePolicyCommand,
} from '@aws-sdk/client-secrets-manager';
import { type TestPlatform, startPlatform, until } from '@atoll/test-support';

let platform: TestPlatform;
let sm: SecretsManagerClient;
let iam: IAMClient;

async function userClient(name: string, policy?: unknown): Promise<{ client: SecretsManagerClient; arn: string }> {
  const user = await iam.send(new CreateUserCommand({ UserName: name }));
  if (policy) await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'p', PolicyDocument: JSON.stringify(policy) }));
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  const client = platform.client(SecretsManagerClient, { credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } });
  return { client, arn: user.User!.Arn! };
}

const statement = (effect: 'Allow' | 'Deny', principal: string, action = 'secretsmanager:GetSecretValue') =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: effect, Principal: { AWS: principal }, Action: action, Resource: '*' }] });


async function denied(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(err.name, 'AccessDeniedException');
    assert.equal(err.$metadata?.httpStatusCode, 400);
    return true;
  });
}

describe('Secrets Manager resource policies, passwords and encryption at rest', () => {
  before(async () => {
    platform = await startPlatform({ services: ['secretsmanager', 'iam', 'sts', 'cloudtrail'] });
    sm = platform.client(SecretsManagerClient);
    iam = platform.client(IAMClient);
  });

  after(async () => {
    await platform?.stop();
  });

  it('lets a resource policy grant a user with no identity policy, and a Deny win over the identity policy', async () => {
    const secret = await sm.send(new CreateSecretCommand({ Name: 'shared', SecretString: 's3cr3t' }));
    const reader = await userClient('reader');
    await denied(reader.client.send(new GetSecretValueCommand({ SecretId: secret.ARN })));
    await sm.send(new PutResourcePolicyCommand({ SecretId: 'shared', ResourcePolicy: statement('Allow', reader.arn) }));
    assert.equal((await reader.client.send(new GetSecretValueCommand({ SecretId: secret.ARN }))).SecretString, 's3cr3t');
    assert.match((await sm.send(new GetResourcePolicyCommand({ SecretId: 'shared' }))).ResourcePolicy!, /GetSecretValue/);

    const admin = await userClient('admin', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'secretsmanager:*', Resource: '*' }] });
    assert.equal((await admin.client.send(new GetSecretValueCommand({ SecretId: 'shared' }))).SecretString, 's3cr3t');
    await sm.send(new PutResourcePolicyCommand({ SecretId: 'shared', ResourcePolicy: statement('Deny', admin.arn) }));
    await denied(admin.client.send(new GetSecretValueCommand({ SecretId: 'shared' })));
    await sm.send(new DeleteResourcePolicyCommand({ SecretId: 'shared' }));
    assert.equal((await admin.client.send(new GetSecretValueCommand({ SecretId: 'shared' }))).SecretString, 's3cr3t');
    assert.equal((await sm.send(new GetResourcePolicyCommand({ SecretId: 'shared' }))).ResourcePolicy, undefined);
  });

  it('refuses a malformed policy, and a public one when BlockPublicPolicy is set; ValidateResourcePolicy reports both', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'guarded', SecretString: 'x' }));
    await assert.rejects(sm.send(new PutResourcePolicyCommand({ SecretId: 'guarded', ResourcePolicy: '{not json' })), { name: 'MalformedPolicyDocumentException' });
    await assert.rejects(
      sm.send(new PutResourcePolicyCommand({ SecretId: 'guarded', ResourcePolicy: statement('Allow', '*'), BlockPublicPolicy: true })),
      { name: 'PublicPolicyException' },
    );
    const publicCheck = await sm.send(new ValidateResourcePolicyCommand({ SecretId: 'guarded', ResourcePolicy: statement('Allow', '*') }));
    assert.equal(publicCheck.PolicyValidationPassed, false);
    assert.equal(publicCheck.ValidationErrors!.length, 1);
    const fine = await sm.send(new ValidateResourcePolicyCommand({ ResourcePolicy: statement('Allow', `arn:aws:iam::${platform.accountId}:root`) }));
    assert.equal(fine.PolicyValidationPassed, true);
    const missing = await sm.send(new ValidateResourcePolicyCommand({ ResourcePolicy: '{"Version":"2012-10-17"}' }));
    assert.equal(missing.PolicyValidationPassed, false);
  });

  it('generates passwords as asked', async () => {
    const p = (await sm.send(new GetRandomPasswordCommand({ PasswordLength: 24, ExcludePunctuation: true, ExcludeCharacters: 'abc' }))).RandomPassword!;
    assert.match(p, /^[d-zA-Z0-9]{24}$/);
    assert.match(p, /[0-9]/);
    assert.equal((await sm.send(new GetRandomPasswordCommand({}))).RandomPassword!.length, 32);
    await assert.rejects(sm.send(new GetRandomPasswordCommand({ PasswordLength: 5000 })), (err: Error) => /InvalidParameter|ValidationException/.test(err.name));
  });

  it('keeps no secret value in plain text in the data directory, nor in the audit trail', async () => {
    const marker = 'plain-text-marker-6f1d2c';
    await sm.send(new CreateSecretCommand({ Name: 'at-rest', SecretString: marker }));
    await sm.send(new PutSecretValueCommand({ SecretId: 'at-rest', SecretString: `${marker}-2` }));
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'at-rest' }))).SecretString, `${marker}-2`);
    // Wait until the audit trail holds the calls (it is written after the response).
    const trail = platform.client(CloudTrailClient);
    const events = await until('the audit events', async () => {
      const found = (await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventSource', AttributeValue: 'secretsmanager.amazonaws.com' }] }))).Events ?? [];
      const wanted = found.filter((e) => e.EventName === 'CreateSecret' || e.EventName === 'PutSecretValue');
      return wanted.some((e) => e.EventName === 'PutSecretValue') ? wanted : undefined;
    });
    for (const e of events) {
      assert.ok(!e.CloudTrailEvent!.includes(marker));
      assert.match(e.CloudTrailEvent!, /HIDDEN_DUE_TO_SECURITY_REASONS/);
    }
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else files.push(path);
      }
    };
    walk(platform.dataDir);
    assert.ok(files.some((f) => f.endsWith('secrets.key')));
    for (const file of files) assert.ok(!readFileSync(file).includes(marker), `${file} holds the value in plain text`);
  });
});
