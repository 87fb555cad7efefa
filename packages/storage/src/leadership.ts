// Leader election for the loops that must run once across all nodes (sweepers, schedulers, pollers,
// retries). On the embedded engine this node is always the leader. On PostgreSQL a node leads a loop
// while it holds a session advisory lock on one dedicated connection: a node that dies (or loses
// its connection) loses its locks with its session, and another node takes them at its next try.
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { LeaderLoop, Leadership } from '@atoll/core';
import type { PostgresCluster } from './sql/postgres-store-database.js';

interface Role {
  name: string;
  loop: LeaderLoop;
  controller?: AbortController;
}

function begin(role: Role, onError: (error: unknown, what: string) => void): void {
  role.controller = new AbortController();
  try {
    Promise.resolve(role.loop(role.controller.signal)).catch((error) => onError(error, `leader loop ${role.name}`));
  } catch (error) {
    onError(error, `leader loop ${role.name}`);
  }
}

/** One node: it leads everything at once. */
export class LocalLeadership implements Leadership {
  readonly #roles = new Set<Role>();

  constructor(private readonly onError: (error: unknown, what: string) => void = () => {}) {}

  lead(name: string, loop: LeaderLoop): () => void {
    const role: Role = { name, loop };
    this.#roles.add(role);
    begin(role, this.onError);
    return () => {
      role.controller?.abort();
      this.#roles.delete(role);
    };
  }

  isLeader(name: string): boolean {
    for (const role of this.#roles) if (role.name === name) return true;
    return false;
  }

  leading(): string[] {
    return [...new Set([...this.#roles].map((role) => role.name))].sort();
  }

  settled(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    for (const role of this.#roles) role.controller?.abort();
    this.#roles.clear();
  }
}

export interface PostgresLeadershipOptions {
  /** How often a follower tries to take the locks it lacks, and a leader checks its connection (default 1000 ms). */
  intervalMs?: number;
  onError?: (error: unknown, what: string) => void;
}

export class PostgresLeadership implements Leadership {
  readonly #cluster: PostgresCluster;
  readonly #intervalMs: number;
  readonly #onError: (error: unknown, what: string) => void;
  readonly #roles = new Map<string, Role>();
  /** Locks of loops given up while this node held them, to unlock at the next tick. */
  readonly #release = new Set<string>();
  #client: pg.Client | undefined;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = 0;
  #ticking: Promise<void> | undefined;
  /** Asked for while a tick ran: the next one starts at once. */
  #again = false;
  /** Callers of settled() waiting for the next tick to end. */
  readonly #settling: (() => void)[] = [];
  #closed = false;

  constructor(cluster: PostgresCluster, options: PostgresLeadershipOptions = {}) {
    this.#cluster = cluster;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#onError = options.onError ?? (() => {});
  }

  lead(name: string, loop: LeaderLoop): () => void {
    if (this.#roles.has(name)) throw new Error(`leadership of ${name} is already asked for on this node`);
    const role: Role = { name, loop };
    this.#roles.set(name, role);
    this.#schedule(0);
    return () => {
      if (this.#roles.get(name) !== role) return;
      this.#roles.delete(name);
      if (role.controller) {
        role.controller.abort();
        role.controller = undefined;
        // Released by the next tick: queries on the leader connection run one at a time.
        this.#release.add(name);
        this.#schedule(0);
      }
    };
  }

  isLeader(name: string): boolean {
    return this.#roles.get(name)?.controller !== undefined;
  }

  leading(): string[] {
    return [...this.#roles.values()].filter((role) => role.controller !== undefined).map((role) => role.name).sort();
  }

  settled(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#settling.push(resolve);
      this.#schedule(0);
    });
  }

  /** One tick at a time: while one runs, its end schedules the next (at once, when asked for meanwhile). */
  #schedule(delay: number): void {
    if (this.#closed) return;
    if (this.#ticking) {
      if (delay === 0) this.#again = true;
      return;
    }
    if (this.#timer) {
      if (delay > 0 || this.#timerAt <= Date.now()) return;
      clearTimeout(this.#timer);
    }
    this.#timerAt = Date.now() + delay;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const settling = this.#settling.splice(0);
      this.#again = false;
      this.#ticking = this.#tick().finally(() => {
        this.#ticking = undefined;
        for (const resolve of settling) resolve();
        this.#schedule(this.#again ? 0 : this.#intervalMs);
      });
    }, delay);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    try {
      if (!this.#client) {
        const client = this.#cluster.newClient();
        client.on('error', (error) => this.#lose(client, error));
        client.on('end', () => this.#lose(client, new Error('leader connection ended')));
        await client.connect();
        this.#client = client;
      }
      const client = this.#client;
      await client.query('SELECT 1');
      for (const name of this.#release) {
        this.#release.delete(name);
        if (!this.#roles.has(name)) await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [`atoll:leader:${name}`]);
      }
      for (const role of this.#roles.values()) {
        if (role.controller || this.#closed) continue;
        const { rows } = await client.query('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [`atoll:leader:${role.name}`]);
        if (rows[0]?.ok === true && this.#roles.get(role.name) === role && this.#client === client) begin(role, this.#onError);
      }
    } catch (error) {
      if (this.#client) this.#lose(this.#client, error);
      else this.#onError(error, 'leader election cannot reach the database');
    }
  }

  /** The connection is gone: every lock with it, so every loop stops until its lock is taken again. */
  #lose(client: pg.Client, error: unknown): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    this.#release.clear();
    void client.end().catch(() => {});
    for (const role of this.#roles.values()) {
      role.controller?.abort();
      role.controller = undefined;
    }
    if (!this.#closed) this.#onError(error, 'leader connection lost; loops stopped until their locks are taken again');
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    for (const resolve of this.#settling.splice(0)) resolve();
    await this.#ticking;
    for (const role of this.#roles.values()) role.controller?.abort();
    this.#roles.clear();
    const client = this.#client;
    this.#client = undefined;
    if (client) await client.end().catch(() => {});
  }
}

/**
 * The usual body of a leader loop: runs `tick` every `intervalMs` (never two at once, the next
 * interval counted from the end of the last tick) until `signal` aborts, which is when this node
 * stops leading or the service closes. Resolves once the loop has stopped, after a tick in flight.
 */
export async function runEvery(signal: AbortSignal, intervalMs: number, tick: () => Promise<unknown>, onError: (error: unknown) => void): Promise<void> {
  while (!signal.aborted) {
    try {
      await sleep(intervalMs, undefined, { signal, ref: false });
    } catch {
      return;
    }
    await tick().catch(onError);
  }
}
