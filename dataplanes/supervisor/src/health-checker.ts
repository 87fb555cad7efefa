// Container health checks as Docker and ECS run them: a command probed every interval with a
// timeout; `retries` consecutive failures make the process UNHEALTHY, one success makes it HEALTHY.
import { spawn } from 'node:child_process';

export type HealthStatus = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY';

export interface HealthCheckSpec {
  /** The probe's argv (an ECS `CMD-SHELL` check becomes `['/bin/sh', '-c', text]`). */
  argv: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  /** Failures in this period after start do not count; a success still makes the process HEALTHY. */
  startPeriodMs: number;
}

export interface ProbeResult {
  ok: boolean;
  exitCode: number | null;
  output: string;
}

/**
 * Runs one probe. Exit code 0 passes; any other code, a spawn failure or running past the timeout
 * fails. The probe gets the environment it is given and nothing of the parent's.
 */
export function runProbe(argv: readonly string[], env: Record<string, string>, timeoutMs: number, cwd?: string): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let output = '';
    let settled = false;
    const finish = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const child = spawn(argv[0]!, argv.slice(1), { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const collect = (chunk: Buffer) => {
      if (output.length < 4096) output += chunk.toString();
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      finish({ ok: false, exitCode: null, output: `health check timed out after ${timeoutMs} ms` });
    }, timeoutMs);
    child.once('error', (error) => finish({ ok: false, exitCode: null, output: error.message }));
    child.once('close', (code) => finish({ ok: code === 0, exitCode: code, output }));
  });
}

/**
 * Probes on a timer and tracks the status. The first probe runs one second after `start` (Docker
 * waits a whole interval; Atoll starts earlier so that deployments do not wait needlessly), then
 * every interval after the previous probe ended.
 */
export class HealthChecker {
  readonly #spec: HealthCheckSpec;
  readonly #env: Record<string, string>;
  readonly #cwd: string | undefined;
  readonly #onChange: (status: HealthStatus, last: ProbeResult) => void;
  #status: HealthStatus = 'UNKNOWN';
  #failures = 0;
  #startedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  lastResult: ProbeResult | undefined;

  constructor(
    spec: HealthCheckSpec,
    env: Record<string, string>,
    cwd: string | undefined,
    onChange: (status: HealthStatus, last: ProbeResult) => void,
  ) {
    this.#spec = spec;
    this.#env = env;
    this.#cwd = cwd;
    this.#onChange = onChange;
  }

  get status(): HealthStatus {
    return this.#status;
  }

  start(): void {
    this.#startedAt = Date.now();
    this.#schedule(Math.min(1000, this.#spec.intervalMs));
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  #schedule(delay: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#probe(), delay);
    this.#timer.unref();
  }

  async #probe(): Promise<void> {
    const result = await runProbe(this.#spec.argv, this.#env, this.#spec.timeoutMs, this.#cwd);
    if (this.#stopped) return;
    this.lastResult = result;
    const previous = this.#status;
    if (result.ok) {
      this.#failures = 0;
      this.#status = 'HEALTHY';
    } else if (Date.now() - this.#startedAt >= this.#spec.startPeriodMs || previous === 'HEALTHY') {
      this.#failures++;
      if (this.#failures >= this.#spec.retries) this.#status = 'UNHEALTHY';
    }
    if (this.#status !== previous) this.#onChange(this.#status, result);
    this.#schedule(this.#spec.intervalMs);
  }
}
