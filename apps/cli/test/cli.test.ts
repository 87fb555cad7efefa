import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { CreateQueueCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startPlatform } from '@atoll/test-support';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'atoll.js');
const run = promisify(execFile);

test('atoll env prints exports that make an SDK client work with no code change', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'atoll-cli-'));
  const p = await startPlatform({ services: ['sts'], dataDir });
  try {
    const port = new URL(p.endpoint).port;
    const { stdout } = await run(process.execPath, [bin, 'env', '--data-dir', dataDir], { env: { ...process.env, ATOLL_PORT: port } });
    const env = Object.fromEntries(stdout.trim().split('\n').map((line) => line.replace(/^export /, '').split('=') as [string, string]));
    assert.equal(env.AWS_ENDPOINT_URL, p.endpoint);
    assert.equal(env.AWS_ACCESS_KEY_ID, p.credentials.accessKeyId);
    assert.equal(env.AWS_REGION, 'us-east-1');
    const sts = new STSClient({
      endpoint: env.AWS_ENDPOINT_URL,
      region: env.AWS_REGION,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
    });
    assert.equal((await sts.send(new GetCallerIdentityCommand({}))).Arn, 'arn:aws:iam::000000000000:root');
    sts.destroy();
  } finally {
    await p.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('atoll env without a root key says how to create one and exits 1', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'atoll-cli-'));
  try {
    await assert.rejects(run(process.execPath, [bin, 'env', '--data-dir', dataDir]), (e: any) => {
      assert.equal(e.code, 1);
      assert.match(e.stderr, /no root key .* start Atoll once/);
      return true;
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('atoll reset empties the running platform it is pointed at, signed with the root key', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'atoll-cli-'));
  const p = await startPlatform({ services: ['sqs', 'sts'], dataDir });
  try {
    const sqs = p.client(SQSClient);
    await sqs.send(new CreateQueueCommand({ QueueName: 'to-go' }));
    const port = new URL(p.endpoint).port;
    const { stdout } = await run(process.execPath, [bin, 'reset', '--services', 'sqs', '--data-dir', dataDir], { env: { ...process.env, ATOLL_PORT: port } });
    assert.equal(stdout.trim(), 'Reset: sqs');
    assert.deepEqual((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? [], []);
  } finally {
    await p.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('atoll reset without a running platform says so and exits 1', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'atoll-cli-'));
  const p = await startPlatform({ services: ['sts'], dataDir });
  const port = new URL(p.endpoint).port;
  await p.stop();
  try {
    await assert.rejects(run(process.execPath, [bin, 'reset', '--data-dir', dataDir], { env: { ...process.env, ATOLL_PORT: port } }), (e: any) => {
      assert.equal(e.code, 1);
      assert.match(e.stderr, /no platform answers at http:\/\/127\.0\.0\.1:\d+/);
      return true;
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
