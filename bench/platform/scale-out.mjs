// Issue 12 figures: the main operations on the embedded SQLite engine, on PostgreSQL through one
// node, and on PostgreSQL through three nodes, in one run on one machine. Each request is signed
// once per node and replayed by wrk (one wrk per node, connections split between them), so the
// client costs little (writes cycle over 256 different keys or items, as real traffic spreads); reported: throughput, wrk's latency p50/p99, CPU per request of the Atoll
// nodes and of PostgreSQL's processes, and wrk's own CPU. Also: how soon a long poll on one node
// returns after a send on another.
//   node bench/platform/scale-out.mjs [seconds=6] [cases=sqs-send,sqs-receive,sns-publish,ddb-get,ddb-put,s3-get,s3-put] [--database-url postgres://…]
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { queuePolicyAllowing } from '@atoll/test-support';
import { machine, median, printTable, sampleProcess, startServer, summarize } from '../lib/report.mjs';

const args = process.argv.slice(2);
const urlIndex = args.indexOf('--database-url');
const adminUrl = urlIndex >= 0 ? args.splice(urlIndex, 2)[1] : (process.env.ATOLL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
const seconds = Number(args[0] ?? 6);
const cases = (args[1] ?? 'sqs-send,sqs-receive,sns-publish,ddb-get,ddb-put,s3-get,s3-put').split(',');
const CONNECTIONS = 48;
/** Writes go to this many different keys or items in turn (a single hot key measures lock contention instead). */
const VARIANTS = 256;

/** CPU seconds of every PostgreSQL process on this machine (the server's share of the work). */
function postgresCpu() {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
      total += sampleProcess(Number(pid)).cpuSeconds;
    } catch {
      // The process ended while we looked.
    }
  }
  return total;
}

async function createDatabase() {
  const name = `atoll_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

async function deploy(engine, count) {
  const root = mkdtempSync(join(tmpdir(), 'atoll-scale-bench-'));
  const database = engine === 'postgres' ? await createDatabase() : undefined;
  const nodes = [];
  for (let i = 0; i < count; i++) {
    nodes.push(
      await startServer({
        dataDir: join(root, `node-${i}`),
        args: ['--services', 'sqs,sns,dynamodb,s3,sts,iam'],
        env: database ? { ATOLL_DATABASE_URL: database.url, ATOLL_BLOB_DIR: join(root, 'blobs') } : {},
      }),
    );
  }
  return {
    name: `${engine}, ${count} node${count > 1 ? 's' : ''}`,
    nodes,
    async stop() {
      for (const n of nodes) await n.stop();
      await database?.drop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

const sdk = (Client, endpoint, credentials) => new Client({ endpoint, region: 'us-east-1', credentials, forcePathStyle: true });

async function setUp(d) {
  const [first] = d.nodes;
  const sqs = sdk(SQSClient, first.endpoint, first.credentials);
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'bench' }));
  const ddb = sdk(DynamoDBClient, first.endpoint, first.credentials);
  await ddb.send(
    new CreateTableCommand({
      TableName: 'bench',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await ddb.send(new PutItemCommand({ TableName: 'bench', Item: { id: { S: 'k1' }, v: { S: 'x'.repeat(100) } } }));
  const s3 = sdk(S3Client, first.endpoint, first.credentials);
  await s3.send(new CreateBucketCommand({ Bucket: 'bench' }));
  await s3.send(new PutObjectCommand({ Bucket: 'bench', Key: 'small', Body: Buffer.alloc(4096, 0x62) }));
  // A topic with one SQS subscriber: a publish is stored in the outbox and fanned out to the queue.
  const sns = sdk(SNSClient, first.endpoint, first.credentials);
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'bench' }));
  const fanout = await sqs.send(new CreateQueueCommand({ QueueName: 'fanout' }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: fanout.QueueUrl, AttributeNames: ['QueueArn'] }));
  // SNS delivers only to a queue whose policy lets the topic send (as on AWS).
  const Policy = queuePolicyAllowing(Attributes.QueueArn, 'sns.amazonaws.com', TopicArn);
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: fanout.QueueUrl, Attributes: { Policy } }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes.QueueArn }));
  // Messages for the receive case, which sees them again and again (VisibilityTimeout 0).
  for (let i = 0; i < 10; i++) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `seed ${i}` }));
  for (const c of [sqs, ddb, s3, sns]) c.destroy();
  return { queuePath: new URL(QueueUrl).pathname, topicArn: TopicArn };
}

/** Signed requests for one node, as wrk replays them in turn: `variants` different ones (keys or items). */
async function request(which, node, ctx, dir) {
  const url = new URL(node.endpoint);
  const variants = which.endsWith('-put') ? VARIANTS : 1;
  const requests = [];
  if (which.startsWith('s3-')) {
    const s3 = sdk(S3Client, node.endpoint, node.credentials);
    const put = which === 's3-put';
    for (let i = 0; i < variants; i++) {
      const key = put ? `put-${i}` : 'small';
      const signed = new URL(await getSignedUrl(s3, put ? new PutObjectCommand({ Bucket: 'bench', Key: key }) : new GetObjectCommand({ Bucket: 'bench', Key: key }), { expiresIn: 3600 }));
      requests.push({ method: put ? 'PUT' : 'GET', path: `${signed.pathname}${signed.search}`, headers: {}, body: put ? 'b'.repeat(4096) : '' });
    }
    s3.destroy();
  } else {
    for (let i = 0; i < variants; i++) {
      const spec = {
        'sqs-send': {
          service: 'sqs',
          target: 'AmazonSQS.SendMessage',
          body: JSON.stringify({ QueueUrl: `${node.endpoint}${ctx.queuePath}`, MessageBody: 'm'.repeat(100) }),
        },
        'sqs-receive': {
          service: 'sqs',
          target: 'AmazonSQS.ReceiveMessage',
          body: JSON.stringify({ QueueUrl: `${node.endpoint}${ctx.queuePath}`, MaxNumberOfMessages: 1, VisibilityTimeout: 0 }),
        },
        'sns-publish': {
          service: 'sns',
          contentType: 'application/x-www-form-urlencoded',
          body: new URLSearchParams({ Action: 'Publish', Version: '2010-03-31', TopicArn: ctx.topicArn, Message: 'p'.repeat(100) }).toString(),
        },
        'ddb-get': { service: 'dynamodb', target: 'DynamoDB_20120810.GetItem', body: JSON.stringify({ TableName: 'bench', Key: { id: { S: 'k1' } } }) },
        'ddb-put': { service: 'dynamodb', target: 'DynamoDB_20120810.PutItem', body: JSON.stringify({ TableName: 'bench', Item: { id: { S: `put-${i}` }, v: { S: 'y'.repeat(100) } } }) },
      }[which];
      const headers = { host: url.host, 'content-type': spec.contentType ?? 'application/x-amz-json-1.0', ...(spec.target ? { 'x-amz-target': spec.target } : {}) };
      const signer = new SignatureV4({ credentials: node.credentials, region: 'us-east-1', service: spec.service, sha256: Sha256 });
      const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', query: {}, headers, body: spec.body });
      const sendHeaders = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== 'host'));
      if (i === 0) {
        const check = await fetch(node.endpoint, { method: 'POST', headers: sendHeaders, body: spec.body });
        if (check.status !== 200) throw new Error(`${which} refused by ${node.endpoint}: ${check.status} ${await check.text()}`);
      }
      requests.push({ method: 'POST', path: '/', headers: sendHeaders, body: spec.body });
    }
  }
  const lua = (value) => JSON.stringify(value);
  const script = join(dir, `${which}-${url.port}.lua`);
  writeFileSync(
    script,
    `local reqs = {\n${requests
      .map((r) => `  { m = ${lua(r.method)}, p = ${lua(r.path)}, b = ${lua(r.body)}, h = { ${Object.entries(r.headers).map(([k, v]) => `[${lua(k)}] = ${lua(v)}`).join(', ')} } },`)
      .join('\n')}\n}\nlocal i = 0\nrequest = function()\n  i = i % #reqs + 1\n  local r = reqs[i]\n  return wrk.format(r.m, r.p, r.h, r.b ~= "" and r.b or nil)\nend\n`,
  );
  return { target: node.endpoint, script };
}

const toMs = (text) => {
  const m = /([\d.]+)(us|ms|s)/.exec(text ?? '');
  if (!m) return NaN;
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]];
};

/** Runs one wrk per node at once; resolves with each one's output and its own CPU seconds. */
function runWrk(targets) {
  const perNode = Math.max(1, Math.round(CONNECTIONS / targets.length));
  return Promise.all(
    targets.map(
      ({ target, script }) =>
        new Promise((resolve, reject) => {
          const child = spawn('bash', ['-c', `TIMEFORMAT='%U %S'; time wrk -t 1 -c ${perNode} -d ${seconds}s --latency -s '${script}' '${target}'`], { stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          let err = '';
          child.stdout.on('data', (d) => (out += d));
          child.stderr.on('data', (d) => (err += d));
          child.once('error', reject);
          child.once('exit', (code) => {
            if (code !== 0) return reject(new Error(`wrk failed: ${err}`));
            const [user, sys] = err.trim().split('\n').at(-1).split(' ').map(Number);
            resolve({ out, cpu: user + sys });
          });
        }),
    ),
  );
}

async function measure(d, ctx, which) {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-wrk-'));
  const targets = [];
  for (const node of d.nodes) targets.push(await request(which, node, ctx, dir));
  const before = d.nodes.map((n) => sampleProcess(n.pid).cpuSeconds);
  const pgBefore = postgresCpu();
  const results = await runWrk(targets);
  const nodeCpu = d.nodes.reduce((sum, n, i) => sum + sampleProcess(n.pid).cpuSeconds - before[i], 0);
  const pgCpu = postgresCpu() - pgBefore;
  rmSync(dir, { recursive: true, force: true });
  const rps = results.reduce((sum, r) => sum + Number(/Requests\/sec:\s+([\d.]+)/.exec(r.out)?.[1] ?? 0), 0);
  const non2xx = results.reduce((sum, r) => sum + Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.out)?.[1] ?? 0), 0);
  const p50 = median(results.map((r) => toMs(/\s50%\s+(\S+)/.exec(r.out)?.[1])));
  const p99 = Math.max(...results.map((r) => toMs(/\s99%\s+(\S+)/.exec(r.out)?.[1])));
  const total = rps * seconds;
  return {
    rps,
    p50,
    p99,
    non2xx,
    nodeUs: (nodeCpu / total) * 1e6,
    pgUs: (pgCpu / total) * 1e6,
    clientUs: (results.reduce((s, r) => s + r.cpu, 0) / total) * 1e6,
  };
}

/** Milliseconds from a send on node B being acknowledged to the long poll on node A returning it. */
async function wakeUp(d, ctx, rounds = 15) {
  const [a, b] = d.nodes.length > 1 ? d.nodes : [d.nodes[0], d.nodes[0]];
  const waiter = sdk(SQSClient, a.endpoint, a.credentials);
  const sender = sdk(SQSClient, b.endpoint, b.credentials);
  const { QueueUrl } = await sender.send(new CreateQueueCommand({ QueueName: 'wake' }));
  const delays = [];
  for (let i = 0; i < rounds; i++) {
    const polling = waiter.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 10 })).then((out) => ({ out, at: performance.now() }));
    await new Promise((r) => setTimeout(r, 150));
    await sender.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }));
    const sentAt = performance.now();
    const { out, at } = await polling;
    delays.push(at - sentAt);
    await waiter.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: out.Messages[0].ReceiptHandle }));
  }
  waiter.destroy();
  sender.destroy();
  void ctx;
  return summarize(delays);
}

const rows = [];
for (const [engine, count] of [
  ['sqlite', 1],
  ['postgres', 1],
  ['postgres', 3],
]) {
  const d = await deploy(engine, count);
  try {
    const ctx = await setUp(d);
    for (const which of cases) {
      const r = await measure(d, ctx, which);
      rows.push([
        `${which.padEnd(9)} ${d.name}`,
        `${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(1)} ms  nodes ${r.nodeUs.toFixed(0)} µs/req  postgres ${r.pgUs.toFixed(0)} µs/req  wrk ${r.clientUs.toFixed(0)} µs/req${r.non2xx ? `  NON-2XX ${r.non2xx}` : ''}`,
      ]);
      console.log(rows.at(-1).join('  '));
    }
    const wake = await wakeUp(d, ctx);
    rows.push([`long-poll wake-up ${d.name}`, `p50 ${wake.p50.toFixed(1)} ms  p90 ${wake.p90.toFixed(1)} ms  max ${wake.max.toFixed(1)} ms (${count > 1 ? 'poll on node 1, send on node 2' : 'same node'})`]);
    console.log(rows.at(-1).join('  '));
  } finally {
    await d.stop();
  }
}
printTable(`Scale-out: replayed signed requests, ${CONNECTIONS} connections split over the nodes, ${seconds} s each (${machine()})`, rows);
