import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { RestartBackoff } from './restart-backoff.js';

describe('RestartBackoff', () => {
  test('doubles the delay with each consecutive failure up to the maximum', () => {
    const backoff = new RestartBackoff({ baseMs: 100, maxMs: 500, jitter: 0 });
    assert.deepEqual([1, 2, 3, 4, 5].map(() => backoff.recordFailure('svc', 0)), [100, 200, 400, 500, 500]);
    assert.equal(backoff.failures('svc'), 5);
  });

  test('allows a start only after the delay and resets on success', () => {
    const backoff = new RestartBackoff({ baseMs: 100, jitter: 0 });
    backoff.recordFailure('svc', 1000);
    assert.equal(backoff.remaining('svc', 1050), 50);
    assert.equal(backoff.remaining('svc', 1100), 0);
    backoff.recordSuccess('svc');
    assert.equal(backoff.failures('svc'), 0);
    assert.equal(backoff.recordFailure('svc', 0), 100);
  });
});
