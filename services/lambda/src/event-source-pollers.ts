// Runs one poller per enabled event source mapping while this node leads `lambda:event-sources`, and
// restarts or stops a poller when its mapping changes on any node (the store's `lambda.mapping`
// signal, and a full re-read every few seconds in case a signal was lost). It keeps the mappings'
// LastProcessingResult and stream checkpoints in the store.
import type { Logger, PlatformContext } from '@atoll/core';
import type { LambdaContext } from './lambda-context.js';
import type { EventSourceMappingRecord } from './lambda-records.js';
import type { Invoker } from './invoker.js';
import type { DestinationSender } from './destinations.js';
import { sourceKind } from './event-source-mapping-api.js';
import { parseFunctionName } from './function-names.js';
import { SqsPoller } from './sqs-poller.js';
import { StreamPoller, type StreamPollerHost } from './stream-poller.js';

type Poller = SqsPoller | StreamPoller;

/** How often the leader reads every mapping again, besides the signals. */
const RECONCILE_MS = 5000;

export class EventSourcePollers {
  /** Running pollers, with the configuration they were started with. */
  readonly #pollers = new Map<string, { poller: Poller; fingerprint: string }>();
  readonly #host: StreamPollerHost;
  readonly #logger: Logger;
  #leading = false;
  /** Changes are applied one at a time, in order. */
  #chain: Promise<void> = Promise.resolve();

  constructor(private readonly c: LambdaContext, invoker: Invoker, destinations: DestinationSender, logger: Logger, platform: PlatformContext) {
    this.#logger = logger;
    const progress = (uuid: string, change: (m: EventSourceMappingRecord) => boolean): Promise<void> =>
      this.c.store.updateMappingProgress(uuid, change).catch((error) => logger.warn({ err: error, mapping: uuid }, 'lambda: recording a mapping\'s progress failed'));
    this.#host = {
      platform,
      invoker,
      logger,
      destinations,
      pollWaitSeconds: c.options.pollWaitSeconds,
      mapping: (uuid) => this.c.store.getMapping(uuid),
      callContext: async (m) => {
        const scope = { account: m.account, region: m.region };
        const ref = parseFunctionName(m.doc.FunctionArn, scope);
        const target = await invoker.resolve(scope, ref.name, ref.qualifier);
        const session = await this.c.roles.session(scope, target.version.config.Role, target.fn.name);
        return { accountId: m.account, region: m.region, ...(session.identity ? { identity: session.identity } : {}) };
      },
      recordResult: async (uuid, result) => {
        // Most batches leave the result as it was: read first, write only a change.
        const m = await this.c.store.getMapping(uuid).catch(() => undefined);
        if (!m || m.doc.LastProcessingResult === result) return;
        await progress(uuid, (current) => {
          if (current.doc.LastProcessingResult === result) return false;
          current.doc.LastProcessingResult = result;
          return true;
        });
      },
      checkpoint: (uuid, shardId, sequenceNumber) =>
        progress(uuid, (m) => {
          m.checkpoints = { ...(m.checkpoints ?? {}), [shardId]: sequenceNumber };
          return true;
        }),
    };
  }

  /** Runs the pollers until `signal` aborts (this node leads `lambda:event-sources`). */
  lead(signal: AbortSignal): void {
    if (signal.aborted) return;
    this.#leading = true;
    const unlisten = this.c.store.onMappingChange((uuid) => this.#enqueue(uuid === '' ? undefined : uuid));
    const timer = setInterval(() => this.#enqueue(undefined), RECONCILE_MS);
    timer.unref();
    signal.addEventListener('abort', () => {
      this.#leading = false;
      unlisten();
      clearInterval(timer);
      this.#enqueue(undefined);
    }, { once: true });
    this.#enqueue(undefined);
  }

  async close(): Promise<void> {
    this.#leading = false;
    await this.#chain;
    await this.#stopAll();
  }

  /** Looks at one mapping, or at all of them (undefined). */
  #enqueue(uuid: string | undefined): void {
    this.#chain = this.#chain
      .then(() => (uuid === undefined ? this.#reconcile() : this.#apply(uuid)))
      .catch((error) => this.#logger.warn({ err: error, mapping: uuid }, 'lambda: refreshing event source pollers failed'));
  }

  async #reconcile(): Promise<void> {
    if (!this.#leading) return this.#stopAll();
    const mappings = await this.c.store.listMappings();
    const seen = new Set<string>();
    for (const m of mappings) {
      seen.add(m.uuid);
      this.#converge(m.uuid, m);
    }
    for (const uuid of [...this.#pollers.keys()]) if (!seen.has(uuid)) this.#converge(uuid, undefined);
  }

  async #apply(uuid: string): Promise<void> {
    if (!this.#leading) return;
    this.#converge(uuid, await this.c.store.getMapping(uuid));
  }

  /** Makes the poller of `uuid` match the mapping: started, restarted after a change, or stopped. */
  #converge(uuid: string, m: EventSourceMappingRecord | undefined): void {
    const wanted = m && m.doc.State === 'Enabled' && this.#leading ? fingerprint(m) : undefined;
    const running = this.#pollers.get(uuid);
    if (running && running.fingerprint === wanted) return;
    if (running) {
      this.#pollers.delete(uuid);
      void running.poller.stop();
    }
    if (!m || wanted === undefined) return;
    const poller = this.#create(m);
    if (!poller) return;
    this.#pollers.set(uuid, { poller, fingerprint: wanted });
    poller.start(m);
  }

  async #stopAll(): Promise<void> {
    const all = [...this.#pollers.values()];
    this.#pollers.clear();
    await Promise.allSettled(all.map((p) => p.poller.stop()));
  }

  #create(m: EventSourceMappingRecord): Poller | undefined {
    const kind = sourceKind(m.doc.EventSourceArn);
    if (kind === 'sqs') return new SqsPoller(this.#host, m.uuid);
    if (kind === 'dynamodb') return new StreamPoller(this.#host, m.uuid);
    return undefined;
  }
}

/** What a poller is started from: the mapping's configuration, without its processing state. */
function fingerprint(m: EventSourceMappingRecord): string {
  const { LastProcessingResult: _result, ...config } = m.doc;
  void _result;
  return JSON.stringify([m.functionName, config]);
}
