// One supervised task process: spawn in its own process group, capture its output into a log sink,
// watch its memory, probe its health, and stop it with SIGTERM then SIGKILL after the stop timeout.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { HealthChecker, type HealthCheckSpec, type HealthStatus, type ProbeResult } from './health-checker.js';
import { LineSplitter, type LogSink } from './log-stream.js';
import { processGroupRss, processIdentity, type ProcessIdentity } from './process-identity.js';

export interface ProcessSpec {
  /** The executable and its arguments. The executable is looked up in `env.PATH`. */
  argv: string[];
  /** Working directory; the platform's own working directory when absent. */
  cwd?: string;
  /**
   * The complete environment of the process. The parent's environment is not inherited: a
   * variable the process needs (PATH included) must be in here.
   */
  env: Record<string, string>;
  healthCheck?: HealthCheckSpec;
  /** Time between SIGTERM and SIGKILL when stopping. */
  stopTimeoutMs: number;
  /** Hard memory limit: the process group is killed (exit 137) when its resident memory exceeds it. */
  memoryLimitBytes?: number;
  /** How often the memory watchdog samples (default 1 s). */
  memoryCheckIntervalMs?: number;
  log?: LogSink;
}

export type ExitCause = 'exited' | 'stopped' | 'out-of-memory' | 'spawn-failed';

export interface ExitInfo {
  /** The exit code; for a signal, 128 + its number (137 for SIGKILL), as container runtimes report it. */
  exitCode: number;
  signal: NodeJS.Signals | null;
  cause: ExitCause;
  /** A human-readable reason: the spawn error, "OutOfMemoryError: …", or undefined for a plain exit. */
  reason?: string;
  exitedAt: Date;
}

/** Raised by `start` when the executable cannot be spawned (not found, not executable). */
export class SpawnError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined) {
    super(message);
    this.name = 'SpawnError';
    this.code = code;
  }
}

export interface SupervisedProcessEvents {
  onHealthChange?: (status: HealthStatus, probe: ProbeResult) => void;
  onExit?: (exit: ExitInfo) => void;
}

/**
 * A process under supervision. `start` resolves once the process runs; `exited` resolves once,
 * when it has ended for any reason (including a failed spawn). When the leader exits, the rest of its
 * process group is killed, as a container's processes die with its init.
 */
export class SupervisedProcess {
  readonly spec: ProcessSpec;
  readonly exited: Promise<ExitInfo>;
  #resolveExit!: (exit: ExitInfo) => void;
  #child: ChildProcess | undefined;
  #health: HealthChecker | undefined;
  #memoryTimer: NodeJS.Timeout | undefined;
  #stopRequested = false;
  #oom = false;
  #exit: ExitInfo | undefined;
  #identity: ProcessIdentity | undefined;
  readonly #events: SupervisedProcessEvents;
  #peakRss = 0;

  constructor(spec: ProcessSpec, events: SupervisedProcessEvents = {}) {
    this.spec = spec;
    this.#events = events;
    this.exited = new Promise((resolve) => (this.#resolveExit = resolve));
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** pid and start time, to find a leftover process after a platform crash. */
  get identity(): ProcessIdentity | undefined {
    return this.#identity;
  }

  get healthStatus(): HealthStatus {
    return this.#health?.status ?? 'UNKNOWN';
  }

  get exitInfo(): ExitInfo | undefined {
    return this.#exit;
  }

  get peakRssBytes(): number {
    return this.#peakRss;
  }

  start(): Promise<void> {
    const spec = this.spec;
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(spec.argv[0]!, spec.argv.slice(1), {
          cwd: spec.cwd,
          env: spec.env,
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        });
      } catch (error) {
        const err = error as NodeJS.ErrnoException;
        this.#finish({ exitCode: 127, signal: null, cause: 'spawn-failed', reason: err.message, exitedAt: new Date() });
        reject(new SpawnError(err.message, err.code));
        return;
      }
      this.#child = child;
      const sink = spec.log;
      for (const stream of ['stdout', 'stderr'] as const) {
        const splitter = new LineSplitter((message) => sink?.({ timestamp: Date.now(), message, stream }));
        child[stream]!.on('data', (chunk: Buffer) => splitter.push(chunk));
        child[stream]!.on('end', () => splitter.flush());
      }
      child.once('error', (error: NodeJS.ErrnoException) => {
        if (child.pid === undefined) {
          const exitCode = error.code === 'ENOENT' ? 127 : 126;
          this.#finish({ exitCode, signal: null, cause: 'spawn-failed', reason: error.message, exitedAt: new Date() });
          reject(new SpawnError(error.message, error.code));
        }
      });
      child.once('spawn', () => {
        this.#identity = processIdentity(child.pid!);
        if (spec.healthCheck) {
          this.#health = new HealthChecker(spec.healthCheck, spec.env, spec.cwd, (status, probe) =>
            this.#events.onHealthChange?.(status, probe),
          );
          this.#health.start();
        }
        if (spec.memoryLimitBytes) this.#watchMemory(spec.memoryLimitBytes);
        resolve();
      });
      // The task ends when its leader exits, as a container ends with its init: the rest of the
      // process group is killed then, and output still in the pipes is read before the exit is
      // reported (at most 2 s, in case something outside the group holds the pipes open).
      child.once('exit', (code, signal) => {
        this.#signalGroup('SIGKILL');
        let exitCode = code ?? 0;
        if (signal) exitCode = 128 + (constants.signals[signal] ?? 0);
        const cause: ExitCause = this.#oom ? 'out-of-memory' : this.#stopRequested ? 'stopped' : 'exited';
        const reason = this.#oom
          ? `OutOfMemoryError: Container killed due to memory usage (limit ${Math.round(spec.memoryLimitBytes! / 1048576)} MiB)`
          : undefined;
        const exit = { exitCode, signal, cause, reason, exitedAt: new Date() };
        const fallback = setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          this.#finish(exit);
        }, 2000);
        child.once('close', () => {
          clearTimeout(fallback);
          this.#finish(exit);
        });
      });
    });
  }

  /**
   * Stops the process: SIGTERM to its process group, then SIGKILL once `timeoutMs` (default: the
   * spec's stop timeout) has passed. Resolves with the exit information.
   */
  async stop(timeoutMs = this.spec.stopTimeoutMs): Promise<ExitInfo> {
    if (this.#exit) return this.#exit;
    this.#stopRequested = true;
    this.#health?.stop();
    this.#signalGroup('SIGTERM');
    const timer = setTimeout(() => this.#signalGroup('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a signal to the whole process group. */
  #signalGroup(signal: NodeJS.Signals): void {
    const pid = this.#child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is gone
    }
  }

  #watchMemory(limit: number): void {
    const pid = this.#child!.pid!;
    const check = () => {
      const rss = processGroupRss(pid);
      if (rss === undefined) return;
      this.#peakRss = Math.max(this.#peakRss, rss);
      if (rss > limit && !this.#oom && !this.#exit) {
        this.#oom = true;
        this.#signalGroup('SIGKILL');
      }
    };
    this.#memoryTimer = setInterval(check, this.spec.memoryCheckIntervalMs ?? 1000);
    this.#memoryTimer.unref();
  }

  #finish(exit: ExitInfo): void {
    if (this.#exit) return;
    this.#exit = exit;
    this.#health?.stop();
    if (this.#memoryTimer) clearInterval(this.#memoryTimer);
    this.#resolveExit(exit);
    this.#events.onExit?.(exit);
  }
}

/**
 * The argv for an ECS-style health check command: `["CMD-SHELL", "text"]` runs through `/bin/sh -c`,
 * `["CMD", exe, ...args]` runs directly; anything else is taken as a shell command line.
 */
export function healthCheckArgv(command: readonly string[]): string[] {
  if (command[0] === 'CMD-SHELL') return ['/bin/sh', '-c', command.slice(1).join(' ')];
  if (command[0] === 'CMD') return command.slice(1);
  return ['/bin/sh', '-c', command.join(' ')];
}
