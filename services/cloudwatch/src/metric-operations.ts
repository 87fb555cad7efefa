// CloudWatch metric operations: PutMetricData (values, statistic sets, Values/Counts arrays, 1 s and
// 60 s storage resolution), GetMetricStatistics (standard and extended statistics), GetMetricData
// (metric stats and metric math, metric-math.ts) and ListMetrics. `publish` is the platform's own
// entry for metrics in AWS namespaces, which PutMetricData refuses.
import type { RequestContext } from '@atoll/core';
import type {
  Datapoint,
  Dimension,
  GetMetricDataRequest,
  GetMetricDataResult,
  GetMetricStatisticsRequest,
  GetMetricStatisticsResult,
  ListMetricsRequest,
  ListMetricsResult,
  MetricDataQuery,
  MetricDataResult,
  MetricDatum,
  PutMetricDataRequest,
} from '@atoll/aws-models/cloudwatch';
import { InvalidNextToken, InvalidParameterCombinationException, InvalidParameterValueException, ValidationException } from '@atoll/aws-models/cloudwatch';
import { MathError, evaluate, matchesSearch, parseExpression, parseSearch, references, type MathValue, type Series } from './metric-math.js';
import { type Bucket, type MetricKey, type MetricsStore } from './metrics-store.js';
import { byPeriod, isStatistic, needsHistogram, statistic } from './statistics.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MAX_DATAPOINTS = 1440;

export interface Scope {
  accountId: string;
  region: string;
}

const sortDims = (dims: readonly Dimension[] | undefined) => [...(dims ?? [])].map((d) => ({ Name: d.Name, Value: d.Value })).sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));

function invalid(value: unknown, parameter: string): InvalidParameterValueException {
  return new InvalidParameterValueException(`The value ${String(value)} for parameter ${parameter} is invalid.`);
}

/** The buckets one datum makes (before merging with stored ones). */
function bucketOf(d: MetricDatum, at: number, resolution: number, where: string): Bucket {
  const ts = Math.floor(at / (resolution * 1000)) * resolution * 1000;
  const unit = d.Unit && d.Unit !== 'None' ? d.Unit : undefined;
  if (d.StatisticValues) {
    const s = d.StatisticValues;
    for (const [k, v] of Object.entries(s)) if (!Number.isFinite(v)) throw invalid(v, `${where}.StatisticValues.${k}`);
    if (s.SampleCount <= 0) throw invalid(s.SampleCount, `${where}.StatisticValues.SampleCount`);
    if (s.Minimum > s.Maximum) throw new InvalidParameterValueException(`The parameter ${where}.StatisticValues.Maximum must be greater than ${where}.StatisticValues.Minimum.`);
    return { ts, sampleCount: s.SampleCount, sum: s.Sum, min: s.Minimum, max: s.Maximum, vals: null, unit };
  }
  const values = d.Values ?? (d.Value !== undefined ? [d.Value] : []);
  const counts = d.Counts ?? values.map(() => 1);
  const b: Bucket = { ts, sampleCount: 0, sum: 0, min: Infinity, max: -Infinity, vals: new Map(), unit };
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw invalid(v, d.Values ? `${where}.Values.member.${i + 1}` : `${where}.Value`);
    const c = counts[i]!;
    if (!Number.isFinite(c) || c <= 0) throw invalid(c, `${where}.Counts.member.${i + 1}`);
    b.sampleCount += c;
    b.sum += v * c;
    b.min = Math.min(b.min, v);
    b.max = Math.max(b.max, v);
    b.vals!.set(v, (b.vals!.get(v) ?? 0) + c);
  });
  return b;
}

export class MetricOperations {
  constructor(readonly store: MetricsStore) {}

  /** Stores data points (checked) for one namespace; the platform's own metrics come in here too. */
  async publish(scope: Scope, namespace: string, data: readonly MetricDatum[], now = Date.now()): Promise<void> {
    const batches = new Map<string, { metricId: number; resolution: number; buckets: Bucket[] }>();
    for (let i = 0; i < data.length; i++) {
      const d = data[i]!;
      const where = `MetricData.member.${i + 1}`;
      const given = [d.Value !== undefined && 'Value', d.StatisticValues !== undefined && 'StatisticValues', d.Values !== undefined && 'Values'].filter(Boolean) as string[];
      if (given.length > 1) {
        throw new InvalidParameterCombinationException(`The parameters ${where}.${given[0]} and ${where}.${given[1]} are mutually exclusive and you have specified both.`);
      }
      if (d.Counts !== undefined && (d.Values === undefined || d.Counts.length !== d.Values.length)) {
        throw new InvalidParameterValueException(`The parameters ${where}.Values and ${where}.Counts must be of the same size.`);
      }
      const resolution = d.StorageResolution ?? 60;
      if (resolution !== 1 && resolution !== 60) throw invalid(resolution, `${where}.StorageResolution`);
      const at = d.Timestamp ? d.Timestamp.getTime() : now;
      if (at > now + 2 * HOUR) throw new InvalidParameterValueException(`The parameter ${where}.Timestamp must specify a time no more than two hours in the future.`);
      if (at < now - 14 * DAY) throw new InvalidParameterValueException(`The parameter ${where}.Timestamp must specify a time within the past two weeks.`);
      if ((d.Dimensions?.length ?? 0) > 30) throw new InvalidParameterValueException(`The collection ${where}.Dimensions must not have a size greater than 30.`);
      const bucket = bucketOf(d, at, resolution, where);
      if (bucket.sampleCount === 0) continue;
      const key: MetricKey = { ...scope, namespace, name: d.MetricName, dims: sortDims(d.Dimensions) };
      const metricId = await this.store.metricId(key, now);
      const batchKey = `${metricId}:${resolution}`;
      let batch = batches.get(batchKey);
      if (!batch) batches.set(batchKey, (batch = { metricId, resolution, buckets: [] }));
      const same = batch.buckets.find((b) => b.ts === bucket.ts);
      if (same) {
        same.sampleCount += bucket.sampleCount;
        same.sum += bucket.sum;
        same.min = Math.min(same.min, bucket.min);
        same.max = Math.max(same.max, bucket.max);
        if (same.vals && bucket.vals) for (const [v, c] of bucket.vals) same.vals.set(v, (same.vals.get(v) ?? 0) + c);
        else same.vals = null;
      } else batch.buckets.push(bucket);
    }
    if (batches.size > 0) await this.store.record([...batches.values()], now);
  }

  PutMetricData = async (input: PutMetricDataRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    if (input.Namespace.startsWith('AWS/')) throw invalid(input.Namespace, 'Namespace');
    if (!input.MetricData || input.MetricData.length === 0) {
      throw new InvalidParameterValueException('The parameter MetricData is required.');
    }
    await this.publish(ctx, input.Namespace, input.MetricData);
    return {};
  };

  /** Buckets of one metric per period, in [start, end); with histograms only when `histograms` asks. */
  async series(scope: Scope, metric: { Namespace?: string; MetricName?: string; Dimensions?: Dimension[] }, start: number, end: number, period: number, unit?: string, histograms = true): Promise<Bucket[]> {
    const key: MetricKey = { ...scope, namespace: metric.Namespace ?? '', name: metric.MetricName ?? '', dims: sortDims(metric.Dimensions) };
    const id = await this.store.findMetric(key);
    if (id === undefined) return [];
    if (!histograms) return this.store.periodBuckets(id, start, end, period * 1000, unit);
    const rows = await this.store.buckets(id, start, end);
    const buckets = rows.map((r) => r.bucket).filter((b) => !unit || !b.unit || b.unit === unit);
    return byPeriod(buckets, period);
  }

  GetMetricStatistics = async (input: GetMetricStatisticsRequest, ctx: RequestContext): Promise<GetMetricStatisticsResult> => {
    const stats = input.Statistics ?? [];
    const extended = input.ExtendedStatistics ?? [];
    if (stats.length === 0 && extended.length === 0) {
      throw new InvalidParameterCombinationException('Must specify either Statistics or ExtendedStatistics, but not both.');
    }
    if (stats.length > 0 && extended.length > 0) throw new InvalidParameterCombinationException('Must specify either Statistics or ExtendedStatistics, but not both.');
    extended.forEach((s, i) => {
      if (!/^p\d/.test(s) && !/^(tm|IQM)/.test(s)) throw invalid(s, `ExtendedStatistics.member.${i + 1}`);
      if (!isStatistic(s)) throw invalid(s, `ExtendedStatistics.member.${i + 1}`);
    });
    const start = input.StartTime.getTime();
    const end = input.EndTime.getTime();
    if (end <= start) throw new InvalidParameterValueException('The parameter StartTime must be less than the parameter EndTime.');
    checkPeriod(input.Period, 'Period');
    if ((end - start) / 1000 / input.Period > MAX_DATAPOINTS) {
      throw new InvalidParameterCombinationException(
        `You have requested up to ${Math.ceil((end - start) / 1000 / input.Period)} datapoints, which exceeds the limit of ${MAX_DATAPOINTS}. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
      );
    }
    const buckets = await this.series(ctx, input, start, end, input.Period, input.Unit, extended.length > 0);
    const Datapoints: Datapoint[] = buckets.map((b) => {
      const d: Datapoint = { Timestamp: new Date(b.ts), Unit: (input.Unit ?? b.unit ?? 'None') as Datapoint['Unit'] };
      for (const s of stats) (d as Record<string, unknown>)[s] = statistic(b, s);
      if (extended.length > 0) {
        d.ExtendedStatistics = {};
        for (const s of extended) {
          const v = statistic(b, s);
          if (v !== undefined) d.ExtendedStatistics[s] = v;
        }
      }
      return d;
    });
    return { Label: input.MetricName, Datapoints };
  };

  GetMetricData = async (input: GetMetricDataRequest, ctx: RequestContext): Promise<GetMetricDataResult> => {
    if (input.NextToken !== undefined) {
      const offset = Number(Buffer.from(input.NextToken, 'base64url').toString('utf8'));
      if (!Number.isInteger(offset) || offset < 0) throw new InvalidNextToken('The service cannot find the specified token.');
    }
    const start = input.StartTime.getTime();
    const end = input.EndTime.getTime();
    if (end <= start) throw new ValidationException('The parameter StartTime must be less than the parameter EndTime.');
    const results = await this.query(ctx, input.MetricDataQueries, start, end);
    const descending = (input.ScanBy ?? 'TimestampDescending') === 'TimestampDescending';
    const max = input.MaxDatapoints ?? 100_800;
    let budget = max;
    const offset = input.NextToken ? Number(Buffer.from(input.NextToken, 'base64url').toString('utf8')) : 0;
    let truncated = false;
    const MetricDataResults: MetricDataResult[] = results
      .filter((r) => r.returnData)
      .map((r) => {
        const pairs = r.series.timestamps.map((t, i) => [t, r.series.values[i]!] as const);
        if (descending) pairs.reverse();
        const page = pairs.slice(offset, offset + budget);
        budget -= page.length;
        if (offset + page.length < pairs.length) truncated = true;
        return {
          Id: r.id,
          Label: r.label,
          Timestamps: page.map(([t]) => new Date(t)),
          Values: page.map(([, v]) => v),
          StatusCode: offset + page.length < pairs.length ? 'PartialData' : 'Complete',
          ...(r.messages.length > 0 ? { Messages: r.messages } : {}),
        };
      });
    return { MetricDataResults, Messages: [], ...(truncated ? { NextToken: Buffer.from(String(offset + max)).toString('base64url') } : {}) };
  };

  /** Evaluates metric data queries (also the alarm evaluator's entry for metric math alarms). */
  async query(scope: Scope, queries: readonly MetricDataQuery[], start: number, end: number): Promise<{ id: string; label: string; series: Series; returnData: boolean; messages: { Code: string; Value: string }[] }[]> {
    const byId = new Map<string, MetricDataQuery>();
    queries.forEach((q, i) => {
      if (!/^[a-z][a-zA-Z0-9_]*$/.test(q.Id)) throw new ValidationException(`The value ${q.Id} for parameter MetricDataQueries.member.${i + 1}.Id is invalid.`);
      if (byId.has(q.Id)) throw new ValidationException(`The values for parameter id in MetricDataQueries are not unique.`);
      if ((q.MetricStat === undefined) === (q.Expression === undefined)) {
        throw new ValidationException(`Exactly one element of the metrics list should have either MetricStat or Expression. (MetricDataQueries.member.${i + 1})`);
      }
      if (q.MetricStat) {
        checkPeriod(q.MetricStat.Period, `MetricDataQueries.member.${i + 1}.MetricStat.Period`);
        if (!isStatistic(q.MetricStat.Stat)) throw new ValidationException(`The value ${q.MetricStat.Stat} for parameter MetricDataQueries.member.${i + 1}.MetricStat.Stat is invalid.`);
      }
      byId.set(q.Id, q);
    });
    const parsed = new Map<string, ReturnType<typeof parseExpression>>();
    for (const q of queries) {
      if (q.Expression === undefined) continue;
      try {
        parsed.set(q.Id, parseExpression(q.Expression));
      } catch (error) {
        if (error instanceof MathError) throw new ValidationException(`Error in expression '${q.Id}': ${error.message}`);
        throw error;
      }
    }
    // Refuse cycles before evaluating.
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (id: string) => {
      if (done.has(id)) return;
      if (visiting.has(id)) throw new ValidationException(`Circular dependency in the metric data queries (${id}).`);
      visiting.add(id);
      const node = parsed.get(id);
      if (node) for (const ref of references(node)) if (byId.has(ref)) visit(ref);
      visiting.delete(id);
      done.add(id);
    };
    for (const id of byId.keys()) visit(id);
    const metricIds = queries.filter((q) => q.MetricStat).map((q) => q.Id);
    const defaultPeriod = queries.find((q) => q.MetricStat)?.MetricStat!.Period ?? queries.find((q) => q.Period)?.Period ?? 60;
    const values = new Map<string, Promise<MathValue>>();
    const resolve = (id: string): Promise<MathValue> | undefined => {
      const q = byId.get(id);
      if (!q) return undefined;
      let v = values.get(id);
      if (!v) {
        v = q.MetricStat
          ? this.statSeries(scope, q.MetricStat, start, end, q.Label ?? q.MetricStat.Metric.MetricName ?? id)
          : evaluate(parsed.get(id)!, { start, end, periodSeconds: q.Period ?? defaultPeriod, metricIds, resolve: (ref) => resolve(ref) ?? Promise.resolve(undefined as unknown as MathValue), search: (e, s, p) => this.search(scope, e, s, p, start, end) });
        values.set(id, v);
      }
      return v;
    };
    const out = [];
    for (const q of queries) {
      let value: MathValue;
      try {
        value = await resolve(q.Id)!;
      } catch (error) {
        if (error instanceof MathError) throw new ValidationException(`Error in expression '${q.Id}': ${error.message}`);
        throw error;
      }
      const returnData = q.ReturnData ?? true;
      const list: Series[] = typeof value === 'number' ? [scalarSeries(value, start, end, q.Period ?? defaultPeriod, q.Label ?? q.Id)] : Array.isArray(value) ? value : [value];
      if (list.length === 1 || !Array.isArray(value)) {
        out.push({ id: q.Id, label: q.Label ?? list[0]?.label ?? q.Id, series: list[0] ?? { label: q.Id, timestamps: [], values: [] }, returnData, messages: [] });
      } else {
        list.forEach((s, i) => out.push({ id: i === 0 ? q.Id : `${q.Id}_${i}`, label: s.label, series: s, returnData, messages: [] }));
      }
    }
    return out;
  }

  async statSeries(scope: Scope, stat: { Metric: { Namespace?: string; MetricName?: string; Dimensions?: Dimension[] }; Period: number; Stat: string; Unit?: string }, start: number, end: number, label: string): Promise<Series> {
    const buckets = await this.series(scope, stat.Metric, start, end, stat.Period, stat.Unit, needsHistogram(stat.Stat));
    const timestamps: number[] = [];
    const values: number[] = [];
    for (const b of buckets) {
      const v = statistic(b, stat.Stat);
      if (v !== undefined) {
        timestamps.push(b.ts);
        values.push(v);
      }
    }
    return { label, timestamps, values };
  }

  async search(scope: Scope, expression: string, stat: string, period: number, start: number, end: number): Promise<Series[]> {
    const q = parseSearch(expression);
    if (!isStatistic(stat)) throw new MathError(`Invalid statistic '${stat}' in SEARCH`);
    const metrics = await this.store.listMetrics(scope.accountId, scope.region, { namespace: q.schema?.namespace ?? q.pairs.find((p) => p.key === 'Namespace')?.value });
    const out: Series[] = [];
    for (const m of metrics.filter((x) => matchesSearch(q, x)).slice(0, 500)) {
      const label = [m.name, ...m.dims.map((d) => d.Value)].join(' ');
      out.push(await this.statSeries(scope, { Metric: { Namespace: m.namespace, MetricName: m.name, Dimensions: m.dims }, Period: period, Stat: stat }, start, end, label));
    }
    return out;
  }

  ListMetrics = async (input: ListMetricsRequest, ctx: RequestContext): Promise<ListMetricsResult> => {
    const since = input.RecentlyActive === 'PT3H' ? Date.now() - 3 * HOUR : undefined;
    const all = await this.store.listMetrics(ctx.accountId, ctx.region, { namespace: input.Namespace, name: input.MetricName, since });
    const filters = input.Dimensions ?? [];
    const matched = all.filter((m) => filters.every((f) => m.dims.some((d) => d.Name === f.Name && (f.Value === undefined || d.Value === f.Value))));
    let offset = 0;
    if (input.NextToken !== undefined) {
      offset = Number(Buffer.from(input.NextToken, 'base64url').toString('utf8'));
      if (!Number.isInteger(offset) || offset < 0) throw new InvalidNextToken('The service cannot find the specified token.');
    }
    const page = matched.slice(offset, offset + 500);
    return {
      Metrics: page.map((m) => ({ Namespace: m.namespace, MetricName: m.name, Dimensions: m.dims })),
      ...(offset + page.length < matched.length ? { NextToken: Buffer.from(String(offset + page.length)).toString('base64url') } : {}),
    };
  };
}

function checkPeriod(period: number, parameter: string): void {
  if (!(period === 1 || period === 5 || period === 10 || period === 20 || period === 30 || (period >= 60 && period % 60 === 0))) {
    throw new InvalidParameterValueException(`The parameter ${parameter} must be 1, 5, 10, 20, 30, or a multiple of 60.`);
  }
}

function scalarSeries(value: number, start: number, end: number, period: number, label: string): Series {
  const p = period * 1000;
  const timestamps: number[] = [];
  for (let t = Math.ceil(start / p) * p; t < end; t += p) timestamps.push(t);
  return { label, timestamps, values: timestamps.map(() => value) };
}
