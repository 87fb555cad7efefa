// Shared settings of the fuzz suite: one seed and one run budget for every property, so that CI
// replays the same cases (ATOLL_FUZZ_SEED, ATOLL_FUZZ_SCALE change them; bench/fuzz/long-run.mjs
// sets both), and the checks every property makes (only typed errors, bounded memory).
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { ServiceError } from '@atoll/core';

/** The seed every property starts from (fixed in CI). */
export const FUZZ_SEED = Number(process.env.ATOLL_FUZZ_SEED ?? 21_2024);
/** A multiplier on every property's run count (1 in CI; the long run raises it). */
export const FUZZ_SCALE = Number(process.env.ATOLL_FUZZ_SCALE ?? 1);

/** fast-check parameters for a property that CI runs `numRuns` times. */
export function fuzzParams<T = unknown>(numRuns: number, extra: fc.Parameters<T> = {}): fc.Parameters<T> {
  return { seed: FUZZ_SEED, numRuns: Math.max(1, Math.round(numRuns * FUZZ_SCALE)), endOnFailure: true, includeErrorInReport: true, ...extra };
}

/** True for the errors a parser may throw at the edge: AWS service errors (AuthError is one). */
export function isTypedError(error: unknown): boolean {
  return error instanceof ServiceError;
}

/** Runs `fn`; a typed error is an answer, anything else (TypeError, RangeError …) fails the property. */
export function expectOnlyTypedErrors(fn: () => unknown, what: () => string): void {
  try {
    fn();
  } catch (error) {
    if (isTypedError(error)) {
      const status = (error as ServiceError).status;
      assert.ok(status >= 400 && (status < 500 || status === 501), `${what()}: typed error with status ${status}: ${(error as Error).message}`);
      return;
    }
    assert.fail(`${what()}: threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.stack ?? String(error)}`);
  }
}

export async function expectOnlyTypedErrorsAsync(fn: () => Promise<unknown>, what: () => string): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (isTypedError(error)) {
      const status = (error as ServiceError).status;
      assert.ok(status >= 400 && (status < 500 || status === 501), `${what()}: typed error with status ${status}: ${(error as Error).message}`);
      return;
    }
    assert.fail(`${what()}: threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.stack ?? String(error)}`);
  }
}

let gcFunction: (() => void) | undefined;
/** A full garbage collection (the flag is turned on at run time when the process lacks --expose-gc). */
export function collectGarbage(): void {
  if (!gcFunction) {
    setFlagsFromString('--expose-gc');
    gcFunction = runInNewContext('gc') as () => void;
  }
  gcFunction();
  gcFunction();
}

/** The heap in use after a full collection, in bytes. */
export function settledHeap(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/**
 * Fails when the heap grew by more than `limitMb` between `before` and now (after a collection):
 * fuzzing must not leave caches or buffers growing with the number of distinct junk requests.
 */
export function assertHeapBounded(before: number, limitMb: number, what: string): void {
  const after = settledHeap();
  const grownMb = (after - before) / 1024 / 1024;
  assert.ok(grownMb < limitMb, `${what}: heap grew by ${grownMb.toFixed(1)} MB (limit ${limitMb} MB)`);
}
