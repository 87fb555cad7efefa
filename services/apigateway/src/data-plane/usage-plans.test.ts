import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quotaWindow, TokenBucket } from './usage-plans.js';

test('a token bucket gives its burst at once, then its rate', () => {
  const bucket = new TokenBucket(100, 20, 0);
  let accepted = 0;
  // 10 s of requests every millisecond: the burst, then 100 a second.
  for (let t = 0; t < 10_000; t++) if (bucket.take(t)) accepted++;
  assert.ok(Math.abs(accepted - 1020) <= 2, `accepted ${accepted}`);
});

test('a bucket with a burst of 0 still lets one request through per token', () => {
  const bucket = new TokenBucket(1, 0, 0);
  assert.equal(bucket.take(0), false);
  assert.equal(bucket.take(1000), true);
  assert.equal(bucket.take(1001), false);
});

test('quota windows follow the UTC day, ISO week and month', () => {
  const monday = new Date(Date.UTC(2026, 0, 5, 10));
  const sunday = new Date(Date.UTC(2026, 0, 11, 23));
  const nextMonday = new Date(Date.UTC(2026, 0, 12, 0));
  assert.equal(quotaWindow('WEEK', monday), quotaWindow('WEEK', sunday));
  assert.notEqual(quotaWindow('WEEK', sunday), quotaWindow('WEEK', nextMonday));
  assert.notEqual(quotaWindow('DAY', monday), quotaWindow('DAY', sunday));
  assert.equal(quotaWindow('MONTH', monday), quotaWindow('MONTH', nextMonday));
});
