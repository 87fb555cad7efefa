// Online resharding through the SDK: ModifyReplicationGroupShardConfiguration adds a shard (new
// primary and replica join the cluster bus, slots and their keys move) and removes one (its slots
// and keys move away, its processes stop), with a cluster-aware client reading every key after each;
// replica scaling in cluster mode; per-shard snapshots restored into a new cluster-mode group.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, Redis } from 'ioredis';
import {
  CreateCacheClusterCommand,
  CreateReplicationGroupCommand,
  CreateSnapshotCommand,
  DecreaseReplicaCountCommand,
  DescribeCacheClustersCommand,
  DescribeReplicationGroupsCommand,
  DescribeSnapshotsCommand,
  ElastiCacheClient,
  IncreaseReplicaCountCommand,
  ModifyReplicationGroupShardConfigurationCommand,
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


const KEYS = 300;
/** The members of the first shard before replicas are added. */
const before0002: string[] = [];

describe('ElastiCache resharding over redis-server cluster mode', () => {
  let p: TestPlatform;
  let ec: ElastiCacheClient;
  const clients: { disconnect(): void }[] = [];
  const group = async (id: string): Promise<ReplicationGroup> => (await ec.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }))).ReplicationGroups![0]!;
  const groupAvailable = (id: string) => until(`${id} available`, async () => ((await group(id)).Status === 'available' ? group(id) : undefined));
  const clusterClient = (g: ReplicationGroup) => {
    const c = new Cluster([{ host: '127.0.0.1', port: g.ConfigurationEndpoint!.Port! }], { redisOptions: { maxRetriesPerRequest: 3 } });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };
  const nodePort = async (clusterId: string) =>
    (await ec.send(new DescribeCacheClustersCommand({ CacheClusterId: clusterId, ShowCacheNodeInfo: true }))).CacheClusters![0]!.CacheNodes![0]!.Endpoint!.Port!;
  const readAll = async (c: Cluster) => {
    for (let i = 0; i < KEYS; i++) assert.equal(await c.get(`item:${i}`), String(i), `item:${i}`);
  };

  before(async () => {
    p = await startPlatform({ services: ['elasticache'] });
    ec = p.client(ElastiCacheClient);
  });

  after(async () => {
    for (const c of clients) c.disconnect();
    await p?.stop();
  });

  test('adds a shard: its nodes join, slots and keys move, and every key stays readable', async () => {
    await ec.send(new CreateReplicationGroupCommand({ ReplicationGroupId: 'catalog', ReplicationGroupDescription: 'catalog', NumNodeGroups: 2, ReplicasPerNodeGroup: 1, ClusterMode: 'enabled' }));
    const g = await groupAvailable('catalog');
    const writer = clusterClient(g);
    for (let i = 0; i < KEYS; i++) await writer.set(`item:${i}`, String(i));

    const started = await ec.send(new ModifyReplicationGroupShardConfigurationCommand({ ReplicationGroupId: 'catalog', NodeGroupCount: 3, ApplyImmediately: true }));
    assert.equal(started.ReplicationGroup!.Status, 'modifying');
    assert.equal(started.ReplicationGroup!.NodeGroups!.length, 3);
    const grown = await groupAvailable('catalog');
    assert.deepEqual(grown.NodeGroups!.map((n) => [n.NodeGroupId, n.Slots]), [
      ['0001', '0-5460'],
      ['0002', '5461-10921'],
      ['0003', '10922-16383'],
    ]);
    assert.equal(grown.NodeGroups![2]!.NodeGroupMembers!.length, 2);
    const reader = clusterClient(grown);
    await readAll(reader);
    const direct = new Redis({ host: '127.0.0.1', port: await nodePort('catalog-0003-001'), lazyConnect: true });
    clients.push(direct);
    assert.ok((await direct.dbsize()) > 0, 'the new shard holds keys');
    const slotsInfo = (await direct.cluster('SLOTS')) as [number, number, ...unknown[]][];
    assert.equal(slotsInfo.length, 3, 'every node sees three shards');
  });

  test('removes a shard: its slots and keys move to the others and its processes stop', async () => {
    const before = await group('catalog');
    const removedPorts = await Promise.all(before.NodeGroups!.find((n) => n.NodeGroupId === '0001')!.NodeGroupMembers!.map((m) => nodePort(m.CacheClusterId!)));
    await ec.send(new ModifyReplicationGroupShardConfigurationCommand({ ReplicationGroupId: 'catalog', NodeGroupCount: 2, ApplyImmediately: true, NodeGroupsToRemove: ['0001'] }));
    const shrunk = await groupAvailable('catalog');
    assert.deepEqual(shrunk.NodeGroups!.map((n) => [n.NodeGroupId, n.Slots]), [
      ['0002', '0-8191'],
      ['0003', '8192-16383'],
    ]);
    assert.equal(shrunk.MemberClusters!.some((id) => id.startsWith('catalog-0001')), false);
    await readAll(clusterClient(shrunk));
    before0002.push(...shrunk.NodeGroups![0]!.NodeGroupMembers!.map((m) => m.CacheClusterId!));
    for (const port of removedPorts) {
      await until(`node on ${port} stopped`, async () => {
        const probe = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
        probe.on('error', () => undefined);
        const stopped = await probe.connect().then(() => false, () => true);
        probe.disconnect();
        return stopped || undefined;
      });
    }
  });

  test('scales the replicas of every shard up and of one shard down in cluster mode', async () => {
    const grown = await ec.send(new IncreaseReplicaCountCommand({ ReplicationGroupId: 'catalog', NewReplicaCount: 2, ApplyImmediately: true }));
    assert.equal(grown.ReplicationGroup!.Status, 'modifying');
    const g = await groupAvailable('catalog');
    assert.deepEqual(g.NodeGroups!.map((n) => n.NodeGroupMembers!.length), [3, 3]);
    const newReplica = g.NodeGroups![0]!.NodeGroupMembers!.map((m) => m.CacheClusterId!).find((id) => !before0002.includes(id))!;
    const replica = new Redis({ host: '127.0.0.1', port: await nodePort(newReplica), lazyConnect: true });
    clients.push(replica);
    assert.match(await replica.info('replication'), /role:slave/);
    await until('replica synced', async () => ((await replica.dbsize()) > 0 ? true : undefined));

    await ec.send(new DecreaseReplicaCountCommand({ ReplicationGroupId: 'catalog', ReplicaConfiguration: [{ NodeGroupId: '0002', NewReplicaCount: 0 }], ApplyImmediately: true }));
    const shrunk = await groupAvailable('catalog');
    assert.deepEqual(shrunk.NodeGroups!.map((n) => n.NodeGroupMembers!.length), [1, 3]);
    const primary = new Redis({ host: '127.0.0.1', port: await nodePort(shrunk.NodeGroups![1]!.NodeGroupMembers![0]!.CacheClusterId!), lazyConnect: true });
    clients.push(primary);
    await until('removed replicas forgotten', async () => (String(await primary.cluster('NODES')).trim().split('\n').length === 4 ? true : undefined));
    await readAll(clusterClient(shrunk));
    await rejectsWith(ec.send(new IncreaseReplicaCountCommand({ ReplicationGroupId: 'catalog', NewReplicaCount: 6, ApplyImmediately: true })), 'InvalidParameterValueException');
    await rejectsWith(
      ec.send(new IncreaseReplicaCountCommand({ ReplicationGroupId: 'catalog', ReplicaConfiguration: [{ NodeGroupId: '0009', NewReplicaCount: 1 }], ApplyImmediately: true })),
      'NodeGroupNotFoundFault',
      404,
    );
  });

  test('snapshots a cluster-mode group per shard and restores it into a new cluster-mode group', async () => {
    await ec.send(new CreateSnapshotCommand({ ReplicationGroupId: 'catalog', SnapshotName: 'catalog-snap' }));
    const snap = await until('snapshot available', async () => {
      const s = (await ec.send(new DescribeSnapshotsCommand({ SnapshotName: 'catalog-snap' }))).Snapshots![0]!;
      return s.SnapshotStatus === 'available' ? s : undefined;
    });
    assert.equal(snap.NumNodeGroups, 2);
    assert.deepEqual(snap.NodeSnapshots!.map((n) => n.NodeGroupId).sort(), ['0002', '0003']);
    await groupAvailable('catalog');
    await rejectsWith(
      ec.send(new CreateReplicationGroupCommand({ ReplicationGroupId: 'wrong-shape', ReplicationGroupDescription: 'x', NumNodeGroups: 3, ReplicasPerNodeGroup: 0, ClusterMode: 'enabled', SnapshotName: 'catalog-snap' })),
      'InvalidParameterCombinationException',
      400,
      /2 node groups/,
    );
    await rejectsWith(ec.send(new CreateCacheClusterCommand({ CacheClusterId: 'flat', NumCacheNodes: 1, SnapshotName: 'catalog-snap' })), 'InvalidParameterCombinationException');
    await ec.send(
      new CreateReplicationGroupCommand({ ReplicationGroupId: 'catalog-copy', ReplicationGroupDescription: 'restored', NumNodeGroups: 2, ReplicasPerNodeGroup: 1, ClusterMode: 'enabled', SnapshotName: 'catalog-snap' }),
    );
    const restored = await groupAvailable('catalog-copy');
    assert.deepEqual(restored.NodeGroups!.map((n) => n.Slots), ['0-8191', '8192-16383']);
    await readAll(clusterClient(restored));
  });

  test('answers the documented errors for shard configuration changes', async () => {
    const modify = (input: Partial<ConstructorParameters<typeof ModifyReplicationGroupShardConfigurationCommand>[0]>) =>
      ec.send(new ModifyReplicationGroupShardConfigurationCommand({ ReplicationGroupId: 'catalog', NodeGroupCount: 3, ApplyImmediately: true, ...input }));
    await rejectsWith(modify({ ReplicationGroupId: 'nope' }), 'ReplicationGroupNotFoundFault', 404);
    await rejectsWith(modify({ NodeGroupCount: 2 }), 'InvalidParameterValueException');
    await rejectsWith(modify({ ApplyImmediately: false }), 'InvalidParameterValueException');
    await rejectsWith(modify({ NodeGroupCount: 91 }), 'NodeGroupsPerReplicationGroupQuotaExceededFault');
    await rejectsWith(modify({ NodeGroupCount: 1 }), 'InvalidParameterCombinationException', 400, /NodeGroupsToRemove or NodeGroupsToRetain/);
    await rejectsWith(modify({ NodeGroupCount: 1, NodeGroupsToRemove: ['0009'] }), 'NodeGroupNotFoundFault', 404);
    await ec.send(new CreateReplicationGroupCommand({ ReplicationGroupId: 'plain', ReplicationGroupDescription: 'plain', NumCacheClusters: 1 }));
    await rejectsWith(modify({ ReplicationGroupId: 'plain', NodeGroupCount: 2 }), 'InvalidParameterCombinationException', 400, /cluster mode/);
  });
});
