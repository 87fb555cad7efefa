// SQS benchmark: Atoll as a child process driven through @aws-sdk/client-sqs (JSON protocol).
//  1. throughput: several producers (SendMessageBatch of 10) and consumers (ReceiveMessage 10 +
//     DeleteMessageBatch) on one queue; messages fully processed (sent, received, deleted) per second;
//  2. single-operation latency (SendMessage, ReceiveMessage, DeleteMessage), one request at a time;
//  3. the same single operations called in-process on the provider (no HTTP, no SDK): the overhead
//     of the edge and the SDK is the difference.
// Prints p50/p90/p99, ops/s, server CPU and memory, and the machine; each figure is the median of
// the rounds. The peer, run in the same rounds on the same machine, is moto's server mode (see
// moto-peer.mjs): ElasticMQ and LocalStack cannot run here (no Docker, no Scala artifacts), so the
// issue's published figures for them are printed for reference. `--no-peer` skips moto.
// Usage: node tools/build.mjs && node bench/sqs/sqs-bench.mjs [--quick] [--no-peer] [--prof DIR]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { spawnPlatform } from '@atoll/test-support';
import { profileArgs } from '../lib/report.mjs';
import { fsyncLatency } from './disk-probe.mjs';
import { startMoto } from './moto-peer.mjs';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 1 : 3;
const SECONDS = quick ? 4 : 8;
const LATENCY_OPS = quick ? 500 : 2000;
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const PRODUCERS = arg('--producers', 8);
const CONSUMERS = arg('--consumers', 8);
const BODY = 'x'.repeat(256);

function client(endpoint, credentials, sockets = 64) {
  return new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: sockets }) }),
  });
}

function percentiles(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
  return { p50: at(50), p90: at(90), p99: at(99) };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${ms.toFixed(3)} ms`;

function procStats(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]);
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
  // schedstat: ns on a CPU, ns runnable but waiting for a CPU (the main thread).
  const [, waitNs] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ').map(Number);
  return { cpuMs: (ticks * 1000) / 100, rss, runqueueMs: waitNs / 1e6 };
}

async function throughput(sqs, pid, round) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `tp-${round}` }));
  let stop = false;
  let sent = 0;
  let done = 0;
  const before = procStats(pid);
  const clientBefore = process.cpuUsage();
  const t0 = performance.now();
  const producer = async () => {
    while (!stop) {
      const r = await sqs.send(
        new SendMessageBatchCommand({ QueueUrl, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `e${i}`, MessageBody: BODY })) }),
      );
      sent += r.Successful.length;
    }
  };
  const consumer = async () => {
    while (!stop) {
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      if (!Messages?.length) continue;
      const r = await sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl, Entries: Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })) }),
      );
      done += r.Successful.length;
    }
  };
  const workers = [...Array.from({ length: PRODUCERS }, producer), ...Array.from({ length: CONSUMERS }, consumer)];
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  stop = true;
  const elapsed = (performance.now() - t0) / 1000;
  const after = procStats(pid);
  const clientCpu = process.cpuUsage(clientBefore);
  await Promise.all(workers);
  return {
    sentPerS: sent / elapsed,
    donePerS: done / elapsed,
    cpu: (after.cpuMs - before.cpuMs) / 1000 / elapsed,
    starved: (after.runqueueMs - before.runqueueMs) / 1000 / elapsed,
    clientCpu: (clientCpu.user + clientCpu.system) / 1e6 / elapsed,
    rss: after.rss,
  };
}

async function latency(sqs, round) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `lat-${round}` }));
  const send = [];
  const receive = [];
  const del = [];
  const floor = [];
  for (let i = 0; i < LATENCY_OPS; i++) {
    let t = performance.now();
    await sqs.send(new GetQueueUrlCommand({ QueueName: `lat-${round}` }));
    floor.push(performance.now() - t);
    t = performance.now();
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: BODY }));
    send.push(performance.now() - t);
    t = performance.now();
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1 }));
    receive.push(performance.now() - t);
    t = performance.now();
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: Messages[0].ReceiptHandle }));
    del.push(performance.now() - t);
  }
  return { floor: percentiles(floor), send: percentiles(send), receive: percentiles(receive), delete: percentiles(del) };
}

/** The same operations on the provider in-process: the engine's own cost, without HTTP or the SDK. */
async function direct(round) {
  const { SqsProvider } = await import('@atoll/sqs');
  const { DEFAULT_CONFIG, EventBus } = await import('@atoll/core');
  const { embeddedStorage } = await import('@atoll/storage');
  const dataDir = mkdtempSync(join(os.tmpdir(), 'atoll-sqs-direct-'));
  const noop = () => {};
  const logger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, child: () => logger };
  const storage = embeddedStorage({ dataDir });
  const provider = new SqsProvider({ config: { ...DEFAULT_CONFIG, dataDir }, logger, bus: new EventBus(), storage, endpoint: () => 'http://x', call: async () => ({}) });
  await provider.start();
  const ctx = {
    requestId: 'r', traceId: 't', service: 'sqs', operation: 'x', accountId: '000000000000', region: 'us-east-1',
    identity: { type: 'Root', accountId: '000000000000', arn: 'arn:aws:iam::000000000000:root', principalId: '000000000000' },
    sourceIp: '127.0.0.1', userAgent: 'bench', endpoint: 'http://x', headers: {}, signal: new AbortController().signal,
  };
  try {
    const { QueueUrl } = await provider.operations.CreateQueue({ QueueName: `direct-${round}` }, ctx);
    // Throughput of the engine alone, same shape as over HTTP.
    let stop = false;
    let done = 0;
    const producer = async () => {
      while (!stop) {
        await provider.operations.SendMessageBatch({ QueueUrl, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `e${i}`, MessageBody: BODY })) }, ctx);
      }
    };
    const consumer = async () => {
      while (!stop) {
        const { Messages } = await provider.operations.ReceiveMessage({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }, { ...ctx, signal: new AbortController().signal });
        if (!Messages) continue;
        const r = await provider.operations.DeleteMessageBatch({ QueueUrl, Entries: Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })) }, ctx);
        done += r.Successful.length;
      }
    };
    const t0 = performance.now();
    const workers = [...Array.from({ length: PRODUCERS }, producer), ...Array.from({ length: CONSUMERS }, consumer)];
    await new Promise((r) => setTimeout(r, (SECONDS * 1000) / 2));
    stop = true;
    const donePerS = done / ((performance.now() - t0) / 1000);
    await Promise.all(workers);
    const send = [];
    const receive = [];
    const del = [];
    for (let i = 0; i < LATENCY_OPS; i++) {
      let t = performance.now();
      await provider.operations.SendMessage({ QueueUrl, MessageBody: BODY }, ctx);
      send.push(performance.now() - t);
      t = performance.now();
      const { Messages } = await provider.operations.ReceiveMessage({ QueueUrl, MaxNumberOfMessages: 1 }, ctx);
      receive.push(performance.now() - t);
      t = performance.now();
      await provider.operations.DeleteMessage({ QueueUrl, ReceiptHandle: Messages[0].ReceiptHandle }, ctx);
      del.push(performance.now() - t);
    }
    return { donePerS, send: percentiles(send), receive: percentiles(receive), delete: percentiles(del) };
  } finally {
    await provider.close();
    await storage.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const dataDir = mkdtempSync(join(os.tmpdir(), 'atoll-sqs-bench-'));
const platform = await spawnPlatform({ dataDir, services: ['sqs'], env: { ATOLL_LOG_LEVEL: 'error' }, nodeArgs: profileArgs() });
const pid = platform.process.pid;
const sqs = client(platform.endpoint, platform.credentials);
const peer = process.argv.includes('--no-peer') ? null : await startMoto();
const peerSqs = peer ? client(peer.endpoint, peer.credentials) : null;
const tp = [];
const lat = [];
const dir = [];
const peerTp = [];
const peerLat = [];
try {
  // Warm up the JIT and the connection pool.
  await latency(sqs, 'warm');
  if (peerSqs) await latency(peerSqs, 'warm');
  for (let round = 0; round < ROUNDS; round++) {
    tp.push(await throughput(sqs, pid, round));
    lat.push(await latency(sqs, round));
    dir.push(await direct(round));
    const t = tp[round];
    console.error(`round ${round + 1}: ${t.donePerS.toFixed(0)} msg/s end to end, send p50 ${fmt(lat[round].send.p50)}`);
    if (peerSqs) {
      peerTp.push(await throughput(peerSqs, peer.pid, round));
      peerLat.push(await latency(peerSqs, round));
      console.error(`round ${round + 1} peer: ${peerTp[round].donePerS.toFixed(0)} msg/s end to end, send p50 ${fmt(peerLat[round].send.p50)}`);
    }
  }
} finally {
  sqs.destroy();
  peerSqs?.destroy();
  peer?.stop();
  await platform.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}

const med = (rows, pick) => median(rows.map(pick));
console.log(`\nSQS benchmark — ${ROUNDS} round(s), medians`);
console.log(`machine: ${os.cpus().length} x ${os.cpus()[0].model}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`);
const disk = fsyncLatency(os.tmpdir());
console.log(`disk: fdatasync of 16 KiB in ${os.tmpdir()} p50 ${disk.p50.toFixed(2)} ms, p99 ${disk.p99.toFixed(2)} ms (measured after the run); load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`\nthroughput (${PRODUCERS} producers x SendMessageBatch 10, ${CONSUMERS} consumers x ReceiveMessage 10 + DeleteMessageBatch, ${SECONDS}s, 256-byte bodies)`);
console.log(`  end to end (sent, received, deleted): ${med(tp, (t) => t.donePerS).toFixed(0)} msg/s`);
console.log(`  sent:                                  ${med(tp, (t) => t.sentPerS).toFixed(0)} msg/s`);
console.log(`  in-process provider, end to end:       ${med(dir, (t) => t.donePerS).toFixed(0)} msg/s (the engine without HTTP and the SDK)`);
if (peer) {
  console.log(`  peer ${peer.name}: end to end ${med(peerTp, (t) => t.donePerS).toFixed(0)} msg/s, sent ${med(peerTp, (t) => t.sentPerS).toFixed(0)} msg/s, CPU ${(med(peerTp, (t) => t.cpu) * 100).toFixed(0)}%`);
}
console.log(`  server main thread runnable but waiting for a CPU (other processes): ${(med(tp, (t) => t.starved) * 100).toFixed(0)}% of the time`);
console.log(`  server CPU: ${(med(tp, (t) => t.cpu) * 100).toFixed(0)}% of one core, RSS ${(med(tp, (t) => t.rss) / 2 ** 20).toFixed(0)} MiB; load generator (SDK) CPU: ${(med(tp, (t) => t.clientCpu) * 100).toFixed(0)}%`);
console.log(`\nsingle-operation latency, ${LATENCY_OPS} sequential ops each    p50        p90        p99`);
console.log('  (floor = GetQueueUrl: SDK, HTTP, SigV4 and the edge, no storage work)');
for (const [name, rows] of [['SDK over HTTP', lat], ['in-process provider', dir], ...(peer ? [['peer (moto) SDK over HTTP', peerLat]] : [])]) {
  for (const opName of ['floor', 'send', 'receive', 'delete']) {
    if (!rows[0][opName]) continue;
    const p = (k) => fmt(med(rows, (r) => r[opName][k])).padStart(10);
    console.log(`  ${`${name} ${opName}`.padEnd(36)} ${p('p50')} ${p('p90')} ${p('p99')}`);
  }
}
console.log('\nfor reference, published figures from the issue (not measured here): ElasticMQ ~2,600 msg/s over HTTP; LocalStack receive/delete ~7 ms each');
