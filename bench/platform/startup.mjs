// Issue 2 figures: start to ready (first request answered) with an empty data dir, and idle
// resident memory after start. Each run spawns a fresh server process.
//   node bench/platform/startup.mjs [runs=10]
import { spawnSync } from 'node:child_process';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { machine, printTable, sampleProcess, startServer, summarize } from '../lib/report.mjs';

const runs = Number(process.argv[2] ?? 10);
// The floor: spawning a Node process that does nothing, on this machine, in this run.
const bare = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  bare.push(performance.now() - t);
}
const ready = [];
const listening = [];
const idle = [];
for (let i = 0; i < runs; i++) {
  const server = await startServer();
  listening.push(performance.now() - server.started);
  const sts = new STSClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: server.credentials });
  await sts.send(new GetCallerIdentityCommand({}));
  ready.push(performance.now() - server.started);
  sts.destroy();
  await new Promise((r) => setTimeout(r, 1500));
  idle.push(sampleProcess(server.pid).rssMb);
  await server.stop();
}
const r = summarize(ready);
const l = summarize(listening);
const m = summarize(idle);
const b = summarize(bare);
printTable(`Atoll start-up (${runs} runs; ${machine()})`, [
  ['bare `node -e 0` spawn to exit (ms) p50 / p90', `${b.p50.toFixed(1)} / ${b.p90.toFixed(1)}`],
  ['spawn → listening (ms) p50 / p90', `${l.p50.toFixed(1)} / ${l.p90.toFixed(1)}`],
  ['spawn → first request answered (ms) p50 / p90', `${r.p50.toFixed(1)} / ${r.p90.toFixed(1)}`],
  ['idle RSS after start (MB) p50 / max', `${m.p50.toFixed(1)} / ${m.max.toFixed(1)}`],
  ['goal', 'ready < 150 ms, idle RSS < 80 MB'],
]);
