// Lists the workspace packages (folders with a package.json and a tsconfig.json), in a stable order.
import { existsSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const groups = ['packages', 'dataplanes', 'services', 'apps'];

export function workspaceDirs() {
  const dirs = [];
  for (const group of groups) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) {
      const dir = join(base, name);
      if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json'))) dirs.push(dir);
    }
  }
  if (existsSync(join(root, 'test', 'tsconfig.json'))) dirs.push(join(root, 'test'));
  if (existsSync(join(root, 'bench', 'tsconfig.json'))) dirs.push(join(root, 'bench'));
  return dirs;
}
