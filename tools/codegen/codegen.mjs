// `npm run codegen`: generates packages/aws-models/src/generated/<svc>/{model,types,errors,index}.ts
// for every service in tools/codegen/services.json, plus generated/catalog.ts and the package's
// subpath exports. Inputs: the service models (botocore's, vendored in tools/codegen/models by
// vendor-models.mjs; see lib/sources.mjs for the fallbacks), the installed v3 clients' error tables
// and enums, and tools/codegen/patches.
// Usage: node tools/codegen/codegen.mjs [--out <dir>] [--no-package-json] [service ...]
//   --out writes the generated tree elsewhere (the freshness test compares it with the committed one).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildModel } from './lib/build-model.mjs';
import { emitCatalog, emitErrors, emitIndex, emitModel, emitTypes, header } from './lib/emit.mjs';
import { findV3Client, loadPatch, loadServiceModel, loadServices, modelsPackageDir } from './lib/sources.mjs';
import { parseV3Enums, parseV3Errors, parseV3Schemas } from './lib/v3-client.mjs';

const args = process.argv.slice(2);
let outDir = join(modelsPackageDir, 'src', 'generated');
let writePackageJson = true;
const wanted = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--out') {
    outDir = resolve(args[++i]);
    writePackageJson = false;
  } else if (args[i] === '--no-package-json') writePackageJson = false;
  else wanted.push(args[i]);
}

const services = loadServices();
const names = Object.keys(services).filter((n) => wanted.length === 0 || wanted.includes(n));
const catalog = [];
const sourceNames = new Set();
if (wanted.length === 0) rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

for (const name of names) {
  const spec = services[name];
  const source = loadServiceModel(name, spec);
  const patch = loadPatch(name);
  const client = findV3Client(spec.client);
  const v3 = client === undefined ? undefined : { errors: parseV3Errors(client.source), enums: parseV3Enums(client.source), schemas: parseV3Schemas(client.source) };
  const model = buildModel(name, source, v3, patch);

  const sources = [source.source];
  sourceNames.add(source.source.split(' ')[0]);
  if (client !== undefined) sources.push(`${spec.client}@${client.version}`);
  if (patch !== undefined) sources.push(`tools/codegen/patches/${name}.json`);
  const src = sources.join(', ');

  const dir = join(outDir, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const types = emitTypes(model, src);
  const errors = emitErrors(model, src);
  writeFileSync(join(dir, 'model.ts'), emitModel(model, src));
  writeFileSync(join(dir, 'types.ts'), types.text);
  writeFileSync(join(dir, 'errors.ts'), errors.text);
  writeFileSync(join(dir, 'index.ts'), emitIndex(types.names, errors.names, src));

  const md = model.metadata;
  const entry = { name, serviceId: md.serviceId, apiVersion: md.apiVersion, endpointPrefix: md.endpointPrefix, signingName: md.signingName, protocol: md.protocol, protocols: md.protocols };
  if (md.targetPrefix !== undefined) entry.targetPrefix = md.targetPrefix;
  if (md.jsonVersion !== undefined) entry.jsonVersion = md.jsonVersion;
  if (md.awsQueryCompatible) entry.awsQueryCompatible = true;
  if (md.globalEndpoint !== undefined) entry.globalEndpoint = md.globalEndpoint;
  entry.operationCount = Object.keys(model.operations).length;
  catalog.push(entry);
  console.log(`codegen: ${name}: ${entry.operationCount} operations, ${Object.keys(model.shapes).length} shapes, ${errors.names.length} errors`);
}

if (wanted.length === 0) {
  writeFileSync(join(outDir, 'catalog.ts'), emitCatalog(catalog, `tools/codegen/services.json and the service models (${[...sourceNames].sort().join(', ')})`));
  if (writePackageJson) {
    const pkgFile = join(modelsPackageDir, 'package.json');
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
    const exports = { '.': { types: './dist/src/index.d.ts', default: './dist/src/index.js' } };
    for (const name of names) exports[`./${name}`] = { types: `./dist/src/generated/${name}/index.d.ts`, default: `./dist/src/generated/${name}/index.js` };
    pkg.exports = exports;
    writeFileSync(pkgFile, `${JSON.stringify(pkg, null, 2)}\n`);
  }
}
void header;
