// Server CPU per operation, interleaved: DynamoDB GetItem and PutItem on Atoll (this tree's build),
// dynalite, and optionally a second Atoll tree (--base DIR, for a same-run A/B), each warmed with
// --warm requests (5,000) and then measured in --rounds alternating rounds (5) of --ops requests
// (3,000), so that every target sees the same moments of the machine's load. Replayed pre-signed
// requests over raw HTTP (16 keep-alive connections); CPU is each server process's own (utime+stime).
// --variant NAME:KEY=VALUE[,KEY=VALUE] (repeatable) adds this tree started with those environment
// variables (for example `permissive:ATOLL_AUTH=permissive`), to see what one setting costs.
// Usage: node bench/platform/cost-interleaved.mjs [--ops N] [--rounds N] [--warm N] [--base DIR] [--variant …]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { spawnPlatform } from '@atoll/test-support';
const arg = (n, d) => { const i = process.argv.indexOf(n); return i >= 0 ? process.argv[i + 1] : d; };
const OPS = Number(arg('--ops', 3000)), ROUNDS = Number(arg('--rounds', 5)), WARM = Number(arg('--warm', 5000));
const targets = [];
async function atoll(name, root, env = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'atoll-ab-'));
  const sp = root ? (await import(join(root, 'packages/test-support/dist/src/index.js'))).spawnPlatform : spawnPlatform;
  const p = await sp({ dataDir, services: ['dynamodb'], env: { ATOLL_LOG_LEVEL: 'error', ...env } });
  return { name, endpoint: p.endpoint, credentials: p.credentials, pid: p.process.pid, stop: async () => { await p.kill('SIGTERM'); rmSync(dataDir, { recursive: true, force: true }); } };
}
async function dynalite() {
  const child = spawn(process.execPath, ['-e', `const d=require('dynalite')({createTableMs:0,deleteTableMs:0,updateTableMs:0});d.listen(0,'127.0.0.1',()=>console.log('PORT '+d.address().port));`], { stdio: ['ignore', 'pipe', 'inherit'], cwd: join(dirname(fileURLToPath(import.meta.url)), '..', '..') });
  const port = await new Promise((res) => { let o = ''; child.stdout.on('data', (d) => { o += d; const m = /PORT (\d+)/.exec(o); if (m) res(m[1]); }); });
  return { name: 'dynalite', endpoint: `http://127.0.0.1:${port}`, credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, pid: child.pid, stop: async () => child.kill('SIGKILL') };
}
targets.push(await atoll('atoll'));
if (arg('--base')) targets.push(await atoll('base', arg('--base')));
for (let i = 0; i < process.argv.length; i++) {
  if (process.argv[i] !== '--variant') continue;
  const [name, settings = ''] = process.argv[i + 1].split(/:(.*)/s);
  targets.push(await atoll(name, undefined, Object.fromEntries(settings.split(',').filter(Boolean).map((kv) => kv.split(/=(.*)/s).slice(0, 2)))));
}
targets.push(await dynalite());
const cpu = (pid) => { const s = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(s[11]) + Number(s[12])) / 100; };
const agent = new Agent({ keepAlive: true, maxSockets: 16 });
const send = (t, r) => new Promise((res, rej) => { const q = request(new URL('/', t.endpoint), { method: 'POST', headers: r.headers, agent }, (s) => { s.resume(); s.on('end', () => s.statusCode < 300 ? res() : rej(new Error('status ' + s.statusCode))); }); q.on('error', rej); q.end(r.body); });
const run = async (t, reqs, n) => { let next = 0; await Promise.all(Array.from({ length: 16 }, async () => { while (next < n) await send(t, reqs[next++ % reqs.length]); })); };
const value = { S: 'x'.repeat(200) };
for (const t of targets) {
  const url = new URL(t.endpoint);
  const sign = async (target, body) => {
    const signer = new SignatureV4({ service: 'dynamodb', region: 'us-east-1', credentials: t.credentials, sha256: Sha256 });
    const text = JSON.stringify(body);
    const headers = { host: url.host, 'content-type': 'application/x-amz-json-1.0', 'content-length': String(Buffer.byteLength(text)), 'x-amz-target': target };
    const s = await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', headers, body: text });
    return { headers: s.headers, body: text };
  };
  const ddb = new DynamoDBClient({ endpoint: t.endpoint, region: 'us-east-1', credentials: t.credentials });
  await ddb.send(new CreateTableCommand({ TableName: 'cost', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }));
  await new Promise((r) => setTimeout(r, 100));
  for (let i = 0; i < 64; i++) await ddb.send(new PutItemCommand({ TableName: 'cost', Item: { pk: { S: `k${i}` }, v: value } }));
  ddb.destroy();
  t.GetItem = []; t.PutItem = [];
  for (let i = 0; i < 64; i++) { t.GetItem.push(await sign('DynamoDB_20120810.GetItem', { TableName: 'cost', Key: { pk: { S: `k${i}` } } })); t.PutItem.push(await sign('DynamoDB_20120810.PutItem', { TableName: 'cost', Item: { pk: { S: `k${i}` }, v: value } })); }
}
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
for (const op of ['GetItem', 'PutItem']) {
  for (const t of targets) await run(t, t[op], WARM);
  const us = Object.fromEntries(targets.map((t) => [t.name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? [...targets].reverse() : targets;
    for (const t of order) { const c0 = cpu(t.pid); await run(t, t[op], OPS); us[t.name].push(((cpu(t.pid) - c0) * 1e6) / OPS); }
  }
  const d = med(us.dynalite);
  console.log(op, targets.map((t) => `${t.name} ${med(us[t.name]).toFixed(0)} µs${t.name === 'dynalite' ? '' : ` (${(med(us[t.name]) / d).toFixed(2)}×)`}`).join('  '), ' rounds', JSON.stringify(Object.fromEntries(Object.entries(us).map(([k, v]) => [k, v.map(Math.round)]))));
}
agent.destroy();
for (const t of targets) await t.stop();
