// The engine catalogue against what is installed: redis-server answers DescribeCacheEngineVersions
// with its real version; valkey-server is looked up the same way and, when it is absent (Debian
// bookworm has no valkey package), creating a valkey cache or serverless cache is refused with
// InvalidParameterCombination naming the package, and the catalogue lists no valkey version.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import {
  CreateCacheClusterCommand,
  CreateServerlessCacheCommand,
  DescribeCacheClustersCommand,
  DescribeCacheEngineVersionsCommand,
  ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { findEngineBinary } from '../src/engine-binary.js';

const valkey = findEngineBinary('valkey');
const VALKEY_MISSING = 'valkey-server is not installed on this machine (Debian bookworm has no valkey package)';

describe('ElastiCache engine catalogue', () => {
  let p: TestPlatform;
  let ec: ElastiCacheClient;

  before(async () => {
    p = await startPlatform({ services: ['elasticache'] });
    ec = p.client(ElastiCacheClient);
  });

  after(async () => {
    await p?.stop();
  });

  test('lists the installed redis-server with its real version and family', async () => {
    const installed = /v=(\d+)\.(\d+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))!;
    const out = await ec.send(new DescribeCacheEngineVersionsCommand({ Engine: 'redis' }));
    assert.equal(out.CacheEngineVersions!.length, 1);
    const v = out.CacheEngineVersions![0]!;
    assert.equal(v.EngineVersion, `${installed[1]}.${installed[2]}`);
    assert.equal(v.CacheParameterGroupFamily, `redis${installed[1]}`);
    const none = await ec.send(new DescribeCacheEngineVersionsCommand({ Engine: 'redis', EngineVersion: '5.0.6' }));
    assert.deepEqual(none.CacheEngineVersions, []);
  });

  test('refuses valkey caches naming the package to install when valkey-server is absent', { skip: valkey ? 'valkey-server is installed' : false }, async () => {
    const listed = await ec.send(new DescribeCacheEngineVersionsCommand({ Engine: 'valkey' }));
    assert.deepEqual(listed.CacheEngineVersions, []);
    for (const attempt of [
      ec.send(new CreateCacheClusterCommand({ CacheClusterId: 'vk', Engine: 'valkey', NumCacheNodes: 1 })),
      ec.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'vk', Engine: 'valkey' })),
    ]) {
      await assert.rejects(attempt, (e: any) => {
        assert.equal(e.name, 'InvalidParameterCombinationException');
        assert.equal(e.$metadata.httpStatusCode, 400);
        assert.match(e.message, /No valkey server is installed on this host: install the Debian package valkey-server/);
        return true;
      });
    }
  });

  test('runs a valkey cache cluster on valkey-server', { skip: valkey ? false : VALKEY_MISSING }, async () => {
    await ec.send(new CreateCacheClusterCommand({ CacheClusterId: 'vk', Engine: 'valkey', NumCacheNodes: 1 }));
    const deadline = Date.now() + 10_000;
    let port: number | undefined;
    while (!port) {
      const c = (await ec.send(new DescribeCacheClustersCommand({ CacheClusterId: 'vk', ShowCacheNodeInfo: true }))).CacheClusters![0]!;
      if (c.CacheClusterStatus === 'available') port = c.CacheNodes![0]!.Endpoint!.Port!;
      else if (Date.now() > deadline) throw new Error('valkey cluster not available');
      else await new Promise((r) => setTimeout(r, 50));
    }
    const r = new Redis({ host: '127.0.0.1', port });
    try {
      await r.set('k', 'v');
      assert.equal(await r.get('k'), 'v');
      assert.match(await r.info('server'), /valkey/i);
    } finally {
      r.disconnect();
    }
  });
});
