// Signals within one process: what the embedded engine (one node) uses for the store contract's signals.
import type { Signals } from '@atoll/core';

/** In-process signals: the embedded engine serves one node. */
export class LocalSignals implements Signals {
  readonly #handlers = new Map<string, Set<(payload: string) => void>>();

  notify(channel: string, payload: string): Promise<void> {
    this.deliver(channel, payload);
    return Promise.resolve();
  }

  listen(channel: string, handler: (payload: string) => void): () => void {
    let set = this.#handlers.get(channel);
    if (!set) this.#handlers.set(channel, (set = new Set()));
    set.add(handler);
    return () => set!.delete(handler);
  }

  deliver(channel: string, payload: string): void {
    const set = this.#handlers.get(channel);
    if (!set) return;
    for (const handler of set) {
      try {
        handler(payload);
      } catch {
        // A listener's failure is its own; the sender is not affected.
      }
    }
  }
}
