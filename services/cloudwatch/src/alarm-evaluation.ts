// How an alarm's state follows from its data, as CloudWatch documents it: the last EvaluationPeriods
// periods, DatapointsToAlarm of them breaching ("M out of N"), and TreatMissingData (missing,
// ignore, breaching, notBreaching); composite alarm rules (ALARM/OK/INSUFFICIENT_DATA("name"),
// AND, OR, NOT, TRUE, FALSE). Known limitations: the newest period counts once it has data (AWS
// waits for late data before calling a period missing), percentile alarms ignore
// EvaluateLowSampleCountPercentile, and anomaly detection thresholds (ThresholdMetricId) are not
// evaluated (the alarm stays INSUFFICIENT_DATA).
import type { Dimension, MetricDataQuery } from '@atoll/aws-models/cloudwatch';
import type { MetricOperations } from './metric-operations.js';
import type { AlarmState, StoredAlarm } from './metrics-store.js';

export interface Evaluation {
  value: AlarmState['value'];
  reason: string;
  reasonData?: string;
}

function breaches(op: string, value: number, threshold: number): boolean {
  switch (op) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
  }
  return false;
}

const OP_WORDS: Record<string, string> = {
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  GreaterThanThreshold: 'greater than',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

const fmt = (v: number) => String(Number(v.toPrecision(15)));

/** The state a metric alarm's data says now; undefined when nothing can be concluded (stays as it is). */
export async function evaluateMetricAlarm(a: StoredAlarm, metrics: MetricOperations, now: number): Promise<Evaluation | undefined> {
  const c = a.config as {
    MetricName?: string;
    Namespace?: string;
    Dimensions?: Dimension[];
    Statistic?: string;
    ExtendedStatistic?: string;
    Period?: number;
    Unit?: string;
    EvaluationPeriods: number;
    DatapointsToAlarm?: number;
    Threshold?: number;
    ComparisonOperator: string;
    TreatMissingData?: string;
    Metrics?: MetricDataQuery[];
    ThresholdMetricId?: string;
  };
  if (c.Threshold === undefined || !(c.ComparisonOperator in OP_WORDS)) return undefined;
  const period = (c.Period ?? c.Metrics?.find((m) => m.MetricStat)?.MetricStat?.Period ?? c.Metrics?.find((m) => m.Period)?.Period ?? 60) * 1000;
  const n = c.EvaluationPeriods;
  const m = c.DatapointsToAlarm ?? n;
  const current = Math.floor(now / period) * period;
  // One period more than needed, so that an empty current period can be skipped.
  const start = current - n * period;
  const end = current + period;
  let points = new Map<number, number>();
  if (c.Metrics) {
    const results = await metrics.query({ accountId: a.accountId, region: a.region }, c.Metrics, start, end);
    const r = results.find((x) => x.returnData);
    if (r) r.series.timestamps.forEach((t, i) => points.set(Math.floor(t / period) * period, r.series.values[i]!));
  } else {
    const stat = c.ExtendedStatistic ?? c.Statistic!;
    const s = await metrics.statSeries({ accountId: a.accountId, region: a.region }, { Metric: { Namespace: c.Namespace, MetricName: c.MetricName, Dimensions: c.Dimensions }, Period: c.Period!, Stat: stat, Unit: c.Unit }, start, end, c.MetricName ?? '');
    s.timestamps.forEach((t, i) => points.set(t, s.values[i]!));
  }
  const newest = points.has(current) ? current : current - period;
  const window: (number | undefined)[] = [];
  for (let k = n - 1; k >= 0; k--) window.push(points.get(newest - k * period));
  points = new Map();
  const treat = c.TreatMissingData ?? 'missing';
  const present = window.filter((v): v is number => v !== undefined);
  const threshold = c.Threshold;
  const breaching = present.filter((v) => breaches(c.ComparisonOperator, v, threshold)).length;
  const missing = window.length - present.length;
  const effectiveBreaching = breaching + (treat === 'breaching' ? missing : 0);
  const reasonData = JSON.stringify({
    version: '1.0',
    queryDate: new Date(now).toISOString(),
    startDate: new Date(newest - (n - 1) * period).toISOString(),
    statistic: c.Statistic,
    period: period / 1000,
    recentDatapoints: present,
    threshold,
    evaluatedDatapoints: window.map((v, i) => ({ timestamp: new Date(newest - (n - 1 - i) * period).toISOString(), ...(v !== undefined ? { value: v } : {}) })).reverse(),
  });
  const shown = `[${present.map(fmt).join(', ')}]`;
  if (present.length === 0 && treat !== 'breaching' && treat !== 'notBreaching') {
    if (treat === 'ignore') return undefined;
    return { value: 'INSUFFICIENT_DATA', reason: `Insufficient Data: ${n} datapoint${n === 1 ? ' was' : 's were'} unknown.`, reasonData };
  }
  if (effectiveBreaching >= m) {
    return {
      value: 'ALARM',
      reason: `Threshold Crossed: ${m} out of the last ${n} datapoints ${shown} ${m === 1 ? 'was' : 'were'} ${OP_WORDS[c.ComparisonOperator]} the threshold (${fmt(threshold)}) (minimum ${m} datapoint${m === 1 ? '' : 's'} for OK -> ALARM transition).`,
      reasonData,
    };
  }
  const notBreaching = present.length - breaching + (treat === 'notBreaching' ? missing : 0);
  // OK once ALARM can no longer be reached from the window's known points.
  if (notBreaching > n - m || treat === 'notBreaching' || treat === 'breaching') {
    return {
      value: 'OK',
      reason: `Threshold Crossed: ${n - effectiveBreaching} out of the last ${n} datapoints ${shown} ${n - effectiveBreaching === 1 ? 'was' : 'were'} not ${OP_WORDS[c.ComparisonOperator]} the threshold (${fmt(threshold)}) (minimum 1 datapoint for ALARM -> OK transition).`,
      reasonData,
    };
  }
  return undefined;
}

// ---- composite alarm rules ---------------------------------------------------------------------

type Rule =
  | { t: 'state'; state: AlarmState['value']; name: string }
  | { t: 'const'; v: boolean }
  | { t: 'not'; e: Rule }
  | { t: 'and' | 'or'; l: Rule; r: Rule };

export interface ParsedRule {
  rule: Rule;
  /** ALARM when the rule is true, else OK (INSUFFICIENT_DATA when every named alarm is). */
  evaluate(stateOf: (name: string) => AlarmState['value'] | undefined): AlarmState['value'];
}

const RULE_TOKEN = /\s*(ALARM|OK|INSUFFICIENT_DATA|AND|OR|NOT|TRUE|FALSE|\(|\)|"(?:[^"\\]|\\.)*"|'[^']*'|[^\s()"]+)/y;

export function parseAlarmRule(text: string): ParsedRule {
  const tokens: { text: string; pos: number }[] = [];
  let i = 0;
  while (i < text.length && text.slice(i).trim() !== '') {
    RULE_TOKEN.lastIndex = i;
    const m = RULE_TOKEN.exec(text);
    if (!m) throw new Error(`unexpected input at position ${i}`);
    tokens.push({ text: m[1]!, pos: RULE_TOKEN.lastIndex - m[1]!.length });
    i = RULE_TOKEN.lastIndex;
  }
  let k = 0;
  const next = () => tokens[k++];
  const expect = (s: string) => {
    const t = next();
    if (t?.text !== s) throw new Error(`expected '${s}' at position ${t?.pos ?? text.length}`);
  };
  const primary = (): Rule => {
    const t = next();
    if (!t) throw new Error(`unexpected end of rule at position ${text.length}`);
    if (t.text === '(') {
      const e = or();
      expect(')');
      return e;
    }
    if (t.text === 'NOT') return { t: 'not', e: primary() };
    if (t.text === 'TRUE' || t.text === 'FALSE') return { t: 'const', v: t.text === 'TRUE' };
    if (t.text === 'ALARM' || t.text === 'OK' || t.text === 'INSUFFICIENT_DATA') {
      expect('(');
      const n = next();
      if (!n) throw new Error(`expected an alarm name at position ${text.length}`);
      const name = n.text.startsWith('"') || n.text.startsWith("'") ? n.text.slice(1, -1) : n.text;
      expect(')');
      return { t: 'state', state: t.text, name: name.replace(/^arn:aws[\w-]*:cloudwatch:[^:]*:\d{12}:alarm:/, '') };
    }
    throw new Error(`unexpected '${t.text}' at position ${t.pos}`);
  };
  const and = (): Rule => {
    let l = primary();
    while (tokens[k]?.text === 'AND') {
      k++;
      l = { t: 'and', l, r: primary() };
    }
    return l;
  };
  const or = (): Rule => {
    let l = and();
    while (tokens[k]?.text === 'OR') {
      k++;
      l = { t: 'or', l, r: and() };
    }
    return l;
  };
  const rule = or();
  if (k < tokens.length) throw new Error(`unexpected '${tokens[k]!.text}' at position ${tokens[k]!.pos}`);
  const test = (r: Rule, stateOf: (name: string) => AlarmState['value'] | undefined): boolean => {
    switch (r.t) {
      case 'state':
        return stateOf(r.name) === r.state;
      case 'const':
        return r.v;
      case 'not':
        return !test(r.e, stateOf);
      case 'and':
        return test(r.l, stateOf) && test(r.r, stateOf);
      case 'or':
        return test(r.l, stateOf) || test(r.r, stateOf);
    }
  };
  return {
    rule,
    evaluate(stateOf) {
      if (test(rule, stateOf)) return 'ALARM';
      const names = compositeRule({ rule, evaluate: () => 'OK' });
      return names.length > 0 && names.every((n) => stateOf(n) === 'INSUFFICIENT_DATA') ? 'INSUFFICIENT_DATA' : 'OK';
    },
  };
}

/** The alarm names a rule refers to. */
export function compositeRule(parsed: ParsedRule): string[] {
  const out = new Set<string>();
  const walk = (r: Rule) => {
    if (r.t === 'state') out.add(r.name);
    else if (r.t === 'not') walk(r.e);
    else if (r.t === 'and' || r.t === 'or') {
      walk(r.l);
      walk(r.r);
    }
  };
  walk(parsed.rule);
  return [...out];
}
