// ALB benchmark: requests/s and added latency with 64 connections to one fast upstream (nginx
// serving a small static body), through nginx as a reverse proxy and through Atoll's HTTP proxy,
// in the same run. Run by hand: `node bench/alb/run.mjs [rounds] [seconds]` (needs nginx and wrk).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuTicks, freePort, machine, median, rssMb, runWrk, startNginx, which } from './common.mjs';

const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 8);
const extra = process.argv.includes('--all');
if (!which('wrk')) throw new Error('wrk is not installed (apt-get install -y wrk)');

const upstreamPort = await freePort();
const nginxPort = await freePort();
const upstream = await startNginx(`server { listen 127.0.0.1:${upstreamPort} backlog=4096; keepalive_requests 1000000;
  location / { return 200 "hello from the upstream\\n"; } }`);
const nginxProxy = await startNginx(`upstream app { server 127.0.0.1:${upstreamPort}; keepalive 128; }
server { listen 127.0.0.1:${nginxPort} backlog=4096; keepalive_requests 1000000;
  location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection "";
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; } }`);

async function startNode(mode) {
  const port = await freePort();
  const child = fork(fileURLToPath(new URL('./atoll-proxy.mjs', import.meta.url)), [mode, String(port), String(upstreamPort)], { stdio: 'inherit' });
  await new Promise((resolve) => child.once('message', resolve));
  return { port, pids: [child.pid], stop: () => child.kill() };
}

const targets = [
  { name: 'direct', port: upstreamPort, pids: [] },
  { name: 'nginx', port: nginxPort, pids: nginxProxy.pids },
  { name: 'atoll', ...(await startNode('atoll')) },
];
if (extra) {
  targets.push({ name: 'node-agent', ...(await startNode('agent')) });
  targets.push({ name: 'node-naive', ...(await startNode('naive')) });
}

console.log(`machine: ${machine()}`);
console.log(`wrk -t1 -c64 -d${seconds}s, ${rounds} rounds, upstream = nginx static 200`);
const results = Object.fromEntries(targets.map((t) => [t.name, []]));
for (const t of targets) await runWrk(`http://127.0.0.1:${t.port}/`, { seconds: 2 }); // warm-up
for (let r = 0; r < rounds; r++) {
  for (const t of targets) {
    const before = cpuTicks(t.pids);
    const started = process.hrtime.bigint();
    const w = await runWrk(`http://127.0.0.1:${t.port}/`, { seconds });
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    w.cpu = t.pids.length ? ((cpuTicks(t.pids) - before) / 100 / wall) * 100 : NaN;
    w.rss = t.pids.length ? rssMb(t.pids) : NaN;
    results[t.name].push(w);
    console.log(`round ${r + 1} ${t.name.padEnd(10)} ${w.rps.toFixed(0).padStart(7)} req/s  p50 ${w.p50.toFixed(2)}ms p90 ${w.p90.toFixed(2)}ms p99 ${w.p99.toFixed(2)}ms  non-2xx ${w.errors}${w.socketErrors ? ` socket errors: ${w.socketErrors}` : ''}`);
  }
}
const med = (name, key) => median(results[name].map((w) => w[key]));
console.log('\nmedians');
// req/cpu-s (requests per second of the proxy's CPU time) compares efficiency even when the
// machine is shared and a proxy does not get a whole core.
console.log('name        req/s    p50ms   p90ms   p99ms  +p50ms  +p99ms  cpu%   rssMB  vs-nginx  req/cpu-s  vs-nginx');
for (const t of targets) {
  const n = t.name;
  const row = [
    n.padEnd(10),
    med(n, 'rps').toFixed(0).padStart(7),
    med(n, 'p50').toFixed(2).padStart(7),
    med(n, 'p90').toFixed(2).padStart(7),
    med(n, 'p99').toFixed(2).padStart(7),
    (med(n, 'p50') - med('direct', 'p50')).toFixed(2).padStart(7),
    (med(n, 'p99') - med('direct', 'p99')).toFixed(2).padStart(7),
    (Number.isNaN(med(n, 'cpu')) ? '-' : med(n, 'cpu').toFixed(0)).padStart(5),
    (Number.isNaN(med(n, 'rss')) ? '-' : med(n, 'rss').toFixed(0)).padStart(7),
    (med(n, 'rps') / med('nginx', 'rps')).toFixed(2).padStart(8),
    (Number.isNaN(med(n, 'cpu')) ? '-' : median(results[n].map((w) => w.rps / (w.cpu / 100))).toFixed(0)).padStart(10),
    (Number.isNaN(med(n, 'cpu')) ? '-' : (median(results[n].map((w) => w.rps / (w.cpu / 100))) / median(results.nginx.map((w) => w.rps / (w.cpu / 100)))).toFixed(2)).padStart(9),
  ];
  console.log(row.join(' '));
}
for (const t of targets) t.stop?.();
upstream.stop();
nginxProxy.stop();
