// The embedded engine's session lock: one holder, waiters served in order, a waiter gives up after its timeout.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { SessionLock, SessionLockTimeout } from './session-lock.js';

it('serves waiters in order and lets the holder re-enter', async () => {
  const lock = new SessionLock();
  await lock.acquire(1, 1000);
  await lock.acquire(1, 1000);
  const order: number[] = [];
  const second = lock.acquire(2, 1000).then(() => order.push(2));
  const third = lock.acquire(3, 1000).then(() => order.push(3));
  lock.release(1);
  await second;
  assert.equal(lock.owner, 2);
  lock.release(2);
  await third;
  assert.deepEqual(order, [2, 3]);
  lock.release(3);
  assert.equal(lock.owner, undefined);
});

it('fails a waiter with SessionLockTimeout when the holder keeps the session too long', async () => {
  const lock = new SessionLock();
  await lock.acquire(1, 1000);
  await assert.rejects(lock.acquire(2, 50), SessionLockTimeout);
  lock.release(1);
  assert.equal(lock.owner, undefined);
  await lock.acquire(3, 50);
  assert.equal(lock.owner, 3);
});
