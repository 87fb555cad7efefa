// Large objects on a fresh platform: PUT then GET of one object of --mib MiB (256 by default)
// through @aws-sdk/client-s3, for --rounds rounds (3). Per phase: MB/s, the platform's peak RSS,
// and its CPU split into the main thread and the rest (the digest worker, libuv's pool, V8's GC).
// The S3 bench (s3-bench.mjs) runs the same transfers after its small-object phases, against
// s3rver; this one shows what the transfers themselves cost, and that memory does not grow with
// the object's size (try --mib 1024).
// Usage: node tools/build.mjs && node bench/s3/large-objects.mjs [--mib N] [--rounds N]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { spawnPlatform } from '@atoll/test-support';
import { byteStream, machine, sampleProcess } from '../lib/report.mjs';

const option = (name, fallback) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
const BYTES = option('--mib', 256) * 1024 * 1024;
const ROUNDS = option('--rounds', 3);

/** CPU seconds of the process's main thread and of all its other threads together. */
function threadCpu(pid) {
  let main = 0;
  let others = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let fields;
    try {
      fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
    } catch {
      continue; // the thread ended
    }
    const seconds = (Number(fields[11]) + Number(fields[12])) / 100;
    if (tid === String(pid)) main += seconds;
    else others += seconds;
  }
  return { main, others };
}

/** Runs `fn` while sampling the process's RSS every 20 ms; returns MB/s, peak RSS and thread CPU. */
async function phase(pid, fn) {
  let peak = sampleProcess(pid).rssMb;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, sampleProcess(pid).rssMb);
    } catch {}
  }, 20);
  const before = threadCpu(pid);
  const started = performance.now();
  await fn();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const after = threadCpu(pid);
  return { mbPerSec: BYTES / 1e6 / seconds, peak, main: after.main - before.main, others: after.others - before.others };
}

const dataDir = mkdtempSync(join(tmpdir(), 'atoll-s3-large-'));
const platform = await spawnPlatform({ dataDir, services: ['s3'], env: { ATOLL_LOG_LEVEL: 'error' } });
const pid = platform.process.pid;
const s3 = new S3Client({
  endpoint: platform.endpoint,
  region: 'us-east-1',
  credentials: platform.credentials,
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
  requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true }) }),
});
try {
  await s3.send(new CreateBucketCommand({ Bucket: 'large' }));
  console.log(`S3 large objects — ${machine()}`);
  console.log(`${BYTES / 1024 / 1024} MiB per object, ${ROUNDS} rounds, fresh platform (RSS ${sampleProcess(pid).rssMb.toFixed(0)} MB after creating the bucket)`);
  const fmt = (p) => `${p.mbPerSec.toFixed(0).padStart(5)} MB/s  peak RSS ${p.peak.toFixed(0)} MB  CPU main ${p.main.toFixed(2)} s, other threads ${p.others.toFixed(2)} s`;
  for (let round = 1; round <= ROUNDS; round++) {
    const put = await phase(pid, () => s3.send(new PutObjectCommand({ Bucket: 'large', Key: `object-${round}`, Body: byteStream(BYTES), ContentLength: BYTES })));
    const get = await phase(pid, async () => {
      const out = await s3.send(new GetObjectCommand({ Bucket: 'large', Key: `object-${round}` }));
      await pipeline(out.Body, new Writable({ write: (_c, _e, done) => done() }));
    });
    console.log(`round ${round}  PUT ${fmt(put)}`);
    console.log(`         GET ${fmt(get)}`);
  }
  console.log(`RSS after the transfers: ${sampleProcess(pid).rssMb.toFixed(0)} MB`);
} finally {
  s3.destroy();
  await platform.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}
