// ElastiCache figures, same run, same machine:
//  1. redis-benchmark (SET/GET, 50 clients, pipeline 1) against a cache cluster's node endpoint, against
//     a replication group's primary endpoint (the forwarder that follows failovers), and against the same
//     redis-server started by hand (the peer). The node endpoint is the engine's own port: goal ≥ 0.98×.
//  2. CreateReplicationGroup (1 primary + 1 replica) to `available` with the replica's link up (goal < 2 s).
//  3. TestFailover to `available` with the replica promoted.
// Usage: node bench/elasticache/redis-bench.mjs [--quick]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateCacheClusterCommand,
  CreateReplicationGroupCommand,
  DeleteReplicationGroupCommand,
  DescribeCacheClustersCommand,
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
  TestFailoverCommand,
} from '@aws-sdk/client-elasticache';
import { machine, startServer, summarize } from '../lib/report.mjs';

const quick = process.argv.includes('--quick');
const REQUESTS = quick ? 50_000 : 200_000;
const ROUNDS = quick ? 3 : 5;

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function redisBenchmark(port) {
  const out = execFileSync('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-c', '50', '-n', String(REQUESTS), '-t', 'set,get', '-q', '-P', '1'], { encoding: 'utf8' });
  const rps = {};
  for (const line of out.split(/\r|\n/)) {
    const m = /^(SET|GET): ([\d.]+) requests per second(?:, p50=([\d.]+) msec)?/.exec(line.trim());
    if (m) rps[m[1]] = { rps: Number(m[2]), p50: m[3] ? Number(m[3]) : undefined };
  }
  return rps;
}

const poll = async (probe) => {
  for (;;) {
    const v = await probe();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
};

console.log(`machine: ${JSON.stringify(machine())}`);
console.log(`redis-server: ${execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim()}`);
const server = await startServer();
const peerDir = mkdtempSync(join(tmpdir(), 'redis-peer-'));
const peerPort = await freePort();
const peer = spawn('redis-server', ['--port', String(peerPort), '--bind', '127.0.0.1', '--save', '', '--dir', peerDir, '--maxmemory-policy', 'volatile-lru'], { stdio: 'ignore' });
try {
  const ec = new ElastiCacheClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: server.credentials });
  await ec.send(new CreateCacheClusterCommand({ CacheClusterId: 'bench', NumCacheNodes: 1 }));
  const cluster = await poll(async () => {
    const c = (await ec.send(new DescribeCacheClustersCommand({ CacheClusterId: 'bench', ShowCacheNodeInfo: true }))).CacheClusters[0];
    return c.CacheClusterStatus === 'available' ? c : undefined;
  });
  const nodePort = cluster.CacheNodes[0].Endpoint.Port;

  // 2 and 3: replication group lifecycle timings.
  const ready = [];
  const failover = [];
  let groupPrimaryPort;
  for (let i = 0; i < ROUNDS; i++) {
    const id = `rg${i}`;
    const t0 = performance.now();
    await ec.send(new CreateReplicationGroupCommand({ ReplicationGroupId: id, ReplicationGroupDescription: 'bench', NumCacheClusters: 2, AutomaticFailoverEnabled: true }));
    const g = await poll(async () => {
      const g = (await ec.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }))).ReplicationGroups[0];
      return g.Status === 'available' ? g : undefined;
    });
    ready.push(performance.now() - t0);
    const t1 = performance.now();
    await ec.send(new TestFailoverCommand({ ReplicationGroupId: id, NodeGroupId: '0001' }));
    await poll(async () => {
      const g = (await ec.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }))).ReplicationGroups[0];
      return g.Status === 'available' && g.NodeGroups[0].NodeGroupMembers.find((m) => m.CurrentRole === 'primary').CacheClusterId === `${id}-002` ? g : undefined;
    });
    failover.push(performance.now() - t1);
    if (i === 0) groupPrimaryPort = g.NodeGroups[0].PrimaryEndpoint.Port;
    else await ec.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: id }));
  }
  const ms = (s) => `p50 ${s.p50.toFixed(0)} ms, max ${s.max.toFixed(0)} ms`;
  console.log(`CreateReplicationGroup (1+1) → available, replica in sync: ${ms(summarize(ready))} (${ROUNDS} runs; goal < 2000 ms)`);
  console.log(`TestFailover → available, replica promoted: ${ms(summarize(failover))} (${ROUNDS} runs)`);

  // 1: redis-benchmark, alternating targets so drift hits all alike.
  const results = { peer: [], node: [], primaryEndpoint: [] };
  for (let round = 0; round < (quick ? 1 : 2); round++) {
    results.peer.push(redisBenchmark(peerPort));
    results.node.push(redisBenchmark(nodePort));
    results.primaryEndpoint.push(redisBenchmark(groupPrimaryPort));
  }
  const best = (runs, op) => Math.max(...runs.map((r) => r[op]?.rps ?? 0));
  console.log(`redis-benchmark -c 50 -n ${REQUESTS} (best of ${results.peer.length}):`);
  for (const op of ['SET', 'GET']) {
    const p = best(results.peer, op);
    const n = best(results.node, op);
    const f = best(results.primaryEndpoint, op);
    console.log(`  ${op}: redis-server by hand ${p.toFixed(0)} rps | cache node endpoint ${n.toFixed(0)} rps (${(n / p).toFixed(3)}×) | group primary endpoint (forwarder) ${f.toFixed(0)} rps (${(f / p).toFixed(3)}×)`);
  }
} finally {
  peer.kill('SIGTERM');
  await server.stop();
  rmSync(peerDir, { recursive: true, force: true });
}
