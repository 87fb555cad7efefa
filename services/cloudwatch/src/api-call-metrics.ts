// Platform metrics derived from the edge's `edge.ApiCallCompleted` events (one per AWS API request,
// packages/core/src/api-call-event.ts), in AWS's namespaces, names and dimensions:
// - AWS/SQS NumberOfMessagesSent / NumberOfMessagesReceived / NumberOfMessagesDeleted /
//   NumberOfEmptyReceives per QueueName (batch calls count their successful entries);
// - AWS/SNS NumberOfMessagesPublished per TopicName;
// - AWS/DynamoDB SuccessfulRequestLatency, ThrottledRequests and SystemErrors per TableName and
//   Operation, ConsumedRead/WriteCapacityUnits per TableName (from the response's ConsumedCapacity,
//   so only for calls that asked for it), UserErrors per account and region;
// - AWS/S3 AllRequests, GetRequests, PutRequests, DeleteRequests, HeadRequests, ListRequests,
//   4xxErrors, 5xxErrors and TotalRequestLatency per BucketName with FilterId `EntireBucket`;
// - AWS/Lambda Throttles per FunctionName (Invoke answered TooManyRequestsException).
// The load balancers' `elbv2.RequestServed` events (the HTTP proxy's answers) make AWS/ApplicationELB
// RequestCount, HTTPCode_ELB_4XX/5XX_Count per LoadBalancer, and RequestCount, TargetResponseTime
// and HTTPCode_Target_2XX/3XX/4XX/5XX_Count per LoadBalancer and per TargetGroup and LoadBalancer,
// RequestCountPerTarget per TargetGroup (and with LoadBalancer), what ALBRequestCountPerTarget tracks.
// Events are aggregated in memory per minute (value → count, so percentiles stay exact) and written
// by `flush` (every second from the provider, and on close): one write per namespace, never one per
// request. Each node aggregates the calls it served; the store merges their buckets.
import type { ApiCallCompletedDetail, PlatformEvent } from '@atoll/core';
import type { MetricDatum } from '@atoll/aws-models/cloudwatch';
import type { Scope } from './metric-operations.js';

type Dims = { Name: string; Value: string }[];

interface Pending {
  scope: Scope;
  namespace: string;
  name: string;
  dims: Dims;
  unit: MetricDatum['Unit'];
  minute: number;
  values: Map<number, number>;
}

/** AWS caps one datum's Values array at 150 entries. */
const MAX_VALUES = 150;

const S3_KIND: Record<string, string> = {
  GetObject: 'GetRequests',
  PutObject: 'PutRequests',
  UploadPart: 'PutRequests',
  CopyObject: 'PutRequests',
  DeleteObject: 'DeleteRequests',
  DeleteObjects: 'DeleteRequests',
  HeadObject: 'HeadRequests',
  HeadBucket: 'HeadRequests',
  ListObjects: 'ListRequests',
  ListObjectsV2: 'ListRequests',
  ListObjectVersions: 'ListRequests',
  ListMultipartUploads: 'ListRequests',
};

const DYNAMODB_THROTTLES = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded']);
const DYNAMODB_READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);

/** A function's name from a name, a partial or full ARN, without a version or alias. */
export function functionNameOf(ref: string): string {
  const parts = ref.split(':');
  if (ref.startsWith('arn:')) return parts[6] ?? ref;
  // `123456789012:function:name[:qualifier]` or `name[:qualifier]`
  if (parts[1] === 'function') return parts[2] ?? ref;
  return parts[0]!;
}

function successfulCount(output: unknown, single: boolean, list: string): number {
  if (single) return 1;
  const entries = (output as Record<string, unknown> | undefined)?.[list];
  return Array.isArray(entries) ? entries.length : 0;
}

export class ApiCallMetrics {
  readonly #pending = new Map<string, Pending>();

  /** Adds one sample (`count` times) to the minute it falls in. */
  add(scope: Scope, namespace: string, name: string, dims: Dims, unit: MetricDatum['Unit'], time: number, value: number, count = 1): void {
    if (count <= 0) return;
    const minute = Math.floor(time / 60_000) * 60_000;
    const key = `${scope.accountId}\u0000${scope.region}\u0000${namespace}\u0000${name}\u0000${dims.map((d) => `${d.Name}=${d.Value}`).join('\u0001')}\u0000${minute}`;
    let p = this.#pending.get(key);
    if (!p) this.#pending.set(key, (p = { scope, namespace, name, dims, unit, minute, values: new Map() }));
    p.values.set(value, (p.values.get(value) ?? 0) + count);
  }

  /** Turns one completed API call into samples. */
  record(event: PlatformEvent): void {
    const d = event.detail as ApiCallCompletedDetail;
    const scope = { accountId: event.accountId, region: event.region };
    const ok = d.status < 300;
    const r = d.resources;
    switch (d.service) {
      case 'sqs': {
        if (!ok || !r.queueName) return;
        const dims = [{ Name: 'QueueName', Value: r.queueName }];
        if (d.operation === 'SendMessage' || d.operation === 'SendMessageBatch') {
          const n = successfulCount(d.output, d.operation === 'SendMessage', 'Successful');
          this.add(scope, 'AWS/SQS', 'NumberOfMessagesSent', dims, 'Count', d.time, 1, n);
        } else if (d.operation === 'DeleteMessage' || d.operation === 'DeleteMessageBatch') {
          const n = successfulCount(d.output, d.operation === 'DeleteMessage', 'Successful');
          this.add(scope, 'AWS/SQS', 'NumberOfMessagesDeleted', dims, 'Count', d.time, 1, n);
        } else if (d.operation === 'ReceiveMessage') {
          const n = successfulCount(d.output, false, 'Messages');
          this.add(scope, 'AWS/SQS', 'NumberOfMessagesReceived', dims, 'Count', d.time, n);
          this.add(scope, 'AWS/SQS', 'NumberOfEmptyReceives', dims, 'Count', d.time, n === 0 ? 1 : 0);
        }
        return;
      }
      case 'sns': {
        if (!ok || !r.topicArn || (d.operation !== 'Publish' && d.operation !== 'PublishBatch')) return;
        const n = successfulCount(d.output, d.operation === 'Publish', 'Successful');
        this.add(scope, 'AWS/SNS', 'NumberOfMessagesPublished', [{ Name: 'TopicName', Value: r.topicArn.slice(r.topicArn.lastIndexOf(':') + 1) }], 'Count', d.time, 1, n);
        return;
      }
      case 'dynamodb':
        this.#dynamodb(scope, d);
        return;
      case 's3': {
        if (!r.bucket) return;
        const dims = [
          { Name: 'BucketName', Value: r.bucket },
          { Name: 'FilterId', Value: 'EntireBucket' },
        ];
        this.add(scope, 'AWS/S3', 'AllRequests', dims, 'Count', d.time, 1);
        const kind = S3_KIND[d.operation];
        if (kind) this.add(scope, 'AWS/S3', kind, dims, 'Count', d.time, 1);
        this.add(scope, 'AWS/S3', '4xxErrors', dims, 'Count', d.time, d.status >= 400 && d.status < 500 ? 1 : 0);
        this.add(scope, 'AWS/S3', '5xxErrors', dims, 'Count', d.time, d.status >= 500 ? 1 : 0);
        this.add(scope, 'AWS/S3', 'TotalRequestLatency', dims, 'Milliseconds', d.time, Math.round(d.durationMs * 1000) / 1000);
        return;
      }
      case 'lambda':
        if (r.functionName && (d.operation === 'Invoke' || d.operation === 'InvokeWithResponseStream') && d.errorCode === 'TooManyRequestsException') {
          const fn = functionNameOf(r.functionName);
          this.add(scope, 'AWS/Lambda', 'Throttles', [{ Name: 'FunctionName', Value: fn }], 'Count', d.time, 1);
          this.add(scope, 'AWS/Lambda', 'Throttles', [], 'Count', d.time, 1);
        }
        return;
    }
  }

  /** Turns one request answered by an application load balancer into samples. */
  recordElb(event: PlatformEvent): void {
    const d = event.detail as { listenerId: string; targetGroupId?: string; status: number; fromTarget: boolean; targetResponseMs?: number; eligibleTargets?: number };
    const scope = { accountId: event.accountId, region: event.region };
    // arn:…:listener/app/<name>/<lb id>/<listener id> → app/<name>/<lb id>
    const resource = d.listenerId.slice(d.listenerId.indexOf(':listener/') + ':listener/'.length);
    const lb = resource.slice(0, resource.lastIndexOf('/'));
    const now = Date.now();
    const byLb = [{ Name: 'LoadBalancer', Value: lb }];
    const sets = [byLb];
    if (d.targetGroupId !== undefined) sets.push([{ Name: 'LoadBalancer', Value: lb }, { Name: 'TargetGroup', Value: d.targetGroupId.slice(d.targetGroupId.lastIndexOf(':') + 1) }]);
    const klass = `${Math.floor(d.status / 100)}XX`;
    if (d.targetGroupId !== undefined && d.fromTarget) {
      // RequestCountPerTarget (Sum): each request counts 1 / the group's eligible targets at the time.
      const tg = sets[1]![1]!;
      const perTarget = Math.round((1 / Math.max(1, d.eligibleTargets ?? 1)) * 1e6) / 1e6;
      this.add(scope, 'AWS/ApplicationELB', 'RequestCountPerTarget', [tg], 'Count', now, perTarget);
      this.add(scope, 'AWS/ApplicationELB', 'RequestCountPerTarget', sets[1]!, 'Count', now, perTarget);
    }
    for (const dims of sets) {
      this.add(scope, 'AWS/ApplicationELB', 'RequestCount', dims, 'Count', now, 1);
      if (d.fromTarget) {
        this.add(scope, 'AWS/ApplicationELB', `HTTPCode_Target_${klass}_Count`, dims, 'Count', now, 1);
        this.add(scope, 'AWS/ApplicationELB', 'TargetResponseTime', dims, 'Seconds', now, Math.round(d.targetResponseMs ?? 0) / 1000);
      }
    }
    if (!d.fromTarget && d.status >= 400) {
      this.add(scope, 'AWS/ApplicationELB', `HTTPCode_ELB_${klass}_Count`, byLb, 'Count', now, 1);
      if ([500, 502, 503, 504].includes(d.status)) this.add(scope, 'AWS/ApplicationELB', `HTTPCode_ELB_${d.status}_Count`, byLb, 'Count', now, 1);
    }
  }

  #dynamodb(scope: Scope, d: ApiCallCompletedDetail): void {
    const table = d.resources.tableName;
    if (d.status >= 400 && d.status < 500 && !DYNAMODB_THROTTLES.has(d.errorCode ?? '')) {
      this.add(scope, 'AWS/DynamoDB', 'UserErrors', [], 'Count', d.time, 1);
    }
    if (table) {
      const dims = [
        { Name: 'Operation', Value: d.operation },
        { Name: 'TableName', Value: table },
      ];
      if (d.status < 300) this.add(scope, 'AWS/DynamoDB', 'SuccessfulRequestLatency', dims, 'Milliseconds', d.time, Math.round(d.durationMs * 1000) / 1000);
      if (DYNAMODB_THROTTLES.has(d.errorCode ?? '')) this.add(scope, 'AWS/DynamoDB', 'ThrottledRequests', dims, 'Count', d.time, 1);
      if (d.status >= 500) this.add(scope, 'AWS/DynamoDB', 'SystemErrors', dims, 'Count', d.time, 1);
    }
    if (d.status >= 300) return;
    const consumed = (d.output as { ConsumedCapacity?: unknown } | undefined)?.ConsumedCapacity;
    const entries = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as { TableName?: string; CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number }[];
    const read = DYNAMODB_READS.has(d.operation);
    for (const c of entries) {
      if (!c.TableName) continue;
      const dims = [{ Name: 'TableName', Value: c.TableName }];
      const units = read ? (c.ReadCapacityUnits ?? c.CapacityUnits) : (c.WriteCapacityUnits ?? c.CapacityUnits);
      if (typeof units === 'number') this.add(scope, 'AWS/DynamoDB', read ? 'ConsumedReadCapacityUnits' : 'ConsumedWriteCapacityUnits', dims, 'Count', d.time, units);
    }
  }

  /** Takes what was aggregated, as PutMetricData batches per account, region and namespace. */
  drain(): { scope: Scope; namespace: string; data: MetricDatum[] }[] {
    const out = new Map<string, { scope: Scope; namespace: string; data: MetricDatum[] }>();
    for (const p of this.#pending.values()) {
      const key = `${p.scope.accountId}\u0000${p.scope.region}\u0000${p.namespace}`;
      let batch = out.get(key);
      if (!batch) out.set(key, (batch = { scope: p.scope, namespace: p.namespace, data: [] }));
      const entries = [...p.values];
      for (let i = 0; i < entries.length; i += MAX_VALUES) {
        const chunk = entries.slice(i, i + MAX_VALUES);
        batch.data.push({
          MetricName: p.name,
          ...(p.dims.length ? { Dimensions: p.dims } : {}),
          Timestamp: new Date(p.minute),
          Values: chunk.map(([v]) => v),
          Counts: chunk.map(([, c]) => c),
          Unit: p.unit,
        });
      }
    }
    this.#pending.clear();
    return [...out.values()];
  }
}
