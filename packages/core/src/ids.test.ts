import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newTraceId, randomHex } from './ids.js';

test('randomHex gives the asked number of random bytes as lower-case hex', () => {
  for (const bytes of [1, 8, 12, 16, 32, 40]) assert.match(randomHex(bytes), new RegExp(`^[0-9a-f]{${bytes * 2}}$`));
});

test('pooled ids do not repeat across pool refills', () => {
  // 20,000 ids of 8 bytes take 320,000 hex characters: about 80 refills of the 4 KiB pool.
  const seen = new Set<string>();
  for (let i = 0; i < 20_000; i++) seen.add(randomHex(8));
  assert.equal(seen.size, 20_000);
});

test('trace ids are in X-Ray form, with the time in seconds', () => {
  const id = newTraceId(Date.UTC(2026, 10, 29, 12, 0, 0));
  assert.match(id, /^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  assert.equal(parseInt(id.slice(2, 10), 16), Date.UTC(2026, 10, 29, 12, 0, 0) / 1000);
  assert.notEqual(newTraceId(), newTraceId());
});
