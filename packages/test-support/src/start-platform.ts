// Starts a real Atoll for tests: in-process on port 0 with a temporary data directory, or as a
// child process (for crash tests). Returns SDK v3 clients configured for it.
//
// The server package is imported by name at run time, not at compile time: it depends on every
// service, and services' tests depend on this package, so a compile-time reference would be a cycle.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createRequire } from 'node:module';
import { loadConfig, type AtollConfig, type ServiceFactory } from '@atoll/core';
import { createPostgresTestDatabase, type PostgresTestDatabase } from './storage-engines.js';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface StartPlatformOptions {
  /** Serve only these services (model names); all registered services by default. */
  services?: string[];
  /** Reuse a data directory (it is then not deleted on stop). */
  dataDir?: string;
  config?: Partial<AtollConfig>;
  /** Extra providers to serve (protocol tests). */
  extraProviders?: ServiceFactory[];
}

export interface TestPlatform {
  endpoint: string;
  region: string;
  accountId: string;
  dataDir: string;
  credentials: Credentials;
  /** A configured SDK v3 client (`new Client({ endpoint, region, credentials, ...extra })`). */
  client<C>(Client: new (config: any) => C, extra?: Record<string, unknown>): C;
  /** Stops the platform; removes the data directory unless it was given. */
  stop(): Promise<void>;
}

interface ServerModule {
  startAtoll(config: AtollConfig, options?: { services?: readonly string[]; extraProviders?: readonly ServiceFactory[] }): Promise<{
    endpoint: string;
    rootCredentials: Credentials;
    close(graceMs?: number): Promise<void>;
  }>;
}

const SERVER_PACKAGE = '@atoll/server';

/** Databases of platforms started on a given data directory: dropped when the test process is done. */
const kept = new Map<string, PostgresTestDatabase>();
function keep(dataDir: string, database: PostgresTestDatabase): void {
  if (kept.size === 0) {
    process.once('beforeExit', () => {
      void Promise.all([...kept.values()].map((d) => d.drop().catch(() => {})));
    });
  }
  kept.set(dataDir, database);
}

/**
 * Starts a platform in-process. With ATOLL_TEST_ENGINE=postgres (and no databaseUrl in `config`),
 * its state goes to a new PostgreSQL database that `stop()` drops, so that any end-to-end suite can
 * run on the PostgreSQL engine unchanged.
 */
export async function startPlatform(options: StartPlatformOptions = {}): Promise<TestPlatform> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'atoll-test-'));
  let database: PostgresTestDatabase | undefined;
  if (process.env.ATOLL_TEST_ENGINE === 'postgres' && !options.config?.databaseUrl) {
    // A platform restarted on the same data directory finds its database again.
    database = options.dataDir ? kept.get(options.dataDir) : undefined;
    if (!database) {
      const created = await createPostgresTestDatabase();
      if (!('url' in created)) throw new Error(created.unavailable);
      database = created;
      if (options.dataDir) keep(options.dataDir, created);
    }
  }
  const config = loadConfig([], {}, {
    port: 0,
    host: '127.0.0.1',
    dataDir,
    logLevel: 'silent',
    ...(database ? { databaseUrl: database.url } : {}),
    ...options.config,
  });
  const server = (await import(SERVER_PACKAGE)) as ServerModule;
  const atoll = await server.startAtoll(config, { services: options.services, extraProviders: options.extraProviders });
  const credentials = { accessKeyId: atoll.rootCredentials.accessKeyId, secretAccessKey: atoll.rootCredentials.secretAccessKey };
  const clients: { destroy?: () => void }[] = [];
  return {
    endpoint: atoll.endpoint,
    region: config.region,
    accountId: config.accountId,
    dataDir,
    credentials,
    client<C>(Client: new (config: any) => C, extra: Record<string, unknown> = {}): C {
      const client = new Client({ endpoint: atoll.endpoint, region: config.region, credentials, maxAttempts: 1, ...extra });
      clients.push(client as { destroy?: () => void });
      return client;
    },
    async stop() {
      for (const client of clients) client.destroy?.();
      await atoll.close(2000);
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
      if (!options.dataDir) await database?.drop();
    },
  };
}

export interface SpawnedPlatform {
  endpoint: string;
  dataDir: string;
  credentials: Credentials;
  process: ChildProcess;
  /** Resolves with the exit code (or signal) when the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
}

/** Starts Atoll as a child process (`apps/server/bin/atoll-server.js`) on a free port. */
export async function spawnPlatform(options: { dataDir: string; args?: string[]; env?: NodeJS.ProcessEnv; services?: string[]; nodeArgs?: string[] }): Promise<SpawnedPlatform> {
  const require = createRequire(import.meta.url);
  const serverDir = dirname(require.resolve(`${SERVER_PACKAGE}/package.json`));
  const bin = join(serverDir, 'bin', 'atoll-server.js');
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), bin, '--port', '0', '--data-dir', options.dataDir, ...(options.args ?? [])], {
    env: { ...process.env, ATOLL_LOG_LEVEL: 'warn', ...(options.services ? { ATOLL_SERVICES: options.services.join(',') } : {}), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`platform did not start in time:\n${output}`)), 30_000);
    const onData = () => {
      const m = /listening on (http:\/\/\S+)[\s\S]*Point an SDK/.exec(output);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`platform exited before listening:\n${output}`));
    });
  });
  const root = JSON.parse(readFileSync(join(options.dataDir, 'credentials', 'root.json'), 'utf8')) as Credentials;
  return {
    endpoint,
    dataDir: options.dataDir,
    credentials: { accessKeyId: root.accessKeyId, secretAccessKey: root.secretAccessKey },
    process: child,
    exited,
    kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    output: () => output,
  };
}
