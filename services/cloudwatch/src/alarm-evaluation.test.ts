import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compositeRule, evaluateMetricAlarm, parseAlarmRule } from './alarm-evaluation.js';
import type { MetricOperations } from './metric-operations.js';
import type { StoredAlarm } from './metrics-store.js';

const PERIOD = 60_000;
const NOW = 100 * PERIOD + 30_000;
const CURRENT = 100 * PERIOD;

/** A MetricOperations stand-in answering the given per-period values (undefined = missing). */
function metricsWith(values: Record<number, number>): MetricOperations {
  return {
    statSeries: async (_scope: unknown, _stat: unknown, start: number, end: number) => {
      const ts = Object.keys(values).map(Number).filter((t) => t >= start && t < end).sort((x, y) => x - y);
      return { label: 'm', timestamps: ts, values: ts.map((t) => values[t]!) };
    },
  } as unknown as MetricOperations;
}

const alarm = (config: Record<string, unknown>): StoredAlarm => ({
  accountId: '000000000000',
  region: 'us-east-1',
  name: 'a',
  kind: 'MetricAlarm',
  config: { Namespace: 'N', MetricName: 'M', Statistic: 'Sum', Period: 60, EvaluationPeriods: 3, Threshold: 10, ComparisonOperator: 'GreaterThanThreshold', ...config },
  state: { value: 'INSUFFICIENT_DATA', reason: '', updated: 0, transitioned: 0 },
});

const at = (k: number) => CURRENT - k * PERIOD;

describe('alarm evaluation', () => {
  it('goes to ALARM when M of the last N datapoints breach, and OK when ALARM can no longer be reached', async () => {
    const twoOfThree = alarm({ DatapointsToAlarm: 2 });
    assert.equal((await evaluateMetricAlarm(twoOfThree, metricsWith({ [at(0)]: 11, [at(1)]: 5, [at(2)]: 12 }), NOW))?.value, 'ALARM');
    assert.equal((await evaluateMetricAlarm(twoOfThree, metricsWith({ [at(0)]: 11, [at(1)]: 5, [at(2)]: 1 }), NOW))?.value, 'OK');
    // One breaching, one missing, one fine: ALARM is still reachable, so no conclusion.
    assert.equal(await evaluateMetricAlarm(twoOfThree, metricsWith({ [at(0)]: 11, [at(2)]: 1 }), NOW), undefined);
  });

  it('skips an empty current period and looks at the periods before it', async () => {
    const one = alarm({ EvaluationPeriods: 1 });
    assert.equal((await evaluateMetricAlarm(one, metricsWith({ [at(1)]: 50 }), NOW))?.value, 'ALARM');
  });

  it('treats missing data as documented: missing, breaching, notBreaching, ignore', async () => {
    const none = metricsWith({});
    assert.equal((await evaluateMetricAlarm(alarm({}), none, NOW))?.value, 'INSUFFICIENT_DATA');
    assert.equal((await evaluateMetricAlarm(alarm({ TreatMissingData: 'breaching' }), none, NOW))?.value, 'ALARM');
    assert.equal((await evaluateMetricAlarm(alarm({ TreatMissingData: 'notBreaching' }), none, NOW))?.value, 'OK');
    assert.equal(await evaluateMetricAlarm(alarm({ TreatMissingData: 'ignore' }), none, NOW), undefined);
    const reason = (await evaluateMetricAlarm(alarm({ EvaluationPeriods: 1 }), metricsWith({ [at(0)]: 20 }), NOW))!.reason;
    assert.equal(reason, 'Threshold Crossed: 1 out of the last 1 datapoints [20] was greater than the threshold (10) (minimum 1 datapoint for OK -> ALARM transition).');
  });

  it('parses composite rules and evaluates them over alarm states', () => {
    const rule = parseAlarmRule('ALARM("cpu") AND NOT (OK(mem) OR INSUFFICIENT_DATA(disk))');
    assert.deepEqual(compositeRule(rule).sort(), ['cpu', 'disk', 'mem']);
    const states: Record<string, 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'> = { cpu: 'ALARM', mem: 'ALARM', disk: 'OK' };
    assert.equal(rule.evaluate((n) => states[n]), 'ALARM');
    states.mem = 'OK';
    assert.equal(rule.evaluate((n) => states[n]), 'OK');
    assert.throws(() => parseAlarmRule('ALARM(cpu) AND'), /position 14/);
    assert.throws(() => parseAlarmRule('ALARM cpu'), /expected '\('/);
  });
});
