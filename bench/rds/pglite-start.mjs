// Where the embedded engine's start goes (RDS CreateDBInstance → first connection on PGlite), phase by
// phase, in a fresh process each run (as the platform's first instance) and again in the same process
// (later instances): import of @electric-sql/pglite, compile of pglite.wasm, copy of the template data
// directory, PGlite.create on the copy, and the wire server's first accepted pg connection.
// Then the first instance end to end, before and after overlapping the copy with the module load.
// Usage: node bench/rds/pglite-start.mjs [runs]   (prints medians in ms)
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { cp, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const runs = Number(process.argv[2] ?? 5);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

if (process.env.PGLITE_START_CHILD === 'phases') {
  const require = createRequire(join(process.cwd(), 'services/rds/package.json'));
  const out = {};
  const lap = async (name, work) => {
    const t = performance.now();
    const value = await work();
    out[name] = (out[name] ?? 0) + performance.now() - t;
    return value;
  };
  const { PGlite } = await lap('import', () => import(require.resolve('@electric-sql/pglite')));
  const dist = dirname(require.resolve('@electric-sql/pglite'));
  const pgliteWasmModule = await lap('wasmCompile', () => WebAssembly.compile(readFileSync(join(dist, 'pglite.wasm'))));
  const fsBundle = await lap('fsBundle', () => new Blob([readFileSync(join(dist, 'pglite.data'))]));
  const template = process.env.PGLITE_TEMPLATE;
  const results = [];
  for (let i = 0; i < 2; i++) {
    const one = {};
    const dir = mkdtempSync(join(tmpdir(), 'pglite-start-'));
    let t = performance.now();
    cpSync(template, join(dir, 'data'), { recursive: true });
    one.templateCopy = performance.now() - t;
    t = performance.now();
    const db = await PGlite.create({ dataDir: join(dir, 'data'), pgliteWasmModule, fsBundle });
    one.create = performance.now() - t;
    t = performance.now();
    await db.query('SELECT 1');
    one.firstQuery = performance.now() - t;
    t = performance.now();
    await db.close();
    one.close = performance.now() - t;
    rmSync(dir, { recursive: true, force: true });
    results.push(one);
  }
  process.stdout.write(JSON.stringify({ ...out, first: results[0], second: results[1] }));
  process.exit(0);
}

/**
 * A first instance end to end, the way embedded-postgres.ts started it before (`sequential`: sync
 * reads and cpSync, one after the other) and now (`overlapped`: async copy beside the module load),
 * with the longest event-loop stall seen meanwhile (a 5 ms timer's worst lateness).
 */
if (['sequential', 'overlapped', 'cp-process'].includes(process.env.PGLITE_START_CHILD)) {
  const require = createRequire(join(process.cwd(), 'services/rds/package.json'));
  const dist = dirname(require.resolve('@electric-sql/pglite'));
  const template = process.env.PGLITE_TEMPLATE;
  const dir = mkdtempSync(join(tmpdir(), 'pglite-start-'));
  let stall = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last - 5);
    last = now;
  }, 5);
  const t = performance.now();
  let assets;
  let PGlite;
  if (process.env.PGLITE_START_CHILD === 'sequential') {
    ({ PGlite } = await import(require.resolve('@electric-sql/pglite')));
    assets = { pgliteWasmModule: await WebAssembly.compile(readFileSync(join(dist, 'pglite.wasm'))), fsBundle: new Blob([readFileSync(join(dist, 'pglite.data'))]) };
    cpSync(template, join(dir, 'data'), { recursive: true });
  } else {
    const loadAssets = async () => {
      const [wasmBytes, bundle] = await Promise.all([readFile(join(dist, 'pglite.wasm')), readFile(join(dist, 'pglite.data'))]);
      return { pgliteWasmModule: await WebAssembly.compile(wasmBytes), fsBundle: new Blob([bundle]) };
    };
    let module;
    const copy =
      process.env.PGLITE_START_CHILD === 'cp-process'
        ? new Promise((resolve, reject) => execFile('cp', ['-a', '--sparse=always', template, join(dir, 'data')], (error) => (error ? reject(error) : resolve())))
        : cp(template, join(dir, 'data'), { recursive: true });
    [, assets, module] = await Promise.all([copy, loadAssets(), import(require.resolve('@electric-sql/pglite'))]);
    ({ PGlite } = module);
  }
  const db = await PGlite.create({ dataDir: join(dir, 'data'), ...assets });
  await db.query('SELECT 1');
  const total = performance.now() - t;
  clearInterval(ticker);
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(JSON.stringify({ total, stall }));
  process.exit(0);
}

// The engine's cache directory (services/rds/src/engines/cache-dir.ts).
const cacheRoot = process.env.ATOLL_CACHE_DIR ?? (process.getuid?.() === 0 ? '/var/tmp/atoll-cache-0' : join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? tmpdir(), '.cache'), 'atoll'));
const candidates = [join(cacheRoot, 'rds')];
let template;
for (const root of candidates) {
  try {
    const found = execFileSync('find', [root, '-maxdepth', '1', '-name', 'pglite-*', '-type', 'd'], { encoding: 'utf8' }).trim().split('\n').filter((d) => d && !d.includes('.building'));
    if (found.length) template = found[0];
  } catch {}
  if (template) break;
}
if (!template || !existsSync(join(template, 'PG_VERSION'))) {
  console.error('No PGlite template found: create one embedded RDS instance first (ATOLL_RDS_POSTGRES=embedded), or run bench/rds/rds-bench.mjs.');
  process.exit(1);
}
const samples = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  const out = JSON.parse(execFileSync(process.execPath, [new URL(import.meta.url).pathname], { env: { ...process.env, PGLITE_START_CHILD: 'phases', PGLITE_TEMPLATE: template }, encoding: 'utf8' }));
  out.processTotal = performance.now() - t;
  samples.push(out);
}
const pick = (path) => median(samples.map((s) => path.split('.').reduce((o, k) => o[k], s)));
console.log(`machine: ${process.platform} ${process.arch}, node ${process.version}, runs ${runs}, template ${template}`);
console.log('first instance in a process (ms, median):');
for (const key of ['import', 'wasmCompile', 'fsBundle', 'first.templateCopy', 'first.create', 'first.firstQuery']) console.log(`  ${key.padEnd(20)} ${pick(key).toFixed(1)}`);
console.log('a later instance in the same process (ms, median):');
for (const key of ['second.templateCopy', 'second.create', 'second.firstQuery', 'second.close']) console.log(`  ${key.padEnd(20)} ${pick(key).toFixed(1)}`);
const modes = { sequential: [], overlapped: [], 'cp-process': [] };
for (let i = 0; i < runs; i++) {
  for (const mode of Object.keys(modes)) {
    modes[mode].push(JSON.parse(execFileSync(process.execPath, [new URL(import.meta.url).pathname], { env: { ...process.env, PGLITE_START_CHILD: mode, PGLITE_TEMPLATE: template }, encoding: 'utf8' })));
  }
}
console.log('first instance, start to first query, same run (ms, median): before (sequential: sync reads, cpSync) vs overlapped with the module load (fs.promises.cp, or one `cp -a --sparse=always` process)');
for (const [mode, list] of Object.entries(modes)) {
  console.log(`  ${mode.padEnd(11)} total ${median(list.map((s) => s.total)).toFixed(0).padStart(6)}   longest event-loop stall ${median(list.map((s) => s.stall)).toFixed(0).padStart(6)}`);
}
