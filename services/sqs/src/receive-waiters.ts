// Long polling: receivers waiting on an empty queue park here and are woken the moment a commit
// makes a message available in that queue (or their timeout passes, or the client goes away).
export class ReceiveWaiters {
  readonly #waiters = new Map<number, Set<() => void>>();
  #closed = false;

  /** Resolves on the next notify for the queue, after `ms`, or when `signal` aborts. */
  wait(queueId: number, ms: number, signal?: AbortSignal): Promise<void> {
    if (this.#closed || signal?.aborted || ms <= 0) return Promise.resolve();
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
    const set = this.#waiters.get(queueId);
    if (!set) return;
    for (const wake of [...set]) wake();
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
