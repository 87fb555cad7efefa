// Secrets Manager: what a secret read and write cost through the edge, next to the edge's own floor
// in the same run. The platform runs as a child process (its CPU is sampled from /proc); the client is
// the SDK v3 in this process. Measured, sequentially, after a warm-up:
//  1. GetSecretValue by name and by ARN (cached secret record, one indexed read of the version, an
//     AES-256-GCM open, the LastAccessedDate write at most once a day);
//  2. PutSecretValue (a sealed version, labels moved, in one durable transaction) and CreateSecret;
//  3. the peer: STS GetCallerIdentity through the same edge (authentication, audit, no storage);
//  4. in-process AES-256-GCM seal+open of a 1 KiB value (the encryption's share).
// Figures: p50/p90/p99 latency and server CPU per call. The SDK's own cost per call is printed by
// node bench/platform/sdk-floor.mjs.
// Usage: node bench/secretsmanager/secrets-bench.mjs [--quick]
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { machine, sampleProcess, startServer, summarize } from '../lib/report.mjs';

const quick = process.argv.includes('--quick');
const CALLS = quick ? 300 : 2000;
const WARMUP = quick ? 100 : 300;
const REGION = 'us-east-1';

const server = await startServer({ env: { ATOLL_SERVICES: 'secretsmanager,sts,iam' } });
try {
  const client = (Client) => new Client({ endpoint: server.endpoint, region: REGION, credentials: server.credentials, maxAttempts: 1 });
  const sm = client(SecretsManagerClient);
  const sts = client(STSClient);
  const value = JSON.stringify({ username: 'app', password: randomBytes(24).toString('base64'), host: 'db.internal', port: 5432 });
  const { ARN } = await sm.send(new CreateSecretCommand({ Name: 'bench/db', SecretString: value }));

  const timed = async (label, n, fn) => {
    for (let i = 0; i < Math.min(WARMUP, n); i++) await fn(i);
    const cpu0 = sampleProcess(server.pid).cpuSeconds;
    const times = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await fn(i);
      times.push(performance.now() - t);
    }
    const cpu = sampleProcess(server.pid).cpuSeconds - cpu0;
    const s = summarize(times);
    return [label, n, s.p50.toFixed(2), s.p90.toFixed(2), s.p99.toFixed(2), Math.round((cpu / n) * 1e6)];
  };

  const rows = [];
  rows.push(await timed('STS GetCallerIdentity (peer: edge floor)', CALLS, () => sts.send(new GetCallerIdentityCommand({}))));
  rows.push(await timed('GetSecretValue by name', CALLS, () => sm.send(new GetSecretValueCommand({ SecretId: 'bench/db' }))));
  rows.push(await timed('GetSecretValue by ARN', CALLS, () => sm.send(new GetSecretValueCommand({ SecretId: ARN }))));
  rows.push(await timed('PutSecretValue', Math.round(CALLS / 2), (i) => sm.send(new PutSecretValueCommand({ SecretId: 'bench/db', SecretString: `${value}${i}` }))));
  rows.push(await timed('CreateSecret', Math.round(CALLS / 2), (i) => sm.send(new CreateSecretCommand({ Name: `bench/many/${i}-${Date.now()}`, SecretString: value }))));

  const key = randomBytes(32);
  const plain = randomBytes(1024);
  const t0 = performance.now();
  const N = 20_000;
  for (let i = 0; i < N; i++) {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, iv);
    c.setAAD(Buffer.from('arn\nversion'));
    const body = Buffer.concat([c.update(plain), c.final()]);
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAAD(Buffer.from('arn\nversion'));
    d.setAuthTag(c.getAuthTag());
    Buffer.concat([d.update(body), d.final()]);
  }
  const sealOpenUs = ((performance.now() - t0) / N) * 1000;

  console.log(`machine: ${machine()}`);
  console.log('\nSecrets Manager through the edge (sequential, SDK v3 client in this process)');
  console.log(`  ${'case'.padEnd(42)} ${['n', 'p50 ms', 'p90 ms', 'p99 ms', 'server CPU µs/op'].map((h) => h.padStart(10)).join(' ')}`);
  for (const r of rows) console.log(`  ${String(r[0]).padEnd(42)} ${r.slice(1).map((v) => String(v).padStart(10)).join(' ')}`);
  console.log(`AES-256-GCM seal+open of 1 KiB, in process: ${sealOpenUs.toFixed(1)} µs`);
  console.log('SDK floor for comparison: node bench/platform/sdk-floor.mjs (client cost per call, whatever the server)');
} finally {
  await server.stop();
}
