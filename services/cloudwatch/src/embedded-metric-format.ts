// Embedded metric format (EMF): a JSON log line (or a line's JSON after a Lambda runtime's prefix)
// carrying `_aws.CloudWatchMetrics` directives becomes
// metric data, as CloudWatch Logs extracts it. Each directive names a namespace, dimension sets and
// metrics whose values (a number or an array of numbers) are members of the line.
// Known limitations: a line whose directive is invalid is skipped silently (AWS reports it in the
// log group's EMF errors); namespaces starting with `AWS/` are skipped.
import type { MetricDatum, StandardUnit } from '@atoll/aws-models/cloudwatch';

interface Directive {
  Namespace?: unknown;
  Dimensions?: unknown;
  Metrics?: unknown;
}

/** The metric data an EMF line carries, by namespace; empty when the line is not EMF. */
export function extractEmf(message: string, fallbackTime: number): Map<string, MetricDatum[]> {
  const out = new Map<string, MetricDatum[]>();
  if (!message.includes('"_aws"')) return out;
  let doc: Record<string, unknown>;
  try {
    // A Lambda runtime's console.log prefixes the line (`<time>\t<request id>\tINFO\t{…}`).
    doc = JSON.parse(message.slice(message.indexOf('{'))) as Record<string, unknown>;
  } catch {
    return out;
  }
  const aws = doc?._aws as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
  if (!aws || !Array.isArray(aws.CloudWatchMetrics)) return out;
  const timestamp = new Date(typeof aws.Timestamp === 'number' ? aws.Timestamp : fallbackTime);
  for (const d of aws.CloudWatchMetrics as Directive[]) {
    if (typeof d?.Namespace !== 'string' || d.Namespace.startsWith('AWS/') || !Array.isArray(d.Metrics)) continue;
    const dimensionSets = Array.isArray(d.Dimensions) && d.Dimensions.length > 0 ? (d.Dimensions as unknown[]) : [[]];
    const data = out.get(d.Namespace) ?? [];
    for (const set of dimensionSets) {
      if (!Array.isArray(set) || set.some((n) => typeof n !== 'string' || typeof doc[n] !== 'string')) continue;
      const Dimensions = (set as string[]).map((n) => ({ Name: n, Value: doc[n] as string }));
      for (const m of d.Metrics as { Name?: unknown; Unit?: unknown; StorageResolution?: unknown }[]) {
        if (typeof m?.Name !== 'string') continue;
        const raw = doc[m.Name];
        const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
        if (values.length === 0) continue;
        data.push({
          MetricName: m.Name,
          Dimensions,
          Timestamp: timestamp,
          Values: values,
          ...(typeof m.Unit === 'string' ? { Unit: m.Unit as StandardUnit } : {}),
          ...(m.StorageResolution === 1 ? { StorageResolution: 1 } : {}),
        });
      }
    }
    if (data.length > 0) out.set(d.Namespace, data);
  }
  return out;
}
