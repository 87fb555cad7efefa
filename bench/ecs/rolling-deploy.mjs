// ECS rolling deployment benchmark: a 4-task service behind an application load balancer is rolled
// to a new revision while a constant load runs through the ALB. The figure that matters is the
// number of failed requests (goal: zero); it also prints throughput, latency percentiles and how
// long the rollout took. Run by hand: `node bench/ecs/rolling-deploy.mjs [rounds] [concurrency]`
// (needs a build: `npm run build`). There is no peer for this figure: it is a correctness run.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'node:http';
import {
  ECSClient,
  CreateServiceCommand,
  DeleteServiceCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  DescribeServicesCommand,
  waitUntilServicesStable,
} from '@aws-sdk/client-ecs';
import {
  ElasticLoadBalancingV2Client,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ModifyTargetGroupAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { spawnPlatform } from '@atoll/test-support';

const rounds = Number(process.argv[2] ?? 1);
const concurrency = Number(process.argv[3] ?? 16);
const node = process.execPath;

// The task: answers with its version; on SIGTERM stops accepting and exits once in-flight requests end.
const APP = `
const http = require('http');
const server = http.createServer((req, res) => res.end('version ' + process.env.VERSION + '\\n'));
server.keepAliveTimeout = 65000;
server.listen(process.env.PORT, '127.0.0.1');
process.on('SIGTERM', () => { server.close(() => process.exit(0)); server.closeIdleConnections(); });
`;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

/** CPU time (clock ticks, 1/100 s) and resident memory (MiB) of one process, from /proc. */
function usage(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { ticks: Number(fields[11]) + Number(fields[12]), rssMb: rss ? Number(rss[1]) / 1024 : NaN };
  } catch {
    return { ticks: NaN, rssMb: NaN };
  }
}

const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One GET over a keep-alive agent; resolves with the status and body, rejects on a socket error or timeout. */
function get(url, agent) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ statusCode: res.statusCode, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}

/** Constant load: `concurrency` keep-alive loops, each sending the next request when the last answered. */
function startLoad(url) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const stats = { ok: 0, failed: 0, failures: new Map(), versions: new Map(), latencies: [] };
  let running = true;
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      const started = performance.now();
      try {
        const res = await get(url, agent);
        stats.latencies.push(performance.now() - started);
        if (res.statusCode === 200) {
          stats.ok++;
          stats.versions.set(res.body.trim(), (stats.versions.get(res.body.trim()) ?? 0) + 1);
        } else {
          stats.failed++;
          const key = `HTTP ${res.statusCode}`;
          stats.failures.set(key, (stats.failures.get(key) ?? 0) + 1);
        }
      } catch (error) {
        stats.failed++;
        const key = error.code ?? error.message;
        stats.failures.set(key, (stats.failures.get(key) ?? 0) + 1);
      }
    }
  });
  return {
    stats,
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}

async function round(index) {
  const dataDir = mkdtempSync(join(tmpdir(), 'atoll-bench-ecs-'));
  const platform = await spawnPlatform({ dataDir, services: ['ecs', 'elbv2'], env: { ATOLL_LOG_LEVEL: 'error' } });
  const config = { endpoint: platform.endpoint, region: 'us-east-1', credentials: platform.credentials };
  const ecs = new ECSClient(config);
  const elb = new ElasticLoadBalancingV2Client(config);
  try {
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: `bench-${index}`, Type: 'application', Subnets: ['subnet-1', 'subnet-2'] }))).LoadBalancers[0];
    const tg = (
      await elb.send(
        new CreateTargetGroupCommand({
          Name: `bench-${index}`,
          Protocol: 'HTTP',
          Port: 80,
          VpcId: 'vpc-1',
          TargetType: 'ip',
          HealthCheckPath: '/',
          HealthCheckIntervalSeconds: 5,
          HealthCheckTimeoutSeconds: 2,
          HealthyThresholdCount: 2,
          UnhealthyThresholdCount: 2,
        }),
      )
    ).TargetGroups[0];
    await elb.send(
      new ModifyTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '3' }] }),
    );
    const port = await freePort();
    await elb.send(
      new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn }] }),
    );
    const register = (version) =>
      ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'bench-app',
          containerDefinitions: [
            {
              name: 'app',
              image: 'process',
              memory: 128,
              command: [node, '-e', APP],
              portMappings: [{ containerPort: 8080 }],
              environment: [{ name: 'VERSION', value: version }],
              stopTimeout: 10,
            },
          ],
        }),
      );
    const v1 = (await register('1')).taskDefinition.taskDefinitionArn;
    const v2 = (await register('2')).taskDefinition.taskDefinitionArn;
    await ecs.send(
      new CreateServiceCommand({
        serviceName: 'bench',
        taskDefinition: v1,
        desiredCount: 4,
        loadBalancers: [{ targetGroupArn: tg.TargetGroupArn, containerName: 'app', containerPort: 8080 }],
        deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200 },
      }),
    );
    await waitUntilServicesStable({ client: ecs, maxWaitTime: 180, minDelay: 1, maxDelay: 1 }, { services: ['bench'] });
    // The waiter (like ECS's) only counts RUNNING tasks; the load starts once the ALB sees all 4 healthy.
    let healthy = 0;
    for (let i = 0; i < 600 && healthy < 4; i++) {
      const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn }));
      healthy = health.TargetHealthDescriptions.filter((t) => t.TargetHealth.State === 'healthy').length;
      if (healthy < 4) await new Promise((r) => setTimeout(r, 100));
    }

    const pid = platform.process.pid;
    const cpuBefore = usage(pid).ticks;
    const load = startLoad(`http://127.0.0.1:${port}/`);
    await new Promise((r) => setTimeout(r, 2000));
    const deployStarted = performance.now();
    await ecs.send(new UpdateServiceCommand({ service: 'bench', taskDefinition: v2 }));
    await waitUntilServicesStable({ client: ecs, maxWaitTime: 300, minDelay: 1, maxDelay: 1 }, { services: ['bench'] });
    const deploySeconds = (performance.now() - deployStarted) / 1000;
    // Old tasks are gone from the service once it is stable; keep the load a little longer.
    await new Promise((r) => setTimeout(r, 3000));
    const loadSeconds = (performance.now() - deployStarted) / 1000 + 2;
    await load.stop();
    const after = usage(pid);
    const platformCpu = (after.ticks - cpuBefore) / loadSeconds; // percent of one core
    const service = (await ecs.send(new DescribeServicesCommand({ services: ['bench'] }))).services[0];
    await ecs.send(new DeleteServiceCommand({ service: 'bench', force: true }));
    const sorted = load.stats.latencies.sort((a, b) => a - b);
    return {
      healthyBefore: healthy,
      requests: load.stats.ok + load.stats.failed,
      failed: load.stats.failed,
      failures: Object.fromEntries(load.stats.failures),
      versions: Object.fromEntries(load.stats.versions),
      rps: (load.stats.ok + load.stats.failed) / loadSeconds,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      deploySeconds,
      finalTaskDefinition: service.taskDefinition === v2 ? 'v2' : service.taskDefinition,
      platformCpu,
      platformRssMb: after.rssMb,
    };
  } finally {
    ecs.destroy();
    elb.destroy();
    await platform.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, node ${process.version}`);
console.log(`rolling deployment of a 4-task ECS service behind an ALB; ${concurrency} keep-alive clients; min healthy 100%, max 200%, deregistration delay 3 s`);
const results = [];
for (let i = 0; i < rounds; i++) {
  const r = await round(i);
  results.push(r);
  console.log(
    `round ${i + 1}: requests ${r.requests}, failed ${r.failed} ${JSON.stringify(r.failures)}, versions ${JSON.stringify(r.versions)}, ` +
      `${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p90 ${r.p90.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, rollout ${r.deploySeconds.toFixed(1)} s, ` +
      `healthy targets before ${r.healthyBefore}/4, final ${r.finalTaskDefinition}; platform process ${r.platformCpu.toFixed(0)}% CPU, ${r.platformRssMb.toFixed(0)} MiB RSS`,
  );
}
console.log(
  `median: failed ${median(results.map((r) => r.failed))}, ${median(results.map((r) => r.rps)).toFixed(0)} req/s, ` +
    `p50 ${median(results.map((r) => r.p50)).toFixed(2)} ms, p99 ${median(results.map((r) => r.p99)).toFixed(2)} ms, rollout ${median(results.map((r) => r.deploySeconds)).toFixed(1)} s`,
);
if (results.some((r) => r.failed > 0)) process.exitCode = 1;
