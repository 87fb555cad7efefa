// Issue 2 figures: how many signed requests per second the edge serves through the whole chain
// (route, SigV4, parse, validate, dispatch, serialize, audit, metrics, log). One request is signed
// once and replayed by wrk, so the client costs little; the SDK-driven figure is in sts-latency.mjs.
//   node bench/platform/edge-throughput.mjs [sts|ddb-get|ddb-put|s3-get|s3-put] [seconds=10] [--prof DIR] [--node-options "<flags>"]
// (s3-get and s3-put replay a presigned GET or PUT of a 4 KiB object, as the small-object phases of
// bench/s3 do.)
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { DynamoDBClient, CreateTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand as PutS3ObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { machine, printTable, sampleProcess, startServer } from '../lib/report.mjs';

const args = process.argv.slice(2);
const profIndex = args.indexOf('--prof');
const profDir = profIndex >= 0 ? args.splice(profIndex, 2)[1] : undefined;
const optionsIndex = args.indexOf('--node-options');
const nodeOptions = optionsIndex >= 0 ? args.splice(optionsIndex, 2)[1].split(/\s+/) : [];
const which = args[0] ?? 'sts';
const seconds = Number(args[1] ?? 10);

const CASES = {
  sts: { service: 'sts', target: undefined, contentType: 'application/x-www-form-urlencoded', body: 'Action=GetCallerIdentity&Version=2011-06-15' },
  'ddb-get': { service: 'dynamodb', target: 'DynamoDB_20120810.GetItem', contentType: 'application/x-amz-json-1.0', body: JSON.stringify({ TableName: 'bench', Key: { id: { S: 'k1' } } }) },
  's3-get': { service: 's3' },
  's3-put': { service: 's3', body: 'b'.repeat(4096) },
  'ddb-put': { service: 'dynamodb', target: 'DynamoDB_20120810.PutItem', contentType: 'application/x-amz-json-1.0', body: JSON.stringify({ TableName: 'bench', Item: { id: { S: 'k2' }, v: { S: 'y'.repeat(100) } } }) },
};
const c = CASES[which];
if (!c) throw new Error(`unknown case ${which}; one of ${Object.keys(CASES).join(', ')}`);

const server = await startServer({
  args: ['--services', { sts: 'sts,iam', s3: 's3,sts,iam' }[c.service] ?? 'dynamodb,dynamodbstreams,sts,iam'],
  nodeArgs: [...nodeOptions, ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [])],
});
try {
  if (c.service === 'dynamodb') {
    const ddb = new DynamoDBClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: server.credentials });
    await ddb.send(new CreateTableCommand({ TableName: 'bench', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
    await ddb.send(new PutItemCommand({ TableName: 'bench', Item: { id: { S: 'k1' }, v: { S: 'x'.repeat(100) } } }));
    ddb.destroy();
  }
  const url = new URL(server.endpoint);
  let target = server.endpoint;
  const wrkArgs = [];
  if (c.service === 's3') {
    const s3 = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', credentials: server.credentials, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'bench' }));
    await s3.send(new PutS3ObjectCommand({ Bucket: 'bench', Key: 'small', Body: Buffer.alloc(4096, 0x62) }));
    const command = c.body ? new PutS3ObjectCommand({ Bucket: 'bench', Key: 'small' }) : new GetObjectCommand({ Bucket: 'bench', Key: 'small' });
    target = await getSignedUrl(s3, command, { expiresIn: 3600 });
    s3.destroy();
    const check = await fetch(target, c.body ? { method: 'PUT', body: c.body } : {});
    if (check.status !== 200) throw new Error(`presigned request refused: ${check.status} ${await check.text()}`);
    if (c.body) {
      const script = join(mkdtempSync(join(tmpdir(), 'atoll-wrk-')), 'put.lua');
      writeFileSync(script, `wrk.method = "PUT"\nwrk.body = ${JSON.stringify(c.body)}\n`);
      wrkArgs.push('-s', script);
    }
  } else {
    const headers = { host: url.host, 'content-type': c.contentType, ...(c.target ? { 'x-amz-target': c.target } : {}) };
    const signer = new SignatureV4({ credentials: server.credentials, region: 'us-east-1', service: c.service, sha256: Sha256 });
    const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', query: {}, headers, body: c.body });
    const sendHeaders = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== 'host'));
    const check = await fetch(server.endpoint, { method: 'POST', headers: sendHeaders, body: c.body });
    if (check.status !== 200) throw new Error(`signed request refused: ${check.status} ${await check.text()}`);
    const dir = mkdtempSync(join(tmpdir(), 'atoll-wrk-'));
    const script = join(dir, 'post.lua');
    writeFileSync(script, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(c.body)}\n${Object.entries(sendHeaders).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`).join('\n')}\n`);
    wrkArgs.push('-s', script);
  }
  const before = sampleProcess(server.pid);
  const out = execFileSync('wrk', ['-t', '1', '-c', '64', '-d', `${seconds}s`, '--latency', ...wrkArgs, target], { encoding: 'utf8' });
  const after = sampleProcess(server.pid);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const dist = Object.fromEntries([...out.matchAll(/\s+(50|75|90|99)%\s+([\d.]+\w+)/g)].map((m) => [m[1], m[2]]));
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? '0';
  const cpu = after.cpuSeconds - before.cpuSeconds;
  printTable(`Edge throughput, ${which} replayed by wrk, 64 connections, ${seconds}s (${machine()})`, [
    ['requests/s', rps.toFixed(0)],
    ['latency p50 / p90 / p99', `${dist['50']} / ${dist['90']} / ${dist['99']}`],
    ['non-2xx responses', non2xx],
    ['server CPU (cores)', (cpu / seconds).toFixed(2)],
    ['server CPU per request (µs)', ((cpu / (rps * seconds)) * 1e6).toFixed(0)],
    ['server RSS after (MB)', after.rssMb.toFixed(1)],
  ]);
} finally {
  await server.stop();
}
