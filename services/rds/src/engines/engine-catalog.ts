// Which implementation serves an engine name and version on this machine: the installed PostgreSQL
// of the asked major version (or the newest when no version is asked), MariaDB for the MySQL family,
// and the embedded PGlite engine for PostgreSQL where no server is installed (or when asked for by
// `ATOLL_RDS_POSTGRES=embedded`). Refusals carry the message RDS gives (InvalidParameterCombination).
import { join } from 'node:path';
import { cacheDir } from './cache-dir.js';
import type { EngineFamily } from '../records.js';
import { findMariaDb, findPostgres } from './engine-binaries.js';
import type { ProcessEngineDriver } from './engine-driver.js';
import { MariaDbDriver } from './mariadb-driver.js';
import { PostgresDriver } from './postgres-driver.js';

export const POSTGRES_ENGINES = new Set(['postgres', 'aurora-postgresql']);
export const MYSQL_ENGINES = new Set(['mysql', 'mariadb', 'aurora-mysql']);

/** PGlite's PostgreSQL version. */
export const PGLITE_VERSION = '18.6';

export interface EngineChoice {
  family: EngineFamily;
  runtime: 'process' | 'pglite';
  /** The version the API reports. */
  engineVersion: string;
  /** Set for a refusal: the message of InvalidParameterCombination / InvalidParameterValue. */
  refusal?: { code: 'InvalidParameterCombination' | 'InvalidParameterValue'; message: string };
}

export class EngineCatalog {
  readonly #templates: string;
  readonly #postgresMode: 'auto' | 'embedded' | 'process';
  readonly #postgresDrivers = new Map<number, PostgresDriver>();
  #mariadb: MariaDbDriver | undefined;

  constructor(postgresMode: 'auto' | 'embedded' | 'process' = 'auto') {
    this.#templates = join(cacheDir(), 'rds', 'templates');
    this.#postgresMode = postgresMode;
  }

  /** Decides how `engine` at `version` (optional) runs here. */
  choose(engine: string, version: string | undefined): EngineChoice {
    if (POSTGRES_ENGINES.has(engine)) {
      const major = version ? Number(version.split('.')[0]) : undefined;
      const installs = this.#postgresMode === 'embedded' ? [] : findPostgres();
      if (installs.length > 0) {
        const install = major === undefined ? installs[0]! : installs.find((i) => i.major === major);
        if (install) {
          return { family: 'postgres', runtime: 'process', engineVersion: version && version.includes('.') ? version : install.version };
        }
      }
      if (this.#postgresMode !== 'process' && (major === undefined || major === Number(PGLITE_VERSION.split('.')[0]))) {
        return { family: 'postgres', runtime: 'pglite', engineVersion: version && version.includes('.') ? version : PGLITE_VERSION };
      }
      const served = [...installs.map((i) => String(i.major)), ...(this.#postgresMode !== 'process' ? [PGLITE_VERSION.split('.')[0]!] : [])];
      return {
        family: 'postgres',
        runtime: 'process',
        engineVersion: version ?? '',
        refusal: {
          code: 'InvalidParameterCombination',
          message: `Cannot find version ${version} for ${engine} (major versions served on this host: ${[...new Set(served)].join(', ') || 'none'})`,
        },
      };
    }
    if (MYSQL_ENGINES.has(engine)) {
      const install = findMariaDb();
      if (!install) {
        return {
          family: 'mysql',
          runtime: 'process',
          engineVersion: version ?? '',
          refusal: {
            code: 'InvalidParameterCombination',
            message: `Engine ${engine} needs a MariaDB or MySQL server on this host: install the mariadb-server package (apt-get install mariadb-server)`,
          },
        };
      }
      if (engine === 'mariadb' && version) {
        const [major, minor] = install.version.split('.');
        if (!version.startsWith(`${major}.${minor}`)) {
          return {
            family: 'mysql',
            runtime: 'process',
            engineVersion: version,
            refusal: { code: 'InvalidParameterCombination', message: `Cannot find version ${version} for mariadb (installed: ${install.version})` },
          };
        }
      }
      // mysql and aurora-mysql run on MariaDB, which speaks MySQL's protocol; the asked version is reported.
      const fallback = engine === 'mariadb' ? install.version : engine === 'aurora-mysql' ? '8.0.mysql_aurora.3.08.0' : '8.0.40';
      return { family: 'mysql', runtime: 'process', engineVersion: version ?? fallback };
    }
    return { family: 'postgres', runtime: 'process', engineVersion: '', refusal: { code: 'InvalidParameterValue', message: `Invalid DB engine: ${engine}` } };
  }

  /** The driver of a process engine (the version is the one `choose` accepted). */
  driver(family: EngineFamily, engineVersion: string): ProcessEngineDriver {
    if (family === 'mysql') {
      const install = findMariaDb();
      if (!install) throw new Error('no MariaDB server installed');
      this.#mariadb ??= new MariaDbDriver(install, this.#templates);
      return this.#mariadb;
    }
    const installs = findPostgres();
    const major = Number(engineVersion.split('.')[0]);
    const install = installs.find((i) => i.major === major) ?? installs[0];
    if (!install) throw new Error('no PostgreSQL server installed');
    let driver = this.#postgresDrivers.get(install.major);
    if (!driver) {
      driver = new PostgresDriver(install, this.#templates);
      this.#postgresDrivers.set(install.major, driver);
    }
    return driver;
  }
}
