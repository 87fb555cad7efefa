import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { callItem, callNode, callSegment, docItem, expandItems, parseTraceHeader } from './platform-segments.js';

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

  it('turns pending items into stored rows, without the unsampled calls', () => {
    const items = [
      callItem(detail({ requestId: 'r-1', errorCode: 'ResourceNotFoundException', status: 400, resources: { queueName: 'jobs' } })),
      callItem(detail({ requestId: 'r-2', traceHeader: 'Root=1-65553f00-0123456789abcdef01234567;Sampled=0' })),
      callItem(detail({ requestId: 'r-3', time: 1_700_000_000_500 })),
      docItem({ traceId: '1-65553f00-0123456789abcdef01234567', id: '0123456789abcdef', startMs: 1_700_000_000_100, inProgress: true, doc: '{"id":"0123456789abcdef"}' }),
    ];
    const rows = expandItems(items.map((t) => JSON.parse(t)), '000000000000', 'us-east-1');
    assert.equal(rows.length, 3);
    const doc = JSON.parse(rows[0]!.doc);
    // The same segment as one built straight from the call.
    assert.deepEqual(doc, { ...callSegment(detail({ requestId: 'r-1', errorCode: 'ResourceNotFoundException', status: 400, resources: { queueName: 'jobs' } }), '000000000000', 'us-east-1'), cause: doc.cause });
    assert.deepEqual([rows[0]!.traceId, rows[0]!.id, rows[0]!.startMs, rows[0]!.inProgress, doc.error, doc.cause.exceptions[0].type], [doc.trace_id, doc.id, 1_700_000_000_000, false, true, 'ResourceNotFoundException']);
    assert.equal(rows[1]!.startMs, 1_700_000_000_500);
    assert.deepEqual(rows[2], { traceId: '1-65553f00-0123456789abcdef01234567', id: '0123456789abcdef', startMs: 1_700_000_000_100, inProgress: true, doc: '{"id":"0123456789abcdef"}' });
  });
});
