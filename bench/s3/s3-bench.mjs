// S3 benchmark: Atoll against s3rver, in the same run on the same machine, both as child processes
// driven the same way: small-object and listing requests are presigned once with the SDK and then
// sent with plain keep-alive HTTP (so that the SDK's own CPU cost does not cap the figures), large
// transfers go through @aws-sdk/client-s3 (flexible checksums off for both: s3rver lacks trailers).
// Measures 4 KiB PUT/GET ops/s with 32 concurrent clients, 256 MiB PUT/GET throughput while
// sampling the server's RSS, and ListObjectsV2 (1,000-key pages) over a 100,000-key bucket. Each
// round also times the disk itself (256 MiB written and synced by a plain loop), for reference.
// Prints p50/p90/p99, CPU, memory and the machine; figures are medians over rounds.
// Usage: node tools/build.mjs && node bench/s3/s3-bench.mjs [--quick] [--skip-list] [--node-options '--cpu-prof --cpu-prof-dir=DIR']
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { spawnPlatform } from '@atoll/test-support';
import { byteStream, machine, sampleProcess, summarize } from '../lib/report.mjs';

const quick = process.argv.includes('--quick');
const skipList = process.argv.includes('--skip-list');
// `--node-options "<flags>"` passes V8 flags to the Atoll process (e.g. --max-semi-space-size=4).
const nodeOptions = process.argv.includes('--node-options') ? process.argv[process.argv.indexOf('--node-options') + 1] : undefined;
const ROUNDS = quick ? 1 : 3;
const SMALL_SECONDS = quick ? 3 : 5;
const CONCURRENCY = 32;
const LARGE_BYTES = 256 * 1024 * 1024;
const LIST_KEYS = quick ? 20_000 : 100_000;
const LIST_SAMPLES = quick ? 30 : 100;

function client(endpoint, credentials) {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    credentials,
    forcePathStyle: true,
    // Retries cover a keep-alive socket that the server closed while idle between phases.
    maxAttempts: 3,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }) }),
  });
}

async function startS3rver() {
  const dir = mkdtempSync(join(tmpdir(), 's3rver-bench-'));
  const script = `const S3rver=require('s3rver');new S3rver({port:0,address:'127.0.0.1',silent:true,directory:${JSON.stringify(dir)}}).run().then(a=>console.log('PORT '+a.port));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
  });
  return {
    name: 's3rver',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    pid: child.pid,
    async stop() {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startAtoll() {
  const dataDir = mkdtempSync(join(tmpdir(), 'atoll-s3-bench-'));
  const p = await spawnPlatform({ dataDir, services: ['s3'], env: { ATOLL_LOG_LEVEL: 'error' }, nodeArgs: nodeOptions ? nodeOptions.split(/\s+/) : [] });
  return {
    name: 'atoll',
    endpoint: p.endpoint,
    credentials: p.credentials,
    pid: p.process.pid,
    async stop() {
      await p.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The disk's own pace for a large object, as the reference for 256 MiB PUTs: a plain Node loop
 * writes 256 MiB to a new file in 1 MiB writes, flushing in the background every 32 MiB and syncing
 * at the end — the blob store's pattern, without HTTP or hashing (s3rver does not sync at all).
 */
async function diskReference() {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-s3-disk-'));
  const chunk = Buffer.alloc(1024 * 1024, 0x63);
  const started = performance.now();
  const file = await open(join(dir, 'reference'), 'w');
  try {
    let flushing;
    for (let at = 0; at < LARGE_BYTES; at += chunk.length) {
      await file.write(chunk, 0, chunk.length, at);
      if ((at + chunk.length) % (32 * 1024 * 1024) === 0 && !flushing) flushing = file.datasync().finally(() => (flushing = undefined));
    }
    await flushing;
    await file.datasync();
  } finally {
    await file.close();
  }
  const mbPerSec = LARGE_BYTES / 1e6 / ((performance.now() - started) / 1000);
  rmSync(dir, { recursive: true, force: true });
  return mbPerSec;
}

/** Runs `op` from `CONCURRENCY` workers for `seconds`; returns ops/s and latency percentiles (ms). */
async function closedLoop(seconds, op) {
  const latencies = [];
  const end = performance.now() + seconds * 1000;
  let n = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      while (performance.now() < end) {
        const t = performance.now();
        await op(w, n++);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { opsPerSec: latencies.length / elapsed, ...summarize(latencies) };
}

function cpuDelta(pid, fn) {
  return async () => {
    const before = sampleProcess(pid);
    const result = await fn();
    const after = sampleProcess(pid);
    return { ...result, cpuSeconds: after.cpuSeconds - before.cpuSeconds };
  };
}

const rawAgent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One plain HTTP request (retried once if a reused keep-alive socket was reset). */
async function http(url, method = 'GET', body) {
  try {
    return await httpOnce(url, method, body);
  } catch (error) {
    if (error.code !== 'ECONNRESET') throw error;
    return httpOnce(url, method, body);
  }
}

/** One plain HTTP request; resolves with the body length, rejects on a non-2xx status. */
function httpOnce(url, method = 'GET', body) {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent: rawAgent, host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: body ? { 'content-length': body.length } : {} },
      (res) => {
        let length = 0;
        let text = '';
        res.on('data', (c) => {
          length += c.length;
          if (res.statusCode >= 300 && text.length < 2000) text += c;
        });
        res.on('end', () => (res.statusCode >= 300 ? reject(new Error(`${method} ${url.pathname}: ${res.statusCode} ${text}`)) : resolve(length)));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A header-signed GET (s3rver refuses presigned listings), sent with plain HTTP. */
async function signedGet(server, path, query) {
  const url = new URL(server.endpoint);
  const signer = new SignatureV4({ service: 's3', region: 'us-east-1', credentials: server.credentials, sha256: Sha256, uriEscapePath: false });
  const signed = await signer.sign({
    method: 'GET',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path,
    query,
    headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
  });
  const qs = new URLSearchParams(query).toString();
  return new Promise((resolve, reject) => {
    const req = request({ agent: rawAgent, host: url.hostname, port: url.port, path: `${path}?${qs}`, headers: signed.headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        res.statusCode >= 300 ? reject(new Error(`GET ${path}: ${res.statusCode} ${text.slice(0, 500)}`)) : resolve(text);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const presign = async (s3, command) => new URL(await getSignedUrl(s3, command, { expiresIn: 3600 }));

const sink = () => new Writable({ write: (_c, _e, cb) => cb() });

async function benchServer(server) {
  const s3 = client(server.endpoint, server.credentials);
  const bucket = 'bench';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const small = Buffer.alloc(4096, 0x62);
  const results = { put4k: [], get4k: [], put256: [], get256: [], disk: [], rssPeak: 0, list: undefined, rssIdle: sampleProcess(server.pid).rssMb };

  for (let round = 0; round < ROUNDS; round++) {
    const putUrls = await Promise.all(Array.from({ length: 1024 }, (_, j) => presign(s3, new PutObjectCommand({ Bucket: bucket, Key: `small/${round}/${j}` }))));
    const put = await cpuDelta(server.pid, () => closedLoop(SMALL_SECONDS, (_w, i) => http(putUrls[i % putUrls.length], 'PUT', small)))();
    results.put4k.push(put);
    await Promise.all(Array.from({ length: 256 }, (_, j) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: `get/${j}`, Body: small }))));
    const getUrls = await Promise.all(Array.from({ length: 256 }, (_, j) => presign(s3, new GetObjectCommand({ Bucket: bucket, Key: `get/${j}` }))));
    const get = await cpuDelta(server.pid, () =>
      closedLoop(SMALL_SECONDS, async (_w, i) => {
        const length = await http(getUrls[i % getUrls.length]);
        if (length !== small.length) throw new Error(`GET returned ${length} bytes`);
      }),
    )();
    results.get4k.push(get);

    results.disk.push(await diskReference());
    // Large objects, sampling the server's resident memory throughout.
    results.rssBeforeLarge = Math.max(results.rssBeforeLarge ?? 0, sampleProcess(server.pid).rssMb);
    let peak = 0;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, sampleProcess(server.pid).rssMb);
      } catch {}
    }, 25);
    let t = performance.now();
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `large-${round}`, Body: byteStream(LARGE_BYTES), ContentLength: LARGE_BYTES }));
    results.put256.push(LARGE_BYTES / 1e6 / ((performance.now() - t) / 1000));
    t = performance.now();
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `large-${round}` }));
    await pipeline(out.Body, sink());
    results.get256.push(LARGE_BYTES / 1e6 / ((performance.now() - t) / 1000));
    clearInterval(sampler);
    results.rssPeak = Math.max(results.rssPeak, peak);
  }

  if (!skipList) {
    const listBucket = 'bench-list';
    await s3.send(new CreateBucketCommand({ Bucket: listBucket }));
    let next = 0;
    const fillStart = performance.now();
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < LIST_KEYS) {
          const i = next++;
          const url = await presign(s3, new PutObjectCommand({ Bucket: listBucket, Key: `key/${String(i).padStart(7, '0')}` }));
          await http(url, 'PUT', Buffer.alloc(0));
        }
      }),
    );
    const fillSeconds = (performance.now() - fillStart) / 1000;
    const latencies = [];
    let failure;
    for (let i = 0; i < LIST_SAMPLES && !failure; i++) {
      const startAfter = i === 0 ? undefined : `key/${String(Math.floor(Math.random() * (LIST_KEYS - 1000))).padStart(7, '0')}`;
      const query = { 'list-type': '2', 'max-keys': '1000', ...(startAfter ? { 'start-after': startAfter } : {}) };
      const t0 = performance.now();
      let text;
      try {
        text = await signedGet(server, `/${listBucket}/`, query);
      } catch (error) {
        failure = String(error.message).replace(/\s+/g, ' ').slice(0, 200);
        break;
      }
      latencies.push(performance.now() - t0);
      const keys = text.split('<Key>').length - 1;
      if (keys !== 1000) throw new Error(`${server.name}: a page held ${keys} keys`);
    }
    results.list = { ...summarize(latencies), fillOpsPerSec: LIST_KEYS / fillSeconds, failure };
  }
  s3.destroy();
  return results;
}

const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : String(n));

function report(name, r) {
  const put = r.put4k.sort((a, b) => a.opsPerSec - b.opsPerSec)[Math.floor(r.put4k.length / 2)];
  const get = r.get4k.sort((a, b) => a.opsPerSec - b.opsPerSec)[Math.floor(r.get4k.length / 2)];
  console.log(`\n${name}`);
  console.log(`  4 KiB PUT  ${fmt(put.opsPerSec, 0).padStart(7)} ops/s  p50 ${fmt(put.p50, 2)} ms  p90 ${fmt(put.p90, 2)} ms  p99 ${fmt(put.p99, 2)} ms  server CPU ${fmt(put.cpuSeconds, 2)} s/${SMALL_SECONDS} s`);
  console.log(`  4 KiB GET  ${fmt(get.opsPerSec, 0).padStart(7)} ops/s  p50 ${fmt(get.p50, 2)} ms  p90 ${fmt(get.p90, 2)} ms  p99 ${fmt(get.p99, 2)} ms  server CPU ${fmt(get.cpuSeconds, 2)} s/${SMALL_SECONDS} s`);
  console.log(`  (client-side latency of plain keep-alive HTTP requests, presigned)`);
  console.log(`  256 MiB PUT ${fmt(med(r.put256), 0)} MB/s   GET ${fmt(med(r.get256), 0)} MB/s   (rounds: PUT ${r.put256.map((x) => fmt(x, 0)).join(', ')}; GET ${r.get256.map((x) => fmt(x, 0)).join(', ')})`);
  console.log(`  disk reference (256 MiB written and synced by a plain Node loop, just before each PUT): ${fmt(med(r.disk), 0)} MB/s (rounds: ${r.disk.map((x) => fmt(x, 0)).join(', ')})`);
  console.log(`  server peak RSS during large transfers: ${fmt(r.rssPeak, 0)} MB (RSS when they started, after the small-object phases: ${fmt(r.rssBeforeLarge, 0)} MB; idle after start: ${fmt(r.rssIdle, 0)} MB)`);
  if (r.list?.failure) console.log(`  ListObjectsV2 over ${LIST_KEYS} keys: FAILED (${r.list.failure})`);
  else if (r.list) {
    console.log(`  ListObjectsV2 page of 1,000 over ${LIST_KEYS} keys: p50 ${fmt(r.list.p50, 2)} ms  p90 ${fmt(r.list.p90, 2)} ms  p99 ${fmt(r.list.p99, 2)} ms  (fill: ${fmt(r.list.fillOpsPerSec, 0)} empty PUT/s with 64 clients)`);
  }
  return { put, get };
}

console.log(`S3 benchmark — ${machine()}`);
console.log(`rounds ${ROUNDS}, ${CONCURRENCY} concurrent clients, ${SMALL_SECONDS} s per small-object phase${quick ? ' (quick)' : ''}${nodeOptions ? `, Atoll node options ${nodeOptions}` : ''}`);
const figures = {};
for (const start of [startAtoll, startS3rver]) {
  const server = await start();
  try {
    figures[server.name] = await benchServer(server);
  } finally {
    await server.stop();
  }
}
const a = report('atoll', figures.atoll);
const s = report('s3rver', figures.s3rver);
console.log('\nratios (atoll / s3rver)');
console.log(`  4 KiB PUT ops/s ${fmt(a.put.opsPerSec / s.put.opsPerSec, 2)}×   4 KiB GET ops/s ${fmt(a.get.opsPerSec / s.get.opsPerSec, 2)}×`);
console.log(`  256 MiB PUT ${fmt(med(figures.atoll.put256) / med(figures.s3rver.put256), 2)}×   GET ${fmt(med(figures.atoll.get256) / med(figures.s3rver.get256), 2)}×`);
if (figures.atoll.list && figures.s3rver.list && !figures.s3rver.list.failure) console.log(`  ListObjectsV2 p50 latency ${fmt(figures.s3rver.list.p50 / figures.atoll.list.p50, 2)}× faster`);
process.exit(0);
