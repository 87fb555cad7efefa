// The client-side floor of the official AWS SDK v3 on this machine: the latency and CPU that
// @aws-sdk/client-sqs and @aws-sdk/client-dynamodb cost by themselves, whatever the server. The server is
// a null server: a plain node:http server in a child process (so its CPU is not counted against the
// client) that answers every request at once with a canned, valid AWS response (no signature check, no
// storage). Measured, per round:
//  1. sequential latency p50/p90/p99 of SQS SendMessage (256-byte body), ReceiveMessage (1 message),
//     DeleteMessage, DynamoDB GetItem and PutItem (string key + 200-byte string attribute), after a warm-up
//     of every case (they share most of the SDK's code, so the first one timed would otherwise be colder);
//  2. client CPU per call over those sequential runs;
//  3. the SQS cycle of bench/sqs/sqs-bench.mjs (8 producers x SendMessageBatch of 10 x 256 bytes, 8
//     consumers x ReceiveMessage 10 + DeleteMessageBatch): messages/s end to end and client CPU per
//     message — the most one SDK load-generator process can reach, even with an infinitely fast server;
//  4. DynamoDB with 32 clients (50% PutItem, 50% GetItem): ops/s and client CPU;
//  5. the same GetItem bytes sent with a raw keep-alive node:http client (no SDK, no signing, no parsing),
//     so the split between the SDK's cost and the HTTP/loopback cost is visible.
// Each figure is the median of the rounds; the conclusion lines compare them with the goals below.
// Usage: node bench/platform/sdk-floor.mjs [--quick]
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Agent, createServer, request } from 'node:http';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { machine, median, printTable, sampleProcess, summarize } from '../lib/report.mjs';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 1 : 3;
const WARMUP = 1000;
const CALLS = quick ? 500 : 2000;
const SECONDS = quick ? 3 : 5;
const GOAL_GET_P50_MS = 0.4;
const GOAL_SQS_MSG_S = 10_000;

const BODY = 'x'.repeat(256);
const ATTRIBUTE = 'y'.repeat(200);
const TABLE = 'sdk-floor';
const ITEM = { pk: { S: 'key-1' }, data: { S: ATTRIBUTE } };
// A request carrying this value (as a message body or a key) gets a wrong checksum back: the run
// reports whether the SDK notices, i.e. whether checksum work is part of its cost.
const CORRUPT = 'corrupt-checksum';
const JSON_10 = 'application/x-amz-json-1.0';

if (process.argv[2] === '--null-server') nullServer();
else await main();

function nullServer() {
  const json = (value) => Buffer.from(JSON.stringify(value));
  const md5 = (text) => createHash('md5').update(text).digest('hex');
  // zlib.crc32 is Node >= 20.15; the bitwise loop covers older Node 20 and runs once per canned body.
  const crc32 =
    zlib.crc32 ??
    ((bytes) => {
      let c = ~0;
      for (const b of bytes) {
        c ^= b;
        for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
      }
      return ~c >>> 0;
    });
  // DynamoDB sends the CRC32 of every response body in x-amz-crc32.
  const canned = (value) => {
    const body = json(value);
    return { body, crc32: String(crc32(body)) };
  };
  const empty = canned({});
  const item = canned({ Item: ITEM });
  const corruptItem = { body: item.body, crc32: String((Number(item.crc32) + 1) >>> 0) };
  // Real receipt handles are ~180 characters of base64; their length is part of what the SDK parses.
  const messages = Array.from({ length: 10 }, () => ({
    MessageId: randomUUID(),
    ReceiptHandle: randomBytes(138).toString('base64'),
    MD5OfBody: md5(BODY),
    Body: BODY,
  }));
  const received = messages.map((_, i) => json({ Messages: messages.slice(0, i + 1) }));
  const sqs = {
    SendMessage: (input) => json({ MessageId: randomUUID(), MD5OfMessageBody: md5(input.MessageBody === CORRUPT ? '' : input.MessageBody) }),
    SendMessageBatch: (input) =>
      json({ Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: randomUUID(), MD5OfMessageBody: md5(e.MessageBody) })), Failed: [] }),
    ReceiveMessage: (input) => received[Math.min(10, Math.max(1, input.MaxNumberOfMessages ?? 1)) - 1],
    DeleteMessage: () => empty.body,
    DeleteMessageBatch: (input) => json({ Successful: input.Entries.map((e) => ({ Id: e.Id })), Failed: [] }),
  };
  const dynamodb = {
    GetItem: (input) => (input.Key.pk.S === CORRUPT ? corruptItem : item),
    PutItem: () => empty,
  };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target']);
      const [service, operation] = target.split('.');
      const input = JSON.parse(Buffer.concat(chunks));
      const headers = { 'content-type': JSON_10, 'x-amzn-requestid': randomUUID() };
      let body;
      if (service === 'AmazonSQS' && Object.hasOwn(sqs, operation)) {
        body = sqs[operation](input);
      } else if (service === 'DynamoDB_20120810' && Object.hasOwn(dynamodb, operation)) {
        const response = dynamodb[operation](input);
        body = response.body;
        headers['x-amz-crc32'] = response.crc32;
      } else {
        res.writeHead(400, headers).end(JSON.stringify({ __type: 'UnknownOperationException', message: `null server: no canned response for ${target}` }));
        return;
      }
      res.writeHead(200, { ...headers, 'content-length': body.length }).end(body);
    });
  });
  // Longer than any pause between phases: a server closing an idle keep-alive socket just as the
  // client reuses it would fail a request (maxAttempts is 1).
  server.keepAliveTimeout = 120_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
  // The parent closes stdin when it is done, or by exiting for any reason.
  process.stdin.on('end', () => process.exit(0)).resume();
}

async function startNullServer() {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--null-server'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [port] = await Promise.race([
    once(child.stdout, 'data'),
    once(child, 'exit').then(([code]) => Promise.reject(new Error(`null server exited with ${code}`))),
  ]);
  return {
    endpoint: `http://127.0.0.1:${Number(port)}`,
    pid: child.pid,
    async stop() {
      child.stdin.end();
      await once(child, 'exit');
    },
  };
}

async function main() {
  const { DeleteMessageBatchCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } =
    await import('@aws-sdk/client-sqs');
  const { DynamoDBClient, GetItemCommand, PutItemCommand } = await import('@aws-sdk/client-dynamodb');
  const { NodeHttpHandler } = await import('@smithy/node-http-handler');
  const require = createRequire(import.meta.url);
  const versions = ['@aws-sdk/client-sqs', '@aws-sdk/client-dynamodb', '@smithy/node-http-handler'].map((p) => `${p} ${require(`${p}/package.json`).version}`);

  const server = await startNullServer();
  const options = (sockets) => ({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDSDKFLOOR', secretAccessKey: 'sdk-floor-secret' },
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: sockets }) }),
  });
  const QueueUrl = `${server.endpoint}/000000000000/sdk-floor`;
  const sqs = new SQSClient(options(64));
  const ddb = new DynamoDBClient(options(64));
  // 32 clients of 2 sockets each, as in bench/dynamodb/dynamodb-bench.mjs.
  const ddbClients = Array.from({ length: 32 }, () => new DynamoDBClient(options(2)));
  const rawAgent = new Agent({ keepAlive: true, maxSockets: 1 });

  const getItem = (client, pk = 'key-1') => client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: pk } } }));
  const putItem = (client) => client.send(new PutItemCommand({ TableName: TABLE, Item: ITEM }));
  const batch = Array.from({ length: 10 }, (_, i) => ({ Id: `e${i}`, MessageBody: BODY }));
  const rawBody = JSON.stringify({ TableName: TABLE, Key: { pk: { S: 'key-1' } } });
  const rawGetItem = () =>
    new Promise((resolve, reject) => {
      const req = request(
        `${server.endpoint}/`,
        { method: 'POST', agent: rawAgent, headers: { 'content-type': JSON_10, 'x-amz-target': 'DynamoDB_20120810.GetItem', 'content-length': rawBody.length } },
        (res) => {
          const chunks = [];
          res.on('data', (chunk) => chunks.push(chunk));
          res.on('end', () => resolve(Buffer.concat(chunks)));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(rawBody);
    });

  /** Whether the SDK rejects a response whose checksum is wrong, and with what message. */
  const checksumCheck = (call) =>
    call().then(
      () => 'no (a wrong checksum is accepted)',
      (error) => `yes (a wrong checksum is rejected: "${error.message}")`,
    );

  async function sequential(call) {
    const latencies = [];
    const cpu = process.cpuUsage();
    for (let i = 0; i < CALLS; i++) {
      const t = performance.now();
      await call();
      latencies.push(performance.now() - t);
    }
    const used = process.cpuUsage(cpu);
    return { ...summarize(latencies), cpuUs: (used.user + used.system) / CALLS };
  }

  /** Runs the workers for SECONDS; `tally()` is the number of units (messages, ops) they have completed. */
  async function load(tally, workers) {
    let running = true;
    const cpu = process.cpuUsage();
    const loop = performance.eventLoopUtilization();
    const serverCpu = sampleProcess(server.pid).cpuSeconds;
    const t0 = performance.now();
    const finished = Promise.all(workers.map((worker) => worker(() => running)));
    await sleep(SECONDS * 1000);
    running = false;
    const seconds = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(cpu);
    const clientCores = (used.user + used.system) / 1e6 / seconds;
    const perSecond = tally() / seconds;
    const result = {
      perSecond,
      clientCores,
      cpuUsPerUnit: (clientCores / perSecond) * 1e6,
      eventLoop: performance.eventLoopUtilization(loop).utilization,
      serverCores: (sampleProcess(server.pid).cpuSeconds - serverCpu) / seconds,
    };
    await finished;
    return result;
  }

  function sqsCycle() {
    let done = 0;
    const producer = async (running) => {
      while (running()) await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: batch }));
    };
    const consumer = async (running) => {
      while (running()) {
        const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
        const r = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })) }));
        done += r.Successful.length;
      }
    };
    return load(() => done, [...Array.from({ length: 8 }, () => producer), ...Array.from({ length: 8 }, () => consumer)]);
  }

  function dynamodbMix() {
    let ops = 0;
    return load(
      () => ops,
      ddbClients.map((client, w) => async (running) => {
        for (let i = w; running(); i++) {
          await (i % 2 === 0 ? putItem(client) : getItem(client));
          ops++;
        }
      }),
    );
  }

  const RAW = 'raw node:http GetItem (no SDK)';
  let receiptHandle;
  const cases = [
    ['SQS SendMessage (256 B)', () => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: BODY }))],
    ['SQS ReceiveMessage (1 message)', () => sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1 }))],
    ['SQS DeleteMessage', () => sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: receiptHandle }))],
    ['DynamoDB GetItem', () => getItem(ddb)],
    ['DynamoDB PutItem (200 B attribute)', () => putItem(ddb)],
    [RAW, rawGetItem],
  ];
  let checks;
  const rounds = [];
  try {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1 }));
    receiptHandle = Messages[0].ReceiptHandle;
    await Promise.all(ddbClients.map((client) => getItem(client)));
    checks = {
      md5: await checksumCheck(() => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: CORRUPT }))),
      crc32: await checksumCheck(() => getItem(ddb, CORRUPT)),
    };
    // Every case warms the SDK code the others share, so all of them run before anything is timed.
    for (const [, call] of cases) for (let i = 0; i < WARMUP; i++) await call();
    for (let round = 0; round < ROUNDS; round++) {
      const seq = {};
      for (const [name, call] of cases) seq[name] = await sequential(call);
      const cycle = await sqsCycle();
      const mix = await dynamodbMix();
      rounds.push({ seq, cycle, mix });
      console.error(
        `round ${round + 1}: GetItem p50 ${seq['DynamoDB GetItem'].p50.toFixed(3)} ms, SQS cycle ${cycle.perSecond.toFixed(0)} msg/s, DynamoDB 32 clients ${mix.perSecond.toFixed(0)} ops/s`,
      );
    }
  } finally {
    sqs.destroy();
    ddb.destroy();
    ddbClients.forEach((client) => client.destroy());
    rawAgent.destroy();
    await server.stop();
  }

  const med = (pick) => median(rounds.map(pick));
  const ms = (v) => v.toFixed(3);
  const pct = (cores) => `${(cores * 100).toFixed(0)}%`;
  const figures = (name) => ({
    p50: med((r) => r.seq[name].p50),
    p90: med((r) => r.seq[name].p90),
    p99: med((r) => r.seq[name].p99),
    cpuUs: med((r) => r.seq[name].cpuUs),
  });
  const phase = (key) => Object.fromEntries(['perSecond', 'clientCores', 'cpuUsPerUnit', 'eventLoop', 'serverCores'].map((k) => [k, med((r) => r[key][k])]));
  const cycle = phase('cycle');
  const mix = phase('mix');
  const cores = availableParallelism();

  console.log(`\nAWS SDK v3 client-side floor against a null server (child process) — ${ROUNDS} round(s), medians`);
  console.log(`machine: ${machine()}`);
  console.log(`sdk: ${versions.join(', ')}; maxAttempts 1, keep-alive http.Agent`);
  console.log(`SDK verifies SQS MD5OfBody / MD5OfMessageBody: ${checks.md5}`);
  console.log(`SDK verifies DynamoDB x-amz-crc32: ${checks.crc32}`);
  printTable(
    `${`sequential: ${CALLS} calls, warm-up ${WARMUP}`.padEnd(41)}${'p50 / p90 / p99 ms'.padEnd(26)}client CPU per call`,
    cases.map(([name]) => {
      const s = figures(name);
      return [name, `${ms(s.p50)} / ${ms(s.p90)} / ${ms(s.p99)}`.padEnd(26) + `${s.cpuUs.toFixed(0)} µs`];
    }),
  );
  const loadRows = (p, unit) => [
    [`${unit}/s`, p.perSecond.toFixed(0)],
    [`client CPU per ${unit}`, `${p.cpuUsPerUnit.toFixed(1)} µs`],
    // All the client's threads (GC, libuv) count, so this can pass 100%; the event loop cannot.
    ['client CPU / event loop busy', `${pct(p.clientCores)} of one core / ${pct(p.eventLoop)}`],
    ['null server CPU', `${pct(p.serverCores)} of one core`],
  ];
  printTable(`SQS cycle, ${SECONDS}s: 8 producers x SendMessageBatch 10 x 256 B, 8 consumers x ReceiveMessage 10 + DeleteMessageBatch`, loadRows(cycle, 'msg'));
  printTable(`DynamoDB, ${SECONDS}s: 32 clients, 50% PutItem / 50% GetItem`, loadRows(mix, 'op'));

  const get = figures('DynamoDB GetItem');
  const raw = figures(RAW);
  const sdkOnly = cases.filter(([name]) => name !== RAW).map(([name]) => [name, figures(name).p50]);
  const [fastestName, fastestP50] = sdkOnly.reduce((a, b) => (b[1] < a[1] ? b : a));
  const coresFor10k = (GOAL_SQS_MSG_S * cycle.cpuUsPerUnit) / 1e6;
  console.log('\nconclusions');
  console.log(
    `  SDK floor for DynamoDB GetItem p50 = ${ms(get.p50)} ms; the raw node:http round trip to the same server is ${ms(raw.p50)} ms, so the SDK adds ` +
      `${ms(get.p50 - raw.p50)} ms and ${(get.cpuUs - raw.cpuUs).toFixed(0)} µs of client CPU per call.`,
  );
  console.log(
    `  A goal of GetItem p50 < ${GOAL_GET_P50_MS} ms through the SDK is ${get.p50 < GOAL_GET_P50_MS ? `reachable on this machine only if the server adds less than ${ms(GOAL_GET_P50_MS - get.p50)} ms` : 'not reachable on this machine, even with a server that costs nothing'}.`,
  );
  console.log(`  No SDK operation measured here went below ${ms(fastestP50)} ms p50 (${fastestName}): a lower p50 goal cannot be shown through the SDK on this machine.`);
  console.log(
    `  One SDK load-generator process tops out at ${cycle.perSecond.toFixed(0)} msg/s for the SQS cycle against a server that costs nothing ` +
      `(${cycle.cpuUsPerUnit.toFixed(1)} µs of client CPU per message, event loop ${pct(cycle.eventLoop)} busy).`,
  );
  console.log(
    `  ${GOAL_SQS_MSG_S.toLocaleString('en-US')} msg/s through the SDK needs ≈ ${coresFor10k.toFixed(2)} client cores of the ${cores} here: ` +
      (coresFor10k >= cores
        ? 'not reachable on this machine, whatever the server.'
        : `${cycle.perSecond >= GOAL_SQS_MSG_S ? 'one load-generator process can do it' : `needs ${Math.ceil(GOAL_SQS_MSG_S / cycle.perSecond)} load-generator processes`}, leaving ≈ ${(cores - coresFor10k).toFixed(2)} cores for the server under test.`),
  );
  console.log(
    `  One SDK process drives at most ${mix.perSecond.toFixed(0)} DynamoDB ops/s (32 clients, 50/50 PutItem/GetItem; ${mix.cpuUsPerUnit.toFixed(1)} µs of client CPU per op): ` +
      'a higher figure for a server under test cannot be shown with one SDK load generator on this machine.',
  );
}
