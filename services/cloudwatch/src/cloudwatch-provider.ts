// The CloudWatch provider (metrics and alarms), served over query (older SDKs, the CLI) and JSON 1.0
// with awsQueryCompatible (current SDKs). Metric operations in metric-operations.ts, alarms in
// alarm-operations.ts, the platform's own metrics in platform-metrics.ts. Two leader loops run
// once across nodes: alarm evaluation (every second) and the roll-up of aged data points.
//
// Known limitations:
// - Anomaly detectors, Contributor Insights rules, metric streams, Metrics Insights queries, alarm
//   mute rules and tagging are not implemented (501).
// - Dashboards (dashboard-operations.ts) are stored and validated, not rendered; the body check
//   covers the widget structure (dashboard-body.ts), not every widget property, and returns no
//   warnings. GetDashboard/DeleteDashboards of a missing dashboard answer DashboardNotFoundError,
//   which current SDKs surface as ResourceNotFound (the query code both share).
// - Alarms are evaluated every second (`alarmEvaluationMs`), all of them each pass; an action to a
//   scaling policy is left to Application Auto Scaling through the `cloudwatch.AlarmStateChanged`
//   bus event; EC2, SSM and SWF actions are accepted and not run.
// - Percentiles are exact while a bucket keeps its histogram of up to 1,000 distinct values
//   (statistics.ts); GetMetricData pages by data point offset (MaxDatapoints) across all results.
// - Cross-account observability (AccountId, IncludeLinkedAccounts, OwningAccount) is ignored.
// - The platform publishes, for the accounts and regions seen: AWS/Lambda Invocations, Duration,
//   Errors (from REPORT lines) and Throttles; AWS/Logs; AWS/SQS depths (polled every minute,
//   ATOLL_PLATFORM_METRICS_MS) and message counts; AWS/SNS NumberOfMessagesPublished; AWS/DynamoDB
//   latency, throttles, errors and consumed capacity; AWS/S3 request metrics; AWS/ApplicationELB
//   request metrics; AWS/ApplicationELB and AWS/NetworkELB target health; AWS/ECS CPU and memory per
//   service (every 10 s, ATOLL_ECS_METRICS_MS). Details and gaps in platform-metrics.ts and
//   api-call-metrics.ts. AWS/ApiGateway is not published.
import type { IamRequest, OperationHandler, PlatformContext, ServiceProvider } from '@atoll/core';
import { runEvery } from '@atoll/storage';
import { AlarmOperations } from './alarm-operations.js';
import { DashboardOperations } from './dashboard-operations.js';
import { MetricOperations } from './metric-operations.js';
import { MetricsStore } from './metrics-store.js';
import { PlatformMetrics } from './platform-metrics.js';

export interface CloudWatchOptions {
  alarmEvaluationMs?: number;
  rollUpMs?: number;
  /** How often queue depths and load balancers' target health are sampled (ms; ATOLL_PLATFORM_METRICS_MS). */
  platformMetricsMs?: number;
  /** How often ECS tasks' CPU and memory are sampled (ms); samples under a minute apart are stored at 1 s. */
  ecsSampleMs?: number;
  /** How often the metrics aggregated from API calls are written, on every node (ms). */
  apiCallFlushMs?: number;
}

export class CloudWatchProvider implements ServiceProvider {
  readonly service = 'cloudwatch';
  readonly operations: ServiceProvider['operations'];
  #store: MetricsStore | undefined;
  #metrics: MetricOperations | undefined;
  #alarms: AlarmOperations | undefined;
  #dashboards: DashboardOperations | undefined;
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
      PutDashboard: (input, ctx) => this.dashboards.PutDashboard(input as never, ctx),
      GetDashboard: (input, ctx) => this.dashboards.GetDashboard(input as never, ctx),
      ListDashboards: (input, ctx) => this.dashboards.ListDashboards(input as never, ctx),
      DeleteDashboards: (input, ctx) => this.dashboards.DeleteDashboards(input as never, ctx),
    };
  }

  /** Alarm and dashboard operations act on their ARNs (dashboards have no region); metric operations on `*`, as in AWS. */
  authorization(_operation: string, input: Record<string, unknown>, scope: { accountId: string; region: string }): IamRequest | undefined {
    const dashboards = typeof input.DashboardName === 'string' ? [input.DashboardName] : Array.isArray(input.DashboardNames) ? (input.DashboardNames as string[]) : [];
    if (dashboards.length > 0) return { resources: dashboards.map((n) => `arn:aws:cloudwatch::${scope.accountId}:dashboard/${n}`) };
    const names = typeof input.AlarmName === 'string' ? [input.AlarmName] : Array.isArray(input.AlarmNames) ? (input.AlarmNames as string[]) : [];
    if (names.length === 0) return undefined;
    return { resources: names.map((n) => `arn:aws:cloudwatch:${scope.region}:${scope.accountId}:alarm:${n}`) };
  }

  get metrics(): MetricOperations {
    if (!this.#metrics) throw new Error('the CloudWatch provider is not started');
    return this.#metrics;
  }

  get dashboards(): DashboardOperations {
    if (!this.#dashboards) throw new Error('the CloudWatch provider is not started');
    return this.#dashboards;
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
    this.#dashboards = new DashboardOperations(store);
    this.#platformMetrics = new PlatformMetrics(this.platform, this.#metrics);
    const leadership = this.platform.storage.leadership;
    const logError = (what: string) => (error: unknown) => this.platform.logger.error({ err: error }, what);
    this.#stops.push(
      leadership.lead('cloudwatch:alarms', (signal) => runEvery(signal, this.options.alarmEvaluationMs ?? 1000, () => this.alarms.evaluateAll(), logError('cloudwatch: alarm evaluation failed'))),
      leadership.lead('cloudwatch:rollup', (signal) => runEvery(signal, this.options.rollUpMs ?? 60_000, () => store.rollUp(Date.now()), logError('cloudwatch: roll-up failed'))),
      leadership.lead('cloudwatch:platform-metrics', (signal) =>
        runEvery(
          signal,
          this.options.platformMetricsMs ?? Number(process.env.ATOLL_PLATFORM_METRICS_MS ?? 60_000),
          async () => {
            await this.#platformMetrics!.sampleQueues();
            await this.#platformMetrics!.sampleLoadBalancers();
          },
          logError('cloudwatch: sampling queue and load balancer metrics failed'),
        ),
      ),
      leadership.lead('cloudwatch:ecs-metrics', (signal) => {
        const every = this.options.ecsSampleMs ?? Number(process.env.ATOLL_ECS_METRICS_MS ?? 10_000);
        return runEvery(signal, every, () => this.#platformMetrics!.sampleEcs(every < 60_000), logError('cloudwatch: sampling ECS metrics failed'));
      }),
      () => this.#platformMetrics?.close(),
    );
    const flushing = new AbortController();
    void runEvery(flushing.signal, this.options.apiCallFlushMs ?? 1000, () => this.#platformMetrics!.flushApiCalls(), logError('cloudwatch: writing API call metrics failed'));
    this.#stops.push(() => flushing.abort());
  }

  async close(): Promise<void> {
    for (const stop of this.#stops.splice(0)) stop();
    await this.#platformMetrics?.flushApiCalls().catch((error) => this.platform.logger.warn({ err: error }, 'cloudwatch: API call metrics not written'));
    await this.#store?.close();
  }
}
