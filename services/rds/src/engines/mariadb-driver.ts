// Real MariaDB (or MySQL) servers for the mysql, mariadb and aurora-mysql engines: a data directory
// copied from a template made once by `mariadb-install-db`, a server on 127.0.0.1 and on a Unix
// socket in the instance's private run directory. `root@localhost` authenticates by the socket's
// peer (unix_socket) and never over TCP; the master user is `<name>@'%'` with every privilege.
// Snapshots are `mariadb-dump --all-databases` files, replayed into a new server to restore.
import { createReadStream, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import type { EngineSettings } from '../records.js';
import { engineEnvironment, run, sqlLiteral, type EngineLayout, type ProcessEngineDriver } from './engine-driver.js';
import type { MariaDbInstall } from './engine-binaries.js';
import { engineUser, giveTo, makeTraversable, type EngineUser } from './engine-user.js';

function quoteIdent(name: string): string {
  return '`' + name.replaceAll('`', '``') + '`';
}

/** A MySQL string literal: quotes doubled and backslashes escaped (NO_BACKSLASH_ESCAPES is off). */
function mysqlLiteral(value: string): string {
  return sqlLiteral(value.replaceAll('\\', '\\\\'));
}

export class MariaDbDriver implements ProcessEngineDriver {
  readonly kind = 'process';
  readonly install: MariaDbInstall;
  readonly #templates: string;
  readonly #user: EngineUser = engineUser('mysql');
  #template: Promise<string> | undefined;

  constructor(install: MariaDbInstall, templatesDir: string) {
    this.install = install;
    this.#templates = join(templatesDir, 'mariadb');
  }

  #ownDir(dir: string): void {
    mkdirSync(dir, { recursive: true });
    makeTraversable(dirname(dir), this.#user);
    giveTo(dir, this.#user);
  }

  #ensureTemplate(): Promise<string> {
    this.#template ??= (async () => {
      const dir = join(this.#templates, `mariadb-${this.install.version}`);
      if (existsSync(join(dir, 'mysql'))) return dir;
      const building = `${dir}.building-${process.pid}`;
      rmSync(building, { recursive: true, force: true });
      this.#ownDir(this.#templates);
      this.#ownDir(building);
      await run([
        ...this.#user.wrap,
        this.install.installDb,
        '--no-defaults',
        `--datadir=${building}`,
        '--auth-root-authentication-method=socket',
        `--auth-root-socket-user=${userInfo().username}`,
        '--skip-test-db',
        '--skip-name-resolve',
      ]);
      // Another process may have made it meanwhile: `mv -T` then fails and its copy is used.
      await run([...this.#user.wrap, 'mv', '-T', building, dir]).catch((error: unknown) => {
        if (!existsSync(join(dir, 'mysql'))) throw error;
        rmSync(building, { recursive: true, force: true });
      });
      return dir;
    })();
    this.#template.catch(() => (this.#template = undefined));
    return this.#template;
  }

  prepareRun(layout: EngineLayout): void {
    this.#ownDir(layout.run);
  }

  #prepare(layout: EngineLayout): void {
    this.#ownDir(layout.root);
    this.#ownDir(layout.run);
    rmSync(layout.data, { recursive: true, force: true });
  }

  async provision(layout: EngineLayout): Promise<void> {
    const template = await this.#ensureTemplate();
    this.#prepare(layout);
    await run([...this.#user.wrap, 'cp', '-a', template, layout.data]);
  }

  async restore(layout: EngineLayout): Promise<void> {
    // A dump is replayed once the new server runs (afterRestore).
    await this.provision(layout);
  }

  processSpec(layout: EngineLayout, settings: EngineSettings) {
    const argv = [
      ...this.#user.wrap,
      this.install.server,
      '--no-defaults',
      `--datadir=${layout.data}`,
      `--port=${settings.port}`,
      '--bind-address=127.0.0.1',
      `--socket=${join(layout.run, 'mysqld.sock')}`,
      `--pid-file=${join(layout.run, 'mysqld.pid')}`,
      '--skip-name-resolve',
      '--innodb-buffer-pool-size=16M',
      '--skip-log-bin',
    ];
    for (const [name, value] of Object.entries(settings.parameters)) argv.push(`--${name.replaceAll('_', '-')}=${value}`);
    return { argv, env: engineEnvironment(), stopTimeoutMs: 15_000, ready: /ready for connections/ };
  }

  #clientArgv(layout: EngineLayout): string[] {
    return [this.install.client, '--no-defaults', `--socket=${join(layout.run, 'mysqld.sock')}`, '-uroot', '--batch'];
  }

  admin(layout: EngineLayout, sql: string): Promise<string> {
    return run(this.#clientArgv(layout), { input: sql, env: engineEnvironment() });
  }

  async configure(layout: EngineLayout, settings: EngineSettings): Promise<void> {
    const user = `${mysqlLiteral(settings.masterUsername)}@'%'`;
    let sql = `CREATE USER ${user} IDENTIFIED BY ${mysqlLiteral(settings.masterPassword)};\nGRANT ALL PRIVILEGES ON *.* TO ${user} WITH GRANT OPTION;\n`;
    if (settings.dbName) sql += `CREATE DATABASE ${quoteIdent(settings.dbName)};\n`;
    await this.admin(layout, sql);
  }

  async setMasterPassword(layout: EngineLayout, settings: EngineSettings, password: string): Promise<void> {
    await this.admin(layout, `ALTER USER ${mysqlLiteral(settings.masterUsername)}@'%' IDENTIFIED BY ${mysqlLiteral(password)};\n`);
  }

  async backup(layout: EngineLayout, _settings: EngineSettings, snapshotDir: string): Promise<void> {
    mkdirSync(snapshotDir, { recursive: true });
    const dump = await run(
      [this.install.dump, '--no-defaults', `--socket=${join(layout.run, 'mysqld.sock')}`, '-uroot', '--all-databases', '--single-transaction', '--routines', '--events', '--triggers'],
      { env: engineEnvironment(), timeoutMs: 600_000 },
    );
    writeFileSync(join(snapshotDir, 'dump.sql'), dump);
    writeFileSync(join(snapshotDir, 'engine.json'), JSON.stringify({ engine: 'mariadb', version: this.install.version }));
  }

  /** Replays the snapshot's dump (users and passwords included) into the new server. */
  async afterRestore(layout: EngineLayout, _settings: EngineSettings, snapshotDir: string): Promise<void> {
    const argv = this.#clientArgv(layout);
    await new Promise<void>((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { env: engineEnvironment(), stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      createReadStream(join(snapshotDir, 'dump.sql')).pipe(child.stdin);
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`restore failed: ${stderr.trim().slice(0, 2000)}`))));
    });
    await this.admin(layout, 'FLUSH PRIVILEGES;\n');
  }
}
