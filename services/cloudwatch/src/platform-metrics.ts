// The platform's own metrics in AWS's namespaces, names and dimensions, published through the same
// path as PutMetricData: AWS/Lambda Invocations, Duration, Errors (timeouts and crashes, from the
// runtime's REPORT lines) are read from `lambda.LogEvents`;
// AWS/Logs IncomingLogEvents and IncomingBytes, and embedded metric format lines
// (embedded-metric-format.ts), from `logs.EventsIngested`; AWS/SQS queue depths
// (ApproximateNumberOfMessagesVisible/NotVisible/Delayed) are sampled through SQS's public
// operations for the accounts and regions seen here.
// AWS/ECS CPUUtilization and MemoryUtilization per service are sampled from the tasks' processes
// (process-sampler.ts). AWS/RDS ReplicaLag comes from RDS's `rds.ReplicaLag` events (sampled once a minute).
// AWS/ApplicationELB and AWS/NetworkELB HealthyHostCount and UnHealthyHostCount per TargetGroup and
// LoadBalancer are sampled through ELB's public operations with the queue depths. Counts derived
// from API calls and load balancer requests are in api-call-metrics.ts (flushed by `flushApiCalls`).
// Known limitations:
// - Function errors that do not end the runtime (a handler's thrown error) are not counted in
//   Errors; AWS/Lambda ConcurrentExecutions is not published (no event tells when an invocation
//   starts), nor ApproximateAgeOfOldestMessage for SQS.
// - Metrics from API calls count only requests through the AWS API edge, once CloudWatch is active
//   (from its first call or the start-up warm-up): in-process calls between services (SNS delivering
//   to SQS, Lambda event source mappings receiving and deleting) are not counted.
// - AWS/DynamoDB ConsumedRead/WriteCapacityUnits come only from calls that asked for
//   ReturnConsumedCapacity; batch and transaction calls count per table only through that report.
// - AWS/S3 request metrics are published for every bucket (filter `EntireBucket`), whether or not it
//   has a metrics configuration; FirstByteLatency, BytesDownloaded/Uploaded are not published.
// - AWS/ApplicationELB: no ActiveConnectionCount, ProcessedBytes, TargetConnectionErrorCount or
//   per-AvailabilityZone dimensions; AWS/NetworkELB publishes target health only (no flow or byte
//   counts); API Gateway is not published. ECS tasks run by a container engine (not as processes)
//   are not sampled.
import { API_CALL_COMPLETED, type PlatformContext } from '@atoll/core';
import { ApiCallMetrics } from './api-call-metrics.js';
import type { MetricDatum } from '@atoll/aws-models/cloudwatch';
import { extractEmf } from './embedded-metric-format.js';
import { sampleProcessGroups } from './process-sampler.js';
import type { MetricOperations, Scope } from './metric-operations.js';

const REPORT = /^REPORT RequestId: \S+\tDuration: ([\d.]+) ms.*?(?:\tStatus: (\w+))?\t?$/;

export class PlatformMetrics {
  readonly #unsubscribe: (() => void)[] = [];
  readonly #scopes = new Map<string, Scope>();
  readonly #apiCalls = new ApiCallMetrics();

  constructor(
    readonly platform: PlatformContext,
    readonly metrics: MetricOperations,
  ) {
    this.#scopes.set(`${platform.config.accountId}:${platform.config.region}`, { accountId: platform.config.accountId, region: platform.config.region });
    this.#unsubscribe.push(
      platform.bus.on(API_CALL_COMPLETED, (e) => this.#apiCalls.record(e)),
      platform.bus.on('elbv2.RequestServed', (e) => this.#apiCalls.recordElb(e)),
      platform.bus.on('lambda.LogEvents', async (e) => {
        const d = e.detail as { logGroupName: string; events: { timestamp: number; message: string }[] };
        const fn = d.logGroupName.replace(/^\/aws\/lambda\//, '');
        const data: MetricDatum[] = [];
        for (const ev of d.events) {
          const m = REPORT.exec(ev.message);
          if (!m) continue;
          const at = new Date(ev.timestamp);
          const dims = [{ Name: 'FunctionName', Value: fn }];
          data.push(
            { MetricName: 'Invocations', Dimensions: dims, Timestamp: at, Value: 1, Unit: 'Count' },
            { MetricName: 'Duration', Dimensions: dims, Timestamp: at, Value: Number(m[1]), Unit: 'Milliseconds' },
            { MetricName: 'Errors', Dimensions: dims, Timestamp: at, Value: m[2] ? 1 : 0, Unit: 'Count' },
            { MetricName: 'Invocations', Timestamp: at, Value: 1, Unit: 'Count' },
          );
        }
        if (data.length > 0) await this.publish(e, 'AWS/Lambda', data);
      }),
      // A metric another service measures itself (RDS ReplicaLag): namespace, name, unit and dimensions as AWS names them.
      platform.bus.on('rds.ReplicaLag', async (e) => {
        const d = e.detail as { namespace: string; metricName: string; unit: MetricDatum['Unit']; value: number; dimensions: Record<string, string>; timestamp: number };
        const dims = Object.entries(d.dimensions).map(([Name, Value]) => ({ Name, Value }));
        await this.publish(e, d.namespace, [{ MetricName: d.metricName, Dimensions: dims, Timestamp: new Date(d.timestamp), Value: d.value, Unit: d.unit }]);
      }),
      platform.bus.on('logs.EventsIngested', async (e) => {
        const d = e.detail as { logGroupName: string; events: { timestamp: number; message: string }[] };
        const bytes = d.events.reduce((s, ev) => s + Buffer.byteLength(ev.message), 0);
        const dims = [{ Name: 'LogGroupName', Value: d.logGroupName }];
        await this.publish(e, 'AWS/Logs', [
          { MetricName: 'IncomingLogEvents', Dimensions: dims, Value: d.events.length, Unit: 'None' },
          { MetricName: 'IncomingBytes', Dimensions: dims, Value: bytes, Unit: 'Bytes' },
        ]);
        for (const ev of d.events) {
          for (const [namespace, data] of extractEmf(ev.message, ev.timestamp)) {
            await this.metrics.publish(e, namespace, data).catch((error) => this.platform.logger.debug({ err: error }, 'cloudwatch: an EMF line was refused'));
          }
        }
      }),
    );
  }

  async publish(scope: Scope, namespace: string, data: MetricDatum[]): Promise<void> {
    const key = `${scope.accountId}:${scope.region}`;
    if (!this.#scopes.has(key)) this.#scopes.set(key, { accountId: scope.accountId, region: scope.region });
    await this.metrics.publish({ accountId: scope.accountId, region: scope.region }, namespace, data);
  }

  /** Samples every queue's depth (AWS/SQS), in each account and region seen. */
  async sampleQueues(): Promise<void> {
    for (const scope of this.#scopes.values()) {
      let urls: string[] = [];
      let token: string | undefined;
      do {
        // SQS may not be served: then there is nothing to sample.
        const page = await this.platform.call<{ QueueUrls?: string[]; NextToken?: string }>('sqs', 'ListQueues', { MaxResults: 1000, ...(token ? { NextToken: token } : {}) }, scope).catch(() => undefined);
        if (!page) return;
        urls = urls.concat(page.QueueUrls ?? []);
        token = page.NextToken;
      } while (token);
      const data: MetricDatum[] = [];
      for (const url of urls) {
        const out = await this.platform
          .call<{ Attributes?: Record<string, string> }>('sqs', 'GetQueueAttributes', { QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }, scope)
          .catch(() => undefined);
        if (!out?.Attributes) continue;
        const dims = [{ Name: 'QueueName', Value: url.slice(url.lastIndexOf('/') + 1) }];
        data.push(
          { MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: dims, Value: Number(out.Attributes.ApproximateNumberOfMessages ?? 0), Unit: 'Count' },
          { MetricName: 'ApproximateNumberOfMessagesNotVisible', Dimensions: dims, Value: Number(out.Attributes.ApproximateNumberOfMessagesNotVisible ?? 0), Unit: 'Count' },
          { MetricName: 'ApproximateNumberOfMessagesDelayed', Dimensions: dims, Value: Number(out.Attributes.ApproximateNumberOfMessagesDelayed ?? 0), Unit: 'Count' },
        );
      }
      for (let i = 0; i < data.length; i += 1000) await this.metrics.publish(scope, 'AWS/SQS', data.slice(i, i + 1000));
    }
  }

  /**
   * Samples every load balancer's target health (AWS/ApplicationELB or AWS/NetworkELB
   * HealthyHostCount and UnHealthyHostCount per TargetGroup and LoadBalancer), through ELB's public
   * operations, in each account and region seen.
   */
  async sampleLoadBalancers(): Promise<void> {
    type Lb = { LoadBalancerArn?: string; Type?: string };
    for (const scope of this.#scopes.values()) {
      let lbs: Lb[] = [];
      let marker: string | undefined;
      do {
        // ELB may not be served: then there is nothing to sample.
        const page = await this.platform.call<{ LoadBalancers?: Lb[]; NextMarker?: string }>('elbv2', 'DescribeLoadBalancers', { PageSize: 400, ...(marker ? { Marker: marker } : {}) }, scope).catch(() => undefined);
        if (!page) return;
        lbs = lbs.concat(page.LoadBalancers ?? []);
        marker = page.NextMarker;
      } while (marker);
      const byNamespace = new Map<string, MetricDatum[]>();
      for (const lb of lbs) {
        if (!lb.LoadBalancerArn || (lb.Type !== 'application' && lb.Type !== 'network')) continue;
        const namespace = lb.Type === 'application' ? 'AWS/ApplicationELB' : 'AWS/NetworkELB';
        const lbDim = lb.LoadBalancerArn.slice(lb.LoadBalancerArn.indexOf(':loadbalancer/') + ':loadbalancer/'.length);
        const groups = await this.platform
          .call<{ TargetGroups?: { TargetGroupArn?: string }[] }>('elbv2', 'DescribeTargetGroups', { LoadBalancerArn: lb.LoadBalancerArn }, scope)
          .catch(() => ({ TargetGroups: [] }));
        for (const tg of groups.TargetGroups ?? []) {
          if (!tg.TargetGroupArn) continue;
          const health = await this.platform
            .call<{ TargetHealthDescriptions?: { TargetHealth?: { State?: string } }[] }>('elbv2', 'DescribeTargetHealth', { TargetGroupArn: tg.TargetGroupArn }, scope)
            .catch(() => undefined);
          if (!health) continue;
          const states = (health.TargetHealthDescriptions ?? []).map((t) => t.TargetHealth?.State);
          const dims = [
            { Name: 'LoadBalancer', Value: lbDim },
            { Name: 'TargetGroup', Value: tg.TargetGroupArn.slice(tg.TargetGroupArn.lastIndexOf(':') + 1) },
          ];
          const data = byNamespace.get(namespace) ?? [];
          data.push(
            { MetricName: 'HealthyHostCount', Dimensions: dims, Value: states.filter((s) => s === 'healthy').length, Unit: 'Count' },
            { MetricName: 'UnHealthyHostCount', Dimensions: dims, Value: states.filter((s) => s === 'unhealthy').length, Unit: 'Count' },
          );
          byNamespace.set(namespace, data);
        }
      }
      for (const [namespace, data] of byNamespace) {
        for (let i = 0; i < data.length; i += 1000) await this.metrics.publish(scope, namespace, data.slice(i, i + 1000));
      }
    }
  }

  /** Previous CPU readings per process group, for utilization over the interval. */
  readonly #cpu = new Map<number, { at: number; cpuSeconds: number }>();

  /**
   * Samples every ECS service's tasks (AWS/ECS CPUUtilization and MemoryUtilization per cluster and
   * service, as percentages of the task's reserved cpu units and memory), through ECS's public
   * operations and /proc. `highResolution` stores the samples at 1 s.
   */
  async sampleEcs(highResolution: boolean): Promise<void> {
    for (const scope of this.#scopes.values()) {
      const clusters = await this.platform.call<{ clusterArns?: string[] }>('ecs', 'ListClusters', {}, scope).catch(() => undefined);
      if (!clusters) return;
      const data: MetricDatum[] = [];
      for (const cluster of clusters.clusterArns ?? []) {
        const services = await this.platform.call<{ serviceArns?: string[] }>('ecs', 'ListServices', { cluster, maxResults: 100 }, scope).catch(() => ({ serviceArns: [] }));
        for (const serviceArn of services.serviceArns ?? []) {
          const serviceName = serviceArn.slice(serviceArn.lastIndexOf('/') + 1);
          const tasks = await this.platform.call<{ taskArns?: string[] }>('ecs', 'ListTasks', { cluster, serviceName, desiredStatus: 'RUNNING' }, scope).catch(() => ({ taskArns: [] }));
          if (!tasks.taskArns?.length) continue;
          const described = await this.platform
            .call<{ tasks?: { cpu?: string; memory?: string; lastStatus?: string; containers?: { runtimeId?: string }[] }[] }>('ecs', 'DescribeTasks', { cluster, tasks: tasks.taskArns }, scope)
            .catch(() => ({ tasks: [] }));
          const running = (described.tasks ?? []).filter((t) => t.lastStatus === 'RUNNING');
          const pgids = running.flatMap((t) => (t.containers ?? []).map((c) => Number(c.runtimeId?.slice(c.runtimeId.lastIndexOf('-') + 1))).filter((n) => Number.isInteger(n) && n > 0));
          const samples = sampleProcessGroups(pgids);
          if (!samples) return;
          const now = Date.now();
          let cpuUsed = 0;
          let cpuReserved = 0;
          let memUsed = 0;
          let memReserved = 0;
          let measured = false;
          for (const t of running) {
            const reservedCores = (Number(t.cpu) || 1024) / 1024;
            for (const c of t.containers ?? []) {
              const pgid = Number(c.runtimeId?.slice(c.runtimeId.lastIndexOf('-') + 1));
              const s = samples.get(pgid);
              if (!s) continue;
              memUsed += s.rssBytes;
              const prev = this.#cpu.get(pgid);
              this.#cpu.set(pgid, { at: now, cpuSeconds: s.cpuSeconds });
              if (prev && now > prev.at) {
                cpuUsed += Math.max(0, s.cpuSeconds - prev.cpuSeconds) / ((now - prev.at) / 1000);
                measured = true;
              }
            }
            cpuReserved += reservedCores;
            memReserved += (Number(t.memory) || 512) * 1024 * 1024;
          }
          const clusterName = cluster.slice(cluster.lastIndexOf('/') + 1);
          const dims = [
            { Name: 'ClusterName', Value: clusterName },
            { Name: 'ServiceName', Value: serviceName },
          ];
          const resolution = highResolution ? { StorageResolution: 1 } : {};
          if (measured) data.push({ MetricName: 'CPUUtilization', Dimensions: dims, Value: (100 * cpuUsed) / cpuReserved, Unit: 'Percent', ...resolution });
          data.push({ MetricName: 'MemoryUtilization', Dimensions: dims, Value: (100 * memUsed) / memReserved, Unit: 'Percent', ...resolution });
        }
      }
      if (data.length > 0) await this.metrics.publish(scope, 'AWS/ECS', data);
    }
  }

  /** Writes the metrics aggregated from API calls (api-call-metrics.ts) since the last flush. */
  async flushApiCalls(): Promise<void> {
    for (const batch of this.#apiCalls.drain()) {
      for (let i = 0; i < batch.data.length; i += 1000) await this.publish(batch.scope, batch.namespace, batch.data.slice(i, i + 1000));
    }
  }

  close(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
  }
}
