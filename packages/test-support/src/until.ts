// Polling for end-to-end tests: wait for a state the platform reaches asynchronously (a task
// running, a queue drained, a snapshot available) with a generous deadline instead of fixed sleeps,
// so that tests hold on a loaded machine.

export interface UntilOptions {
  /** How long to wait before failing (default 30 s). */
  timeoutMs?: number;
  /** The pause between probes (default 100 ms). */
  intervalMs?: number;
}

/**
 * Calls `probe` until it gives a value (anything but undefined, null or false) and returns that
 * value; fails with "timed out waiting for <what>" after the timeout. A number is the timeout in ms.
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, options: UntilOptions | number = {}): Promise<Exclude<T, undefined | null | false>> {
  const { timeoutMs = 30_000, intervalMs = 100 } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value as Exclude<T, undefined | null | false>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${timeoutMs} ms)`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
