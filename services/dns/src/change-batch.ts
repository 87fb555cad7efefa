// ChangeResourceRecordSets' validation and planning: the shape checks Route 53 answers with
// InvalidInput (before anything is read), and the checks against the zone's current records that it
// answers with InvalidChangeBatch, every reason listed. A batch applies entirely or not at all: the
// plan runs inside the store's transaction, over the record sets read there.
//
// Known limitations: alias targets are not checked for existence; at most one PRIMARY and one
// SECONDARY failover record per name and type is not enforced; the CIDR and geoproximity settings are
// stored but not checked.
import type { Change, ResourceRecordSet } from '@atoll/aws-models/route53';
import { InvalidChangeBatch, InvalidInput } from '@atoll/aws-models/route53';
import { displayName, inZone, normalizeName } from './names.js';
import { invalidValue } from './record-values.js';
import type { RecordWrite, StoredRecordSet, ZoneRecord } from './route53-store.js';

const ROUTING_FIELDS = ['Weight', 'Region', 'Failover', 'GeoLocation', 'MultiValueAnswer', 'CidrRoutingConfig', 'GeoProximityLocation'] as const;

/** The routing policy a record set uses ('simple' without a set identifier). */
export function routingOf(set: ResourceRecordSet): string {
  if (set.Weight !== undefined) return 'weighted';
  if (set.Failover !== undefined) return 'failover';
  if (set.MultiValueAnswer !== undefined) return 'multivalue';
  if (set.Region !== undefined) return 'latency';
  if (set.GeoLocation !== undefined) return 'geolocation';
  if (set.CidrRoutingConfig !== undefined) return 'cidr';
  if (set.GeoProximityLocation !== undefined) return 'geoproximity';
  return 'simple';
}

const keyOf = (set: { Name: string; Type: string; SetIdentifier?: string }) => `${set.Name}|${set.Type}|${set.SetIdentifier ?? ''}`;

function describe(set: ResourceRecordSet): string {
  const id = set.SetIdentifier !== undefined ? `, set-identifier='${set.SetIdentifier}'` : '';
  return `[name='${displayName(set.Name)}', type='${set.Type}'${id}]`;
}

function changeLabel(change: Change): string {
  const s = change.ResourceRecordSet;
  return `Change with [Action=${change.Action}, Name=${s.Name}, Type=${s.Type}, SetIdentifier=${s.SetIdentifier ?? 'null'}]`;
}

/**
 * Checks a batch's shape (InvalidInput, thrown at once) and returns its changes with their record
 * sets normalized (lower-case, fully qualified names).
 */
export function normalizeChanges(changes: readonly Change[]): Change[] {
  if (changes.length === 0) throw new InvalidInput('Invalid request: Missing field \'Changes\'');
  return changes.map((change) => {
    const s = change.ResourceRecordSet;
    const hasRecords = s.ResourceRecords !== undefined && s.ResourceRecords.length > 0;
    const shapes = [s.AliasTarget !== undefined, hasRecords || s.TTL !== undefined, s.TrafficPolicyInstanceId !== undefined].filter(Boolean).length;
    if (shapes === 0) {
      throw new InvalidInput(`Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in ${changeLabel(change)}`);
    }
    if (shapes > 1) {
      throw new InvalidInput(`Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found more than one in ${changeLabel(change)}`);
    }
    if (s.AliasTarget === undefined && s.TrafficPolicyInstanceId === undefined) {
      if (s.TTL === undefined) throw new InvalidInput(`Invalid request: Missing field 'TTL' in ${changeLabel(change)}`);
      if (!hasRecords) throw new InvalidInput(`Invalid request: Missing field 'ResourceRecords' in ${changeLabel(change)}`);
    }
    const routing = ROUTING_FIELDS.filter((f) => s[f] !== undefined);
    if (routing.length > 1) throw new InvalidInput(`Invalid request: Expected at most one of [${ROUTING_FIELDS.join(', ')}], but found more than one in ${changeLabel(change)}`);
    if (routing.length === 1 && s.SetIdentifier === undefined) throw new InvalidInput(`Invalid request: Missing field 'SetIdentifier' in ${changeLabel(change)}`);
    if (routing.length === 0 && s.SetIdentifier !== undefined) {
      throw new InvalidInput(`Invalid request: Expected exactly one of [${ROUTING_FIELDS.join(', ')}], but found none in ${changeLabel(change)}`);
    }
    const set: ResourceRecordSet = { ...s, Name: normalizeName(s.Name) };
    if (set.AliasTarget) set.AliasTarget = { ...set.AliasTarget, DNSName: normalizeName(set.AliasTarget.DNSName) };
    return { Action: change.Action, ResourceRecordSet: set };
  });
}

const sameValues = (a: ResourceRecordSet, b: ResourceRecordSet): boolean =>
  JSON.stringify({ ...a, Name: undefined }) === JSON.stringify({ ...b, Name: undefined }) ||
  (a.TTL === b.TTL &&
    JSON.stringify((a.ResourceRecords ?? []).map((r) => r.Value).sort()) === JSON.stringify((b.ResourceRecords ?? []).map((r) => r.Value).sort()) &&
    JSON.stringify(a.AliasTarget ?? null) === JSON.stringify(b.AliasTarget ?? null) &&
    routingOf(a) === routingOf(b));

/**
 * Plans a normalized batch against the record sets stored at its names: the writes in order, or
 * InvalidChangeBatch naming every reason the batch is refused.
 */
export function planChanges(zone: ZoneRecord, changes: readonly Change[], current: readonly StoredRecordSet[]): RecordWrite[] {
  const reasons: string[] = [];
  const state = new Map<string, StoredRecordSet>();
  for (const set of current) state.set(keyOf(set), set);
  const writes: RecordWrite[] = [];
  const touched = new Set<string>();

  for (const change of changes) {
    const set = change.ResourceRecordSet;
    if (!inZone(set.Name, zone.name)) {
      reasons.push(`RRSet with DNS name ${displayName(set.Name)} is not permitted in zone ${displayName(zone.name)}`);
      continue;
    }
    for (const record of set.ResourceRecords ?? []) {
      const problem = invalidValue(set.Type, record.Value);
      if (problem) reasons.push(problem);
    }
    if (set.Type === 'CNAME' && (set.ResourceRecords?.length ?? 0) > 1) {
      reasons.push(`RRSet of type CNAME with DNS name ${displayName(set.Name)} is not permitted because it contains more than one value`);
    }
    const key = keyOf(set);
    const existing = state.get(key);
    touched.add(set.Name);
    if (change.Action === 'CREATE') {
      if (existing) {
        reasons.push(`Tried to create resource record set ${describe(set)} but it already exists`);
        continue;
      }
      state.set(key, set);
      writes.push({ op: 'put', set });
    } else if (change.Action === 'DELETE') {
      if (!existing) {
        reasons.push(`Tried to delete resource record set ${describe(set)} but it was not found`);
        continue;
      }
      if (!sameValues(existing, set)) {
        reasons.push(`Tried to delete resource record set ${describe(set)} but the values provided do not match the current values`);
        continue;
      }
      state.delete(key);
      writes.push({ op: 'delete', set: existing });
    } else {
      state.set(key, set);
      writes.push({ op: 'put', set });
    }
  }

  // The state after the batch, at each name it touched.
  const byName = new Map<string, StoredRecordSet[]>();
  for (const set of state.values()) {
    if (!touched.has(set.Name) && set.Name !== zone.name) continue;
    const list = byName.get(set.Name) ?? [];
    list.push(set);
    byName.set(set.Name, list);
  }
  const apex = byName.get(zone.name) ?? [];
  if (touched.has(zone.name)) {
    if (apex.filter((s) => s.Type === 'SOA').length !== 1) reasons.push('A HostedZone must contain exactly one SOA record.');
    if (!apex.some((s) => s.Type === 'NS')) reasons.push('A HostedZone must contain at least one NS record for the zone itself.');
  }
  for (const [name, sets] of byName) {
    if (!touched.has(name)) continue;
    const cname = sets.filter((s) => s.Type === 'CNAME');
    if (cname.length > 0 && name === zone.name) {
      reasons.push(`RRSet of type CNAME with DNS name ${displayName(name)} is not permitted at apex in zone ${displayName(zone.name)}`);
    } else if (cname.length > 0 && sets.some((s) => s.Type !== 'CNAME')) {
      reasons.push(`RRSet of type CNAME with DNS name ${displayName(name)} is not permitted as it conflicts with other records with the same DNS name in zone ${displayName(zone.name)}`);
    }
    const byType = new Map<string, StoredRecordSet[]>();
    for (const s of sets) byType.set(s.Type, [...(byType.get(s.Type) ?? []), s]);
    for (const [type, group] of byType) {
      if (group.length < 2) continue;
      const kinds = new Set(group.map(routingOf));
      if (kinds.has('simple')) {
        reasons.push(`RRSet with DNS name ${displayName(name)}, type ${type} cannot be created as other RRSets exist with the same name and type.`);
      } else if (kinds.size > 1) {
        const [first, ...rest] = group;
        const odd = rest.find((s) => routingOf(s) !== routingOf(first!))!;
        reasons.push(
          `RRSet with DNS name ${displayName(name)}, type ${type}, SetIdentifier ${odd.SetIdentifier} cannot be created because a non ${routingOf(odd)} set exists with the same name and type.`,
        );
      }
    }
  }
  if (reasons.length > 0) throw new InvalidChangeBatch(`[${reasons.join(', ')}]`, { messages: reasons });
  return writes;
}
