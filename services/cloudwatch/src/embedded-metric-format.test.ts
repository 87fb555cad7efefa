import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { extractEmf } from './embedded-metric-format.js';

describe('embedded metric format', () => {
  it('turns a directive into metric data per dimension set', () => {
    const line = JSON.stringify({
      _aws: { Timestamp: 1_700_000_000_000, CloudWatchMetrics: [{ Namespace: 'Shop', Dimensions: [['Service'], ['Service', 'Op']], Metrics: [{ Name: 'Latency', Unit: 'Milliseconds' }, { Name: 'Missing' }] }] },
      Service: 'cart',
      Op: 'add',
      Latency: [12, 15],
    });
    const data = extractEmf(line, 0).get('Shop')!;
    assert.deepEqual(
      data.map((d) => [d.MetricName, d.Dimensions, d.Values, d.Unit, d.Timestamp!.getTime()]),
      [
        ['Latency', [{ Name: 'Service', Value: 'cart' }], [12, 15], 'Milliseconds', 1_700_000_000_000],
        ['Latency', [{ Name: 'Service', Value: 'cart' }, { Name: 'Op', Value: 'add' }], [12, 15], 'Milliseconds', 1_700_000_000_000],
      ],
    );
  });

  it("reads the JSON after a Lambda runtime's prefix", () => {
    const line = `2026-01-01T00:00:00.000Z\tabc\tINFO\t${JSON.stringify({ _aws: { CloudWatchMetrics: [{ Namespace: 'N', Metrics: [{ Name: 'x' }] }] }, x: 2 })}`;
    assert.deepEqual(extractEmf(line, 5).get('N')!.map((d) => [d.MetricName, d.Values, d.Timestamp!.getTime()]), [['x', [2], 5]]);
  });

  it('ignores lines that are not EMF, and AWS namespaces', () => {
    assert.equal(extractEmf('plain text', 0).size, 0);
    assert.equal(extractEmf('{"_aws": 1}', 0).size, 0);
    assert.equal(extractEmf(JSON.stringify({ _aws: { CloudWatchMetrics: [{ Namespace: 'AWS/X', Metrics: [{ Name: 'a' }] }] }, a: 1 }), 0).size, 0);
  });
});
