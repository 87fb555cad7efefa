// The embedded PostgreSQL engine: a PGlite database (PostgreSQL compiled to WebAssembly, in this
// process) behind the wire-protocol server, for hosts without PostgreSQL server binaries. A new
// database is a copy of a template made once per PGlite version (kept in the cache directory,
// cache-dir.ts, because making one takes PGlite many seconds). Snapshots are
// PGlite's data-directory dumps (tar.gz).
// Limits: one session shared by all connections (transactions run one at a time, see
// pglite-wire-server.ts), one database (DBName names it but every name reaches it), the master user
// is checked by the wire server while SQL runs as the `postgres` superuser, memory is PGlite's
// WebAssembly heap inside the platform process. A connection waits at most ATOLL_RDS_EMBEDDED_WAIT_MS
// (default 30 s) for another's open transaction.
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Logger } from '@atoll/core';
import type { PGlite } from '@electric-sql/pglite';
import type { EngineSettings } from '../records.js';
import { cacheDir } from './cache-dir.js';
import { PgliteWireServer } from './pglite-wire-server.js';

const PGLITE_PACKAGE_VERSION = '0.5.14';


let template: Promise<string> | undefined;

// WebAssembly's types are not in this project's libs (no DOM lib): the module is passed through opaque.
const wasm = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<object> } }).WebAssembly;
let assets: Promise<{ pgliteWasmModule: object; fsBundle: Blob } | undefined> | undefined;

/** PGlite's compiled WebAssembly module and file-system bundle, loaded once per process for every database. */
function loadAssets() {
  assets ??= (async () => {
    try {
      const dist = join(dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')), '.');
      const pgliteWasmModule = await wasm.compile(readFileSync(join(dist, 'pglite.wasm')));
      return { pgliteWasmModule, fsBundle: new Blob([readFileSync(join(dist, 'pglite.data'))]) };
    } catch {
      return undefined; // PGlite finds its own files
    }
  })();
  return assets;
}

async function openPglite(dataDir: string, loadDataDir?: Blob): Promise<PGlite> {
  const { PGlite } = await import('@electric-sql/pglite');
  return PGlite.create({ dataDir, ...((await loadAssets()) as object), ...(loadDataDir ? { loadDataDir } : {}) });
}

/** The initialized data directory every new embedded database starts as a copy of. */
function ensureTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = join(cacheDir(), 'rds', `pglite-${PGLITE_PACKAGE_VERSION}`);
    if (existsSync(join(dir, 'PG_VERSION'))) return dir;
    const building = `${dir}.building-${process.pid}`;
    rmSync(building, { recursive: true, force: true });
    mkdirSync(building, { recursive: true });
    const db = await openPglite(building);
    await db.close();
    rmSync(dir, { recursive: true, force: true });
    renameSync(building, dir);
    return dir;
  })();
  template.catch(() => (template = undefined));
  return template;
}

export class EmbeddedPostgres {
  readonly #dataDir: string;
  #settings: EngineSettings;
  readonly #logger: Logger;
  #db: PGlite | undefined;
  #server: PgliteWireServer | undefined;

  constructor(dataDir: string, settings: EngineSettings, logger: Logger) {
    this.#dataDir = dataDir;
    this.#settings = settings;
    this.#logger = logger;
  }

  /** Opens the database (a fresh copy of the template, or a snapshot's data) and listens on the port. */
  async start(options: { snapshotDir?: string; fresh?: boolean } = {}): Promise<void> {
    if (options.fresh) {
      rmSync(this.#dataDir, { recursive: true, force: true });
      if (options.snapshotDir) {
        const dump = readFileSync(join(options.snapshotDir, 'pglite.tar.gz'));
        mkdirSync(this.#dataDir, { recursive: true });
        this.#db = await openPglite(this.#dataDir, new Blob([dump]));
      } else {
        cpSync(await ensureTemplate(), this.#dataDir, { recursive: true });
      }
    }
    this.#db ??= await openPglite(this.#dataDir);
    const db = this.#db;
    if (options.fresh && !options.snapshotDir && this.#settings.dbName) {
      this.#logger.debug({ dbName: this.#settings.dbName }, 'rds: the embedded engine serves one database under every name');
    }
    const server = new PgliteWireServer({
      backend: { execProtocolRaw: (message) => db.execProtocolRaw(message) },
      serverVersion: '18.6',
      authenticate: (user, password) => user === this.#settings.masterUsername && password === this.#settings.masterPassword,
      lockTimeoutMs: Number(process.env.ATOLL_RDS_EMBEDDED_WAIT_MS ?? 30_000),
    });
    try {
      await server.listen(this.#settings.port);
    } catch (error) {
      await db.close();
      this.#db = undefined;
      throw error;
    }
    this.#server = server;
  }

  setPassword(password: string): void {
    this.#settings = { ...this.#settings, masterPassword: password };
  }

  async backup(snapshotDir: string): Promise<void> {
    const db = this.#db;
    const server = this.#server;
    if (!db || !server) throw new Error('the embedded engine is not running');
    const dump = await server.exclusive(() => db.dumpDataDir('gzip'));
    mkdirSync(snapshotDir, { recursive: true });
    writeFileSync(join(snapshotDir, 'pglite.tar.gz'), Buffer.from(await dump.arrayBuffer()));
    writeFileSync(join(snapshotDir, 'engine.json'), JSON.stringify({ engine: 'pglite', version: PGLITE_PACKAGE_VERSION }));
  }

  async stop(): Promise<void> {
    await this.#server?.close();
    this.#server = undefined;
    await this.#db?.close();
    this.#db = undefined;
  }
}
