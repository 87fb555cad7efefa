// Statistics over stored buckets: grouping into periods, the five standard statistics and the
// percentiles (`p99`, `p99.9`), trimmed means (`tm90`) and `IQM` from each bucket's value histogram.
// Known limitations: percentiles are exact only while a bucket kept its histogram (1,000 distinct
// values); past that they are not answered. Winsorized means, trimmed count/sum and `PR(…)` are not
// supported.
import { histogram, mergeBucket, type Bucket } from './metrics-store.js';

/** Buckets merged per period start (ms), oldest first. */
export function byPeriod(buckets: readonly Bucket[], periodSeconds: number): Bucket[] {
  const out = new Map<number, Bucket>();
  const p = periodSeconds * 1000;
  for (const b of buckets) {
    const ts = Math.floor(b.ts / p) * p;
    const copy: Bucket = { ...b, ts, vals: b.vals ? new Map(b.vals) : null };
    const cur = out.get(ts);
    out.set(ts, cur ? mergeBucket(cur, copy) : copy);
  }
  return [...out.values()].sort((a, b) => a.ts - b.ts);
}

const EXTENDED = /^(p|tm|IQM)(\d{1,2}(?:\.\d{1,10})?|100)?$/;

export function isStatistic(stat: string): boolean {
  if (['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'].includes(stat)) return true;
  if (stat === 'IQM') return true;
  const m = EXTENDED.exec(stat);
  return !!m && m[1] !== 'IQM' && m[2] !== undefined && Number(m[2]) >= 0 && Number(m[2]) <= 100;
}

function sortedValues(b: Bucket): [number, number][] | undefined {
  const h = histogram(b);
  return h ? [...h].sort((x, y) => x[0] - y[0]) : undefined;
}

const STANDARD = new Set(['SampleCount', 'Sum', 'Average', 'Minimum', 'Maximum']);

/** Whether a statistic needs the buckets' histograms (percentiles, trimmed means). */
export const needsHistogram = (stat: string) => !STANDARD.has(stat);

function percentile(sorted: [number, number][], total: number, p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let cum = 0;
  for (const [v, c] of sorted) {
    cum += c;
    if (cum >= rank) return v;
  }
  return sorted[sorted.length - 1]![0];
}

function trimmedMean(sorted: [number, number][], total: number, low: number, high: number): number | undefined {
  const lo = (low / 100) * total;
  const hi = (high / 100) * total;
  let cum = 0;
  let sum = 0;
  let n = 0;
  for (const [v, c] of sorted) {
    const from = Math.max(cum, lo);
    const to = Math.min(cum + c, hi);
    if (to > from) {
      sum += v * (to - from);
      n += to - from;
    }
    cum += c;
  }
  return n > 0 ? sum / n : undefined;
}

/** A statistic of one bucket; undefined when it cannot be answered (no histogram for a percentile). */
export function statistic(b: Bucket, stat: string): number | undefined {
  switch (stat) {
    case 'SampleCount':
      return b.sampleCount;
    case 'Sum':
      return b.sum;
    case 'Average':
      return b.sampleCount > 0 ? b.sum / b.sampleCount : undefined;
    case 'Minimum':
      return b.min;
    case 'Maximum':
      return b.max;
  }
  const sorted = sortedValues(b);
  if (!sorted || sorted.length === 0) return undefined;
  const total = sorted.reduce((s, [, c]) => s + c, 0);
  if (stat === 'IQM') return trimmedMean(sorted, total, 25, 75);
  const m = EXTENDED.exec(stat);
  if (!m || m[2] === undefined) return undefined;
  const n = Number(m[2]);
  return m[1] === 'p' ? percentile(sorted, total, n) : trimmedMean(sorted, total, 0, n);
}
