import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { FunctionRuntime, ConcurrencyLimitExceededError } from './function-runtime.js';
import type { FunctionSpec, LogBatch } from './types.js';

let root: string;
let runtime: FunctionRuntime;
const batches: LogBatch[] = [];

function fn(name: string, files: Record<string, string>, overrides: Partial<FunctionSpec> = {}): FunctionSpec {
  const codeDir = join(root, 'code', name);
  mkdirSync(codeDir, { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(codeDir, file, '..'), { recursive: true });
    writeFileSync(join(codeDir, file), text);
    if (file === 'bootstrap') chmodSync(join(codeDir, file), 0o755);
  }
  return {
    key: `${name}:$LATEST:1`,
    functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    functionName: name,
    version: '$LATEST',
    runtime: 'nodejs20.x',
    handler: 'index.handler',
    codeDir,
    layerDirs: [],
    memorySizeMb: 128,
    timeoutSeconds: 3,
    region: 'us-east-1',
    logGroupName: `/aws/lambda/${name}`,
    environment: {},
    ...overrides,
  };
}

const invoke = (spec: FunctionSpec, event: unknown = {}, tail = true) =>
  runtime.invoke(spec, {
    requestId: randomUUID(),
    payload: Buffer.from(JSON.stringify(event)),
    invokedFunctionArn: spec.functionArn,
    tail,
  });

const json = (b: Buffer) => JSON.parse(b.toString('utf8'));

before(() => {
  root = mkdtempSync(join(tmpdir(), 'atoll-fnrt-'));
  runtime = new FunctionRuntime({ workDir: join(root, 'work'), logSink: (b) => batches.push(b) });
  process.env.ATOLL_SECRET_SHOULD_NOT_LEAK = 'leak';
});

after(async () => {
  await runtime.close();
  rmSync(root, { recursive: true, force: true });
});

describe('nodejs runtime', () => {
  test('a CommonJS async handler answers, and its warm environment serves the next invocation', async () => {
    const spec = fn('cjs', {
      'index.js': `exports.handler = async (event, context) => { console.log('got', event.n); return { n: event.n + 1, pid: process.pid, name: context.functionName, id: context.awsRequestId, left: context.getRemainingTimeInMillis() }; };`,
    });
    const first = await invoke(spec, { n: 1 });
    assert.equal(first.functionError, undefined);
    const body = json(first.payload);
    assert.equal(body.n, 2);
    assert.equal(body.name, 'cjs');
    assert.equal(body.id, first.requestId);
    assert.ok(body.left > 0 && body.left <= 3000);
    assert.ok(first.initDurationMs !== undefined);
    assert.match(first.logs!, /^START RequestId: [0-9a-f-]+ Version: \$LATEST/);
    assert.match(first.logs!, /\tINFO\tgot 1/);
    assert.match(first.logs!, /END RequestId: /);
    assert.match(first.logs!, /REPORT RequestId: .*Duration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms/);
    const second = await invoke(spec, { n: 5 });
    assert.equal(json(second.payload).pid, body.pid);
    assert.equal(second.initDurationMs, undefined);
    assert.doesNotMatch(second.logs!, /Init Duration/);
  });

  test('an ES module handler and a callback handler both answer', async () => {
    const esm = fn('esm', { 'app.mjs': `export const handler = async (e) => ({ esm: true, e });` }, { handler: 'app.handler' });
    assert.deepEqual(json((await invoke(esm, { a: 1 })).payload), { esm: true, e: { a: 1 } });
    const cb = fn('cb', { 'index.cjs': `exports.handler = (e, ctx, cb) => setTimeout(() => cb(null, 'done'), 5);` });
    assert.equal(json((await invoke(cb)).payload), 'done');
    const typeModule = fn('typemod', { 'package.json': '{"type":"module"}', 'index.js': `export async function handler() { return 7; }` });
    assert.equal(json((await invoke(typeModule)).payload), 7);
  });

  test('the environment holds the documented variables and not the platform environment', async () => {
    const spec = fn('envvars', {
      'index.js': `exports.handler = async () => ({ ...process.env });`,
    }, { environment: { GREETING: 'hi', AWS_ACCESS_KEY_ID: 'AKIATEST' }, memorySizeMb: 256 });
    const env = json((await invoke(spec)).payload);
    assert.equal(env.AWS_LAMBDA_FUNCTION_NAME, 'envvars');
    assert.equal(env.AWS_LAMBDA_FUNCTION_VERSION, '$LATEST');
    assert.equal(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, '256');
    assert.equal(env.AWS_LAMBDA_LOG_GROUP_NAME, '/aws/lambda/envvars');
    assert.match(env.AWS_LAMBDA_LOG_STREAM_NAME, /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    assert.equal(env._HANDLER, 'index.handler');
    assert.equal(env.LAMBDA_TASK_ROOT, spec.codeDir);
    assert.equal(env.AWS_REGION, 'us-east-1');
    assert.equal(env.AWS_EXECUTION_ENV, 'AWS_Lambda_nodejs20.x');
    assert.match(env.AWS_LAMBDA_RUNTIME_API, /^127\.0\.0\.1:\d+$/);
    assert.equal(env.GREETING, 'hi');
    assert.equal(env.AWS_ACCESS_KEY_ID, 'AKIATEST');
    assert.equal(env.ATOLL_SECRET_SHOULD_NOT_LEAK, undefined);
  });

  test('a handler that throws returns Unhandled with errorType, errorMessage and trace', async () => {
    const spec = fn('throws', { 'index.js': `class BadThing extends Error { constructor(m) { super(m); this.name = 'BadThing'; } } exports.handler = async () => { throw new BadThing('nope'); };` });
    const result = await invoke(spec);
    assert.equal(result.functionError, 'Unhandled');
    const doc = json(result.payload);
    assert.equal(doc.errorType, 'BadThing');
    assert.equal(doc.errorMessage, 'nope');
    assert.ok(Array.isArray(doc.trace) && doc.trace[0].startsWith('BadThing: nope'));
    assert.match(result.logs!, /ERROR\tInvoke Error/);
  });

  test('a missing module is Runtime.ImportModuleError and a missing export is Runtime.HandlerNotFound', async () => {
    const missing = fn('nomodule', { 'other.js': '' });
    const r1 = await invoke(missing);
    assert.equal(r1.functionError, 'Unhandled');
    assert.equal(json(r1.payload).errorType, 'Runtime.ImportModuleError');
    assert.match(json(r1.payload).errorMessage, /Cannot find module 'index'/);
    const noExport = fn('noexport', { 'index.js': 'exports.other = () => 1;' });
    const r2 = await invoke(noExport);
    assert.equal(json(r2.payload).errorType, 'Runtime.HandlerNotFound');
    assert.equal(json(r2.payload).errorMessage, 'index.handler is undefined or not exported');
  });

  test('a process that exits during init is Runtime.ExitError with the exit status', async () => {
    const spec = fn('initcrash', { 'index.js': `console.error('cannot start'); process.exit(3);` });
    const result = await invoke(spec);
    assert.equal(result.functionError, 'Unhandled');
    const doc = json(result.payload);
    assert.equal(doc.errorType, 'Runtime.ExitError');
    assert.match(doc.errorMessage, /Runtime exited with error: exit status 3/);
  });

  test('a timeout kills the environment and reports Task timed out', async () => {
    const spec = fn('slow', { 'index.js': `exports.handler = async () => { await new Promise(r => setTimeout(r, 60000)); return process.pid; };` }, { timeoutSeconds: 1 });
    const result = await invoke(spec);
    assert.equal(result.functionError, 'Unhandled');
    const doc = json(result.payload);
    assert.equal(doc.errorType, 'Sandbox.Timedout');
    assert.match(doc.errorMessage, /Task timed out after 1\.00 seconds/);
    assert.match(result.logs!, /Task timed out after 1\.00 seconds/);
    assert.match(result.logs!, /Status: timeout/);
  });

  test('an environment that passes its memory size is stopped with Runtime.OutOfMemory', async () => {
    const spec = fn('hog', { 'index.js': `const keep = []; exports.handler = async () => { for (;;) { keep.push(Buffer.alloc(8 << 20, 1)); await new Promise(r => setImmediate(r)); } };` }, { memorySizeMb: 128, timeoutSeconds: 20 });
    const result = await invoke(spec);
    assert.equal(result.functionError, 'Unhandled');
    assert.equal(json(result.payload).errorType, 'Runtime.OutOfMemory');
    assert.match(result.logs!, /Error Type: Runtime.OutOfMemory/);
  });

  test('layers are merged into the opt directory and found through NODE_PATH', async () => {
    const layer = join(root, 'layer1');
    mkdirSync(join(layer, 'nodejs', 'node_modules', 'greeter'), { recursive: true });
    writeFileSync(join(layer, 'nodejs', 'node_modules', 'greeter', 'index.js'), `module.exports = () => 'hello from layer';`);
    const spec = fn('withlayer', { 'index.js': `const g = require('greeter'); exports.handler = async () => g();` }, { layerDirs: [layer] });
    assert.equal(json((await invoke(spec)).payload), 'hello from layer');
  });
});

describe('scaling and concurrency', () => {
  test('concurrent invocations scale up to the reserved concurrency and are throttled past it', async () => {
    const spec = fn('scale', { 'index.js': `exports.handler = async () => { await new Promise(r => setTimeout(r, 300)); return process.pid; };` }, { concurrencyLimit: 2, concurrencyScope: 'reserved' });
    const results = await Promise.allSettled([invoke(spec), invoke(spec), invoke(spec)]);
    const ok = results.filter((r) => r.status === 'fulfilled').map((r) => json((r as PromiseFulfilledResult<{ payload: Buffer }>).value.payload));
    const rejected = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    assert.equal(ok.length, 2);
    assert.notEqual(ok[0], ok[1]);
    assert.equal(rejected.length, 1);
    assert.ok(rejected[0]!.reason instanceof ConcurrencyLimitExceededError);
    assert.equal(rejected[0]!.reason.reason, 'ReservedFunctionConcurrentInvocationLimitExceeded');
    assert.equal(runtime.concurrency(spec.functionArn), 0);
  });

  test('idle environments are reclaimed', async () => {
    const spec = fn('reclaim', { 'index.js': `exports.handler = async () => 1;` });
    await invoke(spec);
    assert.equal(runtime.pids(spec.key).length, 1);
    runtime.reclaimIdle(0);
    for (let i = 0; i < 100 && runtime.pids(spec.key).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(runtime.pids(spec.key).length, 0);
    assert.equal(json((await invoke(spec)).payload), 1);
  });

  test('retiring a configuration stops its idle environments, and the client context reaches the handler', async () => {
    const spec = fn('retire', { 'index.js': `exports.handler = async (e, ctx) => ({ pid: process.pid, cc: ctx.clientContext });` });
    const first = json((await runtime.invoke(spec, { requestId: randomUUID(), payload: Buffer.from('{}'), invokedFunctionArn: spec.functionArn, clientContext: '{"custom":{"k":"v"}}' })).payload);
    assert.deepEqual(first.cc, { custom: { k: 'v' } });
    runtime.retire(`${spec.functionName}:`);
    for (let i = 0; i < 100 && runtime.pids(spec.key).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(runtime.pids(spec.key).length, 0);
    const next = json((await invoke({ ...spec, key: `${spec.functionName}:$LATEST:2` })).payload);
    assert.notEqual(next.pid, first.pid);
  });

  test('log batches reach the sink with the function ARN and log stream', () => {
    const batch = batches.find((b) => b.functionArn.endsWith(':cjs'));
    assert.ok(batch);
    assert.equal(batch.logGroupName, '/aws/lambda/cjs');
    assert.ok(batches.some((b) => b.events.some((e) => e.message.startsWith('REPORT RequestId:'))));
  });
});

describe('provided runtime and the Runtime API', () => {
  test('a custom bootstrap speaks the Runtime API and gets its documented error codes', async () => {
    const bootstrap = `#!${process.execPath}
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2018-06-01/runtime';
(async () => {
  for (;;) {
    const next = await fetch(api + '/invocation/next');
    const id = next.headers.get('lambda-runtime-aws-request-id');
    const deadline = next.headers.get('lambda-runtime-deadline-ms');
    const arn = next.headers.get('lambda-runtime-invoked-function-arn');
    const event = await next.json();
    const bad = await fetch(api + '/invocation/not-a-real-id/response', { method: 'POST', body: '{}' });
    const badBody = await bad.json();
    if (event.mode === 'big') {
      const big = await fetch(api + '/invocation/' + id + '/response', { method: 'POST', body: 'x'.repeat(7 * 1024 * 1024) });
      console.log('big status', big.status);
      continue;
    }
    if (event.mode === 'error') {
      await fetch(api + '/invocation/' + id + '/error', { method: 'POST', headers: { 'Lambda-Runtime-Function-Error-Type': 'Custom.Error' }, body: JSON.stringify({ errorType: 'Custom.Error', errorMessage: 'custom failure' }) });
      continue;
    }
    const ok = await fetch(api + '/invocation/' + id + '/response', { method: 'POST', body: JSON.stringify({ deadline: Number(deadline), arn, badStatus: bad.status, badBody, handler: process.env._HANDLER }) });
    const again = await fetch(api + '/invocation/' + id + '/response', { method: 'POST', body: '{}' });
    const initAfter = await fetch(api + '/init/error', { method: 'POST', body: '{}' });
    console.log('ok', ok.status, JSON.stringify(await ok.json()), 'again', again.status, JSON.stringify(await again.json()), 'init', initAfter.status);
  }
})();
`;
    const spec = fn('custom', { bootstrap }, { runtime: 'provided.al2023', handler: 'my.handler' });
    const before = Date.now();
    const result = await invoke(spec, { mode: 'ok' });
    const body = json(result.payload);
    assert.equal(body.arn, spec.functionArn);
    assert.ok(body.deadline >= before + 3000 - 50);
    assert.equal(body.badStatus, 400);
    assert.deepEqual(body.badBody, { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });
    assert.equal(body.handler, 'my.handler');
    const second = await invoke(spec, { mode: 'error' });
    assert.match(second.logs ?? '', /START/);
    assert.equal(second.functionError, 'Unhandled');
    assert.deepEqual(json(second.payload), { errorType: 'Custom.Error', errorMessage: 'custom failure' });
    const logs = batches.filter((b) => b.functionArn.endsWith(':custom')).flatMap((b) => b.events.map((e) => e.message)).join('\n');
    assert.match(logs, /ok 202 \{"status":"OK"\} again 400 .*InvalidRequestID.* init 403/);
    const big = await invoke(spec, { mode: 'big' });
    assert.equal(big.functionError, 'Unhandled');
    assert.equal(json(big.payload).errorType, 'Function.ResponseSizeTooLarge');
  });

  test('a package without a bootstrap is Runtime.InvalidEntrypoint', async () => {
    const spec = fn('noboot', { 'README': 'x' }, { runtime: 'provided.al2' });
    const result = await invoke(spec);
    assert.equal(result.functionError, 'Unhandled');
    assert.equal(json(result.payload).errorType, 'Runtime.InvalidEntrypoint');
  });
});
