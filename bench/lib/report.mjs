// Shared helpers for Atoll's benchmarks: percentiles, machine facts, process sampling, and
// starting a platform as a child process on a free port.
import { spawn } from 'node:child_process';
import { cpus, totalmem, platform, release } from 'node:os';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] };
}

export const median = (values) => summarize(values).p50;

export function machine() {
  const c = cpus();
  return `${c.length} × ${c[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}, node ${process.version}`;
}

/** Resident memory (MB) and CPU seconds (user+system) of a process, from /proc. */
export function sampleProcess(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]);
  return { rssMb: rssKb / 1024, cpuSeconds: ticks / 100 };
}

/**
 * Node flags that make the platform under test write a CPU profile when it exits, when the bench was
 * run with `--prof DIR` (read the profile with Chrome's DevTools or any cpuprofile viewer).
 */
export function profileArgs(argv = process.argv) {
  const i = argv.indexOf('--prof');
  return i >= 0 && argv[i + 1] ? ['--cpu-prof', `--cpu-prof-dir=${argv[i + 1]}`] : [];
}

/** Starts `apps/server/bin/atoll-server.js` on a free port with a fresh data dir. */
export async function startServer({ args = [], env = {}, dataDir, nodeArgs = [] } = {}) {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'atoll-bench-'));
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, join(repoRoot, 'apps/server/bin/atoll-server.js'), '--port', '0', '--data-dir', dir, ...args], {
    env: { ...process.env, ATOLL_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const endpoint = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)[\s\S]*Point an SDK/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  const root = JSON.parse(readFileSync(join(dir, 'credentials', 'root.json'), 'utf8'));
  return {
    endpoint,
    pid: child.pid,
    started,
    credentials: { accessKeyId: root.accessKeyId, secretAccessKey: root.secretAccessKey },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function printTable(title, rows) {
  console.log(`\n${title}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(38)} ${v}`);
}

/** A stream of `total` bytes (the letter a) in 1 MiB chunks, for uploading large objects. */
export function byteStream(total) {
  const chunk = Buffer.alloc(1024 * 1024, 0x61);
  let left = total;
  return new Readable({
    read() {
      if (left <= 0) return this.push(null);
      const n = Math.min(left, chunk.length);
      left -= n;
      this.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    },
  });
}
