// Rotation and the scheduled sweeps, driven on the provider with a stand-in rotation function (the
// fake platform's `lambda.Invoke`), which follows AWS's rotation template: createSecret puts the
// pending value, finishSecret moves AWSCURRENT.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fakePlatform, requestContext, type FakePlatform } from '@atoll/test-support';
import type { CallerIdentity } from '@atoll/core';
import { SecretsManagerProvider } from './secrets-provider.js';

const FN = 'arn:aws:lambda:us-east-1:000000000000:function:rotator';
const DAY = 86_400_000;

describe('rotation through a Lambda function', () => {
  let platform: FakePlatform;
  let provider: SecretsManagerProvider;
  const ctx = requestContext({ service: 'secretsmanager' });
  const calls: { step: string; token: string; identity?: CallerIdentity }[] = [];
  let failAt: string | undefined;

  before(async () => {
    platform = fakePlatform();
    provider = new SecretsManagerProvider(platform);
    await provider.start();
    platform.handlers.set('lambda.Invoke', async (input, callCtx) => {
      const { FunctionName, Payload } = input as { FunctionName: string; Payload: Uint8Array };
      assert.equal(FunctionName, FN);
      const event = JSON.parse(Buffer.from(Payload).toString()) as { Step: string; SecretId: string; ClientRequestToken: string };
      calls.push({ step: event.Step, token: event.ClientRequestToken, identity: (callCtx as { identity?: CallerIdentity }).identity });
      if (event.Step === failAt) return { StatusCode: 200, FunctionError: 'Unhandled', Payload: Buffer.from('{"errorMessage":"boom"}') };
      const meta = await provider.DescribeSecret({ SecretId: event.SecretId }, ctx);
      if (event.Step === 'createSecret') {
        const current = await provider.GetSecretValue({ SecretId: event.SecretId }, ctx);
        const n = (JSON.parse(current.SecretString!) as { n: number }).n + 1;
        await provider.PutSecretValue({ SecretId: event.SecretId, ClientRequestToken: event.ClientRequestToken, SecretString: JSON.stringify({ n }), VersionStages: ['AWSPENDING'] }, ctx);
      }
      if (event.Step === 'finishSecret') {
        const current = Object.entries(meta.VersionIdsToStages!).find(([, s]) => s.includes('AWSCURRENT'))![0];
        await provider.UpdateSecretVersionStage({ SecretId: event.SecretId, VersionStage: 'AWSCURRENT', MoveToVersionId: event.ClientRequestToken, RemoveFromVersionId: current }, ctx);
      }
      return { StatusCode: 200, Payload: Buffer.from('null') };
    });
  });

  after(async () => {
    await provider.close();
    await platform.storage.close();
    platform.cleanup();
  });

  const value = async (id: string, stage = 'AWSCURRENT') => JSON.parse((await provider.GetSecretValue({ SecretId: id, VersionStage: stage }, ctx)).SecretString!) as { n: number };

  it('runs the four steps in order as secretsmanager.amazonaws.com and makes the new version current', async () => {
    const created = await provider.CreateSecret({ Name: 'rotated', SecretString: '{"n":1}' }, ctx);
    calls.length = 0;
    const out = await provider.rotation.RotateSecret({ SecretId: 'rotated', RotationLambdaARN: FN, RotationRules: { AutomaticallyAfterDays: 30 } }, ctx);
    await provider.rotation.settle();
    assert.deepEqual(calls.map((c) => c.step), ['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
    assert.ok(calls.every((c) => c.token === out.VersionId));
    assert.equal(calls[0]!.identity?.type, 'AWSService');
    assert.equal(calls[0]!.identity?.service?.principal, 'secretsmanager.amazonaws.com');
    assert.equal(calls[0]!.identity?.service?.sourceArn, created.ARN);
    assert.equal((await value('rotated')).n, 2);
    assert.equal((await value('rotated', 'AWSPREVIOUS')).n, 1);
    const meta = await provider.DescribeSecret({ SecretId: 'rotated' }, ctx);
    assert.deepEqual(meta.VersionIdsToStages![out.VersionId!], ['AWSCURRENT']);
    assert.equal(meta.RotationEnabled, true);
    assert.equal(meta.RotationLambdaARN, FN);
    assert.ok(meta.LastRotatedDate instanceof Date);
    assert.ok(Math.abs(meta.NextRotationDate!.getTime() - (meta.LastRotatedDate!.getTime() + 30 * DAY)) < 1000);
  });

  it('stops at a failed step, leaves AWSPENDING, and reattempts the same version next time', async () => {
    await provider.CreateSecret({ Name: 'flaky', SecretString: '{"n":10}' }, ctx);
    failAt = 'testSecret';
    calls.length = 0;
    const first = await provider.rotation.RotateSecret({ SecretId: 'flaky', RotationLambdaARN: FN }, ctx);
    await provider.rotation.settle();
    assert.deepEqual(calls.map((c) => c.step), ['createSecret', 'setSecret', 'testSecret']);
    assert.equal((await value('flaky')).n, 10);
    assert.equal((await value('flaky', 'AWSPENDING')).n, 11);
    failAt = undefined;
    const second = await provider.rotation.RotateSecret({ SecretId: 'flaky' }, ctx);
    assert.equal(second.VersionId, first.VersionId);
    await provider.rotation.settle();
    assert.equal((await value('flaky')).n, 11);
  });

  it('rotates on schedule once the date has come, and no longer after CancelRotateSecret', async () => {
    await provider.CreateSecret({ Name: 'scheduled', SecretString: '{"n":100}' }, ctx);
    await provider.rotation.RotateSecret({ SecretId: 'scheduled', RotationLambdaARN: FN, RotationRules: { ScheduleExpression: 'rate(2 days)' }, RotateImmediately: false }, ctx);
    assert.equal(await provider.rotation.rotateDue(Date.now() + DAY), 0);
    assert.equal(await provider.rotation.rotateDue(Date.now() + 2 * DAY + 60_000), 1);
    await provider.rotation.settle();
    assert.equal((await value('scheduled')).n, 101);
    await provider.rotation.CancelRotateSecret({ SecretId: 'scheduled' }, ctx);
    const meta = await provider.DescribeSecret({ SecretId: 'scheduled' }, ctx);
    assert.equal(meta.RotationEnabled, undefined);
    assert.equal(await provider.rotation.rotateDue(Date.now() + 10 * DAY), 0);
  });

  it('refuses RotateSecret without a rotation function, and CancelRotateSecret when rotation is off', async () => {
    await provider.CreateSecret({ Name: 'plain', SecretString: 'x' }, ctx);
    await assert.rejects(provider.rotation.RotateSecret({ SecretId: 'plain' }, ctx), (e: Error) => e.name === 'InvalidRequestException');
    await assert.rejects(provider.rotation.CancelRotateSecret({ SecretId: 'plain' }, ctx), (e: Error) => e.name === 'InvalidRequestException');
    await assert.rejects(
      provider.rotation.RotateSecret({ SecretId: 'plain', RotationLambdaARN: FN, RotationRules: { AutomaticallyAfterDays: 0 } }, ctx),
      (e: Error) => e.name === 'InvalidParameterException',
    );
  });

  it('purges a secret once its recovery window has passed', async () => {
    await provider.CreateSecret({ Name: 'expiring', SecretString: 'x' }, ctx);
    await provider.DeleteSecret({ SecretId: 'expiring', RecoveryWindowInDays: 7 }, ctx);
    assert.equal(await provider.purgeDeleted(Date.now() + 6 * DAY), 0);
    assert.equal(await provider.purgeDeleted(Date.now() + 7 * DAY + 60_000), 1);
    await assert.rejects(provider.DescribeSecret({ SecretId: 'expiring' }, ctx), (e: Error) => e.name === 'ResourceNotFoundException');
  });
});
