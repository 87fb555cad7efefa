// STS temporary credentials: what AssumeRole costs, and what a request signed with temporary
// credentials costs the edge next to one signed with a long-term IAM user key (the peer, same run).
// The platform runs as a child process (its CPU is sampled from /proc); the client is the SDK v3.
// Measured:
//  1. AssumeRole as an IAM user (trust policy names the user; identity policy allows sts:AssumeRole):
//     sequential latency p50/p90/p99 and server CPU per call (it reads the role through IAM twice:
//     the edge's trust-policy lookup and the operation's);
//  2. GetCallerIdentity and SQS GetQueueUrl, sequentially, with (a) the user's long-term key and
//     (b) the role's temporary credentials: latency and server CPU per request;
//  3. the edge's session-token cache: hit rate over loop 2, and over a loop cycling through 50 sessions.
// Usage: node bench/sts/assume-role.mjs [--quick]
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutRolePolicyCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CreateQueueCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { machine, sampleProcess, startServer, summarize } from '../lib/report.mjs';

const quick = process.argv.includes('--quick');
const CALLS = quick ? 300 : 1500;
const WARMUP = quick ? 100 : 300;
const SESSIONS = 50;
const REGION = 'us-east-1';
const doc = (Statement) => JSON.stringify({ Version: '2012-10-17', Statement });

const server = await startServer();
try {
  const client = (Client, credentials) => new Client({ endpoint: server.endpoint, region: REGION, credentials });
  const iam = client(IAMClient, server.credentials);
  await iam.send(new CreateUserCommand({ UserName: 'bench' }));
  await iam.send(new PutUserPolicyCommand({ UserName: 'bench', PolicyName: 'p', PolicyDocument: doc([{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sqs:*'], Resource: '*' }]) }));
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'bench' }))).AccessKey;
  const user = { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
  await iam.send(
    new CreateRoleCommand({ RoleName: 'bench-role', AssumeRolePolicyDocument: doc([{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::000000000000:user/bench' }, Action: 'sts:AssumeRole' }]) }),
  );
  await iam.send(new PutRolePolicyCommand({ RoleName: 'bench-role', PolicyName: 'sqs', PolicyDocument: doc([{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }]) }));
  await client(SQSClient, server.credentials).send(new CreateQueueCommand({ QueueName: 'bench-q' }));
  const roleArn = 'arn:aws:iam::000000000000:role/bench-role';

  const stsUser = client(STSClient, user);
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
    return { case: label, n, 'p50 ms': s.p50.toFixed(2), 'p90 ms': s.p90.toFixed(2), 'p99 ms': s.p99.toFixed(2), 'server CPU µs/op': Math.round((cpu / n) * 1e6) };
  };
  const cache = async () => (await (await fetch(`${server.endpoint}/_atoll/sts/session-cache`)).json());

  const rows = [];
  let session = 0;
  rows.push(await timed('AssumeRole (IAM user)', CALLS, () => stsUser.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: `s-${session++}` }))));

  const temp = (await stsUser.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'loop' }))).Credentials;
  const tempCreds = { accessKeyId: temp.AccessKeyId, secretAccessKey: temp.SecretAccessKey, sessionToken: temp.SessionToken };
  const stsTemp = client(STSClient, tempCreds);
  const sqsUser = client(SQSClient, user);
  const sqsTemp = client(SQSClient, tempCreds);

  rows.push(await timed('GetCallerIdentity, long-term key (peer)', CALLS, () => stsUser.send(new GetCallerIdentityCommand({}))));
  const before = await cache();
  rows.push(await timed('GetCallerIdentity, temporary credentials', CALLS, () => stsTemp.send(new GetCallerIdentityCommand({}))));
  rows.push(await timed('SQS GetQueueUrl, long-term key (peer)', CALLS, () => sqsUser.send(new GetQueueUrlCommand({ QueueName: 'bench-q' }))));
  rows.push(await timed('SQS GetQueueUrl, temporary credentials', CALLS, () => sqsTemp.send(new GetQueueUrlCommand({ QueueName: 'bench-q' }))));
  const after = await cache();

  const many = [];
  for (let i = 0; i < SESSIONS; i++) {
    const c = (await stsUser.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: `many-${i}` }))).Credentials;
    many.push(client(STSClient, { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken }));
  }
  const beforeMany = await cache();
  rows.push(await timed(`GetCallerIdentity, ${SESSIONS} sessions in turn`, CALLS, (i) => many[i % SESSIONS].send(new GetCallerIdentityCommand({}))));
  const afterMany = await cache();

  const rate = (a, b) => {
    const hits = b.hits - a.hits;
    const misses = b.misses - a.misses;
    return `${((hits / Math.max(1, hits + misses)) * 100).toFixed(2)}% (${hits} hits, ${misses} misses)`;
  };
  console.log(`machine: ${machine()}`);
  console.log('\nSTS AssumeRole and temporary credentials (sequential, SDK v3 client in this process)');
  console.log(`  ${'case'.padEnd(44)} ${['n', 'p50 ms', 'p90 ms', 'p99 ms', 'server CPU µs/op'].map((h) => h.padStart(10)).join(' ')}`);
  for (const r of rows) console.log(`  ${r.case.padEnd(44)} ${[r.n, r['p50 ms'], r['p90 ms'], r['p99 ms'], r['server CPU µs/op']].map((v) => String(v).padStart(10)).join(' ')}`);
  console.log(`session cache hit rate, one session (GetCallerIdentity + GetQueueUrl loops, warm-ups included): ${rate(before, after)}`);
  console.log(`session cache hit rate, ${SESSIONS} sessions in turn (warm-up included): ${rate(beforeMany, afterMany)}`);
  console.log('SDK floor for comparison: node bench/platform/sdk-floor.mjs (client cost per call, whatever the server)');
} finally {
  await server.stop();
}
