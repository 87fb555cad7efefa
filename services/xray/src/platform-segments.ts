// The platform in the trace: the edge publishes `edge.ApiCallTraced` for every AWS API call that
// carried a trace header, and this module turns it into the call's segment (the service as a node,
// named after the resource the call named: the queue, table, topic, bucket), built and stored in
// batches, one store transaction per 50 ms (recordPlatformSegments). A segment whose parent is the caller's `aws` subsegment for the same
// resource takes the place of the inferred segment X-Ray would otherwise add.
import { randomBytes } from 'node:crypto';
import { API_CALL_TRACED, platformSegmentId, type ApiCallTracedDetail, type EventBus, type Logger, type PlatformEvent } from '@atoll/core';
import { checkSegment, rejected, type SegmentDoc } from './segment-document.js';
import type { StoredSegment } from './xray-store.js';

const PRODUCT: Record<string, string> = {
  sqs: 'SQS',
  sns: 'SNS',
  dynamodb: 'DynamoDB',
  dynamodbstreams: 'DynamoDBStreams',
  s3: 'S3',
  lambda: 'Lambda',
  ecs: 'ECS',
  ecr: 'ECR',
  elbv2: 'ElasticLoadBalancingV2',
  logs: 'CloudWatchLogs',
  cloudwatch: 'CloudWatch',
  sts: 'STS',
  iam: 'IAM',
  apigateway: 'ApiGateway',
  apigatewayv2: 'ApiGatewayV2',
  rds: 'RDS',
  elasticache: 'ElastiCache',
  route53: 'Route53',
  servicediscovery: 'ServiceDiscovery',
  cloudtrail: 'CloudTrail',
};

const THROTTLE = /throttl|toomanyrequests|slowdown|provisionedthroughputexceeded|requestlimitexceeded/i;

/** `Root=…;Parent=…;Sampled=…` → its parts (undefined without a valid Root). */
export function parseTraceHeader(header: string): { root: string; parent?: string; sampled: boolean } | undefined {
  const parts: Record<string, string> = {};
  for (const p of header.split(';')) {
    const i = p.indexOf('=');
    if (i > 0) parts[p.slice(0, i).trim()] = p.slice(i + 1).trim();
  }
  if (!parts.Root || !/^1-[0-9a-f]{8}-[0-9a-f]{24}$/.test(parts.Root)) return undefined;
  return { root: parts.Root, ...(parts.Parent && /^[0-9a-f]{16}$/.test(parts.Parent) ? { parent: parts.Parent } : {}), sampled: parts.Sampled !== '0' };
}

/** The node of a call: the resource it named, else the service. */
export function callNode(d: Pick<ApiCallTracedDetail, 'service' | 'resources'>): { name: string; type: string; aws: Record<string, unknown> } {
  const product = PRODUCT[d.service] ?? d.service.charAt(0).toUpperCase() + d.service.slice(1);
  const r = d.resources;
  if (r.queueName) return { name: r.queueName, type: 'AWS::SQS::Queue', aws: { queue_name: r.queueName } };
  if (r.tableName) return { name: r.tableName, type: 'AWS::DynamoDB::Table', aws: { table_name: r.tableName } };
  if (r.topicArn) return { name: r.topicArn.slice(r.topicArn.lastIndexOf(':') + 1), type: 'AWS::SNS::Topic', aws: { topic_arn: r.topicArn } };
  if (r.bucket) return { name: r.bucket, type: 'AWS::S3::Bucket', aws: { bucket_name: r.bucket } };
  if (r.functionName) {
    // `name`, `name:alias` or an ARN: the Lambda service's node is named after the function, as in AWS.
    const arn = /^arn:[^:]+:lambda:[^:]+:\d{12}:function:([^:]+)/.exec(r.functionName);
    return { name: arn ? arn[1]! : r.functionName.split(':')[0]!, type: 'AWS::Lambda', aws: { function_name: r.functionName } };
  }
  return { name: product, type: `AWS::${product}`, aws: {} };
}

/** The segment of one traced call; undefined when not sampled or without a valid trace id. */
export function callSegment(d: ApiCallTracedDetail, accountId: string, region: string): SegmentDoc | undefined {
  const trace = parseTraceHeader(d.traceHeader);
  if (!trace || !trace.sampled) return undefined;
  const node = callNode(d);
  const doc: SegmentDoc = {
    name: node.name,
    id: platformSegmentId(d.requestId),
    trace_id: trace.root,
    ...(trace.parent ? { parent_id: trace.parent } : {}),
    start_time: d.time / 1000,
    end_time: (d.time + d.durationMs) / 1000,
    origin: node.type,
    aws: { operation: d.operation, request_id: d.requestId, region, account_id: accountId, ...node.aws },
    http: { response: { status: d.status } },
  };
  if (d.status === 429 || (d.errorCode && THROTTLE.test(d.errorCode))) {
    doc.throttle = true;
    doc.error = true;
  } else if (d.status >= 500) doc.fault = true;
  else if (d.status >= 400) doc.error = true;
  if (d.errorCode) doc.cause = { exceptions: [{ id: randomBytes(8).toString('hex'), type: d.errorCode, remote: true }] };
  return doc;
}

/**
 * `xray.PlatformSegment`: a segment a platform component built itself (API Gateway's stage segment),
 * detail `{ document }` (JSON text). Stored with the edge's segments; unlike PutTraceSegments, a
 * trace id from a W3C traceparent (whose first digits are no time) is accepted.
 */
export const PLATFORM_SEGMENT = 'xray.PlatformSegment';

/** A traced call waiting for the next flush (its segment is built then, off the request path), or a built segment. */
type PendingCall = { detail: ApiCallTracedDetail; accountId: string; region: string } | { row: StoredSegment; accountId: string; region: string };

/** The stored rows of the pending calls' segments, by account and region (the sampled ones only). */
export function platformRows(calls: readonly PendingCall[]): Map<string, { accountId: string; region: string; rows: StoredSegment[] }> {
  const out = new Map<string, { accountId: string; region: string; rows: StoredSegment[] }>();
  for (const c of calls) {
    let row: StoredSegment;
    if ('row' in c) row = c.row;
    else {
      const doc = callSegment(c.detail, c.accountId, c.region);
      if (!doc) continue;
      // Built here from known fields: no validation round trip (parse of the text) is needed.
      row = { traceId: doc.trace_id!, id: doc.id, startMs: Math.round(c.detail.time), inProgress: false, doc: JSON.stringify(doc) };
    }
    const scope = `${c.accountId}/${c.region}`;
    let batch = out.get(scope);
    if (!batch) out.set(scope, (batch = { accountId: c.accountId, region: c.region, rows: [] }));
    batch.rows.push(row);
  }
  return out;
}

/**
 * How long traced calls wait to be stored, and how many may wait. A store transaction costs a
 * commit (an fsync on SQLite, a round trip on PostgreSQL) that a batch shares: at 50 ms a busy
 * queue paid ~25 µs of it per request, at 1 s it is ~1 µs. The price is that a traced call shows in
 * queries up to a second later (X-Ray itself takes seconds).
 */
export const FLUSH_MS = 1000;
export const MAX_PENDING = 2000;

/**
 * Subscribes to traced calls and stores their segments: a call costs the request path one array
 * push; every FLUSH_MS (or at MAX_PENDING calls) the calls' segments are built and written, one
 * store transaction per account and region. Answers the unsubscribe (which writes what is pending).
 */
export function recordPlatformSegments(
  bus: EventBus,
  store: (accountId: string, region: string, rows: StoredSegment[]) => Promise<unknown>,
  logger: Logger,
): { stop(): Promise<void> } {
  let pending: PendingCall[] = [];
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();
  const flush = () => {
    timer = undefined;
    const calls = pending;
    pending = [];
    flushing = flushing.then(async () => {
      for (const { accountId, region, rows } of platformRows(calls).values()) {
        await store(accountId, region, rows).catch((error: unknown) => logger.warn({ err: error, segments: rows.length }, 'xray: platform segments not stored'));
      }
    });
  };
  const queue = (call: PendingCall) => {
    pending.push(call);
    if (pending.length >= MAX_PENDING) {
      if (timer) clearTimeout(timer);
      flush();
    } else timer ??= setTimeout(flush, FLUSH_MS);
  };
  const offCalls = bus.on(API_CALL_TRACED, (event: PlatformEvent) => {
    const d = event.detail as ApiCallTracedDetail;
    if (d.service === 'xray') return;
    // Only what the segment needs: holding the call's input and output until the flush would keep
    // them alive past the young generation (major GC work for every traced request).
    const detail = { service: d.service, operation: d.operation, status: d.status, errorCode: d.errorCode, durationMs: d.durationMs, time: d.time, resources: d.resources, traceHeader: d.traceHeader, requestId: d.requestId };
    queue({ detail, accountId: event.accountId, region: event.region });
  });
  const offSegments = bus.on(PLATFORM_SEGMENT, (event: PlatformEvent) => {
    const text = String(event.detail.document ?? '');
    const checked = checkSegment(text, Date.now(), { anyTraceEpoch: true });
    if (rejected(checked)) logger.warn({ code: checked.code, id: checked.id }, 'xray: a platform segment was refused');
    else queue({ row: { traceId: checked.traceId, id: checked.id, startMs: checked.startMs, inProgress: checked.inProgress, doc: text }, accountId: event.accountId, region: event.region });
  });
  const off = () => {
    offCalls();
    offSegments();
  };
  return {
    async stop() {
      off();
      if (timer) clearTimeout(timer);
      flush();
      await flushing;
    },
  };
}
