// `npm run bench` lists the benchmarks with their first comment line; `npm run bench -- <script>
// [args]` runs one of them, named by its path under bench/ (`s3/s3-bench`) or by its area alone when
// the area has one entry script (`s3` runs s3/s3-bench.mjs). Each bench prints its own figures.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './lib/report.mjs';

const benchDir = join(repoRoot, 'bench');
/** Scripts that other benches import or spawn, not benches themselves. */
const HELPERS = new Set(['lib', 'alb/common.mjs', 'alb/atoll-proxy.mjs', 'nlb/tcp-proxy-child.mjs', 'sqs/moto-peer.mjs', 'run.mjs']);

function benches() {
  const out = [];
  for (const area of readdirSync(benchDir, { withFileTypes: true })) {
    if (!area.isDirectory() || HELPERS.has(area.name)) continue;
    for (const file of readdirSync(join(benchDir, area.name))) {
      const name = `${area.name}/${file}`;
      if (file.endsWith('.mjs') && !HELPERS.has(name)) out.push(name);
    }
  }
  return out.sort();
}

const [wanted, ...args] = process.argv.slice(2);
const all = benches();
if (!wanted) {
  for (const name of all) {
    const first = readFileSync(join(benchDir, name), 'utf8').split('\n').find((line) => line.startsWith('//')) ?? '';
    console.log(`${name.replace(/\.mjs$/, '').padEnd(26)} ${first.replace(/^\/\/\s*/, '')}`);
  }
  console.log('\nnpm run bench -- <name> [args]   runs one (a name above, or an area with a single script)');
  process.exit(0);
}
const inArea = all.filter((name) => name.startsWith(`${wanted}/`));
const script = all.find((name) => name === wanted || name === `${wanted}.mjs`) ?? (inArea.length === 1 ? inArea[0] : undefined);
if (!script || !existsSync(join(benchDir, script))) {
  console.error(`no bench named ${wanted}${inArea.length > 1 ? `; ${wanted} has ${inArea.map((n) => n.replace(/\.mjs$/, '')).join(', ')}` : ''}`);
  process.exit(2);
}
const run = spawnSync(process.execPath, [join(benchDir, script), ...args], { stdio: 'inherit' });
process.exit(run.status ?? 1);
