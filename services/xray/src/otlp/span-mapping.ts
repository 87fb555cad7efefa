// OTLP spans to X-Ray segment documents, as AWS's OpenTelemetry support maps them (the ADOT
// X-Ray exporter): the 128-bit trace id becomes `1-<8 hex>-<24 hex>`; SERVER spans and spans
// without a parent become segments named after the resource's `service.name`, the others
// subsegments of their parent span (CLIENT/PRODUCER calls are `aws` when `rpc.system` is `aws-api`,
// else `remote`); HTTP attributes fill `http`; the status and HTTP code set error/fault/throttle;
// attributes named by `aws.xray.annotations` become annotations, all others metadata (`default`).
import type { SegmentDoc } from '../segment-document.js';
import { attributes, nanosToSeconds, type KeyValue, type Plain } from './otlp-values.js';

export interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number | string;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: KeyValue[];
  status?: { code?: number | string; message?: string };
}

const KIND: Record<string, number> = { SPAN_KIND_INTERNAL: 1, SPAN_KIND_SERVER: 2, SPAN_KIND_CLIENT: 3, SPAN_KIND_PRODUCER: 4, SPAN_KIND_CONSUMER: 5 };
const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;

const ORIGINS: Record<string, string> = {
  aws_ecs: 'AWS::ECS::Container',
  aws_eks: 'AWS::EKS::Container',
  aws_ec2: 'AWS::EC2::Instance',
  aws_lambda: 'AWS::Lambda::Function',
  aws_elastic_beanstalk: 'AWS::ElasticBeanstalk::Environment',
};

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

/** `1-<8>-<24>` from a 32-hex OTel/W3C trace id; undefined when invalid (all zero or the wrong length). */
export function xrayTraceId(hex: string | undefined): string | undefined {
  const h = hex?.toLowerCase();
  if (!h || !HEX32.test(h) || /^0+$/.test(h)) return undefined;
  return `1-${h.slice(0, 8)}-${h.slice(8)}`;
}

const str = (v: Plain | undefined): string | undefined => (v === undefined || v === null ? undefined : String(v));
const first = (v: Plain | undefined): Plain | undefined => (Array.isArray(v) ? v[0] : v);

/** One span as a segment document; undefined when its ids are invalid. */
export function spanToSegment(span: OtlpSpan, resource: Record<string, Plain>): SegmentDoc | undefined {
  const traceId = xrayTraceId(span.traceId);
  const id = span.spanId?.toLowerCase();
  if (!traceId || !id || !HEX16.test(id) || /^0+$/.test(id)) return undefined;
  const parent = span.parentSpanId && /[1-9a-f]/i.test(span.parentSpanId) ? span.parentSpanId.toLowerCase() : undefined;
  const kind = typeof span.kind === 'string' ? (KIND[span.kind] ?? 0) : (span.kind ?? 0);
  const attrs = attributes(span.attributes);
  const isSegment = kind === SERVER || !parent;
  const isCall = kind === CLIENT || kind === PRODUCER;
  const aws = attrs['rpc.system'] === 'aws-api';
  const status = Number(attrs['http.response.status_code'] ?? attrs['http.status_code'] ?? NaN);
  const url = str(attrs['url.full'] ?? attrs['http.url']);
  const method = str(attrs['http.request.method'] ?? attrs['http.method']);
  const doc: SegmentDoc = {
    name: '',
    id,
    trace_id: traceId,
    start_time: nanosToSeconds(span.startTimeUnixNano),
    end_time: nanosToSeconds(span.endTimeUnixNano),
  };
  if (isSegment) {
    doc.name = str(resource['service.name']) ?? span.name ?? 'unknown_service';
    if (parent) doc.parent_id = parent;
    const origin = ORIGINS[String(resource['cloud.platform'])];
    if (origin) doc.origin = origin;
    if (attrs['enduser.id'] !== undefined) doc.user = String(attrs['enduser.id']);
  } else {
    doc.type = 'subsegment';
    doc.parent_id = parent;
    if (isCall && aws) {
      doc.namespace = 'aws';
      doc.name = str(attrs['rpc.service']) ?? span.name ?? 'aws';
      doc.aws = {
        operation: attrs['rpc.method'],
        ...(attrs['cloud.region'] !== undefined || resource['cloud.region'] !== undefined ? { region: attrs['cloud.region'] ?? resource['cloud.region'] } : {}),
        ...(attrs['aws.dynamodb.table_names'] !== undefined ? { table_name: first(attrs['aws.dynamodb.table_names']) } : {}),
        ...(attrs['aws.sqs.queue_url'] !== undefined || attrs['messaging.url'] !== undefined ? { queue_url: attrs['aws.sqs.queue_url'] ?? attrs['messaging.url'] } : {}),
      };
    } else if (isCall) {
      doc.namespace = 'remote';
      doc.name = str(attrs['server.address'] ?? attrs['net.peer.name'] ?? attrs['peer.service']) ?? span.name ?? 'remote';
    } else doc.name = span.name || 'internal';
  }
  if (method || url || !Number.isNaN(status)) {
    doc.http = {
      request: {
        ...(method ? { method } : {}),
        ...(url ? { url } : {}),
        ...(attrs['user_agent.original'] !== undefined ? { user_agent: String(attrs['user_agent.original']) } : {}),
        ...(attrs['client.address'] !== undefined ? { client_ip: String(attrs['client.address']) } : {}),
      },
      ...(!Number.isNaN(status) ? { response: { status } } : {}),
    };
  }
  const statusCode = span.status?.code;
  const failed = statusCode === 2 || statusCode === 'STATUS_CODE_ERROR';
  if (status === 429) {
    doc.throttle = true;
    doc.error = true;
  } else if (status >= 500) doc.fault = true;
  else if (status >= 400) doc.error = true;
  else if (failed) doc.fault = true;
  const indexed = new Set(([] as Plain[]).concat(resource['aws.xray.annotations'] ?? [], attrs['aws.xray.annotations'] ?? []).map(String));
  const annotations: Record<string, string | number | boolean> = {};
  const metadata: Record<string, Plain> = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'aws.xray.annotations') continue;
    if (indexed.has(k) && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) annotations[k.replace(/[^A-Za-z0-9_]/g, '_')] = v;
    else metadata[k] = v;
  }
  if (Object.keys(annotations).length) doc.annotations = annotations;
  if (Object.keys(metadata).length) doc.metadata = { default: metadata };
  return doc;
}
