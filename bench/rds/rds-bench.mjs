// RDS figures, same run, same machine:
//  1. Time from CreateDBInstance to the first accepted connection (a pg client retrying every 10 ms),
//     for the system PostgreSQL and for the embedded engine (PGlite), templates warm (goals: < 2 s, < 1 s).
//  2. pgbench TPS (scale 10, 8 clients, 2 threads, select-only and TPC-B-like) through an RDS instance on
//     the system PostgreSQL, next to the same PostgreSQL initdb'd and started by hand with the same
//     settings (goal ≥ 0.95×: the platform is not on the data path), and through the embedded engine.
//  3. Idle memory per instance (the engine's process group RSS; for the embedded engine, the growth of
//     the platform process's RSS).
// Usage: node bench/rds/rds-bench.mjs [--quick]
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { CreateDBInstanceCommand, DeleteDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { machine, startServer, summarize } from '../lib/report.mjs';

const quick = process.argv.includes('--quick');
const SECONDS = quick ? 5 : 15;
const STARTS = quick ? 2 : 3;
const PASSWORD = 'bench-password';
const PG_BIN = `/usr/lib/postgresql/${readdirSync('/usr/lib/postgresql').sort().at(-1)}/bin`;
const asPostgres = process.getuid() === 0 ? ['setpriv', '--reuid=postgres', '--regid=postgres', '--clear-groups'] : [];

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function firstConnection(port, deadline) {
  for (;;) {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'master', password: PASSWORD, database: 'postgres', connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => {});
      if (Date.now() > deadline) throw new Error(`no connection on ${port}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

async function createAndConnect(rds, id) {
  const port = await freePort();
  const started = performance.now();
  await rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: id, Engine: 'postgres', DBInstanceClass: 'db.t3.micro', MasterUsername: 'master', MasterUserPassword: PASSWORD, Port: port }));
  await firstConnection(port, Date.now() + 120_000);
  return { ms: performance.now() - started, port };
}

function pgbench(port, args, env = {}) {
  const out = execFileSync('pgbench', ['-h', '127.0.0.1', '-p', String(port), '-U', 'master', ...args, 'postgres'], {
    encoding: 'utf8',
    env: { ...process.env, PGPASSWORD: PASSWORD, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tps = /tps = ([\d.]+)/.exec(out);
  return tps ? Number(tps[1]) : undefined;
}

function groupRss(pid) {
  let total = 0;
  const pgid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[2]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ');
      if (Number(stat[2]) !== pgid) continue;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'));
      if (rss) total += Number(rss[1]) * 1024;
    } catch {
      // gone
    }
  }
  return total;
}

function listenerPid(port) {
  const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  return Number(/pid=(\d+)/.exec(out)?.[1]);
}

const rssOf = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
const mib = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`;
const fmt = (values) => {
  const s = summarize(values);
  return `p50 ${s.p50.toFixed(0)} ms, min ${Math.min(...values).toFixed(0)}, max ${s.max.toFixed(0)} (n=${s.n})`;
};

console.log(`machine: ${JSON.stringify(machine())}`);
console.log(`postgres: ${execFileSync(join(PG_BIN, 'postgres'), ['--version'], { encoding: 'utf8' }).trim()}`);

// ---- the system PostgreSQL through RDS ----
const server = await startServer();
const servers = [server];
process.on('uncaughtException', async (error) => {
  console.error(error);
  for (const s of servers) await s.stop().catch(() => {});
  process.exit(1);
});
const rds = new RDSClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: server.credentials });
// Warm the template (the first instance on a machine pays initdb once).
const warm = await createAndConnect(rds, 'warm');
console.log(`first instance on this machine (template made if absent): ${warm.ms.toFixed(0)} ms`);
const starts = [];
for (let i = 0; i < STARTS; i++) starts.push((await createAndConnect(rds, `start-${i}`)).ms);
console.log(`CreateDBInstance → first connection, system PostgreSQL: ${fmt(starts)} (goal < 2000 ms)`);
const idleRss = listenerPid(warm.port) ? groupRss(listenerPid(warm.port)) : undefined;
console.log(`idle memory per instance, system PostgreSQL: ${idleRss ? mib(idleRss) : 'n/a'} (process group RSS, shared buffers counted once touched)`);

// ---- the same PostgreSQL by hand ----
const peerDir = mkdtempSync(join(tmpdir(), 'pg-peer-'));
const peerData = join(peerDir, 'data');
const peerRun = join(peerDir, 'run');
mkdirSync(peerRun);
writeFileSync(join(peerDir, 'pw'), PASSWORD);
if (asPostgres.length) {
  execFileSync('chmod', ['755', peerDir]);
  for (const p of [peerDir, peerRun, join(peerDir, 'pw')]) chownSync(p, 101, 104);
}
execFileSync(asPostgres[0] ?? join(PG_BIN, 'initdb'), [...asPostgres.slice(1), ...(asPostgres.length ? [join(PG_BIN, 'initdb')] : []), '-D', peerData, '-U', 'master', `--pwfile=${join(peerDir, 'pw')}`, '--auth-host=scram-sha-256', '--auth-local=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], { stdio: 'ignore' });
const peerPort = await freePort();
const peerArgv = [...asPostgres, join(PG_BIN, 'postgres'), '-D', peerData, '-c', `port=${peerPort}`, '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${peerRun}`, '-c', 'logging_collector=off'];
const peer = spawn(peerArgv[0], peerArgv.slice(1), { stdio: 'ignore', detached: true });
await firstConnection(peerPort, Date.now() + 30_000);

const benchArgs = ['-c', '8', '-j', '2', '-T', String(SECONDS), '-n'];
const rows = [];
for (const [name, port] of [['RDS instance (system PostgreSQL)', warm.port], ['same PostgreSQL by hand', peerPort]]) {
  pgbench(port, ['-i', '-s', '10', '-I', 'dtGvp', '-q']);
}
for (const mode of [['select-only', ['-S']], ['tpcb-like', []]]) {
  // Interleave the two targets so that drift on the machine hits both.
  const rds1 = pgbench(warm.port, [...benchArgs, ...mode[1]]);
  const hand = pgbench(peerPort, [...benchArgs, ...mode[1]]);
  const rds2 = pgbench(warm.port, [...benchArgs, ...mode[1]]);
  const hand2 = pgbench(peerPort, [...benchArgs, ...mode[1]]);
  const viaRds = (rds1 + rds2) / 2;
  const byHand = (hand + hand2) / 2;
  rows.push(`${mode[0].padEnd(12)} RDS ${viaRds.toFixed(0).padStart(7)} tps | by hand ${byHand.toFixed(0).padStart(7)} tps | ratio ${(viaRds / byHand).toFixed(3)} (goal ≥ 0.95)`);
}
process.kill(-peer.pid, 'SIGINT');
for (const id of ['warm', ...starts.map((_, i) => `start-${i}`)]) await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true }));
await server.stop();
rmSync(peerDir, { recursive: true, force: true });

// ---- the embedded engine ----
const embedded = await startServer({ env: { ATOLL_RDS_POSTGRES: 'embedded' } });
servers.push(embedded);
const rdsEmbedded = new RDSClient({ endpoint: embedded.endpoint, region: 'us-east-1', credentials: embedded.credentials });
const before = rssOf(embedded.pid);
const warmEmbedded = await createAndConnect(rdsEmbedded, 'warm');
console.log(`first embedded instance on this machine (template made if absent): ${warmEmbedded.ms.toFixed(0)} ms`);
const embeddedStarts = [];
for (let i = 0; i < STARTS; i++) embeddedStarts.push((await createAndConnect(rdsEmbedded, `start-${i}`)).ms);
console.log(`CreateDBInstance → first connection, embedded engine: ${fmt(embeddedStarts)} (goal < 1000 ms)`);
await new Promise((r) => setTimeout(r, 1000));
const after = rssOf(embedded.pid);
console.log(`idle memory per instance, embedded engine: ${mib((after - before) / (STARTS + 1))} (platform RSS growth / instances)`);
pgbench(warmEmbedded.port, ['-i', '-s', '1', '-I', 'dtGvp', '-q']);
const embeddedSelect = pgbench(warmEmbedded.port, ['-c', '8', '-j', '2', '-T', String(Math.min(SECONDS, 10)), '-n', '-S']);
const embeddedTpcb = pgbench(warmEmbedded.port, ['-c', '8', '-j', '2', '-T', String(Math.min(SECONDS, 10)), '-n']);
rows.push(`embedded (PGlite, scale 1): select-only ${embeddedSelect?.toFixed(0)} tps, tpcb-like ${embeddedTpcb?.toFixed(0)} tps`);
await embedded.stop();

console.log(`\npgbench, 8 clients, 2 threads, ${SECONDS} s × 2 per target (scale 10):`);
for (const row of rows) console.log(`  ${row}`);
