// Finds the engine servers on PATH: `redis-server` for engine redis, `valkey-server` for valkey, and
// the version each one reports, so that EngineVersion can be checked against what is installed.
// Known limitations: one installed version per engine (the first on PATH); engine redis does not
// fall back to valkey-server (a different product line, even if it speaks the same protocol).
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { EngineName } from './cache-records.js';

export interface EngineBinary {
  engine: EngineName;
  path: string;
  /** `7.0.15` */
  version: string;
  major: number;
}

const EXECUTABLES: Record<EngineName, string> = { redis: 'redis-server', valkey: 'valkey-server' };
/** The Debian package that provides each server. */
export const ENGINE_PACKAGES: Record<EngineName, string> = { redis: 'redis-server', valkey: 'valkey-server' };

const cache = new Map<string, EngineBinary | null>();

function onPath(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The installed server of an engine, or undefined; looked up once per PATH. */
export function findEngineBinary(engine: EngineName, path = process.env.PATH ?? ''): EngineBinary | undefined {
  const key = `${engine}\0${path}`;
  if (cache.has(key)) return cache.get(key) ?? undefined;
  let found: EngineBinary | undefined;
  const file = onPath(EXECUTABLES[engine], path);
  if (file) {
    try {
      const text = execFileSync(file, ['--version'], { encoding: 'utf8', timeout: 5000 });
      const version = /v=(\d+\.\d+\.\d+)/.exec(text)?.[1];
      if (version) found = { engine, path: file, version, major: Number(version.split('.')[0]) };
    } catch {
      // not runnable
    }
  }
  cache.set(key, found ?? null);
  return found;
}

/** The parameter group family of an engine major version (`redis7`, `valkey8`). */
export function parameterGroupFamily(engine: EngineName, major: number): string {
  if (engine === 'redis' && major < 6) return `redis${major}.0`;
  if (engine === 'redis' && major === 6) return 'redis6.x';
  return `${engine}${major}`;
}

/** The engine version AWS reports for an installed server: `7.0` for 7.0.15 (AWS lists major.minor from 6 on). */
export function reportedVersion(binary: EngineBinary): string {
  const [major, minor] = binary.version.split('.');
  return Number(major) >= 6 ? `${major}.${minor}` : binary.version;
}
