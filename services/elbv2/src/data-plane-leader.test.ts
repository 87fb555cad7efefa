// The load balancers' data planes run on the node that leads `elbv2:data-planes`: it builds them from
// the database, follows changes made on other nodes, and another node takes them over when it stops.
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import type { StorageBackend } from '@atoll/core';
import { fakePlatform, forEachEngine, requestContext, type EngineContext } from '@atoll/test-support';
import { Elbv2Provider } from './elbv2-provider.js';
import { Elbv2Store } from './elbv2-store.js';
import { DATA_PLANES_ROLE } from './data-plane-leader.js';

const ctx = requestContext({ service: 'elbv2' });

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function until(check: () => Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const fakes: ReturnType<typeof fakePlatform>[] = [];
after(() => fakes.forEach((f) => f.cleanup()));

async function provider(storage: StorageBackend, origin: string): Promise<Elbv2Provider> {
  const fake = fakePlatform();
  fakes.push(fake);
  const platform = { ...fake, storage };
  const p = new Elbv2Provider(platform, await Elbv2Store.open(storage, origin));
  await p.start();
  return p;
}

/** Creates a load balancer with a fixed-response listener through `p`'s operations. */
async function fixedListener(p: Elbv2Provider, name: string, port: number, body: string): Promise<void> {
  const created = (await p.operations.CreateLoadBalancer!({ Name: name }, ctx)) as { LoadBalancers: { LoadBalancerArn: string }[] };
  await p.operations.CreateListener!(
    {
      LoadBalancerArn: created.LoadBalancers[0]!.LoadBalancerArn,
      Protocol: 'HTTP',
      Port: port,
      DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain', MessageBody: body } }],
    },
    ctx,
  );
}

function cases(engine: EngineContext): void {
  const multiNode = engine.engine === 'postgres' ? false : 'SQLite serves one node';

  it('the leader binds a listener created through it before the call returns, and again after a restart', async () => {
    const storage = await engine.open();
    let p = await provider(storage, 'node-1');
    await until(async () => storage.leadership.isLeader(DATA_PLANES_ROLE), 'leadership');
    const port = await freePort();
    await fixedListener(p, 'lead', port, 'from the leader');
    assert.equal((await get(port)).body, 'from the leader');
    await p.close();
    await assert.rejects(get(port), { code: 'ECONNREFUSED' });
    const again = engine.engine === 'postgres' ? await engine.node() : storage;
    p = await provider(again, 'node-1b');
    await until(async () => (await get(port)).body === 'from the leader', 'the listener rebuilt from the database');
    await p.close();
  });

  it('a listener created on a follower is bound by the leader, and the follower takes the ports over when the leader stops', { skip: multiNode }, async () => {
    const first = await engine.open();
    const leader = await provider(first, 'node-1');
    await until(async () => first.leadership.isLeader(DATA_PLANES_ROLE), 'node 1 leads');
    const second = await engine.node();
    const follower = await provider(second, 'node-2');
    assert.equal(second.leadership.isLeader(DATA_PLANES_ROLE), false);
    const port = await freePort();
    await fixedListener(follower, 'follow', port, 'bound by the leader');
    assert.deepEqual(follower.planes.pushed().listeners, []);
    await until(async () => (await get(port)).body === 'bound by the leader', 'the leader binds the follower\'s listener', 2000);
    await leader.close();
    await until(async () => second.leadership.isLeader(DATA_PLANES_ROLE), 'node 2 takes the lead');
    await until(async () => (await get(port)).body === 'bound by the leader', 'node 2 binds the listener');
    assert.equal(follower.planes.pushed().listeners.length, 1);
    await follower.close();
  });
}

await forEachEngine('ELBv2 data-plane leadership', cases);
