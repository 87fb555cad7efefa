import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiCallMetrics, functionNameOf } from './api-call-metrics.js';

const scope = { accountId: '000000000000', region: 'us-east-1' };

describe('metrics from API calls', () => {
  it('names a function by its name whatever form the call used', () => {
    assert.equal(functionNameOf('fn'), 'fn');
    assert.equal(functionNameOf('fn:live'), 'fn');
    assert.equal(functionNameOf('000000000000:function:fn'), 'fn');
    assert.equal(functionNameOf('arn:aws:lambda:us-east-1:000000000000:function:fn:3'), 'fn');
  });

  it('aggregates samples per minute as values and counts, at most 150 values a datum', () => {
    const m = new ApiCallMetrics();
    const t = 10 * 60_000;
    for (let i = 0; i < 200; i++) m.add(scope, 'AWS/DynamoDB', 'SuccessfulRequestLatency', [{ Name: 'TableName', Value: 't' }], 'Milliseconds', t + i, i % 160);
    m.add(scope, 'AWS/DynamoDB', 'SuccessfulRequestLatency', [{ Name: 'TableName', Value: 't' }], 'Milliseconds', t + 60_000, 5);
    m.add(scope, 'AWS/SQS', 'NumberOfMessagesSent', [], 'Count', t, 1, 0);
    const batches = m.drain();
    assert.equal(batches.length, 1);
    const data = batches[0]!.data;
    assert.deepEqual(data.map((d) => [d.Timestamp!.getTime(), d.Values!.length, d.Counts!.reduce((s, c) => s + c, 0)]), [
      [t, 150, 190],
      [t, 10, 10],
      [t + 60_000, 1, 1],
    ]);
    assert.deepEqual(m.drain(), []);
  });

  it('turns a load balancer answer into request, status class and response time samples', () => {
    const m = new ApiCallMetrics();
    const listenerId = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2';
    const targetGroupId = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tg/73e2d6bc24d8a067';
    m.recordElb({ type: 'elbv2.RequestServed', ...scope, detail: { listenerId, targetGroupId, status: 503, fromTarget: true, targetResponseMs: 12, eligibleTargets: 2 } });
    m.recordElb({ type: 'elbv2.RequestServed', ...scope, detail: { listenerId, status: 502, fromTarget: false } });
    const names = m.drain()[0]!.data.map((d) => `${d.MetricName} ${d.Dimensions!.map((x) => x.Value).join(',')} ${d.Values!.join(',')}`);
    assert.deepEqual(names.sort(), [
      'HTTPCode_ELB_502_Count app/web/50dc6c495c0c9188 1',
      'HTTPCode_ELB_5XX_Count app/web/50dc6c495c0c9188 1',
      'HTTPCode_Target_5XX_Count app/web/50dc6c495c0c9188 1',
      'HTTPCode_Target_5XX_Count app/web/50dc6c495c0c9188,targetgroup/tg/73e2d6bc24d8a067 1',
      'RequestCount app/web/50dc6c495c0c9188 1',
      'RequestCount app/web/50dc6c495c0c9188,targetgroup/tg/73e2d6bc24d8a067 1',
      'RequestCountPerTarget app/web/50dc6c495c0c9188,targetgroup/tg/73e2d6bc24d8a067 0.5',
      'RequestCountPerTarget targetgroup/tg/73e2d6bc24d8a067 0.5',
      'TargetResponseTime app/web/50dc6c495c0c9188 0.012',
      'TargetResponseTime app/web/50dc6c495c0c9188,targetgroup/tg/73e2d6bc24d8a067 0.012',
    ]);
  });
});
