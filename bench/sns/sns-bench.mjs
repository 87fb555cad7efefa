// SNS benchmark: publish latency to a topic with 1, 10 and 50 SQS subscribers, through
// @aws-sdk/client-sns against Atoll as a child process. A publish is acknowledged once it is durable
// in the outbox; fan-out to the queues follows asynchronously, so the publisher's latency should not
// grow with the number of subscribers. Also prints how long the fan-out of all published messages
// took to land in every queue (deliveries/s), server CPU and memory, and the machine. Each figure is
// the median of the rounds. The peer in the same rounds is moto's server mode (bench/sqs/moto-peer.mjs);
// LocalStack cannot run here (no Docker), so its published figures from the issue are printed for
// reference. `--no-peer` skips moto.
// Usage: node tools/build.mjs && node bench/sns/sns-bench.mjs [--quick] [--no-peer] [--prof DIR]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { queuePolicyAllowing, spawnPlatform } from '@atoll/test-support';
import { profileArgs } from '../lib/report.mjs';
import { fsyncLatency } from '../sqs/disk-probe.mjs';
import { startMoto } from '../sqs/moto-peer.mjs';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 1 : 3;
const PUBLISHES = quick ? 200 : 300;
const FANOUTS = [1, 10, 50];

function config(endpoint, credentials) {
  return {
    endpoint,
    region: 'us-east-1',
    credentials,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 16 }) }),
  };
}

function percentiles(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
  return { p50: at(50), p90: at(90), p99: at(99) };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function procStats(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]);
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
  const [, waitNs] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ').map(Number);
  return { cpuMs: (ticks * 1000) / 100, rss, runqueueMs: waitNs / 1e6 };
}

async function run(sns, sqs, pid, fanout, round) {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `bench-${fanout}-${round}` }));
  const queues = [];
  for (let i = 0; i < fanout; i++) {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `bench-${fanout}-${round}-${i}` }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    // SNS delivers only to a queue whose policy lets the topic send (as on AWS).
    const Policy = queuePolicyAllowing(Attributes.QueueArn, 'sns.amazonaws.com', TopicArn);
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy } }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes.QueueArn }));
    queues.push(QueueUrl);
  }
  const before = procStats(pid);
  const lat = [];
  const t0 = performance.now();
  for (let i = 0; i < PUBLISHES; i++) {
    const t = performance.now();
    await sns.send(new PublishCommand({ TopicArn, Message: `message ${i} ${'x'.repeat(200)}` }));
    lat.push(performance.now() - t);
  }
  const published = performance.now();
  // Wait until every queue holds every message: the fan-out's own completion time.
  for (const QueueUrl of queues) {
    for (;;) {
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
      if (Number(Attributes.ApproximateNumberOfMessages) >= PUBLISHES) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const delivered = performance.now();
  const after = procStats(pid);
  return {
    ...percentiles(lat),
    publishSeconds: (published - t0) / 1000,
    fanoutLagMs: delivered - published,
    deliveriesPerS: (PUBLISHES * fanout) / ((delivered - t0) / 1000),
    cpu: (after.cpuMs - before.cpuMs) / (delivered - t0),
    starved: (after.runqueueMs - before.runqueueMs) / (delivered - t0),
    rss: after.rss,
  };
}

const dataDir = mkdtempSync(join(os.tmpdir(), 'atoll-sns-bench-'));
const platform = await spawnPlatform({ dataDir, services: ['sqs', 'sns'], env: { ATOLL_LOG_LEVEL: 'error' }, nodeArgs: profileArgs() });
const sns = new SNSClient(config(platform.endpoint, platform.credentials));
const sqs = new SQSClient(config(platform.endpoint, platform.credentials));
const results = new Map(FANOUTS.map((f) => [f, []]));
const peer = process.argv.includes('--no-peer') ? null : await startMoto();
const peerSns = peer ? new SNSClient(config(peer.endpoint, peer.credentials)) : null;
const peerSqs = peer ? new SQSClient(config(peer.endpoint, peer.credentials)) : null;
const peerResults = new Map(FANOUTS.map((f) => [f, []]));
try {
  await run(sns, sqs, platform.process.pid, 1, 'warm');
  for (let round = 0; round < ROUNDS; round++) {
    for (const fanout of FANOUTS) {
      const r = await run(sns, sqs, platform.process.pid, fanout, round);
      results.get(fanout).push(r);
      console.error(`round ${round + 1}, ${fanout} subscribers: publish p50 ${r.p50.toFixed(2)} ms, fan-out ${r.deliveriesPerS.toFixed(0)} deliveries/s`);
      if (peer) {
        const pr = await run(peerSns, peerSqs, peer.pid, fanout, round);
        peerResults.get(fanout).push(pr);
        console.error(`round ${round + 1}, ${fanout} subscribers, peer: publish p50 ${pr.p50.toFixed(2)} ms`);
      }
    }
  }
} finally {
  sns.destroy();
  sqs.destroy();
  peerSns?.destroy();
  peerSqs?.destroy();
  peer?.stop();
  await platform.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}

const f = (ms) => `${ms.toFixed(2)} ms`.padStart(10);
console.log(`\nSNS publish latency — ${ROUNDS} round(s) of ${PUBLISHES} sequential publishes per fan-out, medians`);
console.log(`machine: ${os.cpus().length} x ${os.cpus()[0].model}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
const disk = fsyncLatency(os.tmpdir());
console.log(`disk: fdatasync of 16 KiB p50 ${disk.p50.toFixed(2)} ms, p99 ${disk.p99.toFixed(2)} ms (measured after the run)`);
console.log('subscribers   publish p50    p90        p99     fan-out done after last publish   deliveries/s   server CPU   waiting for CPU   RSS');
for (const [label, table] of [['Atoll', results], ...(peer ? [[peer.name, peerResults]] : [])]) {
console.log(label);
for (const fanout of FANOUTS) {
  const rows = table.get(fanout);
  const m = (k) => median(rows.map((r) => r[k]));
  console.log(
    `${String(fanout).padStart(11)}  ${f(m('p50'))} ${f(m('p90'))} ${f(m('p99'))}   ${f(m('fanoutLagMs')).padStart(22)}          ${m('deliveriesPerS').toFixed(0).padStart(8)}   ${(m('cpu') * 100).toFixed(0).padStart(6)}%   ${(m('starved') * 100).toFixed(0).padStart(10)}%        ${(m('rss') / 2 ** 20).toFixed(0)} MiB`,
  );
}
}
console.log('\nfor reference, published figures from the issue (not measured here): LocalStack publish 25 ms with 0 queues, 171 ms with 5');
