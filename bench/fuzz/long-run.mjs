// The fuzz suite (test/fuzz) run long: a random seed (or ATOLL_FUZZ_SEED to replay one) and many
// more runs per property (ATOLL_FUZZ_SCALE, 20 by default). Prints the seed first and again on
// failure, so that `ATOLL_FUZZ_SEED=<seed> ATOLL_FUZZ_SCALE=<scale> node bench/fuzz/long-run.mjs`
// replays the failing run; fast-check's own report names the failing case's path.
// Needs a build first (`node tools/build.mjs`).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = join(root, 'test', 'dist', 'fuzz');
if (!existsSync(dist)) {
  console.error('long-run: test/dist/fuzz is missing; run `node tools/build.mjs` first.');
  process.exit(1);
}
const seed = process.env.ATOLL_FUZZ_SEED ?? String(Math.floor(Math.random() * 2 ** 31));
const scale = process.env.ATOLL_FUZZ_SCALE ?? '20';
const only = process.argv.slice(2);
const files = readdirSync(dist)
  .filter((f) => f.endsWith('.test.js'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .map((f) => join(dist, f));
console.log(`fuzz long run: seed ${seed}, scale ${scale}, ${files.length} files`);
const started = Date.now();
const rssBefore = process.memoryUsage().rss;
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=3600000', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, ATOLL_FUZZ_SEED: seed, ATOLL_FUZZ_SCALE: scale, ATOLL_LOG_LEVEL: process.env.ATOLL_LOG_LEVEL ?? 'silent' },
});
const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (result.status !== 0) {
  console.error(`\nfuzz long run FAILED after ${seconds} s. Replay: ATOLL_FUZZ_SEED=${seed} ATOLL_FUZZ_SCALE=${scale} node bench/fuzz/long-run.mjs ${only.join(' ')}`);
  process.exit(result.status ?? 1);
}
console.log(`\nfuzz long run passed in ${seconds} s (seed ${seed}, scale ${scale}; runner RSS ${(rssBefore / 1048576).toFixed(0)} MB)`);
