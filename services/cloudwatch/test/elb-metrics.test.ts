// AWS/ApplicationELB metrics through @aws-sdk/client-cloudwatch: request counts, target response
// time and status classes from the load balancer's own answers, and target health sampled from ELB.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand, type Dimension } from '@aws-sdk/client-cloudwatch';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createNetServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });

const get = (port: number, path: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });

describe('CloudWatch load balancer metrics', () => {
  let p: TestPlatform;
  let cw: CloudWatchClient;
  let target: Server;
  const saved = process.env.ATOLL_PLATFORM_METRICS_MS;
  before(async () => {
    process.env.ATOLL_PLATFORM_METRICS_MS = '500';
    target = createServer((req, res) => {
      res.statusCode = req.url === '/missing' ? 404 : 200;
      res.end('ok');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    p = await startPlatform({ services: ['cloudwatch', 'elbv2', 'iam', 'sts'] });
    cw = p.client(CloudWatchClient);
    await cw.send(new ListMetricsCommand({}));
  });
  after(async () => {
    await p.stop();
    target.close();
    if (saved === undefined) delete process.env.ATOLL_PLATFORM_METRICS_MS;
    else process.env.ATOLL_PLATFORM_METRICS_MS = saved;
  });

  async function waitFor(namespace: string, name: string, dims: Dimension[], statistic: 'Sum' | 'SampleCount' | 'Maximum', want: number): Promise<void> {
    const deadline = Date.now() + 30_000;
    let got: number | undefined;
    while (Date.now() < deadline) {
      const out = await cw.send(
        new GetMetricStatisticsCommand({ Namespace: namespace, MetricName: name, Dimensions: dims, StartTime: new Date(Date.now() - 600_000), EndTime: new Date(Date.now() + 120_000), Period: 3600, Statistics: [statistic] }),
      );
      const points = out.Datapoints ?? [];
      got = statistic === 'Maximum' ? Math.max(-1, ...points.map((d) => d.Maximum ?? -1)) : points.reduce((s, d) => s + (d[statistic] ?? 0), 0);
      if (got === want) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.fail(`${namespace} ${name} ${JSON.stringify(dims)} ${statistic}: wanted ${want}, got ${got}`);
  }

  test('counts requests per load balancer and target group, by who answered and with what status class', async () => {
    const elb = p.client(ElasticLoadBalancingV2Client);
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'metered-lb' }))).LoadBalancers![0]!;
    const tg = (
      await elb.send(
        new CreateTargetGroupCommand({ Name: 'metered-tg', Protocol: 'HTTP', Port: (target.address() as AddressInfo).port, TargetType: 'ip', HealthCheckPath: '/', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2 }),
      )
    ).TargetGroups![0]!;
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn!, Targets: [{ Id: '127.0.0.1' }] }));
    const port = await freePort();
    const listener = (await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn! }] }))).Listeners![0]!;
    await elb.send(
      new CreateRuleCommand({ ListenerArn: listener.ListenerArn!, Priority: 1, Conditions: [{ Field: 'path-pattern', Values: ['/gone'] }], Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '410' } }] }),
    );
    const deadline = Date.now() + 30_000;
    while ((await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn! }))).TargetHealthDescriptions![0]!.TargetHealth!.State !== 'healthy') {
      assert.ok(Date.now() < deadline, 'the target never became healthy');
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.deepEqual([await get(port, '/'), await get(port, '/'), await get(port, '/missing'), await get(port, '/gone')], [200, 200, 404, 410]);

    const lbDim = { Name: 'LoadBalancer', Value: lb.LoadBalancerArn!.split(':loadbalancer/')[1]! };
    const both = [lbDim, { Name: 'TargetGroup', Value: tg.TargetGroupArn!.split(':').pop()! }];
    assert.match(lbDim.Value, /^app\/metered-lb\/[0-9a-f]+$/);
    await waitFor('AWS/ApplicationELB', 'RequestCount', [lbDim], 'Sum', 4);
    await waitFor('AWS/ApplicationELB', 'RequestCount', both, 'Sum', 3);
    await waitFor('AWS/ApplicationELB', 'HTTPCode_Target_2XX_Count', both, 'Sum', 2);
    await waitFor('AWS/ApplicationELB', 'HTTPCode_Target_4XX_Count', [lbDim], 'Sum', 1);
    await waitFor('AWS/ApplicationELB', 'HTTPCode_ELB_4XX_Count', [lbDim], 'Sum', 1);
    await waitFor('AWS/ApplicationELB', 'TargetResponseTime', both, 'SampleCount', 3);
    await waitFor('AWS/ApplicationELB', 'RequestCountPerTarget', [both[1]!], 'Sum', 3);
    await waitFor('AWS/ApplicationELB', 'HealthyHostCount', both, 'Maximum', 1);
    await waitFor('AWS/ApplicationELB', 'UnHealthyHostCount', both, 'Maximum', 0);
  });
});
