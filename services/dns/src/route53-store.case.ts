// The Route 53 and Cloud Map stores' contract, run on every engine (dns-stores.test.ts): zones with
// caller-reference idempotency, record sets in ListResourceRecordSets' order (byte order on both
// engines), atomic change batches, the zone signal, deletion only of empty zones, health status, and
// Cloud Map's unique names per parent.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineContext } from '@atoll/test-support';
import { Route53Store, ZONE_SIGNAL, type StoredRecordSet, type ZoneRecord } from './route53-store.js';
import { ServiceDiscoveryStore } from './servicediscovery-store.js';

const ACCOUNT = '000000000000';
let n = 0;
const zone = (name: string, ref = `ref-${++n}`): ZoneRecord => ({ id: `Z${++n}`, accountId: ACCOUNT, name, callerReference: ref, privateZone: false, vpcs: [], created: Date.now() + n });
const set = (Name: string, Type: StoredRecordSet['Type'], value: string, SetIdentifier?: string): StoredRecordSet => ({
  Name,
  Type,
  TTL: 60,
  ResourceRecords: [{ Value: value }],
  ...(SetIdentifier ? { SetIdentifier, Weight: 1 } : {}),
});
const change = () => ({ id: `C${++n}`, accountId: ACCOUNT, submittedAt: Date.now() });

export function dnsStoreCases(engine: EngineContext): void {
  it('creates a zone once per caller reference, with its first record sets', async () => {
    const store = await Route53Store.open(await engine.open());
    const z = zone('a.test.', 'same');
    assert.deepEqual(await store.createZone(z, [set('a.test.', 'NS', 'ns.a.test.'), set('a.test.', 'SOA', 'ns. h. 1 2 3 4 5')], change()), { created: true });
    const again = await store.createZone({ ...z, id: 'Zother' }, [], change());
    assert.equal(again.created, false);
    assert.equal(again.created === false && again.existing.id, z.id);
    assert.equal(await store.recordCount(z.id), 2);
    await store.close();
  });

  it('lists record sets by reversed labels, type and identifier, from any position', async () => {
    const store = await Route53Store.open(await engine.open());
    const z = zone('p.test.');
    await store.createZone(z, [], change());
    const names = ['b.p.test.', 'a.p.test.', 'a.b.p.test.', 'a-b.p.test.', 'Z.p.test.'.toLowerCase(), 'p.test.'];
    await store.applyChanges(z.id, names, () => names.map((name) => ({ op: 'put' as const, set: set(name, 'A', '192.0.2.1') })), change());
    await store.applyChanges(z.id, ['a.p.test.'], () => [{ op: 'put', set: set('a.p.test.', 'A', '192.0.2.2', 'w2') }, { op: 'put', set: set('a.p.test.', 'TXT', '"x"') }], change());
    const all = (await store.listRecordSets(z.id, 100)).map((s) => `${s.Name} ${s.Type} ${s.SetIdentifier ?? ''}`.trim());
    assert.deepEqual(all, ['p.test. A', 'a.p.test. A', 'a.p.test. A w2', 'a.p.test. TXT', 'a-b.p.test. A', 'b.p.test. A', 'a.b.p.test. A', 'z.p.test. A']);
    const from = (await store.listRecordSets(z.id, 2, { name: 'a.p.test.', type: 'A', setId: 'w2' })).map((s) => `${s.Name} ${s.Type}`);
    assert.deepEqual(from, ['a.p.test. A', 'a.p.test. TXT']);
    await store.close();
  });

  it('applies a batch entirely or not at all, and signals the zone', async () => {
    const storage = await engine.open();
    const store = await Route53Store.open(storage);
    const z = zone('t.test.');
    await store.createZone(z, [], change());
    const signals: string[] = [];
    const stop = store.signals.listen(ZONE_SIGNAL, (p) => signals.push(p));
    await assert.rejects(
      store.applyChanges(z.id, ['x.t.test.'], () => {
        throw new Error('refused');
      }, change()),
      /refused/,
    );
    assert.equal(await store.recordCount(z.id), 0);
    await store.applyChanges(z.id, ['x.t.test.'], (_zone, current) => {
      assert.deepEqual(current, []);
      return [{ op: 'put', set: set('x.t.test.', 'A', '192.0.2.1') }];
    }, change());
    const seen = await store.applyChanges(z.id, ['x.t.test.'], (_zone, current) => {
      assert.equal(current.length, 1);
      return [{ op: 'delete', set: current[0]! }];
    }, change());
    assert.equal(seen, 'applied');
    assert.equal(await store.applyChanges('Zmissing', [], () => [], change()), 'missing');
    for (let i = 0; i < 50 && signals.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    stop();
    assert.ok(signals.filter((s) => s === z.id).length >= 2);
    await store.close();
  });

  it('deletes a zone only when nothing but its apex SOA and NS remain', async () => {
    const store = await Route53Store.open(await engine.open());
    const z = zone('d.test.');
    await store.createZone(z, [set('d.test.', 'NS', 'ns.d.test.'), set('d.test.', 'SOA', 'ns. h. 1 2 3 4 5'), set('w.d.test.', 'A', '192.0.2.1')], change());
    assert.equal(await store.deleteZone(z.id, change()), 'not-empty');
    await store.applyChanges(z.id, ['w.d.test.'], (_z, cur) => cur.filter((s) => s.Name === 'w.d.test.').map((s) => ({ op: 'delete' as const, set: s })), change());
    assert.equal(await store.deleteZone(z.id, change()), 'deleted');
    assert.equal(await store.getZone(z.id), undefined);
    assert.equal(await store.deleteZone(z.id, change()), 'missing');
    await store.close();
  });

  it('keeps health status and tags', async () => {
    const store = await Route53Store.open(await engine.open());
    await store.putHealthStatus({ id: 'h1', healthy: false, report: 'Failure: x', checkedAt: 1 });
    await store.putHealthStatus({ id: 'h1', healthy: true, report: 'Success: y', checkedAt: 2 });
    assert.deepEqual(await store.healthStatuses(), [{ id: 'h1', healthy: true, report: 'Success: y', checkedAt: 2 }]);
    await store.changeTags('hostedzone', 'Z1', [{ Key: 'b', Value: '2' }, { Key: 'a', Value: '1' }], []);
    await store.changeTags('hostedzone', 'Z1', [{ Key: 'a', Value: '3' }], ['b']);
    assert.deepEqual(await store.tags('hostedzone', 'Z1'), [{ Key: 'a', Value: '3' }]);
    await store.close();
  });

  it('Cloud Map names are unique per parent, and a parent with children is not deleted', async () => {
    const store = await ServiceDiscoveryStore.open(await engine.open());
    const row = { kind: 'namespace' as const, id: 'ns-1', accountId: ACCOUNT, region: 'us-east-1', parent: '', name: 'apps', created: 1, doc: { n: 1 } };
    assert.deepEqual(await store.insert(row), { inserted: true });
    const again = await store.insert({ ...row, id: 'ns-2' });
    assert.equal(again.inserted, false);
    await store.insert({ kind: 'service', id: 'srv-1', accountId: ACCOUNT, region: 'us-east-1', parent: 'ns-1', name: 'api', created: 2, doc: {} });
    assert.equal(await store.delete('namespace', 'ns-1', 'service'), 'in-use');
    await store.upsert({ kind: 'instance', id: 'srv-1/i', accountId: ACCOUNT, region: 'us-east-1', parent: 'srv-1', name: 'i', created: 3, doc: { v: 1 } });
    await store.upsert({ kind: 'instance', id: 'srv-1/i', accountId: ACCOUNT, region: 'us-east-1', parent: 'srv-1', name: 'i', created: 3, doc: { v: 2 } });
    assert.deepEqual((await store.list(ACCOUNT, 'us-east-1', 'instance', 'srv-1')).map((r) => r.doc), [{ v: 2 }]);
    assert.equal(await store.count('instance', 'srv-1'), 1);
    await store.close();
  });
}
