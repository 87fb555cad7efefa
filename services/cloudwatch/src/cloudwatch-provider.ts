// The CloudWatch provider (metrics and alarms), served over query (older SDKs, the CLI) and JSON 1.0
// with awsQueryCompatible (current SDKs). Metric operations in metric-operations.ts, alarms in
// alarm-operations.ts, the platform's own metrics in platform-metrics.ts. Two leader loops run
// once across nodes: alarm evaluation (every second) and the roll-up of aged data points.
//
// Known limitations:
// - Dashboards, anomaly detectors, Contributor Insights rules, metric streams, Metrics Insights
//   queries, alarm mute rules and tagging are not implemented (501).
// - Alarms are evaluated every second (`alarmEvaluationMs`), all of them each pass; an action to a
//   scaling policy is left to Application Auto Scaling through the `cloudwatch.AlarmStateChanged`
//   bus event; EC2, SSM and SWF actions are accepted and not run.
// - Percentiles are exact while a bucket keeps its histogram of up to 1,000 distinct values
//   (statistics.ts); GetMetricData pages by data point offset (MaxDatapoints) across all results.
// - Cross-account observability (AccountId, IncludeLinkedAccounts, OwningAccount) is ignored.
// - The platform publishes AWS/Lambda (from the function runtime's REPORT lines), AWS/Logs
//   (IncomingLogEvents, IncomingBytes, and EMF lines as metrics), AWS/SQS (queue depths polled every
//   minute) and AWS/ECS (CPU and memory utilization per service, sampled every 10 s,
//   ATOLL_ECS_METRICS_MS) for the accounts and regions seen; AWS/ApplicationELB, AWS/NetworkELB,
//   AWS/DynamoDB, AWS/SNS, AWS/S3 and AWS/ApiGateway are not published yet.
import type { IamRequest, OperationHandler, PlatformContext, ServiceProvider } from '@atoll/core';
import { runEvery } from '@atoll/storage';
import { AlarmOperations } from './alarm-operations.js';
import { MetricOperations } from './metric-operations.js';
import { MetricsStore } from './metrics-store.js';
import { PlatformMetrics } from './platform-metrics.js';

export interface CloudWatchOptions {
  alarmEvaluationMs?: number;
  rollUpMs?: number;
  /** How often queue depths are sampled (ms). */
  platformMetricsMs?: number;
  /** How often ECS tasks' CPU and memory are sampled (ms); samples under a minute apart are stored at 1 s. */
  ecsSampleMs?: number;
}

export class CloudWatchProvider implements ServiceProvider {
  readonly service = 'cloudwatch';
  readonly operations: ServiceProvider['operations'];
  #store: MetricsStore | undefined;
  #metrics: MetricOperations | undefined;
  #alarms: AlarmOperations | undefined;
  #platformMetrics: PlatformMetrics | undefined;
  #stops: (() => void)[] = [];

  constructor(
    readonly platform: PlatformContext,
    readonly options: CloudWatchOptions = {},
  ) {
    const m = (name: 'PutMetricData' | 'GetMetricData' | 'GetMetricStatistics' | 'ListMetrics'): OperationHandler => (input, ctx) => (this.metrics[name] as OperationHandler)(input, ctx);
    const a =
      (
        name:
          | 'PutMetricAlarm'
          | 'PutCompositeAlarm'
          | 'DescribeAlarms'
          | 'DescribeAlarmsForMetric'
          | 'DescribeAlarmHistory'
          | 'DeleteAlarms'
          | 'SetAlarmState'
          | 'EnableAlarmActions'
          | 'DisableAlarmActions',
      ): OperationHandler =>
      (input, ctx) =>
        (this.alarms[name] as OperationHandler)(input, ctx);
    this.operations = {
      PutMetricData: m('PutMetricData'),
      GetMetricData: m('GetMetricData'),
      GetMetricStatistics: m('GetMetricStatistics'),
      ListMetrics: m('ListMetrics'),
      PutMetricAlarm: a('PutMetricAlarm'),
      PutCompositeAlarm: a('PutCompositeAlarm'),
      DescribeAlarms: a('DescribeAlarms'),
      DescribeAlarmsForMetric: a('DescribeAlarmsForMetric'),
      DescribeAlarmHistory: a('DescribeAlarmHistory'),
      DeleteAlarms: a('DeleteAlarms'),
      SetAlarmState: a('SetAlarmState'),
      EnableAlarmActions: a('EnableAlarmActions'),
      DisableAlarmActions: a('DisableAlarmActions'),
    };
  }

  /** Alarm operations act on their alarms' ARNs; metric operations on `*`, as in AWS. */
  authorization(_operation: string, input: Record<string, unknown>, scope: { accountId: string; region: string }): IamRequest | undefined {
    const names = typeof input.AlarmName === 'string' ? [input.AlarmName] : Array.isArray(input.AlarmNames) ? (input.AlarmNames as string[]) : [];
    if (names.length === 0) return undefined;
    return { resources: names.map((n) => `arn:aws:cloudwatch:${scope.region}:${scope.accountId}:alarm:${n}`) };
  }

  get metrics(): MetricOperations {
    if (!this.#metrics) throw new Error('the CloudWatch provider is not started');
    return this.#metrics;
  }

  get alarms(): AlarmOperations {
    if (!this.#alarms) throw new Error('the CloudWatch provider is not started');
    return this.#alarms;
  }

  async start(): Promise<void> {
    const store = await MetricsStore.open(this.platform.storage);
    this.#store = store;
    this.#metrics = new MetricOperations(store);
    this.#alarms = new AlarmOperations(store, this.#metrics, this.platform);
    this.#platformMetrics = new PlatformMetrics(this.platform, this.#metrics);
    const leadership = this.platform.storage.leadership;
    const logError = (what: string) => (error: unknown) => this.platform.logger.error({ err: error }, what);
    this.#stops.push(
      leadership.lead('cloudwatch:alarms', (signal) => runEvery(signal, this.options.alarmEvaluationMs ?? 1000, () => this.alarms.evaluateAll(), logError('cloudwatch: alarm evaluation failed'))),
      leadership.lead('cloudwatch:rollup', (signal) => runEvery(signal, this.options.rollUpMs ?? 60_000, () => store.rollUp(Date.now()), logError('cloudwatch: roll-up failed'))),
      leadership.lead('cloudwatch:platform-metrics', (signal) =>
        runEvery(signal, this.options.platformMetricsMs ?? 60_000, () => this.#platformMetrics!.sampleQueues(), logError('cloudwatch: sampling queue metrics failed')),
      ),
      leadership.lead('cloudwatch:ecs-metrics', (signal) => {
        const every = this.options.ecsSampleMs ?? Number(process.env.ATOLL_ECS_METRICS_MS ?? 10_000);
        return runEvery(signal, every, () => this.#platformMetrics!.sampleEcs(every < 60_000), logError('cloudwatch: sampling ECS metrics failed'));
      }),
      () => this.#platformMetrics?.close(),
    );
  }

  async close(): Promise<void> {
    for (const stop of this.#stops.splice(0)) stop();
    await this.#store?.close();
  }
}
