// Serverless caches through the SDK against a real redis-server: create to available with one
// endpoint ioredis uses, usage limits recorded, modify (limits, user group as ACLs), snapshots (create,
// copy, export to S3, restore into a new cache), delete with a final snapshot, and the errors. Also
// RebootCacheCluster and CopySnapshot (a copy, and an export to S3) on cache clusters.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import {
  CopyServerlessCacheSnapshotCommand,
  CopySnapshotCommand,
  CreateCacheClusterCommand,
  CreateServerlessCacheCommand,
  CreateServerlessCacheSnapshotCommand,
  CreateSnapshotCommand,
  CreateUserCommand,
  CreateUserGroupCommand,
  DeleteServerlessCacheCommand,
  DeleteServerlessCacheSnapshotCommand,
  DeleteUserGroupCommand,
  DescribeCacheClustersCommand,
  DescribeServerlessCacheSnapshotsCommand,
  DescribeServerlessCachesCommand,
  DescribeSnapshotsCommand,
  DescribeUserGroupsCommand,
  ElastiCacheClient,
  ExportServerlessCacheSnapshotCommand,
  ListTagsForResourceCommand,
  ModifyServerlessCacheCommand,
  RebootCacheClusterCommand,
  type ServerlessCache,
  type ServerlessCacheSnapshot,
} from '@aws-sdk/client-elasticache';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type TestPlatform, startPlatform, until } from '@atoll/test-support';

const rejectsWith = (promise: Promise<unknown>, name: string, status = 400, message?: RegExp) =>
  assert.rejects(promise, (e: any) => {
    assert.equal(e.name, name, e.message);
    assert.equal(e.$metadata.httpStatusCode, status);
    if (message) assert.match(e.message, message);
    return true;
  });


describe('ElastiCache serverless caches over redis-server', () => {
  let p: TestPlatform;
  let ec: ElastiCacheClient;
  let s3: S3Client;
  const clients: Redis[] = [];
  const redis = (port: number, options: Record<string, unknown> = {}) => {
    const r = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, retryStrategy: () => 50, ...options });
    r.on('error', () => undefined); // refused AUTH and stopped engines are asserted on the commands
    clients.push(r);
    return r;
  };
  const cache = async (name: string): Promise<ServerlessCache> => (await ec.send(new DescribeServerlessCachesCommand({ ServerlessCacheName: name }))).ServerlessCaches![0]!;
  const cacheAvailable = (name: string) => until(`${name} available`, async () => ((await cache(name)).Status === 'available' ? cache(name) : undefined));
  const snapshot = async (name: string): Promise<ServerlessCacheSnapshot> =>
    (await ec.send(new DescribeServerlessCacheSnapshotsCommand({ ServerlessCacheSnapshotName: name }))).ServerlessCacheSnapshots![0]!;
  const snapshotAvailable = (name: string) => until(`${name} available`, async () => ((await snapshot(name)).Status === 'available' ? snapshot(name) : undefined));

  before(async () => {
    p = await startPlatform({ services: ['elasticache', 's3'] });
    ec = p.client(ElastiCacheClient);
    s3 = p.client(S3Client, { forcePathStyle: true });
  });

  after(async () => {
    for (const c of clients) c.disconnect();
    await p?.stop();
  });

  test('creates a serverless cache with one endpoint that ioredis uses and records its usage limits', async () => {
    const limits = { DataStorage: { Maximum: 10, Unit: 'GB' as const }, ECPUPerSecond: { Maximum: 5000 } };
    const created = await ec.send(
      new CreateServerlessCacheCommand({ ServerlessCacheName: 'Sessions', Engine: 'redis', Description: 'web sessions', CacheUsageLimits: limits, Tags: [{ Key: 'team', Value: 'web' }] }),
    );
    assert.equal(created.ServerlessCache!.ServerlessCacheName, 'sessions');
    assert.equal(created.ServerlessCache!.Status, 'creating');
    assert.match(created.ServerlessCache!.ARN!, /^arn:aws:elasticache:[^:]+:\d{12}:serverlesscache:sessions$/);
    const c = await cacheAvailable('sessions');
    assert.equal(c.Engine, 'redis');
    assert.match(c.FullEngineVersion!, /^\d+\.\d+$/);
    assert.equal(c.MajorEngineVersion, c.FullEngineVersion!.split('.')[0]);
    assert.deepEqual(c.CacheUsageLimits, limits);
    assert.equal(c.Endpoint!.Address, '127.0.0.1');
    assert.deepEqual(c.ReaderEndpoint, c.Endpoint);
    const r = redis(c.Endpoint!.Port!);
    await r.set('session:1', 'alice');
    assert.equal(await r.get('session:1'), 'alice');
    // Its engine node is not a cache cluster of the API.
    const clusters = await ec.send(new DescribeCacheClustersCommand({}));
    assert.deepEqual(clusters.CacheClusters, []);
    await rejectsWith(ec.send(new DescribeCacheClustersCommand({ CacheClusterId: 'serverless:sessions' })), 'CacheClusterNotFoundFault', 404);
    const tags = await ec.send(new ListTagsForResourceCommand({ ResourceName: c.ARN! }));
    assert.deepEqual(tags.TagList, [{ Key: 'team', Value: 'web' }]);
  });

  test('modifies usage limits and applies a user group to the running engine as ACLs', async () => {
    await ec.send(new CreateUserCommand({ UserId: 'app', UserName: 'app', Engine: 'redis', Passwords: ['app-password-0123456'], AccessString: 'on ~* +@all' }));
    await ec.send(new CreateUserCommand({ UserId: 'nobody', UserName: 'default', Engine: 'redis', NoPasswordRequired: true, AccessString: 'off ~* +@all' }));
    await ec.send(new CreateUserGroupCommand({ UserGroupId: 'web-users', Engine: 'redis', UserIds: ['nobody', 'app'] }));
    const modified = await ec.send(
      new ModifyServerlessCacheCommand({ ServerlessCacheName: 'sessions', UserGroupId: 'web-users', CacheUsageLimits: { DataStorage: { Maximum: 20, Unit: 'GB' } }, Description: 'with users' }),
    );
    assert.equal(modified.ServerlessCache!.Status, 'modifying');
    const c = await cacheAvailable('sessions');
    assert.equal(c.UserGroupId, 'web-users');
    assert.equal(c.Description, 'with users');
    assert.equal(c.CacheUsageLimits!.DataStorage!.Maximum, 20);
    const anonymous = redis(c.Endpoint!.Port!, { retryStrategy: () => null });
    await assert.rejects(anonymous.get('session:1'), /NOAUTH|NOPERM|WRONGPASS|AUTH/);
    const app = redis(c.Endpoint!.Port!, { username: 'app', password: 'app-password-0123456' });
    assert.equal(await app.get('session:1'), 'alice');
    const groups = await ec.send(new DescribeUserGroupsCommand({ UserGroupId: 'web-users' }));
    assert.deepEqual(groups.UserGroups![0]!.ServerlessCaches, ['sessions']);
    await rejectsWith(ec.send(new DeleteUserGroupCommand({ UserGroupId: 'web-users' })), 'InvalidUserGroupStateFault');
    await rejectsWith(ec.send(new ModifyServerlessCacheCommand({ ServerlessCacheName: 'sessions', MajorEngineVersion: '5' })), 'InvalidParameterCombinationException', 400, /Cannot find version 5/);
    await rejectsWith(ec.send(new ModifyServerlessCacheCommand({ ServerlessCacheName: 'sessions', UserGroupId: 'missing' })), 'UserGroupNotFoundFault', 404);
    await ec.send(new ModifyServerlessCacheCommand({ ServerlessCacheName: 'sessions', RemoveUserGroup: true }));
    const open = await cacheAvailable('sessions');
    assert.equal(open.UserGroupId, undefined);
    assert.deepEqual((await ec.send(new DescribeUserGroupsCommand({ UserGroupId: 'web-users' }))).UserGroups![0]!.ServerlessCaches, []);
  });

  test('snapshots a serverless cache, copies the snapshot, and restores it into a new cache', async () => {
    const c = await cache('sessions');
    const r = redis(c.Endpoint!.Port!);
    await until('ACLs removed', async () => ((await r.get('session:1').catch(() => undefined)) === 'alice' ? true : undefined));
    await r.set('kept', 'yes');
    const created = await ec.send(new CreateServerlessCacheSnapshotCommand({ ServerlessCacheName: 'sessions', ServerlessCacheSnapshotName: 'snap-1' }));
    assert.equal(created.ServerlessCacheSnapshot!.Status, 'creating');
    const snap = await snapshotAvailable('snap-1');
    assert.equal(snap.SnapshotType, 'manual');
    assert.ok(Number(snap.BytesUsedForCache) > 0);
    assert.equal(snap.ServerlessCacheConfiguration!.ServerlessCacheName, 'sessions');
    await r.set('late', 'yes');
    const copy = await ec.send(new CopyServerlessCacheSnapshotCommand({ SourceServerlessCacheSnapshotName: 'snap-1', TargetServerlessCacheSnapshotName: 'snap-copy' }));
    assert.equal(copy.ServerlessCacheSnapshot!.Status, 'available');
    await ec.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'restored', Engine: 'redis', SnapshotArnsToRestore: [copy.ServerlessCacheSnapshot!.ARN!] }));
    const restored = redis((await cacheAvailable('restored')).Endpoint!.Port!);
    assert.equal(await restored.get('kept'), 'yes');
    assert.equal(await restored.get('late'), null);
    const listed = await ec.send(new DescribeServerlessCacheSnapshotsCommand({ ServerlessCacheName: 'sessions' }));
    assert.deepEqual(listed.ServerlessCacheSnapshots!.map((s) => s.ServerlessCacheSnapshotName).sort(), ['snap-1', 'snap-copy']);
    await s3.send(new CreateBucketCommand({ Bucket: 'serverless-exports' }));
    await ec.send(new ExportServerlessCacheSnapshotCommand({ ServerlessCacheSnapshotName: 'snap-copy', S3BucketName: 'serverless-exports' }));
    const object = await s3.send(new GetObjectCommand({ Bucket: 'serverless-exports', Key: 'snap-copy.rdb' }));
    const rdb = Buffer.from(await object.Body!.transformToByteArray());
    assert.equal(rdb.subarray(0, 5).toString(), 'REDIS');
    assert.ok(rdb.includes(Buffer.from('kept')), 'the exported RDB holds the snapshot keys');
    await rejectsWith(ec.send(new ExportServerlessCacheSnapshotCommand({ ServerlessCacheSnapshotName: 'snap-copy', S3BucketName: 'missing-bucket' })), 'InvalidParameterValueException');
    await rejectsWith(ec.send(new ExportServerlessCacheSnapshotCommand({ ServerlessCacheSnapshotName: 'nope', S3BucketName: 'serverless-exports' })), 'ServerlessCacheSnapshotNotFoundFault', 404);
    await ec.send(new DeleteServerlessCacheSnapshotCommand({ ServerlessCacheSnapshotName: 'snap-copy' }));
    await rejectsWith(ec.send(new DescribeServerlessCacheSnapshotsCommand({ ServerlessCacheSnapshotName: 'snap-copy' })), 'ServerlessCacheSnapshotNotFoundFault', 404);
  });

  test('deletes a serverless cache with a final snapshot and stops its engine', async () => {
    const c = await cache('sessions');
    const port = c.Endpoint!.Port!;
    const r = redis(port);
    await r.set('last', 'word');
    const deleted = await ec.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: 'sessions', FinalSnapshotName: 'sessions-final' }));
    assert.equal(deleted.ServerlessCache!.Status, 'deleting');
    await until('cache gone', async () => ec.send(new DescribeServerlessCachesCommand({ ServerlessCacheName: 'sessions' })).then(() => undefined, (e) => (e.name === 'ServerlessCacheNotFoundFault' ? true : undefined)));
    const final = await snapshotAvailable('sessions-final');
    assert.equal(final.ServerlessCacheConfiguration!.ServerlessCacheName, 'sessions');
    const probe = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    await until('engine stopped', async () => probe.connect().then(() => { probe.disconnect(); return undefined; }, () => true));
    probe.disconnect();
    await ec.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'from-final', Engine: 'redis', SnapshotArnsToRestore: [final.ARN!] }));
    const fromFinal = redis((await cacheAvailable('from-final')).Endpoint!.Port!);
    assert.equal(await fromFinal.get('last'), 'word');
  });

  test('answers the documented errors for serverless caches', async () => {
    await rejectsWith(ec.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'restored', Engine: 'redis' })), 'ServerlessCacheAlreadyExistsFault');
    await rejectsWith(ec.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'bad--name', Engine: 'redis' })), 'InvalidParameterValueException', 400, /not a valid identifier/);
    await rejectsWith(ec.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'old', Engine: 'redis', MajorEngineVersion: '5' })), 'InvalidParameterCombinationException', 400, /Cannot find version 5/);
    await rejectsWith(ec.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'mc', Engine: 'memcached' })), 'InvalidParameterValueException');
    await rejectsWith(
      ec.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'huge', Engine: 'redis', CacheUsageLimits: { DataStorage: { Maximum: 9000, Unit: 'GB' } } })),
      'InvalidParameterValueException',
    );
    await rejectsWith(ec.send(new DescribeServerlessCachesCommand({ ServerlessCacheName: 'nope' })), 'ServerlessCacheNotFoundFault', 404);
    await rejectsWith(ec.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: 'nope' })), 'ServerlessCacheNotFoundFault', 404);
    await rejectsWith(ec.send(new CreateServerlessCacheSnapshotCommand({ ServerlessCacheName: 'nope', ServerlessCacheSnapshotName: 's' })), 'ServerlessCacheNotFoundFault', 404);
    await rejectsWith(ec.send(new CreateServerlessCacheSnapshotCommand({ ServerlessCacheName: 'restored', ServerlessCacheSnapshotName: 'snap-1' })), 'ServerlessCacheSnapshotAlreadyExistsFault');
    await rejectsWith(
      ec.send(new CopyServerlessCacheSnapshotCommand({ SourceServerlessCacheSnapshotName: 'nope', TargetServerlessCacheSnapshotName: 'x' })),
      'ServerlessCacheSnapshotNotFoundFault',
      404,
    );
    const ghostArn = (await snapshot('snap-1')).ARN!.replace(/snap-1$/, 'ghost');
    await rejectsWith(ec.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'ghost', Engine: 'redis', SnapshotArnsToRestore: [ghostArn] })), 'ServerlessCacheSnapshotNotFoundFault', 404);
  });

  test('reboots a cache cluster on the same endpoint and copies its snapshot', async () => {
    await ec.send(new CreateCacheClusterCommand({ CacheClusterId: 'plain', NumCacheNodes: 1 }));
    const describe = async () => (await ec.send(new DescribeCacheClustersCommand({ CacheClusterId: 'plain', ShowCacheNodeInfo: true }))).CacheClusters![0]!;
    const ready = await until('plain available', async () => ((await describe()).CacheClusterStatus === 'available' ? describe() : undefined));
    const port = ready.CacheNodes![0]!.Endpoint!.Port!;
    const r = redis(port);
    await r.set('k', 'v');
    await ec.send(new CreateSnapshotCommand({ CacheClusterId: 'plain', SnapshotName: 'plain-1' }));
    await until('snapshot', async () => ((await ec.send(new DescribeSnapshotsCommand({ SnapshotName: 'plain-1' }))).Snapshots![0]!.SnapshotStatus === 'available' ? true : undefined));
    const copied = await ec.send(new CopySnapshotCommand({ SourceSnapshotName: 'plain-1', TargetSnapshotName: 'plain-copy' }));
    assert.equal(copied.Snapshot!.SnapshotStatus, 'available');
    assert.equal(copied.Snapshot!.CacheClusterId, 'plain');
    await rejectsWith(ec.send(new CopySnapshotCommand({ SourceSnapshotName: 'plain-1', TargetSnapshotName: 'plain-copy' })), 'SnapshotAlreadyExistsFault');
    await rejectsWith(ec.send(new CopySnapshotCommand({ SourceSnapshotName: 'nope', TargetSnapshotName: 'x' })), 'SnapshotNotFoundFault', 404);
    await rejectsWith(ec.send(new CopySnapshotCommand({ SourceSnapshotName: 'plain-1', TargetSnapshotName: 'x', TargetBucket: 'no-such-bucket' })), 'InvalidParameterValueException', 400, /no-such-bucket/);
    await s3.send(new CreateBucketCommand({ Bucket: 'cache-exports' }));
    const exported = await ec.send(new CopySnapshotCommand({ SourceSnapshotName: 'plain-1', TargetSnapshotName: 'plain-export', TargetBucket: 'cache-exports' }));
    assert.equal(exported.Snapshot!.SnapshotName, 'plain-1');
    const object = await s3.send(new GetObjectCommand({ Bucket: 'cache-exports', Key: 'plain-export-0001.rdb' }));
    assert.equal(Buffer.from(await object.Body!.transformToByteArray()).subarray(0, 5).toString(), 'REDIS');
    await until('plain available again', async () => ((await describe()).CacheClusterStatus === 'available' ? true : undefined));

    const pid = Number(/process_id:(\d+)/.exec(await r.info('server'))![1]);
    const rebooting = await ec.send(new RebootCacheClusterCommand({ CacheClusterId: 'plain', CacheNodeIdsToReboot: ['0001'] }));
    assert.equal(rebooting.CacheCluster!.CacheClusterStatus, 'rebooting cluster nodes');
    await until('rebooted', async () => ((await describe()).CacheClusterStatus === 'available' ? true : undefined));
    const newPid = await until('new process', async () => {
      const info = await r.info('server').catch(() => undefined);
      return info ? Number(/process_id:(\d+)/.exec(info)![1]) : undefined;
    });
    assert.notEqual(newPid, pid);
    assert.equal((await describe()).CacheNodes![0]!.Endpoint!.Port, port);
    await rejectsWith(ec.send(new RebootCacheClusterCommand({ CacheClusterId: 'plain', CacheNodeIdsToReboot: ['0002'] })), 'InvalidParameterValueException');
    await rejectsWith(ec.send(new RebootCacheClusterCommand({ CacheClusterId: 'nope', CacheNodeIdsToReboot: ['0001'] })), 'CacheClusterNotFoundFault', 404);
    // A single-shard cache cluster snapshot restores into a serverless cache.
    await ec.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'from-plain', Engine: 'redis', SnapshotArnsToRestore: [copied.Snapshot!.ARN!] }));
    const fromPlain = redis((await cacheAvailable('from-plain')).Endpoint!.Port!);
    assert.equal(await fromPlain.get('k'), 'v');
  });
});
