// Two ECS nodes over one PostgreSQL database: workloads run on the node that leads the scheduler,
// the other node queues RunTask and records StopTask for it, and when the leader dies the other node
// takes over: the dead node's tasks are STOPPED and the service gets back to its desired count.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { StorageBackend } from '@atoll/core';
import { forEachEngine } from '@atoll/test-support';
import { EcsProvider } from '../src/ecs-provider.js';
import { fakePlatform, requestContext, waitFor } from './fake-platform.js';

const ctx = requestContext();
const node = process.execPath;
const SERVER = "require('http').createServer((q, r) => r.end('hello')).listen(process.env.PORT)";
const ROLE = 'ecs:scheduler';
const providers: EcsProvider[] = [];

after(async () => {
  for (const p of providers) await p.close().catch(() => {});
});

const op = async (p: EcsProvider, name: string, input: Record<string, unknown>): Promise<any> => p.operations[name]!(input, ctx);

function provider(storage: StorageBackend): EcsProvider {
  const p = new EcsProvider({ ...fakePlatform(), storage }, { intervalMs: 100, defaultStopTimeoutMs: 2000, stableAfterMs: 500, backoffBaseMs: 100, backoffMaxMs: 500 });
  providers.push(p);
  return p;
}

await forEachEngine('ECS on two nodes', (engine) => {
  const skip = engine.engine === 'sqlite' ? 'several nodes need PostgreSQL' : false;

  test('runs tasks on the leader, and after the leader dies the other node stops its tasks and restores the service', { skip }, async () => {
    const storages = [await engine.open(), await engine.node()];
    const nodes = storages.map(provider);
    for (const n of nodes) await n.start();
    const leaderAt = await waitFor(() => {
      const at = storages.findIndex((s) => s.leadership.isLeader(ROLE));
      return at >= 0 && at + 1;
    }, 'a leader');
    const leader = nodes[leaderAt - 1]!;
    const follower = nodes[2 - leaderAt]!;
    const leaderStorage = storages[leaderAt - 1]!;

    await op(follower, 'RegisterTaskDefinition', {
      family: 'web',
      containerDefinitions: [{ name: 'web', image: 'node:20', memory: 128, command: [node, '-e', SERVER], portMappings: [{ containerPort: 8080 }], stopTimeout: 2 }],
    });
    const run = await op(follower, 'RunTask', { taskDefinition: 'web' });
    assert.equal(run.tasks[0].lastStatus, 'PROVISIONING', 'queued for the leader');
    const arn: string = run.tasks[0].taskArn;
    const running = await waitFor(async () => {
      const t = (await op(follower, 'DescribeTasks', { tasks: [arn] })).tasks[0];
      return t.lastStatus === 'RUNNING' && t;
    }, 'the queued task RUNNING');
    assert.ok(running.containers[0].networkBindings[0].hostPort > 0);
    const stored = (await leader.store.getTask(ctx, arn.split('/').pop()!))!;
    assert.equal(stored.internal.node, leader.runner.nodeId, 'the leader runs it');

    const stopping = await op(follower, 'StopTask', { task: arn, reason: 'done' });
    assert.equal(stopping.task.desiredStatus, 'STOPPED');
    const stopped = await waitFor(async () => {
      const t = (await op(follower, 'DescribeTasks', { tasks: [arn] })).tasks[0];
      return t.lastStatus === 'STOPPED' && t;
    }, 'the task STOPPED by the leader');
    assert.equal(stopped.stoppedReason, 'done');
    assert.equal(stopped.containers[0].exitCode, 143);

    await op(follower, 'CreateService', { serviceName: 'svc', taskDefinition: 'web', desiredCount: 1 });
    const [first] = await waitFor(async () => {
      const arns = (await op(follower, 'ListTasks', { serviceName: 'svc' })).taskArns as string[];
      const t = arns.length === 1 && (await op(follower, 'DescribeTasks', { tasks: arns })).tasks[0];
      return t && t.lastStatus === 'RUNNING' && arns;
    }, 'the service task RUNNING');

    // The leader dies: its scheduler stops without stopping its tasks, and its connections go.
    leader.scheduler.close();
    await leaderStorage.close();
    await waitFor(() => storages[2 - leaderAt]!.leadership.isLeader(ROLE), 'the follower to lead');
    const left = await waitFor(async () => {
      const t = (await op(follower, 'DescribeTasks', { tasks: [first] })).tasks[0];
      return t.lastStatus === 'STOPPED' && t;
    }, "the dead leader's task STOPPED");
    assert.equal(left.stoppedReason, 'Task stopped because the platform restarted');
    await waitFor(async () => {
      const arns = (await op(follower, 'ListTasks', { serviceName: 'svc' })).taskArns as string[];
      const s = (await op(follower, 'DescribeServices', { services: ['svc'] })).services[0];
      return arns.length === 1 && arns[0] !== first && s.runningCount === 1;
    }, 'a replacement on the new leader');
    await op(follower, 'DeleteService', { service: 'svc', force: true });
    await waitFor(async () => (await op(follower, 'DescribeServices', { services: ['svc'] })).services[0].status === 'INACTIVE', 'INACTIVE');
  });
});
