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
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import type { OperationHandler, PlatformContext, RequestContext, ServiceFactory, ServiceProvider } from '@atoll/core';
import type { AddTagsRequest, CreateLoadBalancerRequest, DescribeLoadBalancersRequest, DescribeTagsRequest, RemoveTagsRequest, TagDescription } from '@atoll/aws-models/elbv2';
import { applyAttributes, attributeList, defaultAttributes } from './attributes.js';
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
import { Elbv2Store } from './elbv2-store.js';
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
  readonly #platform: PlatformContext;
  readonly #groups: TargetGroupOperations;
  readonly #listeners: ListenerOperations;

  constructor(platform: PlatformContext, dir = join(platform.config.dataDir, 'elbv2')) {
    this.#platform = platform;
    this.store = new Elbv2Store(dir);
    this.planes = new LoadBalancerPlanes(platform, platform.logger, join(dir, 'certificates'));
    this.#groups = new TargetGroupOperations(this.store, this.planes);
    this.#listeners = new ListenerOperations(this.store, this.planes, this.#groups);
    const g = this.#groups;
    const l = this.#listeners;
    this.operations = {
      CreateLoadBalancer: (i: CreateLoadBalancerRequest, c: RequestContext) => this.createLoadBalancer(i, c),
      DescribeLoadBalancers: (i: DescribeLoadBalancersRequest, c: RequestContext) => this.describeLoadBalancers(i, c),
      DeleteLoadBalancer: (i: { LoadBalancerArn: string }, c: RequestContext) => this.deleteLoadBalancer(i, c),
      DescribeLoadBalancerAttributes: (i: { LoadBalancerArn: string }, c: RequestContext) => ({ Attributes: attributeList(this.#loadBalancer(i.LoadBalancerArn, c).attributes) }),
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

  /** Re-creates the data plane from the stored state: target groups first, then every listener. */
  async start(): Promise<void> {
    for (const tg of this.store.targetGroups.all()) this.planes.pushTargetGroup(tg);
    for (const listener of this.store.listeners.all()) {
      try {
        await this.#listeners.push(listener);
      } catch (error) {
        this.#platform.logger.error({ err: error, listener: listener.arn, port: listener.port }, 'cannot bind load balancer listener');
      }
    }
  }

  async close(): Promise<void> {
    await this.planes.close();
    this.store.close();
  }

  #loadBalancer(arn: string, ctx: RequestContext): LoadBalancerRecord {
    const lb = this.store.loadBalancers.get(arn);
    if (!lb || lb.accountId !== ctx.accountId || lb.region !== ctx.region) throw loadBalancerNotFound();
    return lb;
  }

  createLoadBalancer(input: CreateLoadBalancerRequest, ctx: RequestContext) {
    checkName('Load balancer', input.Name);
    const type = input.Type ?? 'application';
    if (type === 'gateway') throw validationError(`Load balancer type 'gateway' is not supported by Atoll`);
    const scheme = input.Scheme ?? 'internet-facing';
    const subnets = input.Subnets ?? input.SubnetMappings?.map((m) => m.SubnetId ?? '').filter(Boolean) ?? [];
    const existing = this.store.loadBalancers.list(ctx.accountId, ctx.region).find((lb) => lb.name === input.Name);
    if (existing) {
      if (existing.type === type && existing.scheme === scheme) return { LoadBalancers: [loadBalancerShape(existing)] };
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
    this.store.transaction(() => {
      this.store.loadBalancers.put(lb);
      if (input.Tags?.length) this.store.putTags(lb.arn, input.Tags);
    });
    return { LoadBalancers: [loadBalancerShape(lb)] };
  }

  describeLoadBalancers(input: DescribeLoadBalancersRequest, ctx: RequestContext) {
    let lbs = this.store.loadBalancers.list(ctx.accountId, ctx.region);
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
    const lb = this.store.loadBalancers.get(input.LoadBalancerArn);
    if (!lb || lb.accountId !== ctx.accountId || lb.region !== ctx.region) return {};
    if (lb.attributes['deletion_protection.enabled'] === 'true') {
      throw new OperationNotPermittedException(`Load balancer '${lb.arn}' cannot be deleted because deletion protection is enabled`);
    }
    for (const listener of this.store.listeners.byParent(lb.arn)) await this.#listeners.remove(listener);
    this.store.transaction(() => {
      this.store.loadBalancers.delete(lb.arn);
      this.store.deleteAllTags(lb.arn);
    });
    return {};
  }

  async modifyLoadBalancerAttributes(input: { LoadBalancerArn: string; Attributes: { Key?: string; Value?: string }[] }, ctx: RequestContext) {
    const lb = this.#loadBalancer(input.LoadBalancerArn, ctx);
    lb.attributes = applyAttributes(lb.type, lb.attributes, input.Attributes);
    this.store.loadBalancers.put(lb);
    for (const listener of this.store.listeners.byParent(lb.arn)) await this.#listeners.push(listener);
    return { Attributes: attributeList(lb.attributes) };
  }

  /** Checks that a taggable resource exists in the caller's scope, with the not-found error of its kind. */
  #checkResource(arn: string, ctx: RequestContext): void {
    const resource = arn.split(':')[5] ?? '';
    const kind = resource.slice(0, resource.indexOf('/'));
    const record =
      kind === 'loadbalancer' ? this.store.loadBalancers.get(arn)
        : kind === 'targetgroup' ? this.store.targetGroups.get(arn)
          : kind === 'listener' ? this.store.listeners.get(arn)
            : kind === 'listener-rule' ? this.store.rules.get(arn)
              : undefined;
    if (record && record.accountId === ctx.accountId && record.region === ctx.region) return;
    if (kind === 'targetgroup') throw targetGroupNotFound();
    if (kind === 'listener') throw listenerNotFound();
    if (kind === 'listener-rule') throw ruleNotFound();
    throw loadBalancerNotFound();
  }

  addTags(input: AddTagsRequest, ctx: RequestContext) {
    if (new Set(input.Tags.map((t) => t.Key)).size !== input.Tags.length) throw new DuplicateTagKeysException('Tag keys must be unique');
    for (const arn of input.ResourceArns) this.#checkResource(arn, ctx);
    for (const arn of input.ResourceArns) {
      const keys = new Set(this.store.tags(arn).map((t) => t.Key));
      for (const t of input.Tags) keys.add(t.Key);
      if (keys.size > MAX_TAGS) throw new TooManyTagsException(`A resource can have at most ${MAX_TAGS} tags`);
    }
    this.store.transaction(() => {
      for (const arn of input.ResourceArns) this.store.putTags(arn, input.Tags);
    });
    return {};
  }

  removeTags(input: RemoveTagsRequest, ctx: RequestContext) {
    for (const arn of input.ResourceArns) this.#checkResource(arn, ctx);
    this.store.transaction(() => {
      for (const arn of input.ResourceArns) this.store.removeTags(arn, input.TagKeys);
    });
    return {};
  }

  describeTags(input: DescribeTagsRequest, ctx: RequestContext): { TagDescriptions: TagDescription[] } {
    for (const arn of input.ResourceArns) this.#checkResource(arn, ctx);
    return { TagDescriptions: input.ResourceArns.map((arn) => ({ ResourceArn: arn, Tags: this.store.tags(arn) })) };
  }
}

export const createElbv2Service: ServiceFactory = (platform) => new Elbv2Provider(platform);
