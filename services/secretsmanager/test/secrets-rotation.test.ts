// Rotation end-to-end: a real Lambda rotation function (nodejs, calling Secrets Manager through the
// AWS SDK with its execution role) rotates a secret when RotateSecret is called, once the function's
// resource policy lets secretsmanager.amazonaws.com invoke it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import AdmZip from 'adm-zip';
import { AddPermissionCommand, CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { type TestPlatform, createLambdaRole, startPlatform, until } from '@atoll/test-support';

// AWS's rotation template, reduced: createSecret puts a new password as AWSPENDING, finishSecret
// moves AWSCURRENT to it.
const ROTATOR = `
import { SecretsManagerClient, DescribeSecretCommand, GetSecretValueCommand, GetRandomPasswordCommand, PutSecretValueCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
const sm = new SecretsManagerClient({});
export const handler = async (event) => {
  const { Step, SecretId, ClientRequestToken: token } = event;
  const meta = await sm.send(new DescribeSecretCommand({ SecretId }));
  if (!meta.RotationEnabled) throw new Error('rotation is not enabled');
  const stages = meta.VersionIdsToStages[token];
  if (!stages) throw new Error('no stage for rotation');
  if (stages.includes('AWSCURRENT')) return;
  if (!stages.includes('AWSPENDING')) throw new Error('not pending');
  if (Step === 'createSecret') {
    const current = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId, VersionStage: 'AWSCURRENT' }))).SecretString);
    try {
      await sm.send(new GetSecretValueCommand({ SecretId, VersionId: token, VersionStage: 'AWSPENDING' }));
    } catch (e) {
      if (e.name !== 'ResourceNotFoundException') throw e;
      const password = (await sm.send(new GetRandomPasswordCommand({ ExcludeCharacters: '/@"' }))).RandomPassword;
      await sm.send(new PutSecretValueCommand({ SecretId, ClientRequestToken: token, SecretString: JSON.stringify({ ...current, password }), VersionStages: ['AWSPENDING'] }));
    }
  } else if (Step === 'finishSecret') {
    const current = Object.entries(meta.VersionIdsToStages).find(([, s]) => s.includes('AWSCURRENT'))[0];
    await sm.send(new UpdateSecretVersionStageCommand({ SecretId, VersionStage: 'AWSCURRENT', MoveToVersionId: token, RemoveFromVersionId: current }));
  }
};
`;

function zip(files: Record<string, string>): Buffer {
  const archive = new AdmZip();
  for (const [name, text] of Object.entries(files)) archive.addFile(name, Buffer.from(text));
  return archive.toBuffer();
}


let platform: TestPlatform;
let sm: SecretsManagerClient;
let lambda: LambdaClient;

describe('Secrets Manager rotation with a Lambda function', () => {
  before(async () => {
    platform = await startPlatform({ services: ['secretsmanager', 'lambda', 'iam', 'sts'] });
    sm = platform.client(SecretsManagerClient);
    lambda = platform.client(LambdaClient);
    const role = await createLambdaRole(platform);
    await lambda.send(new CreateFunctionCommand({
      FunctionName: 'rotator', Runtime: 'nodejs22.x', Role: role, Handler: 'index.handler', Timeout: 30,
      Code: { ZipFile: zip({ 'index.mjs': ROTATOR }) },
    }));
  });

  after(async () => {
    await platform?.stop();
  });

  it('does not rotate through a function that does not allow secretsmanager.amazonaws.com, and rotates once it does', async () => {
    const fn = `arn:aws:lambda:${platform.region}:${platform.accountId}:function:rotator`;
    const created = await sm.send(new CreateSecretCommand({ Name: 'db/rotated', SecretString: JSON.stringify({ username: 'app', password: 'initial' }) }));
    const first = await sm.send(new RotateSecretCommand({ SecretId: 'db/rotated', RotationLambdaARN: fn, RotationRules: { AutomaticallyAfterDays: 7 } }));
    // The invoke is refused (no permission): the placeholder stays AWSPENDING, the value unchanged.
    await new Promise((r) => setTimeout(r, 1500));
    const meta = await sm.send(new DescribeSecretCommand({ SecretId: 'db/rotated' }));
    assert.deepEqual(meta.VersionIdsToStages![first.VersionId!], ['AWSPENDING']);
    assert.equal(meta.LastRotatedDate, undefined);
    assert.equal(JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: 'db/rotated' }))).SecretString!).password, 'initial');

    await lambda.send(new AddPermissionCommand({
      FunctionName: 'rotator', StatementId: 'secrets', Action: 'lambda:InvokeFunction', Principal: 'secretsmanager.amazonaws.com', SourceArn: created.ARN,
    }));
    // The SDK sends a new ClientRequestToken: AWS answers that the pending rotation is reattempted.
    await assert.rejects(sm.send(new RotateSecretCommand({ SecretId: 'db/rotated' })), (err: Error) => {
      assert.equal(err.name, 'InvalidRequestException');
      assert.match(err.message, /previous rotation isn't complete/);
      return true;
    });
    const second = first;
    const rotated = await until('the rotation', async () => {
      const m = await sm.send(new DescribeSecretCommand({ SecretId: 'db/rotated' }));
      return m.LastRotatedDate ? m : undefined;
    });
    assert.deepEqual(rotated.VersionIdsToStages![second.VersionId!], ['AWSCURRENT']);
    assert.equal(rotated.VersionIdsToStages![created.VersionId!]![0], 'AWSPREVIOUS');
    assert.ok(rotated.NextRotationDate! > rotated.LastRotatedDate!);
    const now = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: 'db/rotated' }))).SecretString!);
    assert.equal(now.username, 'app');
    assert.notEqual(now.password, 'initial');
    assert.equal(now.password.length, 32);
  });
});
