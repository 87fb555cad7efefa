// The RDS store's contract, run on every engine (rds-store.test.ts): documents keyed by account,
// region and identifier, a taken identifier refused, updates under a row lock, the change signal.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineContext } from '@atoll/test-support';
import { RdsStore, RecordExistsError } from './rds-store.js';
import type { SnapshotRecord } from './records.js';

function snapshot(id: string, region = 'us-east-1'): SnapshotRecord {
  return {
    accountId: '000000000000',
    region,
    id,
    arn: `arn:aws:rds:${region}:000000000000:snapshot:${id}`,
    kind: 'instance',
    sourceId: 'db1',
    snapshotType: 'manual',
    status: 'creating',
    createdTime: new Date().toISOString(),
    engine: {
      engine: 'postgres',
      engineVersion: '15.20',
      family: 'postgres',
      runtime: 'process',
      port: 5432,
      masterUsername: 'master',
      masterPassword: 'secret123',
      parameters: {},
    },
    allocatedStorage: 20,
    tags: {},
  };
}

export function rdsStoreCases(engine: EngineContext): void {
  it('keeps documents per account and region, and refuses a taken identifier', async () => {
    const store = await RdsStore.open(await engine.open());
    try {
      await store.snapshots.insert(snapshot('snap-a'));
      await store.snapshots.insert(snapshot('snap-a', 'eu-west-1'));
      await assert.rejects(store.snapshots.insert(snapshot('snap-a')), RecordExistsError);
      assert.equal((await store.snapshots.list('000000000000', 'us-east-1')).length, 1);
      assert.equal((await store.snapshots.all()).length, 2);
      assert.equal((await store.snapshots.get('000000000000', 'us-east-1', 'snap-a'))?.engine.masterUsername, 'master');
      assert.equal(await store.snapshots.get('000000000000', 'us-east-1', 'absent'), undefined);
    } finally {
      await store.close();
    }
  });

  it('updates a document under a row lock, and signals each change', async () => {
    const store = await RdsStore.open(await engine.open());
    try {
      let signals = 0;
      const stop = store.onChange(() => signals++);
      await store.snapshots.insert(snapshot('snap-b'));
      const updated = await store.snapshots.update('000000000000', 'us-east-1', 'snap-b', (s) => ({ ...s, status: 'available' }));
      assert.equal(updated?.status, 'available');
      assert.equal((await store.snapshots.get('000000000000', 'us-east-1', 'snap-b'))?.status, 'available');
      assert.equal(await store.snapshots.update('000000000000', 'us-east-1', 'absent', (s) => s), undefined);
      await assert.rejects(
        store.snapshots.update('000000000000', 'us-east-1', 'snap-b', () => {
          throw new Error('refused');
        }),
        /refused/,
      );
      assert.equal(await store.snapshots.delete('000000000000', 'us-east-1', 'snap-b'), true);
      assert.equal(await store.snapshots.delete('000000000000', 'us-east-1', 'snap-b'), false);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.ok(signals >= 3, `expected at least 3 signals, got ${signals}`);
      stop();
    } finally {
      await store.close();
    }
  });
}
