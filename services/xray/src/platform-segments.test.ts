import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { callNode, callSegment, parseTraceHeader, platformRows } from './platform-segments.js';

const detail = (over: Record<string, unknown> = {}) =>
  ({ service: 'sqs', operation: 'SendMessage', status: 200, durationMs: 12, time: 1_700_000_000_000, resources: {}, traceHeader: 'Root=1-65553f00-0123456789abcdef01234567;Parent=89abcdef01234567;Sampled=1', requestId: 'r-1', ...over }) as never;

describe('platform segments', () => {
  it('reads trace headers and refuses a missing or malformed Root', () => {
    assert.deepEqual(parseTraceHeader('Root=1-65553f00-0123456789abcdef01234567;Parent=89abcdef01234567;Sampled=0'), { root: '1-65553f00-0123456789abcdef01234567', parent: '89abcdef01234567', sampled: false });
    assert.equal(parseTraceHeader('Parent=89abcdef01234567'), undefined);
    assert.equal(parseTraceHeader('Root=abc'), undefined);
  });

  it('names the node after the resource the call named', () => {
    assert.deepEqual(callNode({ service: 'sqs', resources: { queueName: 'jobs' } }).type, 'AWS::SQS::Queue');
    assert.equal(callNode({ service: 'sns', resources: { topicArn: 'arn:aws:sns:us-east-1:000000000000:alerts' } }).name, 'alerts');
    assert.deepEqual(callNode({ service: 'lambda', resources: { functionName: 'arn:aws:lambda:us-east-1:000000000000:function:worker:live' } }).name, 'worker');
    assert.deepEqual(callNode({ service: 'lambda', resources: { functionName: 'worker:3' } }).name, 'worker');
    assert.deepEqual([callNode({ service: 'sts', resources: {} }).name, callNode({ service: 'sts', resources: {} }).type], ['STS', 'AWS::STS']);
  });

  it('marks throttles, errors and faults from the status and code, and skips unsampled calls', () => {
    assert.equal(callSegment(detail({ traceHeader: 'Root=1-65553f00-0123456789abcdef01234567;Sampled=0' }), 'a', 'r'), undefined);
    const ok = callSegment(detail({ resources: { queueName: 'jobs' } }), '000000000000', 'us-east-1')!;
    assert.deepEqual([ok.name, ok.parent_id, ok.start_time, ok.end_time, ok.error, ok.fault], ['jobs', '89abcdef01234567', 1_700_000_000, 1_700_000_000.012, undefined, undefined]);
    const throttled = callSegment(detail({ status: 400, errorCode: 'ThrottlingException' }), 'a', 'r')!;
    assert.deepEqual([throttled.throttle, throttled.error, throttled.fault], [true, true, undefined]);
    assert.equal(callSegment(detail({ status: 500, errorCode: 'InternalError' }), 'a', 'r')!.fault, true);
    assert.equal(callSegment(detail({ status: 404, errorCode: 'ResourceNotFoundException' }), 'a', 'r')!.error, true);
  });

  it('turns pending calls into stored rows by account and region, without the unsampled ones', () => {
    const batches = platformRows([
      { detail: detail({ requestId: 'r-1' }), accountId: 'a', region: 'r' },
      { detail: detail({ requestId: 'r-2', traceHeader: 'Root=1-65553f00-0123456789abcdef01234567;Sampled=0' }), accountId: 'a', region: 'r' },
      { detail: detail({ requestId: 'r-3', time: 1_700_000_000_500 }), accountId: 'b', region: 'r' },
    ]);
    assert.deepEqual([...batches.keys()], ['a/r', 'b/r']);
    const [row] = batches.get('a/r')!.rows;
    const doc = JSON.parse(row!.doc);
    assert.deepEqual([row!.traceId, row!.id, row!.startMs, row!.inProgress], [doc.trace_id, doc.id, 1_700_000_000_000, false]);
    assert.equal(batches.get('b/r')!.rows[0]!.startMs, 1_700_000_000_500);
  });
});
