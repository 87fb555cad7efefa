// Lambda benchmark: Atoll (as a child process) driven through @aws-sdk/client-lambda, next to the
// direct cost of the function data plane (FunctionRuntime.invoke in-process, no edge, no SDK) and
// the floor of a cold start (spawning `node` with an empty script). Prints medians of the rounds.
// Figures: warm invoke p50/p90/p99, cold start, throughput with 10 invokers at reserved
// concurrency 10, and platform RSS with 50 idle warm environments and after they are reclaimed.
// Usage: node tools/build.mjs && node bench/lambda/lambda-bench.mjs [--quick]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import AdmZip from 'adm-zip';
import { LambdaClient, CreateFunctionCommand, InvokeCommand, PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { FunctionRuntime } from '@atoll/function-runtime';
import { startServer, summarize, median, machine, sampleProcess, printTable } from '../lib/report.mjs';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 1 : 3;
const WARM_INVOKES = quick ? 500 : 2000;
const COLD_STARTS = quick ? 3 : 5;
const THROUGHPUT_SECONDS = quick ? 2 : 5;
const IDLE_ENVS = 50;
const IDLE_SECONDS = 3;

const ROLE = 'arn:aws:iam::000000000000:role/bench';
const HANDLER = `exports.handler = async (event) => ({ ok: true, n: event.n ?? 0 });`;
const SLOW_HANDLER = `exports.handler = async () => { await new Promise((r) => setTimeout(r, 300)); return 1; };`;

function zip(files) {
  const archive = new AdmZip();
  for (const [name, text] of Object.entries(files)) archive.addFile(name, Buffer.from(text));
  return archive.toBuffer();
}

function client(endpoint, credentials, sockets = 16) {
  return new LambdaClient({
    endpoint,
    region: 'us-east-1',
    credentials,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: sockets }) }),
  });
}

const payload = Buffer.from('{"n":1}');

async function create(lambda, name, code = HANDLER) {
  await lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: zip({ 'index.js': code }) } }));
}

/** The RSS of a process and of all its descendants (the execution environments), in MB. */
function treeRss(pid) {
  let own = 0;
  let children = 0;
  try {
    own = sampleProcess(pid).rssMb;
  } catch {
    return { own: 0, children: 0 };
  }
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    let kids = [];
    try {
      for (const tid of readdirSync(`/proc/${p}/task`)) {
        kids.push(...readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
      }
    } catch {
      kids = [];
    }
    for (const k of kids) {
      try {
        children += sampleProcess(k).rssMb;
      } catch {
        // gone
      }
      stack.push(k);
    }
  }
  return { own, children };
}

async function atollRound(round) {
  const server = await startServer({ args: ['--permissive'], env: { ATOLL_SERVICES: 'lambda,sts,iam', ATOLL_LAMBDA_IDLE_SECONDS: String(IDLE_SECONDS) } });
  const lambda = client(server.endpoint, server.credentials);
  const result = {};
  try {
    // Cold start: the first invocation after CreateFunction, end to end through the SDK.
    const colds = [];
    const inits = [];
    for (let i = 0; i < COLD_STARTS; i++) {
      const name = `cold-${round}-${i}`;
      await create(lambda, name);
      const t = performance.now();
      const out = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: payload, LogType: 'Tail' }));
      colds.push(performance.now() - t);
      const init = /Init Duration: ([\d.]+) ms/.exec(Buffer.from(out.LogResult ?? '', 'base64').toString());
      if (init) inits.push(Number(init[1]));
    }
    result.coldMs = median(colds);
    result.initMs = median(inits);

    // Warm invocations, one at a time.
    await create(lambda, 'warm');
    for (let i = 0; i < 100; i++) await lambda.send(new InvokeCommand({ FunctionName: 'warm', Payload: payload }));
    const warm = [];
    for (let i = 0; i < WARM_INVOKES; i++) {
      const t = performance.now();
      await lambda.send(new InvokeCommand({ FunctionName: 'warm', Payload: payload }));
      warm.push(performance.now() - t);
    }
    result.warm = summarize(warm);

    // Throughput: 10 invokers, reserved concurrency 10.
    await create(lambda, 'busy');
    await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'busy', ReservedConcurrentExecutions: 10 }));
    await Promise.all(Array.from({ length: 10 }, () => lambda.send(new InvokeCommand({ FunctionName: 'busy', Payload: payload }))));
    let count = 0;
    let throttled = 0;
    const until = performance.now() + THROUGHPUT_SECONDS * 1000;
    const cpu0 = sampleProcess(server.pid).cpuSeconds;
    await Promise.all(Array.from({ length: 10 }, async () => {
      while (performance.now() < until) {
        try {
          await lambda.send(new InvokeCommand({ FunctionName: 'busy', Payload: payload }));
          count++;
        } catch (error) {
          if (error.name === 'TooManyRequestsException') throttled++;
          else throw error;
        }
      }
    }));
    result.throughput = count / THROUGHPUT_SECONDS;
    result.throttled = throttled;
    result.cpuPerInvokeUs = ((sampleProcess(server.pid).cpuSeconds - cpu0) / count) * 1e6;

    // Memory: 50 warm idle environments, then after the idle reclaim.
    await create(lambda, 'wide', SLOW_HANDLER);
    const before = treeRss(server.pid);
    const wide = client(server.endpoint, server.credentials, IDLE_ENVS + 4);
    await Promise.all(Array.from({ length: IDLE_ENVS }, () => wide.send(new InvokeCommand({ FunctionName: 'wide', Payload: payload }))));
    await sleep(500);
    const idle = treeRss(server.pid);
    await sleep((IDLE_SECONDS * 2 + 1) * 1000);
    const reclaimed = treeRss(server.pid);
    wide.destroy();
    result.rssBefore = before.own;
    result.rssIdle = idle.own;
    result.envRssIdle = idle.children;
    result.rssReclaimed = reclaimed.own;
    result.envRssReclaimed = reclaimed.children;
  } finally {
    lambda.destroy();
    await server.stop();
  }
  return result;
}

/** The data plane alone: FunctionRuntime.invoke in-process, warm. */
async function directRound() {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-bench-fn-'));
  const code = join(dir, 'code');
  mkdirSync(code);
  writeFileSync(join(code, 'index.js'), HANDLER);
  const runtime = new FunctionRuntime({ workDir: join(dir, 'work') });
  const spec = {
    key: 'direct', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:direct', functionName: 'direct', version: '$LATEST',
    runtime: 'nodejs20.x', handler: 'index.handler', codeDir: code, layerDirs: [], memorySizeMb: 128, timeoutSeconds: 3,
    region: 'us-east-1', logGroupName: '/aws/lambda/direct', environment: {},
  };
  const run = () => runtime.invoke(spec, { requestId: randomUUID(), payload, invokedFunctionArn: spec.functionArn });
  const t0 = performance.now();
  await run();
  const cold = performance.now() - t0;
  for (let i = 0; i < 100; i++) await run();
  const warm = [];
  for (let i = 0; i < WARM_INVOKES; i++) {
    const t = performance.now();
    await run();
    warm.push(performance.now() - t);
  }
  await runtime.close();
  rmSync(dir, { recursive: true, force: true });
  return { cold, warm: summarize(warm) };
}

function nodeSpawnFloor() {
  const times = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    times.push(performance.now() - t);
  }
  return median(times);
}

const atoll = [];
const direct = [];
for (let round = 0; round < ROUNDS; round++) {
  atoll.push(await atollRound(round));
  direct.push(await directRound());
}
const m = (pick, list = atoll) => median(list.map(pick));
const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

console.log(`Lambda benchmark — ${machine()} — medians of ${ROUNDS} round(s)`);
printTable('Warm invoke, sequential (RequestResponse, tiny payload)', [
  ['SDK → Atoll edge → environment p50/p90/p99 ms', `${f(m((r) => r.warm.p50))} / ${f(m((r) => r.warm.p90))} / ${f(m((r) => r.warm.p99))}`],
  ['data plane alone (in-process) p50/p90/p99 ms', `${f(m((r) => r.warm.p50, direct), 3)} / ${f(m((r) => r.warm.p90, direct), 3)} / ${f(m((r) => r.warm.p99, direct), 3)}`],
  ['goal', 'p50 < 2 ms'],
]);
printTable('Cold start (first invocation after CreateFunction)', [
  ['SDK end to end ms', f(m((r) => r.coldMs))],
  ['Init Duration (REPORT) ms', f(m((r) => r.initMs))],
  ['data plane alone ms', f(m((r) => r.cold, direct))],
  ['floor: spawn `node -e 0` ms', f(nodeSpawnFloor())],
  ['goal', '< 150 ms'],
]);
printTable(`Throughput, 10 invokers, reserved concurrency 10, ${THROUGHPUT_SECONDS} s`, [
  ['invocations/s', f(m((r) => r.throughput), 0)],
  ['throttled (TooManyRequestsException)', String(m((r) => r.throttled))],
  ['platform CPU per invocation µs', f(m((r) => r.cpuPerInvokeUs), 0)],
]);
printTable(`Memory (RSS MB), ${IDLE_ENVS} idle warm environments, reclaim after ${IDLE_SECONDS} s idle`, [
  ['platform before', f(m((r) => r.rssBefore), 1)],
  ['platform with 50 idle environments', f(m((r) => r.rssIdle), 1)],
  ['the 50 environments themselves (sum)', f(m((r) => r.envRssIdle), 1)],
  ['platform after reclaim', f(m((r) => r.rssReclaimed), 1)],
  ['environments left after reclaim (sum)', f(m((r) => r.envRssReclaimed), 1)],
]);
