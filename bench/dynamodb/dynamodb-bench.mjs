// DynamoDB benchmark: Atoll against dynalite, in the same run on the same machine, both as child
// processes driven through @aws-sdk/client-dynamodb. Prints p50/p90/p99, ops/s, CPU, memory, machine.
// Usage: node tools/build.mjs && node bench/dynamodb/dynamodb-bench.mjs [--quick] [--skip-1gb] [--prof DIR]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { Agent } from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchWriteItemCommand, CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { request as httpRequest } from 'node:http';
import { spawnPlatform } from '@atoll/test-support';
import { profileArgs } from '../lib/report.mjs';

const quick = process.argv.includes('--quick');
const skip1gb = process.argv.includes('--skip-1gb');
const ROUNDS = quick ? 1 : 3;
const SEQ_OPS = quick ? 1000 : 3000;
const CONC_SECONDS = quick ? 3 : 5;
const PARTITION_ITEMS = quick ? 20_000 : 100_000;

function client(endpoint, credentials, sockets = 64) {
  return new DynamoDBClient({
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

function procStats(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]);
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
  return { cpuMs: (ticks * 1000) / 100, rss };
}

async function startDynalite() {
  const script = `const d=require('dynalite')({createTableMs:0,deleteTableMs:0,updateTableMs:0});d.listen(0,'127.0.0.1',()=>console.log('PORT '+d.address().port));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
  });
  return { endpoint: `http://127.0.0.1:${port}`, credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, pid: child.pid, stop: () => child.kill('SIGKILL') };
}

async function startAtoll(dataDir) {
  const t0 = performance.now();
  const p = await spawnPlatform({ dataDir, services: ['dynamodb', 'dynamodbstreams'], env: { ATOLL_LOG_LEVEL: 'error' }, nodeArgs: profileArgs() });
  return { endpoint: p.endpoint, credentials: p.credentials, pid: p.process.pid, readyMs: performance.now() - t0, stop: () => p.kill('SIGTERM') };
}

async function createTable(ddb, name) {
  await ddb.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await sleep(50);
}

const payload = { S: 'x'.repeat(200) };

async function sequential(ddb, kind, round) {
  const lat = [];
  for (let i = 0; i < SEQ_OPS; i++) {
    const key = { pk: { S: `seq${i % 500}` }, sk: { N: String(round) } };
    const t = performance.now();
    if (kind === 'put') await ddb.send(new PutItemCommand({ TableName: 'bench', Item: { ...key, v: payload } }));
    else await ddb.send(new GetItemCommand({ TableName: 'bench', Key: key }));
    lat.push(performance.now() - t);
  }
  return percentiles(lat);
}

async function concurrent(target) {
  const clients = Array.from({ length: 32 }, () => client(target.endpoint, target.credentials, 2));
  let ops = 0;
  const lat = [];
  const end = performance.now() + CONC_SECONDS * 1000;
  const before = procStats(target.pid);
  await Promise.all(
    clients.map(async (c, w) => {
      for (let i = 0; performance.now() < end; i++) {
        const key = { pk: { S: `c${w}-${i % 200}` }, sk: { N: '1' } };
        const t = performance.now();
        if (i % 2 === 0) await c.send(new PutItemCommand({ TableName: 'bench', Item: { ...key, v: payload } }));
        else await c.send(new GetItemCommand({ TableName: 'bench', Key: key }));
        lat.push(performance.now() - t);
        ops++;
      }
    }),
  );
  const after = procStats(target.pid);
  clients.forEach((c) => c.destroy());
  return { opsPerSec: ops / CONC_SECONDS, ...percentiles(lat), serverCpuPct: ((after.cpuMs - before.cpuMs) / (CONC_SECONDS * 1000)) * 100, rss: after.rss };
}

async function loadPartition(target) {
  const ddb = client(target.endpoint, target.credentials);
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < PARTITION_ITEMS) {
        const start = next;
        next += 25;
        const items = [];
        for (let i = start; i < Math.min(start + 25, PARTITION_ITEMS); i++) items.push({ PutRequest: { Item: { pk: { S: 'big' }, sk: { N: String(i) }, v: { S: 'y'.repeat(100) } } } });
        await ddb.send(new BatchWriteItemCommand({ RequestItems: { bench: items } }));
      }
    }),
  );
  const loadMs = performance.now() - t0;
  const lat = [];
  for (let i = 0; i < (quick ? 10 : 30); i++) {
    const from = Math.floor((i * 7919) % (PARTITION_ITEMS - 1000));
    const t = performance.now();
    const out = await ddb.send(
      new QueryCommand({ TableName: 'bench', KeyConditionExpression: 'pk = :p AND sk >= :s', ExpressionAttributeValues: { ':p': { S: 'big' }, ':s': { N: String(from) } }, Limit: 1000 }),
    );
    lat.push(performance.now() - t);
    if (out.Items.length !== 1000) throw new Error(`query returned ${out.Items.length} items`);
  }
  ddb.destroy();
  return { loadMs, ...percentiles(lat) };
}

/**
 * Server throughput without the SDK's client-side cost: requests are signed once and replayed over
 * 32 keep-alive connections (the signatures stay valid for the 5-minute clock skew window).
 */
async function rawThroughput(target) {
  const url = new URL(target.endpoint);
  const signer = new SignatureV4({ service: 'dynamodb', region: 'us-east-1', credentials: target.credentials, sha256: Sha256 });
  async function signed(op, body) {
    const text = JSON.stringify(body);
    const req = await signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      headers: { host: url.host, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${op}`, 'content-length': String(Buffer.byteLength(text)) },
      body: text,
    });
    return { headers: req.headers, body: text };
  }
  const requests = [];
  for (let i = 0; i < 64; i++) {
    const key = { pk: { S: `raw${i}` }, sk: { N: '1' } };
    requests.push(await signed('PutItem', { TableName: 'bench', Item: { ...key, v: payload } }));
    requests.push(await signed('GetItem', { TableName: 'bench', Key: key }));
  }
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const send = (r) =>
    new Promise((resolve, reject) => {
      const req = httpRequest({ host: url.hostname, port: url.port, method: 'POST', path: '/', headers: r.headers, agent }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(r.body);
    });
  for (const r of requests) await send(r);
  // One second of the same load first, so that both servers are warm (JIT, lazy start-up work).
  const warm = performance.now() + 1000;
  await Promise.all(Array.from({ length: 32 }, async (_, w) => { for (let i = w; performance.now() < warm; i++) await send(requests[i % requests.length]); }));
  // Ceiling of the HTTP layer: ListTables does almost no work in either server.
  const list = await signed('ListTables', {});
  let listOps = 0;
  const listEnd = performance.now() + 2000;
  await Promise.all(Array.from({ length: 32 }, async () => { while (performance.now() < listEnd) { await send(list); listOps++; } }));
  const lat = [];
  let ops = 0;
  const before = procStats(target.pid);
  const end = performance.now() + CONC_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: 32 }, async (_, w) => {
      for (let i = w; performance.now() < end; i++) {
        const t = performance.now();
        await send(requests[i % requests.length]);
        lat.push(performance.now() - t);
        ops++;
      }
    }),
  );
  const after = procStats(target.pid);
  const seqLat = [];
  for (let i = 0; i < 2000; i++) {
    const t = performance.now();
    await send(requests[(i % 64) * 2 + 1]);
    seqLat.push(performance.now() - t);
  }
  agent.destroy();
  return {
    opsPerSec: ops / CONC_SECONDS,
    listOpsPerSec: listOps / 2,
    ...percentiles(lat),
    serverCpuPct: ((after.cpuMs - before.cpuMs) / (CONC_SECONDS * 1000)) * 100,
    getP50: percentiles(seqLat).p50,
    getP99: percentiles(seqLat).p99,
  };
}

async function runTarget(name, target) {
  const ddb = client(target.endpoint, target.credentials);
  await createTable(ddb, 'bench');
  for (let i = 0; i < 500; i++) await ddb.send(new PutItemCommand({ TableName: 'bench', Item: { pk: { S: `seq${i}` }, sk: { N: '0' }, v: payload } }));
  const put = [];
  const get = [];
  const conc = [];
  for (let r = 0; r < ROUNDS; r++) {
    put.push(await sequential(ddb, 'put', r));
    get.push(await sequential(ddb, 'get', r));
    conc.push(await concurrent(target));
  }
  const raw = [];
  for (let r = 0; r < ROUNDS; r++) raw.push(await rawThroughput(target));
  const query = await loadPartition(target);
  const idle = procStats(target.pid);
  ddb.destroy();
  const med = (list, k) => median(list.map((x) => x[k]));
  return {
    name,
    put: { p50: med(put, 'p50'), p90: med(put, 'p90'), p99: med(put, 'p99') },
    get: { p50: med(get, 'p50'), p90: med(get, 'p90'), p99: med(get, 'p99') },
    concurrent: { opsPerSec: med(conc, 'opsPerSec'), p50: med(conc, 'p50'), p90: med(conc, 'p90'), p99: med(conc, 'p99'), serverCpuPct: med(conc, 'serverCpuPct'), rssMb: med(conc, 'rss') / 2 ** 20 },
    raw: { listOpsPerSec: med(raw, 'listOpsPerSec'), opsPerSec: med(raw, 'opsPerSec'), p50: med(raw, 'p50'), p99: med(raw, 'p99'), serverCpuPct: med(raw, 'serverCpuPct'), getP50: med(raw, 'getP50'), getP99: med(raw, 'getP99') },
    query,
    rssAfterMb: idle.rss / 2 ** 20,
  };
}

/** Writes a ~1 GB table straight into Atoll's SQLite store (same format as the API writes). */
async function build1gbTable(dataDir) {
  const { DynamoDbStore } = await import('../../services/dynamodb/dist/src/dynamodb-store.js');
  const { serializeItem, itemSize } = await import('../../services/dynamodb/dist/src/attribute-value.js');
  const { encodeKeyValue } = await import('../../services/dynamodb/dist/src/key-encoding.js');
  const store = new DynamoDbStore(join(dataDir, 'dynamodb', 'dynamodb.sqlite'));
  const table = store.loadTables().find((t) => t.name === 'huge');
  const value = 'z'.repeat(4000);
  const total = 262_144;
  const insert = store.db.transaction((from, to) => {
    for (let i = from; i < to; i++) {
      const item = { pk: { S: `p${i % 4096}` }, sk: { N: String(i) }, v: { S: value } };
      store.putItem(table.id, encodeKeyValue(item.pk), encodeKeyValue(item.sk), itemSize(item), serializeItem(item));
    }
  });
  for (let i = 0; i < total; i += 10_000) insert(i, Math.min(total, i + 10_000));
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.close();
}

function fmt(x) {
  return typeof x === 'number' ? (x < 10 ? x.toFixed(3) : x.toFixed(1)) : String(x);
}

async function main() {
  console.log(`machine: ${os.cpus()[0].model}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}, node ${process.version}`);
  console.log(`rounds: ${ROUNDS} (medians reported), sequential ops per round: ${SEQ_OPS}, concurrent: 32 clients for ${CONC_SECONDS}s, partition: ${PARTITION_ITEMS} items`);
  const results = [];
  const dataDir = mkdtempSync(join(os.tmpdir(), 'atoll-bench-ddb-'));
  try {
    const atoll = await startAtoll(dataDir);
    try {
      results.push(await runTarget('atoll', atoll));
    } finally {
      await atoll.stop();
    }
    const dynalite = await startDynalite();
    try {
      results.push(await runTarget('dynalite (in-memory)', dynalite));
    } finally {
      dynalite.stop();
    }
    console.log('\n| metric | ' + results.map((r) => r.name).join(' | ') + ' |');
    console.log('|---|' + results.map(() => '---').join('|') + '|');
    const row = (label, get) => console.log(`| ${label} | ${results.map((r) => fmt(get(r))).join(' | ')} |`);
    row('PutItem p50 ms', (r) => r.put.p50);
    row('PutItem p90 ms', (r) => r.put.p90);
    row('PutItem p99 ms', (r) => r.put.p99);
    row('GetItem p50 ms', (r) => r.get.p50);
    row('GetItem p90 ms', (r) => r.get.p90);
    row('GetItem p99 ms', (r) => r.get.p99);
    row('32 clients ops/s (50% put, 50% get)', (r) => r.concurrent.opsPerSec);
    row('32 clients p50 ms', (r) => r.concurrent.p50);
    row('32 clients p99 ms', (r) => r.concurrent.p99);
    row('server CPU % under 32 clients', (r) => r.concurrent.serverCpuPct);
    row('server RSS MB under load', (r) => r.concurrent.rssMb);
    row('raw HTTP, 32 connections: ListTables ops/s (HTTP layer ceiling)', (r) => r.raw.listOpsPerSec);
    row('raw HTTP, 32 connections: ops/s', (r) => r.raw.opsPerSec);
    row('raw HTTP, 32 connections: p50 ms', (r) => r.raw.p50);
    row('raw HTTP, 32 connections: p99 ms', (r) => r.raw.p99);
    row('raw HTTP, 32 connections: server CPU %', (r) => r.raw.serverCpuPct);
    row('raw HTTP GetItem, sequential: p50 ms', (r) => r.raw.getP50);
    row('raw HTTP GetItem, sequential: p99 ms', (r) => r.raw.getP99);
    row(`load ${PARTITION_ITEMS} items (BatchWrite) s`, (r) => r.query.loadMs / 1000);
    row('Query 1,000 of the partition p50 ms', (r) => r.query.p50);
    row('Query 1,000 of the partition p99 ms', (r) => r.query.p99);
    const ratio = results[0].concurrent.opsPerSec / results[1].concurrent.opsPerSec;
    const rawRatio = results[0].raw.opsPerSec / results[1].raw.opsPerSec;
    console.log(`\nops/s ratio atoll/dynalite: ${ratio.toFixed(2)}x through the SDK, ${rawRatio.toFixed(2)}x raw HTTP`);
    console.log(`load average during the run: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (on ${os.cpus().length} cores)`);

    if (!skip1gb) {
      // Start-to-ready and idle memory with a 1 GB table on disk.
      const bigDir = mkdtempSync(join(os.tmpdir(), 'atoll-bench-ddb-1gb-'));
      try {
        const a = await startAtoll(bigDir);
        const c = client(a.endpoint, a.credentials);
        await createTable(c, 'huge');
        c.destroy();
        await a.stop();
        await build1gbTable(bigDir);
        const size = statSync(join(bigDir, 'dynamodb', 'dynamodb.sqlite')).size;
        const ready = [];
        const rss = [];
        for (let r = 0; r < ROUNDS; r++) {
          const b = await startAtoll(bigDir);
          ready.push(b.readyMs);
          await sleep(2000);
          rss.push(procStats(b.pid).rss / 2 ** 20);
          if (r === ROUNDS - 1) {
            const cl = client(b.endpoint, b.credentials);
            const t = performance.now();
            const got = await cl.send(new GetItemCommand({ TableName: 'huge', Key: { pk: { S: 'p7' }, sk: { N: '7' } } }));
            console.log(`GetItem on the 1 GB table: ${(performance.now() - t).toFixed(2)} ms (found: ${Boolean(got.Item)})`);
            cl.destroy();
          }
          await b.stop();
        }
        console.log(`1 GB table: database file ${(size / 2 ** 30).toFixed(2)} GiB, start-to-ready median ${median(ready).toFixed(0)} ms, idle RSS median ${median(rss).toFixed(0)} MB`);
      } finally {
        rmSync(bigDir, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
