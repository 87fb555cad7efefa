// The endpoint forwarder alone: redis-benchmark (SET/GET, 50 clients, pipeline 1) against a
// redis-server started by hand, directly and through an EndpointForwarder running in its own
// process (as on the platform), rounds alternating so machine drift hits both alike. Prints medians.
// Usage: node bench/elasticache/forwarder-bench.mjs [--quick]   (build services/elasticache first)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const quick = process.argv.includes('--quick');
const REQUESTS = quick ? 50_000 : 100_000;
const ROUNDS = quick ? 3 : 5;
const forwarderModule = fileURLToPath(new URL('../../services/elasticache/dist/src/endpoint-forwarder.js', import.meta.url));

if (process.argv[2] === '--serve') {
  // Child: a forwarder on a free port to the given target; prints its port.
  const { EndpointForwarder } = await import(forwarderModule);
  const f = await EndpointForwarder.listen(0);
  f.setTargets([Number(process.argv[3])]);
  console.log(f.port);
} else {
  const freePort = () =>
    new Promise((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
    });
  const bench = (port) => {
    const out = execFileSync('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-c', '50', '-n', String(REQUESTS), '-t', 'set,get', '-q', '-P', '1'], { encoding: 'utf8' });
    const rps = {};
    for (const line of out.split(/\r|\n/)) {
      const m = /^(SET|GET): ([\d.]+) requests per second/.exec(line.trim());
      if (m) rps[m[1]] = Number(m[2]);
    }
    return rps;
  };
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const dir = mkdtempSync(join(tmpdir(), 'fwd-bench-'));
  const port = await freePort();
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir], { stdio: 'ignore' });
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const fwdPort = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
  try {
    await new Promise((r) => setTimeout(r, 300));
    const direct = { SET: [], GET: [] };
    const via = { SET: [], GET: [] };
    for (let i = 0; i < ROUNDS; i++) {
      const a = bench(port);
      const b = bench(fwdPort);
      for (const op of ['SET', 'GET']) {
        direct[op].push(a[op]);
        via[op].push(b[op]);
      }
    }
    console.log(`redis-benchmark -c 50 -n ${REQUESTS}, median of ${ROUNDS} alternating rounds:`);
    for (const op of ['SET', 'GET']) {
      const d = median(direct[op]);
      const f = median(via[op]);
      console.log(`  ${op}: redis-server directly ${d.toFixed(0)} rps | through the endpoint forwarder ${f.toFixed(0)} rps (${(f / d).toFixed(3)}×)`);
    }
  } finally {
    child.kill('SIGTERM');
    redis.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
