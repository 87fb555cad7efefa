import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyError, alarmTiming, steppedCapacity, trackedCapacity, trackedMetric } from './scaling-policies.js';

describe('scaling policies', () => {
  it('tracks a target proportionally, adding at least one and never scaling in above the target', () => {
    assert.equal(trackedCapacity(2, 90, 50, 'out'), 4);
    assert.equal(trackedCapacity(2, 51, 50, 'out'), 3);
    assert.equal(trackedCapacity(0, 80, 50, 'out'), 2);
    assert.equal(trackedCapacity(4, 10, 50, 'in'), 1);
    assert.equal(trackedCapacity(3, 40, 45, 'in'), 3);
  });

  it('takes the step whose interval holds the breach, by adjustment type', () => {
    const steps = [
      { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 10, ScalingAdjustment: 1 },
      { MetricIntervalLowerBound: 10, ScalingAdjustment: 3 },
    ];
    assert.equal(steppedCapacity(2, { AdjustmentType: 'ChangeInCapacity', StepAdjustments: steps }, 5), 3);
    assert.equal(steppedCapacity(2, { AdjustmentType: 'ChangeInCapacity', StepAdjustments: steps }, 10), 5);
    assert.equal(steppedCapacity(2, { AdjustmentType: 'ChangeInCapacity', StepAdjustments: steps }, -1), undefined);
    assert.equal(steppedCapacity(2, { AdjustmentType: 'ExactCapacity', StepAdjustments: steps }, 12), 3);
    assert.equal(steppedCapacity(10, { AdjustmentType: 'PercentChangeInCapacity', StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 25 }] }, 1), 12);
    assert.equal(steppedCapacity(2, { AdjustmentType: 'PercentChangeInCapacity', MinAdjustmentMagnitude: 2, StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 10 }] }, 1), 4);
  });

  it('names the metric a predefined or customized policy tracks', () => {
    assert.deepEqual(trackedMetric({ TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } }, 'service/c1/web', 60), {
      Namespace: 'AWS/ECS',
      MetricName: 'CPUUtilization',
      Dimensions: [
        { Name: 'ClusterName', Value: 'c1' },
        { Name: 'ServiceName', Value: 'web' },
      ],
      Statistic: 'Average',
      Period: 60,
    });
    assert.throws(() => trackedMetric({ TargetValue: 5, PredefinedMetricSpecification: { PredefinedMetricType: 'ALBRequestCountPerTarget', ResourceLabel: 'bad' } }, 'service/c/s', 60), PolicyError);
    const backlog = trackedMetric(
      {
        TargetValue: 10,
        CustomizedMetricSpecification: {
          Metrics: [
            { Id: 'm1', MetricStat: { Metric: { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [{ Name: 'QueueName', Value: 'q' }] }, Stat: 'Sum' }, ReturnData: false },
            { Id: 'e1', Expression: 'm1 / 2', ReturnData: true },
          ],
        },
      },
      'service/c/s',
      60,
    ) as { Metrics: { Id: string; MetricStat?: { Period: number } }[] };
    assert.equal(backlog.Metrics[0]!.MetricStat!.Period, 60);
    assert.deepEqual(alarmTiming({}), { periodSeconds: 60, highPeriods: 3, lowPeriods: 15 });
    assert.deepEqual(alarmTiming({ ATOLL_TARGET_TRACKING_PERIOD_SECONDS: '5' }), { periodSeconds: 5, highPeriods: 1, lowPeriods: 3 });
  });
});
