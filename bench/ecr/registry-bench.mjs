// Registry bench: push and pull of a single-layer image (500 MB by default, ECR_BENCH_MB) with
// skopeo from and to an OCI layout directory, against Atoll's registry and Debian's docker-registry
// (distribution v2) serving the same image in the same run; the platform's peak RSS (VmHWM); and
// manifest GET latency (p50/p99) with 32 concurrent clients against both.
// Atoll runs as a child process (ECR as an extra provider, permissive auth so both peers take the
// same anonymous skopeo command). Usage: node bench/ecr/registry-bench.mjs  (after a build)
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { machine, summarize, repoRoot } from '../lib/report.mjs';

const MB = Number(process.env.ECR_BENCH_MB ?? 500);
const SECONDS = Number(process.env.ECR_BENCH_SECONDS ?? 5);
const work = mkdtempSync(join(tmpdir(), 'ecr-bench-'));
const children = [];

const freePort = () => new Promise((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
const peakRss = (pid) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

async function startAtoll() {
  const child = spawn(process.execPath, [join(repoRoot, 'bench', 'ecr', 'atoll-child.mjs'), join(work, 'atoll'), process.env.ECR_BENCH_LOG ?? 'silent'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const endpoint = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => { out += d; if (process.env.ECR_BENCH_LOG) process.stderr.write(d); const m = /ENDPOINT (\S+)/.exec(out); if (m) resolve(m[1]); });
    child.once('exit', (code) => reject(new Error(`atoll exited ${code}`)));
  });
  // Create the repository and activate ECR.
  await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.CreateRepository', authorization: 'AWS4-HMAC-SHA256 Credential=AKIDBENCH/20250101/us-east-1/ecr/aws4_request, SignedHeaders=host, Signature=00' },
    body: JSON.stringify({ repositoryName: 'bench/app' }),
  });
  return { host: new URL(endpoint).host, pid: child.pid };
}

async function startDistribution() {
  const port = await freePort();
  const config = join(work, 'registry.yml');
  writeFileSync(config, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(work, 'distribution')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const child = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`http://127.0.0.1:${port}/v2/`)).ok) break; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { host: `127.0.0.1:${port}`, pid: child.pid };
}

function timed(args) {
  const t = process.hrtime.bigint();
  execFileSync('skopeo', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function manifestLatency(host, repo, tag) {
  const url = `http://${host}/v2/${repo}/manifests/${tag}`;
  const headers = { accept: 'application/vnd.oci.image.manifest.v1+json' };
  const latencies = [];
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (Date.now() < end) {
      const t = performance.now();
      const r = await fetch(url, { headers });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`manifest GET answered ${r.status}`);
      latencies.push(performance.now() - t);
    }
  }));
  const s = summarize(latencies);
  return { rps: Math.round(latencies.length / SECONDS), p50: s.p50.toFixed(2), p99: s.p99.toFixed(2) };
}

try {
  const { writeOciLayout } = await import(join(repoRoot, 'services/ecr/dist/test/oci-layout.js'));
  const source = join(work, 'source');
  console.log(`machine: ${machine()}`);
  console.log(`writing a ${MB} MB single-layer OCI layout…`);
  const image = await writeOciLayout(source, MB * 1024 * 1024, 'v1');
  const size = image.size / 1e6;
  const peers = { atoll: await startAtoll(), 'docker-registry': await startDistribution() };
  const rows = [];
  for (const [name, peer] of Object.entries(peers)) {
    const dest = `docker://${peer.host}/bench/app:v1`;
    const push = timed(['copy', '--dest-tls-verify=false', `oci:${source}:v1`, dest]);
    const back = join(work, `back-${name}`);
    const pull = timed(['copy', '--src-tls-verify=false', dest, `oci:${back}:v1`]);
    rmSync(back, { recursive: true, force: true });
    const latency = await manifestLatency(peer.host, 'bench/app', 'v1');
    rows.push({ peer: name, 'push MB/s': (size / push).toFixed(1), 'pull MB/s': (size / pull).toFixed(1), 'manifest GET rps': latency.rps, 'p50 ms': latency.p50, 'p99 ms': latency.p99, 'peak RSS MB': peakRss(peer.pid).toFixed(0) });
  }
  console.log(`image: one ${size.toFixed(0)} MB layer; manifest GET: 32 concurrent clients for ${SECONDS} s (client in this process)`);
  console.table(rows);
} finally {
  for (const child of children) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1500));
  rmSync(work, { recursive: true, force: true });
}
