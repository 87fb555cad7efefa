// The platform in the trace: the edge publishes `edge.ApiCallTraced` for every AWS API call that
// carried a trace header, and this module turns it into the call's segment (the service as a node,
// named after the resource the call named: the queue, table, topic, bucket). Calls are written as
// pending items every 100 ms and built into segments by the first query that needs them
// (recordPlatformSegments, XrayStore.materialize). A segment whose parent is the caller's `aws`
// subsegment for the same resource takes the place of the inferred segment X-Ray would otherwise add.
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

/**
 * A traced call or a platform-built segment as it waits to become a stored segment: a JSON array
 * (`["c", traceHeader, requestId, service, operation, status, errorCode, durationMs, time, resources]`
 * or `["d", traceId, id, startMs, inProgress, doc]`). The request path only writes this text; the
 * segment document is built when a query first needs it (XrayStore materializes pending items).
 */
export type PendingItem = string;

export function callItem(d: Pick<ApiCallTracedDetail, 'traceHeader' | 'requestId' | 'service' | 'operation' | 'status' | 'errorCode' | 'durationMs' | 'time' | 'resources'>): PendingItem {
  return JSON.stringify(['c', d.traceHeader, d.requestId, d.service, d.operation, d.status, d.errorCode ?? null, d.durationMs, d.time, d.resources]);
}

export function docItem(row: StoredSegment): PendingItem {
  return JSON.stringify(['d', row.traceId, row.id, row.startMs, row.inProgress, row.doc]);
}

/** The stored rows of pending items (parsed JSON arrays): the sampled calls' segments and the documents. */
export function expandItems(items: readonly unknown[], accountId: string, region: string): StoredSegment[] {
  const rows: StoredSegment[] = [];
  for (const item of items) {
    if (!Array.isArray(item)) continue;
    if (item[0] === 'd') {
      rows.push({ traceId: String(item[1]), id: String(item[2]), startMs: Number(item[3]), inProgress: item[4] === true, doc: String(item[5]) });
      continue;
    }
    if (item[0] !== 'c') continue;
    const [, traceHeader, requestId, service, operation, status, errorCode, durationMs, time, resources] = item as [string, string, string, string, string, number, string | null, number, number, ApiCallTracedDetail['resources']];
    const detail = { traceHeader, requestId, service, operation, status, durationMs, time, resources: resources ?? {}, ...(errorCode ? { errorCode } : {}) } as ApiCallTracedDetail;
    const doc = callSegment(detail, accountId, region);
    // Built here from known fields: no validation round trip (parse of the text) is needed.
    if (doc) rows.push({ traceId: doc.trace_id!, id: doc.id, startMs: Math.round(time), inProgress: false, doc: JSON.stringify(doc) });
  }
  return rows;
}

/**
 * How long traced calls wait in memory, and how many may wait. A batch is one row written without
 * waiting for the disk (~0.1 ms), so it can be written often: items that wait a second outlive
 * V8's young generation and cost the old one's collector more than their write (a traced
 * SendMessage cost ~4 µs more at 1 s than at 50 ms). A traced call shows in queries 0.1 s later.
 */
export const FLUSH_MS = 100;
export const MAX_PENDING = 2000;

/**
 * Subscribes to traced calls and platform-built segments and hands them on as pending items: a
 * sampled call costs the request path one short JSON text; every FLUSH_MS (or at MAX_PENDING
 * items) they are written, one store call per account and region, as they are. Building and
 * indexing the segments waits for the first query that needs them (XrayStore.materialize): a
 * busy platform's calls cost ~40 µs each when every one was built and indexed as it came
 * (bench/xray/edge-overhead.mjs). Answers the unsubscribe (which writes what is pending).
 */
export function recordPlatformSegments(
  bus: EventBus,
  store: (accountId: string, region: string, items: PendingItem[]) => Promise<unknown>,
  logger: Logger,
): { stop(): Promise<void> } {
  let pending = new Map<string, { accountId: string; region: string; items: PendingItem[] }>();
  let count = 0;
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();
  const flush = () => {
    timer = undefined;
    const batches = pending;
    pending = new Map();
    count = 0;
    flushing = flushing.then(async () => {
      for (const { accountId, region, items } of batches.values()) {
        await store(accountId, region, items).catch((error: unknown) => logger.warn({ err: error, segments: items.length }, 'xray: platform segments not stored'));
      }
    });
  };
  const queue = (accountId: string, region: string, item: PendingItem) => {
    const scope = `${accountId}/${region}`;
    let batch = pending.get(scope);
    if (!batch) pending.set(scope, (batch = { accountId, region, items: [] }));
    batch.items.push(item);
    if (++count >= MAX_PENDING) {
      if (timer) clearTimeout(timer);
      flush();
    } else timer ??= setTimeout(flush, FLUSH_MS);
  };
  const offCalls = bus.on(API_CALL_TRACED, (event: PlatformEvent) => {
    const d = event.detail as ApiCallTracedDetail;
    // An unsampled call has no segment; X-Ray's own calls are not traced.
    if (d.service === 'xray' || d.traceHeader.includes('Sampled=0')) return;
    queue(event.accountId, event.region, callItem(d));
  });
  const offSegments = bus.on(PLATFORM_SEGMENT, (event: PlatformEvent) => {
    const text = String(event.detail.document ?? '');
    const checked = checkSegment(text, Date.now(), { anyTraceEpoch: true });
    if (rejected(checked)) logger.warn({ code: checked.code, id: checked.id }, 'xray: a platform segment was refused');
    else queue(event.accountId, event.region, docItem({ traceId: checked.traceId, id: checked.id, startMs: checked.startMs, inProgress: checked.inProgress, doc: text }));
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
