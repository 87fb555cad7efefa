// Copies the current AWS service models from an installed botocore into the repository, so that the
// codegen (and its freshness test) runs the same on every machine, botocore installed or not.
// For each service in services.json: <botocore>/data/<folder>/<newest version>/service-2.json.gz ->
// tools/codegen/models/botocore-<version>/<svc>/service-2.json.gz, plus models/botocore-<version>/
// source.json (botocore version, folder and API version per service). Older vendored trees are removed.
// Usage: node tools/codegen/vendor-models.mjs [--botocore <site-packages/botocore dir>]
//   Without --botocore it asks `python3` where botocore is (pip's copy, 1.4x, carries current models).
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { codegenDir, loadServices, vendoredRoot } from './lib/sources.mjs';

/** The botocore package directory and version: from --botocore, else from python3. */
function locateBotocore(args) {
  const i = args.indexOf('--botocore');
  if (i >= 0) {
    const dir = args[i + 1];
    const text = readFileSync(join(dir, '__init__.py'), 'utf8');
    const version = /__version__\s*=\s*['"]([^'"]+)['"]/.exec(text)?.[1];
    if (version === undefined) throw new Error(`no __version__ in ${dir}/__init__.py`);
    return { dir, version };
  }
  const run = spawnSync('python3', ['-c', 'import botocore, os; print(os.path.dirname(botocore.__file__)); print(botocore.__version__)'], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python3 could not import botocore (pip install botocore, or pass --botocore <dir>): ${run.stderr}`);
  const [dir, version] = run.stdout.trim().split('\n');
  return { dir, version };
}

/** The newest API version folder of a botocore service that has a service-2.json.gz. */
export function newestApiVersion(dataDir, folder) {
  const dir = join(dataDir, folder);
  if (!existsSync(dir)) return undefined;
  const versions = readdirSync(dir).filter((v) => existsSync(join(dir, v, 'service-2.json.gz'))).sort();
  return versions[versions.length - 1];
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const { dir, version } = locateBotocore(process.argv.slice(2));
  const dataDir = join(dir, 'data');
  const target = join(vendoredRoot, `botocore-${version}`);
  const services = loadServices();
  const record = { botocore: version, services: {} };
  rmSync(target, { recursive: true, force: true });
  for (const [name, spec] of Object.entries(services)) {
    const apiVersion = newestApiVersion(dataDir, spec.botocore);
    if (apiVersion === undefined) throw new Error(`botocore ${version} has no model for ${name} (${spec.botocore})`);
    mkdirSync(join(target, name), { recursive: true });
    copyFileSync(join(dataDir, spec.botocore, apiVersion, 'service-2.json.gz'), join(target, name, 'service-2.json.gz'));
    record.services[name] = { folder: spec.botocore, apiVersion };
  }
  writeFileSync(join(target, 'source.json'), `${JSON.stringify(record, null, 1)}\n`);
  // One vendored tree at a time: the codegen reads the newest, and git keeps the history.
  for (const entry of readdirSync(vendoredRoot)) {
    if (entry.startsWith('botocore-') && entry !== `botocore-${version}`) rmSync(join(vendoredRoot, entry), { recursive: true, force: true });
  }
  console.log(`vendor-models: botocore ${version}: ${Object.keys(record.services).length} models -> ${target.slice(codegenDir.length + 1)}`);
}
