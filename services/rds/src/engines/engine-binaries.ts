// Finds the database servers installed on this machine: PostgreSQL (`initdb` and `postgres` under
// /usr/lib/postgresql/<major>/bin or on PATH) and MariaDB/MySQL (`mariadbd`/`mysqld` with
// `mariadb-install-db`/`mysql_install_db`). Found once per process; the results are cached.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface PostgresInstall {
  /** Major version (15). */
  major: number;
  /** Full version (15.20). */
  version: string;
  bin: string;
}

export interface MariaDbInstall {
  /** `10.11.19`. */
  version: string;
  server: string;
  installDb: string;
  client: string;
  dump: string;
}

function onPath(name: string, extra: readonly string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...extra];
  for (const dir of dirs) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function versionOf(binary: string): string | undefined {
  try {
    const text = execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    return /(\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1];
  } catch {
    return undefined;
  }
}

let postgresInstalls: PostgresInstall[] | undefined;

/** Installed PostgreSQL servers, newest major first. */
export function findPostgres(): PostgresInstall[] {
  if (postgresInstalls) return postgresInstalls;
  const bins = new Set<string>();
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    for (const major of readdirSync(root)) bins.add(join(root, major, 'bin'));
  }
  const fromPath = onPath('initdb');
  if (fromPath) bins.add(join(fromPath, '..'));
  const found = new Map<number, PostgresInstall>();
  for (const bin of bins) {
    if (!existsSync(join(bin, 'initdb')) || !existsSync(join(bin, 'postgres'))) continue;
    const version = versionOf(join(bin, 'postgres'));
    if (!version) continue;
    const major = Number(version.split('.')[0]);
    if (!found.has(major)) found.set(major, { major, version, bin });
  }
  postgresInstalls = [...found.values()].sort((a, b) => b.major - a.major);
  return postgresInstalls;
}

let mariaDbInstall: MariaDbInstall | null | undefined;

/** The installed MariaDB (or MySQL) server, or undefined. */
export function findMariaDb(): MariaDbInstall | undefined {
  if (mariaDbInstall !== undefined) return mariaDbInstall ?? undefined;
  const sbin = ['/usr/sbin', '/usr/local/sbin', '/usr/bin'];
  const server = onPath('mariadbd', sbin) ?? onPath('mysqld', sbin);
  const installDb = onPath('mariadb-install-db', sbin) ?? onPath('mysql_install_db', sbin);
  const client = onPath('mariadb', sbin) ?? onPath('mysql', sbin);
  const dump = onPath('mariadb-dump', sbin) ?? onPath('mysqldump', sbin);
  const version = server ? versionOf(server) : undefined;
  mariaDbInstall = server && installDb && client && dump && version ? { version, server, installDb, client, dump } : null;
  return mariaDbInstall ?? undefined;
}
