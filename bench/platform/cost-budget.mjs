// Per-request cost budget: server CPU microseconds per operation, read from the server process's own
// CPU time (/proc) over a fixed number of replayed, pre-signed keep-alive HTTP requests, so that the
// client's cost (SDK, signing) does not count. Atoll (durable, signed) beside dynalite and s3rver in
// the same run; SQS and SNS for Atoll alone (no peer here serves them in-process).
// Goals (issue #21): DynamoDB GetItem/PutItem at or below dynalite; S3 4 KiB GET/PUT at or below half
// of s3rver.
// Usage: node tools/build.mjs && node bench/platform/cost-budget.mjs [--quick] [--ops N] [--rounds N]
//          [--only dynamodb|s3|messaging] [--no-peers] [--prof DIR | --perf FILE]
// `--prof DIR` writes a V8 CPU profile of Atoll's server into DIR when it stops (wall-clock samples:
// time the server waits or is preempted counts too). `--perf FILE` records the server with Linux
// perf instead (CPU time only; JS frames named through --perf-basic-prof; read with `perf report -i FILE`).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { spawnPlatform } from '@atoll/test-support';
import { machine, median, profileArgs, sampleProcess } from '../lib/report.mjs';

const argValue = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const quick = process.argv.includes('--quick');
const OPS = argValue('--ops', quick ? 2000 : 6000);
const ROUNDS = argValue('--rounds', quick ? 1 : 3);
const CONCURRENCY = 16;
const onlyAt = process.argv.indexOf('--only');
const ONLY = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
const wanted = (group) => ONLY === undefined || ONLY === group;
const PEERS = !process.argv.includes('--no-peers');
const perfAt = process.argv.indexOf('--perf');
const PERF_FILE = perfAt >= 0 ? process.argv[perfAt + 1] : undefined;
const REGION = 'us-east-1';

function startChild(script, name, credentials) {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve({ name, endpoint: `http://127.0.0.1:${m[1]}`, credentials, pid: child.pid, stop: () => child.kill('SIGKILL') });
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
}

const startDynalite = () =>
  startChild(
    `const d=require('dynalite')({createTableMs:0,deleteTableMs:0,updateTableMs:0});d.listen(0,'127.0.0.1',()=>console.log('PORT '+d.address().port));`,
    'dynalite',
    { accessKeyId: 'x', secretAccessKey: 'y' },
  );

function startS3rver() {
  const dir = mkdtempSync(join(tmpdir(), 's3rver-cost-'));
  return startChild(
    `const S3rver=require('s3rver');new S3rver({port:0,address:'127.0.0.1',silent:true,directory:${JSON.stringify(dir)}}).run().then(a=>console.log('PORT '+a.port));`,
    's3rver',
    { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  ).then((t) => ({ ...t, stop: () => (t.stop(), rmSync(dir, { recursive: true, force: true })) }));
}

async function startAtoll() {
  const dataDir = mkdtempSync(join(tmpdir(), 'atoll-cost-'));
  const p = await spawnPlatform({ dataDir, services: ['dynamodb', 'dynamodbstreams', 's3', 'sqs', 'sns'], env: { ATOLL_LOG_LEVEL: 'error' }, nodeArgs: PERF_FILE ? ['--perf-basic-prof'] : profileArgs() });
  return {
    name: 'atoll',
    endpoint: p.endpoint,
    credentials: p.credentials,
    pid: p.process.pid,
    // SIGTERM lets the server shut down cleanly (and write its CPU profile when asked for).
    stop: async () => {
      await p.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A request signed once with SigV4 (headers), replayed as is. */
async function signJson(target, service, target_, body, contentType = 'application/x-amz-json-1.0') {
  const url = new URL(target.endpoint);
  const signer = new SignatureV4({ service, region: REGION, credentials: target.credentials, sha256: Sha256 });
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const headers = { host: url.host, 'content-type': contentType, 'content-length': String(Buffer.byteLength(text)) };
  if (target_) headers['x-amz-target'] = target_;
  const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', headers, body: text });
  return { method: 'POST', url: new URL('/', target.endpoint), headers: signed.headers, body: text };
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function send(r) {
  return new Promise((resolve, reject) => {
    const req = request(r.url, { method: r.method, headers: r.headers, agent }, (res) => {
      let bytes = 0;
      res.on('data', (d) => (bytes += d.length));
      res.on('end', () => (res.statusCode < 300 ? resolve(bytes) : reject(new Error(`${r.method} ${r.url.pathname}: status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(r.body);
  });
}

/** Server CPU µs per request over `OPS` requests (after a warm-up), median over rounds. */
async function cost(target, requests) {
  const run = async (count) => {
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await send(requests[next++ % requests.length]);
    }));
  };
  await run(Math.min(1000, OPS));
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const before = sampleProcess(target.pid).cpuSeconds;
    const t0 = performance.now();
    await run(OPS);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = sampleProcess(target.pid).cpuSeconds - before;
    rounds.push({ us: (cpu * 1e6) / OPS, opsPerSec: OPS / seconds });
  }
  return { us: median(rounds.map((x) => x.us)), opsPerSec: median(rounds.map((x) => x.opsPerSec)), rounds: rounds.map((x) => Math.round(x.us)) };
}

async function dynamoCases(target) {
  const ddb = new DynamoDBClient({ endpoint: target.endpoint, region: REGION, credentials: target.credentials });
  await ddb.send(new CreateTableCommand({ TableName: 'cost', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }));
  await new Promise((r) => setTimeout(r, 100));
  const value = { S: 'x'.repeat(200) };
  for (let i = 0; i < 64; i++) await ddb.send(new PutItemCommand({ TableName: 'cost', Item: { pk: { S: `k${i}` }, v: value } }));
  ddb.destroy();
  const gets = [];
  const puts = [];
  for (let i = 0; i < 64; i++) {
    gets.push(await signJson(target, 'dynamodb', 'DynamoDB_20120810.GetItem', { TableName: 'cost', Key: { pk: { S: `k${i}` } } }));
    puts.push(await signJson(target, 'dynamodb', 'DynamoDB_20120810.PutItem', { TableName: 'cost', Item: { pk: { S: `k${i}` }, v: value } }));
  }
  return { 'DynamoDB GetItem': await cost(target, gets), 'DynamoDB PutItem': await cost(target, puts) };
}

async function s3Cases(target) {
  const s3 = new S3Client({ endpoint: target.endpoint, region: REGION, credentials: target.credentials, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: 'cost' }));
  const body = Buffer.alloc(4096, 7);
  const puts = [];
  const gets = [];
  for (let i = 0; i < 64; i++) {
    await s3.send(new PutObjectCommand({ Bucket: 'cost', Key: `o${i}`, Body: body }));
    puts.push({ method: 'PUT', url: new URL(await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'cost', Key: `o${i}` }), { expiresIn: 3600 })), headers: { 'content-length': '4096' }, body });
    gets.push({ method: 'GET', url: new URL(await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'cost', Key: `o${i}` }), { expiresIn: 3600 })), headers: {}, body: undefined });
  }
  s3.destroy();
  return { 'S3 GET 4 KiB': await cost(target, gets), 'S3 PUT 4 KiB': await cost(target, puts) };
}

async function messagingCases(target) {
  const json = (op, body) => signJson(target, 'sqs', `AmazonSQS.${op}`, body);
  const create = await send(await json('CreateQueue', { QueueName: 'cost' }));
  if (!create) throw new Error('CreateQueue answered nothing');
  const queueUrl = `${target.endpoint}/000000000000/cost`;
  const sends = [];
  for (let i = 0; i < 64; i++) sends.push(await json('SendMessage', { QueueUrl: queueUrl, MessageBody: `message ${i} ${'m'.repeat(200)}` }));
  const receive = [await json('ReceiveMessage', { QueueUrl: queueUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 0, WaitTimeSeconds: 0 })];
  const topic = await signJson(target, 'sns', undefined, `Action=CreateTopic&Name=cost&Version=2010-03-31`, 'application/x-www-form-urlencoded');
  await send(topic);
  const topicArn = `arn:aws:sns:${REGION}:000000000000:cost`;
  const publish = [await signJson(target, 'sns', undefined, `Action=Publish&TopicArn=${encodeURIComponent(topicArn)}&Message=hello&Version=2010-03-31`, 'application/x-www-form-urlencoded')];
  return { 'SQS SendMessage': await cost(target, sends), 'SQS ReceiveMessage': await cost(target, receive), 'SNS Publish (no subscribers)': await cost(target, publish) };
}

const results = {};
const record = (name, cases) => {
  for (const [op, r] of Object.entries(cases)) (results[op] ??= {})[name] = r;
};

const atoll = await startAtoll();
const perf = PERF_FILE ? spawn('perf', ['record', '-F', '1999', '-g', '-p', String(atoll.pid), '-o', PERF_FILE], { stdio: 'ignore' }) : undefined;
try {
  if (wanted('dynamodb')) record('atoll', await dynamoCases(atoll));
  if (wanted('s3')) record('atoll', await s3Cases(atoll));
  if (wanted('messaging')) record('atoll', await messagingCases(atoll));
} finally {
  if (perf) {
    perf.kill('SIGINT');
    await new Promise((resolve) => perf.once('exit', resolve));
  }
  await atoll.stop();
}
if (PEERS && wanted('dynamodb')) {
  const dynalite = await startDynalite();
  try {
    record('peer', await dynamoCases(dynalite));
  } finally {
    dynalite.stop();
  }
}
if (PEERS && wanted('s3')) {
  const s3rver = await startS3rver();
  try {
    record('peer', await s3Cases(s3rver));
  } finally {
    s3rver.stop();
  }
}
agent.destroy();

console.log(`Server CPU per operation (${OPS} replayed requests × ${ROUNDS} rounds, ${CONCURRENCY} keep-alive connections; ${machine()})`);
console.log(`${'operation'.padEnd(30)} ${'atoll µs'.padStart(9)} ${'peer µs'.padStart(9)} ${'ratio'.padStart(6)}   atoll ops/s   peer ops/s`);
for (const [op, r] of Object.entries(results)) {
  const a = r.atoll;
  const p = r.peer;
  const ratio = p ? (a.us / p.us).toFixed(2) : '';
  console.log(`${op.padEnd(30)} ${a.us.toFixed(0).padStart(9)} ${(p ? p.us.toFixed(0) : '-').padStart(9)} ${ratio.padStart(6)}   ${a.opsPerSec.toFixed(0).padStart(11)}   ${p ? p.opsPerSec.toFixed(0).padStart(10) : ''}`);
}
console.log('peers: dynalite (DynamoDB, in memory, unsigned checks), s3rver (S3, files); rounds (µs):', JSON.stringify(Object.fromEntries(Object.entries(results).map(([op, r]) => [op, Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.rounds]))]))));
