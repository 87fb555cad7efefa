// The ElastiCache store's contract, run on every engine (elasticache-store.test.ts): inserts that are
// all-or-none, read-change-write updates, listing by scope and across scopes, deletes.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineContext } from '@atoll/test-support';
import { ElastiCacheStore } from './elasticache-store.js';

const scope = { accountId: '000000000000', region: 'us-east-1' };
const other = { accountId: '111111111111', region: 'eu-west-1' };

export function elastiCacheStoreCases(engine: EngineContext): void {
  it('inserts a group and its members all or none, naming the record that exists', async () => {
    const store = await ElastiCacheStore.open(await engine.open());
    assert.equal(await store.insert(scope, [{ kind: 'cluster', id: 'a-001', body: { id: 'a-001' } }]), undefined);
    const clash = await store.insert(scope, [
      { kind: 'replication-group', id: 'a', body: { id: 'a' } },
      { kind: 'cluster', id: 'a-001', body: { id: 'a-001', second: true } },
    ]);
    assert.equal(clash, 'a-001');
    assert.equal(await store.get(scope, 'replication-group', 'a'), undefined);
    assert.deepEqual(await store.get(scope, 'cluster', 'a-001'), { id: 'a-001' });
    assert.equal(await store.insert(other, [{ kind: 'cluster', id: 'a-001', body: { id: 'elsewhere' } }]), undefined);
  });

  it('updates, inserts and deletes several records in one change', async () => {
    const store = await ElastiCacheStore.open(await engine.open());
    await store.insert(scope, [
      { kind: 'cluster', id: 'x', body: { n: 1 } },
      { kind: 'cluster', id: 'y', body: { n: 2 } },
    ]);
    const result = await store.update(scope, [{ kind: 'cluster', id: 'x' }, { kind: 'cluster', id: 'y' }, { kind: 'snapshot', id: 's' }], ([x, y, s]) => {
      assert.equal(s, undefined);
      return { bodies: [{ n: (x as { n: number }).n + 10 }, undefined, { name: 's' }], result: 'done' };
    });
    assert.equal(result, 'done');
    assert.deepEqual(await store.get(scope, 'cluster', 'x'), { n: 11 });
    assert.equal(await store.get(scope, 'cluster', 'y'), undefined);
    assert.deepEqual(await store.list(scope, 'snapshot'), [{ name: 's' }]);
  });

  it('keeps nothing of an update whose change throws', async () => {
    const store = await ElastiCacheStore.open(await engine.open());
    await store.insert(scope, [{ kind: 'cluster', id: 'x', body: { n: 1 } }]);
    await assert.rejects(
      store.update(scope, [{ kind: 'cluster', id: 'x' }], () => {
        throw new Error('refused');
      }),
      /refused/,
    );
    assert.deepEqual(await store.get(scope, 'cluster', 'x'), { n: 1 });
  });

  it('lists a kind per scope and across scopes, and deletes', async () => {
    const store = await ElastiCacheStore.open(await engine.open());
    await store.insert(scope, [{ kind: 'cluster', id: 'b', body: { id: 'b' } }, { kind: 'cluster', id: 'a', body: { id: 'a' } }]);
    await store.insert(other, [{ kind: 'cluster', id: 'c', body: { id: 'c' } }]);
    assert.deepEqual((await store.list<{ id: string }>(scope, 'cluster')).map((c) => c.id), ['a', 'b']);
    const everywhere = await store.listEverywhere<{ id: string }>('cluster');
    assert.deepEqual(everywhere.map((r) => `${r.accountId}/${r.region}/${r.id}`), ['000000000000/us-east-1/a', '000000000000/us-east-1/b', '111111111111/eu-west-1/c']);
    assert.equal(await store.delete(scope, 'cluster', 'a'), true);
    assert.equal(await store.delete(scope, 'cluster', 'a'), false);
  });

  it('keeps a serverless cache, its snapshot and its hidden node apart by kind', async () => {
    const store = await ElastiCacheStore.open(await engine.open());
    const clash = await store.insert(scope, [
      { kind: 'serverless-cache', id: 'web', body: { name: 'web' } },
      { kind: 'cluster', id: 'serverless:web', body: { id: 'serverless:web', serverlessCacheName: 'web' } },
      { kind: 'serverless-snapshot', id: 'web', body: { name: 'web', cacheName: 'web' } },
    ]);
    assert.equal(clash, undefined);
    assert.deepEqual(await store.list(scope, 'serverless-cache'), [{ name: 'web' }]);
    assert.deepEqual(await store.list(scope, 'serverless-snapshot'), [{ name: 'web', cacheName: 'web' }]);
    assert.deepEqual((await store.listEverywhere<{ id: string }>('cluster')).map((r) => r.id), ['serverless:web']);
    assert.equal(await store.insert(scope, [{ kind: 'serverless-cache', id: 'web', body: {} }]), 'web');
  });

  it('signals the fleet channel when asked', async () => {
    const store = await ElastiCacheStore.open(await engine.open());
    const seen: string[] = [];
    const stop = store.db.signals.listen('elasticache.fleet', (payload) => seen.push(payload));
    await store.insert(scope, [{ kind: 'cluster', id: 'z', body: {} }], true);
    await new Promise((r) => setTimeout(r, engine.engine === 'postgres' ? 300 : 20));
    stop();
    assert.deepEqual(seen, ['insert']);
  });
}
