// Application Auto Scaling through @aws-sdk/client-application-auto-scaling against a real ECS
// service: a target tracking policy on ECSServiceAverageCPUUtilization creates its alarms, the
// service gains a task under CPU load and loses it when the load stops. Target tracking runs on its
// fast timing here (1 s periods: ATOLL_TARGET_TRACKING_PERIOD_SECONDS), ECS samples every second.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApplicationAutoScalingClient,
  DeleteScalingPolicyCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingActivitiesCommand,
  DescribeScalingPoliciesCommand,
  ObjectNotFoundException,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  ValidationException,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateClusterCommand, CreateServiceCommand, DeleteServiceCommand, DescribeServicesCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { startPlatform, tempDir, type TestPlatform } from '@atoll/test-support';

// Burns a core while the load file exists, idles otherwise. The target (20%) stays under what a
// task gets of a core on a busy 2-core machine.
const BURN = "const fs=require('fs');const f=process.env.LOAD_FILE;setInterval(()=>{if(!fs.existsSync(f))return;const end=Date.now()+95;while(Date.now()<end);},100)";

describe('Application Auto Scaling for ECS services', () => {
  let p: TestPlatform;
  let aas: ApplicationAutoScalingClient;
  let ecs: ECSClient;
  const loadFile = join(tempDir('atoll-aas-'), 'load');
  const resource = { ServiceNamespace: 'ecs' as const, ResourceId: 'service/scaling/burner', ScalableDimension: 'ecs:service:DesiredCount' as const };

  before(async () => {
    process.env.ATOLL_TARGET_TRACKING_PERIOD_SECONDS = '1';
    process.env.ATOLL_ECS_METRICS_MS = '1000';
    p = await startPlatform({ services: ['ecs', 'cloudwatch', 'applicationautoscaling', 'iam', 'sts'] });
    aas = p.client(ApplicationAutoScalingClient);
    ecs = p.client(ECSClient);
    await ecs.send(new CreateClusterCommand({ clusterName: 'scaling' }));
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'burner',
        cpu: '1024',
        memory: '256',
        containerDefinitions: [{ name: 'burn', image: 'process', memory: 256, command: [process.execPath, '-e', BURN], environment: [{ name: 'LOAD_FILE', value: loadFile }], stopTimeout: 1 }],
      }),
    );
    await ecs.send(new CreateServiceCommand({ cluster: 'scaling', serviceName: 'burner', taskDefinition: 'burner', desiredCount: 1 }));
  });
  after(async () => {
    rmSync(loadFile, { force: true });
    await ecs?.send(new DeleteServiceCommand({ cluster: 'scaling', service: 'burner', force: true })).catch(() => {});
    await p?.stop();
    delete process.env.ATOLL_TARGET_TRACKING_PERIOD_SECONDS;
    delete process.env.ATOLL_ECS_METRICS_MS;
  });

  const desired = async () => (await ecs.send(new DescribeServicesCommand({ cluster: 'scaling', services: ['burner'] }))).services![0]!.desiredCount!;
  async function waitFor(what: string, ok: () => Promise<boolean>, ms: number): Promise<number> {
    const start = Date.now();
    while (Date.now() - start < ms) {
      if (await ok()) return Date.now() - start;
      await new Promise((r) => setTimeout(r, 250));
    }
    const cw = p.client(CloudWatchClient);
    const cpu = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: 'AWS/ECS',
        MetricName: 'CPUUtilization',
        Dimensions: [
          { Name: 'ClusterName', Value: 'scaling' },
          { Name: 'ServiceName', Value: 'burner' },
        ],
        StartTime: new Date(Date.now() - 30_000),
        EndTime: new Date(),
        Period: 1,
        Statistics: ['Average'],
      }),
    );
    const alarms = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'TargetTracking-' }));
    assert.fail(
      `${what} within ${ms} ms (desired count ${await desired()}; CPU ${JSON.stringify(cpu.Datapoints?.map((d) => Math.round(d.Average!)))}; alarms ${JSON.stringify(alarms.MetricAlarms?.map((a) => [a.AlarmName!.split('-')[2], a.StateValue]))})`,
    );
  }

  test('refuses unregistered targets and bad resource ids', async () => {
    await assert.rejects(
      aas.send(new PutScalingPolicyCommand({ ...resource, ResourceId: 'service/scaling/other', PolicyName: 'p', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } } })),
      (e) => e instanceof ObjectNotFoundException && /No scalable target registered for service namespace: ecs, resource ID: service\/scaling\/other/.test(e.message),
    );
    await assert.rejects(aas.send(new RegisterScalableTargetCommand({ ...resource, ResourceId: 'scaling/burner', MinCapacity: 1, MaxCapacity: 2 })), ValidationException);
    await assert.rejects(aas.send(new RegisterScalableTargetCommand({ ...resource, MinCapacity: 3, MaxCapacity: 2 })), ValidationException);
  });

  test('a target tracking policy scales the service out under CPU load and back in when it stops', async () => {
    await aas.send(new RegisterScalableTargetCommand({ ...resource, MinCapacity: 1, MaxCapacity: 3 }));
    const targets = await aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs' }));
    assert.deepEqual(targets.ScalableTargets!.map((t) => [t.ResourceId, t.MinCapacity, t.MaxCapacity]), [['service/scaling/burner', 1, 3]]);
    const policy = await aas.send(
      new PutScalingPolicyCommand({
        ...resource,
        PolicyName: 'cpu20',
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: { TargetValue: 20, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' }, ScaleOutCooldown: 2, ScaleInCooldown: 2 },
      }),
    );
    assert.equal(policy.Alarms!.length, 2);
    const alarms = await p.client(CloudWatchClient).send(new DescribeAlarmsCommand({ AlarmNames: policy.Alarms!.map((a) => a.AlarmName!) }));
    const high = alarms.MetricAlarms!.find((a) => a.AlarmName!.includes('AlarmHigh'))!;
    assert.deepEqual([high.Namespace, high.MetricName, high.Threshold, high.ComparisonOperator, high.AlarmActions], ['AWS/ECS', 'CPUUtilization', 20, 'GreaterThanThreshold', [policy.PolicyARN]]);
    assert.equal(alarms.MetricAlarms!.find((a) => a.AlarmName!.includes('AlarmLow'))!.Threshold, 18);

    writeFileSync(loadFile, '1');
    const outMs = await waitFor('scaled out', async () => (await desired()) >= 2, 15_000);
    rmSync(loadFile, { force: true });
    await waitFor('scaled back in', async () => (await desired()) === 1, 15_000);
    const activities = await aas.send(new DescribeScalingActivitiesCommand({ ServiceNamespace: 'ecs', ResourceId: resource.ResourceId }));
    assert.ok(activities.ScalingActivities!.some((a) => /^Setting desired count to [23]\.$/.test(a.Description!) && a.StatusCode === 'Successful' && a.Cause!.includes('AlarmHigh')));
    assert.ok(activities.ScalingActivities!.some((a) => a.Description === 'Setting desired count to 1.' && a.Cause!.includes('AlarmLow')));
    assert.ok(outMs < 2_000 + 10_000, `scale-out took ${outMs} ms`);

    const policies = await aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs' }));
    assert.deepEqual(policies.ScalingPolicies!.map((x) => x.PolicyName), ['cpu20']);
    await aas.send(new DeleteScalingPolicyCommand({ ...resource, PolicyName: 'cpu20' }));
    const gone = await p.client(CloudWatchClient).send(new DescribeAlarmsCommand({ AlarmNames: policy.Alarms!.map((a) => a.AlarmName!) }));
    assert.deepEqual(gone.MetricAlarms, []);
  });
});
