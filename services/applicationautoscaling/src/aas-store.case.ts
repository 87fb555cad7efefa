// The AasStore contract, run on every storage engine (aas-store.test.ts).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineContext } from '@atoll/test-support';
import { AasStore, type TargetDoc } from './aas-store.js';

const key = { accountId: '000000000000', region: 'us-east-1', namespace: 'ecs', resourceId: 'service/c/s', dimension: 'ecs:service:DesiredCount' };

export function aasStoreCases(engine: EngineContext): void {
  it('keeps targets and policies, and lets one claim pass a cooldown', async () => {
    const backend = await engine.open();
    const store = await AasStore.open(backend);
    try {
      await store.putTarget({ ...key, doc: { min: 1, max: 5, roleArn: 'r', created: 1, arn: 'a', suspended: {} } });
      await store.putPolicy({ ...key, name: 'p', doc: { PolicyType: 'StepScaling' } });
      assert.equal((await store.listPolicies()).length, 1);
      const decide = (doc: TargetDoc) => (doc.lastScaleOut ? undefined : { doc: { ...doc, lastScaleOut: 10 }, result: 'scaled' });
      const results = await Promise.all([store.claim(key, decide), store.claim(key, decide)]);
      assert.deepEqual(results.sort(), ['scaled', undefined].sort());
      assert.equal((await store.getTarget(key))!.doc.lastScaleOut, 10);
      await store.addActivity(key, { ActivityId: '1', Description: 'd', Cause: 'c', StartTime: 1, StatusCode: 'Successful' });
      assert.equal((await store.activities(key.accountId, key.region, 'ecs'))[0]!.doc.ActivityId, '1');
      assert.equal(await store.deleteTarget(key), true);
      assert.deepEqual(await store.listPolicies(), []);
    } finally {
      await store.close();
      await backend.close();
    }
  });
}
