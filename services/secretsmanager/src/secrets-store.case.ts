// The SecretsStore contract, run on every storage engine (secrets-store.test.ts): names unique per
// account and region, versions and labels (AWSCURRENT's move leaves AWSPREVIOUS behind), placeholders
// filled once, guarded label moves, scheduled purge and rotation queries.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { StorageBackend } from '@atoll/core';
import type { EngineContext } from '@atoll/test-support';
import { SecretsStore, type SecretRecord } from './secrets-store.js';

const secret = (name: string, fields: Partial<SecretRecord> = {}): SecretRecord => ({
  arn: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}-AbCdEf`,
  accountId: '000000000000',
  region: 'us-east-1',
  name,
  description: null,
  kmsKeyId: null,
  type: null,
  tags: [],
  policy: null,
  owningService: null,
  rotationLambdaArn: null,
  rotationRules: null,
  rotationEnabled: false,
  lastRotatedAt: null,
  nextRotationAt: null,
  lastChangedAt: 1,
  lastAccessedAt: null,
  createdAt: 1,
  deletedAt: null,
  deletionDate: null,
  ...fields,
});

const value = (text: string) => ({ sealed: `v1:${text}`, kind: 'string' as const });

export function secretsStoreCases(engine: EngineContext): void {
  async function withStore(body: (store: SecretsStore) => Promise<void>): Promise<void> {
    const backend: StorageBackend = await engine.open();
    const store = await SecretsStore.open(backend);
    try {
      await body(store);
    } finally {
      await store.close();
      await backend.close();
    }
  }

  it('a secret name is unique per account and region, and found by name or ARN', () =>
    withStore(async (store) => {
      const s = secret('a');
      assert.ok(await store.createSecret(s, { versionId: 'v1', value: value('one') }));
      assert.equal(await store.createSecret({ ...s, arn: `${s.arn}x` }), undefined);
      assert.equal((await store.getSecret('000000000000', 'us-east-1', 'a'))?.arn, s.arn);
      assert.equal((await store.getSecretByArn(s.arn))?.name, 'a');
      assert.deepEqual((await store.getVersion(s.arn, { stage: 'AWSCURRENT' }))?.value, value('one'));
    }));

  it('moving AWSCURRENT labels the old holder AWSPREVIOUS, and custom labels move alone', () =>
    withStore(async (store) => {
      const s = secret('b');
      await store.createSecret(s, { versionId: 'v1', value: value('one') });
      assert.equal(await store.putVersion(s.arn, 'v2', value('two'), ['AWSCURRENT'], 2), 'created');
      assert.equal(await store.putVersion(s.arn, 'v3', value('three'), ['AWSCURRENT'], 3), 'created');
      assert.deepEqual(await store.versionStages(s.arn), { v3: ['AWSCURRENT'], v2: ['AWSPREVIOUS'] });
      assert.equal(await store.putVersion(s.arn, 'v4', value('four'), ['blue'], 4), 'created');
      assert.equal(await store.updateStage(s.arn, 'blue', { to: 'v3', from: 'v4' }), true);
      assert.equal(await store.updateStage(s.arn, 'blue', { to: 'v1', from: 'v4' }), false);
      assert.deepEqual(await store.versionStages(s.arn), { v3: ['AWSCURRENT', 'blue'], v2: ['AWSPREVIOUS'] });
      assert.equal((await store.listVersions(s.arn)).length, 4);
      assert.equal(await store.putVersion(s.arn, 'v2', value('again'), ['AWSCURRENT']), 'exists');
    }));

  it('a placeholder version takes a value once', () =>
    withStore(async (store) => {
      const s = secret('c');
      await store.createSecret(s, { versionId: 'v1', value: value('one') });
      assert.equal(await store.putVersion(s.arn, 'p', null, ['AWSPENDING']), 'created');
      assert.equal((await store.getVersion(s.arn, { stage: 'AWSPENDING' }))?.value, null);
      assert.equal(await store.putVersion(s.arn, 'p', value('new'), ['AWSPENDING']), 'filled');
      assert.equal(await store.putVersion(s.arn, 'p', value('newer'), ['AWSPENDING']), 'exists');
      assert.deepEqual((await store.getVersion(s.arn, { versionId: 'p' }))?.value, value('new'));
      assert.equal(await store.putVersion('arn:none', 'x', value('x'), []), 'missing');
    }));

  it('updates fields, purges what is due, and finds the rotations that are due', () =>
    withStore(async (store) => {
      const s = (await store.createSecret(secret('d'), { versionId: 'v1', value: value('one') }))!;
      const r = (await store.createSecret(secret('e', { arn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:e-XyZxYz' })))!;
      const updated = await store.updateSecret(s, { deletedAt: 10, deletionDate: 100, tags: [{ Key: 'k', Value: 'v' }] });
      assert.equal(updated?.deletionDate, 100);
      assert.deepEqual((await store.getSecret('000000000000', 'us-east-1', 'd'))?.tags, [{ Key: 'k', Value: 'v' }]);
      assert.deepEqual(await store.dueForPurge(99), []);
      assert.deepEqual(await store.dueForPurge(100), [s.arn]);
      assert.equal(await store.purgeSecret(s.arn), true);
      assert.equal(await store.getSecretByArn(s.arn), undefined);
      assert.deepEqual(await store.listVersions(s.arn), []);
      await store.updateSecret(r, { rotationEnabled: true, nextRotationAt: 50, rotationLambdaArn: 'arn:aws:lambda:us-east-1:000000000000:function:f' });
      assert.deepEqual((await store.dueForRotation(49)).map((x) => x.name), []);
      assert.deepEqual((await store.dueForRotation(50)).map((x) => x.name), ['e']);
      assert.deepEqual((await store.listSecrets('000000000000', 'us-east-1')).map((x) => x.name), ['e']);
    }));
}
