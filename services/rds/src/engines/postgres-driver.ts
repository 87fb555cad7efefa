// Real PostgreSQL servers: each instance is its own cluster (initdb'd once per major version into a
// template that is copied, so a new instance starts in about a second), listening on 127.0.0.1 and on
// a Unix socket in its own run directory. The bootstrap superuser `rdsadmin` is reachable only
// through that socket (trust, the directory is private); the master user logs in over TCP with
// SCRAM. Snapshots are `pg_basebackup` copies, restored by copying them back.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EngineSettings } from '../records.js';
import { engineEnvironment, run, sqlLiteral, type EngineLayout, type ProcessEngineDriver } from './engine-driver.js';
import type { PostgresInstall } from './engine-binaries.js';
import { engineUser, giveTo, makeTraversable, type EngineUser } from './engine-user.js';

const ADMIN = 'rdsadmin';

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export class PostgresDriver implements ProcessEngineDriver {
  readonly kind = 'process';
  readonly install: PostgresInstall;
  readonly #templates: string;
  readonly #user: EngineUser = engineUser('postgres');
  #template: Promise<string> | undefined;

  constructor(install: PostgresInstall, templatesDir: string) {
    this.install = install;
    this.#templates = join(templatesDir, 'postgres');
  }

  #bin(name: string): string {
    return join(this.install.bin, name);
  }

  /** Makes `dir` and gives it to the engine user. */
  #ownDir(dir: string): void {
    mkdirSync(dir, { recursive: true });
    makeTraversable(dirname(dir), this.#user);
    giveTo(dir, this.#user);
  }

  /** The initdb'd template of this major version, made on first use. */
  #ensureTemplate(): Promise<string> {
    this.#template ??= (async () => {
      const dir = join(this.#templates, `postgres-${this.install.major}`);
      if (existsSync(join(dir, 'PG_VERSION'))) return dir;
      const building = `${dir}.building-${process.pid}`;
      rmSync(building, { recursive: true, force: true });
      this.#ownDir(this.#templates);
      this.#ownDir(building);
      await run([
        ...this.#user.wrap,
        this.#bin('initdb'),
        '-D',
        building,
        '-U',
        ADMIN,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '-E',
        'UTF8',
        '--locale=C',
        '--no-sync',
      ]);
      // Another process may have made it meanwhile: `mv -T` then fails and its copy is used.
      await run([...this.#user.wrap, 'mv', '-T', building, dir]).catch((error: unknown) => {
        if (!existsSync(join(dir, 'PG_VERSION'))) throw error;
        rmSync(building, { recursive: true, force: true });
      });
      return dir;
    })();
    this.#template.catch(() => (this.#template = undefined));
    return this.#template;
  }

  async provision(layout: EngineLayout, _settings: EngineSettings): Promise<void> {
    const template = await this.#ensureTemplate();
    this.#prepare(layout);
    await run([...this.#user.wrap, 'cp', '-a', template, layout.data]);
  }

  async restore(layout: EngineLayout, snapshotDir: string): Promise<void> {
    this.#prepare(layout);
    await run([...this.#user.wrap, 'cp', '-a', join(snapshotDir, 'data'), layout.data]);
  }

  prepareRun(layout: EngineLayout): void {
    this.#ownDir(layout.run);
  }

  #prepare(layout: EngineLayout): void {
    this.#ownDir(layout.root);
    this.#ownDir(layout.run);
    rmSync(layout.data, { recursive: true, force: true });
  }

  processSpec(layout: EngineLayout, settings: EngineSettings) {
    const options: Record<string, string> = {
      ...settings.parameters,
      port: String(settings.port),
      listen_addresses: '127.0.0.1',
      unix_socket_directories: layout.run,
      logging_collector: 'off',
    };
    const argv = [...this.#user.wrap, this.#bin('postgres'), '-D', layout.data];
    for (const [name, value] of Object.entries(options)) argv.push('-c', `${name}=${value}`);
    return { argv, env: engineEnvironment(), stopTimeoutMs: 10_000, ready: /database system is ready to accept connections/ };
  }

  /** Runs SQL as `rdsadmin` through the socket. */
  async admin(layout: EngineLayout, settings: EngineSettings, sql: string, database = 'postgres'): Promise<string> {
    return run(
      [this.#bin('psql'), '-h', layout.run, '-p', String(settings.port), '-U', ADMIN, '-d', database, '-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-f', '-'],
      { input: sql, env: { ...engineEnvironment(), PGCONNECT_TIMEOUT: '10' } },
    );
  }

  async configure(layout: EngineLayout, settings: EngineSettings): Promise<void> {
    const user = quoteIdent(settings.masterUsername);
    let sql = `CREATE ROLE ${user} LOGIN SUPERUSER CREATEDB CREATEROLE PASSWORD ${sqlLiteral(settings.masterPassword)};\n`;
    if (settings.dbName && settings.dbName !== 'postgres') sql += `CREATE DATABASE ${quoteIdent(settings.dbName)} OWNER ${user};\n`;
    await this.admin(layout, settings, sql);
  }

  async setMasterPassword(layout: EngineLayout, settings: EngineSettings, password: string): Promise<void> {
    await this.admin(layout, settings, `ALTER ROLE ${quoteIdent(settings.masterUsername)} PASSWORD ${sqlLiteral(password)};\n`);
  }

  async backup(layout: EngineLayout, settings: EngineSettings, snapshotDir: string): Promise<void> {
    this.#ownDir(snapshotDir);
    await run([
      ...this.#user.wrap,
      this.#bin('pg_basebackup'),
      '-h',
      layout.run,
      '-p',
      String(settings.port),
      '-U',
      ADMIN,
      '-D',
      join(snapshotDir, 'data'),
      '-X',
      'stream',
      '-c',
      'fast',
      '--no-sync',
    ]);
    writeFileSync(join(snapshotDir, 'engine.json'), JSON.stringify({ engine: 'postgres', version: this.install.version }));
  }
}
