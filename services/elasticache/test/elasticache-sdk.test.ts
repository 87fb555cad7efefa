// ElastiCache through the SDK against real redis-server processes, used with ioredis: cache clusters,
// parameter groups applied to the running server, AUTH tokens, replication groups that replicate,
// TestFailover with the primary endpoint following, snapshots restored into new clusters, a crashed
// engine restarted on the same endpoint, cluster mode with a cluster-aware client, and the errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis, Cluster } from 'ioredis';
import {
  CreateCacheClusterCommand,
  CreateCacheParameterGroupCommand,
  CreateReplicationGroupCommand,
  CreateSnapshotCommand,
  DeleteCacheClusterCommand,
  DeleteReplicationGroupCommand,
  DescribeCacheClustersCommand,
  DescribeCacheParametersCommand,
  DescribeReplicationGroupsCommand,
  DescribeSnapshotsCommand,
  ElastiCacheClient,
  ListTagsForResourceCommand,
  ModifyCacheParameterGroupCommand,
  ModifyReplicationGroupCommand,
  TestFailoverCommand,
  waitUntilCacheClusterAvailable,
  waitUntilCacheClusterDeleted,
  type CacheCluster,
  type ReplicationGroup,
} from '@aws-sdk/client-elasticache';
import { type TestPlatform, startPlatform, until } from '@atoll/test-support';

const rejectsWith = (promise: Promise<unknown>, name: string, status = 400, message?: RegExp) =>
  assert.rejects(promise, (e: any) => {
    assert.equal(e.name, name, e.message);
    assert.equal(e.$metadata.httpStatusCode, status);
    if (message) assert.match(e.message, message);
    return true;
  });


describe('ElastiCache over redis-server', () => {
  let p: TestPlatform;
  let ec: ElastiCacheClient;
  const clients: { quit(): Promise<unknown>; disconnect(): void }[] = [];
  const redis = (port: number, options: Record<string, unknown> = {}) => {
    const r = new Redis({ host: '127.0.0.1', port, lazyConnect: false, maxRetriesPerRequest: 1, retryStrategy: () => 50, ...options });
    clients.push(r);
    return r;
  };
  const cluster = async (id: string): Promise<CacheCluster> =>
    (await ec.send(new DescribeCacheClustersCommand({ CacheClusterId: id, ShowCacheNodeInfo: true }))).CacheClusters![0]!;
  const group = async (id: string): Promise<ReplicationGroup> => (await ec.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }))).ReplicationGroups![0]!;
  const available = (id: string) => until(`${id} available`, async () => ((await cluster(id)).CacheClusterStatus === 'available' ? cluster(id) : undefined));
  const groupAvailable = (id: string) => until(`${id} available`, async () => {
    const g = await group(id);
    return g.Status === 'available' ? g : undefined;
  });

  before(async () => {
    p = await startPlatform({ services: ['elasticache'] });
    ec = p.client(ElastiCacheClient);
  });

  after(async () => {
    for (const c of clients) c.disconnect();
    await p?.stop();
  });

  test('creates a cache cluster that the SDK waiter sees available and ioredis uses', async () => {
    const created = await ec.send(new CreateCacheClusterCommand({ CacheClusterId: 'Sessions', Engine: 'redis', CacheNodeType: 'cache.t3.micro', NumCacheNodes: 1, Tags: [{ Key: 'team', Value: 'web' }] }));
    assert.equal(created.CacheCluster!.CacheClusterId, 'sessions');
    assert.equal(created.CacheCluster!.CacheClusterStatus, 'creating');
    await waitUntilCacheClusterAvailable({ client: ec, maxWaitTime: 20, minDelay: 1, maxDelay: 1 }, { CacheClusterId: 'sessions' });
    const c = await cluster('sessions');
    assert.equal(c.Engine, 'redis');
    assert.match(c.EngineVersion!, /^\d+\.\d+$/);
    assert.equal(c.CacheParameterGroup!.CacheParameterGroupName, `default.redis${c.EngineVersion!.split('.')[0]}`);
    const endpoint = c.CacheNodes![0]!.Endpoint!;
    assert.notEqual(endpoint.Port, 6379);
    const r = redis(endpoint.Port!);
    await r.set('user:1', 'alice');
    assert.equal(await r.get('user:1'), 'alice');
    assert.equal(await r.config('GET', 'maxmemory-policy').then((v) => (v as string[])[1]), 'volatile-lru');
    const tags = await ec.send(new ListTagsForResourceCommand({ ResourceName: c.ARN! }));
    assert.deepEqual(tags.TagList, [{ Key: 'team', Value: 'web' }]);
  });

  test('applies a modified parameter group to the running server', async () => {
    const family = `redis${(await cluster('sessions')).EngineVersion!.split('.')[0]}`;
    await ec.send(new CreateCacheParameterGroupCommand({ CacheParameterGroupName: 'tuned', CacheParameterGroupFamily: family, Description: 'tuned' }));
    await ec.send(new CreateCacheClusterCommand({ CacheClusterId: 'tuned-cache', CacheParameterGroupName: 'tuned', NumCacheNodes: 1 }));
    const c = await available('tuned-cache');
    const r = redis(c.CacheNodes![0]!.Endpoint!.Port!);
    await ec.send(
      new ModifyCacheParameterGroupCommand({
        CacheParameterGroupName: 'tuned',
        ParameterNameValues: [
          { ParameterName: 'maxmemory-policy', ParameterValue: 'allkeys-lru' },
          { ParameterName: 'notify-keyspace-events', ParameterValue: 'Ex' },
          { ParameterName: 'timeout', ParameterValue: '300' },
        ],
      }),
    );
    await until('parameters applied', async () => ((await r.config('GET', 'maxmemory-policy')) as string[])[1] === 'allkeys-lru' || undefined);
    assert.equal(((await r.config('GET', 'notify-keyspace-events')) as string[])[1], 'xE');
    assert.equal(((await r.config('GET', 'timeout')) as string[])[1], '300');
    const params = await ec.send(new DescribeCacheParametersCommand({ CacheParameterGroupName: 'tuned', Source: 'user' }));
    assert.deepEqual(params.Parameters!.map((x) => x.ParameterName).sort(), ['maxmemory-policy', 'notify-keyspace-events', 'timeout']);
    await rejectsWith(
      ec.send(new ModifyCacheParameterGroupCommand({ CacheParameterGroupName: 'tuned', ParameterNameValues: [{ ParameterName: 'maxmemory-policy', ParameterValue: 'sometimes' }] })),
      'InvalidParameterValueException',
    );
    await rejectsWith(ec.send(new ModifyCacheParameterGroupCommand({ CacheParameterGroupName: `default.${family}`, ParameterNameValues: [{ ParameterName: 'timeout', ParameterValue: '30' }] })), 'InvalidCacheParameterGroupStateFault');
  });

  test('honours AuthToken as requirepass', async () => {
    const token = 'correct-horse-battery-staple';
    await ec.send(new CreateCacheClusterCommand({ CacheClusterId: 'locked', AuthToken: token, NumCacheNodes: 1 }));
    const c = await available('locked');
    assert.equal(c.AuthTokenEnabled, true);
    const port = c.CacheNodes![0]!.Endpoint!.Port!;
    const anonymous = redis(port, { retryStrategy: () => null });
    await assert.rejects(anonymous.get('x'), /NOAUTH/);
    const authed = redis(port, { password: token });
    assert.equal(await authed.ping(), 'PONG');
  });

  test('runs a primary and a replica that replicate, and fails over with the primary endpoint following', async () => {
    const started = Date.now();
    const created = await ec.send(
      new CreateReplicationGroupCommand({ ReplicationGroupId: 'orders', ReplicationGroupDescription: 'orders cache', NumCacheClusters: 2, AutomaticFailoverEnabled: true, Engine: 'redis' }),
    );
    assert.equal(created.ReplicationGroup!.Status, 'creating');
    assert.deepEqual(created.ReplicationGroup!.MemberClusters, ['orders-001', 'orders-002']);
    const g = await groupAvailable('orders');
    const readyMs = Date.now() - started;
    assert.ok(readyMs < 5000, `available after ${readyMs} ms`);
    const ng = g.NodeGroups![0]!;
    const primary = redis(ng.PrimaryEndpoint!.Port!);
    await primary.set('order:1', 'paid');
    const replicaMember = ng.NodeGroupMembers!.find((m) => m.CurrentRole === 'replica')!;
    const replica = redis(replicaMember.ReadEndpoint!.Port!);
    await primary.wait(1, 1000);
    assert.equal(await replica.get('order:1'), 'paid');
    await assert.rejects(replica.set('x', '1'), /READONLY/);
    const reader = redis(ng.ReaderEndpoint!.Port!);
    assert.equal(await reader.get('order:1'), 'paid');

    const failoverStart = Date.now();
    await ec.send(new TestFailoverCommand({ ReplicationGroupId: 'orders', NodeGroupId: '0001' }));
    const after = await groupAvailable('orders');
    const failoverMs = Date.now() - failoverStart;
    const members = after.NodeGroups![0]!.NodeGroupMembers!;
    assert.equal(members.find((m) => m.CurrentRole === 'primary')!.CacheClusterId, replicaMember.CacheClusterId);
    assert.equal(after.NodeGroups![0]!.PrimaryEndpoint!.Port, ng.PrimaryEndpoint!.Port, 'the primary endpoint stays the same');
    const viaEndpoint = redis(after.NodeGroups![0]!.PrimaryEndpoint!.Port!);
    await viaEndpoint.set('order:2', 'shipped');
    assert.equal(await viaEndpoint.get('order:1'), 'paid');
    assert.match(String(await viaEndpoint.info('replication')), /role:master/);
    const demoted = redis(members.find((m) => m.CurrentRole === 'replica')!.ReadEndpoint!.Port!);
    await until('old primary resynced', async () => ((await demoted.get('order:2').catch(() => null)) === 'shipped' ? true : undefined));
    console.log(`# replication group available in ${readyMs} ms; TestFailover done in ${failoverMs} ms`);
  });

  test('restarts a crashed engine on the same endpoint', async () => {
    const port = (await cluster('sessions')).CacheNodes![0]!.Endpoint!.Port!;
    const r = redis(port);
    const pid = Number(/process_id:(\d+)/.exec(await r.info('server'))![1]);
    process.kill(pid, 'SIGKILL');
    const newPid = await until('engine restarted', async () => {
      const info = await r.info('server').catch(() => undefined);
      const id = info ? Number(/process_id:(\d+)/.exec(info)![1]) : undefined;
      return id && id !== pid ? id : undefined;
    });
    assert.notEqual(newPid, pid);
    assert.equal((await cluster('sessions')).CacheClusterStatus, 'available');
  });

  test('snapshots to an RDB file, deletes with a final snapshot, and restores into a new cluster', async () => {
    const r = redis((await cluster('sessions')).CacheNodes![0]!.Endpoint!.Port!);
    await r.set('kept', 'yes');
    await ec.send(new CreateSnapshotCommand({ CacheClusterId: 'sessions', SnapshotName: 'manual-1' }));
    await until('snapshot available', async () => ((await ec.send(new DescribeSnapshotsCommand({ SnapshotName: 'manual-1' }))).Snapshots![0]!.SnapshotStatus === 'available' ? true : undefined));
    await available('sessions');
    await r.set('late', 'yes');
    await ec.send(new DeleteCacheClusterCommand({ CacheClusterId: 'sessions', FinalSnapshotIdentifier: 'sessions-final' }));
    await waitUntilCacheClusterDeleted({ client: ec, maxWaitTime: 20, minDelay: 1, maxDelay: 1 }, { CacheClusterId: 'sessions' });
    const final = (await ec.send(new DescribeSnapshotsCommand({ SnapshotName: 'sessions-final' }))).Snapshots![0]!;
    assert.equal(final.SnapshotStatus, 'available');
    assert.equal(final.CacheClusterId, 'sessions');
    await ec.send(new CreateCacheClusterCommand({ CacheClusterId: 'restored', SnapshotName: 'manual-1', NumCacheNodes: 1 }));
    const restored = redis((await available('restored')).CacheNodes![0]!.Endpoint!.Port!);
    assert.equal(await restored.get('kept'), 'yes');
    assert.equal(await restored.get('late'), null);
    await ec.send(new CreateCacheClusterCommand({ CacheClusterId: 'restored-final', SnapshotName: 'sessions-final', NumCacheNodes: 1 }));
    const fromFinal = redis((await available('restored-final')).CacheNodes![0]!.Endpoint!.Port!);
    assert.equal(await fromFinal.get('late'), 'yes');
  });

  test('runs cluster mode with shards that a cluster-aware client uses through the configuration endpoint', async () => {
    await ec.send(
      new CreateReplicationGroupCommand({ ReplicationGroupId: 'sharded', ReplicationGroupDescription: 'sharded', NumNodeGroups: 2, ReplicasPerNodeGroup: 1, CacheParameterGroupName: undefined, ClusterMode: 'enabled' }),
    );
    const g = await groupAvailable('sharded');
    assert.equal(g.ClusterEnabled, true);
    assert.equal(g.NodeGroups!.length, 2);
    assert.deepEqual(g.NodeGroups!.map((n) => n.Slots), ['0-8191', '8192-16383']);
    const c = new Cluster([{ host: '127.0.0.1', port: g.ConfigurationEndpoint!.Port! }], { redisOptions: { maxRetriesPerRequest: 2 } });
    clients.push(c);
    for (let i = 0; i < 20; i++) await c.set(`key:${i}`, String(i));
    for (let i = 0; i < 20; i++) assert.equal(await c.get(`key:${i}`), String(i));
    const masters = c.nodes('master');
    assert.equal(masters.length, 2);
    const sizes = await Promise.all(masters.map((m) => m.dbsize()));
    assert.ok(sizes.every((s) => s > 0), `keys spread over both shards: ${sizes}`);
  });

  test('answers the documented errors for bad input', async () => {
    await rejectsWith(ec.send(new CreateCacheClusterCommand({ CacheClusterId: 'bad--id', NumCacheNodes: 1 })), 'InvalidParameterValueException', 400, /not a valid identifier/);
    await rejectsWith(ec.send(new CreateCacheClusterCommand({ CacheClusterId: '1abc', NumCacheNodes: 1 })), 'InvalidParameterValueException');
    await rejectsWith(ec.send(new CreateCacheClusterCommand({ CacheClusterId: 'locked', NumCacheNodes: 1 })), 'CacheClusterAlreadyExistsFault');
    await rejectsWith(ec.send(new CreateCacheClusterCommand({ CacheClusterId: 'old', EngineVersion: '5.0.6', NumCacheNodes: 1 })), 'InvalidParameterCombinationException', 400, /Cannot find version 5.0.6 for redis/);
    await rejectsWith(ec.send(new CreateCacheClusterCommand({ CacheClusterId: 'two', NumCacheNodes: 2 })), 'InvalidParameterValueException');
    await rejectsWith(ec.send(new CreateCacheClusterCommand({ CacheClusterId: 'short', AuthToken: 'short', NumCacheNodes: 1 })), 'InvalidParameterValueException');
    await rejectsWith(ec.send(new CreateReplicationGroupCommand({ ReplicationGroupId: 'big', ReplicationGroupDescription: 'x', NumCacheClusters: 7 })), 'InvalidParameterValueException');
    await rejectsWith(ec.send(new DescribeCacheClustersCommand({ CacheClusterId: 'nope' })), 'CacheClusterNotFoundFault', 404);
    await rejectsWith(ec.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'nope' })), 'ReplicationGroupNotFoundFault', 404);
    await rejectsWith(ec.send(new TestFailoverCommand({ ReplicationGroupId: 'orders', NodeGroupId: '0009' })), 'NodeGroupNotFoundFault', 404);
    await rejectsWith(ec.send(new CreateCacheClusterCommand({ CacheClusterId: 'pg', CacheParameterGroupName: 'missing', NumCacheNodes: 1 })), 'CacheParameterGroupNotFoundFault', 404);
  });

  test('deletes a replication group and its processes', async () => {
    await ec.send(new ModifyReplicationGroupCommand({ ReplicationGroupId: 'orders', ReplicationGroupDescription: 'renamed', ApplyImmediately: true }));
    const port = (await group('orders')).NodeGroups![0]!.NodeGroupMembers![0]!.ReadEndpoint!.Port!;
    await ec.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: 'orders' }));
    await until('group gone', async () => (await ec.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'orders' })).then(() => undefined, () => true)));
    const probe = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    await assert.rejects(probe.connect());
    probe.disconnect();
  });
});
