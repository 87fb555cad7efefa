import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatAccessLog, logGroupOf } from './access-logs.js';

describe('access log lines', () => {
  it('fills $context variables and writes - for missing ones', () => {
    const line = formatAccessLog('{"id":"$context.requestId","ip":"$context.identity.sourceIp","status":$context.status,"err":"$context.error.message"}', {
      requestId: 'r-1',
      'identity.sourceIp': '127.0.0.1',
      status: 200,
    });
    assert.equal(line, '{"id":"r-1","ip":"127.0.0.1","status":200,"err":"-"}');
    assert.equal(formatAccessLog('$context.httpMethod $context.path', { httpMethod: 'GET', path: '/prod/a' }), 'GET /prod/a');
  });

  it('reads the log group of a destination ARN, with or without :*', () => {
    assert.deepEqual(logGroupOf('arn:aws:logs:us-east-1:000000000000:log-group:/aws/apigw/access:*'), { region: 'us-east-1', accountId: '000000000000', group: '/aws/apigw/access' });
    assert.deepEqual(logGroupOf('arn:aws:logs:eu-west-1:123456789012:log-group:plain'), { region: 'eu-west-1', accountId: '123456789012', group: 'plain' });
    assert.equal(logGroupOf('arn:aws:firehose:us-east-1:000000000000:deliverystream/x'), undefined);
  });
});
