// Drives EcsProvider's operations directly (no edge) with real task processes and a recording
// stand-in for ELBv2.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLogStream } from '@atoll/supervisor';
import { EcsProvider } from '../src/ecs-provider.js';
import { fakePlatform, requestContext, waitFor } from './fake-platform.js';

const ctx = requestContext();
const node = process.execPath;
const SERVER = "require('http').createServer((q, r) => r.end('hello ' + process.env.GREETING)).listen(process.env.PORT)";
const providers: EcsProvider[] = [];

function newProvider(platform = fakePlatform(), options = {}) {
  const provider = new EcsProvider(platform, { backoffBaseMs: 200, backoffMaxMs: 2000, intervalMs: 100, defaultStopTimeoutMs: 2000, stableAfterMs: 1000, ...options });
  provider.start();
  providers.push(provider);
  return { provider, platform };
}

after(async () => {
  for (const p of providers) await p.close().catch(() => {});
});

const op = async (p: EcsProvider, name: string, input: Record<string, unknown>): Promise<any> => p.operations[name]!(input, ctx);

function webContainer(extra: Record<string, unknown> = {}) {
  return {
    name: 'web',
    image: 'node:20',
    memory: 256,
    command: [node, '-e', SERVER],
    portMappings: [{ containerPort: 8080 }],
    environment: [{ name: 'GREETING', value: 'world' }],
    stopTimeout: 2,
    ...extra,
  };
}

async function taskOf(p: EcsProvider, arn: string, cluster?: string) {
  return (await op(p, 'DescribeTasks', { cluster, tasks: [arn] })).tasks[0];
}

async function serviceOf(p: EcsProvider, name: string) {
  return (await op(p, 'DescribeServices', { services: [name] })).services[0];
}

describe('task definitions', () => {
  test('registers revisions, deregisters to INACTIVE and lists by prefix, status and sort order', async () => {
    const { provider } = newProvider();
    const first = await op(provider, 'RegisterTaskDefinition', { family: 'api', containerDefinitions: [webContainer()] });
    const second = await op(provider, 'RegisterTaskDefinition', { family: 'api', containerDefinitions: [webContainer()] });
    await op(provider, 'RegisterTaskDefinition', { family: 'worker', containerDefinitions: [webContainer()] });
    assert.match(first.taskDefinition.taskDefinitionArn, /:task-definition\/api:1$/);
    assert.equal(second.taskDefinition.revision, 2);
    assert.equal(first.taskDefinition.containerDefinitions[0].essential, true);
    const gone = await op(provider, 'DeregisterTaskDefinition', { taskDefinition: 'api:1' });
    assert.equal(gone.taskDefinition.status, 'INACTIVE');
    const active = await op(provider, 'ListTaskDefinitions', { familyPrefix: 'api' });
    assert.deepEqual(active.taskDefinitionArns.map((a: string) => a.split('/')[1]), ['api:2']);
    const inactive = await op(provider, 'ListTaskDefinitions', { status: 'INACTIVE' });
    assert.deepEqual(inactive.taskDefinitionArns.map((a: string) => a.split('/')[1]), ['api:1']);
    const desc = await op(provider, 'ListTaskDefinitions', { sort: 'DESC' });
    assert.deepEqual(desc.taskDefinitionArns.map((a: string) => a.split('/')[1]), ['worker:1', 'api:2']);
    assert.deepEqual((await op(provider, 'ListTaskDefinitionFamilies', {})).families, ['api', 'worker']);
    const latest = await op(provider, 'DescribeTaskDefinition', { taskDefinition: 'api' });
    assert.equal(latest.taskDefinition.revision, 2);
  });

  test('refuses an image without a command with ClientException when no container runtime is usable', async () => {
    const { provider } = newProvider();
    await assert.rejects(
      op(provider, 'RegisterTaskDefinition', { family: 'nginx', containerDefinitions: [{ name: 'web', image: 'nginx', memory: 128 }] }),
      (err: any) => err.name === 'ClientException' && err.status === 400 && /no command or entryPoint/.test(err.message),
    );
  });

  test('answers ClientException for a task definition that does not exist', async () => {
    const { provider } = newProvider();
    await assert.rejects(op(provider, 'DescribeTaskDefinition', { taskDefinition: 'nope:3' }), (err: any) => err.name === 'ClientException' && err.message === 'Unable to describe task definition.');
  });
});

describe('tasks', () => {
  test('runs a task that serves HTTP on its mapped port, then stops it with SIGTERM and reports the exit code', async () => {
    const { provider } = newProvider();
    await op(provider, 'RegisterTaskDefinition', { family: 'web', containerDefinitions: [webContainer()] });
    const run = await op(provider, 'RunTask', { taskDefinition: 'web' });
    assert.equal(run.failures.length, 0);
    const arn = run.tasks[0].taskArn;
    assert.match(arn, /^arn:aws:ecs:us-east-1:000000000000:task\/default\/[0-9a-f]{32}$/);
    assert.equal(run.tasks[0].lastStatus, 'PROVISIONING');
    const running = await waitFor(async () => {
      const t = await taskOf(provider, arn);
      return t.lastStatus === 'RUNNING' && t;
    }, 'RUNNING');
    const binding = running.containers[0].networkBindings[0];
    assert.equal(binding.containerPort, 8080);
    const body = await waitFor(async () => {
      try {
        return await (await fetch(`http://127.0.0.1:${binding.hostPort}/`)).text();
      } catch {
        return undefined;
      }
    }, 'HTTP answer');
    assert.equal(body, 'hello world');
    const listed = await op(provider, 'ListTasks', { family: 'web' });
    assert.deepEqual(listed.taskArns, [arn]);
    const stopping = await op(provider, 'StopTask', { task: arn, reason: 'done here' });
    assert.equal(stopping.task.desiredStatus, 'STOPPED');
    const stopped = await waitFor(async () => {
      const t = await taskOf(provider, arn);
      return t.lastStatus === 'STOPPED' && t;
    }, 'STOPPED');
    assert.equal(stopped.stopCode, 'UserInitiated');
    assert.equal(stopped.stoppedReason, 'done here');
    assert.equal(stopped.containers[0].exitCode, 143);
    assert.ok(stopped.stoppedAt instanceof Date);
    assert.deepEqual((await op(provider, 'ListTasks', { desiredStatus: 'STOPPED' })).taskArns, [arn]);
  });

  test('stops a task whose command does not exist, with TaskFailedToStart and exit code 127', async () => {
    const { provider } = newProvider();
    await op(provider, 'RegisterTaskDefinition', { family: 'bad', containerDefinitions: [webContainer({ command: ['atoll-no-such-binary'] })] });
    const arn = (await op(provider, 'RunTask', { taskDefinition: 'bad' })).tasks[0].taskArn;
    const stopped = await waitFor(async () => {
      const t = await taskOf(provider, arn);
      return t.lastStatus === 'STOPPED' && t;
    }, 'STOPPED');
    assert.equal(stopped.stopCode, 'TaskFailedToStart');
    assert.match(stopped.stoppedReason, /^CannotStartContainerError: .*ENOENT/);
    assert.equal(stopped.containers[0].exitCode, 127);
  });

  test('stops the task when its essential container exits, keeping the exit code', async () => {
    const { provider } = newProvider();
    await op(provider, 'RegisterTaskDefinition', { family: 'quit', containerDefinitions: [webContainer({ command: [node, '-e', 'process.exit(3)'] })] });
    const arn = (await op(provider, 'RunTask', { taskDefinition: 'quit' })).tasks[0].taskArn;
    const stopped = await waitFor(async () => {
      const t = await taskOf(provider, arn);
      return t.lastStatus === 'STOPPED' && t;
    }, 'STOPPED');
    assert.equal(stopped.stopCode, 'EssentialContainerExited');
    assert.equal(stopped.stoppedReason, 'Essential container in task exited');
    assert.equal(stopped.containers[0].exitCode, 3);
  });

  test('gives the process its environment, secrets from the data directory, AWS_ENDPOINT_URL and the port mapping, and keeps its output as a log stream', async () => {
    const platform = fakePlatform();
    mkdirSync(join(platform.dataDir, 'ecs', 'secrets'), { recursive: true });
    writeFileSync(join(platform.dataDir, 'ecs', 'secrets', 'db-password'), 's3cret\n');
    const { provider } = newProvider(platform);
    const script = "console.log(JSON.stringify({ g: process.env.GREETING, s: process.env.DB_PASSWORD, e: process.env.AWS_ENDPOINT_URL, p: process.env.ATOLL_PORT_8080, port: process.env.PORT, home: process.env.ATOLL_PARENT_ONLY ?? null }))";
    process.env.ATOLL_PARENT_ONLY = 'x';
    await op(provider, 'RegisterTaskDefinition', {
      family: 'envy',
      containerDefinitions: [
        webContainer({
          command: [node, '-e', script],
          secrets: [{ name: 'DB_PASSWORD', valueFrom: 'arn:aws:ssm:us-east-1:000000000000:parameter/prod/db-password' }],
          logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/envy', 'awslogs-stream-prefix': 'app' } },
        }),
      ],
    });
    const arn = (await op(provider, 'RunTask', { taskDefinition: 'envy' })).tasks[0].taskArn;
    const stopped = await waitFor(async () => {
      const t = await taskOf(provider, arn);
      return t.lastStatus === 'STOPPED' && t;
    }, 'STOPPED');
    delete process.env.ATOLL_PARENT_ONLY;
    const stored = (await provider.store.getTask(ctx, arn.split('/').pop()!))!;
    assert.equal(stored.internal.logStreams[0]!.logGroup, '/ecs/envy');
    assert.equal(stored.internal.logStreams[0]!.logStream, `app/web/${arn.split('/').pop()}`);
    const events = readLogStream(stored.internal.logStreams[0]!.file);
    const seen = JSON.parse(events[0]!.message);
    const hostPort = String(stopped.containers[0].networkBindings[0].hostPort);
    assert.deepEqual(seen, { g: 'world', s: 's3cret', e: 'http://127.0.0.1:4566', p: hostPort, port: hostPort, home: null });
  });

  test('stops a task whose secret is missing with a ResourceInitializationError', async () => {
    const { provider } = newProvider();
    await op(provider, 'RegisterTaskDefinition', {
      family: 'nosecret',
      containerDefinitions: [webContainer({ secrets: [{ name: 'X', valueFrom: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:absent' }] })],
    });
    const arn = (await op(provider, 'RunTask', { taskDefinition: 'nosecret' })).tasks[0].taskArn;
    const stopped = await waitFor(async () => {
      const t = await taskOf(provider, arn);
      return t.lastStatus === 'STOPPED' && t;
    }, 'STOPPED');
    assert.equal(stopped.stopCode, 'TaskFailedToStart');
    assert.match(stopped.stoppedReason, /^ResourceInitializationError: unable to pull secrets/);
  });

  test('reports RESOURCE:PORTS when a fixed host port is already taken', async () => {
    const { provider } = newProvider();
    const server = (await import('node:net')).createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await op(provider, 'RegisterTaskDefinition', {
      family: 'fixed',
      networkMode: 'bridge',
      containerDefinitions: [webContainer({ portMappings: [{ containerPort: 8080, hostPort: port }] })],
    });
    const run = await op(provider, 'RunTask', { taskDefinition: 'fixed' });
    server.close();
    assert.equal(run.tasks.length, 0);
    assert.equal(run.failures[0].reason, 'RESOURCE:PORTS');
  });

  test('answers ECS errors for unknown clusters, tasks and task definitions', async () => {
    const { provider } = newProvider();
    await assert.rejects(op(provider, 'ListTasks', { cluster: 'nope' }), (e: any) => e.name === 'ClusterNotFoundException' && e.message === 'Cluster not found.');
    await assert.rejects(op(provider, 'RunTask', { taskDefinition: 'ghost' }), (e: any) => e.name === 'InvalidParameterException' && e.message === 'TaskDefinition not found.');
    await assert.rejects(op(provider, 'StopTask', { task: 'abc' }), (e: any) => e.name === 'InvalidParameterException' && e.message === 'The referenced task was not found.');
    const d = await op(provider, 'DescribeTasks', { tasks: ['0123'] });
    assert.deepEqual(d.failures, [{ arn: '0123', reason: 'MISSING' }]);
  });

  test('marks tasks that were running before a platform restart as STOPPED and kills their leftover processes', async () => {
    const platform = fakePlatform();
    const { provider: first } = newProvider(platform);
    await op(first, 'RegisterTaskDefinition', { family: 'web', containerDefinitions: [webContainer()] });
    const arn = (await op(first, 'RunTask', { taskDefinition: 'web' })).tasks[0].taskArn;
    await waitFor(async () => (await taskOf(first, arn)).lastStatus === 'RUNNING', 'RUNNING');
    const pid = (await first.store.getTask(ctx, arn.split('/').pop()!))!.internal.processes[0]!.pid;
    first.scheduler.close();
    const second = new EcsProvider(platform, { intervalMs: 100 });
    second.start();
    providers.push(second);
    const t = await taskOf(second, arn);
    assert.equal(t.lastStatus, 'STOPPED');
    assert.equal(t.stoppedReason, 'Task stopped because the platform restarted');
    await waitFor(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 'leftover process to die');
  });
});

describe('services', () => {
  test('keeps the desired count by replacing a task whose process was killed', async () => {
    const { provider } = newProvider();
    await op(provider, 'RegisterTaskDefinition', { family: 'web', containerDefinitions: [webContainer()] });
    const created = await op(provider, 'CreateService', { serviceName: 'web', taskDefinition: 'web', desiredCount: 2 });
    assert.equal(created.service.status, 'ACTIVE');
    assert.equal(created.service.deployments[0].rolloutState, 'IN_PROGRESS');
    const steady = await waitFor(async () => {
      const s = await serviceOf(provider, 'web');
      return s.events.some((e: any) => e.message === '(service web) has reached a steady state.') && s;
    }, 'steady state');
    assert.equal(steady.runningCount, 2);
    assert.equal(steady.deployments[0].rolloutState, 'COMPLETED');
    assert.match(steady.events.at(-1).message, /^\(service web\) has started 2 tasks: \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\)\.$/);
    const [victim] = (await op(provider, 'ListTasks', { serviceName: 'web' })).taskArns;
    const pid = (await provider.store.getTask(ctx, victim.split('/').pop()!))!.internal.processes[0]!.pid;
    process.kill(-pid, 'SIGKILL');
    const dead = await waitFor(async () => {
      const t = await taskOf(provider, victim);
      return t.lastStatus === 'STOPPED' && t;
    }, 'victim STOPPED');
    assert.equal(dead.containers[0].exitCode, 137);
    await waitFor(async () => {
      const arns = (await op(provider, 'ListTasks', { serviceName: 'web' })).taskArns as string[];
      const s = await serviceOf(provider, 'web');
      return arns.length === 2 && !arns.includes(victim) && s.runningCount === 2;
    }, 'replacement');
    await op(provider, 'DeleteService', { service: 'web', force: true });
    await waitFor(async () => (await serviceOf(provider, 'web')).status === 'INACTIVE', 'INACTIVE');
  });

  test('backs off exponentially instead of restarting a command that exits at once', async () => {
    const { provider } = newProvider(undefined, { backoffBaseMs: 300, backoffMaxMs: 5000 });
    await op(provider, 'RegisterTaskDefinition', { family: 'crash', containerDefinitions: [webContainer({ command: [node, '-e', 'process.exit(1)'] })] });
    await op(provider, 'CreateService', { serviceName: 'crash', taskDefinition: 'crash', desiredCount: 1 });
    const s = await waitFor(async () => {
      const svc = await serviceOf(provider, 'crash');
      return svc.events.some((e: any) => /is unable to consistently start tasks successfully/.test(e.message)) && svc;
    }, 'backoff event');
    assert.ok(s.deployments[0].failedTasks >= 3);
    const stopped = (await provider.store.listTasks(ctx, 'default')).filter((t) => t.internal.serviceName === 'crash');
    const starts = stopped.map((t) => Date.parse(t.task.createdAt)).sort((a, b) => a - b);
    // Each wait is at least the previous one's double (less 10% jitter): 300, 600 ms …
    assert.ok(starts[2]! - starts[1]! >= 0.9 * 600, `third start came ${starts[2]! - starts[1]!} ms after the second`);
    await op(provider, 'DeleteService', { service: 'crash', force: true });
  });

  test('rolls a deployment within the healthy percentages, waiting for container health checks', async () => {
    const { provider } = newProvider();
    const health = { command: ['CMD-SHELL', `${node} -e "fetch('http://127.0.0.1:'+process.env.PORT).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"`], interval: 5, timeout: 2, retries: 2 };
    await op(provider, 'RegisterTaskDefinition', { family: 'roll', containerDefinitions: [webContainer({ healthCheck: health })] });
    await op(provider, 'RegisterTaskDefinition', {
      family: 'roll',
      containerDefinitions: [webContainer({ healthCheck: health, environment: [{ name: 'GREETING', value: 'v2' }] })],
    });
    await op(provider, 'CreateService', {
      serviceName: 'roll',
      taskDefinition: 'roll:1',
      desiredCount: 2,
      deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 150 },
    });
    await waitFor(async () => (await serviceOf(provider, 'roll')).deployments[0].rolloutState === 'COMPLETED', 'first rollout');
    const updated = await op(provider, 'UpdateService', { service: 'roll', taskDefinition: 'roll:2' });
    assert.deepEqual(updated.service.deployments.map((d: any) => d.status), ['PRIMARY', 'ACTIVE']);
    let maxLive = 0;
    const done = await waitFor(async () => {
      const live = (await provider.store.listTasks(ctx, 'default')).filter((t) => t.internal.serviceName === 'roll' && t.task.desiredStatus === 'RUNNING');
      maxLive = Math.max(maxLive, live.length);
      const s = await serviceOf(provider, 'roll');
      return s.deployments.length === 1 && s.deployments[0].rolloutState === 'COMPLETED' && s;
    }, 'second rollout');
    assert.ok(maxLive <= 3, `at most 150% of 2 tasks run at once (saw ${maxLive})`);
    assert.match(done.taskDefinition, /roll:2$/);
    const live = (await op(provider, 'ListTasks', { serviceName: 'roll' })).taskArns;
    const tasks = (await op(provider, 'DescribeTasks', { tasks: live })).tasks;
    assert.deepEqual(tasks.map((t: any) => [t.taskDefinitionArn.split('/')[1], t.healthStatus]), [
      ['roll:2', 'HEALTHY'],
      ['roll:2', 'HEALTHY'],
    ]);
    assert.ok(done.events.some((e: any) => /\(deployment ecs-svc\/\d{19}\) deployment completed\.$/.test(e.message)));
    await op(provider, 'DeleteService', { service: 'roll', force: true });
  });

  test('rolls back a failing deployment with the circuit breaker', async () => {
    const { provider } = newProvider(undefined, { backoffBaseMs: 50, backoffMaxMs: 200 });
    await op(provider, 'RegisterTaskDefinition', { family: 'cb', containerDefinitions: [webContainer()] });
    await op(provider, 'RegisterTaskDefinition', { family: 'cb', containerDefinitions: [webContainer({ command: [node, '-e', 'process.exit(2)'] })] });
    await op(provider, 'CreateService', {
      serviceName: 'cb',
      taskDefinition: 'cb:1',
      desiredCount: 1,
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
    });
    await waitFor(async () => (await serviceOf(provider, 'cb')).deployments[0].rolloutState === 'COMPLETED', 'first rollout');
    await op(provider, 'UpdateService', { service: 'cb', taskDefinition: 'cb:2' });
    const rolledBack = await waitFor(async () => {
      const s = await serviceOf(provider, 'cb');
      return s.events.some((e: any) => /rolling back to deployment/.test(e.message)) && s.deployments.length === 1 && s.deployments[0].rolloutState === 'COMPLETED' && s;
    }, 'rollback');
    assert.match(rolledBack.taskDefinition, /cb:1$/);
    assert.ok(rolledBack.events.some((e: any) => /^\(service cb\) \(deployment ecs-svc\/\d+\) deployment failed: tasks failed to start\.$/.test(e.message)));
    await op(provider, 'DeleteService', { service: 'cb', force: true });
  });

  test('registers tasks into their target group and deregisters them, with draining, before stopping them', async () => {
    const { provider, platform } = newProvider();
    platform.deregistrationDelay = 1;
    const tg = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef';
    await op(provider, 'RegisterTaskDefinition', { family: 'lb', containerDefinitions: [webContainer()] });
    await op(provider, 'CreateService', {
      serviceName: 'lb',
      taskDefinition: 'lb',
      desiredCount: 1,
      loadBalancers: [{ targetGroupArn: tg, containerName: 'web', containerPort: 8080 }],
    });
    const s = await waitFor(async () => {
      const svc = await serviceOf(provider, 'lb');
      return svc.events.some((e: any) => /has reached a steady state/.test(e.message)) && svc;
    }, 'steady');
    assert.ok(s.events.some((e: any) => e.message === `(service lb) registered 1 targets in (target-group ${tg})`));
    const [arn] = (await op(provider, 'ListTasks', { serviceName: 'lb' })).taskArns;
    const task = await taskOf(provider, arn);
    const port = task.containers[0].networkBindings[0].hostPort;
    const reg = platform.elbCalls.find((c) => c.operation === 'RegisterTargets')!;
    assert.deepEqual(reg.input, { TargetGroupArn: tg, Targets: [{ Id: '127.0.0.1', Port: port }] });
    await op(provider, 'UpdateService', { service: 'lb', desiredCount: 0 });
    const draining = await waitFor(async () => {
      const t = await taskOf(provider, arn);
      return t.lastStatus === 'DEACTIVATING' && t;
    }, 'DEACTIVATING');
    assert.equal(draining.desiredStatus, 'STOPPED');
    const stopped = await waitFor(async () => {
      const t = await taskOf(provider, arn);
      return t.lastStatus === 'STOPPED' && t;
    }, 'STOPPED');
    const dereg = platform.elbCalls.find((c) => c.operation === 'DeregisterTargets')!;
    assert.deepEqual(dereg.input, { TargetGroupArn: tg, Targets: [{ Id: '127.0.0.1', Port: port }] });
    assert.ok(stopped.executionStoppedAt.getTime() - dereg.at >= 900, 'the process is stopped after the deregistration delay');
    await assert.rejects(
      op(provider, 'CreateService', { serviceName: 'lb2', taskDefinition: 'lb', desiredCount: 1, loadBalancers: [{ targetGroupArn: tg, containerName: 'web', containerPort: 9999 }] }),
      (e: any) => e.name === 'InvalidParameterException' && e.message === 'The container web did not have a container port 9999 defined.',
    );
  });

  test('replaces a task whose container health check fails', async () => {
    const { provider } = newProvider();
    await op(provider, 'RegisterTaskDefinition', {
      family: 'sick',
      containerDefinitions: [webContainer({ healthCheck: { command: ['CMD-SHELL', 'exit 1'], interval: 5, timeout: 2, retries: 1 } })],
    });
    await op(provider, 'CreateService', { serviceName: 'sick', taskDefinition: 'sick', desiredCount: 1 });
    await waitFor(async () => {
      const svc = await serviceOf(provider, 'sick');
      return svc.events.some((e: any) => /^\(service sick\) \(task [0-9a-f]{32}\) failed container health checks\.$/.test(e.message)) && svc;
    }, 'health check event');
    const stopped = await waitFor(
      async () => (await provider.store.listTasks(ctx, 'default')).find((t) => t.internal.serviceName === 'sick' && t.task.lastStatus === 'STOPPED'),
      'stopped task',
    );
    assert.equal(stopped.task.stopCode, 'ServiceSchedulerInitiated');
    assert.equal(stopped.task.stoppedReason, 'Task failed container health checks');
    assert.equal(stopped.task.healthStatus, 'UNHEALTHY');
    await op(provider, 'DeleteService', { service: 'sick', force: true });
  });

  test('marks a failing deployment FAILED and stops launching when the circuit breaker has no rollback', async () => {
    const { provider } = newProvider(undefined, { backoffBaseMs: 50, backoffMaxMs: 100 });
    await op(provider, 'RegisterTaskDefinition', { family: 'nob', containerDefinitions: [webContainer({ command: [node, '-e', 'process.exit(9)'] })] });
    await op(provider, 'CreateService', {
      serviceName: 'nob',
      taskDefinition: 'nob',
      desiredCount: 2,
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } },
    });
    const failed = await waitFor(async () => {
      const svc = await serviceOf(provider, 'nob');
      return svc.deployments[0].rolloutState === 'FAILED' && svc;
    }, 'FAILED rollout');
    assert.equal(failed.deployments[0].rolloutStateReason, 'ECS deployment circuit breaker: tasks failed to start.');
    assert.ok(failed.deployments[0].failedTasks >= 3);
    await waitFor(async () => (await provider.store.listTasks(ctx, 'default')).filter((t) => t.internal.serviceName === 'nob').every((t) => t.task.lastStatus === 'STOPPED'), 'all stopped');
    const count = (await provider.store.listTasks(ctx, 'default')).filter((t) => t.internal.serviceName === 'nob').length;
    await provider.scheduler.tick();
    assert.equal((await provider.store.listTasks(ctx, 'default')).filter((t) => t.internal.serviceName === 'nob').length, count, 'no task is started after the breaker tripped');
    await op(provider, 'DeleteService', { service: 'nob', force: true });
  });

  test('kills a task whose container exceeds its memory and reports OutOfMemoryError', async () => {
    const { provider } = newProvider();
    await op(provider, 'RegisterTaskDefinition', {
      family: 'hog',
      containerDefinitions: [webContainer({ memory: 96, command: [node, '-e', 'const a = []; setInterval(() => a.push(Buffer.alloc(8 << 20, 1)), 20)'] })],
    });
    const arn = (await op(provider, 'RunTask', { taskDefinition: 'hog' })).tasks[0].taskArn;
    const stopped = await waitFor(async () => {
      const t = await taskOf(provider, arn);
      return t.lastStatus === 'STOPPED' && t;
    }, 'STOPPED');
    assert.equal(stopped.stopCode, 'EssentialContainerExited');
    assert.equal(stopped.containers[0].exitCode, 137);
    assert.match(stopped.containers[0].reason, /^OutOfMemoryError: Container killed due to memory usage/);
  });

  test('answers ECS errors for services', async () => {
    const { provider } = newProvider();
    await op(provider, 'RegisterTaskDefinition', { family: 'web', containerDefinitions: [webContainer()] });
    await op(provider, 'CreateService', { serviceName: 'dup', taskDefinition: 'web', desiredCount: 0 });
    await assert.rejects(op(provider, 'CreateService', { serviceName: 'dup', taskDefinition: 'web', desiredCount: 0 }), (e: any) => e.name === 'InvalidParameterException' && e.message === 'Creation of service was not idempotent.');
    await assert.rejects(op(provider, 'UpdateService', { service: 'ghost', desiredCount: 1 }), (e: any) => e.name === 'ServiceNotFoundException');
    await op(provider, 'UpdateService', { service: 'dup', desiredCount: 1 });
    await assert.rejects(op(provider, 'DeleteService', { service: 'dup' }), (e: any) => e.name === 'InvalidParameterException' && e.message === 'The service cannot be stopped while it is scaled above 0.');
    await assert.rejects(op(provider, 'DeleteCluster', { cluster: 'default' }), (e: any) => e.name === 'ClusterContainsServicesException');
    const d = await op(provider, 'DescribeServices', { services: ['ghost'] });
    assert.equal(d.failures[0].reason, 'MISSING');
    await op(provider, 'DeleteService', { service: 'dup', force: true });
  });

  test('records cluster settings and Fargate capacity providers, and refuses to delete a cluster with running tasks', async () => {
    const { provider } = newProvider();
    await op(provider, 'CreateCluster', { clusterName: 'apps' });
    await op(provider, 'UpdateClusterSettings', { cluster: 'apps', settings: [{ name: 'containerInsights', value: 'enabled' }] });
    const put = await op(provider, 'PutClusterCapacityProviders', {
      cluster: 'apps',
      capacityProviders: ['FARGATE'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
    });
    assert.deepEqual(put.cluster.settings, [{ name: 'containerInsights', value: 'enabled' }]);
    assert.deepEqual(put.cluster.capacityProviders, ['FARGATE']);
    await assert.rejects(
      op(provider, 'PutClusterCapacityProviders', { cluster: 'apps', capacityProviders: ['mine'], defaultCapacityProviderStrategy: [] }),
      (e: any) => e.name === 'InvalidParameterException',
    );
    await op(provider, 'RegisterTaskDefinition', { family: 'web', containerDefinitions: [webContainer()] });
    const arn = (await op(provider, 'RunTask', { cluster: 'apps', taskDefinition: 'web' })).tasks[0].taskArn;
    await assert.rejects(op(provider, 'DeleteCluster', { cluster: 'apps' }), (e: any) => e.name === 'ClusterContainsTasksException' && e.message === 'The Cluster cannot be deleted while Tasks are active.');
    await op(provider, 'StopTask', { cluster: 'apps', task: arn });
    await waitFor(async () => (await taskOf(provider, arn, 'apps')).lastStatus === 'STOPPED', 'STOPPED');
    const deleted = await op(provider, 'DeleteCluster', { cluster: 'apps' });
    assert.equal(deleted.cluster.status, 'INACTIVE');
    await assert.rejects(op(provider, 'ListTasks', { cluster: 'apps' }), (e: any) => e.name === 'ClusterNotFoundException');
    assert.deepEqual((await op(provider, 'ListClusters', {})).clusterArns, []);
  });

  test('tags clusters, services and task definitions', async () => {
    const { provider } = newProvider();
    const cluster = (await op(provider, 'CreateCluster', { clusterName: 'tagged', tags: [{ key: 'team', value: 'a' }] })).cluster;
    await op(provider, 'TagResource', { resourceArn: cluster.clusterArn, tags: [{ key: 'env', value: 'dev' }, { key: 'team', value: 'b' }] });
    await op(provider, 'UntagResource', { resourceArn: cluster.clusterArn, tagKeys: ['env'] });
    assert.deepEqual((await op(provider, 'ListTagsForResource', { resourceArn: cluster.clusterArn })).tags, [{ key: 'team', value: 'b' }]);
    const described = await op(provider, 'DescribeClusters', { clusters: ['tagged'], include: ['TAGS'] });
    assert.deepEqual(described.clusters[0].tags, [{ key: 'team', value: 'b' }]);
  });
});
