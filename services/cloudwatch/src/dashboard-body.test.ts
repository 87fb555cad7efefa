import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateDashboardBody } from './dashboard-body.js';

describe('dashboard body validation', () => {
  it('accepts metric, text, alarm and log widgets in AWS form', () => {
    const body = {
      periodOverride: 'inherit',
      widgets: [
        { type: 'metric', x: 0, y: 0, width: 12, height: 6, properties: { metrics: [['AWS/SQS', 'NumberOfMessagesSent', 'QueueName', 'q', { stat: 'Sum' }], [{ expression: 'm1 * 2', id: 'e1' }]], region: 'us-east-1' } },
        { type: 'text', x: 12, y: 0, width: 12, height: 2, properties: { markdown: '# Ops' } },
        { type: 'alarm', properties: { alarms: ['arn:aws:cloudwatch:us-east-1:000000000000:alarm:a'] } },
        { type: 'log', properties: { query: "SOURCE '/aws/lambda/f' | fields @message" } },
      ],
    };
    assert.deepEqual(validateDashboardBody(JSON.stringify(body)), { kind: 'checked', errors: [] });
  });

  it('refuses a body that is not a JSON object', () => {
    assert.deepEqual(validateDashboardBody('{"widgets": ['), { kind: 'not-json' });
    assert.deepEqual(validateDashboardBody('[1]'), { kind: 'not-json' });
  });

  it('names each structure error with its JSON pointer path', () => {
    const body = {
      widgets: [
        { type: 'chart', properties: {} },
        { type: 'metric', x: 30, width: 0, height: 1.5, properties: { metrics: [['AWS/EC2', 'CPUUtilization', 'InstanceId', 7]] } },
        { type: 'text', properties: {} },
        { type: 'metric' },
      ],
    };
    const result = validateDashboardBody(JSON.stringify(body));
    assert.equal(result.kind, 'checked');
    assert.deepEqual(result.kind === 'checked' ? result.errors : [], [
      { path: '/widgets/0/type', message: 'Should be equal to one of the allowed values' },
      { path: '/widgets/1/x', message: 'Should be <= 23' },
      { path: '/widgets/1/width', message: 'Should be >= 1' },
      { path: '/widgets/1/height', message: 'Should be integer' },
      { path: '/widgets/1/properties/metrics/0/3', message: 'Invalid metric field type, only "String" type is allowed' },
      { path: '/widgets/2/properties', message: "Should have required property 'markdown'" },
      { path: '/widgets/3', message: "Should have required property 'properties'" },
    ]);
    assert.deepEqual(validateDashboardBody('{}'), { kind: 'checked', errors: [{ path: '', message: "Should have required property 'widgets'" }] });
  });
});
