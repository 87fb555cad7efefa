// Crash recovery: a platform killed with SIGKILL leaves task processes behind; the next start kills
// them, marks their tasks STOPPED, and the service starts replacements.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ECSClient,
  CreateServiceCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  waitUntilServicesStable,
} from '@aws-sdk/client-ecs';
import { spawnPlatform } from '@atoll/test-support';

const node = process.execPath;

function client(endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }) {
  return new ECSClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
}

/** True while the process exists and is not a zombie (an orphan's zombie may never be reaped in a container). */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  return !alive(pid);
}

describe('ECS after a platform crash', () => {
  test('stops the tasks that were running with "Task stopped because the platform restarted" and replaces them', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'atoll-ecs-restart-'));
    const first = await spawnPlatform({ dataDir, services: ['ecs'] });
    let ecs = client(first.endpoint, first.credentials);
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'sleeper',
        containerDefinitions: [{ name: 'main', image: 'process', memory: 64, command: [node, '-e', 'console.log(process.pid); setInterval(() => {}, 1000)'] }],
      }),
    );
    await ecs.send(new CreateServiceCommand({ serviceName: 'sleeper', taskDefinition: 'sleeper', desiredCount: 1 }));
    await waitUntilServicesStable({ client: ecs, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { services: ['sleeper'] });
    const [before] = (await ecs.send(new ListTasksCommand({ serviceName: 'sleeper' }))).taskArns!;
    const pid = Number((await ecs.send(new DescribeTasksCommand({ tasks: [before!] }))).tasks![0]!.containers![0]!.runtimeId!.split('-').pop());
    assert.ok(alive(pid));
    ecs.destroy();
    await first.kill('SIGKILL');
    assert.ok(alive(pid), 'the task process outlives the killed platform');

    const second = await spawnPlatform({ dataDir, services: ['ecs'] });
    ecs = client(second.endpoint, second.credentials);
    try {
      const old = (await ecs.send(new DescribeTasksCommand({ tasks: [before!] }))).tasks![0]!;
      assert.equal(old.lastStatus, 'STOPPED');
      assert.equal(old.stoppedReason, 'Task stopped because the platform restarted');
      assert.ok(await gone(pid), 'the leftover process was killed');
      await waitUntilServicesStable({ client: ecs, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { services: ['sleeper'] });
      const after = (await ecs.send(new ListTasksCommand({ serviceName: 'sleeper' }))).taskArns!;
      assert.equal(after.length, 1);
      assert.notEqual(after[0], before);
    } finally {
      ecs.destroy();
      await second.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('stops every task on a graceful shutdown and reports it after the next start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'atoll-ecs-shutdown-'));
    const first = await spawnPlatform({ dataDir, services: ['ecs'] });
    let ecs = client(first.endpoint, first.credentials);
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'sleeper',
        containerDefinitions: [{ name: 'main', image: 'process', memory: 64, command: [node, '-e', 'setInterval(() => {}, 1000)'], stopTimeout: 2 }],
      }),
    );
    await ecs.send(new CreateServiceCommand({ serviceName: 'sleeper', taskDefinition: 'sleeper', desiredCount: 1 }));
    await waitUntilServicesStable({ client: ecs, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { services: ['sleeper'] });
    const [taskArn] = (await ecs.send(new ListTasksCommand({ serviceName: 'sleeper' }))).taskArns!;
    const pid = Number((await ecs.send(new DescribeTasksCommand({ tasks: [taskArn!] }))).tasks![0]!.containers![0]!.runtimeId!.split('-').pop());
    ecs.destroy();
    const exit = await first.kill('SIGTERM');
    assert.equal(exit.code, 0);
    assert.ok(await gone(pid), 'the task process was stopped');
    const second = await spawnPlatform({ dataDir, services: ['ecs'] });
    ecs = client(second.endpoint, second.credentials);
    try {
      const task = (await ecs.send(new DescribeTasksCommand({ tasks: [taskArn!] }))).tasks![0]!;
      assert.equal(task.lastStatus, 'STOPPED');
      assert.equal(task.stoppedReason, 'Task stopped because the platform shut down');
      assert.equal(task.containers![0]!.exitCode, 143);
    } finally {
      ecs.destroy();
      await second.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
