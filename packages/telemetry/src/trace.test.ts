import { test } from 'node:test';
import assert from 'node:assert/strict';
import { traceFromHeaders } from './trace.js';

test('X-Amzn-Trace-Id in the SDKs form and in any other order read alike, and a bad Root starts a new trace', () => {
  const root = '1-65553f00-0123456789abcdef01234567';
  assert.deepEqual(traceFromHeaders({ 'x-amzn-trace-id': `Root=${root};Parent=89abcdef01234567;Sampled=0` }), {
    traceId: root,
    parentId: '89abcdef01234567',
    sampled: false,
    header: `Root=${root};Parent=89abcdef01234567;Sampled=0`,
  });
  const reordered = traceFromHeaders({ 'x-amzn-trace-id': `Sampled=1; Parent=89abcdef01234567; Root=${root};Lineage=a87bd80c:1` });
  assert.deepEqual([reordered.traceId, reordered.parentId, reordered.sampled], [root, '89abcdef01234567', true]);
  const unsampledUnknown = traceFromHeaders({ 'x-amzn-trace-id': `Root=${root}` });
  assert.deepEqual([unsampledUnknown.traceId, unsampledUnknown.parentId, unsampledUnknown.sampled], [root, undefined, true]);
  const fresh = traceFromHeaders({ 'x-amzn-trace-id': 'Root=1-xyz;Sampled=1' });
  assert.notEqual(fresh.traceId, '1-xyz');
  assert.match(fresh.header, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1$/);
});

test('W3C traceparent becomes an X-Ray trace id with its flags as the sampling decision', () => {
  const t = traceFromHeaders({ traceparent: '00-65553f000123456789abcdef01234567-89abcdef01234567-00' });
  assert.deepEqual(t, { traceId: '1-65553f00-0123456789abcdef01234567', parentId: '89abcdef01234567', sampled: false, header: 'Root=1-65553f00-0123456789abcdef01234567;Parent=89abcdef01234567;Sampled=0' });
});
