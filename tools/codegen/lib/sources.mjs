// Locates and loads the codegen inputs: the services list, the aws-sdk v2 models, botocore's models
// (only extract-traits reads those), the committed traits and patch files.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const codegenDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const root = join(codegenDir, '..', '..');
export const modelsPackageDir = join(root, 'packages', 'aws-models');

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/** The services list: Atoll name -> { model, botocore, client }. */
export function loadServices() {
  return readJson(join(codegenDir, 'services.json')).services;
}

export function v2ModelPath(modelId) {
  return join(root, 'node_modules', 'aws-sdk', 'apis', `${modelId}.min.json`);
}

export function loadV2Model(modelId) {
  return readJson(v2ModelPath(modelId));
}

export function aws2Version() {
  return readJson(join(root, 'node_modules', 'aws-sdk', 'package.json')).version;
}

const BOTOCORE_ROOTS = [
  // awscli v2 bundles a newer botocore data tree than Debian's python3-botocore; newest first.
  '/usr/lib/python3/dist-packages/awscli/botocore/data',
  '/usr/lib/python3/dist-packages/botocore/data',
];

/** The newest botocore service-2.json for the folder and API version, or undefined. */
export function findBotocoreModel(folder, apiVersion) {
  for (const base of BOTOCORE_ROOTS) {
    const file = join(base, folder, apiVersion, 'service-2.json');
    if (existsSync(file)) return { file, model: readJson(file), source: base.includes('awscli') ? 'awscli-v2' : 'python3-botocore' };
  }
  for (const base of BOTOCORE_ROOTS) {
    const dir = join(base, folder);
    if (!existsSync(dir)) continue;
    const versions = readdirSync(dir).sort();
    const file = join(dir, versions[versions.length - 1], 'service-2.json');
    if (existsSync(file)) return { file, model: readJson(file), source: base.includes('awscli') ? 'awscli-v2' : 'python3-botocore' };
  }
  return undefined;
}

export function loadTraits(name) {
  const file = join(codegenDir, 'traits', `${name}.json`);
  return existsSync(file) ? readJson(file) : undefined;
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
