// Runs every compiled test (dist/**/*.test.js) of every workspace with Node's built-in test runner.
// Arguments narrow the run to folders, e.g. `node tools/run-tests.mjs services/sqs`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve, relative } from 'node:path';
import { root, workspaceDirs } from './workspaces.mjs';

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.js')) out.push(path);
  }
}

const filters = process.argv.slice(2).filter((a) => !a.startsWith('--')).map((a) => resolve(a));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('--'));
const files = [];
for (const dir of workspaceDirs()) {
  const dist = join(dir, 'dist');
  if (existsSync(dist)) collect(dist, files);
}
const selected = files.filter((f) => filters.length === 0 || filters.some((p) => f.startsWith(p)));
if (selected.length === 0) {
  console.error('run-tests: no compiled test files found; run `npm run build` first.');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-timeout=120000', ...passThrough, ...selected.map((f) => relative(root, f))],
  { cwd: root, stdio: 'inherit', env: { ...process.env, ATOLL_LOG_LEVEL: process.env.ATOLL_LOG_LEVEL ?? 'silent' } },
);
process.exit(result.status ?? 1);
