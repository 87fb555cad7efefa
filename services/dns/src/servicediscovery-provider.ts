// The Cloud Map provider: namespaces (HTTP, private DNS, public DNS: a DNS namespace creates its
// Route 53 hosted zone), services, instances and operations. An instance of a DNS service writes its
// records into the namespace's zone through Route 53's ChangeResourceRecordSets (as Cloud Map does
// in AWS), so the DNS server answers for it as soon as the call returns.
//
// Known limitations:
// - Operations complete before the call returns: GetOperation answers SUCCESS at once.
// - A custom-health instance marked UNHEALTHY has its records removed from the zone (AWS keeps
//   them behind a hidden health check); they come back when it is HEALTHY again. FailureThreshold
//   of HealthCheckCustomConfig is ignored (the status applies at once).
// - HealthCheckConfig (Route 53 checks) creates one Route 53 HTTP/HTTPS/TCP health check per
//   instance, on AWS_INSTANCE_IPV4 and AWS_INSTANCE_PORT.
// - Update*Namespace, service attributes (Get/Update/DeleteServiceAttributes) and
//   DiscoverInstances' OwnerAccount sharing are not implemented (501 or ignored).
// - ListNamespaces/ListServices/ListOperations filters support EQ and IN (BEGINS_WITH on names);
//   paging tokens are offsets.
import type { CallContext, PlatformContext, RequestContext, ServiceProvider } from '@atoll/core';
import { randomHex } from '@atoll/core';
import type {
  CreateHttpNamespaceRequest,
  CreatePrivateDnsNamespaceRequest,
  CreatePublicDnsNamespaceRequest,
  CreateServiceRequest,
  DiscoverInstancesRequest,
  DiscoverInstancesResult,
  DnsConfig,
  HealthCheckConfig,
  HealthCheckCustomConfig,
  HealthStatus,
  Instance,
  Namespace,
  NamespaceType,
  Operation,
  OperationType,
  RegisterInstanceRequest,
  Service,
  Tag,
} from '@atoll/aws-models/servicediscovery';
import {
  CustomHealthNotFound,
  DuplicateRequest,
  InstanceNotFound,
  InvalidInput,
  NamespaceAlreadyExists,
  NamespaceNotFound,
  OperationNotFound,
  ResourceInUse,
  ResourceNotFoundException,
  ServiceAlreadyExists,
  ServiceNotFound,
} from '@atoll/aws-models/servicediscovery';
import type { ResourceRecordSet } from '@atoll/aws-models/route53';
import { ServiceDiscoveryStore, type SdRow } from './servicediscovery-store.js';

interface NamespaceDoc {
  name: string;
  type: NamespaceType;
  description?: string;
  creatorRequestId?: string;
  hostedZoneId?: string;
  soaTtl?: number;
  tags: Tag[];
}

interface ServiceDoc {
  name: string;
  namespaceId: string;
  description?: string;
  creatorRequestId?: string;
  dnsConfig?: DnsConfig;
  healthCheckConfig?: HealthCheckConfig;
  healthCheckCustomConfig?: HealthCheckCustomConfig;
  type: 'HTTP' | 'DNS_HTTP' | 'DNS';
  tags: Tag[];
}

interface InstanceDoc {
  id: string;
  creatorRequestId?: string;
  attributes: Record<string, string>;
  health: HealthStatus;
  /** The record sets written for it (to delete them exactly). */
  records: ResourceRecordSet[];
  healthCheckId?: string;
}

interface OperationDoc {
  type: OperationType;
  status: 'SUCCESS' | 'FAIL';
  targets: Record<string, string>;
  updated: number;
  errorMessage?: string;
}

const MAX_DISCOVER = 1000;

export class ServiceDiscoveryProvider implements ServiceProvider {
  readonly service = 'servicediscovery';
  readonly operations: ServiceProvider['operations'];
  #store: ServiceDiscoveryStore | undefined;

  constructor(readonly platform: PlatformContext) {
    this.operations = {
      CreateHttpNamespace: this.CreateHttpNamespace,
      CreatePrivateDnsNamespace: this.CreatePrivateDnsNamespace,
      CreatePublicDnsNamespace: this.CreatePublicDnsNamespace,
      GetNamespace: this.GetNamespace,
      ListNamespaces: this.ListNamespaces,
      DeleteNamespace: this.DeleteNamespace,
      CreateService: this.CreateService,
      GetService: this.GetService,
      ListServices: this.ListServices,
      UpdateService: this.UpdateService,
      DeleteService: this.DeleteService,
      RegisterInstance: this.RegisterInstance,
      DeregisterInstance: this.DeregisterInstance,
      GetInstance: this.GetInstance,
      ListInstances: this.ListInstances,
      DiscoverInstances: this.DiscoverInstances,
      DiscoverInstancesRevision: this.DiscoverInstancesRevision,
      GetInstancesHealthStatus: this.GetInstancesHealthStatus,
      UpdateInstanceCustomHealthStatus: this.UpdateInstanceCustomHealthStatus,
      GetOperation: this.GetOperation,
      ListOperations: this.ListOperations,
      TagResource: this.TagResource,
      UntagResource: this.UntagResource,
      ListTagsForResource: this.ListTagsForResource,
    };
  }

  get store(): ServiceDiscoveryStore {
    if (!this.#store) throw new Error('the Cloud Map provider is not started');
    return this.#store;
  }

  async start(): Promise<void> {
    this.#store = await ServiceDiscoveryStore.open(this.platform.storage);
  }

  async close(): Promise<void> {
    await this.#store?.close();
  }

  authorization(_operation: string, input: Record<string, unknown>, scope: { accountId: string; region: string }): { resources?: string[] } | undefined {
    const arn = (kind: string, id: unknown) => `arn:aws:servicediscovery:${scope.region}:${scope.accountId}:${kind}/${String(id)}`;
    if (typeof input.ResourceARN === 'string') return { resources: [input.ResourceARN] };
    if (typeof input.ServiceId === 'string') return { resources: [arn('service', input.ServiceId)] };
    if (typeof input.NamespaceId === 'string') return { resources: [arn('namespace', input.NamespaceId)] };
    if (typeof input.Id === 'string') return { resources: [arn(input.Id.startsWith('srv-') ? 'service' : 'namespace', input.Id)] };
    return undefined;
  }

  // ---- namespaces

  private async createNamespace(
    type: NamespaceType,
    input: { Name: string; CreatorRequestId?: string; Description?: string; Tags?: Tag[]; Vpc?: string; Properties?: { DnsProperties?: { SOA?: { TTL: number } } } },
    ctx: RequestContext,
  ): Promise<{ OperationId: string }> {
    const id = `ns-${randomHex(8)}`;
    const doc: NamespaceDoc = {
      name: type === 'HTTP' ? input.Name : input.Name.replace(/\.$/, '').toLowerCase(),
      type,
      ...(input.Description !== undefined ? { description: input.Description } : {}),
      ...(input.CreatorRequestId !== undefined ? { creatorRequestId: input.CreatorRequestId } : {}),
      ...(type !== 'HTTP' ? { soaTtl: input.Properties?.DnsProperties?.SOA?.TTL ?? 15 } : {}),
      tags: input.Tags ?? [],
    };
    const row: SdRow<NamespaceDoc> = { kind: 'namespace', id, accountId: ctx.accountId, region: ctx.region, parent: '', name: doc.name, created: Date.now(), doc };
    const result = await this.store.insert(row);
    if (!result.inserted) {
      const existing = result.existing;
      if (input.CreatorRequestId !== undefined && existing.doc.creatorRequestId === input.CreatorRequestId) {
        throw new DuplicateRequest(`The operation is already in progress or was completed with the same creator request id.`, { DuplicateOperationId: '' });
      }
      throw new NamespaceAlreadyExists(`Namespace with name ${doc.name} already exists.`, { NamespaceId: existing.id, ...(existing.doc.creatorRequestId ? { CreatorRequestId: existing.doc.creatorRequestId } : {}) });
    }
    if (type !== 'HTTP') {
      try {
        const zone = await this.platform.call<{ HostedZone: { Id: string } }>(
          'route53',
          'CreateHostedZone',
          {
            Name: doc.name,
            CallerReference: `servicediscovery-${id}`,
            HostedZoneConfig: { Comment: `Created by AWS Cloud Map namespace with ARN ${this.arn('namespace', id, ctx)}`, PrivateZone: type === 'DNS_PRIVATE' },
            ...(type === 'DNS_PRIVATE' ? { VPC: { VPCId: input.Vpc, VPCRegion: ctx.region } } : {}),
          },
          this.callContext(ctx),
        );
        doc.hostedZoneId = zone.HostedZone.Id.replace('/hostedzone/', '');
        await this.store.update('namespace', id, doc);
      } catch (error) {
        await this.store.delete('namespace', id);
        throw error;
      }
    }
    return { OperationId: await this.operation(ctx, 'CREATE_NAMESPACE', { NAMESPACE: id }) };
  }

  CreateHttpNamespace = (input: CreateHttpNamespaceRequest, ctx: RequestContext) => this.createNamespace('HTTP', input, ctx);
  CreatePrivateDnsNamespace = (input: CreatePrivateDnsNamespaceRequest, ctx: RequestContext) => this.createNamespace('DNS_PRIVATE', input, ctx);
  CreatePublicDnsNamespace = (input: CreatePublicDnsNamespaceRequest, ctx: RequestContext) => this.createNamespace('DNS_PUBLIC', input, ctx);

  private async namespace(id: string, ctx: RequestContext): Promise<SdRow<NamespaceDoc>> {
    const row = await this.store.get<NamespaceDoc>('namespace', id);
    if (!row || row.accountId !== ctx.accountId || row.region !== ctx.region) throw new NamespaceNotFound(`Namespace not found: ${id}`);
    return row;
  }

  private async toNamespace(row: SdRow<NamespaceDoc>, ctx: RequestContext): Promise<Namespace> {
    const d = row.doc;
    return {
      Id: row.id,
      Arn: this.arn('namespace', row.id, ctx),
      ResourceOwner: row.accountId,
      Name: d.name,
      Type: d.type,
      ...(d.description !== undefined ? { Description: d.description } : {}),
      ServiceCount: await this.store.count('service', row.id),
      Properties: {
        DnsProperties: d.hostedZoneId ? { HostedZoneId: d.hostedZoneId, SOA: { TTL: d.soaTtl ?? 15 } } : {},
        HttpProperties: { HttpName: d.name },
      },
      CreateDate: new Date(row.created),
      ...(d.creatorRequestId !== undefined ? { CreatorRequestId: d.creatorRequestId } : {}),
    };
  }

  GetNamespace = async (input: { Id: string }, ctx: RequestContext) => ({ Namespace: await this.toNamespace(await this.namespace(input.Id, ctx), ctx) });

  ListNamespaces = async (input: { NextToken?: string; MaxResults?: number; Filters?: { Name: string; Values: string[]; Condition?: string }[] }, ctx: RequestContext) => {
    let rows = await this.store.list<NamespaceDoc>(ctx.accountId, ctx.region, 'namespace');
    for (const f of input.Filters ?? []) {
      const value = (r: SdRow<NamespaceDoc>) => (f.Name === 'TYPE' ? r.doc.type : f.Name === 'RESOURCE_OWNER' ? r.accountId : r.doc.name);
      rows = rows.filter((r) => matches(value(r), f.Values, f.Condition));
    }
    const { page, next } = paginate(rows, input.NextToken, input.MaxResults ?? 100);
    return { Namespaces: await Promise.all(page.map((r) => this.toNamespace(r, ctx))), ...(next ? { NextToken: next } : {}) };
  };

  DeleteNamespace = async (input: { Id: string }, ctx: RequestContext) => {
    const ns = await this.namespace(input.Id, ctx);
    const result = await this.store.delete('namespace', ns.id, 'service');
    if (result === 'in-use') throw new ResourceInUse('The specified resource can\'t be deleted because it contains other resources. For example, you can\'t delete a service that contains any instances.');
    if (ns.doc.hostedZoneId) {
      await this.platform.call('route53', 'DeleteHostedZone', { Id: ns.doc.hostedZoneId }, this.callContext(ctx)).catch((error) => {
        this.platform.logger.warn({ err: error, zone: ns.doc.hostedZoneId }, 'servicediscovery: hosted zone not deleted');
      });
    }
    return { OperationId: await this.operation(ctx, 'DELETE_NAMESPACE', { NAMESPACE: ns.id }) };
  };

  // ---- services

  CreateService = async (input: CreateServiceRequest, ctx: RequestContext) => {
    const namespaceId = input.NamespaceId ?? input.DnsConfig?.NamespaceId;
    if (!namespaceId) throw new InvalidInput('NamespaceId is required.');
    const ns = await this.namespace(namespaceId, ctx);
    if (input.DnsConfig && ns.doc.type === 'HTTP') throw new InvalidInput('DnsConfig can\'t be specified for a service in an HTTP namespace.');
    if (input.HealthCheckConfig && input.HealthCheckCustomConfig) throw new InvalidInput('HealthCheckConfig and HealthCheckCustomConfig can\'t both be specified.');
    if (input.HealthCheckConfig && ns.doc.type === 'DNS_PRIVATE') throw new InvalidInput('HealthCheckConfig can\'t be specified for a service in a private DNS namespace.');
    const dnsConfig = input.DnsConfig ? { NamespaceId: ns.id, RoutingPolicy: input.DnsConfig.RoutingPolicy ?? 'MULTIVALUE', DnsRecords: input.DnsConfig.DnsRecords } : undefined;
    if (dnsConfig) checkDnsConfig(dnsConfig);
    const type = input.Type === 'HTTP' || ns.doc.type === 'HTTP' ? 'HTTP' : dnsConfig ? 'DNS_HTTP' : 'HTTP';
    const doc: ServiceDoc = {
      name: input.Name,
      namespaceId: ns.id,
      ...(input.Description !== undefined ? { description: input.Description } : {}),
      ...(input.CreatorRequestId !== undefined ? { creatorRequestId: input.CreatorRequestId } : {}),
      ...(dnsConfig ? { dnsConfig } : {}),
      ...(input.HealthCheckConfig ? { healthCheckConfig: { FailureThreshold: 1, ...input.HealthCheckConfig } } : {}),
      ...(input.HealthCheckCustomConfig ? { healthCheckCustomConfig: { FailureThreshold: 1, ...input.HealthCheckCustomConfig } } : {}),
      type,
      tags: input.Tags ?? [],
    };
    const row: SdRow<ServiceDoc> = { kind: 'service', id: `srv-${randomHex(8)}`, accountId: ctx.accountId, region: ctx.region, parent: ns.id, name: input.Name, created: Date.now(), doc };
    const result = await this.store.insert(row);
    if (!result.inserted) {
      throw new ServiceAlreadyExists(`Service with name ${input.Name} already exists.`, { ServiceId: result.existing.id, ServiceArn: this.arn('service', result.existing.id, ctx) });
    }
    return { Service: await this.toService(row, ctx) };
  };

  private async serviceRow(id: string, ctx: RequestContext): Promise<SdRow<ServiceDoc>> {
    const row = await this.store.get<ServiceDoc>('service', id);
    if (!row || row.accountId !== ctx.accountId || row.region !== ctx.region) throw new ServiceNotFound(`Service not found: ${id}`);
    return row;
  }

  private async toService(row: SdRow<ServiceDoc>, ctx: RequestContext): Promise<Service> {
    const d = row.doc;
    return {
      Id: row.id,
      Arn: this.arn('service', row.id, ctx),
      ResourceOwner: row.accountId,
      Name: d.name,
      NamespaceId: d.namespaceId,
      ...(d.description !== undefined ? { Description: d.description } : {}),
      InstanceCount: await this.store.count('instance', row.id),
      ...(d.dnsConfig ? { DnsConfig: d.dnsConfig } : {}),
      Type: d.type,
      ...(d.healthCheckConfig ? { HealthCheckConfig: d.healthCheckConfig } : {}),
      ...(d.healthCheckCustomConfig ? { HealthCheckCustomConfig: d.healthCheckCustomConfig } : {}),
      CreateDate: new Date(row.created),
      ...(d.creatorRequestId !== undefined ? { CreatorRequestId: d.creatorRequestId } : {}),
      CreatedByAccount: row.accountId,
    };
  }

  GetService = async (input: { Id: string }, ctx: RequestContext) => ({ Service: await this.toService(await this.serviceRow(input.Id, ctx), ctx) });

  ListServices = async (input: { NextToken?: string; MaxResults?: number; Filters?: { Name: string; Values: string[]; Condition?: string }[] }, ctx: RequestContext) => {
    let rows = await this.store.list<ServiceDoc>(ctx.accountId, ctx.region, 'service');
    for (const f of input.Filters ?? []) {
      const value = (r: SdRow<ServiceDoc>) => (f.Name === 'NAMESPACE_ID' ? r.doc.namespaceId : r.accountId);
      rows = rows.filter((r) => matches(value(r), f.Values, f.Condition));
    }
    const { page, next } = paginate(rows, input.NextToken, input.MaxResults ?? 100);
    const services = await Promise.all(page.map((r) => this.toService(r, ctx)));
    return { Services: services.map(({ NamespaceId: _n, CreatorRequestId: _c, ...s }) => s), ...(next ? { NextToken: next } : {}) };
  };

  UpdateService = async (input: { Id: string; Service: { Description?: string; DnsConfig?: { DnsRecords: { Type: string; TTL: number }[] }; HealthCheckConfig?: HealthCheckConfig } }, ctx: RequestContext) => {
    const row = await this.serviceRow(input.Id, ctx);
    const doc = { ...row.doc };
    if (input.Service.Description !== undefined) doc.description = input.Service.Description;
    if (input.Service.DnsConfig) {
      if (!doc.dnsConfig) throw new InvalidInput('DnsConfig can\'t be added to a service that has none.');
      doc.dnsConfig = { ...doc.dnsConfig, DnsRecords: input.Service.DnsConfig.DnsRecords as DnsConfig['DnsRecords'] };
      checkDnsConfig(doc.dnsConfig);
    }
    if (input.Service.HealthCheckConfig) doc.healthCheckConfig = input.Service.HealthCheckConfig;
    await this.store.update('service', row.id, doc);
    // Instances' records follow the new TTLs and types.
    const updated = { ...row, doc };
    for (const inst of await this.store.list<InstanceDoc>(ctx.accountId, ctx.region, 'instance', row.id)) {
      await this.writeRecords(updated, inst.doc, ctx);
      await this.store.update('instance', inst.id, inst.doc);
    }
    return { OperationId: await this.operation(ctx, 'UPDATE_SERVICE', { SERVICE: row.id }) };
  };

  DeleteService = async (input: { Id: string }, ctx: RequestContext) => {
    const row = await this.serviceRow(input.Id, ctx);
    const result = await this.store.delete('service', row.id, 'instance');
    if (result === 'in-use') throw new ResourceInUse('The specified resource can\'t be deleted because it contains other resources. For example, you can\'t delete a service that contains any instances.');
    return {};
  };

  // ---- instances

  RegisterInstance = async (input: RegisterInstanceRequest, ctx: RequestContext) => {
    const service = await this.serviceRow(input.ServiceId, ctx);
    const attrs = input.Attributes ?? {};
    checkAttributes(service.doc, attrs);
    const existing = await this.store.byName<InstanceDoc>(ctx.accountId, ctx.region, 'instance', service.id, input.InstanceId);
    const init = attrs.AWS_INIT_HEALTH_STATUS === 'UNHEALTHY' ? 'UNHEALTHY' : 'HEALTHY';
    const doc: InstanceDoc = {
      id: input.InstanceId,
      ...(input.CreatorRequestId !== undefined ? { creatorRequestId: input.CreatorRequestId } : {}),
      attributes: attrs,
      health: service.doc.healthCheckCustomConfig ? (existing?.doc.health ?? init) : service.doc.healthCheckConfig ? 'UNKNOWN' : 'HEALTHY',
      records: existing?.doc.records ?? [],
      ...(existing?.doc.healthCheckId ? { healthCheckId: existing.doc.healthCheckId } : {}),
    };
    if (service.doc.healthCheckConfig && !doc.healthCheckId && attrs.AWS_INSTANCE_IPV4) {
      const hc = service.doc.healthCheckConfig;
      const created = await this.platform.call<{ HealthCheck: { Id: string } }>(
        'route53',
        'CreateHealthCheck',
        {
          CallerReference: `servicediscovery-${service.id}-${input.InstanceId}-${Date.now()}`,
          HealthCheckConfig: {
            Type: hc.Type,
            IPAddress: attrs.AWS_INSTANCE_IPV4,
            Port: Number(attrs.AWS_INSTANCE_PORT ?? (hc.Type === 'HTTPS' ? 443 : 80)),
            ...(hc.Type !== 'TCP' ? { ResourcePath: hc.ResourcePath ?? '/' } : {}),
            FailureThreshold: hc.FailureThreshold ?? 1,
            RequestInterval: 10,
          },
        },
        this.callContext(ctx),
      );
      doc.healthCheckId = created.HealthCheck.Id;
    }
    await this.writeRecords(service, doc, ctx);
    await this.store.upsert<InstanceDoc>({ kind: 'instance', id: `${service.id}/${input.InstanceId}`, accountId: ctx.accountId, region: ctx.region, parent: service.id, name: input.InstanceId, created: Date.now(), doc });
    return { OperationId: await this.operation(ctx, 'REGISTER_INSTANCE', { SERVICE: service.id, INSTANCE: input.InstanceId }) };
  };

  private async instance(service: SdRow<ServiceDoc>, instanceId: string, ctx: RequestContext): Promise<SdRow<InstanceDoc>> {
    const row = await this.store.byName<InstanceDoc>(ctx.accountId, ctx.region, 'instance', service.id, instanceId);
    if (!row) throw new InstanceNotFound(`Instance not found: ${instanceId}`);
    return row;
  }

  DeregisterInstance = async (input: { ServiceId: string; InstanceId: string }, ctx: RequestContext) => {
    const service = await this.serviceRow(input.ServiceId, ctx);
    const inst = await this.instance(service, input.InstanceId, ctx);
    await this.removeRecords(service, inst.doc, ctx);
    if (inst.doc.healthCheckId) await this.platform.call('route53', 'DeleteHealthCheck', { HealthCheckId: inst.doc.healthCheckId }, this.callContext(ctx)).catch(() => {});
    await this.store.delete('instance', inst.id);
    return { OperationId: await this.operation(ctx, 'DEREGISTER_INSTANCE', { SERVICE: service.id, INSTANCE: input.InstanceId }) };
  };

  GetInstance = async (input: { ServiceId: string; InstanceId: string }, ctx: RequestContext): Promise<{ Instance: Instance; ResourceOwner: string }> => {
    const service = await this.serviceRow(input.ServiceId, ctx);
    const inst = await this.instance(service, input.InstanceId, ctx);
    return {
      Instance: { Id: inst.doc.id, ...(inst.doc.creatorRequestId ? { CreatorRequestId: inst.doc.creatorRequestId } : {}), Attributes: inst.doc.attributes, CreatedByAccount: inst.accountId },
      ResourceOwner: inst.accountId,
    };
  };

  ListInstances = async (input: { ServiceId: string; NextToken?: string; MaxResults?: number }, ctx: RequestContext) => {
    const service = await this.serviceRow(input.ServiceId, ctx);
    const rows = await this.store.list<InstanceDoc>(ctx.accountId, ctx.region, 'instance', service.id);
    const { page, next } = paginate(rows, input.NextToken, input.MaxResults ?? 100);
    return { Instances: page.map((r) => ({ Id: r.doc.id, Attributes: r.doc.attributes, CreatedByAccount: r.accountId })), ResourceOwner: service.accountId, ...(next ? { NextToken: next } : {}) };
  };

  private async discoverable(namespaceName: string, serviceName: string, ctx: RequestContext): Promise<{ service: SdRow<ServiceDoc>; instances: SdRow<InstanceDoc>[] }> {
    const ns =
      (await this.store.byName<NamespaceDoc>(ctx.accountId, ctx.region, 'namespace', '', namespaceName)) ??
      (await this.store.byName<NamespaceDoc>(ctx.accountId, ctx.region, 'namespace', '', namespaceName.replace(/\.$/, '').toLowerCase()));
    if (!ns) throw new NamespaceNotFound(`Namespace not found: ${namespaceName}`);
    const service = await this.store.byName<ServiceDoc>(ctx.accountId, ctx.region, 'service', ns.id, serviceName);
    if (!service) throw new ServiceNotFound(`Service not found: ${serviceName}`);
    return { service, instances: await this.store.list<InstanceDoc>(ctx.accountId, ctx.region, 'instance', service.id) };
  }

  DiscoverInstances = async (input: DiscoverInstancesRequest, ctx: RequestContext): Promise<DiscoverInstancesResult> => {
    const { service, instances } = await this.discoverable(input.NamespaceName, input.ServiceName, ctx);
    const healthOf = await this.healthOf(instances, ctx);
    const filter = input.HealthStatus ?? 'ALL';
    let found = instances.filter((i) => Object.entries(input.QueryParameters ?? {}).every(([k, v]) => i.doc.attributes[k] === v));
    if (filter === 'HEALTHY' || filter === 'HEALTHY_OR_ELSE_ALL') {
      const healthy = found.filter((i) => healthOf(i) === 'HEALTHY');
      found = healthy.length > 0 || filter === 'HEALTHY' ? healthy : found;
    } else if (filter === 'UNHEALTHY') found = found.filter((i) => healthOf(i) === 'UNHEALTHY');
    const optional = Object.entries(input.OptionalParameters ?? {});
    if (optional.length > 0) {
      const narrowed = found.filter((i) => optional.every(([k, v]) => i.doc.attributes[k] === v));
      if (narrowed.length > 0) found = narrowed;
    }
    const limit = Math.min(input.MaxResults ?? 100, MAX_DISCOVER);
    return {
      Instances: found.slice(0, limit).map((i) => ({
        InstanceId: i.doc.id,
        NamespaceName: input.NamespaceName,
        ServiceName: service.doc.name,
        HealthStatus: healthOf(i),
        Attributes: i.doc.attributes,
      })),
      InstancesRevision: revisionOf(instances),
    };
  };

  DiscoverInstancesRevision = async (input: { NamespaceName: string; ServiceName: string }, ctx: RequestContext) => {
    const { instances } = await this.discoverable(input.NamespaceName, input.ServiceName, ctx);
    return { InstancesRevision: revisionOf(instances) };
  };

  /** Each instance's health: its custom status, its Route 53 check's, or HEALTHY. */
  private async healthOf(instances: SdRow<InstanceDoc>[], ctx: RequestContext): Promise<(i: SdRow<InstanceDoc>) => HealthStatus> {
    const checks = new Map<string, HealthStatus>();
    for (const i of instances) {
      if (!i.doc.healthCheckId) continue;
      const status = await this.platform
        .call<{ HealthCheckObservations: { StatusReport?: { Status?: string } }[] }>('route53', 'GetHealthCheckStatus', { HealthCheckId: i.doc.healthCheckId }, this.callContext(ctx))
        .catch(() => undefined);
      const report = status?.HealthCheckObservations[0]?.StatusReport?.Status;
      checks.set(i.doc.healthCheckId, report === undefined ? 'UNKNOWN' : report.startsWith('Success') ? 'HEALTHY' : 'UNHEALTHY');
    }
    return (i) => (i.doc.healthCheckId ? (checks.get(i.doc.healthCheckId) ?? 'UNKNOWN') : i.doc.health);
  }

  GetInstancesHealthStatus = async (input: { ServiceId: string; Instances?: string[]; MaxResults?: number; NextToken?: string }, ctx: RequestContext) => {
    const service = await this.serviceRow(input.ServiceId, ctx);
    if (!service.doc.healthCheckConfig && !service.doc.healthCheckCustomConfig) throw new InvalidInput('The service has no health check configuration.');
    let rows = await this.store.list<InstanceDoc>(ctx.accountId, ctx.region, 'instance', service.id);
    if (input.Instances) {
      for (const id of input.Instances) if (!rows.some((r) => r.doc.id === id)) throw new InstanceNotFound(`Instance not found: ${id}`);
      rows = rows.filter((r) => input.Instances!.includes(r.doc.id));
    }
    const healthOf = await this.healthOf(rows, ctx);
    const { page, next } = paginate(rows, input.NextToken, input.MaxResults ?? 100);
    return { Status: Object.fromEntries(page.map((r) => [r.doc.id, healthOf(r)])), ...(next ? { NextToken: next } : {}) };
  };

  UpdateInstanceCustomHealthStatus = async (input: { ServiceId: string; InstanceId: string; Status: 'HEALTHY' | 'UNHEALTHY' }, ctx: RequestContext) => {
    const service = await this.serviceRow(input.ServiceId, ctx);
    const inst = await this.instance(service, input.InstanceId, ctx);
    if (!service.doc.healthCheckCustomConfig) throw new CustomHealthNotFound(`The health check for instance ${input.InstanceId} is not a custom health check.`);
    if (inst.doc.health !== input.Status) {
      inst.doc.health = input.Status;
      await this.writeRecords(service, inst.doc, ctx);
      await this.store.update('instance', inst.id, inst.doc);
    }
    return {};
  };

  // ---- DNS records of instances

  /** The record sets an instance should have in its namespace's zone now (none while it is unhealthy). */
  private async desiredRecords(service: SdRow<ServiceDoc>, inst: InstanceDoc): Promise<{ zoneId: string; sets: ResourceRecordSet[] } | undefined> {
    const config = service.doc.dnsConfig;
    if (!config) return undefined;
    const ns = await this.store.get<NamespaceDoc>('namespace', service.doc.namespaceId);
    if (!ns?.doc.hostedZoneId) return undefined;
    if (inst.health === 'UNHEALTHY' && service.doc.healthCheckCustomConfig) return { zoneId: ns.doc.hostedZoneId, sets: [] };
    const a = inst.attributes;
    const name = `${service.doc.name}.${ns.doc.name}.`;
    const routing = config.RoutingPolicy === 'WEIGHTED' ? { Weight: 1 } : { MultiValueAnswer: true };
    const check = inst.healthCheckId ? { HealthCheckId: inst.healthCheckId } : {};
    const sets: ResourceRecordSet[] = [];
    if (a.AWS_ALIAS_DNS_NAME) {
      sets.push({ Name: name, Type: 'A', AliasTarget: { HostedZoneId: ns.doc.hostedZoneId, DNSName: a.AWS_ALIAS_DNS_NAME, EvaluateTargetHealth: false } });
      return { zoneId: ns.doc.hostedZoneId, sets };
    }
    const host = `${inst.id}.${name}`;
    for (const record of config.DnsRecords) {
      const base = { Name: name, Type: record.Type, SetIdentifier: inst.id, TTL: record.TTL, ...routing, ...check };
      if (record.Type === 'A' && a.AWS_INSTANCE_IPV4) sets.push({ ...base, ResourceRecords: [{ Value: a.AWS_INSTANCE_IPV4 }] });
      if (record.Type === 'AAAA' && a.AWS_INSTANCE_IPV6) sets.push({ ...base, ResourceRecords: [{ Value: a.AWS_INSTANCE_IPV6 }] });
      if (record.Type === 'CNAME' && a.AWS_INSTANCE_CNAME) sets.push({ ...base, ResourceRecords: [{ Value: a.AWS_INSTANCE_CNAME }] });
      if (record.Type === 'SRV') {
        sets.push({ ...base, ResourceRecords: [{ Value: `1 1 ${a.AWS_INSTANCE_PORT ?? '80'} ${host}` }] });
        if (a.AWS_INSTANCE_IPV4) sets.push({ Name: host, Type: 'A', TTL: record.TTL, ResourceRecords: [{ Value: a.AWS_INSTANCE_IPV4 }] });
        if (a.AWS_INSTANCE_IPV6) sets.push({ Name: host, Type: 'AAAA', TTL: record.TTL, ResourceRecords: [{ Value: a.AWS_INSTANCE_IPV6 }] });
      }
    }
    return { zoneId: ns.doc.hostedZoneId, sets };
  }

  /** Replaces the instance's record sets by those it should have, in one Route 53 change. */
  private async writeRecords(service: SdRow<ServiceDoc>, inst: InstanceDoc, ctx: RequestContext): Promise<void> {
    const desired = await this.desiredRecords(service, inst);
    if (!desired) return;
    const key = (s: ResourceRecordSet) => `${s.Name}|${s.Type}|${s.SetIdentifier ?? ''}`;
    const keep = new Set(desired.sets.map(key));
    const changes = [
      ...inst.records.filter((s) => !keep.has(key(s))).map((s) => ({ Action: 'DELETE', ResourceRecordSet: s })),
      ...desired.sets.map((s) => ({ Action: 'UPSERT', ResourceRecordSet: s })),
    ];
    if (changes.length > 0) await this.change(desired.zoneId, changes, ctx);
    inst.records = desired.sets;
  }

  private async removeRecords(service: SdRow<ServiceDoc>, inst: InstanceDoc, ctx: RequestContext): Promise<void> {
    const ns = await this.store.get<NamespaceDoc>('namespace', service.doc.namespaceId);
    if (!ns?.doc.hostedZoneId || inst.records.length === 0) return;
    await this.change(ns.doc.hostedZoneId, inst.records.map((s) => ({ Action: 'DELETE', ResourceRecordSet: s })), ctx);
    inst.records = [];
  }

  private async change(zoneId: string, changes: { Action: string; ResourceRecordSet: ResourceRecordSet }[], ctx: RequestContext): Promise<void> {
    try {
      await this.platform.call('route53', 'ChangeResourceRecordSets', { HostedZoneId: zoneId, ChangeBatch: { Changes: changes } }, this.callContext(ctx));
    } catch (error) {
      // Records changed behind Cloud Map's back (deleted by hand): apply what still applies, one by one.
      if ((error as { code?: string }).code !== 'InvalidChangeBatch' || changes.length === 1) {
        if ((error as { code?: string }).code === 'InvalidChangeBatch') return;
        throw error;
      }
      for (const c of changes) await this.change(zoneId, [c], ctx);
    }
  }

  // ---- operations and tags

  private async operation(ctx: RequestContext, type: OperationType, targets: Record<string, string>): Promise<string> {
    const id = `${randomHex(16)}-${randomHex(4)}`;
    const now = Date.now();
    await this.store.insert<OperationDoc>({ kind: 'operation', id, accountId: ctx.accountId, region: ctx.region, parent: '', name: id, created: now, doc: { type, status: 'SUCCESS', targets, updated: now } });
    return id;
  }

  GetOperation = async (input: { OperationId: string }, ctx: RequestContext): Promise<{ Operation: Operation }> => {
    const row = await this.store.get<OperationDoc>('operation', input.OperationId);
    if (!row || row.accountId !== ctx.accountId || row.region !== ctx.region) throw new OperationNotFound(`Operation not found: ${input.OperationId}`);
    return {
      Operation: {
        Id: row.id,
        OwnerAccount: row.accountId,
        Type: row.doc.type,
        Status: row.doc.status,
        CreateDate: new Date(row.created),
        UpdateDate: new Date(row.doc.updated),
        Targets: row.doc.targets,
      },
    };
  };

  ListOperations = async (input: { NextToken?: string; MaxResults?: number; Filters?: { Name: string; Values: string[]; Condition?: string }[] }, ctx: RequestContext) => {
    let rows = await this.store.list<OperationDoc>(ctx.accountId, ctx.region, 'operation');
    for (const f of input.Filters ?? []) {
      const value = (r: SdRow<OperationDoc>) =>
        f.Name === 'NAMESPACE_ID' ? (r.doc.targets.NAMESPACE ?? '') : f.Name === 'SERVICE_ID' ? (r.doc.targets.SERVICE ?? '') : f.Name === 'STATUS' ? r.doc.status : f.Name === 'TYPE' ? r.doc.type : String(r.doc.updated);
      if (f.Name === 'UPDATE_DATE') continue;
      rows = rows.filter((r) => matches(value(r), f.Values, f.Condition));
    }
    const { page, next } = paginate(rows, input.NextToken, input.MaxResults ?? 100);
    return { Operations: page.map((r) => ({ Id: r.id, Status: r.doc.status })), ...(next ? { NextToken: next } : {}) };
  };

  private async tagged(arn: string, ctx: RequestContext): Promise<SdRow<NamespaceDoc | ServiceDoc>> {
    const m = /^arn:aws:servicediscovery:[^:]+:\d{12}:(namespace|service)\/(.+)$/.exec(arn);
    const row = m ? await this.store.get<NamespaceDoc | ServiceDoc>(m[1] as 'namespace' | 'service', m[2]!) : undefined;
    if (!row || row.accountId !== ctx.accountId) throw new ResourceNotFoundException(`The operation can't be completed because the resource ${arn} was not found.`);
    return row;
  }

  TagResource = async (input: { ResourceARN: string; Tags: Tag[] }, ctx: RequestContext) => {
    const row = await this.tagged(input.ResourceARN, ctx);
    const tags = row.doc.tags.filter((t) => !input.Tags.some((n) => n.Key === t.Key));
    await this.store.update(row.kind, row.id, { ...row.doc, tags: [...tags, ...input.Tags] });
    return {};
  };

  UntagResource = async (input: { ResourceARN: string; TagKeys: string[] }, ctx: RequestContext) => {
    const row = await this.tagged(input.ResourceARN, ctx);
    await this.store.update(row.kind, row.id, { ...row.doc, tags: row.doc.tags.filter((t) => !input.TagKeys.includes(t.Key)) });
    return {};
  };

  ListTagsForResource = async (input: { ResourceARN: string }, ctx: RequestContext) => ({ Tags: (await this.tagged(input.ResourceARN, ctx)).doc.tags });

  private arn(kind: string, id: string, ctx: { region: string; accountId: string }): string {
    return `arn:aws:servicediscovery:${ctx.region}:${ctx.accountId}:${kind}/${id}`;
  }

  /** Calls to Route 53 act for the caller's account (as the platform, not as the caller). */
  private callContext(ctx: RequestContext): CallContext {
    return { accountId: ctx.accountId, region: ctx.region, requestId: ctx.requestId, traceId: ctx.traceId };
  }
}

function checkDnsConfig(config: DnsConfig): void {
  const types = config.DnsRecords.map((r) => r.Type);
  if (types.length === 0) throw new InvalidInput('DnsRecords must contain at least one record.');
  if (new Set(types).size !== types.length) throw new InvalidInput('DnsRecords can\'t contain two records of the same type.');
  if (types.includes('CNAME') && (types.length > 1 || config.RoutingPolicy !== 'WEIGHTED')) {
    throw new InvalidInput('A CNAME record must be the only record and requires the WEIGHTED routing policy.');
  }
  if (types.includes('SRV') && types.includes('CNAME')) throw new InvalidInput('SRV and CNAME records can\'t be combined.');
}

function checkAttributes(service: ServiceDoc, attrs: Record<string, string>): void {
  const records = service.dnsConfig?.DnsRecords.map((r) => r.Type) ?? [];
  if (attrs.AWS_ALIAS_DNS_NAME) {
    if (service.dnsConfig?.RoutingPolicy !== 'WEIGHTED' || service.healthCheckConfig || Object.keys(attrs).some((k) => k.startsWith('AWS_INSTANCE_'))) {
      throw new InvalidInput('AWS_ALIAS_DNS_NAME requires the WEIGHTED routing policy, no HealthCheckConfig and no other AWS_INSTANCE_ attributes.');
    }
    return;
  }
  if (records.includes('A') && !attrs.AWS_INSTANCE_IPV4 && !(records.includes('AAAA') && attrs.AWS_INSTANCE_IPV6)) {
    throw new InvalidInput('AWS_INSTANCE_IPV4 is required for a service with an A record.');
  }
  if (records.includes('AAAA') && !attrs.AWS_INSTANCE_IPV6 && !(records.includes('A') && attrs.AWS_INSTANCE_IPV4)) {
    throw new InvalidInput('AWS_INSTANCE_IPV6 is required for a service with an AAAA record.');
  }
  if (records.includes('SRV') && !attrs.AWS_INSTANCE_PORT) throw new InvalidInput('AWS_INSTANCE_PORT is required for a service with an SRV record.');
  if (records.includes('CNAME') && !attrs.AWS_INSTANCE_CNAME) throw new InvalidInput('AWS_INSTANCE_CNAME is required for a service with a CNAME record.');
  if (attrs.AWS_INSTANCE_IPV4 !== undefined && !/^(\d{1,3})(\.\d{1,3}){3}$/.test(attrs.AWS_INSTANCE_IPV4)) throw new InvalidInput(`AWS_INSTANCE_IPV4 is not a valid IPv4 address: ${attrs.AWS_INSTANCE_IPV4}`);
  if (attrs.AWS_INSTANCE_PORT !== undefined && !(/^\d+$/.test(attrs.AWS_INSTANCE_PORT) && Number(attrs.AWS_INSTANCE_PORT) <= 65535)) {
    throw new InvalidInput(`AWS_INSTANCE_PORT is not a valid port: ${attrs.AWS_INSTANCE_PORT}`);
  }
}

function matches(value: string, values: string[], condition = 'EQ'): boolean {
  if (condition === 'BEGINS_WITH') return values.some((v) => value.startsWith(v));
  return values.includes(value);
}

function paginate<T>(rows: T[], token: string | undefined, max: number): { page: T[]; next?: string } {
  const start = token ? Number(Buffer.from(token, 'base64url').toString()) || 0 : 0;
  const page = rows.slice(start, start + max);
  return { page, ...(start + max < rows.length ? { next: Buffer.from(String(start + max)).toString('base64url') } : {}) };
}

/** A revision that changes whenever the set of instances or their attributes change. */
function revisionOf(instances: SdRow<InstanceDoc>[]): number {
  let h = 0;
  for (const i of instances) for (const c of JSON.stringify([i.doc.id, i.doc.attributes, i.doc.health])) h = (h * 31 + c.charCodeAt(0)) | 0;
  return Math.abs(h) + instances.length;
}
