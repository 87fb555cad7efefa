// The API Gateway store's contract, run on every engine (apigateway-store.test.ts): documents by
// kind and API, listing in creation order, an API's deletion taking its children with it, account-
// level documents, and the configuration signal the data plane follows.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineContext } from '@atoll/test-support';
import { ACCOUNT_LEVEL, ApiGatewayStore, CONFIG_SIGNAL, DOMAINS, type Row } from './apigateway-store.js';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const row = (kind: Row['kind'], apiId: string, id: string, doc: Record<string, unknown> = {}): Row => ({ accountId: ACCOUNT, region: REGION, kind, apiId, id, doc });

export function apiGatewayStoreCases(engine: EngineContext): void {
  it('inserts once per key, updates, lists in creation order and loads an API by id', async () => {
    const store = await ApiGatewayStore.open(await engine.open());
    assert.equal(await store.insert(row('httpapi', 'api1', 'api1', { Name: 'a' })), true);
    assert.equal(await store.insert(row('httpapi', 'api1', 'api1', { Name: 'again' })), false);
    await store.insert(row('route', 'api1', 'r2', { RouteKey: 'GET /b' }));
    await store.insert(row('route', 'api1', 'r1', { RouteKey: 'GET /a' }));
    assert.deepEqual((await store.list(ACCOUNT, REGION, 'route', 'api1')).map((r) => r.id), ['r2', 'r1']);
    assert.equal(await store.update(row('route', 'api1', 'r1', { RouteKey: 'GET /c' })), true);
    assert.equal(await store.update(row('route', 'api1', 'missing', {})), false);
    assert.deepEqual((await store.get(ACCOUNT, REGION, 'route', 'api1', 'r1'))?.doc, { RouteKey: 'GET /c' });
    assert.equal(await store.get('111111111111', REGION, 'route', 'api1', 'r1'), undefined, 'scoped by account');
    const loaded = await store.loadApi('api1');
    assert.deepEqual(loaded?.map((r) => r.id).sort(), ['api1', 'r1', 'r2']);
    assert.equal(await store.loadApi('nope'), undefined);
    assert.deepEqual((await store.listKind(ACCOUNT, REGION, 'httpapi')).map((r) => r.id), ['api1']);
  });

  it('deletes an API with its children but keeps account-level documents', async () => {
    const store = await ApiGatewayStore.open(await engine.open());
    await store.insert(row('restapi', 'rest1', 'rest1'));
    await store.insert(row('resource', 'rest1', 'res1', { path: '/' }));
    await store.insert(row('stage', 'rest1', 'prod'));
    await store.insert(row('apikey', '', 'key1', { value: 'v'.repeat(20) }));
    await store.insert(row('usageplan', '', 'plan1'));
    await store.insert(row('usageplankey', 'plan1', 'key1'));
    assert.equal(await store.delete(ACCOUNT, REGION, 'restapi', 'rest1', 'rest1'), true);
    assert.equal(await store.delete(ACCOUNT, REGION, 'restapi', 'rest1', 'rest1'), false);
    assert.equal(await store.get(ACCOUNT, REGION, 'stage', 'rest1', 'prod'), undefined);
    assert.deepEqual((await store.loadAccountLevel()).map((r) => r.kind).sort(), ['apikey', 'usageplan', 'usageplankey']);
    await store.deleteMany(ACCOUNT, REGION, 'plan1', [{ kind: 'usageplankey', id: 'key1' }]);
    assert.deepEqual((await store.loadAccountLevel()).map((r) => r.kind).sort(), ['apikey', 'usageplan']);
  });

  it('keeps domain names with their mappings apart from APIs, and deletes a domain with its mappings', async () => {
    const store = await ApiGatewayStore.open(await engine.open());
    await store.insert(row('httpapi', 'dom1', 'dom1'));
    await store.insert(row('domainname', '', 'api.example.com', { domainName: 'api.example.com' }));
    await store.insert(row('apimapping', 'api.example.com', 'm1', { ApiId: 'dom1', Stage: 'prod', ApiMappingKey: '' }));
    assert.deepEqual((await store.loadDomains()).map((r) => `${r.kind}:${r.id}`), ['domainname:api.example.com', 'apimapping:m1']);
    assert.deepEqual((await store.loadApi('dom1'))?.map((r) => r.kind), ['httpapi'], 'an API does not load the mappings of a domain');
    assert.equal(await store.delete(ACCOUNT, REGION, 'domainname', '', 'api.example.com'), true);
    assert.deepEqual(await store.loadDomains(), []);
    assert.ok(await store.get(ACCOUNT, REGION, 'httpapi', 'dom1', 'dom1'), 'the API stays');
  });

  it('counts quota use atomically: concurrent requests never pass the limit, and periods count apart', async () => {
    const store = await ApiGatewayStore.open(await engine.open());
    const results = await Promise.all(Array.from({ length: 25 }, () => store.consumeQuota(ACCOUNT, REGION, 'plan', 'key', '2026-0-5', 10)));
    assert.equal(results.filter(Boolean).length, 10);
    assert.equal(await store.consumeQuota(ACCOUNT, REGION, 'plan', 'key', '2026-0-5', 10), false);
    assert.equal(await store.consumeQuota(ACCOUNT, REGION, 'plan', 'key', '2026-0-6', 10), true, 'a new period starts at zero');
    assert.equal(await store.consumeQuota(ACCOUNT, REGION, 'plan', 'other', '2026-0-5', 10), true, 'each key has its own count');
    assert.equal(await store.consumeQuota(ACCOUNT, REGION, 'plan', 'key', '2026-0-5', 11), true, 'a raised limit lets more in');
    assert.equal(await store.consumeQuota(ACCOUNT, REGION, 'plan', 'zero', '2026-0-5', 0), false);
  });

  it('signals the API id on a change, and `*` for keys and plans', async () => {
    const store = await ApiGatewayStore.open(await engine.open());
    const seen: string[] = [];
    const stop = store.signals.listen(CONFIG_SIGNAL, (payload) => seen.push(payload));
    try {
      await store.insert(row('httpapi', 'sig1', 'sig1'));
      await store.insert(row('apikey', '', 'k'));
      await store.insert(row('domainname', '', 'sig.example.com'));
      const deadline = Date.now() + 3000;
      while (seen.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(seen, ['sig1', ACCOUNT_LEVEL, DOMAINS]);
    } finally {
      stop();
    }
  });
}
