import assert from 'node:assert/strict';
import { test } from 'node:test';
import { powerOfTwoChunks, sqlInList } from './sql-lists.js';

test('sqlInList pads to a power of two with the last value, keeping the set of values', () => {
  const lengths = new Set<number>();
  for (let n = 1; n <= 500; n++) {
    const values = Array.from({ length: n }, (_, i) => `v${i}`);
    const list = sqlInList(values);
    const size = list.values.length;
    assert.ok(size >= n && size < 2 * n, `size ${size} for ${n}`);
    assert.equal(size & (size - 1), 0, `size ${size} is a power of two`);
    assert.equal(list.placeholders.split(', ').length, size);
    assert.ok(list.placeholders.split(', ').every((p) => p === '?'));
    assert.deepEqual(new Set(list.values), new Set(values));
    assert.deepEqual(list.values.slice(0, n), values);
    lengths.add(size);
  }
  // 500 lengths, 10 statement texts.
  assert.equal(lengths.size, 10);
  assert.throws(() => sqlInList([]), RangeError);
});

test('powerOfTwoChunks keeps every row in order, in at most log2(max) + 1 sizes, largest first', () => {
  const sizes = new Set<number>();
  for (let n = 0; n <= 300; n++) {
    const rows = Array.from({ length: n }, (_, i) => i);
    const chunks = powerOfTwoChunks(rows, 64);
    assert.deepEqual(chunks.flat(), rows);
    for (const c of chunks) {
      assert.ok(c.length >= 1 && c.length <= 64 && (c.length & (c.length - 1)) === 0, `chunk of ${c.length}`);
      sizes.add(c.length);
    }
    for (let i = 1; i < chunks.length; i++) assert.ok(chunks[i]!.length <= chunks[i - 1]!.length);
  }
  assert.deepEqual([...sizes].sort((a, b) => a - b), [1, 2, 4, 8, 16, 32, 64]);
  assert.deepEqual(powerOfTwoChunks(Array.from({ length: 37 }, (_, i) => i), 16).map((c) => c.length), [16, 16, 4, 1]);
  assert.throws(() => powerOfTwoChunks([1], 100), RangeError);
});
