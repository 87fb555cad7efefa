// One PGlite database is one PostgreSQL session: the wire server lends it to one client connection
// at a time. A connection keeps it while its transaction is open; the others wait in order, each at
// most `timeoutMs`, then get a clear error instead of hanging for ever.

export class SessionLockTimeout extends Error {
  constructor(timeoutMs: number) {
    super(
      `the embedded PostgreSQL engine is busy: another connection has kept a transaction open for more than ${Math.round(timeoutMs / 1000)} s ` +
        `(the embedded engine runs one transaction at a time; use a PostgreSQL server for concurrent transactions)`,
    );
    this.name = 'SessionLockTimeout';
  }
}

interface Waiter {
  owner: number;
  resolve: () => void;
  timer: NodeJS.Timeout;
}

export class SessionLock {
  #owner: number | undefined;
  readonly #waiters: Waiter[] = [];

  get owner(): number | undefined {
    return this.#owner;
  }

  /** Resolves once `owner` holds the session (at once if it already does). */
  acquire(owner: number, timeoutMs: number): Promise<void> {
    if (this.#owner === undefined || this.#owner === owner) {
      this.#owner = owner;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        owner,
        resolve,
        timer: setTimeout(() => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(new SessionLockTimeout(timeoutMs));
        }, timeoutMs),
      };
      this.#waiters.push(waiter);
    });
  }

  /** Gives the session to the next waiter, if `owner` holds it. */
  release(owner: number): void {
    if (this.#owner !== owner) return;
    const next = this.#waiters.shift();
    if (!next) {
      this.#owner = undefined;
      return;
    }
    clearTimeout(next.timer);
    this.#owner = next.owner;
    next.resolve();
  }
}
