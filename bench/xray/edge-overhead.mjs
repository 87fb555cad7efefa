// The edge's tracing step alone: server CPU per SQS SendMessage and DynamoDB GetItem without and
// with an X-Amzn-Trace-Id header (a new sampled trace per request, so every call records and
// stores its segment), on a server with X-Ray (a fresh one per operation), in alternating rounds. Pre-signed requests are
// replayed over raw HTTP (16 keep-alive connections), so that the client's cost stays out of the
// machine's way; the trace header is not signed (SDKs leave X-Amzn-Trace-Id unsigned). Each round
// waits 1.3 s after its last request, so that X-Ray's pending write falls in its own round.
// Goal (#16): under 5 % more with the header. Then the first query's cost: building the segments
// the rounds left pending, per segment.
//   node bench/xray/edge-overhead.mjs [--ops N] [--rounds N]
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetTraceSummariesCommand, XRayClient } from '@aws-sdk/client-xray';
import { spawnPlatform } from '@atoll/test-support';

const arg = (n, d) => { const i = process.argv.indexOf(n); return i >= 0 ? process.argv[i + 1] : d; };
const OPS = Number(arg('--ops', 12000)), ROUNDS = Number(arg('--rounds', 10));
let p, url;
const cpu = () => { const s = readFileSync(`/proc/${p.process.pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(s[11]) + Number(s[12])) / 100; };
async function signed(service, target, body) {
  const signer = new SignatureV4({ service, region: 'us-east-1', credentials: p.credentials, sha256: Sha256 });
  const text = JSON.stringify(body);
  const headers = { host: url.host, 'content-type': 'application/x-amz-json-1.0', 'content-length': String(Buffer.byteLength(text)), 'x-amz-target': target };
  const s = await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', headers, body: text });
  return { headers: s.headers, body: text };
}
/** A fresh server (and data directory) per operation, so that one's leftovers do not load the other's rounds. */
const ops = {
  async SendMessage(cfg) {
    const { QueueUrl } = await new SQSClient(cfg).send(new CreateQueueCommand({ QueueName: 'bench' }));
    return Promise.all(Array.from({ length: 16 }, () => signed('sqs', 'AmazonSQS.SendMessage', { QueueUrl, MessageBody: 'x'.repeat(256) })));
  },
  async GetItem(cfg) {
    const ddb = new DynamoDBClient(cfg);
    await ddb.send(new CreateTableCommand({ TableName: 'bench', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }));
    for (let i = 0; i < 64; i++) await ddb.send(new PutItemCommand({ TableName: 'bench', Item: { pk: { S: `k${i}` }, v: { S: 'x'.repeat(200) } } }));
    ddb.destroy();
    return Promise.all(Array.from({ length: 64 }, (_, i) => signed('dynamodb', 'DynamoDB_20120810.GetItem', { TableName: 'bench', Key: { pk: { S: `k${i}` } } })));
  },
};
const agent = new Agent({ keepAlive: true, maxSockets: 16 });
const hex = (n) => randomBytes(n).toString('hex');
const send = (r, traced) => new Promise((res, rej) => {
  const headers = traced ? { ...r.headers, 'x-amzn-trace-id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${hex(12)};Parent=${hex(8)};Sampled=1` } : r.headers;
  const q = request(p.endpoint, { method: 'POST', headers, agent }, (s) => { s.resume(); s.on('end', () => (s.statusCode < 300 ? res() : rej(new Error(`status ${s.statusCode}`)))); });
  q.on('error', rej);
  q.end(r.body);
});
const run = async (reqs, n, traced) => { let next = 0; await Promise.all(Array.from({ length: 16 }, async () => { while (next < n) await send(reqs[next++ % reqs.length], traced); })); };
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
for (const [op, prepare] of Object.entries(ops)) {
  const dataDir = mkdtempSync(join(tmpdir(), 'atoll-bench-trace-'));
  p = await spawnPlatform({ dataDir, services: ['xray', 'sqs', 'dynamodb'], env: { ATOLL_LOG_LEVEL: 'error' } });
  url = new URL(p.endpoint);
  try {
    const reqs = await prepare({ endpoint: p.endpoint, region: 'us-east-1', credentials: p.credentials });
    await run(reqs, 3000, false);
    await run(reqs, 3000, true);
    const us = { plain: [], traced: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const traced of r % 2 ? [true, false] : [false, true]) {
        const c0 = cpu();
        await run(reqs, OPS, traced);
        await new Promise((done) => setTimeout(done, 1300));
        us[traced ? 'traced' : 'plain'].push(((cpu() - c0) * 1e6) / OPS);
      }
    }
    const plain = med(us.plain), traced = med(us.traced);
    // Each traced round beside the plain round next to it: the machine's drift cancels in the ratio.
    const paired = med(us.traced.map((t, i) => t / us.plain[i]));
    // The deferred part: the first query builds and indexes every pending segment of the rounds.
    const pending = 3000 + (OPS * ROUNDS) / 2;
    const xray = new XRayClient({ endpoint: p.endpoint, region: 'us-east-1', credentials: p.credentials });
    const q0 = cpu();
    const t0 = Date.now();
    const first = await xray.send(new GetTraceSummariesCommand({ StartTime: new Date(Date.now() - 3_600_000), EndTime: new Date() }));
    const firstMs = Date.now() - t0;
    const built = ((cpu() - q0) * 1e6) / pending;
    xray.destroy();
    console.log(`${op.padEnd(12)} first GetTraceSummaries after the rounds: ${firstMs} ms, ${built.toFixed(1)} µs of server CPU per pending segment built (${pending} segments; ${first.TraceSummaries?.length ?? 0} summaries on its first page)`);
    console.log(`${op.padEnd(12)} no header ${plain.toFixed(1)} µs  trace header ${traced.toFixed(1)} µs  overhead ${(((traced - plain) / plain) * 100).toFixed(1)} % (median of paired rounds ${((paired - 1) * 100).toFixed(1)} %; goal < 5 %)  rounds ${JSON.stringify({ plain: us.plain.map(Math.round), traced: us.traced.map(Math.round) })}`);
  } finally {
    await p.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
}
agent.destroy();
