// OTLP/HTTP bodies in and out: protobuf through protobufjs and the vendored opentelemetry-proto
// definitions (services/xray/proto), JSON as the OTLP/JSON encoding. Both decode to the OTLP/JSON
// shape (lowerCamelCase, ids in hex, 64-bit integers as strings), so that one mapping serves both.
// AnyValue members that are set keep their value even when it is `false` or `0`.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';

export type Signal = 'traces' | 'logs' | 'metrics';

/** services/xray/proto, found from the package's entry (dist/src/index.js), also from the server's bundle. */
const PROTO_DIR = join(dirname(createRequire(import.meta.url).resolve('@atoll/xray')), '..', '..', 'proto');

const FILES = {
  traces: 'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  logs: 'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  metrics: 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
} as const;

const TYPES = {
  traces: ['opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest', 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'],
  logs: ['opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest', 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse'],
  metrics: ['opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest', 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse'],
} as const;

/** The fields holding ids (bytes), turned from base64 into hex after a protobuf decode. */
const ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);

let root: protobuf.Root | undefined;
function types(): protobuf.Root {
  if (!root) {
    const r = new protobuf.Root();
    r.resolvePath = (_origin, target) => join(PROTO_DIR, target);
    r.loadSync(Object.values(FILES), { keepCase: false });
    r.resolveAll();
    root = r;
  }
  return root;
}

/** google.rpc.Status, the body of an OTLP/HTTP error response. */
const STATUS = new protobuf.Type('Status').add(new protobuf.Field('code', 1, 'int32')).add(new protobuf.Field('message', 2, 'string'));
new protobuf.Root().define('google.rpc').add(STATUS);

export class OtlpDecodeError extends Error {}

/** Turns the ids of spans and log records from base64 (protobufjs's bytes as strings) into hex, in place. */
function idsToHex(request: Record<string, unknown>): Record<string, unknown> {
  const hex = (o: Record<string, unknown>) => {
    for (const k of ID_FIELDS) if (typeof o[k] === 'string') o[k] = Buffer.from(o[k] as string, 'base64').toString('hex');
  };
  type Scoped = { scopeSpans?: { spans?: Record<string, unknown>[] }[]; scopeLogs?: { logRecords?: Record<string, unknown>[] }[] };
  for (const r of [...((request.resourceSpans as Scoped[] | undefined) ?? []), ...((request.resourceLogs as Scoped[] | undefined) ?? [])]) {
    for (const scope of r.scopeSpans ?? []) for (const span of scope.spans ?? []) hex(span);
    for (const scope of r.scopeLogs ?? []) for (const record of scope.logRecords ?? []) hex(record);
  }
  return request;
}

/** Decodes an export request (protobuf when `binary`, else JSON) to the OTLP/JSON shape. */
export function decodeRequest(signal: Signal, body: Buffer, binary: boolean): Record<string, unknown> {
  if (!binary) {
    try {
      const parsed = JSON.parse(body.length ? body.toString('utf8') : '{}') as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new OtlpDecodeError('the body is not a JSON object');
      return parsed as Record<string, unknown>;
    } catch (e) {
      throw new OtlpDecodeError(`invalid JSON: ${(e as Error).message}`);
    }
  }
  const type = types().lookupType(TYPES[signal][0]);
  let message: protobuf.Message;
  try {
    message = type.decode(body);
  } catch (e) {
    throw new OtlpDecodeError(`invalid protobuf: ${(e as Error).message}`);
  }
  const obj = type.toObject(message, { longs: String, enums: Number, bytes: String, oneofs: false, defaults: false });
  return idsToHex(obj as Record<string, unknown>);
}

/** An export response with its partial success (nothing rejected: an empty message, as the spec says). */
export function encodeResponse(signal: Signal, binary: boolean, rejected: number, errorMessage: string): Buffer {
  const field = signal === 'traces' ? 'rejectedSpans' : signal === 'logs' ? 'rejectedLogRecords' : 'rejectedDataPoints';
  const body = rejected > 0 || errorMessage ? { partialSuccess: { [field]: rejected, errorMessage } } : {};
  if (!binary) return Buffer.from(JSON.stringify(body));
  const type = types().lookupType(TYPES[signal][1]);
  return Buffer.from(type.encode(type.fromObject(body)).finish());
}

/** A google.rpc.Status body (code 3 INVALID_ARGUMENT for bad requests). */
export function encodeStatus(binary: boolean, code: number, message: string): Buffer {
  if (!binary) return Buffer.from(JSON.stringify({ code, message }));
  return Buffer.from(STATUS.encode(STATUS.fromObject({ code, message })).finish());
}

/** The request types, for clients in tests and benchmarks that encode OTLP protobuf. */
export function requestType(signal: Signal): protobuf.Type {
  return types().lookupType(TYPES[signal][0]);
}
