// The DNS server's in-memory view of every hosted zone: record sets by owner name, the names that
// exist (empty non-terminals included, for NODATA vs NXDOMAIN), and health checks' last status.
// Loaded whole at start; a zone is reloaded when its `route53.zone` signal arrives (from any node),
// several signals for one zone coalescing into one reload, so that the hot path never reads the store.
//
// Known limitations: a public and a private zone of the same name are both "visible" to every
// client (there are no VPCs): the private one answers. Of two zones of one name and kind, the older
// one answers.
import type { Logger } from '@atoll/core';
import type { Route53Store, StoredRecordSet, ZoneRecord } from './route53-store.js';
import { HEALTH_SIGNAL, ZONE_SIGNAL } from './route53-store.js';
import { parentName } from './names.js';

export interface LoadedZone {
  zone: ZoneRecord;
  /** Record sets by owner name. */
  sets: Map<string, StoredRecordSet[]>;
  /** Every name that exists in the zone: owners and their ancestors up to the apex. */
  names: Set<string>;
}

export class ZoneIndex {
  #zones = new Map<string, LoadedZone>();
  /** Zone name → the zone that answers for it. */
  #byName = new Map<string, LoadedZone>();
  #health = new Map<string, boolean>();
  #reloading = new Map<string, Promise<void>>();
  #again = new Set<string>();
  #stops: (() => void)[] = [];
  /** Called after a zone was (re)loaded, with its id (tests and the propagation bench wait on it). */
  onReload?: (zoneId: string) => void;

  constructor(
    private readonly store: Route53Store,
    private readonly logger: Logger,
  ) {}

  /** Loads every zone and health status, then follows the store's signals. */
  async start(): Promise<void> {
    this.#stops.push(this.store.signals.listen(ZONE_SIGNAL, (zoneId) => this.reload(zoneId)));
    this.#stops.push(this.store.signals.listen(HEALTH_SIGNAL, () => void this.reloadHealth()));
    const zones = await this.store.allZones();
    for (const zone of zones) this.#zones.set(zone.id, await this.load(zone));
    this.#reindex();
    await this.reloadHealth();
  }

  stop(): void {
    for (const stop of this.#stops.splice(0)) stop();
  }

  /** The zone answering for `name` (normalized): the longest zone name that `name` ends with. */
  zoneFor(name: string): LoadedZone | undefined {
    for (let n: string | undefined = name; n !== undefined; n = parentName(n)) {
      const zone = this.#byName.get(n);
      if (zone) return zone;
      if (n === '.') break;
    }
    return undefined;
  }

  zone(id: string): LoadedZone | undefined {
    return this.#zones.get(id);
  }

  /** A health check's last status; undefined (healthy) until it has been probed. */
  healthy(checkId: string): boolean {
    return this.#health.get(checkId) ?? true;
  }

  /**
   * Reloads one zone from the store; calls during a reload run it once more afterwards, and resolve
   * once that later reload is done (so a writer that awaits it reads its own write).
   */
  reload(zoneId: string): Promise<void> {
    const running = this.#reloading.get(zoneId);
    if (running) {
      this.#again.add(zoneId);
      return running.then(() => this.#reloading.get(zoneId));
    }
    const work = (async () => {
      try {
        const zone = await this.store.getZone(zoneId);
        if (zone) this.#zones.set(zoneId, await this.load(zone));
        else this.#zones.delete(zoneId);
        this.#reindex();
        this.onReload?.(zoneId);
      } catch (error) {
        this.logger.warn({ err: error, zoneId }, 'dns: zone reload failed');
      }
    })().finally(() => {
      this.#reloading.delete(zoneId);
      if (this.#again.delete(zoneId)) void this.reload(zoneId);
    });
    this.#reloading.set(zoneId, work);
    return work;
  }

  async reloadHealth(): Promise<void> {
    try {
      const statuses = await this.store.healthStatuses();
      this.#health = new Map(statuses.map((s) => [s.id, s.healthy]));
    } catch (error) {
      this.logger.warn({ err: error }, 'dns: health status reload failed');
    }
  }

  private async load(zone: ZoneRecord): Promise<LoadedZone> {
    const sets = new Map<string, StoredRecordSet[]>();
    const names = new Set<string>([zone.name]);
    for (const set of await this.store.zoneRecordSets(zone.id)) {
      const list = sets.get(set.Name);
      if (list) list.push(set);
      else sets.set(set.Name, [set]);
      for (let n: string | undefined = set.Name; n !== undefined && n !== zone.name && !names.has(n); n = parentName(n)) names.add(n);
    }
    return { zone, sets, names };
  }

  #reindex(): void {
    const byName = new Map<string, LoadedZone>();
    // Older zones first; a private zone replaces a public one of the same name.
    const zones = [...this.#zones.values()].sort((a, b) => a.zone.created - b.zone.created || a.zone.id.localeCompare(b.zone.id));
    for (const z of zones) {
      const seen = byName.get(z.zone.name);
      if (!seen || (!seen.zone.privateZone && z.zone.privateZone)) byName.set(z.zone.name, z);
    }
    this.#byName = byName;
  }
}
