// Which node runs the load balancers' data planes, and how they follow the stored configuration.
// Listener ports cannot be bound by every node of a cluster on one machine, so the planes run on the
// node that leads `elbv2:data-planes` (always this node on SQLite). The leader builds them from the
// database when it takes the lead, and rebuilds them on the `elbv2.config` signal that any other
// node's configuration change sends (and after a lost signal connection). A change made on the leader
// itself is applied to the planes directly, before it is stored, so that a port that cannot be bound
// fails the call and leaves nothing behind; its own signal is then skipped.
import type { Leadership, Logger, Signals } from '@atoll/core';
import type { LoadBalancerPlanes } from './data-planes.js';
import { CONFIG_SIGNAL, type Elbv2Store } from './elbv2-store.js';
import type { RuleRecord } from './records.js';

export const DATA_PLANES_ROLE = 'elbv2:data-planes';
const RECONNECTED = 'atoll.reconnected';

export class DataPlaneLeader {
  readonly planes: LoadBalancerPlanes;
  readonly #store: Elbv2Store;
  readonly #leadership: Leadership;
  readonly #signals: Signals;
  readonly #logger: Logger;
  #leading = false;
  /** Plane changes and rebuilds run one at a time, in order. */
  #tail: Promise<unknown> = Promise.resolve();
  /** A rebuild queued and not started yet: later requests join it. */
  #queued: Promise<void> | undefined;
  #resign: (() => void) | undefined;

  constructor(store: Elbv2Store, planes: LoadBalancerPlanes, leadership: Leadership, signals: Signals, logger: Logger) {
    this.#store = store;
    this.planes = planes;
    this.#leadership = leadership;
    this.#signals = signals;
    this.#logger = logger;
  }

  /**
   * Asks for the lead. Resolves once this node knows whether it leads, and, when it does, once the
   * planes are built (so that a single node binds a listener created right after it starts).
   */
  async start(): Promise<void> {
    let built: Promise<void> | undefined;
    this.#resign = this.#leadership.lead(DATA_PLANES_ROLE, (signal) => {
      built = this.#lead(signal);
      return built;
    });
    await this.#leadership.settled();
    await built;
  }

  #lead(signal: AbortSignal): Promise<void> {
    this.#leading = true;
    const unlisten = [
      this.#signals.listen(CONFIG_SIGNAL, (origin) => {
        if (origin !== this.#store.origin) void this.rebuild();
      }),
      this.#signals.listen(RECONNECTED, () => void this.rebuild()),
    ];
    signal.addEventListener(
      'abort',
      () => {
        this.#leading = false;
        for (const stop of unlisten) stop();
        void this.#exclusive(() => this.planes.clear());
      },
      { once: true },
    );
    this.#logger.info({ role: DATA_PLANES_ROLE }, 'this node runs the load balancers\' data planes');
    return this.rebuild();
  }

  /**
   * Runs a configuration change with the planes when this node runs them (apply there, then store),
   * or without (store only: the leader rebuilds on the signal). Changes and rebuilds do not overlap.
   */
  change<T>(work: (planes: LoadBalancerPlanes | undefined) => Promise<T>): Promise<T> {
    return this.#exclusive(() => work(this.#leading ? this.planes : undefined));
  }

  /** Brings the planes in line with the stored records (a no-op when this node does not lead). */
  rebuild(): Promise<void> {
    this.#queued ??= this.#exclusive(async () => {
      this.#queued = undefined;
      if (this.#leading) await this.#build();
    });
    return this.#queued;
  }

  async #build(): Promise<void> {
    let snapshot;
    try {
      snapshot = await this.#store.snapshot();
    } catch (error) {
      // The next signal, reconnection or change tries again.
      this.#logger.error({ err: error }, 'cannot read the load balancers\' configuration');
      return;
    }
    const groups = new Set(snapshot.targetGroups.map((tg) => tg.arn));
    const listeners = new Set(snapshot.listeners.map((l) => l.arn));
    const pushed = this.planes.pushed();
    // Gone listeners first, so that a port they held is free for the others.
    for (const arn of pushed.listeners) if (!listeners.has(arn)) await this.planes.removeListener(arn);
    for (const tg of snapshot.targetGroups) this.planes.pushTargetGroup(tg);
    for (const arn of pushed.targetGroups) if (!groups.has(arn)) this.planes.removeTargetGroup(arn);
    const loadBalancers = new Map(snapshot.loadBalancers.map((lb) => [lb.arn, lb]));
    const rules = new Map<string, RuleRecord[]>();
    for (const r of snapshot.rules) {
      const list = rules.get(r.listenerArn);
      if (list) list.push(r);
      else rules.set(r.listenerArn, [r]);
    }
    for (const listener of snapshot.listeners) {
      const lb = loadBalancers.get(listener.loadBalancerArn);
      if (!lb) continue;
      try {
        await this.planes.pushListener(listener, lb, rules.get(listener.arn) ?? []);
      } catch (error) {
        this.#logger.error({ err: error, listener: listener.arn, port: listener.port }, 'cannot bind load balancer listener');
      }
    }
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(() => work());
    this.#tail = run.catch(() => {});
    return run;
  }

  /** Gives the lead up and unbinds everything. */
  async close(): Promise<void> {
    this.#resign?.();
    this.#leading = false;
    await this.#exclusive(() => this.planes.close());
  }
}
