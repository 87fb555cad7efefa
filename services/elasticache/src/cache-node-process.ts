// One cache node's engine process under the supervisor: writes its configuration, starts it on its
// fixed port, waits until it answers PING, and restarts it (same port, same data directory) with a
// backoff when it dies unasked, so that its endpoint stays the same.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RestartBackoff, SupervisedProcess, type LogEvent } from '@atoll/supervisor';
import { RespConnection } from './resp-client.js';
import { renderServerConfig, type ServerSettings } from './server-config.js';

export interface CacheNodeOptions {
  /** The node's key (account/region/cluster id), for logs. */
  key: string;
  binary: string;
  dataDir: string;
  settings: ServerSettings;
  onLog?: (event: LogEvent) => void;
  /** Called after an unexpected exit, before the restart is scheduled. */
  onCrash?: (exitCode: number) => void;
  /** Called once a restarted process answers again. */
  onRestarted?: () => void;
}

const backoff = new RestartBackoff({ baseMs: 200, maxMs: 10_000 });

export class CacheNodeProcess {
  readonly options: CacheNodeOptions;
  #process: SupervisedProcess | undefined;
  #stopped = false;
  #restartTimer: NodeJS.Timeout | undefined;
  #restarts = 0;

  constructor(options: CacheNodeOptions) {
    this.options = options;
  }

  get port(): number {
    return this.options.settings.port;
  }

  get pid(): number | undefined {
    return this.#process?.pid;
  }

  get restarts(): number {
    return this.#restarts;
  }

  /** The password control connections use (the AUTH token, once set). */
  get password(): string | undefined {
    return this.options.settings.password;
  }

  /** Changes the settings written at the next start (a restart, or a replica's new primary). */
  updateSettings(change: Partial<ServerSettings>): void {
    Object.assign(this.options.settings, change);
    this.#writeConfig();
  }

  #writeConfig(): string {
    mkdirSync(this.options.dataDir, { recursive: true });
    const file = join(this.options.dataDir, 'server.conf');
    writeFileSync(file, renderServerConfig({ ...this.options.settings, dir: this.options.dataDir }));
    return file;
  }

  /** Starts the process and resolves once it answers PING (rejects when it exits first or takes over 10 s). */
  async start(): Promise<void> {
    const file = this.#writeConfig();
    const proc = new SupervisedProcess(
      {
        argv: [this.options.binary, file],
        cwd: this.options.dataDir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        stopTimeoutMs: 5000,
        log: this.options.onLog,
      },
      {
        onExit: (exit) => {
          if (this.#stopped || this.#process !== proc) return;
          this.options.onCrash?.(exit.exitCode);
          const delay = backoff.recordFailure(this.options.key);
          this.#restartTimer = setTimeout(() => {
            this.#restartTimer = undefined;
            if (this.#stopped) return;
            this.#restarts++;
            this.start().then(
              () => this.options.onRestarted?.(),
              () => undefined, // its own exit schedules the next try
            );
          }, delay);
          this.#restartTimer.unref();
        },
      },
    );
    this.#process = proc;
    await proc.start();
    await this.#waitReady(proc);
    backoff.recordSuccess(this.options.key);
  }

  async #waitReady(proc: SupervisedProcess): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (proc.exitInfo) throw new Error(`${this.options.key}: the engine exited with code ${proc.exitInfo.exitCode} while starting`);
      try {
        const conn = await RespConnection.open(this.port, undefined, 500);
        try {
          // Without AUTH, PING answers NOAUTH when a password is set: the server is up either way.
          await conn.command('PING').catch((e: Error) => {
            if (!/NOAUTH|LOADING/.test(e.message)) throw e;
            if (/LOADING/.test(e.message)) throw e;
          });
          return;
        } finally {
          conn.close();
        }
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }

  /** Kills the process (as a crash would), for tests: the supervisor restarts it. */
  kill(): void {
    const pid = this.#process?.pid;
    if (pid !== undefined) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    backoff.forget(this.options.key);
    await this.#process?.stop();
  }
}
