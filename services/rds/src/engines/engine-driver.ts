// What the engine host asks of a database engine: make a data directory (from a template made once
// per engine version), describe the server process to supervise, set the accounts up, change the
// master password, take a snapshot and restore one. Drivers for real servers run their commands as
// the engine user (engine-user.ts); the embedded engine runs in-process instead.
import { execFile } from 'node:child_process';
import type { ProcessSpec } from '@atoll/supervisor';
import type { EngineSettings } from '../records.js';

/** Where one engine keeps its files: `data` (the engine's own directory) and `run` (its socket). */
export interface EngineLayout {
  root: string;
  data: string;
  run: string;
}

export interface ProcessEngineDriver {
  readonly kind: 'process';
  /** Creates `layout.data` for a new, empty database. */
  provision(layout: EngineLayout, settings: EngineSettings): Promise<void>;
  /** Creates `layout.data` from a snapshot taken by `backup` (data, users and passwords included). */
  restore(layout: EngineLayout, snapshotDir: string, settings: EngineSettings): Promise<void>;
  /** Makes the run directory (the socket's) before a start. */
  prepareRun(layout: EngineLayout): void;
  /** The server process; `ready` matches the log line that says it accepts connections. */
  processSpec(layout: EngineLayout, settings: EngineSettings): ProcessSpec & { ready: RegExp };
  /** Runs on the running engine after it was provisioned: master user, password, database. */
  configure(layout: EngineLayout, settings: EngineSettings): Promise<void>;
  /** Runs on the running engine after a restore (the snapshot may hold work that must be replayed). */
  afterRestore?(layout: EngineLayout, settings: EngineSettings, snapshotDir: string): Promise<void>;
  setMasterPassword(layout: EngineLayout, settings: EngineSettings, password: string): Promise<void>;
  /** Read replicas (PostgreSQL): a streaming standby of the running source, its promotion and its lag. */
  createReplica?(layout: EngineLayout, source: { layout: EngineLayout; settings: EngineSettings }): Promise<void>;
  promote?(layout: EngineLayout, settings: EngineSettings): Promise<void>;
  replicaLag?(layout: EngineLayout, settings: EngineSettings): Promise<number>;
  /** Applies the login rules (IAM database authentication on or off) to the running engine. */
  applyAccess?(layout: EngineLayout, settings: EngineSettings): Promise<void>;
  /** Writes a consistent backup of the running engine into `snapshotDir` (which does not exist yet). */
  backup(layout: EngineLayout, settings: EngineSettings, snapshotDir: string): Promise<void>;
}

/** Runs a command; rejects with its stderr on failure. */
export function run(argv: readonly string[], options: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      argv[0]!,
      argv.slice(1),
      { env: options.env ?? { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' }, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${argv[0]} failed: ${(stderr || error.message).trim().slice(0, 2000)}`));
        else resolve(stdout);
      },
    );
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

/** A SQL string literal (standard quoting: quotes doubled; backslashes are not escapes). */
export function sqlLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** The environment engine processes get (the parent's is not inherited). */
export function engineEnvironment(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin:/usr/sbin', LC_ALL: 'C', TZ: 'UTC' };
}
