import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidMatcher, parseMatcher } from './health-probe.js';

test('a matcher accepts single codes, lists and ranges', () => {
  const m = parseMatcher('200,202,300-302');
  assert.deepEqual([200, 201, 202, 300, 301, 302, 303].map(m), [true, false, true, true, true, true, false]);
});

test('matcher validation refuses malformed text and codes out of range', () => {
  assert.ok(isValidMatcher('200-299'));
  assert.ok(!isValidMatcher('2xx'));
  assert.ok(!isValidMatcher('100'));
  assert.ok(!isValidMatcher('300-200'));
});
