// The in-process platform event bus. Services publish typed events (ObjectCreated, MessageAvailable,
// AlarmStateChanged …) and others react, so that no service imports another's internals.
// A NATS-backed bus with the same interface replaces it when Atoll runs on several nodes.

export interface PlatformEvent {
  /** Event type, e.g. `sqs.MessageAvailable`. */
  type: string;
  accountId: string;
  region: string;
  detail: Record<string, unknown>;
}

export type EventHandler = (event: PlatformEvent) => void | Promise<void>;

export class EventBus {
  readonly #handlers = new Map<string, Set<EventHandler>>();
  #onError: (error: unknown, event: PlatformEvent) => void = () => {};

  /** Subscribes to one event type; returns a function that unsubscribes. */
  on(type: string, handler: EventHandler): () => void {
    let set = this.#handlers.get(type);
    if (!set) this.#handlers.set(type, (set = new Set()));
    set.add(handler);
    return () => set!.delete(handler);
  }

  onError(handler: (error: unknown, event: PlatformEvent) => void): void {
    this.#onError = handler;
  }

  /** Whether anything listens for `type` (so that a publisher can skip building the event). */
  hasHandlers(type: string): boolean {
    return (this.#handlers.get(type)?.size ?? 0) > 0;
  }

  /** Delivers the event to every handler; a failing handler never affects the publisher. */
  emit(event: PlatformEvent): void {
    const set = this.#handlers.get(event.type);
    if (!set) return;
    for (const handler of set) {
      try {
        const result = handler(event);
        if (result && typeof (result as Promise<void>).catch === 'function') {
          (result as Promise<void>).catch((error) => this.#onError(error, event));
        }
      } catch (error) {
        this.#onError(error, event);
      }
    }
  }
}
