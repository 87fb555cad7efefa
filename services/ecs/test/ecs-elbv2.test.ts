// ECS services behind an ELBv2 application load balancer, end to end through both SDK clients:
// tasks are registered into the target group, traffic reaches them through the listener, and
// scaled-in tasks are deregistered (draining) before they stop.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import {
  ECSClient,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  ElasticLoadBalancingV2Client,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ModifyTargetGroupAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { type TestPlatform, startPlatform, until } from '@atoll/test-support';

const node = process.execPath;
const APP = "require('http').createServer((q, r) => r.end('task ' + process.env.ATOLL_TASK_ARN.split('/').pop())).listen(process.env.PORT, '127.0.0.1')";
let platform: TestPlatform;
let ecs: ECSClient;
let elb: ElasticLoadBalancingV2Client;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}


describe('ECS services behind an application load balancer', () => {
  before(async () => {
    platform = await startPlatform({ services: ['ecs', 'elbv2'] });
    ecs = platform.client(ECSClient);
    elb = platform.client(ElasticLoadBalancingV2Client);
  });
  after(async () => {
    await platform?.stop();
  });

  test('registers each task on its host port, serves traffic through the listener and deregisters scaled-in tasks', async () => {
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'ecs-e2e', Type: 'application', Subnets: ['subnet-a', 'subnet-b'] }))).LoadBalancers![0]!;
    const tg = (
      await elb.send(
        new CreateTargetGroupCommand({
          Name: 'ecs-e2e',
          Protocol: 'HTTP',
          Port: 80,
          VpcId: 'vpc-1',
          TargetType: 'ip',
          HealthCheckIntervalSeconds: 5,
          HealthCheckTimeoutSeconds: 2,
          HealthyThresholdCount: 2,
        }),
      )
    ).TargetGroups![0]!;
    await elb.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '1' }] }));
    const port = await freePort();
    await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn }] }));
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'behind-alb',
        containerDefinitions: [{ name: 'app', image: 'process', memory: 128, command: [node, '-e', APP], portMappings: [{ containerPort: 8080 }], stopTimeout: 2 }],
      }),
    );
    await ecs.send(
      new CreateServiceCommand({
        serviceName: 'web',
        taskDefinition: 'behind-alb',
        desiredCount: 2,
        loadBalancers: [{ targetGroupArn: tg.TargetGroupArn, containerName: 'app', containerPort: 8080 }],
      }),
    );
    const service = await until('steady state', async () => {
      const s = (await ecs.send(new DescribeServicesCommand({ services: ['web'] }))).services![0]!;
      return s.events!.some((e) => e.message === '(service web) has reached a steady state.') && s;
    }, 60_000);
    assert.equal(service.events!.filter((e) => e.message === `(service web) registered 1 targets in (target-group ${tg.TargetGroupArn})`).length, 2);
    const taskArns = (await ecs.send(new ListTasksCommand({ serviceName: 'web' }))).taskArns!;
    const tasks = (await ecs.send(new DescribeTasksCommand({ tasks: taskArns }))).tasks!;
    const ports = tasks.map((t) => t.containers![0]!.networkBindings![0]!.hostPort!).sort();
    const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn }));
    assert.deepEqual(health.TargetHealthDescriptions!.map((d) => [d.Target!.Id, d.Target!.Port, d.TargetHealth!.State]).sort((a, b) => Number(a[1]) - Number(b[1])), [
      ['127.0.0.1', ports[0], 'healthy'],
      ['127.0.0.1', ports[1], 'healthy'],
    ]);
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add(await (await fetch(`http://127.0.0.1:${port}/`)).text());
    const expected = new Set(taskArns.map((a) => `task ${a.split('/').pop()}`));
    assert.ok(seen.size > 0 && [...seen].every((answer) => expected.has(answer)), `answers come from the service's tasks: ${[...seen].join(', ')}`);

    await ecs.send(new UpdateServiceCommand({ service: 'web', desiredCount: 1 }));
    const drained = await until('a scaled-in task to stop', async () => {
      const all = (await ecs.send(new DescribeTasksCommand({ tasks: taskArns }))).tasks!;
      return all.find((t) => t.lastStatus === 'STOPPED');
    }, 60_000);
    assert.equal(drained.stopCode, 'ServiceSchedulerInitiated');
    const left = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn }));
    const drainedPort = drained.containers![0]!.networkBindings![0]!.hostPort!;
    assert.ok(!left.TargetHealthDescriptions!.some((d) => d.Target!.Port === drainedPort && d.TargetHealth!.State !== 'draining'));
    for (let i = 0; i < 5; i++) assert.notEqual(await (await fetch(`http://127.0.0.1:${port}/`)).text(), `task ${drained.taskArn!.split('/').pop()}`);
    await ecs.send(new DeleteServiceCommand({ service: 'web', force: true }));
  });
});
