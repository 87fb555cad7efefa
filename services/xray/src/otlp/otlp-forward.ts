// OTLP logs to CloudWatch Logs (CreateLogGroup, CreateLogStream, PutLogEvents) and OTLP metrics to
// CloudWatch (PutMetricData), through those services' public typed operations. The log group is the
// resource's `aws.log.group.names` (else `/otlp/<service.name>`), the stream its
// `aws.log.stream.names` (else `otlp`); the metric namespace is `service.namespace` (else
// `otlp/<service.name>`), each data point's attributes its dimensions.
import type { CallContext, PlatformContext } from '@atoll/core';
import { attributes, nanosToSeconds, plain, type AnyValue, type KeyValue, type Plain } from './otlp-values.js';

interface Resource {
  attributes?: KeyValue[];
}

const first = (v: Plain | undefined): string | undefined => (v === undefined || v === null ? undefined : String(Array.isArray(v) ? v[0] : v));
const serviceName = (r: Record<string, Plain>) => first(r['service.name']) ?? 'unknown_service';
const isCode = (e: unknown, code: string) => (e as { code?: string }).code === code;

export interface Forwarded {
  accepted: number;
  rejected: number;
  error: string;
}

interface LogRecord {
  timeUnixNano?: string | number;
  observedTimeUnixNano?: string | number;
  severityText?: string;
  severityNumber?: number;
  body?: AnyValue;
  attributes?: KeyValue[];
  traceId?: string;
  spanId?: string;
}

/** The message of a log record: its body text, or a JSON object when it carries more than text. */
function message(r: LogRecord): string {
  const body = plain(r.body);
  const attrs = attributes(r.attributes);
  if (typeof body === 'string' && Object.keys(attrs).length === 0 && !r.traceId) return body || ' ';
  return JSON.stringify({
    body,
    ...(r.severityText ? { severityText: r.severityText } : {}),
    ...(r.severityNumber ? { severityNumber: r.severityNumber } : {}),
    ...(Object.keys(attrs).length ? { attributes: attrs } : {}),
    ...(r.traceId ? { traceId: r.traceId } : {}),
    ...(r.spanId ? { spanId: r.spanId } : {}),
  });
}

export async function forwardLogs(platform: PlatformContext, ctx: CallContext, request: { resourceLogs?: { resource?: Resource; scopeLogs?: { logRecords?: LogRecord[] }[] }[] }): Promise<Forwarded> {
  const out: Forwarded = { accepted: 0, rejected: 0, error: '' };
  for (const rl of request.resourceLogs ?? []) {
    const res = attributes(rl.resource?.attributes);
    const group = first(res['aws.log.group.names']) ?? `/otlp/${serviceName(res)}`;
    const stream = first(res['aws.log.stream.names']) ?? 'otlp';
    const records = (rl.scopeLogs ?? []).flatMap((s) => s.logRecords ?? []);
    if (records.length === 0) continue;
    const now = Date.now();
    const events = records
      .map((r) => ({ timestamp: Math.round((nanosToSeconds(r.timeUnixNano) || nanosToSeconds(r.observedTimeUnixNano) || now / 1000) * 1000), message: message(r) }))
      .sort((a, b) => a.timestamp - b.timestamp);
    try {
      await platform.call('logs', 'CreateLogGroup', { logGroupName: group }, ctx).catch((e: unknown) => {
        if (!isCode(e, 'ResourceAlreadyExistsException')) throw e;
      });
      await platform.call('logs', 'CreateLogStream', { logGroupName: group, logStreamName: stream }, ctx).catch((e: unknown) => {
        if (!isCode(e, 'ResourceAlreadyExistsException')) throw e;
      });
      for (let i = 0; i < events.length; i += 10_000) {
        const batch = events.slice(i, i + 10_000);
        const result = await platform.call<{ rejectedLogEventsInfo?: { tooNewLogEventStartIndex?: number; tooOldLogEventEndIndex?: number; expiredLogEventEndIndex?: number } }>(
          'logs',
          'PutLogEvents',
          { logGroupName: group, logStreamName: stream, logEvents: batch },
          ctx,
        );
        const info = result.rejectedLogEventsInfo;
        const dropped = info ? (info.tooOldLogEventEndIndex ?? info.expiredLogEventEndIndex ?? -1) + 1 + (info.tooNewLogEventStartIndex !== undefined ? batch.length - info.tooNewLogEventStartIndex : 0) : 0;
        out.rejected += dropped;
        out.accepted += batch.length - dropped;
        if (dropped) out.error = 'some log records were too old or too new for CloudWatch Logs';
      }
    } catch (e) {
      out.rejected += events.length;
      out.error = `CloudWatch Logs refused the records: ${(e as Error).message}`;
    }
  }
  return out;
}

interface NumberPoint {
  attributes?: KeyValue[];
  timeUnixNano?: string | number;
  asDouble?: number | string;
  asInt?: number | string;
  count?: string | number;
  sum?: number;
  min?: number;
  max?: number;
  quantileValues?: { quantile?: number; value?: number }[];
}

interface Metric {
  name?: string;
  unit?: string;
  gauge?: { dataPoints?: NumberPoint[] };
  sum?: { dataPoints?: NumberPoint[] };
  histogram?: { dataPoints?: NumberPoint[] };
  exponentialHistogram?: { dataPoints?: NumberPoint[] };
  summary?: { dataPoints?: NumberPoint[] };
}

const UNITS: Record<string, string> = { s: 'Seconds', ms: 'Milliseconds', us: 'Microseconds', By: 'Bytes', KiBy: 'Kilobytes', MiBy: 'Megabytes', '%': 'Percent', '1': 'None', '{count}': 'Count' };

export async function forwardMetrics(platform: PlatformContext, ctx: CallContext, request: { resourceMetrics?: { resource?: Resource; scopeMetrics?: { metrics?: Metric[] }[] }[] }): Promise<Forwarded> {
  const out: Forwarded = { accepted: 0, rejected: 0, error: '' };
  for (const rm of request.resourceMetrics ?? []) {
    const res = attributes(rm.resource?.attributes);
    const namespace = first(res['service.namespace']) ?? `otlp/${serviceName(res)}`;
    const data: Record<string, unknown>[] = [];
    for (const m of (rm.scopeMetrics ?? []).flatMap((s) => s.metrics ?? [])) {
      if (!m.name) continue;
      const unit = UNITS[m.unit ?? ''] ?? 'None';
      const base = (p: NumberPoint) => ({
        MetricName: m.name,
        Unit: unit,
        Timestamp: new Date(Math.round((nanosToSeconds(p.timeUnixNano) || Date.now() / 1000) * 1000)),
        Dimensions: Object.entries(attributes(p.attributes))
          .slice(0, 30)
          .map(([Name, v]) => ({ Name, Value: typeof v === 'string' ? v : JSON.stringify(v) })),
      });
      for (const p of [...(m.gauge?.dataPoints ?? []), ...(m.sum?.dataPoints ?? [])]) {
        const value = p.asDouble !== undefined ? Number(p.asDouble) : p.asInt !== undefined ? Number(p.asInt) : undefined;
        if (value === undefined) continue;
        data.push({ ...base(p), Value: value });
      }
      for (const p of [...(m.histogram?.dataPoints ?? []), ...(m.exponentialHistogram?.dataPoints ?? [])]) {
        const count = Number(p.count ?? 0);
        if (count === 0) continue;
        const sum = Number(p.sum ?? 0);
        data.push({ ...base(p), StatisticValues: { SampleCount: count, Sum: sum, Minimum: p.min ?? sum / count, Maximum: p.max ?? sum / count } });
      }
      for (const p of m.summary?.dataPoints ?? []) {
        const count = Number(p.count ?? 0);
        if (count === 0) continue;
        const q = p.quantileValues ?? [];
        const sum = Number(p.sum ?? 0);
        data.push({
          ...base(p),
          StatisticValues: { SampleCount: count, Sum: sum, Minimum: q.find((x) => (x.quantile ?? 0) === 0)?.value ?? sum / count, Maximum: q.find((x) => x.quantile === 1)?.value ?? sum / count },
        });
      }
    }
    for (let i = 0; i < data.length; i += 1000) {
      const batch = data.slice(i, i + 1000);
      try {
        await platform.call('cloudwatch', 'PutMetricData', { Namespace: namespace, MetricData: batch }, ctx);
        out.accepted += batch.length;
      } catch (e) {
        out.rejected += batch.length;
        out.error = `CloudWatch refused the data points: ${(e as Error).message}`;
      }
    }
  }
  return out;
}
