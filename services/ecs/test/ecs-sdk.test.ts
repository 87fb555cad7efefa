// End to end through @aws-sdk/client-ecs against a real platform on port 0.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  ECSClient,
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListServicesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  UpdateServiceCommand,
  waitUntilServicesStable,
  waitUntilTasksRunning,
  waitUntilTasksStopped,
} from '@aws-sdk/client-ecs';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

const node = process.execPath;
const SERVER = "require('http').createServer((q, r) => r.end('v=' + process.env.VERSION)).listen(process.env.PORT)";
let platform: TestPlatform;
let ecs: ECSClient;

const container = (version: string) => ({
  name: 'app',
  image: 'node:20',
  memory: 256,
  command: [node, '-e', SERVER],
  portMappings: [{ containerPort: 3000 }],
  environment: [{ name: 'VERSION', value: version }],
  stopTimeout: 2,
});

describe('ECS through the SDK', () => {
  before(async () => {
    platform = await startPlatform({ services: ['ecs'] });
    ecs = platform.client(ECSClient);
    await ecs.send(new CreateClusterCommand({ clusterName: 'e2e' }));
  });
  after(async () => {
    await platform?.stop();
  });

  test('runs a task serving HTTP on its mapped port and stops it with its exit code', async () => {
    await ecs.send(new RegisterTaskDefinitionCommand({ family: 'hello', containerDefinitions: [container('1')] }));
    const run = await ecs.send(new RunTaskCommand({ cluster: 'e2e', taskDefinition: 'hello' }));
    const taskArn = run.tasks![0]!.taskArn!;
    await waitUntilTasksRunning({ client: ecs, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { cluster: 'e2e', tasks: [taskArn] });
    const running = (await ecs.send(new DescribeTasksCommand({ cluster: 'e2e', tasks: [taskArn] }))).tasks![0]!;
    const hostPort = running.containers![0]!.networkBindings![0]!.hostPort!;
    let body = '';
    for (let i = 0; i < 100 && !body; i++) {
      body = await fetch(`http://127.0.0.1:${hostPort}/`).then((r) => r.text(), () => '');
      if (!body) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(body, 'v=1');
    await ecs.send(new StopTaskCommand({ cluster: 'e2e', task: taskArn, reason: 'test over' }));
    await waitUntilTasksStopped({ client: ecs, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { cluster: 'e2e', tasks: [taskArn] });
    const stopped = (await ecs.send(new DescribeTasksCommand({ cluster: 'e2e', tasks: [taskArn] }))).tasks![0]!;
    assert.equal(stopped.lastStatus, 'STOPPED');
    assert.equal(stopped.stoppedReason, 'test over');
    assert.equal(stopped.stopCode, 'UserInitiated');
    assert.equal(stopped.containers![0]!.exitCode, 143);
    assert.ok(stopped.stoppedAt instanceof Date);
  });

  test('creates a service that the servicesStable waiter sees stable, and rolls it to a new revision', async () => {
    const v1 = await ecs.send(new RegisterTaskDefinitionCommand({ family: 'svc', containerDefinitions: [container('1')] }));
    const v2 = await ecs.send(new RegisterTaskDefinitionCommand({ family: 'svc', containerDefinitions: [container('2')] }));
    await ecs.send(
      new CreateServiceCommand({ cluster: 'e2e', serviceName: 'api', taskDefinition: v1.taskDefinition!.taskDefinitionArn, desiredCount: 2 }),
    );
    await waitUntilServicesStable({ client: ecs, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { cluster: 'e2e', services: ['api'] });
    await ecs.send(new UpdateServiceCommand({ cluster: 'e2e', service: 'api', taskDefinition: v2.taskDefinition!.taskDefinitionArn }));
    await waitUntilServicesStable({ client: ecs, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { cluster: 'e2e', services: ['api'] });
    // The waiter only counts RUNNING tasks; the rollout completes once they have proven healthy.
    let service = (await ecs.send(new DescribeServicesCommand({ cluster: 'e2e', services: ['api'] }))).services![0]!;
    for (let i = 0; i < 200 && service.deployments![0]!.rolloutState !== 'COMPLETED'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      service = (await ecs.send(new DescribeServicesCommand({ cluster: 'e2e', services: ['api'] }))).services![0]!;
    }
    assert.equal(service.runningCount, 2);
    assert.equal(service.deployments!.length, 1);
    assert.equal(service.deployments![0]!.rolloutState, 'COMPLETED');
    assert.equal(service.taskDefinition, v2.taskDefinition!.taskDefinitionArn);
    assert.ok(service.events!.some((e) => e.message === '(service api) has reached a steady state.'));
    const tasks = (await ecs.send(new ListTasksCommand({ cluster: 'e2e', serviceName: 'api' }))).taskArns!;
    const described = (await ecs.send(new DescribeTasksCommand({ cluster: 'e2e', tasks }))).tasks!;
    assert.deepEqual(described.map((t) => t.taskDefinitionArn), [v2.taskDefinition!.taskDefinitionArn, v2.taskDefinition!.taskDefinitionArn]);
    assert.deepEqual((await ecs.send(new ListServicesCommand({ cluster: 'e2e' }))).serviceArns, [service.serviceArn]);
    await ecs.send(new DeleteServiceCommand({ cluster: 'e2e', service: 'api', force: true }));
  });

  test('answers ClusterNotFoundException, ServiceNotFoundException, InvalidParameterException and ClientException', async () => {
    const expectError = async (promise: Promise<unknown>, name: string, message?: string) => {
      await assert.rejects(promise, (err: any) => {
        assert.equal(err.name, name);
        assert.equal(err.$metadata.httpStatusCode, 400);
        if (message) assert.equal(err.message, message);
        return true;
      });
    };
    await expectError(ecs.send(new ListServicesCommand({ cluster: 'nowhere' })), 'ClusterNotFoundException', 'Cluster not found.');
    await expectError(ecs.send(new UpdateServiceCommand({ cluster: 'e2e', service: 'ghost', desiredCount: 1 })), 'ServiceNotFoundException', 'Service not found.');
    await expectError(ecs.send(new RunTaskCommand({ cluster: 'e2e', taskDefinition: 'ghost:1' })), 'InvalidParameterException', 'TaskDefinition not found.');
    await expectError(ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'ghost:1' })), 'ClientException', 'Unable to describe task definition.');
    await expectError(
      ecs.send(new RegisterTaskDefinitionCommand({ family: 'img', containerDefinitions: [{ name: 'web', image: 'nginx', memory: 64 }] })),
      'ClientException',
    );
  });
});
