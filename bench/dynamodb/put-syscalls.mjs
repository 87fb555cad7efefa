// What durability costs a PutItem: the server's fdatasync, pwrite and writev calls per PutItem and
// its task clock, counted by `perf stat` on the server process (Linux, perf installed, permission
// to trace it) over replayed pre-signed PutItems (16 keep-alive connections). An fdatasync of the
// WAL costs the kernel tens of µs of CPU (measured at the end: 4 KiB rewritten and fdatasynced);
// group commit shares one among the PutItems of a tick. dynalite keeps items in memory and pays none.
//   node bench/dynamodb/put-syscalls.mjs [--ops N]
import { spawn } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { spawnPlatform } from '@atoll/test-support';
const arg = (n, d) => { const i = process.argv.indexOf(n); return i >= 0 ? process.argv[i + 1] : d; };
const N = Number(arg('--ops', 20000));
const dataDir = mkdtempSync(join(tmpdir(), 'atoll-fs-'));
const p = await spawnPlatform({ dataDir, services: ['dynamodb'], env: { ATOLL_LOG_LEVEL: 'error' } });
const url = new URL(p.endpoint);
await new DynamoDBClient({ endpoint: p.endpoint, region: 'us-east-1', credentials: p.credentials }).send(new CreateTableCommand({ TableName: 'cost', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }));
const signer = new SignatureV4({ service: 'dynamodb', region: 'us-east-1', credentials: p.credentials, sha256: Sha256 });
const reqs = [];
for (let i = 0; i < 64; i++) { const text = JSON.stringify({ TableName: 'cost', Item: { pk: { S: `k${i}` }, v: { S: 'x'.repeat(200) } } }); const s = await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', headers: { host: url.host, 'content-type': 'application/x-amz-json-1.0', 'content-length': String(text.length), 'x-amz-target': 'DynamoDB_20120810.PutItem' }, body: text }); reqs.push({ headers: s.headers, body: text }); }
const agent = new Agent({ keepAlive: true, maxSockets: 16 });
const send = (r) => new Promise((res, rej) => { const q = request(p.endpoint, { method: 'POST', headers: r.headers, agent }, (s) => { s.resume(); s.on('end', () => (s.statusCode < 300 ? res() : rej(new Error('status ' + s.statusCode)))); }); q.on('error', rej); q.end(r.body); });
const run = async (n) => { let next = 0; await Promise.all(Array.from({ length: 16 }, async () => { while (next < n) await send(reqs[next++ % 64]); })); };
await run(5000);
const perf = spawn('perf', ['stat', '-x', ',', '-e', 'syscalls:sys_enter_fdatasync,syscalls:sys_enter_pwrite64,syscalls:sys_enter_writev,task-clock', '-p', String(p.process.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
let out = ''; perf.stderr.on('data', (d) => (out += d));
await new Promise((r) => setTimeout(r, 300));
await run(N);
perf.kill('SIGINT'); await new Promise((r) => perf.on('exit', r));
for (const line of out.trim().split('\n')) { const [v, , ev] = line.split(','); console.log(ev.padEnd(32), (Number(v) / N).toFixed(3), 'per PutItem'); }
agent.destroy(); await p.kill('SIGTERM'); rmSync(dataDir, { recursive: true, force: true });
// The kernel's price of one fdatasync here: a 4 KiB page rewritten in place and synced, as a WAL
// frame is once the log has wrapped.
const file = join(mkdtempSync(join(tmpdir(), 'atoll-fs-')), 'sync.dat');
const fd = openSync(file, 'w');
writeSync(fd, Buffer.alloc(1 << 20));
fdatasyncSync(fd);
const c0 = process.cpuUsage();
for (let i = 0; i < 500; i++) {
  writeSync(fd, Buffer.alloc(4096, i), 0, 4096, (i % 256) * 4096);
  fdatasyncSync(fd);
}
const c = process.cpuUsage(c0);
closeSync(fd);
rmSync(file, { force: true });
const perSync = (c.user + c.system) / 500;
console.log(`${'one 4 KiB write + fdatasync'.padEnd(32)} ${perSync.toFixed(0)} µs of CPU`);
