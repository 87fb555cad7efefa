// NLB benchmark: throughput (MB/s, 64 keep-alive connections fetching a 1 MiB body) and new
// connections per second (64 connections, one request each, `Connection: close`) through Atoll's
// TCP proxy, against the same traffic sent directly to the upstream (nginx), and through nginx's
// stream proxy when its module is installed. Run by hand: `node bench/nlb/run.mjs [rounds] [seconds]`.
import { fork } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuTicks, freePort, machine, median, rssMb, runWrk, startNginx, which } from '../alb/common.mjs';

const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 6);
if (!which('wrk')) throw new Error('wrk is not installed (apt-get install -y wrk)');

const root = mkdtempSync(join(tmpdir(), 'atoll-bench-nlb-'));
writeFileSync(join(root, 'big'), Buffer.alloc(1 << 20, 120));
chmodSync(root, 0o755); // nginx workers run as an unprivileged user when started as root
chmodSync(join(root, 'big'), 0o644);
const upstreamPort = await freePort();
const upstream = await startNginx(`server { listen 127.0.0.1:${upstreamPort} backlog=4096; keepalive_requests 1000000; root ${root};
  location = /small { return 200 "ok\\n"; } }`);

const streamModule = '/usr/lib/nginx/modules/ngx_stream_module.so';
let nginxStream;
const streamPort = await freePort();
if (existsSync(streamModule)) {
  // load_module must come first in the main context; startNginx puts our text inside http{}, so the
  // stream proxy gets its own small config.
  const { spawn } = await import('node:child_process');
  const dir = mkdtempSync(join(tmpdir(), 'atoll-bench-stream-'));
  writeFileSync(join(dir, 'nginx.conf'), `load_module ${streamModule};\nworker_processes 1;\ndaemon off;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log warn;\n` +
    `events { worker_connections 4096; }\nstream { server { listen 127.0.0.1:${streamPort} backlog=4096; proxy_pass 127.0.0.1:${upstreamPort}; } }\n`);
  const child = spawn(which('nginx') ?? '/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'inherit' });
  await new Promise((r) => setTimeout(r, 300));
  const { readFileSync } = await import('node:fs');
  const { spawnSync } = await import('node:child_process');
  const pid = Number(readFileSync(join(dir, 'nginx.pid'), 'utf8'));
  const pids = [pid, ...spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map(Number)];
  nginxStream = {
    port: streamPort,
    pids,
    stop: () => {
      child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
      child.kill();
    },
  };
}

const atollPort = await freePort();
const child = fork(fileURLToPath(new URL('./tcp-proxy-child.mjs', import.meta.url)), [String(atollPort), String(upstreamPort)], { stdio: 'inherit' });
await new Promise((r) => child.once('message', r));

const targets = [{ name: 'direct', port: upstreamPort, pids: [] }];
if (nginxStream) targets.push({ name: 'nginx-tcp', port: nginxStream.port, pids: nginxStream.pids });
targets.push({ name: 'atoll-nlb', port: atollPort, pids: [child.pid] });

function transferMBps(raw) {
  const m = /Transfer\/sec:\s+([\d.]+)(\w+)/.exec(raw);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'GB' ? v * 1024 : m[2] === 'KB' ? v / 1024 : v;
}

console.log(`machine: ${machine()}`);
console.log(`wrk -t1 -c64 -d${seconds}s, ${rounds} rounds; upstream = nginx (1 worker)`);
const results = Object.fromEntries(targets.map((t) => [t.name, { mb: [], conns: [], p50: [], p99: [], cpu: [], rss: [] }]));
for (let r = 0; r < rounds; r++) {
  for (const t of targets) {
    const before = cpuTicks(t.pids);
    const started = process.hrtime.bigint();
    const big = await runWrk(`http://127.0.0.1:${t.port}/big`, { seconds });
    if (big.errors > 0) throw new Error(`${t.name}: ${big.errors} non-2xx responses for /big`);
    const close = await runWrkClose(`http://127.0.0.1:${t.port}/small`, seconds);
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    const res = results[t.name];
    res.mb.push(transferMBps(big.raw));
    res.conns.push(close.rps);
    res.p50.push(close.p50);
    res.p99.push(close.p99);
    res.cpu.push(t.pids.length ? ((cpuTicks(t.pids) - before) / 100 / wall) * 100 : NaN);
    res.rss.push(t.pids.length ? rssMb(t.pids) : NaN);
    console.log(`round ${r + 1} ${t.name.padEnd(10)} ${transferMBps(big.raw).toFixed(0).padStart(6)} MB/s  ${close.rps.toFixed(0).padStart(6)} new conn/s  (close p50 ${close.p50.toFixed(2)}ms p90 ${close.p90.toFixed(2)}ms p99 ${close.p99.toFixed(2)}ms)${close.socketErrors ? ` socket errors: ${close.socketErrors}` : ''}`);
  }
}

async function runWrkClose(url, secs) {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve) => {
    const c = spawn('wrk', ['-t1', '-c64', `-d${secs}s`, '--latency', '-H', 'Connection: close', url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('close', () => {
      const ms = (text) => {
        const m = /([\d.]+)(us|ms|s)/.exec(text ?? '');
        if (!m) return NaN;
        return m[2] === 'us' ? Number(m[1]) / 1000 : m[2] === 's' ? Number(m[1]) * 1000 : Number(m[1]);
      };
      const p = (q) => ms(new RegExp(`\\s${q}%\\s+(\\S+)`).exec(out)?.[1]);
      resolve({ rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]), p50: p(50), p90: p(90), p99: p(99), socketErrors: /Socket errors: (.*)/.exec(out)?.[1] });
    });
  });
}

console.log('\nmedians');
console.log('name          MB/s  conn/s  p50ms  p99ms  cpu%  rssMB  MB/s-vs-direct  conn/s-vs-direct');
for (const t of targets) {
  const m = results[t.name];
  const d = results.direct;
  console.log([
    t.name.padEnd(10),
    median(m.mb).toFixed(0).padStart(7),
    median(m.conns).toFixed(0).padStart(7),
    median(m.p50).toFixed(2).padStart(6),
    median(m.p99).toFixed(2).padStart(6),
    (t.pids.length ? median(m.cpu).toFixed(0) : '-').padStart(5),
    (t.pids.length ? median(m.rss).toFixed(0) : '-').padStart(6),
    (median(m.mb) / median(d.mb)).toFixed(2).padStart(15),
    (median(m.conns) / median(d.conns)).toFixed(2).padStart(17),
  ].join(' '));
}
child.kill();
nginxStream?.stop();
upstream.stop();
rmSync(root, { recursive: true, force: true });
