// Workload output in CloudWatch Logs: a Lambda function's logs (START/END/REPORT and its own lines)
// land in /aws/lambda/<name>, an ECS task's stdout lands in its awslogs group and stream, and an
// embedded metric format line becomes a CloudWatch metric.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import AdmZip from 'adm-zip';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  InvalidParameterException,
  PutLogEventsCommand,
  PutMetricFilterCommand,
  PutSubscriptionFilterCommand,
  TestMetricFilterCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { AddPermissionCommand, CreateFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateClusterCommand, ECSClient, RegisterTaskDefinitionCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { type TestPlatform, createLambdaRole, startPlatform, until } from '@atoll/test-support';

const HANDLER = `exports.handler = async (event) => {
  console.log('processing order', event.id);
  console.log(JSON.stringify({ _aws: { Timestamp: Date.now(), CloudWatchMetrics: [{ Namespace: 'Orders', Dimensions: [['Shop']], Metrics: [{ Name: 'Total', Unit: 'Count' }] }] }, Shop: 'north', Total: 3 }));
  return { ok: true };
};`;


describe('workload logs in CloudWatch Logs', () => {
  let p: TestPlatform;
  let logs: CloudWatchLogsClient;
  before(async () => {
    p = await startPlatform({ services: ['logs', 'cloudwatch', 'lambda', 'ecs', 'iam', 'sts'] });
    logs = p.client(CloudWatchLogsClient);
  });
  after(() => p.stop());

  test("a Lambda function's output lands in /aws/lambda/<name>, and its EMF line becomes a metric", async () => {
    const role = await createLambdaRole(p);
    const archive = new AdmZip();
    archive.addFile('index.js', Buffer.from(HANDLER));
    const lambda = p.client(LambdaClient);
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'orders', Runtime: 'nodejs22.x', Role: role, Handler: 'index.handler', Code: { ZipFile: archive.toBuffer() } }));
    await lambda.send(new InvokeCommand({ FunctionName: 'orders', Payload: Buffer.from(JSON.stringify({ id: 'o-1' })) }));
    const events = await until('the invocation logs', async () => {
      const out = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/orders' })).catch(() => undefined);
      const messages = out?.events?.map((e) => e.message!) ?? [];
      return messages.some((m) => m.startsWith('REPORT RequestId:')) ? messages : undefined;
    });
    assert.ok(events.some((m) => m.startsWith('START RequestId:')));
    assert.ok(events.some((m) => m.includes('processing order o-1')));
    assert.ok(events.some((m) => m.startsWith('END RequestId:')));
    const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/lambda/orders' }));
    assert.match(streams.logStreams![0]!.logStreamName!, /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    const metrics = await until('the EMF metric', async () => {
      const out = await p.client(CloudWatchClient).send(new ListMetricsCommand({ Namespace: 'Orders' }));
      return out.Metrics?.length ? out.Metrics : undefined;
    });
    assert.deepEqual(metrics, [{ Namespace: 'Orders', MetricName: 'Total', Dimensions: [{ Name: 'Shop', Value: 'north' }] }]);
    const lambdaMetrics = await p.client(CloudWatchClient).send(new ListMetricsCommand({ Namespace: 'AWS/Lambda', Dimensions: [{ Name: 'FunctionName', Value: 'orders' }] }));
    assert.deepEqual(lambdaMetrics.Metrics!.map((m) => m.MetricName).sort(), ['Duration', 'Errors', 'Invocations']);
  });

  test("an ECS task's stdout lands in its awslogs group and stream", async () => {
    const ecs = p.client(ECSClient);
    await ecs.send(new CreateClusterCommand({ clusterName: 'logs' }));
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'printer',
        containerDefinitions: [
          {
            name: 'app',
            image: 'process',
            memory: 128,
            command: [process.execPath, '-e', "console.log('hello from the task'); console.error('and its stderr')"],
            logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/printer', 'awslogs-stream-prefix': 'web' } },
          },
        ],
      }),
    );
    const run = await ecs.send(new RunTaskCommand({ cluster: 'logs', taskDefinition: 'printer' }));
    const taskId = run.tasks![0]!.taskArn!.split('/').pop();
    const got = await until('the task output', async () => {
      const out = await logs.send(new GetLogEventsCommand({ logGroupName: '/ecs/printer', logStreamName: `web/app/${taskId}`, startFromHead: true })).catch(() => undefined);
      const messages = out?.events?.map((e) => e.message) ?? [];
      return messages.length >= 2 ? messages : undefined;
    });
    assert.deepEqual([...got].sort(), ['and its stderr', 'hello from the task']);
  });

  test('metric filters turn matching events into metrics, and subscription filters deliver them to a function', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'api' }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: 'api', logStreamName: 'a' }));
    await assert.rejects(
      logs.send(new PutMetricFilterCommand({ logGroupName: 'api', filterName: 'bad', filterPattern: '{ $.x = }', metricTransformations: [{ metricName: 'm', metricNamespace: 'n', metricValue: '1' }] })),
      InvalidParameterException,
    );
    await logs.send(
      new PutMetricFilterCommand({
        logGroupName: 'api',
        filterName: 'slow',
        filterPattern: '{ $.ms > 100 }',
        metricTransformations: [{ metricName: 'SlowMs', metricNamespace: 'Api', metricValue: '$.ms', dimensions: { Route: '$.route' }, unit: 'Milliseconds' }],
      }),
    );
    const tested = await logs.send(new TestMetricFilterCommand({ filterPattern: '{ $.ms > 100 }', logEventMessages: ['{"ms":5}', '{"ms":500}'] }));
    assert.deepEqual(tested.matches!.map((m) => m.eventNumber), [2]);

    const role = await createLambdaRole(p, 'sink-role');
    const archive = new AdmZip();
    archive.addFile('index.js', Buffer.from("const z=require('zlib');exports.handler=async(e)=>{const d=JSON.parse(z.gunzipSync(Buffer.from(e.awslogs.data,'base64')));console.log('GOT '+d.logGroup+' '+d.subscriptionFilters[0]+' '+d.logEvents.map(x=>x.message).join('|'));};"));
    const lambda = p.client(LambdaClient);
    const fn = await lambda.send(new CreateFunctionCommand({ FunctionName: 'sink', Runtime: 'nodejs22.x', Role: role, Handler: 'index.handler', Code: { ZipFile: archive.toBuffer() } }));
    await lambda.send(new AddPermissionCommand({ FunctionName: 'sink', StatementId: 'logs', Action: 'lambda:InvokeFunction', Principal: 'logs.amazonaws.com', SourceArn: `arn:aws:logs:${p.region}:${p.accountId}:log-group:api:*` }));
    await logs.send(new PutSubscriptionFilterCommand({ logGroupName: 'api', filterName: 'errors', filterPattern: '{ $.level = "error" }', destinationArn: fn.FunctionArn! }));

    const now = Date.now();
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: 'api',
        logStreamName: 'a',
        logEvents: [
          { timestamp: now - 2, message: '{"route":"/a","ms":150,"level":"info"}' },
          { timestamp: now - 1, message: '{"route":"/a","ms":20,"level":"error"}' },
          { timestamp: now, message: '{"route":"/b","ms":300,"level":"info"}' },
        ],
      }),
    );
    const cw = p.client(CloudWatchClient);
    const stats = await until('the metric filter data', async () => {
      const out = await cw.send(new GetMetricStatisticsCommand({ Namespace: 'Api', MetricName: 'SlowMs', Dimensions: [{ Name: 'Route', Value: '/a' }], StartTime: new Date(now - 120_000), EndTime: new Date(now + 60_000), Period: 60, Statistics: ['Sum', 'SampleCount'] }));
      return out.Datapoints?.length ? out.Datapoints : undefined;
    });
    assert.deepEqual(stats.map((d) => [d.Sum, d.SampleCount, d.Unit]), [[150, 1, 'Milliseconds']]);
    const delivered = await until('the subscription delivery', async () => {
      const out = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/sink', filterPattern: '"GOT api"' })).catch(() => undefined);
      return out?.events?.[0]?.message;
    });
    assert.match(delivered, /GOT api errors \{"route":"\/a","ms":20,"level":"error"\}/);
  });
});
