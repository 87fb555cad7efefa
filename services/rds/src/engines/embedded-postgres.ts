// The embedded PostgreSQL engine: a PGlite database (PostgreSQL compiled to WebAssembly, in this
// process) behind the wire-protocol server, for hosts without PostgreSQL server binaries. A new
// database is a copy of a template made once per PGlite version (kept in the cache directory,
// cache-dir.ts, because making one takes PGlite many seconds); a spare copy is made in the background
// for the next new database (`<engines>/.spare-pglite`, about 40 MB of disk). Snapshots are
// PGlite's data-directory dumps (tar.gz).
// Limits: one session shared by all connections (transactions run one at a time, see
// pglite-wire-server.ts), one database (DBName names it but every name reaches it), the master user
// is checked by the wire server while SQL runs as the `postgres` superuser, memory is PGlite's
// WebAssembly heap inside the platform process. A connection waits at most ATOLL_RDS_EMBEDDED_WAIT_MS
// (default 30 s) for another's open transaction.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cp, readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
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
      const [wasmBytes, bundle] = await Promise.all([readFile(join(dist, 'pglite.wasm')), readFile(join(dist, 'pglite.data'))]);
      return { pgliteWasmModule: await wasm.compile(wasmBytes), fsBundle: new Blob([bundle]) };
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

/**
 * Copies a directory tree with one `cp -a --sparse=always` process (GNU cp: the WAL segment is mostly
 * zeros), else with fs.promises.cp; either way off the event loop.
 */
function copyTree(source: string, target: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    execFile('cp', ['-a', '--sparse=always', source, target], (error) => (error ? reject(error) : resolve()));
  }).catch(async () => {
    rmSync(target, { recursive: true, force: true });
    await cp(source, target, { recursive: true });
  });
}

const refilling = new Set<string>();

/**
 * A new database's data directory: the spare copy of the template made in the background after the
 * previous one was taken (a rename: same file system), else a copy made now. Whoever renames the
 * spare first gets it; the others copy.
 */
async function freshDataDir(target: string, spareDir: string | undefined): Promise<void> {
  const source = await ensureTemplate();
  let taken = false;
  if (spareDir && existsSync(join(spareDir, 'PG_VERSION'))) {
    try {
      mkdirSync(dirname(target), { recursive: true });
      renameSync(spareDir, target);
      taken = true;
    } catch {
      taken = false;
    }
  }
  if (!taken) await copyTree(source, target);
  if (spareDir && !refilling.has(spareDir)) {
    refilling.add(spareDir);
    const building = `${spareDir}.building`;
    rmSync(building, { recursive: true, force: true });
    void copyTree(source, building)
      .then(() => {
        if (!existsSync(spareDir)) renameSync(building, spareDir);
        else rmSync(building, { recursive: true, force: true });
      })
      .catch(() => rmSync(building, { recursive: true, force: true }))
      .finally(() => refilling.delete(spareDir));
  }
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

  readonly #spareDir: string | undefined;

  /** `spareDir`: where a spare copy of the template waits for the next new database (same file system as `dataDir`). */
  constructor(dataDir: string, settings: EngineSettings, logger: Logger, spareDir?: string) {
    this.#dataDir = dataDir;
    this.#spareDir = spareDir;
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
        // The copy (about 40 MB in 1,000 files) runs off the event loop and overlaps loading PGlite's
        // module and files (bench/rds/pglite-start.mjs).
        await Promise.all([freshDataDir(this.#dataDir, this.#spareDir), loadAssets(), import('@electric-sql/pglite')]);
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
