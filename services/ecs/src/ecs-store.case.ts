// The EcsStore contract, run on every storage engine (ecs-store.test.ts): clusters, task definitions
// and their revisions, services and tasks, and on PostgreSQL what must hold across two nodes.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { StorageBackend } from '@atoll/core';
import type { EngineContext } from '@atoll/test-support';
import { EcsStore, type StoredService, type StoredTask } from './ecs-store.js';
import type { Cluster, Service, Task, TaskDefinition } from './ecs-types.js';

const scope = { accountId: '000000000000', region: 'us-east-1' };
const other = { accountId: '111111111111', region: 'us-east-1' };
const NODES = 'several nodes need PostgreSQL';

function def(family: string, revision: number, status: TaskDefinition['status'] = 'ACTIVE'): TaskDefinition {
  return { taskDefinitionArn: `arn:aws:ecs:us-east-1:000000000000:task-definition/${family}:${revision}`, family, revision, status, containerDefinitions: [], registeredAt: '' };
}

function cluster(name: string, status: Cluster['status'] = 'ACTIVE'): Cluster {
  return {
    clusterArn: `arn:aws:ecs:us-east-1:000000000000:cluster/${name}`,
    clusterName: name,
    status,
    tags: [],
    settings: [],
    capacityProviders: [],
    defaultCapacityProviderStrategy: [],
  } as unknown as Cluster;
}

function task(id: string, lastStatus: Task['lastStatus'], extra: Partial<Task> = {}): StoredTask {
  return {
    task: { taskArn: `arn:aws:ecs:us-east-1:000000000000:task/default/${id}`, lastStatus, desiredStatus: 'RUNNING', containers: [], version: 1, ...extra } as unknown as Task,
    internal: { accountId: scope.accountId, region: scope.region, clusterName: 'default', processes: [], targets: [], logStreams: [] },
  };
}

function service(name: string, status: Service['status'] = 'ACTIVE'): StoredService {
  return {
    service: {
      serviceArn: `arn:aws:ecs:us-east-1:000000000000:service/default/${name}`,
      serviceName: name,
      clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/default',
      status,
      desiredCount: 0,
      deployments: [],
      events: [],
    } as unknown as Service,
    internal: { accountId: scope.accountId, region: scope.region, steady: false },
  };
}

/**
 * Stores on `count` nodes (fresh state). `close` ends their connections at once: PostgreSQL's
 * connections are shared with every other suite of the run.
 */
async function open(engine: EngineContext, count = 1): Promise<{ stores: EcsStore[]; storages: StorageBackend[]; close(): Promise<void> }> {
  const storages = [await engine.open()];
  for (let i = 1; i < count; i++) storages.push(await engine.node());
  const stores = await Promise.all(storages.map((s) => EcsStore.open(s)));
  return {
    stores,
    storages,
    async close() {
      for (const store of stores) await store.close();
      for (const storage of storages) await storage.close();
    },
  };
}

const ids = (tasks: StoredTask[]) => tasks.map((t) => t.task.taskArn.split('/').pop());

export function ecsStoreCases(engine: EngineContext): void {
  it('keeps task definitions per account and finds the latest ACTIVE revision', async () => {
    const { stores: [store], close } = await open(engine);
    await store.putTaskDefinition(scope, def('api', 1));
    await store.putTaskDefinition(scope, def('api', 2, 'INACTIVE'));
    await store.putTaskDefinition(scope, def('api_x', 1));
    assert.equal((await store.getTaskDefinition(scope, 'api'))!.revision, 1);
    assert.equal(await store.latestRevision(scope, 'api'), 2);
    assert.equal(await store.getTaskDefinition(other, 'api'), undefined);
    // '_' is not a wildcard here.
    assert.deepEqual(await store.listFamilies(scope, { familyPrefix: 'api_' }), ['api_x']);
    assert.deepEqual(await store.listFamilies(scope, { status: 'ALL' }), ['api', 'api_x']);
    assert.deepEqual(await store.listFamilies(scope, { status: 'INACTIVE' }), []);
    await close();
  });

  it('numbers the revisions of a family 1, 2, 3 and changes one revision in place', async () => {
    const { stores: [store], close } = await open(engine);
    for (let i = 0; i < 3; i++) await store.registerTaskDefinition(scope, 'web', (revision) => def('web', revision));
    await store.registerTaskDefinition(other, 'web', (revision) => def('web', revision));
    assert.deepEqual((await store.listTaskDefinitions(scope, { familyPrefix: 'we' })).map((d) => d.revision), [1, 2, 3]);
    assert.equal(await store.latestRevision(other, 'web'), 1);
    const changed = await store.updateTaskDefinition(scope, 'web', 3, (d) => {
      d.status = 'INACTIVE';
    });
    assert.equal(changed!.status, 'INACTIVE');
    assert.equal((await store.getTaskDefinition(scope, 'web'))!.revision, 2, 'the latest ACTIVE revision');
    assert.deepEqual((await store.listTaskDefinitions(scope, { status: 'INACTIVE' })).map((d) => d.revision), [3]);
    assert.deepEqual((await store.listTaskDefinitions(scope, { descending: true })).map((d) => d.revision), [3, 2, 1]);
    assert.equal(await store.updateTaskDefinition(scope, 'web', 9, () => {}), undefined);
    await assert.rejects(
      store.registerTaskDefinition(scope, 'web', () => {
        throw new Error('refused');
      }),
      /refused/,
    );
    assert.equal(await store.latestRevision(scope, 'web'), 3, 'a refused registration takes no revision');
    await close();
  });

  it('creates a cluster once and refuses to deactivate it while a service or a live task is in it', async () => {
    const { stores: [store], close } = await open(engine);
    const first = await store.ensureCluster(scope, cluster('prod'));
    assert.equal(first.created, true);
    const again = await store.ensureCluster(scope, { ...cluster('prod'), tags: [{ key: 'k', value: 'v' }] });
    assert.equal(again.created, false);
    assert.deepEqual(again.cluster.tags, []);
    await store.updateCluster(scope, 'prod', (c) => {
      c.tags = [{ key: 'team', value: 'a' }];
    });
    assert.deepEqual((await store.getCluster(scope, 'prod'))!.tags, [{ key: 'team', value: 'a' }]);
    assert.deepEqual((await store.listClusters(scope)).map((c) => c.clusterName), ['prod']);
    assert.deepEqual(await store.listClusters(other), []);

    const svc = service('web');
    svc.service.clusterArn = 'arn:aws:ecs:us-east-1:000000000000:cluster/prod';
    await store.putService(svc);
    assert.equal(await store.deactivateCluster(scope, 'prod'), 'services');
    await store.updateService(scope, 'prod', 'web', (s) => {
      s.service.status = 'INACTIVE';
    });
    const running = task('t1', 'RUNNING');
    running.internal.clusterName = 'prod';
    await store.putTask(running);
    assert.equal(await store.deactivateCluster(scope, 'prod'), 'tasks');
    await store.updateTask(scope, 't1', (t) => {
      t.task.lastStatus = 'STOPPED';
    });
    const inactive = await store.deactivateCluster(scope, 'prod');
    assert.equal(typeof inactive === 'object' && inactive.status, 'INACTIVE');
    assert.equal(await store.deactivateCluster(scope, 'ghost'), undefined);
    assert.equal((await store.ensureCluster(scope, cluster('prod'))).created, true, 'an INACTIVE cluster is replaced');
    await close();
  });

  it('creates, changes, lists and deletes services, refusing a create that its check refuses', async () => {
    const { stores: [store], close } = await open(engine);
    await store.createService(service('b'), () => {});
    await store.createService(service('a'), () => {});
    await assert.rejects(
      store.createService(service('a'), (existing) => {
        if (existing) throw new Error('not idempotent');
      }),
      /not idempotent/,
    );
    const changed = await store.updateService(scope, 'default', 'a', (s) => {
      s.service.desiredCount = 3;
      s.internal.steady = true;
    });
    assert.equal(changed!.service.desiredCount, 3);
    assert.equal((await store.getService(scope, 'default', 'a'))!.internal.steady, true);
    assert.equal(await store.updateService(scope, 'default', 'ghost', () => {}), undefined);
    await assert.rejects(
      store.updateService(scope, 'default', 'a', (s) => {
        s.service.desiredCount = 99;
        throw new Error('refused');
      }),
    );
    assert.equal((await store.getService(scope, 'default', 'a'))!.service.desiredCount, 3, 'a refused change keeps nothing');
    assert.deepEqual((await store.listServices(scope, 'default')).map((s) => s.service.serviceName), ['b', 'a'], 'in creation order');
    await store.updateService(scope, 'default', 'b', (s) => {
      s.service.status = 'INACTIVE';
    });
    assert.deepEqual((await store.scheduledServices()).map((s) => s.service.serviceName), ['a']);
    await store.deleteService(scope, 'default', 'a');
    assert.equal(await store.getService(scope, 'default', 'a'), undefined);
    await close();
  });

  it('changes tasks in place, lists them in creation order and purges those stopped long ago', async () => {
    const { stores: [store], close } = await open(engine);
    await store.putTask(task('z', 'PENDING'));
    await store.putTask(task('a', 'RUNNING'));
    const after = await store.updateTask(scope, 'z', (t) => {
      t.task.lastStatus = 'RUNNING';
      t.internal.node = 'n1';
    });
    assert.equal(after!.task.lastStatus, 'RUNNING');
    assert.equal((await store.getTask(scope, 'z'))!.internal.node, 'n1');
    const unchanged = await store.updateTask(scope, 'a', (t) => {
      t.task.lastStatus = 'STOPPED';
      return false;
    });
    assert.equal(unchanged!.task.lastStatus, 'STOPPED', 'the callback saw its own edit');
    assert.equal((await store.getTask(scope, 'a'))!.task.lastStatus, 'RUNNING', 'but false wrote nothing');
    assert.deepEqual(ids(await store.listTasks(scope, 'default')), ['z', 'a']);
    assert.equal(await store.getTask(other, 'z'), undefined);
    assert.equal(await store.updateTask(scope, 'ghost', () => {}), undefined);
    await close();
  });

  it('survives a reopen and lists only live tasks as live', async () => {
    const storage = await engine.open();
    let store = await EcsStore.open(storage);
    await store.putTask(task('a', 'RUNNING'));
    await store.putTask(task('b', 'STOPPED', { stoppedAt: new Date(0).toISOString() }));
    await store.close();
    store = await EcsStore.open(storage);
    assert.deepEqual(ids(await store.liveTasks()), ['a']);
    assert.equal(await store.purgeStoppedTasks(Date.now()), 1);
    assert.deepEqual(ids(await store.listTasks(scope, 'default')), ['a']);
    await store.close();
    await storage.close();
  });

  it('gives concurrent registrations of one family from two nodes distinct, consecutive revisions', { skip: engine.engine === 'sqlite' && NODES }, async () => {
    const { stores: [one, two], close } = await open(engine, 2);
    const register = (store: EcsStore) => store.registerTaskDefinition(scope, 'race', (revision) => def('race', revision));
    const defs = await Promise.all(Array.from({ length: 12 }, (_, i) => register(i % 2 === 0 ? one : two)));
    assert.deepEqual(
      defs.map((d) => d.revision).sort((a, b) => a - b),
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    assert.deepEqual((await two.listTaskDefinitions(scope, { familyPrefix: 'race' })).map((d) => d.taskDefinitionArn.split(':').pop()), defs.map((_, i) => String(i + 1)));
    await close();
  });

  it('lists on a second node the cluster that the first node created', { skip: engine.engine === 'sqlite' && NODES }, async () => {
    const { stores: [one, two], close } = await open(engine, 2);
    await one.ensureCluster(scope, cluster('shared'));
    assert.deepEqual((await two.listClusters(scope)).map((c) => c.clusterName), ['shared']);
    assert.equal((await two.ensureCluster(scope, cluster('shared'))).created, false);
    await close();
  });

  it('keeps every change when two nodes change one service at once', { skip: engine.engine === 'sqlite' && NODES }, async () => {
    const { stores: [one, two], close } = await open(engine, 2);
    await one.createService(service('counter'), () => {});
    const bump = (store: EcsStore) =>
      store.updateService(scope, 'default', 'counter', (s) => {
        s.service.desiredCount++;
      });
    await Promise.all(Array.from({ length: 10 }, (_, i) => bump(i % 2 === 0 ? one : two)));
    assert.equal((await one.getService(scope, 'default', 'counter'))!.service.desiredCount, 10);
    await close();
  });

  it("wakes the scheduler's listener on another node", { skip: engine.engine === 'sqlite' && NODES }, async () => {
    const { stores: [one, two], close } = await open(engine, 2);
    let heard!: (payload: string) => void;
    const payload = new Promise<string>((resolve) => (heard = resolve));
    await one.listenScheduler((p) => {
      if (p) heard(p);
    });
    await two.notifyScheduler('arn:aws:ecs:us-east-1:000000000000:service/default/web');
    assert.equal(await payload, 'arn:aws:ecs:us-east-1:000000000000:service/default/web');
    await close();
  });
}
