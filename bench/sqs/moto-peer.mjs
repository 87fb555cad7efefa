// The peer for the SQS and SNS benchmarks: moto's server mode (`python3 -m moto.server`, in-memory,
// no durability), the AWS emulator LocalStack's SQS and SNS providers started from. Started on a free
// port as a child process; `null` when moto is not installed.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function startMoto() {
  const probe = spawnSync('python3', ['-c', 'import moto.server; print(__import__("moto").__version__)'], { encoding: 'utf8' });
  if (probe.status !== 0) return null;
  const version = probe.stdout.trim();
  const port = await freePort();
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.resume();
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`${endpoint}/moto-api/`);
      await r.arrayBuffer();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    name: `moto ${version} (python3 -m moto.server, in-memory)`,
    endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    pid: child.pid,
    stop: () => child.kill('SIGTERM'),
  };
}
