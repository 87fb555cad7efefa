// Restart backoff bookkeeping: how long to wait before starting a replacement for something that
// keeps failing, so that a command that exits at once is not restarted in a tight loop.

export interface BackoffOptions {
  /** Delay after the first failure. */
  baseMs?: number;
  /** Upper bound of the delay. */
  maxMs?: number;
  /** Random spread as a fraction of the delay (0 disables jitter). */
  jitter?: number;
}

interface Entry {
  failures: number;
  notBefore: number;
}

/**
 * Keyed exponential backoff: after n consecutive failures the next start waits
 * `min(base × 2^(n-1), max)` (± jitter). A success resets the key.
 */
export class RestartBackoff {
  readonly #entries = new Map<string, Entry>();
  readonly #base: number;
  readonly #max: number;
  readonly #jitter: number;

  constructor(options: BackoffOptions = {}) {
    this.#base = options.baseMs ?? 1000;
    this.#max = options.maxMs ?? 60_000;
    this.#jitter = options.jitter ?? 0.1;
  }

  /** Records a failure; returns the delay before the next start is allowed. */
  recordFailure(key: string, now = Date.now()): number {
    const entry = this.#entries.get(key) ?? { failures: 0, notBefore: 0 };
    entry.failures++;
    const raw = Math.min(this.#base * 2 ** (entry.failures - 1), this.#max);
    const delay = Math.round(raw * (1 + (Math.random() * 2 - 1) * this.#jitter));
    entry.notBefore = now + delay;
    this.#entries.set(key, entry);
    return delay;
  }

  recordSuccess(key: string): void {
    this.#entries.delete(key);
  }

  failures(key: string): number {
    return this.#entries.get(key)?.failures ?? 0;
  }

  /** Milliseconds until a start is allowed (0 when it is allowed now). */
  remaining(key: string, now = Date.now()): number {
    const entry = this.#entries.get(key);
    return entry ? Math.max(0, entry.notBefore - now) : 0;
  }

  forget(key: string): void {
    this.#entries.delete(key);
  }
}
