// Issue 2 figures: GetCallerIdentity through the SDK — sequential p50/p99 latency, and requests per
// second with 64 concurrent callers. The server runs as its own process.
//   node bench/platform/sts-latency.mjs [sequential=3000] [seconds=5]
import { Agent } from 'node:http';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { machine, printTable, sampleProcess, startServer, summarize } from '../lib/report.mjs';

const sequential = Number(process.argv[2] ?? 3000);
const seconds = Number(process.argv[3] ?? 5);
const server = await startServer({ args: ['--services', 'sts,iam'] });
try {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const sts = new STSClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: server.credentials,
    requestHandler: new NodeHttpHandler({ httpAgent: agent }),
  });
  for (let i = 0; i < 200; i++) await sts.send(new GetCallerIdentityCommand({}));
  const latencies = [];
  for (let i = 0; i < sequential; i++) {
    const t = performance.now();
    await sts.send(new GetCallerIdentityCommand({}));
    latencies.push(performance.now() - t);
  }
  const before = sampleProcess(server.pid);
  let count = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (performance.now() < deadline) {
        await sts.send(new GetCallerIdentityCommand({}));
        count++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const after = sampleProcess(server.pid);
  const s = summarize(latencies);
  printTable(`GetCallerIdentity through @aws-sdk/client-sts (${machine()})`, [
    ['sequential requests', String(s.n)],
    ['latency p50 / p90 / p99 (ms)', `${s.p50.toFixed(2)} / ${s.p90.toFixed(2)} / ${s.p99.toFixed(2)}`],
    ['64 concurrent callers: requests/s', (count / elapsed).toFixed(0)],
    ['server CPU during the concurrent run (cores)', ((after.cpuSeconds - before.cpuSeconds) / elapsed).toFixed(2)],
    ['server RSS after the run (MB)', after.rssMb.toFixed(1)],
  ]);
  sts.destroy();
} finally {
  await server.stop();
}
