// Lambda runtimes: cold start and warm invoke p50/p99 per runtime (nodejs, python, java, ruby) on
// the function data plane (FunctionRuntime.invoke in-process: no edge, no SDK), each next to a bare
// start of the same interpreter (an empty program) in the same run. Runtimes whose interpreter is
// missing are listed as skipped. Goal (issue #23): Python cold < 120 ms, warm within 0.3 ms of Node.
// On a shared 2-core machine wall times follow the load, so the CPU time the runtime's process
// spent to get through its first invocation (and a bare start's, from the shell's `times`) is
// printed too: it is what the runtime costs, whatever else runs.
// Usage: node tools/build.mjs dataplanes/function-runtime && node bench/lambda-runtimes/runtimes-bench.mjs [--quick]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { FunctionRuntime, findInterpreter } from '@atoll/function-runtime';
import { summarize, machine, printTable } from '../lib/report.mjs';

const quick = process.argv.includes('--quick');
const COLD = quick ? 5 : 15;
const WARM = quick ? 300 : 2000;
const BARE = quick ? 5 : 15;

const work = mkdtempSync(join(tmpdir(), 'atoll-runtimes-bench-'));

const RUNTIMES = [
  { runtime: 'nodejs22.x', handler: 'index.handler', files: { 'index.js': 'exports.handler = async (event) => ({ ok: true, n: event.n });' } },
  { runtime: 'python3.12', handler: 'app.handler', files: { 'app.py': 'def handler(event, context):\n    return {"ok": True, "n": event["n"]}\n' } },
  { runtime: 'java17', handler: 'bench.Handler::handle', java: 'package bench;\npublic class Handler {\n  public java.util.Map<String, Object> handle(java.util.Map<String, Object> event) {\n    java.util.Map<String, Object> out = new java.util.HashMap<>();\n    out.put("ok", true); out.put("n", event.get("n"));\n    return out;\n  }\n}\n' },
  { runtime: 'ruby3.3', handler: 'app.handler', files: { 'app.rb': 'def handler(event:, context:)\n  { "ok" => true, "n" => event["n"] }\nend\n' } },
];

function codeDir(entry) {
  const dir = join(work, `code-${entry.runtime}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(entry.files ?? {})) writeFileSync(join(dir, name), text);
  if (entry.java) {
    const src = join(work, 'java-src', 'bench');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'Handler.java'), entry.java);
    const javac = join(dirname(findInterpreter(entry.runtime).file), 'javac');
    const r = spawnSync(javac, ['-d', dir, join(src, 'Handler.java')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
  }
  return dir;
}

/** Wall time of starting the interpreter on an empty program and waiting for its exit. */
async function bareStart(entry, file) {
  let args;
  if (entry.runtime.startsWith('nodejs')) args = ['-e', '0'];
  else if (entry.runtime.startsWith('python')) args = ['-c', 'pass'];
  else if (entry.runtime.startsWith('ruby')) args = ['-e', '0'];
  else {
    const dir = join(work, 'java-empty');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'Empty.java'), 'public class Empty { public static void main(String[] a) {} }');
    spawnSync(join(dirname(file), 'javac'), ['-d', dir, join(dir, 'Empty.java')]);
    args = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xshare:auto', '-cp', dir, 'Empty'];
  }
  // CPU: the shell's `times` sums its children's user+system time (10 ms ticks) over BARE starts.
  const quoted = [file, ...args].map((a) => `'${a}'`).join(' ');
  const out = spawnSync('/bin/sh', ['-c', `i=0; while [ $i -lt ${BARE} ]; do ${quoted} >/dev/null 2>&1; i=$((i+1)); done; times`], { encoding: 'utf8' });
  const childLine = out.stdout.trim().split('\n').pop() ?? '';
  const seconds = [...childLine.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
  const cpuMs = (seconds * 1000) / BARE;
  const times = [];
  for (let i = 0; i < BARE; i++) {
    const t0 = performance.now();
    await new Promise((resolve, reject) => {
      const child = spawn(file, args, { stdio: 'ignore' });
      child.on('error', reject);
      child.on('exit', resolve);
    });
    times.push(performance.now() - t0);
  }
  return { ...summarize(times), cpuMs };
}

/** User+system CPU milliseconds of a live process (10 ms ticks). */
function cpuMsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(stat[11]) + Number(stat[12])) * 10;
  } catch {
    return 0;
  }
}

function spec(entry, dir, key) {
  return {
    key,
    functionArn: `arn:aws:lambda:us-east-1:000000000000:function:bench-${entry.runtime.replace(/\W/g, '')}`,
    functionName: `bench-${entry.runtime.replace(/\W/g, '')}`,
    version: '$LATEST',
    runtime: entry.runtime,
    handler: entry.handler,
    codeDir: dir,
    layerDirs: [],
    memorySizeMb: 512,
    timeoutSeconds: 30,
    region: 'us-east-1',
    logGroupName: '/aws/lambda/bench',
    environment: {},
  };
}

const request = () => ({ requestId: randomUUID(), payload: Buffer.from('{"n":1}'), invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench' });

async function measure(entry, runtime) {
  const dir = codeDir(entry);
  // One throwaway cold start first (the Java bootstrap compiles into the cache on first use).
  const first = await runtime.invoke(spec(entry, dir, `first-${entry.runtime}`), request());
  if (first.functionError) throw new Error(`${entry.runtime}: ${first.payload.toString()}`);
  runtime.retire(`first-${entry.runtime}`);
  const cold = [];
  const init = [];
  let coldCpu = 0;
  for (let i = 0; i < COLD; i++) {
    const key = `cold-${entry.runtime}-${i}`;
    const t0 = performance.now();
    const result = await runtime.invoke(spec(entry, dir, key), request());
    cold.push(performance.now() - t0);
    init.push(result.initDurationMs ?? 0);
    for (const pid of runtime.pids(key)) coldCpu += cpuMsOf(pid);
    runtime.retire(key);
  }
  const key = `warm-${entry.runtime}`;
  const s = spec(entry, dir, key);
  for (let i = 0; i < 50; i++) await runtime.invoke(s, request());
  const warm = [];
  for (let i = 0; i < WARM; i++) {
    const t0 = performance.now();
    await runtime.invoke(s, request());
    warm.push(performance.now() - t0);
  }
  runtime.retire(key);
  return { cold: summarize(cold), init: summarize(init), warm: summarize(warm), coldCpuMs: coldCpu / COLD };
}

const fmt = (s) => `p50 ${s.p50.toFixed(2)} ms  p99 ${s.p99.toFixed(2)} ms`;

console.log(`Lambda runtimes bench (${machine()}); cold n=${COLD}, warm n=${WARM}, bare n=${BARE}`);
const runtime = new FunctionRuntime({ workDir: join(work, 'run'), idleTimeoutMs: 600_000 });
const figures = {};
try {
  for (const entry of RUNTIMES) {
    const found = findInterpreter(entry.runtime);
    if (!found.ok) {
      printTable(entry.runtime, [['skipped', found.message]]);
      continue;
    }
    const bare = await bareStart(entry, found.file);
    const m = await measure(entry, runtime);
    figures[entry.runtime] = m;
    printTable(`${entry.runtime} (${found.file})`, [
      ['bare interpreter start (empty program)', fmt(bare)],
      ['  CPU per bare start', `${bare.cpuMs.toFixed(1)} ms`],
      ['cold start (invoke on a new environment)', fmt(m.cold)],
      ['  CPU of the runtime process to 1st result', `${m.coldCpuMs.toFixed(1)} ms`],
      ['  of which init (process start → /next)', fmt(m.init)],
      ['warm invoke', fmt(m.warm)],
    ]);
  }
} finally {
  await runtime.close();
  rmSync(work, { recursive: true, force: true });
}
const node = figures['nodejs22.x'];
const python = figures['python3.12'];
if (node && python) {
  printTable('Python goals (issue #23)', [
    ['cold p50 < 120 ms', `${python.cold.p50.toFixed(2)} ms ${python.cold.p50 < 120 ? 'met' : 'NOT met'}`],
    ['warm p50 within 0.3 ms of Node', `${(python.warm.p50 - node.warm.p50).toFixed(3)} ms ${python.warm.p50 - node.warm.p50 <= 0.3 ? 'met' : 'NOT met'}`],
  ]);
}
