// Long polling on one node: receivers waiting on an empty queue park here and are woken when a
// commit (on any node: the store's `sqs.available` signal) may have made a message available in
// that queue, when their timeout passes, or when the client goes away. Waiters re-check at least
// every second (signals can be lost while a node reconnects), so callers cap their waits.
export class ReceiveWaiters {
  readonly #waiters = new Map<number, Set<() => void>>();
  /** Per queue, how many times it was notified: a waiter that looked before a notify does not sleep through it. */
  readonly #epochs = new Map<number, number>();
  #closed = false;

  /** The queue's notification count now; pass it to `wait` to return at once if a notify came since. */
  epoch(queueId: number): number {
    return this.#epochs.get(queueId) ?? 0;
  }

  /**
   * Resolves on the next notify for the queue (at once if one came since `since`), after `ms`, or
   * when `signal` aborts.
   */
  wait(queueId: number, ms: number, signal?: AbortSignal, since?: number): Promise<void> {
    if (this.#closed || signal?.aborted || ms <= 0) return Promise.resolve();
    if (since !== undefined && this.epoch(queueId) !== since) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let set = this.#waiters.get(queueId);
      if (!set) this.#waiters.set(queueId, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        set!.delete(done);
        if (set!.size === 0 && this.#waiters.get(queueId) === set) this.#waiters.delete(queueId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      set.add(done);
    });
  }

  notify(queueId: number): void {
    this.#epochs.set(queueId, this.epoch(queueId) + 1);
    const set = this.#waiters.get(queueId);
    if (!set) return;
    for (const wake of [...set]) wake();
  }

  /** Wakes every waiter (after signals may have been lost). */
  notifyAll(): void {
    for (const queueId of [...this.#waiters.keys()]) this.notify(queueId);
  }

  /** Forgets a deleted queue's notification count. */
  forget(queueId: number): void {
    this.#epochs.delete(queueId);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Count of parked receivers (for tests and metrics). */
  count(queueId: number): number {
    return this.#waiters.get(queueId)?.size ?? 0;
  }

  close(): void {
    this.#closed = true;
    for (const set of this.#waiters.values()) for (const wake of [...set]) wake();
  }
}
