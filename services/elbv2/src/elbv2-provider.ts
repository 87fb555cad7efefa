// Elastic Load Balancing v2 (query protocol): application and network load balancers, target
// groups, listeners, rules, attributes and tags, served by the HTTP and TCP data planes.
//
// Known limitations:
// - Listener ports are bound on 127.0.0.1 exactly as requested (the port in the API is the port you
//   connect to). A port that is in use, or privileged (< 1024) without the rights, fails CreateListener
//   / ModifyListener with InvalidConfigurationRequest; two load balancers cannot share a listener port.
//   The DNS name (`<name>-<digits>.<region>.elb.localhost`) is informational; connect to 127.0.0.1.
// - Network load balancers support TCP listeners only (TLS, UDP and TCP_UDP answer UnsupportedProtocol);
//   stickiness for NLB (source_ip) is not applied beyond the flow hash. Client IP preservation needs the
//   target group attribute proxy_protocol_v2.enabled (PROXY v2 header); otherwise targets see 127.0.0.1.
// - Actions authenticate-oidc, authenticate-cognito and jwt-validation are refused (ValidationError).
// - HTTPS listeners take certificates from PEM files: CertificateArn `file:///path/cert.pem` (key in
//   `cert.key`, `cert.pem.key`, `cert-key.pem` or the same PEM), or an ACM-style ARN whose id names
//   `<dataDir>/elbv2/certificates/<id>.pem`. No ACM integration, SNI certificate lists or SSL policies.
// - Target type `alb` is refused; `instance` targets are this machine (127.0.0.1) on the given port,
//   and instance target groups also accept IP addresses (ECS registers tasks by address).
//   Lambda targets are invoked through the Lambda service and are not health checked.
// - When no target is healthy the load balancer answers 503 (AWS fails open to all targets instead).
//   A target still in `initial` is probed every second until it is healthy or unhealthy (not every
//   interval), so that new targets take traffic quickly. Slow start, app-cookie stickiness,
//   weighted_random, anomaly mitigation and cross-zone settings are stored but have no effect.
// - The ALB data plane speaks HTTP/1.1 (and HTTP/1.0) only: no HTTP/2 or gRPC (routing.http2.enabled
//   is stored only), no access or connection logs. The load balancer's idle timeout is both the client
//   keep-alive idle limit and the time a target may stay silent before the request gets 504.
//   Request and response heads are limited to 64 KiB; X-Forwarded-For is always appended
//   (routing.http.xff_header_processing.mode and preserve_host_header are stored only; Host always passes).
// - Trust stores, listener certificates lists, SSL policies, account limits, capacity reservations,
//   SetSubnets/SetSecurityGroups/SetIpAddressType and resource policies are not implemented (501).
// - Several nodes (PostgreSQL): the data planes (every listener port, health checks, Lambda targets)
//   run on one node only, the leader of `elbv2:data-planes`, which rebuilds them from the database
//   when it takes the lead and after each change made on another node (the `elbv2.config` signal).
//   A change made on another node is stored first and bound by the leader moments later, so a port
//   that the leader's machine cannot bind (used by another program, privileged) is reported in the
//   leader's log, not to the caller (a port held by another listener is still refused at once).
//   DescribeTargetHealth answers from the data planes of the node it reaches: on a node that does
//   not lead them, registered targets stay `initial` (Elb.RegistrationInProgress). `file://`
//   certificates are read on the node that checks them and on the leader; ACM-style certificate files
//   live under the shared blob directory (`<blobDir>/elbv2/certificates/`).
// - Added to ELBv2's model since 2023 (botocore 1.43) and not implemented: DescribeCapacityReservation,
//   ModifyCapacityReservation and ModifyIpPools (501); rule Transforms, RegexValues conditions, JWT
//   validation actions, TargetControlPort and IPAM pools are not applied.
import { randomInt, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { OperationHandler, PlatformContext, RequestContext, ServiceFactory, ServiceProvider } from '@atoll/core';
import type { AddTagsRequest, CreateLoadBalancerRequest, DescribeLoadBalancersRequest, DescribeTagsRequest, RemoveTagsRequest, TagDescription } from '@atoll/aws-models/elbv2';
import { applyAttributes, attributeList, defaultAttributes } from './attributes.js';
import { DataPlaneLeader } from './data-plane-leader.js';
import { LoadBalancerPlanes } from './data-planes.js';
import {
  DuplicateLoadBalancerNameException,
  DuplicateTagKeysException,
  OperationNotPermittedException,
  TooManyTagsException,
  listenerNotFound,
  loadBalancerNotFound,
  ruleNotFound,
  targetGroupNotFound,
  validationError,
} from './elbv2-errors.js';
import { Elbv2Store, type Elbv2Reader } from './elbv2-store.js';
import { ListenerOperations } from './listener-operations.js';
import type { LoadBalancerRecord } from './records.js';
import { checkName, elbArn, loadBalancerShape, newResourceId, paginate } from './shapes.js';
import { TargetGroupOperations } from './target-group-operations.js';

const MAX_TAGS = 50;

export class Elbv2Provider implements ServiceProvider {
  readonly service = 'elbv2';
  readonly operations: Partial<Record<string, OperationHandler>>;
  readonly store: Elbv2Store;
  readonly planes: LoadBalancerPlanes;
  readonly dataPlanes: DataPlaneLeader;
  readonly #groups: TargetGroupOperations;
  readonly #listeners: ListenerOperations;

  constructor(platform: PlatformContext, store: Elbv2Store) {
    this.store = store;
    this.planes = new LoadBalancerPlanes(platform, platform.logger, join(platform.storage.blobDir, 'elbv2', 'certificates'));
    this.dataPlanes = new DataPlaneLeader(store, this.planes, platform.storage.leadership, store.db.signals, platform.logger);
    this.#groups = new TargetGroupOperations(this.store, this.dataPlanes);
    this.#listeners = new ListenerOperations(this.store, this.dataPlanes, this.#groups);
    const g = this.#groups;
    const l = this.#listeners;
    this.operations = {
      CreateLoadBalancer: (i: CreateLoadBalancerRequest, c: RequestContext) => this.createLoadBalancer(i, c),
      DescribeLoadBalancers: (i: DescribeLoadBalancersRequest, c: RequestContext) => this.describeLoadBalancers(i, c),
      DeleteLoadBalancer: (i: { LoadBalancerArn: string }, c: RequestContext) => this.deleteLoadBalancer(i, c),
      DescribeLoadBalancerAttributes: async (i: { LoadBalancerArn: string }, c: RequestContext) => ({ Attributes: attributeList((await this.#loadBalancer(i.LoadBalancerArn, c)).attributes) }),
      ModifyLoadBalancerAttributes: (i: { LoadBalancerArn: string; Attributes: { Key?: string; Value?: string }[] }, c: RequestContext) => this.modifyLoadBalancerAttributes(i, c),
      CreateTargetGroup: g.create.bind(g),
      DescribeTargetGroups: g.describe.bind(g),
      ModifyTargetGroup: g.modify.bind(g),
      DeleteTargetGroup: g.delete.bind(g),
      DescribeTargetGroupAttributes: g.describeAttributes.bind(g),
      ModifyTargetGroupAttributes: g.modifyAttributes.bind(g),
      RegisterTargets: g.register.bind(g),
      DeregisterTargets: g.deregister.bind(g),
      DescribeTargetHealth: g.health.bind(g),
      CreateListener: l.create.bind(l),
      ModifyListener: l.modify.bind(l),
      DeleteListener: l.delete.bind(l),
      DescribeListeners: l.describe.bind(l),
      DescribeListenerAttributes: l.describeAttributes.bind(l),
      ModifyListenerAttributes: l.modifyAttributes.bind(l),
      CreateRule: l.createRule.bind(l),
      ModifyRule: l.modifyRule.bind(l),
      DeleteRule: l.deleteRule.bind(l),
      DescribeRules: l.describeRules.bind(l),
      SetRulePriorities: l.setPriorities.bind(l),
      AddTags: (i: AddTagsRequest, c: RequestContext) => this.addTags(i, c),
      RemoveTags: (i: RemoveTagsRequest, c: RequestContext) => this.removeTags(i, c),
      DescribeTags: (i: DescribeTagsRequest, c: RequestContext) => this.describeTags(i, c),
    };
  }

  /** Asks to run the data planes; when this node runs them, they are built from the stored state first. */
  async start(): Promise<void> {
    await this.dataPlanes.start();
  }

  async close(): Promise<void> {
    await this.dataPlanes.close();
    await this.store.close();
  }

  async #loadBalancer(arn: string, ctx: RequestContext, records: Elbv2Reader = this.store): Promise<LoadBalancerRecord> {
    const lb = await records.loadBalancers.get(arn);
    if (!lb || lb.accountId !== ctx.accountId || lb.region !== ctx.region) throw loadBalancerNotFound();
    return lb;
  }

  async createLoadBalancer(input: CreateLoadBalancerRequest, ctx: RequestContext) {
    checkName('Load balancer', input.Name);
    const type = input.Type ?? 'application';
    if (type === 'gateway') throw validationError(`Load balancer type 'gateway' is not supported by Atoll`);
    const scheme = input.Scheme ?? 'internet-facing';
    const subnets = input.Subnets ?? input.SubnetMappings?.map((m) => m.SubnetId ?? '').filter(Boolean) ?? [];
    const sameSettings = (lb: LoadBalancerRecord) => lb.type === type && lb.scheme === scheme;
    const existing = (await this.store.loadBalancers.list(ctx.accountId, ctx.region)).find((lb) => lb.name === input.Name);
    if (existing) {
      if (sameSettings(existing)) return { LoadBalancers: [loadBalancerShape(existing)] };
      throw new DuplicateLoadBalancerNameException('A load balancer with the same name exists, but with different settings');
    }
    if (input.Tags && new Set(input.Tags.map((t) => t.Key)).size !== input.Tags.length) throw new DuplicateTagKeysException('Tag keys must be unique');
    const prefix = type === 'network' ? 'net' : 'app';
    const lb: LoadBalancerRecord = {
      arn: elbArn(ctx.accountId, ctx.region, `loadbalancer/${prefix}/${input.Name}/${newResourceId()}`),
      accountId: ctx.accountId,
      region: ctx.region,
      name: input.Name,
      type,
      scheme,
      ipAddressType: input.IpAddressType ?? 'ipv4',
      dnsName: `${scheme === 'internal' ? 'internal-' : ''}${input.Name}-${randomInt(1_000_000_000, 2_000_000_000)}.${ctx.region}.elb.localhost`,
      createdTime: new Date().toISOString(),
      securityGroups: input.SecurityGroups ?? [],
      subnets,
      attributes: defaultAttributes(type),
    };
    // Another node may have created the name meanwhile: the check is made again where the write is.
    const stored = await this.store.transaction(async (tx) => {
      const found = (await tx.loadBalancers.list(ctx.accountId, ctx.region)).find((x) => x.name === input.Name);
      if (found) return found;
      await tx.loadBalancers.put(lb);
      if (input.Tags?.length) await tx.putTags(lb.arn, input.Tags);
      return lb;
    });
    if (stored !== lb && !sameSettings(stored)) throw new DuplicateLoadBalancerNameException('A load balancer with the same name exists, but with different settings');
    return { LoadBalancers: [loadBalancerShape(stored)] };
  }

  async describeLoadBalancers(input: DescribeLoadBalancersRequest, ctx: RequestContext) {
    let lbs = await this.store.loadBalancers.list(ctx.accountId, ctx.region);
    if (input.LoadBalancerArns?.length) {
      const wanted = input.LoadBalancerArns;
      if (!wanted.every((arn) => lbs.some((lb) => lb.arn === arn))) throw loadBalancerNotFound();
      lbs = wanted.map((arn) => lbs.find((lb) => lb.arn === arn)!);
    }
    if (input.Names?.length) {
      const wanted = input.Names;
      if (!wanted.every((n) => lbs.some((lb) => lb.name === n))) throw loadBalancerNotFound();
      lbs = wanted.map((n) => lbs.find((lb) => lb.name === n)!);
    }
    const { page, next } = paginate(lbs, input.Marker, input.PageSize);
    return { LoadBalancers: page.map(loadBalancerShape), ...(next ? { NextMarker: next } : {}) };
  }

  async deleteLoadBalancer(input: { LoadBalancerArn: string }, ctx: RequestContext) {
    await this.dataPlanes.change(async (planes) => {
      const removed = await this.store.transaction(async (tx) => {
        const lb = await tx.loadBalancers.get(input.LoadBalancerArn);
        if (!lb || lb.accountId !== ctx.accountId || lb.region !== ctx.region) return [];
        if (lb.attributes['deletion_protection.enabled'] === 'true') {
          throw new OperationNotPermittedException(`Load balancer '${lb.arn}' cannot be deleted because deletion protection is enabled`);
        }
        const listeners = await tx.listeners.byParent(lb.arn);
        for (const listener of listeners) await this.#listeners.remove(tx, listener.arn);
        await tx.loadBalancers.delete(lb.arn);
        await tx.deleteAllTags(lb.arn);
        return listeners.map((l) => l.arn);
      });
      if (planes) for (const arn of removed) await planes.removeListener(arn);
    });
    return {};
  }

  async modifyLoadBalancerAttributes(input: { LoadBalancerArn: string; Attributes: { Key?: string; Value?: string }[] }, ctx: RequestContext) {
    return this.dataPlanes.change(async (planes) => {
      const lb = await this.store.transaction(async (tx) => {
        const found = await this.#loadBalancer(input.LoadBalancerArn, ctx, tx);
        found.attributes = applyAttributes(found.type, found.attributes, input.Attributes);
        await tx.loadBalancers.put(found);
        return found;
      });
      if (planes) await this.#listeners.push(planes, await this.store.listeners.byParent(lb.arn));
      return { Attributes: attributeList(lb.attributes) };
    });
  }

  /** Checks that a taggable resource exists in the caller's scope, with the not-found error of its kind. */
  async #checkResource(arn: string, ctx: RequestContext, records: Elbv2Reader = this.store): Promise<void> {
    const resource = arn.split(':')[5] ?? '';
    const kind = resource.slice(0, resource.indexOf('/'));
    const record =
      kind === 'loadbalancer' ? await records.loadBalancers.get(arn)
        : kind === 'targetgroup' ? await records.targetGroups.get(arn)
          : kind === 'listener' ? await records.listeners.get(arn)
            : kind === 'listener-rule' ? await records.rules.get(arn)
              : undefined;
    if (record && record.accountId === ctx.accountId && record.region === ctx.region) return;
    if (kind === 'targetgroup') throw targetGroupNotFound();
    if (kind === 'listener') throw listenerNotFound();
    if (kind === 'listener-rule') throw ruleNotFound();
    throw loadBalancerNotFound();
  }

  async addTags(input: AddTagsRequest, ctx: RequestContext) {
    if (new Set(input.Tags.map((t) => t.Key)).size !== input.Tags.length) throw new DuplicateTagKeysException('Tag keys must be unique');
    await this.store.transaction(async (tx) => {
      for (const arn of input.ResourceArns) await this.#checkResource(arn, ctx, tx);
      for (const arn of input.ResourceArns) {
        const keys = new Set((await tx.tags(arn)).map((t) => t.Key));
        for (const t of input.Tags) keys.add(t.Key);
        if (keys.size > MAX_TAGS) throw new TooManyTagsException(`A resource can have at most ${MAX_TAGS} tags`);
      }
      for (const arn of input.ResourceArns) await tx.putTags(arn, input.Tags);
    });
    return {};
  }

  async removeTags(input: RemoveTagsRequest, ctx: RequestContext) {
    await this.store.transaction(async (tx) => {
      for (const arn of input.ResourceArns) await this.#checkResource(arn, ctx, tx);
      for (const arn of input.ResourceArns) await tx.removeTags(arn, input.TagKeys);
    });
    return {};
  }

  async describeTags(input: DescribeTagsRequest, ctx: RequestContext): Promise<{ TagDescriptions: TagDescription[] }> {
    for (const arn of input.ResourceArns) await this.#checkResource(arn, ctx);
    const descriptions: TagDescription[] = [];
    for (const arn of input.ResourceArns) descriptions.push({ ResourceArn: arn, Tags: await this.store.tags(arn) });
    return { TagDescriptions: descriptions };
  }
}

export const createElbv2Service: ServiceFactory = async (platform) => new Elbv2Provider(platform, await Elbv2Store.open(platform.storage, randomUUID()));
