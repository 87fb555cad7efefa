import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { SupervisedProcess, SpawnError, healthCheckArgv } from './supervised-process.js';
import type { LogEvent } from './log-stream.js';
import type { HealthStatus } from './health-checker.js';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const node = process.execPath;

describe('SupervisedProcess', () => {
  test('reports the exit code of a process that exits on its own', async () => {
    const proc = new SupervisedProcess({ argv: [node, '-e', 'process.exit(3)'], env, stopTimeoutMs: 1000 });
    await proc.start();
    const exit = await proc.exited;
    assert.equal(exit.exitCode, 3);
    assert.equal(exit.cause, 'exited');
  });

  test('captures stdout and stderr line by line into the log sink', async () => {
    const events: LogEvent[] = [];
    const proc = new SupervisedProcess({
      argv: [node, '-e', 'console.log("one\\ntwo"); console.error("oops"); process.stdout.write("tail")'],
      env,
      stopTimeoutMs: 1000,
      log: (e) => events.push(e),
    });
    await proc.start();
    await proc.exited;
    await new Promise((r) => setImmediate(r));
    const out = events.filter((e) => e.stream === 'stdout').map((e) => e.message);
    assert.deepEqual(out, ['one', 'two', 'tail']);
    assert.deepEqual(events.filter((e) => e.stream === 'stderr').map((e) => e.message), ['oops']);
  });

  test('does not inherit the parent environment', async () => {
    process.env.ATOLL_SUPERVISOR_SECRET = 'leak';
    const events: LogEvent[] = [];
    const proc = new SupervisedProcess({
      argv: [node, '-e', 'console.log(JSON.stringify([process.env.ATOLL_SUPERVISOR_SECRET ?? null, process.env.GIVEN]))'],
      env: { ...env, GIVEN: 'yes' },
      stopTimeoutMs: 1000,
      log: (e) => events.push(e),
    });
    await proc.start();
    await proc.exited;
    delete process.env.ATOLL_SUPERVISOR_SECRET;
    assert.deepEqual(JSON.parse(events[0]!.message), [null, 'yes']);
  });

  test('stops a process with SIGTERM and reports exit code 143 when it does not handle it', async () => {
    const proc = new SupervisedProcess({ argv: [node, '-e', 'setInterval(() => {}, 1000)'], env, stopTimeoutMs: 5000 });
    await proc.start();
    const exit = await proc.stop();
    assert.equal(exit.signal, 'SIGTERM');
    assert.equal(exit.exitCode, 143);
    assert.equal(exit.cause, 'stopped');
  });

  test('kills a process that ignores SIGTERM once the stop timeout has passed (exit code 137)', async () => {
    const proc = new SupervisedProcess({
      argv: [node, '-e', 'process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000)'],
      env,
      stopTimeoutMs: 300,
      log: () => {},
    });
    await proc.start();
    await new Promise((r) => setTimeout(r, 300));
    const exit = await proc.stop();
    assert.equal(exit.signal, 'SIGKILL');
    assert.equal(exit.exitCode, 137);
  });

  test('lets a process that handles SIGTERM exit with its own code', async () => {
    const proc = new SupervisedProcess({
      argv: [node, '-e', 'process.on("SIGTERM", () => process.exit(0)); setInterval(() => {}, 1000)'],
      env,
      stopTimeoutMs: 5000,
    });
    await proc.start();
    await new Promise((r) => setTimeout(r, 200));
    const exit = await proc.stop();
    assert.equal(exit.exitCode, 0);
  });

  test('rejects start with a SpawnError and exit code 127 for a command that does not exist', async () => {
    const proc = new SupervisedProcess({ argv: ['atoll-no-such-command'], env, stopTimeoutMs: 1000 });
    await assert.rejects(proc.start(), (err: Error) => err instanceof SpawnError && (err as SpawnError).code === 'ENOENT');
    const exit = await proc.exited;
    assert.equal(exit.exitCode, 127);
    assert.equal(exit.cause, 'spawn-failed');
  });

  test('kills a process group whose memory exceeds the limit and reports an out-of-memory exit', async () => {
    const proc = new SupervisedProcess({
      argv: [node, '-e', 'const a = []; setInterval(() => a.push(Buffer.alloc(8 << 20, 1)), 20)'],
      env,
      stopTimeoutMs: 1000,
      memoryLimitBytes: 128 << 20,
      memoryCheckIntervalMs: 100,
    });
    await proc.start();
    const exit = await proc.exited;
    assert.equal(exit.cause, 'out-of-memory');
    assert.equal(exit.exitCode, 137);
    assert.match(exit.reason ?? '', /^OutOfMemoryError/);
  });

  test('reports HEALTHY once the health check command passes', async () => {
    const changes: HealthStatus[] = [];
    let resolveHealthy!: () => void;
    const healthy = new Promise<void>((r) => (resolveHealthy = r));
    const proc = new SupervisedProcess(
      {
        argv: [node, '-e', 'setInterval(() => {}, 1000)'],
        env,
        stopTimeoutMs: 1000,
        healthCheck: { argv: ['/bin/sh', '-c', 'exit 0'], intervalMs: 200, timeoutMs: 1000, retries: 2, startPeriodMs: 0 },
      },
      {
        onHealthChange: (s) => {
          changes.push(s);
          if (s === 'HEALTHY') resolveHealthy();
        },
      },
    );
    await proc.start();
    await healthy;
    assert.equal(proc.healthStatus, 'HEALTHY');
    await proc.stop();
    assert.deepEqual(changes, ['HEALTHY']);
  });

  test('reports UNHEALTHY after the configured number of consecutive failures', async () => {
    let resolveUnhealthy!: () => void;
    const unhealthy = new Promise<void>((r) => (resolveUnhealthy = r));
    let probes = 0;
    const proc = new SupervisedProcess(
      {
        argv: [node, '-e', 'setInterval(() => {}, 1000)'],
        env,
        stopTimeoutMs: 1000,
        healthCheck: { argv: ['/bin/sh', '-c', 'exit 1'], intervalMs: 50, timeoutMs: 1000, retries: 3, startPeriodMs: 0 },
      },
      {
        onHealthChange: (s, probe) => {
          probes++;
          assert.equal(probe.exitCode, 1);
          if (s === 'UNHEALTHY') resolveUnhealthy();
        },
      },
    );
    await proc.start();
    await unhealthy;
    assert.equal(proc.healthStatus, 'UNHEALTHY');
    assert.equal(probes, 1);
    await proc.stop();
  });
});

describe('healthCheckArgv', () => {
  test('runs CMD-SHELL through /bin/sh -c and CMD directly', () => {
    assert.deepEqual(healthCheckArgv(['CMD-SHELL', 'curl -f http://localhost/ || exit 1']), ['/bin/sh', '-c', 'curl -f http://localhost/ || exit 1']);
    assert.deepEqual(healthCheckArgv(['CMD', 'true', 'x']), ['true', 'x']);
  });
});

describe('SupervisedProcess process groups', () => {
  test('ends the task when its leader exits, killing a background child that holds the output pipes', async () => {
    const events: LogEvent[] = [];
    const proc = new SupervisedProcess({
      argv: ['/bin/sh', '-c', `${node} -e "setInterval(() => {}, 1000)" & echo started; exit 4`],
      env,
      stopTimeoutMs: 1000,
      log: (e) => events.push(e),
    });
    await proc.start();
    const exit = await proc.exited;
    assert.equal(exit.exitCode, 4);
    assert.deepEqual(events.map((e) => e.message), ['started']);
  });
});
