// What the authoritative server answers for one question, from the zone index: exact names, then
// wildcards at the closest encloser; CNAME chasing within served zones; alias records followed to
// their target (in a served zone, or a `*.localhost` name of the platform's own endpoints); routing
// policies (weighted by weight per query, failover by health, multivalue up to eight healthy sets);
// NXDOMAIN vs NODATA with the zone's SOA in the authority section.
//
// Known limitations:
// - Latency, geolocation, geoproximity and CIDR record sets are answered as simple ones: the set for
//   this platform's region (latency), the default location `*` (geolocation), else the first.
// - NS record sets below the apex are answered as data, not as referrals (no delegation).
// - Names under `localhost.` that no zone serves answer 127.0.0.1 / ::1 (RFC 6761): the platform's
//   own endpoints (load balancers' and API Gateway's DNS names) resolve through the server.
// - Alias targets outside the served zones and `localhost.` answer nothing (NODATA).
import type { Answer } from 'dns-packet';
import type { StoredRecordSet } from './route53-store.js';
import type { LoadedZone, ZoneIndex } from './zone-index.js';
import { routingOf } from './change-batch.js';
import { normalizeName, parentName } from './names.js';
import { SERVED_TYPES, packetData } from './record-values.js';

export type Rcode = 'NOERROR' | 'NXDOMAIN' | 'REFUSED' | 'SERVFAIL';

export interface DnsAnswer {
  rcode: Rcode;
  /** False for names no zone serves (REFUSED, or a forwarded answer). */
  authoritative: boolean;
  answers: Answer[];
  authorities: Answer[];
}

const MAX_CHAIN = 8;
const MAX_MULTIVALUE = 8;
const LOCALHOST_TTL = 60;

const strip = (name: string) => (name.length > 1 && name.endsWith('.') ? name.slice(0, -1) : name);

export class DnsAnswerer {
  constructor(
    private readonly index: ZoneIndex,
    private readonly region: string,
    private readonly random: () => number = Math.random,
  ) {}

  /** Answers `name` (as asked: any case, with or without the final dot) for `type`. */
  answer(name: string, type: string): DnsAnswer {
    const qname = normalizeName(name);
    const zone = this.index.zoneFor(qname);
    if (!zone) {
      if (qname === 'localhost.' || qname.endsWith('.localhost.')) return this.localhost(qname, type);
      return { rcode: 'REFUSED', authoritative: false, answers: [], authorities: [] };
    }
    const answers: Answer[] = [];
    const result = this.resolve(zone, qname, type, answers, 0);
    const end = this.lastZone ?? zone;
    if (result === 'nxdomain') return { rcode: 'NXDOMAIN', authoritative: true, answers, authorities: this.soa(end) };
    return { rcode: 'NOERROR', authoritative: true, answers, authorities: answers.length ? [] : this.soa(end) };
  }

  /** The zone the last resolution ended in (for the SOA of a negative answer after a CNAME). */
  private lastZone: LoadedZone | undefined;

  private resolve(zone: LoadedZone, qname: string, type: string, answers: Answer[], depth: number): 'ok' | 'nodata' | 'nxdomain' {
    this.lastZone = zone;
    const sets = this.setsAt(zone, qname);
    if (sets === undefined) return 'nxdomain';
    if (type === 'ANY') {
      for (const set of sets) if (SERVED_TYPES.has(set.Type)) this.emit(qname, set, answers, depth);
      return answers.length ? 'ok' : 'nodata';
    }
    const ofType = sets.filter((s) => s.Type === type);
    if (ofType.length > 0) {
      const before = answers.length;
      for (const set of this.route(ofType)) this.emit(qname, set, answers, depth);
      return answers.length > before ? 'ok' : 'nodata';
    }
    const cname = sets.find((s) => s.Type === 'CNAME');
    if (!cname || depth >= MAX_CHAIN) return 'nodata';
    const before = answers.length;
    this.emit(qname, cname, answers, depth);
    const last = answers[answers.length - 1];
    if (answers.length === before || !last || last.type !== 'CNAME') return 'ok';
    const target = normalizeName(last.data as string);
    const next = this.index.zoneFor(target);
    if (!next) return 'ok';
    const result = this.resolve(next, target, type, answers, depth + 1);
    // A CNAME's target that does not exist is still an answer (the CNAME), with NXDOMAIN as resolvers expect.
    return result === 'nxdomain' ? 'nxdomain' : 'ok';
  }

  /** The record sets at a name, a wildcard's when only it matches; [] for an empty non-terminal; undefined when the name does not exist. */
  private setsAt(zone: LoadedZone, qname: string): StoredRecordSet[] | undefined {
    const exact = zone.sets.get(qname);
    if (exact) return exact;
    if (zone.names.has(qname)) return [];
    // The closest encloser: the nearest existing ancestor; its wildcard answers, if it has one.
    for (let n = parentName(qname); n !== undefined; n = parentName(n)) {
      if (zone.names.has(n)) return zone.sets.get(`*.${n}`);
      if (n === zone.zone.name || n === '.') break;
    }
    return undefined;
  }

  /** The record sets a query gets, by the group's routing policy. */
  private route(sets: StoredRecordSet[]): StoredRecordSet[] {
    if (sets.length === 1) return this.healthyOrNot(sets);
    switch (routingOf(sets[0]!)) {
      case 'weighted': {
        const healthy = this.healthyOrNot(sets);
        const weighted = healthy.filter((s) => (s.Weight ?? 0) > 0);
        const pool = weighted.length > 0 ? weighted : healthy;
        const total = pool.reduce((sum, s) => sum + (weighted.length > 0 ? s.Weight! : 1), 0);
        let pick = this.random() * total;
        for (const s of pool) {
          pick -= weighted.length > 0 ? s.Weight! : 1;
          if (pick < 0) return [s];
        }
        return [pool[pool.length - 1]!];
      }
      case 'failover': {
        const primary = sets.find((s) => s.Failover === 'PRIMARY');
        const secondary = sets.find((s) => s.Failover === 'SECONDARY');
        if (primary && this.isHealthy(primary)) return [primary];
        if (secondary && this.isHealthy(secondary)) return [secondary];
        return primary ? [primary] : secondary ? [secondary] : [];
      }
      case 'multivalue': {
        const pool = this.healthyOrNot(sets).slice();
        for (let i = pool.length - 1; i > 0; i--) {
          const j = Math.floor(this.random() * (i + 1));
          [pool[i], pool[j]] = [pool[j]!, pool[i]!];
        }
        return pool.slice(0, MAX_MULTIVALUE);
      }
      case 'latency':
        return [sets.find((s) => s.Region === this.region) ?? sets[0]!];
      case 'geolocation':
        return [sets.find((s) => s.GeoLocation?.CountryCode === '*') ?? sets[0]!];
      default:
        return [sets[0]!];
    }
  }

  /** The healthy sets; all of them when none is (Route 53 then answers as if all were healthy). */
  private healthyOrNot(sets: StoredRecordSet[]): StoredRecordSet[] {
    const healthy = sets.filter((s) => this.isHealthy(s));
    return healthy.length > 0 ? healthy : sets;
  }

  private isHealthy(set: StoredRecordSet): boolean {
    if (set.HealthCheckId && !this.index.healthy(set.HealthCheckId)) return false;
    if (set.AliasTarget?.EvaluateTargetHealth) {
      const out: Answer[] = [];
      this.followAlias(set.Name, set, out, MAX_CHAIN - 1);
      return out.length > 0;
    }
    return true;
  }

  private emit(owner: string, set: StoredRecordSet, answers: Answer[], depth: number): void {
    if (set.AliasTarget) {
      this.followAlias(owner, set, answers, depth);
      return;
    }
    const name = strip(owner);
    const ttl = set.TTL ?? 300;
    for (const record of set.ResourceRecords ?? []) {
      answers.push({ type: set.Type, name, ttl, class: 'IN', data: packetData(set.Type, record.Value) } as Answer);
    }
  }

  /** An alias answers with its target's records under the alias's own name. */
  private followAlias(owner: string, set: StoredRecordSet, answers: Answer[], depth: number): void {
    if (depth >= MAX_CHAIN) return;
    const target = set.AliasTarget!.DNSName;
    const zone = this.index.zoneFor(target);
    const found: Answer[] = [];
    if (zone) {
      const saved = this.lastZone;
      this.resolve(zone, target, set.Type, found, depth + 1);
      this.lastZone = saved;
    } else if (target === 'localhost.' || target.endsWith('.localhost.')) {
      found.push(...this.localhost(target, set.Type).answers);
    }
    const name = strip(owner);
    for (const a of found) answers.push({ ...a, name: a.type === set.Type ? name : a.name } as Answer);
  }

  private soa(zone: LoadedZone): Answer[] {
    const soa = zone.sets.get(zone.zone.name)?.find((s) => s.Type === 'SOA');
    const value = soa?.ResourceRecords?.[0]?.Value;
    if (!soa || !value) return [];
    const data = packetData('SOA', value) as { minimum: number };
    return [{ type: 'SOA', name: strip(zone.zone.name), ttl: Math.min(soa.TTL ?? 900, data.minimum), class: 'IN', data } as Answer];
  }

  private localhost(qname: string, type: string): DnsAnswer {
    const name = strip(qname);
    const answers: Answer[] = [];
    if (type === 'A' || type === 'ANY') answers.push({ type: 'A', name, ttl: LOCALHOST_TTL, class: 'IN', data: '127.0.0.1' });
    if (type === 'AAAA' || type === 'ANY') answers.push({ type: 'AAAA', name, ttl: LOCALHOST_TTL, class: 'IN', data: '::1' });
    return { rcode: 'NOERROR', authoritative: true, answers, authorities: [] };
  }
}
