// Work that one node does for all (draining the outbox, HTTP retries): the node that leads `name`
// runs `wake` when any node asks for it (a signal on `channel`), after its signal connection comes
// back, and at least every second, because signals can be lost. On the leading node a kick runs
// `wake` at once, with no signal; on the others it sends one (coalesced: one in flight at a time).
// On the embedded engine this node always leads.
import type { Leadership, Logger } from '@atoll/core';
import type { SnsStore } from './sns-store.js';

const POLL_MS = 1000;

export class LeaderRole {
  #leading = false;
  #stop: (() => void) | undefined;
  #sending = false;
  #resend = false;

  constructor(
    readonly name: string,
    readonly channel: string,
    readonly store: SnsStore,
    readonly leadership: Leadership,
    readonly logger: Logger,
    readonly wake: () => void,
  ) {}

  /** Whether this node does the work now. */
  get leading(): boolean {
    return this.#leading;
  }

  /** Asks for leadership; `wake` runs at once when it is granted. */
  start(): void {
    if (this.#stop) return;
    this.#stop = this.leadership.lead(this.name, (signal) => {
      this.#leading = true;
      const unlisten = this.store.listen(this.channel, this.wake);
      const timer = setInterval(this.wake, POLL_MS);
      timer.unref();
      signal.addEventListener(
        'abort',
        () => {
          this.#leading = false;
          unlisten();
          clearInterval(timer);
        },
        { once: true },
      );
      this.wake();
    });
  }

  /** Has the leader look for work now. */
  kick(): void {
    if (this.#leading) this.wake();
    else if (this.#stop) this.#signal();
  }

  #signal(): void {
    if (!this.#stop) return;
    if (this.#sending) {
      this.#resend = true;
      return;
    }
    this.#sending = true;
    this.store
      .signal(this.channel)
      .catch((error: unknown) => this.logger.warn({ err: error, role: this.name }, 'sns could not signal the leader (it polls every second)'))
      .finally(() => {
        this.#sending = false;
        if (this.#resend) {
          this.#resend = false;
          this.#signal();
        }
      });
  }

  /** Gives leadership up and stops. */
  stop(): void {
    this.#stop?.();
    this.#stop = undefined;
    this.#leading = false;
  }
}
