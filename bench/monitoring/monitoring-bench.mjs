// Issue 15 figures, one server process, one run:
// - PutMetricData ingest (data points/s) while loading a week of 1-minute data for 100 metrics, the
//   storage it takes per million data points, and GetMetricData latency over that week (100 metric
//   stat queries, 1-hour and 5-minute periods);
// - PutLogEvents ingest with 1 KB events (events/s), storage per million events, FilterLogEvents
//   latency over all of them (a pattern matching 1 in 1,000; paging through the whole group) and
//   Logs Insights `stats count(*) by bin(5m)` over all of them (StartQuery to Complete);
// - alarm reaction: from the PutMetricData of a breaching datapoint to the SNS notification in an
//   SQS queue (alarm period 10 s: goal within one period plus 1 s);
// - scaling reaction: an ECS service under CPU load reaches its new desired count (target tracking,
//   ScaleOutCooldown 5 s, fast alarm timing of 10 s periods: goal within the cooldown plus 10 s).
//   node bench/monitoring/monitoring-bench.mjs [logEvents=1000000] [metrics=100]
import { mkdtempSync, rmSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'node:http';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { CloudWatchClient, GetMetricDataCommand, PutMetricAlarmCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, FilterLogEventsCommand, GetQueryResultsCommand, PutLogEventsCommand, StartQueryCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateClusterCommand, CreateServiceCommand, DescribeServicesCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { ApplicationAutoScalingClient, PutScalingPolicyCommand, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { machine, printTable, sampleProcess, startServer, summarize } from '../lib/report.mjs';

const LOG_EVENTS = Number(process.argv[2] ?? 1_000_000);
const METRICS = Number(process.argv[3] ?? 100);
const CONCURRENCY = 8;

const dataDir = mkdtempSync(join(tmpdir(), 'atoll-bench-monitoring-'));
const server = await startServer({
  dataDir,
  args: ['--services', 'cloudwatch,logs,sns,sqs,ecs,applicationautoscaling,iam,sts'],
  env: { ATOLL_TARGET_TRACKING_PERIOD_SECONDS: '10', ATOLL_ECS_METRICS_MS: '2000' },
});
const dbBytes = (name) => ['', '-wal'].reduce((s, suffix) => s + (existsSync(join(dataDir, name, `${name}.db${suffix}`)) ? statSync(join(dataDir, name, `${name}.db${suffix}`)).size : 0), 0);
let stopped = false;
const fmt = (n, d = 0) => Number(n).toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const ms = (s) => `${s.p50.toFixed(1)} / ${s.p90.toFixed(1)} / ${s.p99.toFixed(1)}`;

try {
  const config = { endpoint: server.endpoint, region: 'us-east-1', credentials: server.credentials, requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }) }) };
  const cw = new CloudWatchClient(config);
  const logs = new CloudWatchLogsClient(config);
  const rows = [];

  // ---- metrics: a week of 1-minute data for METRICS metrics ----
  const WEEK_MIN = 7 * 24 * 60;
  const end = Math.floor(Date.now() / 60_000) * 60_000;
  const start = end - WEEK_MIN * 60_000;
  const dims = (i) => [{ Name: 'Service', Value: `svc-${i}` }];
  const calls = [];
  for (let m = 0; m < METRICS; m++) {
    for (let k = 0; k < WEEK_MIN; k += 1000) {
      const n = Math.min(1000, WEEK_MIN - k);
      calls.push({ m, k, n });
    }
  }
  let before = sampleProcess(server.pid);
  let t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < calls.length) {
        const { m, k, n } = calls[next++];
        await cw.send(
          new PutMetricDataCommand({
            Namespace: 'Bench',
            MetricData: Array.from({ length: n }, (_, j) => ({ MetricName: 'Latency', Dimensions: dims(m), Timestamp: new Date(start + (k + j) * 60_000), Value: ((k + j) % 97) + m, Unit: 'Milliseconds' })),
          }),
        );
      }
    }),
  );
  let elapsed = (performance.now() - t0) / 1000;
  let after = sampleProcess(server.pid);
  const points = METRICS * WEEK_MIN;
  rows.push(['PutMetricData: data points', fmt(points)]);
  rows.push(['PutMetricData: data points/s (1000/call, 8 callers)', fmt(points / elapsed)]);
  rows.push(['PutMetricData: server CPU (cores)', ((after.cpuSeconds - before.cpuSeconds) / elapsed).toFixed(2)]);
  const metricPoints = points;

  const queries = (period) =>
    Array.from({ length: METRICS }, (_, m) => ({ Id: `m${m}`, MetricStat: { Metric: { Namespace: 'Bench', MetricName: 'Latency', Dimensions: dims(m) }, Period: period, Stat: 'Average' } }));
  for (const period of [3600, 300]) {
    const lat = [];
    let values = 0;
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      const out = await cw.send(new GetMetricDataCommand({ StartTime: new Date(start), EndTime: new Date(end), MetricDataQueries: queries(period) }));
      lat.push(performance.now() - t);
      values = out.MetricDataResults.reduce((s, r) => s + r.Values.length, 0);
    }
    rows.push([`GetMetricData week × ${METRICS} metrics, ${period / 60}-min period p50/p90/p99 (ms)`, `${ms(summarize(lat))} (${fmt(values)} values)`]);
  }

  // ---- logs: LOG_EVENTS events of 1 KB ----
  await logs.send(new CreateLogGroupCommand({ logGroupName: 'bench' }));
  const STREAMS = CONCURRENCY;
  for (let s = 0; s < STREAMS; s++) await logs.send(new CreateLogStreamCommand({ logGroupName: 'bench', logStreamName: `s${s}` }));
  const BATCH = 900; // 900 × (1024 + 26) bytes stays under the 1 MiB batch limit
  const filler = 'x'.repeat(1024 - 40);
  const logStart = Date.now() - 3_600_000;
  let sent = 0;
  before = sampleProcess(server.pid);
  t0 = performance.now();
  await Promise.all(
    Array.from({ length: STREAMS }, async (_, s) => {
      let ts = logStart;
      while (sent < LOG_EVENTS) {
        const n = Math.min(BATCH, LOG_EVENTS - sent);
        sent += n;
        const logEvents = Array.from({ length: n }, (_, j) => {
          const id = sent - n + j;
          return { timestamp: ts + j, message: `${id % 1000 === 0 ? 'ERROR' : 'INFO '} id=${String(id).padStart(10, '0')} ${filler}`.slice(0, 1024) };
        });
        ts += n;
        await logs.send(new PutLogEventsCommand({ logGroupName: 'bench', logStreamName: `s${s}`, logEvents }));
      }
    }),
  );
  elapsed = (performance.now() - t0) / 1000;
  after = sampleProcess(server.pid);
  rows.push(['PutLogEvents: 1 KB events', fmt(LOG_EVENTS)]);
  rows.push(['PutLogEvents: events/s (900/call, 8 streams)', `${fmt(LOG_EVENTS / elapsed)} (${fmt((LOG_EVENTS * 1024) / elapsed / 2 ** 20, 1)} MB/s)`]);
  rows.push(['PutLogEvents: server CPU (cores)', ((after.cpuSeconds - before.cpuSeconds) / elapsed).toFixed(2)]);


  for (const [label, pattern] of [
    ['FilterLogEvents ERROR (1 in 1,000), whole group', 'ERROR'],
    ['FilterLogEvents JSON-free term miss, whole group', 'NOSUCHTERM'],
  ]) {
    const t = performance.now();
    let token;
    let found = 0;
    let calls = 0;
    const perCall = [];
    do {
      const c = performance.now();
      const out = await logs.send(new FilterLogEventsCommand({ logGroupName: 'bench', filterPattern: pattern, nextToken: token }));
      perCall.push(performance.now() - c);
      found += out.events.length;
      token = out.nextToken;
      calls++;
    } while (token);
    rows.push([label, `${fmt(performance.now() - t)} ms total, ${calls} calls (p50 ${summarize(perCall).p50.toFixed(0)} ms/call), ${fmt(found)} found`]);
  }
  for (const [label, queryString] of [
    ['Insights stats count(*) by bin(5m), whole group', 'stats count(*) by bin(5m)'],
    ['Insights filter ERROR | stats count(*) by bin(5m)', 'filter @message like "ERROR" | stats count(*) by bin(5m)'],
  ]) {
    const t = performance.now();
    const { queryId } = await logs.send(new StartQueryCommand({ logGroupName: 'bench', startTime: Math.floor(logStart / 1000) - 60, endTime: Math.floor(Date.now() / 1000) + 60, queryString }));
    let out;
    do {
      await new Promise((r) => setTimeout(r, 100));
      out = await logs.send(new GetQueryResultsCommand({ queryId }));
    } while (out.status === 'Running' || out.status === 'Scheduled');
    rows.push([label, `${fmt(performance.now() - t)} ms to Complete, ${fmt(out.statistics.recordsScanned)} scanned, ${out.results.length} bins`]);
  }

  // ---- alarm reaction ----
  const sqs = new SQSClient(config);
  const sns = new SNSClient(config);
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'alarm-bench' }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'alarm-bench' }));
  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: Attributes.QueueArn, Condition: { ArnLike: { 'aws:SourceArn': TopicArn } } }] };
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: JSON.stringify(policy) } }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes.QueueArn, Attributes: { RawMessageDelivery: 'true' } }));
  const reactions = [];
  for (let i = 0; i < 5; i++) {
    await cw.send(new PutMetricAlarmCommand({ AlarmName: `react-${i}`, Namespace: 'React', MetricName: `m${i}`, Statistic: 'Maximum', Period: 10, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold', AlarmActions: [TopicArn] }));
    await new Promise((r) => setTimeout(r, 1500));
    const t = performance.now();
    await cw.send(new PutMetricDataCommand({ Namespace: 'React', MetricData: [{ MetricName: `m${i}`, Value: 5, StorageResolution: 1 }] }));
    let got = false;
    while (!got && performance.now() - t < 30_000) {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }));
      got = (out.Messages ?? []).some((m) => JSON.parse(m.Body).AlarmName === `react-${i}` && JSON.parse(m.Body).NewStateValue === 'ALARM');
    }
    reactions.push(got ? performance.now() - t : NaN);
  }
  rows.push(['alarm reaction, breach → SNS in SQS p50/max (ms)', `${summarize(reactions).p50.toFixed(0)} / ${summarize(reactions).max.toFixed(0)} (goal ≤ 11,000 for a 10 s period)`]);

  // ---- scaling reaction ----
  const ecs = new ECSClient(config);
  const aas = new ApplicationAutoScalingClient(config);
  const loadFile = join(dataDir, 'load');
  const burn = "const fs=require('fs');setInterval(()=>{if(!fs.existsSync(process.env.LOAD_FILE))return;const e=Date.now()+95;while(Date.now()<e);},100)";
  await ecs.send(new CreateClusterCommand({ clusterName: 'bench' }));
  await ecs.send(new RegisterTaskDefinitionCommand({ family: 'burn', cpu: '1024', containerDefinitions: [{ name: 'burn', image: 'process', memory: 128, command: [process.execPath, '-e', burn], environment: [{ name: 'LOAD_FILE', value: loadFile }], stopTimeout: 1 }] }));
  await ecs.send(new CreateServiceCommand({ cluster: 'bench', serviceName: 'burn', taskDefinition: 'burn', desiredCount: 1 }));
  const resource = { ServiceNamespace: 'ecs', ResourceId: 'service/bench/burn', ScalableDimension: 'ecs:service:DesiredCount' };
  await aas.send(new RegisterScalableTargetCommand({ ...resource, MinCapacity: 1, MaxCapacity: 2 }));
  await aas.send(new PutScalingPolicyCommand({ ...resource, PolicyName: 'cpu', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: { TargetValue: 20, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' }, ScaleOutCooldown: 5, ScaleInCooldown: 5 } }));
  await new Promise((r) => setTimeout(r, 5000));
  writeFileSync(loadFile, '1');
  const t = performance.now();
  let count = 1;
  while (count < 2 && performance.now() - t < 60_000) {
    await new Promise((r) => setTimeout(r, 250));
    count = (await ecs.send(new DescribeServicesCommand({ cluster: 'bench', services: ['burn'] }))).services[0].desiredCount;
  }
  rmSync(loadFile, { force: true });
  rows.push(['scaling reaction, load → desired count 2 (ms)', `${count >= 2 ? fmt(performance.now() - t) : 'not reached in 60 s'} (10 s alarm period, 2 s ECS sampling; goal ≤ cooldown 5 s + 10 s + one period)`]);

  for (const c of [cw, logs, sqs, sns, ecs, aas]) c.destroy();
  // Storage is read once the server has stopped (its WAL checkpointed into the database files).
  await server.stop();
  stopped = true;
  rows.push(['metrics storage per million data points (MB)', fmt(dbBytes('cloudwatch') / 2 ** 20 / (metricPoints / 1e6), 1)]);
  rows.push(['logs storage per million 1 KB events (MB)', fmt(dbBytes('logs') / 2 ** 20 / (LOG_EVENTS / 1e6), 0)]);
  printTable(`CloudWatch, CloudWatch Logs and Application Auto Scaling (${machine()})`, rows);
} finally {
  if (!stopped) await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
