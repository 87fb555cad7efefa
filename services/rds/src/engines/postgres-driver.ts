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
    options.hba_file = this.#writeHba(layout, settings.iamLdap);
    const argv = [...this.#user.wrap, this.#bin('postgres'), '-D', layout.data];
    for (const [name, value] of Object.entries(options)) argv.push('-c', `${name}=${value}`);
    return { argv, env: engineEnvironment(), stopTimeoutMs: 10_000, ready: /database system is ready to accept (?:read-only )?connections/ };
  }

  /**
   * The engine's pg_hba.conf (outside the data directory, so that snapshots do not carry it): initdb's
   * rules, and with IAM database authentication, TCP logins of `rds_iam` members go to the LDAP bind
   * verifier first (the token is the password; the DN is `<prefix><user>`).
   */
  #writeHba(layout: EngineLayout, ldap: { port: number; prefix: string } | undefined): string {
    const file = join(layout.root, 'pg_hba.conf');
    const lines = [
      'local all all trust',
      'local replication all trust',
      ...(ldap ? [`host all +rds_iam 127.0.0.1/32 ldap ldapserver=127.0.0.1 ldapport=${ldap.port} ldapprefix="${ldap.prefix}" ldapsuffix=""`] : []),
      'host all all 127.0.0.1/32 scram-sha-256',
      'host all all ::1/128 scram-sha-256',
      'host replication all 127.0.0.1/32 scram-sha-256',
      'host replication all ::1/128 scram-sha-256',
    ];
    writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o644 });
    return file;
  }

  /** Turns IAM database authentication on or off on the running engine (pg_hba.conf and a reload). */
  async applyAccess(layout: EngineLayout, settings: EngineSettings): Promise<void> {
    this.#writeHba(layout, settings.iamLdap);
    await this.admin(layout, settings, 'SELECT pg_reload_conf();\n');
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
    // As in RDS: granting rds_iam to a user makes it log in with IAM tokens (when enabled).
    sql += 'CREATE ROLE rds_iam NOLOGIN;\n';
    if (settings.dbName && settings.dbName !== 'postgres') sql += `CREATE DATABASE ${quoteIdent(settings.dbName)} OWNER ${user};\n`;
    await this.admin(layout, settings, sql);
  }

  /**
   * Makes `layout.data` a streaming standby of the running source: pg_basebackup -R through the
   * source's socket as rdsadmin (standby.signal and primary_conninfo are written by -R).
   */
  async createReplica(layout: EngineLayout, source: { layout: EngineLayout; settings: EngineSettings }): Promise<void> {
    this.#prepare(layout); // pg_basebackup makes the data directory itself (mode 0700)
    await run([
      ...this.#user.wrap,
      this.#bin('pg_basebackup'),
      '-h',
      source.layout.run,
      '-p',
      String(source.settings.port),
      '-U',
      ADMIN,
      '-D',
      layout.data,
      '-X',
      'stream',
      '-R',
      '-c',
      'fast',
      '--no-sync',
    ]);
  }

  /** Ends recovery on a standby: it becomes a standalone, writable server. */
  async promote(layout: EngineLayout, settings: EngineSettings): Promise<void> {
    const out = await this.admin(layout, settings, 'SELECT pg_promote(true, 60);\n');
    if (out.trim() !== 't') throw new Error(`pg_promote did not finish: ${out.trim()}`);
  }

  /**
   * Seconds the standby's replay is behind: 0 when it has replayed all it received, else the age of
   * the last replayed transaction.
   */
  async replicaLag(layout: EngineLayout, settings: EngineSettings): Promise<number> {
    const out = await this.admin(
      layout,
      settings,
      "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END;\n",
    );
    return Math.max(0, Number(out.trim()) || 0);
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
