// Soak: a mixed load (SQS send/receive/delete, SNS fan-out to three queues, S3 4 KiB and 8 MiB
// objects, DynamoDB put/get/query, Lambda invokes, ALB traffic) against one platform for 10 minutes,
// sampling the server's RSS, heap, open file descriptors, event-loop delay (p99) and the size of its
// SQLite WAL files every 10 s. Reports each series' slope after the first minute (per minute), the
// error count, and the largest WAL seen. Goals (issue #21): no growth trend, no errors, WAL files
// checkpointed back under 64 MB.
// Usage: node tools/build.mjs && node bench/platform/soak.mjs [--minutes 10] [--workers 6]
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import AdmZip from 'adm-zip';
import { SQSClient, CreateQueueCommand, SendMessageCommand, ReceiveMessageCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { SNSClient, CreateTopicCommand, SubscribeCommand, PublishCommand } from '@aws-sdk/client-sns';
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBClient, CreateTableCommand, PutItemCommand, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { LambdaClient, CreateFunctionCommand, InvokeCommand, waitUntilFunctionActiveV2 } from '@aws-sdk/client-lambda';
import { IAMClient, CreateRoleCommand, AttachRolePolicyCommand } from '@aws-sdk/client-iam';
import { ElasticLoadBalancingV2Client, CreateLoadBalancerCommand, CreateListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { spawnPlatform } from '@atoll/test-support';
import { machine } from '../lib/report.mjs';

const argValue = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const MINUTES = argValue('--minutes', 10);
const WORKERS = argValue('--workers', 6);
const SAMPLE_MS = 10_000;
const REGION = 'us-east-1';

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });

const dataDir = mkdtempSync(join(tmpdir(), 'atoll-soak-'));
const platform = await spawnPlatform({ dataDir, env: { ATOLL_LOG_LEVEL: 'error' } });
const config = {
  endpoint: platform.endpoint,
  region: REGION,
  credentials: platform.credentials,
  requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 32 }) }),
};
const sqs = new SQSClient(config);
const sns = new SNSClient(config);
const s3 = new S3Client({ ...config, forcePathStyle: true });
const ddb = new DynamoDBClient(config);
const lambda = new LambdaClient(config);
const iam = new IAMClient(config);
const elb = new ElasticLoadBalancingV2Client(config);

// Set-up: queues (one work queue, three fan-out targets that allow the topic to send), a topic, a
// bucket, a table, a function with an execution role, and an ALB listener with a fixed response.
const account = '000000000000';
const work = (await sqs.send(new CreateQueueCommand({ QueueName: 'soak-work' }))).QueueUrl;
const topicArn = (await sns.send(new CreateTopicCommand({ Name: 'soak' }))).TopicArn;
const fanout = [];
for (let i = 0; i < 3; i++) {
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: `soak-fan-${i}` }))).QueueUrl;
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes.QueueArn;
  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: arn, Condition: { ArnEquals: { 'aws:SourceArn': topicArn } } }] };
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: JSON.stringify(policy) } }));
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: arn, Attributes: { RawMessageDelivery: 'true' } }));
  fanout.push(url);
}
await s3.send(new CreateBucketCommand({ Bucket: 'soak' }));
await ddb.send(new CreateTableCommand({
  TableName: 'soak',
  AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }],
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
  BillingMode: 'PAY_PER_REQUEST',
}));
let roleArn = `arn:aws:iam::${account}:role/soak-function`;
try {
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
  roleArn = (await iam.send(new CreateRoleCommand({ RoleName: 'soak-function', AssumeRolePolicyDocument: JSON.stringify(trust) }))).Role.Arn;
  await iam.send(new AttachRolePolicyCommand({ RoleName: 'soak-function', PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' }));
} catch (error) {
  console.log(`(roles not available: ${error.name}; the function names ${roleArn})`);
}
const zip = new AdmZip();
zip.addFile('index.js', Buffer.from('exports.handler = async (event) => ({ n: event.n, at: Date.now() });'));
await lambda.send(new CreateFunctionCommand({ FunctionName: 'soak', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: roleArn, Code: { ZipFile: zip.toBuffer() } }));
await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 60 }, { FunctionName: 'soak' });
const albPort = await freePort();
const lbArn = (await elb.send(new CreateLoadBalancerCommand({ Name: 'soak', Subnets: ['subnet-1', 'subnet-2'] }))).LoadBalancers[0].LoadBalancerArn;
await elb.send(new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: albPort, DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain', MessageBody: 'soak' } }] }));
await sleep(500);

const small = Buffer.alloc(4096, 1);
const large = Buffer.alloc(8 * 1024 * 1024, 2);
const albAgent = new Agent({ keepAlive: true, maxSockets: 8 });
const albGet = () =>
  new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: albPort, path: '/', agent: albAgent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`ALB answered ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });

// One step of the mix; `i` picks the operation so that every worker runs all of them.
const steps = [
  async (i) => sqs.send(new SendMessageCommand({ QueueUrl: work, MessageBody: `work ${i} ${'w'.repeat(500)}` })),
  async () => {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: work, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (out.Messages?.length) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: work, Entries: out.Messages.map((m, k) => ({ Id: String(k), ReceiptHandle: m.ReceiptHandle })) }));
  },
  async (i) => sns.send(new PublishCommand({ TopicArn: topicArn, Message: `event ${i}` })),
  async (i) => {
    const url = fanout[i % fanout.length];
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (out.Messages?.length) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: out.Messages.map((m, k) => ({ Id: String(k), ReceiptHandle: m.ReceiptHandle })) }));
  },
  async (i) => s3.send(new PutObjectCommand({ Bucket: 'soak', Key: `small/${i % 2000}`, Body: small })),
  async (i) => {
    const out = await s3.send(new GetObjectCommand({ Bucket: 'soak', Key: `small/${i % 50}` })).catch((e) => (e.name === 'NoSuchKey' ? undefined : Promise.reject(e)));
    if (out) await out.Body.transformToByteArray();
  },
  async (i) => ddb.send(new PutItemCommand({ TableName: 'soak', Item: { pk: { S: `p${i % 100}` }, sk: { N: String(i % 1000) }, v: { S: 'x'.repeat(300) } } })),
  async (i) => ddb.send(new GetItemCommand({ TableName: 'soak', Key: { pk: { S: `p${i % 100}` }, sk: { N: String(i % 1000) } } })),
  async (i) => ddb.send(new QueryCommand({ TableName: 'soak', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: `p${i % 100}` } }, Limit: 50 })),
  async (i) => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'soak', Payload: Buffer.from(JSON.stringify({ n: i })) }));
    if (out.FunctionError) throw new Error(`function error ${out.FunctionError}`);
  },
  async () => albGet(),
  async () => albGet(),
];

let ops = 0;
const errors = new Map();
let largeOps = 0;
const end = Date.now() + MINUTES * 60_000;
const workers = Array.from({ length: WORKERS }, async (_, w) => {
  for (let i = w; Date.now() < end; i++) {
    try {
      await steps[i % steps.length](i);
      // Every 200th step of the first worker moves an 8 MiB object in and out.
      if (w === 0 && i % 200 === 0) {
        await s3.send(new PutObjectCommand({ Bucket: 'soak', Key: `large/${i % 4}`, Body: large }));
        const out = await s3.send(new GetObjectCommand({ Bucket: 'soak', Key: `large/${i % 4}` }));
        await out.Body.transformToByteArray();
        largeOps++;
      }
      ops++;
    } catch (error) {
      const key = `${error.name ?? 'Error'}: ${String(error.message).slice(0, 120)}`;
      errors.set(key, (errors.get(key) ?? 0) + 1);
    }
  }
});

function metrics() {
  return new Promise((resolve, reject) => {
    request(new URL('/metrics', platform.endpoint), (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        const value = (name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
        resolve({
          rssMb: value('atoll_process_resident_memory_bytes') / 2 ** 20,
          heapMb: value('atoll_nodejs_heap_size_used_bytes') / 2 ** 20,
          fds: value('atoll_process_open_fds'),
          loopP99Ms: value('atoll_nodejs_eventloop_lag_p99_seconds') * 1000,
        });
      });
    }).on('error', reject).end();
  });
}

function walMb(dir) {
  let total = 0;
  let largest = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('-wal')) {
        const size = statSync(p).size;
        total += size;
        largest = Math.max(largest, size);
      }
    }
  };
  walk(dir);
  return { walMb: total / 2 ** 20, largestWalMb: largest / 2 ** 20 };
}

const samples = [];
const started = Date.now();
console.log(`soak: ${MINUTES} min, ${WORKERS} workers; ${machine()}`);
console.log('   t(s)     ops  errors  rss MB  heap MB  fds  loop p99 ms  WAL MB (largest)');
while (Date.now() < end) {
  await sleep(Math.min(SAMPLE_MS, Math.max(0, end - Date.now())));
  const s = { t: (Date.now() - started) / 1000, ops, errors: [...errors.values()].reduce((a, b) => a + b, 0), ...(await metrics()), ...walMb(dataDir) };
  samples.push(s);
  console.log(`${s.t.toFixed(0).padStart(7)} ${String(s.ops).padStart(7)} ${String(s.errors).padStart(7)} ${s.rssMb.toFixed(0).padStart(7)} ${s.heapMb.toFixed(1).padStart(8)} ${String(s.fds).padStart(4)} ${s.loopP99Ms.toFixed(1).padStart(12)}  ${s.walMb.toFixed(1)} (${s.largestWalMb.toFixed(1)})`);
}
await Promise.all(workers);

/** Least-squares slope of `key` per minute over the samples after the first minute. */
function slope(key) {
  const xs = samples.filter((s) => s.t >= 60);
  if (xs.length < 2) return NaN;
  const n = xs.length;
  const mx = xs.reduce((a, s) => a + s.t / 60, 0) / n;
  const my = xs.reduce((a, s) => a + s[key], 0) / n;
  const num = xs.reduce((a, s) => a + (s.t / 60 - mx) * (s[key] - my), 0);
  const den = xs.reduce((a, s) => a + (s.t / 60 - mx) ** 2, 0);
  return num / den;
}
const seconds = (Date.now() - started) / 1000;
console.log(`\nops: ${ops} (${(ops / seconds).toFixed(0)}/s), 8 MiB round trips: ${largeOps}, errors: ${[...errors.values()].reduce((a, b) => a + b, 0)}`);
for (const [key, count] of errors) console.log(`  ${count} × ${key}`);
console.log(`slopes after the first minute (per minute): rss ${slope('rssMb').toFixed(2)} MB, heap ${slope('heapMb').toFixed(2)} MB, fds ${slope('fds').toFixed(2)}, loop p99 ${slope('loopP99Ms').toFixed(3)} ms, WAL ${slope('walMb').toFixed(2)} MB`);
console.log(`largest WAL file seen: ${Math.max(...samples.map((s) => s.largestWalMb)).toFixed(1)} MB; last sample RSS ${samples.at(-1)?.rssMb.toFixed(0)} MB, heap ${samples.at(-1)?.heapMb.toFixed(1)} MB`);
for (const c of [sqs, sns, s3, ddb, lambda, iam, elb]) c.destroy();
albAgent.destroy();
platform.kill('SIGTERM');
await sleep(500);
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
