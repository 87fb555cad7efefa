// What scaling policies decide, as Application Auto Scaling documents it: the CloudWatch alarms a
// target tracking policy creates and owns (AlarmHigh: above the target for 3 periods; AlarmLow: under
// 90% of it for 15 periods), the capacity a target tracking policy asks for (proportional to the
// metric over the target), and the step a step scaling policy takes for a breach. Pure functions.
import type { StepScalingPolicyConfiguration, TargetTrackingScalingPolicyConfiguration } from '@atoll/aws-models/applicationautoscaling';

export interface AlarmTiming {
  periodSeconds: number;
  highPeriods: number;
  lowPeriods: number;
}

/** AWS's timing, or a fast one (`ATOLL_TARGET_TRACKING_PERIOD_SECONDS` under 60: 1 period high, 3 low) for tests and benchmarks. */
export function alarmTiming(env = process.env): AlarmTiming {
  const period = Number(env.ATOLL_TARGET_TRACKING_PERIOD_SECONDS ?? 60);
  if (!Number.isFinite(period) || period >= 60) return { periodSeconds: 60, highPeriods: 3, lowPeriods: 15 };
  return { periodSeconds: Math.max(1, Math.round(period)), highPeriods: 1, lowPeriods: 3 };
}

const PREDEFINED: Record<string, { namespace: string; metric: string; statistic: string }> = {
  ECSServiceAverageCPUUtilization: { namespace: 'AWS/ECS', metric: 'CPUUtilization', statistic: 'Average' },
  ECSServiceAverageMemoryUtilization: { namespace: 'AWS/ECS', metric: 'MemoryUtilization', statistic: 'Average' },
  ALBRequestCountPerTarget: { namespace: 'AWS/ApplicationELB', metric: 'RequestCountPerTarget', statistic: 'Sum' },
  LambdaProvisionedConcurrencyUtilization: { namespace: 'AWS/Lambda', metric: 'ProvisionedConcurrencyUtilization', statistic: 'Maximum' },
};

export class PolicyError extends Error {}

/** The metric part of a target tracking policy's alarms (PutMetricAlarm members). */
export function trackedMetric(config: TargetTrackingScalingPolicyConfiguration, resourceId: string, periodSeconds: number): Record<string, unknown> {
  const predefined = config.PredefinedMetricSpecification;
  if (predefined) {
    const spec = PREDEFINED[predefined.PredefinedMetricType];
    if (!spec) throw new PolicyError(`Unsupported predefined metric type ${predefined.PredefinedMetricType}.`);
    let dimensions: { Name: string; Value: string }[];
    if (spec.namespace === 'AWS/ECS') {
      const [, cluster, service] = resourceId.split('/');
      dimensions = [
        { Name: 'ClusterName', Value: cluster! },
        { Name: 'ServiceName', Value: service! },
      ];
    } else if (spec.namespace === 'AWS/ApplicationELB') {
      const label = predefined.ResourceLabel;
      const m = label && /^(app\/[^/]+\/[^/]+)\/(targetgroup\/[^/]+\/[^/]+)$/.exec(label);
      if (!m) throw new PolicyError('ResourceLabel must be app/<load-balancer-name>/<load-balancer-id>/targetgroup/<target-group-name>/<target-group-id> for ALBRequestCountPerTarget.');
      dimensions = [{ Name: 'TargetGroup', Value: m[2]! }];
    } else {
      const [, fn, qualifier] = resourceId.split(':');
      dimensions = [
        { Name: 'FunctionName', Value: fn! },
        { Name: 'Resource', Value: `${fn}:${qualifier}` },
      ];
    }
    return { Namespace: spec.namespace, MetricName: spec.metric, Dimensions: dimensions, Statistic: spec.statistic, Period: periodSeconds };
  }
  const custom = config.CustomizedMetricSpecification;
  if (!custom) throw new PolicyError('Either PredefinedMetricSpecification or CustomizedMetricSpecification must be specified.');
  if (custom.Metrics) {
    return {
      Metrics: custom.Metrics.map((q) => ({
        Id: q.Id,
        ...(q.Expression !== undefined ? { Expression: q.Expression, Period: periodSeconds } : {}),
        ...(q.Label !== undefined ? { Label: q.Label } : {}),
        ...(q.MetricStat ? { MetricStat: { Metric: q.MetricStat.Metric, Stat: q.MetricStat.Stat, Period: periodSeconds, ...(q.MetricStat.Unit ? { Unit: q.MetricStat.Unit } : {}) } } : {}),
        ReturnData: q.ReturnData ?? true,
      })),
    };
  }
  if (!custom.MetricName || !custom.Namespace || !custom.Statistic) throw new PolicyError('CustomizedMetricSpecification needs MetricName, Namespace and Statistic, or Metrics.');
  return { Namespace: custom.Namespace, MetricName: custom.MetricName, Dimensions: custom.Dimensions ?? [], Statistic: custom.Statistic, Period: periodSeconds, ...(custom.Unit ? { Unit: custom.Unit } : {}) };
}

/** Target tracking: the capacity that brings the metric to the target, proportionally. */
export function trackedCapacity(current: number, metricValue: number, target: number, direction: 'out' | 'in'): number {
  const base = Math.max(current, 1);
  // Rounded up: enough capacity to bring the metric to the target. A scale-in that would not leave
  // the metric under the target does not happen (no flapping), and a scale-out adds at least one.
  const next = Math.ceil((base * metricValue) / target - 1e-9);
  return direction === 'out' ? Math.max(next, current + 1) : next < current ? next : current;
}

/** Step scaling: the new capacity for a breach of `delta` (metric minus threshold); undefined when no step matches. */
export function steppedCapacity(current: number, config: StepScalingPolicyConfiguration, delta: number): number | undefined {
  const step = (config.StepAdjustments ?? []).find(
    (s) => (s.MetricIntervalLowerBound === undefined || delta >= s.MetricIntervalLowerBound) && (s.MetricIntervalUpperBound === undefined || delta < s.MetricIntervalUpperBound),
  );
  if (!step) return undefined;
  switch (config.AdjustmentType) {
    case 'ExactCapacity':
      return step.ScalingAdjustment;
    case 'PercentChangeInCapacity': {
      let change = (current * step.ScalingAdjustment) / 100;
      change = change < 0 ? Math.ceil(change) : Math.floor(change);
      if (config.MinAdjustmentMagnitude !== undefined && Math.abs(change) < config.MinAdjustmentMagnitude) change = Math.sign(step.ScalingAdjustment) * config.MinAdjustmentMagnitude;
      return current + change;
    }
    default:
      return current + step.ScalingAdjustment;
  }
}
