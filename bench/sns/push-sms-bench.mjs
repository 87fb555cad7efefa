// SNS direct publishes: latency of Publish to a mobile endpoint (TargetArn) and to a phone number
// (PhoneNumber), each recorded durably in the local delivery sink before it is acknowledged, beside
// a topic publish with no subscribers (the outbox write) in the same run, through @aws-sdk/client-sns
// against Atoll as a child process. The peer in the same rounds is moto's server mode
// (bench/sqs/moto-peer.mjs; in memory, no durability); `--no-peer` skips it. Medians of the rounds;
// SDK figures are bounded by the SDK's own CPU (see bench/platform/sdk-floor.mjs).
// Usage: node tools/build.mjs services/sns && node bench/sns/push-sms-bench.mjs [--quick] [--no-peer]
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { CreatePlatformApplicationCommand, CreatePlatformEndpointCommand, CreateTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { spawnPlatform } from '@atoll/test-support';
import { startMoto } from '../sqs/moto-peer.mjs';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 1 : 3;
const PUBLISHES = quick ? 200 : 400;

const client = (endpoint, credentials) =>
  new SNSClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1, requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 4 }) }) });

function percentiles(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
  return { p50: at(50), p90: at(90), p99: at(99) };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function time(send) {
  const samples = [];
  for (let i = 0; i < PUBLISHES; i++) {
    const t = process.hrtime.bigint();
    await send(i);
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return percentiles(samples);
}

async function round(sns, r) {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `bench-${r}` }));
  const { PlatformApplicationArn } = await sns.send(
    new CreatePlatformApplicationCommand({ Name: `bench-${r}`, Platform: 'GCM', Attributes: { PlatformCredential: 'server-key' } }),
  );
  const { EndpointArn } = await sns.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn, Token: `device-${r}` }));
  return {
    topic: await time((i) => sns.send(new PublishCommand({ TopicArn, Message: `m${i}` }))),
    push: await time((i) => sns.send(new PublishCommand({ TargetArn: EndpointArn, Message: `m${i}` }))),
    sms: await time((i) => sns.send(new PublishCommand({ PhoneNumber: '+15555550100', Message: `m${i}` }))),
  };
}

const dataDir = mkdtempSync(join(os.tmpdir(), 'atoll-push-bench-'));
const platform = await spawnPlatform({ dataDir, services: ['sns'], env: { ATOLL_LOG_LEVEL: 'error' } });
const sns = client(platform.endpoint, platform.credentials);
const peer = process.argv.includes('--no-peer') ? null : await startMoto();
const peerSns = peer ? client(peer.endpoint, peer.credentials) : null;
const ours = [];
const theirs = [];
try {
  await round(sns, 'warm');
  for (let r = 0; r < ROUNDS; r++) {
    ours.push(await round(sns, r));
    if (peerSns) theirs.push(await round(peerSns, r));
  }
} finally {
  sns.destroy();
  peerSns?.destroy();
  peer?.stop();
  await platform.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}

const f = (ms) => (ms === undefined ? '-'.padStart(9) : `${ms.toFixed(2)} ms`.padStart(9));
const row = (name, key) => {
  const m = (list, p) => (list.length ? median(list.map((x) => x[key][p])) : undefined);
  console.log(`${name.padEnd(28)} ${f(m(ours, 'p50'))} ${f(m(ours, 'p90'))} ${f(m(ours, 'p99'))}   ${f(m(theirs, 'p50'))} ${f(m(theirs, 'p99'))}`);
};
console.log(`\nSNS direct publish latency — ${ROUNDS} round(s) of ${PUBLISHES} sequential publishes, medians`);
console.log(`machine: ${os.cpus().length} x ${os.cpus()[0].model}, Node ${process.version}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`${''.padEnd(28)} ${'Atoll p50'.padStart(9)} ${'p90'.padStart(9)} ${'p99'.padStart(9)}   ${'peer p50'.padStart(9)} ${'p99'.padStart(9)}   (peer: ${peer?.name ?? 'none'})`);
row('topic, no subscribers', 'topic');
row('TargetArn (push to sink)', 'push');
row('PhoneNumber (SMS to sink)', 'sms');
