// The MetricsStore contract, run on every storage engine (metrics-store.test.ts).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineContext } from '@atoll/test-support';
import { MetricsStore, histogram, type Bucket } from './metrics-store.js';

const key = { accountId: '000000000000', region: 'us-east-1', namespace: 'App', name: 'Latency', dims: [{ Name: 'A', Value: '1' }] };
const bucket = (ts: number, v: number): Bucket => ({ ts, sampleCount: 1, sum: v, min: v, max: v, vals: new Map([[v, 1]]) });

export function metricsStoreCases(engine: EngineContext): void {
  async function withStore(body: (store: MetricsStore) => Promise<void>): Promise<void> {
    const backend = await engine.open();
    const store = await MetricsStore.open(backend);
    try {
      await body(store);
    } finally {
      await store.close();
      await backend.close();
    }
  }

  it('merges data points into the stored bucket of their timestamp', () =>
    withStore(async (store) => {
      const id = await store.metricId(key, 1);
      assert.equal(await store.metricId({ ...key }, 2), id);
      await store.record([{ metricId: id, resolution: 60, buckets: [bucket(60_000, 5)] }], 1);
      await store.record([{ metricId: id, resolution: 60, buckets: [bucket(60_000, 7), bucket(120_000, 1)] }], 2);
      const rows = await store.buckets(id, 0, 180_000);
      assert.deepEqual(
        rows.map((r) => [r.bucket.ts, r.bucket.sampleCount, r.bucket.sum, r.bucket.min, r.bucket.max, [...histogram(r.bucket)!]]),
        [
          [60_000, 2, 12, 5, 7, [[5, 1], [7, 1]]],
          [120_000, 1, 1, 1, 1, [[1, 1]]],
        ],
      );
      assert.deepEqual((await store.listMetrics(key.accountId, key.region, { namespace: 'App' })).map((m) => m.dims), [key.dims]);
    }));

  it('rolls aged 1-second buckets up into minutes and deletes data past the last retention', () =>
    withStore(async (store) => {
      const id = await store.metricId(key, 1);
      const now = 500 * 86_400_000;
      const old = now - 4 * 3_600_000;
      await store.record([{ metricId: id, resolution: 1, buckets: [bucket(old, 1), bucket(old + 1000, 3)] }], 1);
      await store.record([{ metricId: id, resolution: 3600, buckets: [bucket(now - 460 * 86_400_000, 9)] }], 1);
      assert.equal(await store.rollUp(now), 3);
      const rows = await store.buckets(id, 0, now);
      assert.deepEqual(rows.map((r) => [r.resolution, r.bucket.ts, r.bucket.sampleCount, r.bucket.sum]), [[60, Math.floor(old / 60_000) * 60_000, 2, 4]]);
    }));

  it('keeps alarms with their state and history', () =>
    withStore(async (store) => {
      const state = { value: 'INSUFFICIENT_DATA' as const, reason: 'Unchecked', updated: 1, transitioned: 1 };
      await store.putAlarm({ accountId: key.accountId, region: key.region, name: 'a', kind: 'MetricAlarm', config: { Threshold: 1 }, state });
      const a = (await store.getAlarm(key.accountId, key.region, 'a'))!;
      await store.setState(a, { ...state, value: 'ALARM', updated: 2 }, [{ name: 'a', kind: 'MetricAlarm', ts: 2, itemType: 'StateUpdate', summary: 's', data: '{}' }]);
      assert.equal((await store.getAlarm(key.accountId, key.region, 'a'))!.state.value, 'ALARM');
      // A configuration update keeps the state.
      await store.putAlarm({ ...a, config: { Threshold: 2 } });
      const again = (await store.getAlarm(key.accountId, key.region, 'a'))!;
      assert.deepEqual([again.state.value, again.config.Threshold], ['ALARM', 2]);
      assert.equal((await store.history(key.accountId, key.region, { name: 'a', ascending: false, limit: 10, offset: 0 })).length, 1);
      assert.equal(await store.deleteAlarm(key.accountId, key.region, 'a'), true);
    }));

  it('keeps dashboards per account, lists them by prefix in name order and pages after a name', () =>
    withStore(async (store) => {
      for (const name of ['ops-b', 'ops-a', 'app', 'ops-c']) await store.putDashboard('111111111111', { name, body: `{"n":"${name}"}`, modified: 5 });
      await store.putDashboard('222222222222', { name: 'ops-z', body: '{}', modified: 5 });
      await store.putDashboard('111111111111', { name: 'ops-a', body: '{"v":2}', modified: 9 });
      assert.deepEqual(await store.getDashboard('111111111111', 'ops-a'), { name: 'ops-a', body: '{"v":2}', modified: 9 });
      assert.equal(await store.getDashboard('222222222222', 'ops-a'), undefined);
      assert.deepEqual((await store.listDashboards('111111111111', 'ops-', '', 2)).map((d) => d.name), ['ops-a', 'ops-b']);
      assert.deepEqual((await store.listDashboards('111111111111', 'ops-', 'ops-b', 2)).map((d) => d.name), ['ops-c']);
      assert.deepEqual((await store.listDashboards('111111111111', '', '', 10)).map((d) => d.name), ['app', 'ops-a', 'ops-b', 'ops-c']);
    }));

  it('deletes all the named dashboards, or none of them when one does not exist', () =>
    withStore(async (store) => {
      for (const name of ['a', 'b']) await store.putDashboard('111111111111', { name, body: '{}', modified: 1 });
      assert.equal(await store.deleteDashboards('111111111111', ['a', 'missing']), 'missing');
      assert.ok(await store.getDashboard('111111111111', 'a'));
      assert.equal(await store.deleteDashboards('111111111111', ['a', 'b', 'a']), undefined);
      assert.deepEqual(await store.listDashboards('111111111111', '', '', 10), []);
    }));
}
