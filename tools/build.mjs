// Compiles every workspace with TypeScript's incremental build mode (tsc -b), so that `npm start`
// runs compiled JavaScript. Extra arguments name a subset of projects (folders) to build.
import { spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { createRequire } from 'node:module';
import { root, workspaceDirs } from './workspaces.mjs';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const projects = args.length > 0 ? args : workspaceDirs().map((d) => relative(root, d));
const require = createRequire(import.meta.url);
let tsc;
try {
  tsc = join(require.resolve('typescript/package.json'), '..', 'bin', 'tsc');
} catch {
  console.error('atoll build: typescript is not installed; run `npm install` first.');
  process.exit(1);
}
const result = spawnSync(process.execPath, [tsc, '-b', ...projects], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
// The web console's browser bundle (apps/console/dist/assets), served by the server at /_atoll/console/.
if (projects.some((p) => ['apps/console', 'apps/server'].includes(p.replace(/\/$/, '')))) {
  const { bundleConsole } = await import('../apps/console/scripts/bundle.mjs');
  await bundleConsole();
}
if (projects.some((p) => p.replace(/\/$/, '') === 'apps/server')) {
  const { bundleServer } = await import('./bundle-server.mjs');
  await bundleServer();
}
