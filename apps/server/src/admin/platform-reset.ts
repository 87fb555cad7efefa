// The platform's reset (`POST /_atoll/reset`): empties the state of the named services without a
// restart, so that test suites start clean. Generic over services: each named service's provider is
// closed (which stops its workloads: ECS tasks, Lambda environments, load balancers' listeners), the
// stores it owns (service-registry.ts `stores`) are emptied through the storage backend with their
// blobs, and the service is activated afresh by its next request. Activations wait while a reset runs.
// On PostgreSQL, the other nodes are told (signals) to close the same services, which drops their caches.
// Known limitations: the audit trail is kept (the reset is itself recorded in it); blobs in an
// S3-compatible bucket (ATOLL_BLOB_URL) are left there unreferenced (this node's cache is emptied);
// other nodes are not waited for: a request they serve during the reset may see the old state.
import { randomUUID } from 'node:crypto';
import type { CallerIdentity, Logger, StorageBackend } from '@atoll/core';
import type { AuditLog } from '@atoll/telemetry';
import { buildAuditEvent } from '../edge/audit-event.js';
import type { ServiceDirectory } from '../edge/service-directory.js';

const CHANNEL = 'atoll.reset';

export interface ResetRequest {
  /** Model names; every served service when absent. */
  services?: readonly string[];
  identity: CallerIdentity;
  requestId: string;
  region: string;
  sourceIp: string;
  userAgent: string;
}

export interface ResetOutcome {
  /** The services whose state was emptied. */
  services: string[];
  /** The stores emptied. */
  stores: string[];
  /** Services closed because they share a store with a named one (activated again on use). */
  restarted: string[];
}

export class UnknownServiceError extends Error {
  constructor(readonly service: string) {
    super(`${service} is not a service this platform serves`);
  }
}

interface ResetDeps {
  directory: ServiceDirectory;
  storage: StorageBackend;
  audit: AuditLog;
  logger: Logger;
  /** The stores a service owns (its name by default). */
  storesOf: (service: string) => readonly string[];
}

export class PlatformReset {
  readonly #deps: ResetDeps;
  readonly #node = randomUUID();
  #queue: Promise<unknown> = Promise.resolve();
  #signals: Promise<{ notify(channel: string, payload: string): Promise<void>; listen(channel: string, handler: (payload: string) => void): () => void } | undefined> | undefined;
  #unlisten: (() => void) | undefined;

  constructor(deps: ResetDeps) {
    this.#deps = deps;
  }

  /** On PostgreSQL, listens for other nodes' resets (a store of its own carries the signals). */
  start(): Promise<void> {
    if (this.#deps.storage.engine !== 'postgres') return Promise.resolve();
    this.#signals ??= this.#deps.storage.open('atoll_admin', []).then((db) => {
      this.#unlisten = db.signals.listen(CHANNEL, (payload) => void this.#remote(payload));
      return db.signals;
    });
    return this.#signals.then(() => undefined);
  }

  /** Runs one reset at a time; resolves once the state is empty and the workloads are stopped. */
  reset(request: ResetRequest): Promise<ResetOutcome> {
    const run = this.#queue.then(() => this.#reset(request));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #reset(request: ResetRequest): Promise<ResetOutcome> {
    const { directory, storage, storesOf, audit, logger } = this.#deps;
    const served = directory.all().map((s) => s.name);
    const named = request.services ?? served;
    for (const name of named) if (!served.includes(name)) throw new UnknownServiceError(name);
    const stores = [...new Set(named.flatMap((name) => storesOf(name)))];
    // Services sharing a store with a named one are closed too (their connections and caches).
    const closing = served.filter((name) => named.includes(name) || storesOf(name).some((s) => stores.includes(s)));
    await this.#ensureSignals();
    // Phase 1: close, dependents first (the reverse of the registry's order: SNS before SQS, ECS
    // before ELB). A closing provider may still call another service (ECS deregisters its targets),
    // which that call activates again if it was closed already.
    const order = [...closing].sort((a, b) => served.indexOf(b) - served.indexOf(a));
    await this.#notify({ phase: 'begin', services: order });
    await this.#deactivate(order);
    // Phase 2: hold the services' activations back, close what phase 1 brought back, empty the stores.
    const release = directory.hold(closing);
    try {
      await this.#deactivate(order.filter((name) => directory.get(name)?.provider));
      for (const store of stores) await storage.wipe?.(store);
    } finally {
      release();
      await this.#notify({ phase: 'done', services: order }).catch((error) => logger.warn({ err: error }, 'reset: other nodes were not told'));
    }
    const outcome = { services: [...named], stores, restarted: closing.filter((name) => !named.includes(name)) };
    audit.record(
      buildAuditEvent({
        requestId: request.requestId,
        time: new Date(),
        endpointPrefix: 'atoll',
        operation: 'ResetPlatform',
        region: request.region,
        accountId: request.identity.accountId,
        sourceIp: request.sourceIp,
        userAgent: request.userAgent,
        identity: request.identity,
        input: request.services ? { services: [...request.services] } : {},
        output: outcome,
      }),
    );
    logger.info({ services: outcome.services, stores }, 'platform reset');
    return outcome;
  }

  async #deactivate(names: readonly string[]): Promise<void> {
    for (const name of names) {
      try {
        await this.#deps.directory.get(name)?.deactivate();
      } catch (error) {
        this.#deps.logger.error({ err: error, service: name }, 'reset: the service did not close cleanly');
      }
    }
  }

  async #ensureSignals(): Promise<void> {
    if (this.#deps.storage.engine === 'postgres') await this.start();
  }

  async #notify(message: { phase: 'begin' | 'done'; services: string[] }): Promise<void> {
    const signals = await this.#signals;
    await signals?.notify(CHANNEL, JSON.stringify({ node: this.#node, ...message }));
  }

  /**
   * Another node resets: close the same services at its start, and again at its end (a request
   * served meanwhile may have activated one with the state of before).
   */
  async #remote(payload: string): Promise<void> {
    let message: { node?: string; phase?: string; services?: string[] };
    try {
      message = JSON.parse(payload) as typeof message;
    } catch {
      return;
    }
    if (message.node === this.#node || !Array.isArray(message.services)) return;
    await this.#deactivate(message.services.filter((name) => typeof name === 'string'));
  }

  close(): void {
    this.#unlisten?.();
  }
}
