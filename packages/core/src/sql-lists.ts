// Statement texts that grow with a list. Both engines prepare a statement once per text and keep it:
// SQLite for the connection's life, PostgreSQL per connection (named statements). An `IN (?, ?, …)`
// list or a multi-row `VALUES` built to a list's exact length gives one statement per length met,
// and a prepared 500-placeholder SELECT holds about 50 KB of native memory: a store that met every
// length up to 500 held 25 MB. These helpers keep the lengths to powers of two, so a store prepares
// at most a handful of texts per list.
import type { SqlValue } from './storage.js';

/** The power of two at or above `n` (n >= 1). */
function ceilPowerOfTwo(n: number): number {
  let size = 1;
  while (size < n) size *= 2;
  return size;
}

/**
 * An `IN` list's placeholders (`?, ?, ?, ?`) and values, padded to a power of two by repeating the
 * last value, which `IN` ignores. `values` must not be empty (`IN ()` is not SQL).
 */
export function sqlInList<T extends SqlValue>(values: readonly T[]): { placeholders: string; values: T[] } {
  if (values.length === 0) throw new RangeError('sqlInList needs at least one value');
  const size = ceilPowerOfTwo(values.length);
  const padded = values.slice();
  while (padded.length < size) padded.push(values[values.length - 1]!);
  return { placeholders: placeholders(size), values: padded };
}

/** `?, ?, …` (n of them). */
function placeholders(n: number): string {
  return n === 1 ? '?' : `?${', ?'.repeat(n - 1)}`;
}

/**
 * Splits rows for multi-row statements into chunks whose sizes are powers of two of at most `max`
 * (itself a power of two): the largest first (37 rows with max 16: 16, 16, 4, 1). Rows cannot be
 * padded as an `IN` list can, so the sizes vary instead, among log2(max) + 1 texts.
 */
export function powerOfTwoChunks<T>(rows: readonly T[], max: number): T[][] {
  if (max < 1 || ceilPowerOfTwo(max) !== max) throw new RangeError(`powerOfTwoChunks needs a power of two, got ${max}`);
  const chunks: T[][] = [];
  let at = 0;
  while (at < rows.length) {
    let size = max;
    while (size > rows.length - at) size /= 2;
    chunks.push(rows.slice(at, at + size));
    at += size;
  }
  return chunks;
}
