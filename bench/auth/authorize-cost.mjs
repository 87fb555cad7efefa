// Issue 20 figure: what the edge's authorize step costs. Server CPU per request for an IAM user
// with 10 attached customer managed policies of 20 statements each (conditions included) against
// the root key (which skips policy evaluation), on the same operation, in alternating phases of the
// same run. Each variant's request is signed once and replayed over keep-alive connections by a
// small Node client (no wrk needed); the server's own CPU is read from /proc.
//   node bench/auth/authorize-cost.mjs [ddb-get|sqs-url] [seconds-per-phase=2] [rounds=9] [connections=16] [--prof DIR]
// Phases alternate (root first in even rounds, the user first in odd ones) and medians are reported,
// since the machine's other load moves single phases. The evaluator's own cost for the same request
// is also measured in this process (no I/O), as a figure that load does not move.
import http from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { DynamoDBClient, CreateTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SQSClient, CreateQueueCommand } from '@aws-sdk/client-sqs';
import { IAMClient, CreateUserCommand, CreateAccessKeyCommand, CreatePolicyCommand, AttachUserPolicyCommand } from '@aws-sdk/client-iam';
import { authorize, compilePolicies, ConditionContext } from '../../packages/auth/dist/src/index.js';
import { machine, median, printTable, profileArgs, sampleProcess, startServer } from '../lib/report.mjs';

const [which = 'ddb-get', secondsArg = '2', roundsArg = '9', connectionsArg = '16'] = process.argv.slice(2).filter((a, i, all) => a !== '--prof' && all[i - 1] !== '--prof');
const seconds = Number(secondsArg);
const rounds = Number(roundsArg);
const connections = Number(connectionsArg);
const ACCOUNT = '000000000000';

const CASES = {
  'ddb-get': {
    service: 'dynamodb',
    target: 'DynamoDB_20120810.GetItem',
    contentType: 'application/x-amz-json-1.0',
    body: JSON.stringify({ TableName: 'bench', Key: { id: { S: 'k1' } } }),
    action: 'dynamodb:GetItem',
    resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/bench`,
  },
  'sqs-url': {
    service: 'sqs',
    target: 'AmazonSQS.GetQueueUrl',
    contentType: 'application/x-amz-json-1.0',
    body: JSON.stringify({ QueueName: 'bench' }),
    action: 'sqs:GetQueueUrl',
    resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:bench`,
  },
};
const c = CASES[which];
if (!c) throw new Error(`unknown case ${which}; one of ${Object.keys(CASES).join(', ')}`);

/** Policy `p` of 10: 20 statements over other services and tables, with conditions; the last policy also allows the case's action. */
function policyDocument(p) {
  const services = ['s3', 'sqs', 'sns', 'dynamodb', 'lambda', 'logs', 'ecs', 'kms', 'ssm', 'events'];
  const statements = [];
  for (let s = 0; s < 20; s++) {
    const service = services[(p + s) % services.length];
    statements.push({
      Sid: `P${p}S${s}`,
      Effect: s === 19 && p === 3 ? 'Deny' : 'Allow',
      Action: [`${service}:Get*`, `${service}:List*`, `${service}:Describe*`],
      Resource: `arn:aws:${service}:us-east-1:${ACCOUNT}:${service === 'dynamodb' ? 'table/' : ''}other-${p}-${s}*`,
      Condition: {
        StringEquals: { 'aws:RequestedRegion': 'us-east-1' },
        IpAddress: { 'aws:SourceIp': ['127.0.0.0/8', '10.0.0.0/8'] },
        ...(s % 3 === 0 ? { Bool: { 'aws:SecureTransport': 'false' } } : {}),
      },
    });
  }
  if (p === 9) {
    statements[19] = {
      Sid: 'Bench',
      Effect: 'Allow',
      Action: c.action,
      Resource: c.resource,
      Condition: { StringEquals: { 'aws:RequestedRegion': 'us-east-1' }, IpAddress: { 'aws:SourceIp': '127.0.0.0/8' } },
    };
  }
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

async function signedRequest(endpoint, credentials) {
  const url = new URL(endpoint);
  const headers = { host: url.host, 'content-type': c.contentType, 'x-amz-target': c.target };
  const signer = new SignatureV4({ credentials, region: 'us-east-1', service: c.service, sha256: Sha256 });
  const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', query: {}, headers, body: c.body });
  return { hostname: url.hostname, port: Number(url.port), headers: { ...signed.headers, 'content-length': Buffer.byteLength(c.body) } };
}

/** Replays one signed request on `connections` keep-alive connections for `ms`; resolves with the count of 200s (throws on any other status). */
function replay(request, ms) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const end = performance.now() + ms;
  let done = 0;
  const loop = () =>
    new Promise((resolve, reject) => {
      const once = () => {
        if (performance.now() >= end) return resolve();
        const req = http.request({ ...request, method: 'POST', path: '/', agent }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
            done++;
            once();
          });
        });
        req.on('error', reject);
        req.end(c.body);
      };
      once();
    });
  return Promise.all(Array.from({ length: connections }, loop)).then(() => {
    agent.destroy();
    return done;
  });
}

const server = await startServer({ args: ['--services', 'dynamodb,dynamodbstreams,sqs,sts,iam'], nodeArgs: profileArgs() });
try {
  const config = { endpoint: server.endpoint, region: 'us-east-1', credentials: server.credentials };
  if (c.service === 'dynamodb') {
    const ddb = new DynamoDBClient(config);
    await ddb.send(new CreateTableCommand({ TableName: 'bench', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
    await ddb.send(new PutItemCommand({ TableName: 'bench', Item: { id: { S: 'k1' }, v: { S: 'x'.repeat(100) } } }));
    ddb.destroy();
  } else {
    const sqs = new SQSClient(config);
    await sqs.send(new CreateQueueCommand({ QueueName: 'bench' }));
    sqs.destroy();
  }
  const iam = new IAMClient(config);
  await iam.send(new CreateUserCommand({ UserName: 'bench' }));
  for (let p = 0; p < 10; p++) {
    const arn = (await iam.send(new CreatePolicyCommand({ PolicyName: `bench-${p}`, PolicyDocument: policyDocument(p) }))).Policy.Arn;
    await iam.send(new AttachUserPolicyCommand({ UserName: 'bench', PolicyArn: arn }));
  }
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'bench' }))).AccessKey;
  iam.destroy();
  const variants = {
    root: await signedRequest(server.endpoint, server.credentials),
    'IAM user, 10 × 20 statements': await signedRequest(server.endpoint, { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey }),
  };
  // Warm-up: JIT, caches (the user's policies, compiled once).
  for (const request of Object.values(variants)) await replay(request, 1500);
  const perRequest = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  const throughput = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? Object.entries(variants) : Object.entries(variants).reverse();
    for (const [name, request] of order) {
      const before = sampleProcess(server.pid);
      const started = performance.now();
      const count = await replay(request, seconds * 1000);
      const elapsed = (performance.now() - started) / 1000;
      const after = sampleProcess(server.pid);
      perRequest[name].push(((after.cpuSeconds - before.cpuSeconds) / count) * 1e6);
      throughput[name].push(count / elapsed);
    }
  }
  // The evaluator alone, in this process, on the same policies and request.
  const texts = Array.from({ length: 10 }, (_, p) => policyDocument(p));
  const identity = { type: 'IAMUser', accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/bench`, principalId: 'AIDABENCH', userName: 'bench' };
  const evaluate = () => {
    const context = ConditionContext.forRequest({ identity, sourceIp: '127.0.0.1', userAgent: 'bench', region: 'us-east-1' });
    return authorize({ identity, action: c.action, resource: c.resource, context, identityPolicies: compilePolicies(texts) }).decision;
  };
  for (let i = 0; i < 20000; i++) if (evaluate() !== 'Allow') throw new Error('the bench policy does not allow');
  const evalRuns = [];
  for (let r = 0; r < 5; r++) {
    const started = performance.now();
    for (let i = 0; i < 50000; i++) evaluate();
    evalRuns.push(((performance.now() - started) / 50000) * 1000);
  }
  const rootUs = median(perRequest.root);
  const userUs = median(perRequest['IAM user, 10 × 20 statements']);
  printTable(`Authorize cost, ${c.action} replayed over ${connections} keep-alive connections, ${rounds} rounds × ${seconds}s per variant (${machine()})`, [
    ...Object.keys(variants).flatMap((name) => [
      [`${name}: server CPU µs/request (median)`, `${median(perRequest[name]).toFixed(1)}  [${perRequest[name].map((v) => v.toFixed(0)).join(', ')}]`],
      [`${name}: requests/s (median)`, median(throughput[name]).toFixed(0)],
    ]),
    ['IAM user vs root, CPU per request', `${(((userUs - rootUs) / rootUs) * 100).toFixed(1)} % more`],
    ['evaluator alone, µs per request (in process)', `${median(evalRuns).toFixed(1)}  (${((median(evalRuns) / rootUs) * 100).toFixed(1)} % of the root request's CPU)`],
  ]);
} finally {
  await server.stop();
}
