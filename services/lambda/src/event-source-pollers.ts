// Runs one poller per enabled event source mapping, and restarts or stops it when the mapping
// changes. It keeps the mappings' LastProcessingResult and stream checkpoints in the store.
import type { Logger, PlatformContext } from '@atoll/core';
import type { LambdaContext } from './lambda-context.js';
import type { EventSourceMappingRecord } from './lambda-records.js';
import type { Invoker } from './invoker.js';
import type { DestinationSender } from './destinations.js';
import { sourceKind, type PollerControl } from './event-source-mapping-api.js';
import { SqsPoller } from './sqs-poller.js';
import { StreamPoller, type StreamPollerHost } from './stream-poller.js';

type Poller = SqsPoller | StreamPoller;

export class EventSourcePollers implements PollerControl {
  readonly #pollers = new Map<string, Poller>();
  readonly #host: StreamPollerHost;
  #started = false;

  constructor(private readonly c: LambdaContext, invoker: Invoker, destinations: DestinationSender, logger: Logger, platform: PlatformContext) {
    this.#host = {
      platform,
      invoker,
      logger,
      destinations,
      pollWaitSeconds: c.options.pollWaitSeconds,
      mapping: (uuid) => this.c.store.getMapping(uuid),
      recordResult: (uuid, result) => {
        const m = this.c.store.getMapping(uuid);
        if (!m || m.doc.LastProcessingResult === result) return;
        m.doc.LastProcessingResult = result;
        this.c.store.putMapping(m);
      },
      checkpoint: (uuid, shardId, sequenceNumber) => {
        const m = this.c.store.getMapping(uuid);
        if (!m) return;
        m.checkpoints = { ...(m.checkpoints ?? {}), [shardId]: sequenceNumber };
        this.c.store.putMapping(m);
      },
    };
  }

  start(): void {
    this.#started = true;
    for (const m of this.c.store.listMappings()) this.refresh(m.uuid);
  }

  refresh(uuid: string): void {
    if (!this.#started) return;
    const previous = this.#pollers.get(uuid);
    if (previous) {
      this.#pollers.delete(uuid);
      void previous.stop();
    }
    const m = this.c.store.getMapping(uuid);
    if (!m || m.doc.State !== 'Enabled') return;
    const poller = this.#create(m);
    if (!poller) return;
    this.#pollers.set(uuid, poller);
    poller.start();
  }

  async close(): Promise<void> {
    this.#started = false;
    const all = [...this.#pollers.values()];
    this.#pollers.clear();
    await Promise.allSettled(all.map((p) => p.stop()));
  }

  #create(m: EventSourceMappingRecord): Poller | undefined {
    const kind = sourceKind(m.doc.EventSourceArn);
    if (kind === 'sqs') return new SqsPoller(this.#host, m.uuid);
    if (kind === 'dynamodb') return new StreamPoller(this.#host, m.uuid);
    return undefined;
  }
}
