import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  LambdaClient,
  CreateFunctionCommand,
  InvokeCommand,
  PublishLayerVersionCommand,
  GetLayerVersionCommand,
  CreateFunctionUrlConfigCommand,
  GetFunctionUrlConfigCommand,
  PutFunctionEventInvokeConfigCommand,
  GetFunctionEventInvokeConfigCommand,
} from '@aws-sdk/client-lambda';
import { createLambdaRole, startPlatform, type TestPlatform } from '@atoll/test-support';
import { zip, ROLE, decode } from './helpers.js';
import { tempDir } from '@atoll/test-support';

let platform: TestPlatform;
let lambda: LambdaClient;

async function create(name: string, files: Record<string, string>, extra: Record<string, unknown> = {}, modes: Record<string, number> = {}) {
  await lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs22.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: zip(files, modes) }, ...extra }));
}

const invoke = (name: string, payload?: unknown, extra: Record<string, unknown> = {}) =>
  lambda.send(new InvokeCommand({ FunctionName: name, ...(payload === undefined ? {} : { Payload: Buffer.from(JSON.stringify(payload)) }), ...extra }));

before(async () => {
  platform = await startPlatform({ services: ['lambda', 'sts', 'iam'] });
  // The execution role the functions name (ROLE): Lambda assumes it as lambda.amazonaws.com.
  await createLambdaRole(platform);
  lambda = platform.client(LambdaClient);
});

after(async () => {
  await platform.stop();
});

describe('Invoke', () => {
  test('a handler error comes back as X-Amz-Function-Error Unhandled with errorType, errorMessage and trace', async () => {
    await create('fails', { 'index.js': `exports.handler = async () => { const e = new TypeError('bad input'); throw e; };` });
    const out = await invoke('fails', {});
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, 'Unhandled');
    const doc = decode(out.Payload) as { errorType: string; errorMessage: string; trace: string[] };
    assert.equal(doc.errorType, 'TypeError');
    assert.equal(doc.errorMessage, 'bad input');
    assert.ok(Array.isArray(doc.trace));
  });

  test('a missing handler file is Runtime.ImportModuleError at invoke', async () => {
    await create('nohandler', { 'other.js': 'module.exports = {};' });
    const out = await invoke('nohandler', {});
    assert.equal(out.FunctionError, 'Unhandled');
    assert.equal((decode(out.Payload) as { errorType: string }).errorType, 'Runtime.ImportModuleError');
  });

  test('an environment that crashes during init is Runtime.ExitError with the reason', async () => {
    await create('crashes', { 'index.js': `throw new Error('boom at init');` });
    const out = await invoke('crashes', {});
    assert.equal(out.FunctionError, 'Unhandled');
    const doc = decode(out.Payload) as { errorType: string; errorMessage: string };
    // The nodejs bootstrap reports an init failure through /runtime/init/error.
    assert.equal(doc.errorType, 'Error');
    assert.match(doc.errorMessage, /boom at init/);
    await create('exits', { 'index.js': `process.exit(7);` });
    const exited = decode((await invoke('exits', {})).Payload) as { errorType: string; errorMessage: string };
    assert.equal(exited.errorType, 'Runtime.ExitError');
    assert.match(exited.errorMessage, /exit status 7/);
  });

  test('a timeout reports Task timed out after N.00 seconds', async () => {
    await create('sleepy', { 'index.js': `exports.handler = () => new Promise(() => {});` }, { Timeout: 1 });
    const out = await invoke('sleepy', {});
    assert.equal(out.FunctionError, 'Unhandled');
    assert.match((decode(out.Payload) as { errorMessage: string }).errorMessage, /Task timed out after 1\.00 seconds/);
  });

  test('an oversize payload is RequestEntityTooLargeException and invalid JSON is InvalidRequestContentException', async () => {
    await create('echo', { 'index.js': `exports.handler = async (e, ctx) => ({ e, id: ctx.awsRequestId, arn: ctx.invokedFunctionArn });` });
    const big = Buffer.from(JSON.stringify({ data: 'x'.repeat(6 * 1024 * 1024) }));
    await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: big })), (err: Error & { $metadata: { httpStatusCode: number } }) => {
      assert.equal(err.name, 'RequestEntityTooLargeException');
      assert.equal(err.$metadata.httpStatusCode, 413);
      return true;
    });
    const asyncBig = Buffer.from(JSON.stringify({ data: 'x'.repeat(300 * 1024) }));
    await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'Event', Payload: asyncBig })), { name: 'RequestEntityTooLargeException' });
    await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('{not json') })), (err: Error & { $metadata: { httpStatusCode: number } }) => {
      assert.equal(err.name, 'InvalidRequestContentException');
      assert.equal(err.$metadata.httpStatusCode, 400);
      return true;
    });
  });

  test('DryRun answers 204 without running the function', async () => {
    const out = await invoke('echo', {}, { InvocationType: 'DryRun' });
    assert.equal(out.StatusCode, 204);
  });

  test('the context carries the request id and the invoked ARN', async () => {
    const out = await invoke('echo', { a: 1 });
    const body = decode(out.Payload) as { e: unknown; id: string; arn: string };
    assert.deepEqual(body.e, { a: 1 });
    assert.match(body.id, /^[0-9a-f-]{36}$/);
    assert.equal(body.arn, `arn:aws:lambda:${platform.region}:${platform.accountId}:function:echo`);
  });

  test('a custom runtime (provided.al2023) runs the zip\'s bootstrap', async () => {
    const bootstrap = `#!${process.execPath}
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2018-06-01/runtime';
(async () => { for (;;) {
  const next = await fetch(api + '/invocation/next');
  const id = next.headers.get('lambda-runtime-aws-request-id');
  const event = await next.json();
  await fetch(api + '/invocation/' + id + '/response', { method: 'POST', body: JSON.stringify({ custom: true, event, handler: process.env._HANDLER }) });
} })();
`;
    await create('custom', { bootstrap }, { Runtime: 'provided.al2023', Handler: 'function.handler' }, { bootstrap: 0o755 });
    const out = await invoke('custom', { x: 1 });
    assert.deepEqual(decode(out.Payload), { custom: true, event: { x: 1 }, handler: 'function.handler' });
  });
});

describe('layers', () => {
  test('a function finds a layer\'s node modules through the /opt equivalent', async () => {
    const layer = await lambda.send(new PublishLayerVersionCommand({
      LayerName: 'greeting',
      Content: { ZipFile: zip({ 'nodejs/node_modules/greeting/index.js': `module.exports = (n) => 'hello ' + n;` }) },
      CompatibleRuntimes: ['nodejs22.x'],
    }));
    assert.equal(layer.Version, 1);
    assert.equal(layer.LayerVersionArn, `arn:aws:lambda:${platform.region}:${platform.accountId}:layer:greeting:1`);
    const got = await lambda.send(new GetLayerVersionCommand({ LayerName: 'greeting', VersionNumber: 1 }));
    assert.equal(got.Content?.CodeSha256, layer.Content?.CodeSha256);
    await create('layered', { 'index.js': `const g = require('greeting'); exports.handler = async (e) => g(e.name);` }, { Layers: [layer.LayerVersionArn!] });
    assert.equal(decode((await invoke('layered', { name: 'layer' })).Payload), 'hello layer');
  });
});

describe('function URLs', () => {
  test('a function URL invokes the function with a payload format 2.0 event and returns its response', async () => {
    await create('web', {
      'index.js': `exports.handler = async (event) => ({ statusCode: 201, headers: { 'x-test': 'yes' }, body: JSON.stringify({ version: event.version, method: event.requestContext.http.method, path: event.rawPath, query: event.queryStringParameters, body: event.body }) });`,
    });
    const created = await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'web', AuthType: 'NONE' }));
    assert.match(created.FunctionUrl!, /\/_atoll\/lambda-url\/[0-9a-f]{32}\/$/);
    const got = await lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: 'web' }));
    assert.equal(got.FunctionUrl, created.FunctionUrl);
    const response = await fetch(`${created.FunctionUrl}items/7?color=red`, { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('x-test'), 'yes');
    assert.deepEqual(await response.json(), { version: '2.0', method: 'POST', path: '/items/7', query: { color: 'red' }, body: 'hello' });
  });
});

describe('asynchronous invocation', () => {
  test('an Event invocation is queued, answered 202, and retried twice after errors', async () => {
    await create('flaky', {
      'index.js': `const fs = require('fs'); const path = require('path');
exports.handler = async (e) => { const f = path.join(e.dir, 'count'); const n = fs.existsSync(f) ? Number(fs.readFileSync(f, 'utf8')) : 0; fs.writeFileSync(f, String(n + 1)); throw new Error('attempt ' + (n + 1)); };`,
    });
    await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'flaky', MaximumRetryAttempts: 2 }));
    assert.equal((await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'flaky' }))).MaximumRetryAttempts, 2);
    const { mkdtempSync, readFileSync, existsSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = tempDir('atoll-flaky-');
    const out = await invoke('flaky', { dir }, { InvocationType: 'Event' });
    assert.equal(out.StatusCode, 202);
    const count = () => (existsSync(join(dir, 'count')) ? Number(readFileSync(join(dir, 'count'), 'utf8')) : 0);
    for (let i = 0; i < 400 && count() < 3; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(count(), 3);
  });
});

describe('credentials and endpoint', () => {
  test('a function calls the platform with the SDK, the injected credentials and AWS_ENDPOINT_URL', async () => {
    await create('caller', {
      'index.js': `const { STSClient, GetCallerIdentityCommand } = require('@aws-sdk/client-sts');
exports.handler = async () => { const out = await new STSClient({}).send(new GetCallerIdentityCommand({})); return { arn: out.Arn, endpoint: process.env.AWS_ENDPOINT_URL, key: process.env.AWS_ACCESS_KEY_ID.slice(0, 4), token: Boolean(process.env.AWS_SESSION_TOKEN) }; };`,
    }, { Timeout: 10 });
    const out = await invoke('caller', {});
    assert.equal(out.FunctionError, undefined, Buffer.from(out.Payload ?? []).toString());
    const body = decode(out.Payload) as { arn: string; endpoint: string; key: string; token: boolean };
    assert.equal(body.endpoint, platform.endpoint);
    // The function runs as a session of its execution role, named after the function.
    assert.equal(body.arn, `arn:aws:sts::${platform.accountId}:assumed-role/lambda-role/caller`);
    assert.equal(body.key, 'ASIA');
    assert.equal(body.token, true);
  });
});
