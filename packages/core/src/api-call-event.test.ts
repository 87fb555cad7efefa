import { test } from 'node:test';
import assert from 'node:assert/strict';
import { platformSegmentId, propagatedTraceHeader } from './api-call-event.js';

test('the handed-on trace header keeps the Root and the sampling decision and names the platform segment as Parent', () => {
  const root = '1-65553f00-0123456789abcdef01234567';
  const parent = platformSegmentId('req-1');
  assert.match(parent, /^[0-9a-f]{16}$/);
  assert.equal(platformSegmentId('req-1'), parent, 'derived, not random');
  assert.notEqual(platformSegmentId('req-2'), parent);
  // The SDKs' form, another order with a Lineage, and a header without a decision.
  assert.equal(propagatedTraceHeader({ 'x-amzn-trace-id': `Root=${root};Parent=89abcdef01234567;Sampled=0` }, 'req-1'), `Root=${root};Parent=${parent};Sampled=0`);
  assert.equal(propagatedTraceHeader({ 'x-amzn-trace-id': `Sampled=1;Root=${root};Lineage=a87bd80c:1` }, 'req-1'), `Root=${root};Parent=${parent};Sampled=1`);
  assert.equal(propagatedTraceHeader({ 'x-amzn-trace-id': `Root=${root}` }, 'req-1'), `Root=${root};Parent=${parent};Sampled=1`);
  assert.equal(propagatedTraceHeader({ traceparent: '00-65553f000123456789abcdef01234567-89abcdef01234567-01' }, 'req-1'), `Root=${root};Parent=${parent};Sampled=1`);
  assert.equal(propagatedTraceHeader({ 'x-amzn-trace-id': 'Root=1-nothex' }, 'req-1'), undefined);
  assert.equal(propagatedTraceHeader({}, 'req-1'), undefined);
});
