// The function data plane: pools of execution environments per function configuration, warm
// reuse, scale-up within the concurrency limits, idle reclaim and layer merging. The Lambda
// provider configures it through FunctionSpec and calls invoke(); it never sees a process.
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ExecutionEnvironment } from './execution-environment.js';
import type { FunctionSpec, InvocationRequest, InvocationResult, LogSink } from './types.js';

export interface FunctionRuntimeOptions {
  /** Scratch space: per-environment `/tmp` directories and merged layer directories. */
  workDir: string;
  logSink?: LogSink;
  /** The account's concurrent executions limit (Lambda's default is 1000). */
  accountConcurrencyLimit?: number;
  /** An environment idle this long is stopped (default 5 minutes). */
  idleTimeoutMs?: number;
  /** Init phase limit (default 10 s, as Lambda). */
  initTimeoutMs?: number;
  /**
   * A node_modules directory the nodejs runtimes can require from (the `/var/runtime/node_modules`
   * equivalent, where Lambda ships the AWS SDK); it comes after the layers and the task root in NODE_PATH.
   */
  runtimeNodeModules?: string;
}

/** Thrown when an invocation would pass a concurrency limit; the provider answers TooManyRequestsException. */
export class ConcurrencyLimitExceededError extends Error {
  readonly code = 'CONCURRENCY_LIMIT_EXCEEDED';
  constructor(readonly reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' | 'ConcurrentInvocationLimitExceeded') {
    super(reason === 'ReservedFunctionConcurrentInvocationLimitExceeded' ? 'Rate Exceeded.' : 'Rate Exceeded.');
    this.name = 'ConcurrencyLimitExceededError';
  }
}

export interface RuntimeStats {
  environments: number;
  busy: number;
  idle: number;
  initializing: number;
}

export const NODE_BOOTSTRAP = fileURLToPath(new URL('./runtimes/nodejs-bootstrap.js', import.meta.url));

export class FunctionRuntime {
  readonly #options: FunctionRuntimeOptions;
  readonly #pools = new Map<string, Set<ExecutionEnvironment>>();
  readonly #inflight = new Map<string, number>();
  #unreservedInflight = 0;
  #totalInflight = 0;
  readonly #optDirs = new Map<string, string>();
  readonly #reclaimTimer: NodeJS.Timeout;
  #closed = false;

  constructor(options: FunctionRuntimeOptions) {
    this.#options = options;
    mkdirSync(join(options.workDir, 'tmp'), { recursive: true });
    const idle = options.idleTimeoutMs ?? 300_000;
    this.#reclaimTimer = setInterval(() => this.reclaimIdle(idle), Math.max(50, Math.min(idle / 2, 30_000)));
    this.#reclaimTimer.unref();
  }

  /**
   * Runs one invocation in a warm environment of the spec's pool, or a new one. Throws
   * ConcurrencyLimitExceededError, before anything runs, when the function or the account is at
   * its limit. Function failures come back as a result with functionError set.
   */
  async invoke(spec: FunctionSpec, request: InvocationRequest): Promise<InvocationResult> {
    if (this.#closed) throw new Error('function runtime is closed');
    this.#acquire(spec);
    try {
      const pool = this.#pool(spec.key);
      let env: ExecutionEnvironment | undefined;
      let newest = -1;
      for (const candidate of pool) {
        if (candidate.available && candidate.lastUsed > newest) {
          env = candidate;
          newest = candidate.lastUsed;
        }
      }
      if (env) return await env.invoke(request);
      env = this.#create(spec, pool);
      try {
        await env.start();
      } catch (error) {
        env.kill();
        throw error;
      }
      return await env.invoke(request);
    } finally {
      this.#release(spec);
    }
  }

  /** Stops the idle environments of every pool whose key starts with `prefix`; busy ones stop after their invocation. */
  retire(prefix: string): void {
    for (const [key, pool] of this.#pools) {
      if (!key.startsWith(prefix)) continue;
      for (const env of pool) {
        env.retiring = true;
        if (env.state === 'ready') env.kill();
      }
    }
  }

  /** Stops environments idle for longer than `idleMs`. Returns how many were stopped. */
  reclaimIdle(idleMs: number): number {
    const cutoff = Date.now() - idleMs;
    let stopped = 0;
    for (const pool of this.#pools.values()) {
      for (const env of pool) {
        if (env.state === 'ready' && env.lastUsed <= cutoff) {
          env.kill();
          stopped++;
        }
      }
    }
    return stopped;
  }

  stats(): RuntimeStats {
    const stats: RuntimeStats = { environments: 0, busy: 0, idle: 0, initializing: 0 };
    for (const pool of this.#pools.values()) {
      for (const env of pool) {
        stats.environments++;
        if (env.state === 'ready') stats.idle++;
        else if (env.state === 'busy') stats.busy++;
        else if (env.state === 'init') stats.initializing++;
      }
    }
    return stats;
  }

  /** Process ids of the live environments of a pool (for tests and diagnostics). */
  pids(key: string): number[] {
    return [...(this.#pools.get(key) ?? [])].map((e) => e.pid).filter((p): p is number => p !== undefined);
  }

  /** Number of invocations in flight for a function (unqualified ARN). */
  concurrency(functionArn: string): number {
    return this.#inflight.get(functionArn) ?? 0;
  }

  /** Kills every environment and stops background work. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#reclaimTimer);
    const waits: Promise<void>[] = [];
    for (const pool of this.#pools.values()) {
      for (const env of pool) {
        waits.push(new Promise<void>((resolve) => {
          const check = setInterval(() => {
            if (env.state === 'dead') {
              clearInterval(check);
              resolve();
            }
          }, 10);
          setTimeout(() => {
            clearInterval(check);
            resolve();
          }, 2000).unref();
        }));
        env.kill();
      }
    }
    await Promise.all(waits);
    for (const dir of this.#optDirs.values()) rmSync(dir, { recursive: true, force: true });
  }

  #acquire(spec: FunctionSpec): void {
    const accountLimit = this.#options.accountConcurrencyLimit ?? 1000;
    const current = this.#inflight.get(spec.functionArn) ?? 0;
    // A reserved limit counts this function's invocations; the unreserved limit is shared by every
    // function without a reservation.
    const used = spec.concurrencyScope === 'reserved' ? current : this.#unreservedInflight;
    if (spec.concurrencyLimit !== undefined && used >= spec.concurrencyLimit) {
      throw new ConcurrencyLimitExceededError(spec.concurrencyScope === 'reserved' ? 'ReservedFunctionConcurrentInvocationLimitExceeded' : 'ConcurrentInvocationLimitExceeded');
    }
    if (this.#totalInflight >= accountLimit) throw new ConcurrencyLimitExceededError('ConcurrentInvocationLimitExceeded');
    this.#inflight.set(spec.functionArn, current + 1);
    this.#totalInflight++;
    if (spec.concurrencyScope !== 'reserved') this.#unreservedInflight++;
  }

  #release(spec: FunctionSpec): void {
    const current = (this.#inflight.get(spec.functionArn) ?? 1) - 1;
    if (current <= 0) this.#inflight.delete(spec.functionArn);
    else this.#inflight.set(spec.functionArn, current);
    this.#totalInflight--;
    if (spec.concurrencyScope !== 'reserved') this.#unreservedInflight--;
  }

  /** Invocations in flight for functions without reserved concurrency (the unreserved pool). */
  get unreservedInflight(): number {
    return this.#unreservedInflight;
  }

  #pool(key: string): Set<ExecutionEnvironment> {
    let pool = this.#pools.get(key);
    if (!pool) this.#pools.set(key, (pool = new Set()));
    return pool;
  }

  #create(spec: FunctionSpec, pool: Set<ExecutionEnvironment>): ExecutionEnvironment {
    const env = new ExecutionEnvironment(spec, {
      scratchRoot: join(this.#options.workDir, 'tmp'),
      optDir: this.#optDir(spec),
      nodeBootstrap: NODE_BOOTSTRAP,
      logSink: this.#options.logSink ?? (() => {}),
      initTimeoutMs: this.#options.initTimeoutMs,
      runtimeNodeModules: this.#options.runtimeNodeModules,
      onDead: (dead) => {
        pool.delete(dead);
        if (pool.size === 0 && this.#pools.get(spec.key) === pool) this.#pools.delete(spec.key);
      },
    });
    pool.add(env);
    return env;
  }

  /** Layers merged in order into one directory per layer list (the `/opt` equivalent). */
  #optDir(spec: FunctionSpec): string | undefined {
    if (spec.layerDirs.length === 0) return undefined;
    const id = createHash('sha256').update(spec.layerDirs.join('\n')).digest('hex').slice(0, 24);
    let dir = this.#optDirs.get(id);
    if (dir && existsSync(dir)) return dir;
    dir = join(this.#options.workDir, 'opt', id);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const layer of spec.layerDirs) cpSync(layer, dir, { recursive: true, force: true });
    this.#optDirs.set(id, dir);
    return dir;
  }
}
