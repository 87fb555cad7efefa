// Prints the README's service table: for every registered service, the operations Atoll implements
// out of the operations in its AWS model. `--write` replaces the table in README.md.
//   node tools/service-status.mjs [--write]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './workspaces.mjs';

const { startAtoll } = await import(join(root, 'apps/server/dist/src/index.js'));
const { loadConfig } = await import(join(root, 'packages/core/dist/src/index.js'));
const dataDir = mkdtempSync(join(tmpdir(), 'atoll-status-'));
const atoll = await startAtoll(loadConfig([], {}, { port: 0, dataDir, logLevel: 'silent' }));
try {
  const rows = await atoll.serviceStatus();
  const lines = ['| Service | Model | Operations implemented |', '| --- | --- | --- |'];
  for (const r of rows) lines.push(`| ${r.serviceId} | \`${r.name}\` | ${r.implemented} / ${r.total} |`);
  const table = lines.join('\n');
  if (process.argv.includes('--write')) {
    const readme = join(root, 'README.md');
    const text = readFileSync(readme, 'utf8');
    const start = '<!-- service-status:start -->';
    const end = '<!-- service-status:end -->';
    const next = text.replace(new RegExp(`${start}[\\s\\S]*${end}`), `${start}\n${table}\n${end}`);
    writeFileSync(readme, next);
  } else {
    console.log(table);
  }
} finally {
  await atoll.close();
  rmSync(dataDir, { recursive: true, force: true });
}
