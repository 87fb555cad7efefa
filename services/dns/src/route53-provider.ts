// The Route 53 provider: hosted zones, record sets (ChangeResourceRecordSets applied atomically and
// validated as Route 53 does), changes, tags and TestDNSAnswer here; health checks in
// health-check-operations.ts; the authoritative DNS server that answers from the same records in
// dns-plane.ts (started with the provider).
//
// Known limitations:
// - Route 53 is global: zones belong to an account, whatever the request's region.
// - Private zones keep their VPCs but every client sees them (there are no VPCs on one machine);
//   Associate/DisassociateVPCWithHostedZone, reusable delegation sets, DNSSEC (key-signing keys),
//   query logging, traffic policies, CIDR collections, VPC association authorizations,
//   GetAccountLimit, GetHostedZoneLimit, GetCheckerIpRanges, GetGeoLocation/ListGeoLocations,
//   ListHostedZonesByVPC and UpdateHostedZoneFeatures are not implemented (501).
// - A change is applied and visible in every node's DNS server within milliseconds: ChangeInfo says
//   PENDING in the answer to the change, and GetChange says INSYNC from 100 ms after it.
// - The zone's name servers are `ns-1.dns.atoll.localhost.` and `ns-2.dns.atoll.localhost.` (the DNS
//   server on this machine), not four awsdns hosts.
// - Limits (record sets per zone, zones per account, values per record set) are not enforced.
import type { PlatformContext, RequestContext, ServiceProvider } from '@atoll/core';
import { newUniqueId } from '@atoll/core';
import type {
  ChangeInfo,
  ChangeResourceRecordSetsRequest,
  ChangeResourceRecordSetsResult,
  ChangeTagsForResourceRequest,
  CreateHostedZoneRequest,
  CreateHostedZoneResult,
  DeleteHostedZoneRequest,
  DeleteHostedZoneResult,
  GetChangeRequest,
  GetChangeResult,
  GetHostedZoneCountResult,
  GetHostedZoneRequest,
  GetHostedZoneResult,
  HostedZone,
  ListHostedZonesByNameRequest,
  ListHostedZonesByNameResult,
  ListHostedZonesRequest,
  ListHostedZonesResult,
  ListResourceRecordSetsRequest,
  ListResourceRecordSetsResult,
  ListTagsForResourceRequest,
  ListTagsForResourceResult,
  ListTagsForResourcesRequest,
  ListTagsForResourcesResult,
  ResourceRecordSet,
  TestDNSAnswerRequest,
  TestDNSAnswerResult,
  UpdateHostedZoneCommentRequest,
  UpdateHostedZoneCommentResult,
} from '@atoll/aws-models/route53';
import { HostedZoneAlreadyExists, HostedZoneNotEmpty, InvalidDomainName, InvalidInput, NoSuchChange, NoSuchHealthCheck, NoSuchHostedZone } from '@atoll/aws-models/route53';
import { normalizeChanges, planChanges } from './change-batch.js';
import { DnsPlane } from './dns-plane.js';
import { HealthCheckOperations } from './health-check-operations.js';
import { displayName, isValidDomainName, normalizeName, sortKey } from './names.js';
import { recordText } from './record-text.js';
import { Route53Store, type ChangeRecord, type StoredRecordSet, type ZoneRecord } from './route53-store.js';

export const NAME_SERVERS = ['ns-1.dns.atoll.localhost', 'ns-2.dns.atoll.localhost'];
const SOA_VALUE = `${NAME_SERVERS[0]}. hostmaster.atoll.localhost. 1 7200 900 1209600 86400`;
const INSYNC_AFTER_MS = 100;
const MAX_RECORD_ITEMS = 300;
const MAX_ZONE_ITEMS = 100;

/** `/hostedzone/Z123` or `Z123` → `Z123`. */
export const bareId = (id: string, kind: string): string => (id.startsWith(`/${kind}/`) ? id.slice(kind.length + 2) : id);

function maxItems(value: string | undefined, max: number): number {
  if (value === undefined) return max;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidInput(`1 validation error detected: Value '${value}' at 'maxItems' failed to satisfy constraint: Member must be greater than or equal to 1`);
  return Math.min(n, max);
}

export class Route53Provider implements ServiceProvider {
  readonly service = 'route53';
  readonly operations: ServiceProvider['operations'];
  #store: Route53Store | undefined;
  #plane: DnsPlane | undefined;
  readonly health: HealthCheckOperations;

  constructor(readonly platform: PlatformContext) {
    this.health = new HealthCheckOperations(platform, () => this.store);
    this.operations = {
      CreateHostedZone: this.CreateHostedZone,
      GetHostedZone: this.GetHostedZone,
      ListHostedZones: this.ListHostedZones,
      ListHostedZonesByName: this.ListHostedZonesByName,
      GetHostedZoneCount: this.GetHostedZoneCount,
      UpdateHostedZoneComment: this.UpdateHostedZoneComment,
      DeleteHostedZone: this.DeleteHostedZone,
      ChangeResourceRecordSets: this.ChangeResourceRecordSets,
      ListResourceRecordSets: this.ListResourceRecordSets,
      GetChange: this.GetChange,
      ChangeTagsForResource: this.ChangeTagsForResource,
      ListTagsForResource: this.ListTagsForResource,
      ListTagsForResources: this.ListTagsForResources,
      TestDNSAnswer: this.TestDNSAnswer,
      ...this.health.operations,
    };
  }

  get store(): Route53Store {
    if (!this.#store) throw new Error('the Route 53 provider is not started');
    return this.#store;
  }

  /** The DNS data plane (its server's port, its zone index); started with the provider. */
  get dns(): DnsPlane {
    if (!this.#plane) throw new Error('the Route 53 provider is not started');
    return this.#plane;
  }

  readonly routes = [
    {
      method: 'GET',
      path: '/_atoll/dns',
      handle: (_req: unknown, res: import('node:http').ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ host: this.platform.config.host, port: this.#plane?.server?.port ?? null }));
      },
    },
  ];

  authorization(operation: string, input: Record<string, unknown>): { resources?: string[] } | undefined {
    const zone = input.HostedZoneId ?? (operation.includes('HostedZone') && operation !== 'CreateHostedZone' && operation !== 'ListHostedZones' ? input.Id : undefined);
    if (typeof zone === 'string') return { resources: [`arn:aws:route53:::hostedzone/${bareId(zone, 'hostedzone')}`] };
    if (typeof input.HealthCheckId === 'string') return { resources: [`arn:aws:route53:::healthcheck/${input.HealthCheckId}`] };
    if (operation === 'GetChange' && typeof input.Id === 'string') return { resources: [`arn:aws:route53:::change/${bareId(input.Id, 'change')}`] };
    if (typeof input.ResourceId === 'string' && typeof input.ResourceType === 'string') return { resources: [`arn:aws:route53:::${input.ResourceType}/${input.ResourceId}`] };
    return undefined;
  }

  async start(): Promise<void> {
    this.#store = await Route53Store.open(this.platform.storage);
    this.#plane = new DnsPlane(this.#store, { host: this.platform.config.host, region: this.platform.config.region, logger: this.platform.logger });
    await this.#plane.start();
    this.health.start(this.#plane.index);
  }

  async close(): Promise<void> {
    this.health.stop();
    await this.#plane?.close();
    await this.#store?.close();
  }

  private async zone(id: string, ctx: RequestContext): Promise<ZoneRecord> {
    const bare = bareId(id, 'hostedzone');
    const zone = await this.store.getZone(bare);
    if (!zone || zone.accountId !== ctx.accountId) throw new NoSuchHostedZone(`No hosted zone found with ID: ${bare}`);
    return zone;
  }

  private async hostedZone(zone: ZoneRecord): Promise<HostedZone> {
    return {
      Id: `/hostedzone/${zone.id}`,
      Name: displayName(zone.name),
      CallerReference: zone.callerReference,
      Config: { ...(zone.comment !== undefined ? { Comment: zone.comment } : {}), PrivateZone: zone.privateZone },
      ResourceRecordSetCount: await this.store.recordCount(zone.id),
      ...(zone.linkedService ? { LinkedService: zone.linkedService } : {}),
    };
  }

  private newChange(ctx: RequestContext, comment?: string): ChangeRecord {
    return { id: newUniqueId('C'), accountId: ctx.accountId, submittedAt: Date.now(), ...(comment !== undefined ? { comment } : {}) };
  }

  private changeInfo(change: ChangeRecord, now = Date.now()): ChangeInfo {
    return {
      Id: `/change/${change.id}`,
      Status: now - change.submittedAt >= INSYNC_AFTER_MS ? 'INSYNC' : 'PENDING',
      SubmittedAt: new Date(change.submittedAt),
      ...(change.comment !== undefined ? { Comment: change.comment } : {}),
    };
  }

  CreateHostedZone = async (input: CreateHostedZoneRequest, ctx: RequestContext): Promise<CreateHostedZoneResult> => {
    if (!isValidDomainName(input.Name)) throw new InvalidDomainName(`${input.Name} is not a valid domain name.`);
    const name = normalizeName(input.Name);
    const privateZone = input.HostedZoneConfig?.PrivateZone ?? input.VPC !== undefined;
    if (privateZone && !input.VPC?.VPCId) {
      throw new InvalidInput('When you\'re creating a private hosted zone (when you specify true for PrivateZone), you must also specify values for VPCId and VPCRegion.');
    }
    const zone: ZoneRecord = {
      id: newUniqueId('Z'),
      accountId: ctx.accountId,
      name,
      callerReference: input.CallerReference,
      ...(input.HostedZoneConfig?.Comment !== undefined ? { comment: input.HostedZoneConfig.Comment } : {}),
      privateZone,
      vpcs: input.VPC ? [{ VPCRegion: input.VPC.VPCRegion ?? ctx.region, VPCId: input.VPC.VPCId }] : [],
      created: Date.now(),
      ...(linkedServiceOf(ctx) ? { linkedService: linkedServiceOf(ctx) } : {}),
    };
    const sets: StoredRecordSet[] = [
      { Name: name, Type: 'NS', TTL: 172800, ResourceRecords: NAME_SERVERS.map((ns) => ({ Value: `${ns}.` })) },
      { Name: name, Type: 'SOA', TTL: 900, ResourceRecords: [{ Value: SOA_VALUE }] },
    ];
    const change = this.newChange(ctx);
    const result = await this.store.createZone(zone, sets, change);
    if (!result.created) throw new HostedZoneAlreadyExists('A hosted zone has already been created with the specified caller reference.');
    await this.dns.index.reload(zone.id);
    return {
      HostedZone: await this.hostedZone(zone),
      ChangeInfo: this.changeInfo(change, change.submittedAt),
      DelegationSet: { NameServers: NAME_SERVERS },
      ...(input.VPC ? { VPC: zone.vpcs[0] as CreateHostedZoneResult['VPC'] } : {}),
      Location: `${ctx.endpoint}/2013-04-01/hostedzone/${zone.id}`,
    };
  };

  GetHostedZone = async (input: GetHostedZoneRequest, ctx: RequestContext): Promise<GetHostedZoneResult> => {
    const zone = await this.zone(input.Id, ctx);
    return {
      HostedZone: await this.hostedZone(zone),
      ...(zone.privateZone ? { VPCs: zone.vpcs as GetHostedZoneResult['VPCs'] } : { DelegationSet: { NameServers: NAME_SERVERS } }),
    };
  };

  ListHostedZones = async (input: ListHostedZonesRequest, ctx: RequestContext): Promise<ListHostedZonesResult> => {
    const limit = maxItems(input.MaxItems, MAX_ZONE_ITEMS);
    let zones = await this.store.listZones(ctx.accountId);
    if (input.HostedZoneType === 'PrivateHostedZone') zones = zones.filter((z) => z.privateZone);
    let start = 0;
    if (input.Marker !== undefined) {
      start = zones.findIndex((z) => z.id === bareId(input.Marker!, 'hostedzone'));
      if (start < 0) throw new InvalidInput('The specified marker is not valid.');
    }
    const page = zones.slice(start, start + limit);
    const next = zones[start + limit];
    return {
      HostedZones: await Promise.all(page.map((z) => this.hostedZone(z))),
      Marker: input.Marker ?? '',
      IsTruncated: next !== undefined,
      ...(next ? { NextMarker: next.id } : {}),
      MaxItems: String(limit),
    };
  };

  ListHostedZonesByName = async (input: ListHostedZonesByNameRequest, ctx: RequestContext): Promise<ListHostedZonesByNameResult> => {
    const limit = maxItems(input.MaxItems, MAX_ZONE_ITEMS);
    if (input.HostedZoneId !== undefined && input.DNSName === undefined) throw new InvalidInput('The input is not valid: HostedZoneId requires DNSName.');
    if (input.DNSName !== undefined && !isValidDomainName(input.DNSName)) throw new InvalidDomainName(`${input.DNSName} is not a valid domain name.`);
    const zones = (await this.store.listZones(ctx.accountId)).sort((a, b) => cmp(sortKey(a.name), sortKey(b.name)) || cmp(a.id, b.id));
    let start = 0;
    if (input.DNSName !== undefined) {
      const key = sortKey(normalizeName(input.DNSName));
      const id = input.HostedZoneId !== undefined ? bareId(input.HostedZoneId, 'hostedzone') : '';
      start = zones.findIndex((z) => cmp(sortKey(z.name), key) > 0 || (sortKey(z.name) === key && cmp(z.id, id) >= 0));
      if (start < 0) start = zones.length;
    }
    const page = zones.slice(start, start + limit);
    const next = zones[start + limit];
    return {
      HostedZones: await Promise.all(page.map((z) => this.hostedZone(z))),
      ...(input.DNSName !== undefined ? { DNSName: input.DNSName } : {}),
      ...(input.HostedZoneId !== undefined ? { HostedZoneId: input.HostedZoneId } : {}),
      IsTruncated: next !== undefined,
      ...(next ? { NextDNSName: displayName(next.name), NextHostedZoneId: next.id } : {}),
      MaxItems: String(limit),
    };
  };

  GetHostedZoneCount = async (_input: unknown, ctx: RequestContext): Promise<GetHostedZoneCountResult> => ({
    HostedZoneCount: (await this.store.listZones(ctx.accountId)).length,
  });

  UpdateHostedZoneComment = async (input: UpdateHostedZoneCommentRequest, ctx: RequestContext): Promise<UpdateHostedZoneCommentResult> => {
    const zone = await this.zone(input.Id, ctx);
    const { comment: _old, ...rest } = zone;
    const updated: ZoneRecord = { ...rest, ...(input.Comment !== undefined ? { comment: input.Comment } : {}) };
    await this.store.updateZone(updated);
    return { HostedZone: await this.hostedZone(updated) };
  };

  DeleteHostedZone = async (input: DeleteHostedZoneRequest, ctx: RequestContext): Promise<DeleteHostedZoneResult> => {
    const zone = await this.zone(input.Id, ctx);
    const change = this.newChange(ctx);
    const result = await this.store.deleteZone(zone.id, change);
    if (result === 'missing') throw new NoSuchHostedZone(`No hosted zone found with ID: ${zone.id}`);
    if (result === 'not-empty') throw new HostedZoneNotEmpty('The specified hosted zone contains non-required resource record sets and so cannot be deleted.');
    await this.dns.index.reload(zone.id);
    return { ChangeInfo: this.changeInfo(change) };
  };

  ChangeResourceRecordSets = async (input: ChangeResourceRecordSetsRequest, ctx: RequestContext): Promise<ChangeResourceRecordSetsResult> => {
    const zone = await this.zone(input.HostedZoneId, ctx);
    const changes = normalizeChanges(input.ChangeBatch.Changes);
    for (const c of changes) {
      const check = c.ResourceRecordSet.HealthCheckId;
      if (check !== undefined) {
        const found = await this.store.getHealthCheck(check);
        if (!found || found.accountId !== ctx.accountId) throw new NoSuchHealthCheck(`A health check with id ${check} does not exist.`);
      }
    }
    const change = this.newChange(ctx, input.ChangeBatch.Comment);
    const names = changes.map((c) => c.ResourceRecordSet.Name);
    const result = await this.store.applyChanges(zone.id, names, (z, current) => planChanges(z, changes, current), change);
    if (result === 'missing') throw new NoSuchHostedZone(`No hosted zone found with ID: ${zone.id}`);
    // This node's DNS server answers with the change before the call returns (others within a signal's delay).
    await this.dns.index.reload(zone.id);
    return { ChangeInfo: this.changeInfo(change, change.submittedAt) };
  };

  ListResourceRecordSets = async (input: ListResourceRecordSetsRequest, ctx: RequestContext): Promise<ListResourceRecordSetsResult> => {
    const zone = await this.zone(input.HostedZoneId, ctx);
    const limit = maxItems(input.MaxItems, MAX_RECORD_ITEMS);
    if (input.StartRecordType !== undefined && input.StartRecordName === undefined) throw new InvalidInput('The input is not valid: StartRecordType requires StartRecordName.');
    if (input.StartRecordIdentifier !== undefined && input.StartRecordType === undefined) throw new InvalidInput('The input is not valid: StartRecordIdentifier requires StartRecordType.');
    const from = input.StartRecordName !== undefined ? { name: normalizeName(input.StartRecordName), type: input.StartRecordType, setId: input.StartRecordIdentifier } : undefined;
    const sets = await this.store.listRecordSets(zone.id, limit + 1, from);
    const page = sets.slice(0, limit);
    const next = sets[limit];
    return {
      ResourceRecordSets: page.map(toApiSet),
      IsTruncated: next !== undefined,
      ...(next
        ? { NextRecordName: displayName(next.Name), NextRecordType: next.Type, ...(next.SetIdentifier !== undefined ? { NextRecordIdentifier: next.SetIdentifier } : {}) }
        : {}),
      MaxItems: String(limit),
    };
  };

  GetChange = async (input: GetChangeRequest, ctx: RequestContext): Promise<GetChangeResult> => {
    const id = bareId(input.Id, 'change');
    const change = await this.store.getChange(id);
    if (!change || change.accountId !== ctx.accountId) throw new NoSuchChange(`A change with the specified change ID does not exist.`);
    return { ChangeInfo: this.changeInfo(change) };
  };

  private async checkTagResource(type: string, id: string, ctx: RequestContext): Promise<void> {
    if (type === 'hostedzone') await this.zone(id, ctx);
    else {
      const check = await this.store.getHealthCheck(id);
      if (!check || check.accountId !== ctx.accountId) throw new NoSuchHealthCheck(`A health check with id ${id} does not exist.`);
    }
  }

  ChangeTagsForResource = async (input: ChangeTagsForResourceRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    const id = bareId(input.ResourceId, input.ResourceType);
    await this.checkTagResource(input.ResourceType, id, ctx);
    const add = (input.AddTags ?? []).map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' }));
    await this.store.changeTags(input.ResourceType, id, add, input.RemoveTagKeys ?? []);
    return {};
  };

  ListTagsForResource = async (input: ListTagsForResourceRequest, ctx: RequestContext): Promise<ListTagsForResourceResult> => {
    const id = bareId(input.ResourceId, input.ResourceType);
    await this.checkTagResource(input.ResourceType, id, ctx);
    return { ResourceTagSet: { ResourceType: input.ResourceType, ResourceId: id, Tags: await this.store.tags(input.ResourceType, id) } };
  };

  ListTagsForResources = async (input: ListTagsForResourcesRequest, ctx: RequestContext): Promise<ListTagsForResourcesResult> => {
    const sets = [];
    for (const raw of input.ResourceIds) {
      const id = bareId(raw, input.ResourceType);
      await this.checkTagResource(input.ResourceType, id, ctx);
      sets.push({ ResourceType: input.ResourceType, ResourceId: id, Tags: await this.store.tags(input.ResourceType, id) });
    }
    return { ResourceTagSets: sets };
  };

  TestDNSAnswer = async (input: TestDNSAnswerRequest, ctx: RequestContext): Promise<TestDNSAnswerResult> => {
    const zone = await this.zone(input.HostedZoneId, ctx);
    const name = normalizeName(input.RecordName);
    const served = this.dns.index.zoneFor(name);
    const result =
      served && served.zone.id === zone.id
        ? this.dns.answerer.answer(name, input.RecordType)
        : { rcode: 'REFUSED' as const, answers: [] as { type: string; data: unknown }[] };
    return {
      Nameserver: NAME_SERVERS[0]!,
      RecordName: input.RecordName,
      RecordType: input.RecordType,
      RecordData: (result.answers as { type: string; data?: unknown }[]).filter((a) => a.type === input.RecordType).map((a) => recordText(a.type, a.data)),
      ResponseCode: result.rcode,
      Protocol: 'UDP',
    };
  };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A stored record set as the API shows it (its name with `\052` for a wildcard). */
function toApiSet(set: StoredRecordSet): ResourceRecordSet {
  return {
    ...set,
    Name: displayName(set.Name),
    ...(set.AliasTarget ? { AliasTarget: { ...set.AliasTarget, DNSName: displayName(set.AliasTarget.DNSName) } } : {}),
  };
}

/** Zones Cloud Map creates are linked to it (`LinkedService`), as in AWS. */
function linkedServiceOf(ctx: RequestContext): { ServicePrincipal: string; Description: string } | undefined {
  return ctx.identity.service?.principal === 'servicediscovery.amazonaws.com' ? { ServicePrincipal: 'servicediscovery.amazonaws.com', Description: 'Cloud Map namespace' } : undefined;
}
