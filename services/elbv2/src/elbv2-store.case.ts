// The ELBv2 store's contract, run on every engine (elbv2-store.test.ts): load balancers, listeners,
// rules with priorities unique per listener (across nodes), target groups and their registered
// targets, tags, and the configuration signal the data-plane leader follows.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { isUniqueViolation } from '@atoll/storage';
import type { EngineContext } from '@atoll/test-support';
import { CONFIG_SIGNAL, Elbv2Store } from './elbv2-store.js';
import type { ListenerRecord, LoadBalancerRecord, RuleRecord, TargetGroupRecord } from './records.js';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const arn = (resource: string) => `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:${resource}`;

function loadBalancer(name: string, region = REGION): LoadBalancerRecord {
  return {
    arn: arn(`loadbalancer/app/${name}/${region}0000000`),
    accountId: ACCOUNT,
    region,
    name,
    type: 'application',
    scheme: 'internet-facing',
    ipAddressType: 'ipv4',
    dnsName: `${name}-1.${region}.elb.localhost`,
    createdTime: new Date().toISOString(),
    securityGroups: [],
    subnets: [],
    attributes: {},
  };
}

function listener(lb: LoadBalancerRecord, port: number): ListenerRecord {
  return {
    arn: arn(`listener/app/${lb.name}/x/${port}`),
    accountId: ACCOUNT,
    region: REGION,
    loadBalancerArn: lb.arn,
    port,
    protocol: 'HTTP',
    certificates: [],
    defaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
    defaultRuleArn: arn(`listener-rule/app/${lb.name}/x/${port}/default`),
    attributes: {},
  };
}

function rule(l: ListenerRecord, id: string, priority: number): RuleRecord {
  return {
    arn: `${l.defaultRuleArn.replace(/default$/, '')}${id}`,
    accountId: ACCOUNT,
    region: REGION,
    listenerArn: l.arn,
    priority,
    conditions: [{ Field: 'path-pattern', Values: [`/${id}`] }],
    actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }],
  };
}

function targetGroup(name: string): TargetGroupRecord {
  return {
    arn: arn(`targetgroup/${name}/0000000000000000`),
    accountId: ACCOUNT,
    region: REGION,
    name,
    protocol: 'HTTP',
    port: 80,
    targetType: 'ip',
    ipAddressType: 'ipv4',
    healthCheck: { enabled: true, protocol: 'HTTP', port: 'traffic-port', path: '/', intervalSeconds: 30, timeoutSeconds: 5, healthyThreshold: 5, unhealthyThreshold: 2, matcher: '200' },
    attributes: {},
    targets: [],
  };
}

/** Adds a target to a group the way RegisterTargets does: read, change and write in one transaction. */
const register = (store: Elbv2Store, tgArn: string, id: string, port: number) =>
  store.transaction(async (tx) => {
    const tg = (await tx.targetGroups.get(tgArn))!;
    if (!tg.targets.some((t) => t.id === id && t.port === port)) tg.targets.push({ id, port });
    await tx.targetGroups.put(tg);
  });

/** Creates a rule the way CreateRule does: the priority is checked and written in one transaction. */
const createRule = (store: Elbv2Store, r: RuleRecord) =>
  store.transaction(async (tx) => {
    if ((await tx.rules.byParent(r.listenerArn)).some((x) => x.priority === r.priority)) throw new Error('PriorityInUse');
    await tx.rules.put(r);
  });

export function elbv2StoreCases(engine: EngineContext): void {
  const multiNode = engine.engine === 'postgres' ? false : 'SQLite serves one node';
  const open = async (origin = 'node-1'): Promise<Elbv2Store> => Elbv2Store.open(await engine.open(), origin);

  it('keeps load balancers per account and region in creation order, and a replaced one keeps its place', async () => {
    const store = await open();
    const web = loadBalancer('web');
    const api = loadBalancer('api');
    await store.transaction(async (tx) => {
      await tx.loadBalancers.put(web);
      await tx.loadBalancers.put(api);
      await tx.loadBalancers.put(loadBalancer('far', 'eu-west-1'));
    });
    assert.deepEqual((await store.loadBalancers.list(ACCOUNT, REGION)).map((lb) => lb.name), ['web', 'api']);
    await store.transaction((tx) => tx.loadBalancers.put({ ...web, attributes: { 'idle_timeout.timeout_seconds': '30' } }));
    const listed = await store.loadBalancers.list(ACCOUNT, REGION);
    assert.deepEqual(listed.map((lb) => lb.name), ['web', 'api']);
    assert.equal(listed[0]!.attributes['idle_timeout.timeout_seconds'], '30');
    assert.deepEqual(await store.loadBalancers.get(api.arn), api);
    assert.equal((await store.loadBalancers.all()).length, 3);
    await store.transaction((tx) => tx.loadBalancers.delete(api.arn));
    assert.equal(await store.loadBalancers.get(api.arn), undefined);
  });

  it('refuses a second load balancer of the same name in one account and region', async () => {
    const store = await open();
    await store.transaction((tx) => tx.loadBalancers.put(loadBalancer('web')));
    await assert.rejects(
      store.transaction((tx) => tx.loadBalancers.put({ ...loadBalancer('web'), arn: arn('loadbalancer/app/web/other') })),
      (e) => isUniqueViolation(e),
    );
  });

  it('keeps listeners per load balancer with one listener per port, and finds the listener on a port', async () => {
    const store = await open();
    const a = loadBalancer('a');
    const b = loadBalancer('b');
    const la = listener(a, 8080);
    await store.transaction(async (tx) => {
      await tx.loadBalancers.put(a);
      await tx.loadBalancers.put(b);
      await tx.listeners.put(la);
      await tx.listeners.put(listener(a, 8081));
    });
    assert.deepEqual((await store.listeners.byParent(a.arn)).map((l) => l.port), [8080, 8081]);
    assert.deepEqual(await store.listeners.byParent(b.arn), []);
    assert.equal((await store.listenerOnPort(8080))?.arn, la.arn);
    assert.equal(await store.listenerOnPort(9999), undefined);
    await assert.rejects(
      store.transaction((tx) => tx.listeners.put({ ...listener(a, 8080), arn: arn('listener/app/a/x/dup') })),
      (e) => isUniqueViolation(e),
    );
    // A moved listener frees its old port.
    await store.transaction((tx) => tx.listeners.put({ ...la, port: 9090 }));
    assert.equal(await store.listenerOnPort(8080), undefined);
    assert.equal((await store.listenerOnPort(9090))?.arn, la.arn);
  });

  it('keeps rule priorities unique per listener, and lets rules swap priorities in one transaction', async () => {
    const store = await open();
    const lb = loadBalancer('rules');
    const one = listener(lb, 1001);
    const two = listener(lb, 1002);
    const r1 = rule(one, 'r1', 10);
    const r2 = rule(one, 'r2', 20);
    await store.transaction(async (tx) => {
      await tx.loadBalancers.put(lb);
      await tx.listeners.put(one);
      await tx.listeners.put(two);
      await tx.rules.put(r1);
      await tx.rules.put(r2);
      await tx.rules.put(rule(two, 'r3', 10));
    });
    await assert.rejects(store.transaction((tx) => tx.rules.put(rule(one, 'r4', 10))), (e) => isUniqueViolation(e));
    // SetRulePriorities parks the moved rules on negative priorities first.
    await store.transaction(async (tx) => {
      await tx.rules.put({ ...r1, priority: -1 });
      await tx.rules.put({ ...r2, priority: -2 });
      await tx.rules.put({ ...r1, priority: 20 });
      await tx.rules.put({ ...r2, priority: 10 });
    });
    const rules = await store.rules.byParent(one.arn);
    assert.deepEqual(rules.map((r) => [r.arn, r.priority]), [[r1.arn, 20], [r2.arn, 10]]);
    await store.transaction((tx) => tx.rules.delete(r2.arn));
    await createRule(store, rule(one, 'r5', 10));
    assert.deepEqual((await store.rules.byParent(one.arn)).map((r) => r.priority).sort(), [10, 20]);
  });

  it('keeps target groups with their registered targets', async () => {
    const store = await open();
    const tg = targetGroup('tg');
    await store.transaction((tx) => tx.targetGroups.put(tg));
    await register(store, tg.arn, '10.0.0.1', 80);
    await register(store, tg.arn, '10.0.0.2', 8080);
    await register(store, tg.arn, '10.0.0.1', 80);
    assert.deepEqual((await store.targetGroups.get(tg.arn))!.targets, [{ id: '10.0.0.1', port: 80 }, { id: '10.0.0.2', port: 8080 }]);
    assert.deepEqual((await store.targetGroups.list(ACCOUNT, REGION)).map((t) => t.name), ['tg']);
    await store.transaction((tx) => tx.targetGroups.delete(tg.arn));
    assert.equal(await store.targetGroups.get(tg.arn), undefined);
  });

  it('keeps tags per resource: added, replaced, removed and dropped with the resource', async () => {
    const store = await open();
    const lb = loadBalancer('tagged').arn;
    await store.transaction((tx) => tx.putTags(lb, [{ Key: 'b', Value: '1' }, { Key: 'a' }]));
    await store.transaction((tx) => tx.putTags(lb, [{ Key: 'b', Value: '2' }]));
    assert.deepEqual(await store.tags(lb), [{ Key: 'a', Value: '' }, { Key: 'b', Value: '2' }]);
    await store.transaction((tx) => tx.removeTags(lb, ['a', 'missing']));
    assert.deepEqual(await store.tags(lb), [{ Key: 'b', Value: '2' }]);
    await store.transaction((tx) => tx.deleteAllTags(lb));
    assert.deepEqual(await store.tags(lb), []);
  });

  it('signals a configuration change with the writer\'s origin once per transaction, and not for tags alone', async () => {
    const store = await open('origin-a');
    const seen: string[] = [];
    const stop = store.db.signals.listen(CONFIG_SIGNAL, (origin) => seen.push(origin));
    const tg = targetGroup('signalled');
    await store.transaction(async (tx) => {
      await tx.targetGroups.put(tg);
      await tx.targetGroups.put({ ...tg, attributes: { a: '1' } });
    });
    await store.transaction((tx) => tx.putTags(tg.arn, [{ Key: 'k', Value: 'v' }]));
    await store.transaction((tx) => tx.targetGroups.delete(tg.arn));
    const deadline = Date.now() + 1000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 50));
    stop();
    assert.deepEqual(seen, ['origin-a', 'origin-a']);
  });

  it('reads every record at once for the data planes', async () => {
    const store = await open();
    const lb = loadBalancer('snap');
    const l = listener(lb, 2001);
    await store.transaction(async (tx) => {
      await tx.loadBalancers.put(lb);
      await tx.targetGroups.put(targetGroup('snap-tg'));
      await tx.listeners.put(l);
      await tx.rules.put(rule(l, 'r', 1));
    });
    const snapshot = await store.snapshot();
    assert.deepEqual(
      [snapshot.loadBalancers.length, snapshot.targetGroups.length, snapshot.listeners.length, snapshot.rules.length],
      [1, 1, 1, 1],
    );
  });

  it('records written on one node are read on another, which hears the change signal', { skip: multiNode }, async () => {
    const one = await open('node-1');
    const two = await Elbv2Store.open(await engine.node(), 'node-2');
    const heard: string[] = [];
    const stop = two.db.signals.listen(CONFIG_SIGNAL, (origin) => heard.push(origin));
    const lb = loadBalancer('shared');
    await one.transaction((tx) => tx.loadBalancers.put(lb));
    assert.deepEqual(await two.loadBalancers.get(lb.arn), lb);
    const deadline = Date.now() + 1000;
    while (heard.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    stop();
    assert.deepEqual(heard, ['node-1']);
  });

  it('two nodes creating rules of one priority on one listener at once create exactly one', { skip: multiNode }, async () => {
    const one = await open('node-1');
    const two = await Elbv2Store.open(await engine.node(), 'node-2');
    const lb = loadBalancer('race');
    const l = listener(lb, 3001);
    await one.transaction(async (tx) => {
      await tx.loadBalancers.put(lb);
      await tx.listeners.put(l);
    });
    const outcomes = await Promise.allSettled([createRule(one, rule(l, 'a', 5)), createRule(two, rule(l, 'b', 5)), createRule(one, rule(l, 'c', 5))]);
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
    for (const o of outcomes) {
      if (o.status === 'rejected') assert.ok(isUniqueViolation(o.reason) || (o.reason as Error).message === 'PriorityInUse', String(o.reason));
    }
    assert.deepEqual((await two.rules.byParent(l.arn)).map((r) => r.priority), [5]);
  });

  it('two nodes registering targets in one group at once keep every target', { skip: multiNode }, async () => {
    const one = await open('node-1');
    const two = await Elbv2Store.open(await engine.node(), 'node-2');
    const tg = targetGroup('busy');
    await one.transaction((tx) => tx.targetGroups.put(tg));
    await Promise.all([1, 2, 3, 4, 5, 6].map((i) => register(i % 2 ? one : two, tg.arn, `10.0.0.${i}`, 80)));
    const ids = (await one.targetGroups.get(tg.arn))!.targets.map((t) => t.id).sort();
    assert.deepEqual(ids, ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
  });
}
