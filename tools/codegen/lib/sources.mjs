// Locates and loads the codegen inputs: the services list, the service models (in order: the
// botocore models vendored under tools/codegen/models, an installed botocore, the aws-sdk v2
// models), the installed v3 clients and the patch files.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const codegenDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const root = join(codegenDir, '..', '..');
export const modelsPackageDir = join(root, 'packages', 'aws-models');
export const vendoredRoot = join(codegenDir, 'models');

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const readGzJson = (file) => JSON.parse(gunzipSync(readFileSync(file)).toString('utf8'));

/** The services list: Atoll name -> { model, botocore, client }. */
export function loadServices() {
  return readJson(join(codegenDir, 'services.json')).services;
}

const compareVersions = (a, b) => {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
};

/** The newest vendored botocore tree (`models/botocore-<version>`), or undefined. */
function vendoredTree() {
  if (!existsSync(vendoredRoot)) return undefined;
  const versions = readdirSync(vendoredRoot).filter((d) => d.startsWith('botocore-')).map((d) => d.slice('botocore-'.length)).sort(compareVersions);
  if (versions.length === 0) return undefined;
  const version = versions[versions.length - 1];
  const dir = join(vendoredRoot, `botocore-${version}`);
  return { version, dir, record: readJson(join(dir, 'source.json')) };
}

let installed;
/** The installed botocore's data directory and version (asked of python3 once), or undefined. */
function installedBotocore() {
  if (installed === undefined) {
    const run = spawnSync('python3', ['-c', 'import botocore, os; print(os.path.dirname(botocore.__file__)); print(botocore.__version__)'], { encoding: 'utf8' });
    if (run.status !== 0 || run.stdout === undefined) installed = null;
    else {
      const [dir, version] = run.stdout.trim().split('\n');
      installed = { dataDir: join(dir, 'data'), version };
    }
  }
  return installed ?? undefined;
}

/**
 * The service model the codegen builds from, newest source first:
 * 1. tools/codegen/models/botocore-<v>/<svc>/service-2.json.gz (committed by vendor-models.mjs),
 * 2. an installed botocore's data/<folder>/<newest version>/service-2.json.gz,
 * 3. node_modules/aws-sdk/apis/<model>.min.json (aws-sdk v2, frozen since its end of support).
 * Returns { kind: 'botocore' | 'aws-sdk-v2', model, source } where source names the file and version.
 */
export function loadServiceModel(name, spec) {
  const tree = vendoredTree();
  const vendored = tree?.record.services[name];
  if (vendored !== undefined) {
    const file = join(tree.dir, name, 'service-2.json.gz');
    return { kind: 'botocore', model: readGzJson(file), source: `botocore@${tree.version} ${vendored.folder}/${vendored.apiVersion} (vendored in tools/codegen/models)` };
  }
  const bc = installedBotocore();
  if (bc !== undefined) {
    const dir = join(bc.dataDir, spec.botocore);
    const versions = existsSync(dir) ? readdirSync(dir).filter((v) => existsSync(join(dir, v, 'service-2.json.gz'))).sort() : [];
    if (versions.length > 0) {
      const apiVersion = versions[versions.length - 1];
      return { kind: 'botocore', model: readGzJson(join(dir, apiVersion, 'service-2.json.gz')), source: `botocore@${bc.version} ${spec.botocore}/${apiVersion} (installed)` };
    }
  }
  const file = join(root, 'node_modules', 'aws-sdk', 'apis', `${spec.model}.min.json`);
  return { kind: 'aws-sdk-v2', model: readJson(file), source: `aws-sdk@${aws2Version()} apis/${spec.model}.min.json` };
}

export function aws2Version() {
  return readJson(join(root, 'node_modules', 'aws-sdk', 'package.json')).version;
}

export function loadPatch(name) {
  const file = join(codegenDir, 'patches', `${name}.json`);
  return existsSync(file) ? readJson(file) : undefined;
}

/** The installed v3 client's CommonJS bundle and version, or undefined when not installed. */
export function findV3Client(pkg) {
  const dir = join(root, 'node_modules', ...pkg.split('/'));
  const file = join(dir, 'dist-cjs', 'index.js');
  if (!existsSync(file)) return undefined;
  return { file, version: readJson(join(dir, 'package.json')).version, source: readFileSync(file, 'utf8') };
}
