import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LambdaClient, CreateFunctionCommand, InvokeCommand, PutFunctionConcurrencyCommand, DeleteFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { createLambdaRole, spawnPlatform } from '@atoll/test-support';
import { zip, ROLE } from './helpers.js';

test('an acknowledged Event invocation survives kill -9 of the platform and runs after the restart', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'atoll-lambda-crash-'));
  const outDir = mkdtempSync(join(tmpdir(), 'atoll-lambda-out-'));
  const clientFor = (p: { endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } }) =>
    new LambdaClient({ endpoint: p.endpoint, region: 'us-east-1', credentials: p.credentials, maxAttempts: 1 });
  let first = await spawnPlatform({ dataDir, services: ['lambda', 'iam', 'sts'] });
  let lambda = clientFor(first);
  try {
    await createLambdaRole(first);
    await lambda.send(new CreateFunctionCommand({
      FunctionName: 'writer',
      Runtime: 'nodejs20.x',
      Role: ROLE,
      Handler: 'index.handler',
      Code: { ZipFile: zip({ 'index.js': `const fs = require('fs'); exports.handler = async (e) => { fs.writeFileSync(e.file, 'ran'); };` }) },
    }));
    // Reserved concurrency 0 holds the event in the queue (throttled) until the crash.
    await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'writer', ReservedConcurrentExecutions: 0 }));
    const file = join(outDir, 'ran.txt');
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'writer', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ file })) }));
    assert.equal(out.StatusCode, 202);
    lambda.destroy();
    const exit = await first.kill('SIGKILL');
    assert.equal(exit.signal, 'SIGKILL');
    assert.equal(existsSync(file), false);

    first = await spawnPlatform({ dataDir, services: ['lambda', 'iam', 'sts'] });
    lambda = clientFor(first);
    await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'writer' }));
    // The file exists a moment before its bytes are written: wait for the content.
    const ran = () => existsSync(file) && readFileSync(file, 'utf8') === 'ran';
    for (let i = 0; i < 200 && !ran(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(readFileSync(file, 'utf8'), 'ran');
  } finally {
    lambda.destroy();
    await first.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
  }
});
