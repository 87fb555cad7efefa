// Target group operations: create, describe, modify, delete, attributes, target registration and
// target health. Target health comes from the data plane that serves the group.
import type { RequestContext } from '@atoll/core';
import { isIPv4, isIPv6 } from 'node:net';
import { isValidMatcher } from '@atoll/http-proxy';
import type {
  CreateTargetGroupRequest,
  DeregisterTargetsRequest,
  DescribeTargetGroupsRequest,
  DescribeTargetHealthRequest,
  ModifyTargetGroupRequest,
  RegisterTargetsRequest,
  TargetDescription,
  TargetHealthDescription,
} from '@atoll/aws-models/elbv2';
import { applyAttributes, attributeList, defaultAttributes, targetGroupKind } from './attributes.js';
import { LoadBalancerPlanes } from './data-planes.js';
import { DuplicateTargetGroupNameException, InvalidTargetException, ResourceInUseException, loadBalancerNotFound, targetGroupNotFound, validationError } from './elbv2-errors.js';
import type { Elbv2Store } from './elbv2-store.js';
import type { HealthCheckRecord, TargetGroupRecord } from './records.js';
import { forwardedGroups } from './rule-validation.js';
import { checkName, elbArn, newResourceId, paginate, targetGroupShape } from './shapes.js';

const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTPS']);
const TCP_PROTOCOLS = new Set(['TCP', 'TLS', 'UDP', 'TCP_UDP']);

type Scope = Pick<RequestContext, 'accountId' | 'region'>;

export class TargetGroupOperations {
  readonly #store: Elbv2Store;
  readonly #planes: LoadBalancerPlanes;

  constructor(store: Elbv2Store, planes: LoadBalancerPlanes) {
    this.#store = store;
    this.#planes = planes;
  }

  /** The target group with this ARN in the caller's account and region, or TargetGroupNotFound. */
  get(arn: string, ctx: Scope): TargetGroupRecord {
    const tg = this.#store.targetGroups.get(arn);
    if (!tg || tg.accountId !== ctx.accountId || tg.region !== ctx.region) throw targetGroupNotFound();
    return tg;
  }

  /** The load balancers whose listeners or rules forward to a target group. */
  loadBalancersOf(tgArn: string, ctx: Scope): string[] {
    const out = new Set<string>();
    for (const l of this.#store.listeners.list(ctx.accountId, ctx.region)) {
      if (forwardedGroups(l.defaultActions).includes(tgArn)) out.add(l.loadBalancerArn);
    }
    for (const r of this.#store.rules.list(ctx.accountId, ctx.region)) {
      if (forwardedGroups(r.actions).includes(tgArn)) {
        const l = this.#store.listeners.get(r.listenerArn);
        if (l) out.add(l.loadBalancerArn);
      }
    }
    return [...out];
  }

  #healthCheck(input: Partial<CreateTargetGroupRequest>, protocol: string | undefined, targetType: string, base?: HealthCheckRecord): HealthCheckRecord {
    const lambda = targetType === 'lambda';
    const tcp = protocol !== undefined && TCP_PROTOCOLS.has(protocol);
    const hcProtocol = (input.HealthCheckProtocol ?? base?.protocol ?? (lambda ? 'HTTP' : tcp ? 'TCP' : protocol ?? 'HTTP')) as HealthCheckRecord['protocol'];
    if (!['HTTP', 'HTTPS', 'TCP'].includes(hcProtocol)) throw validationError(`Health check protocol '${hcProtocol}' is not supported`);
    if (!tcp && !lambda && hcProtocol === 'TCP') throw validationError(`Health check protocol 'TCP' is not supported for target groups with the '${protocol}' protocol`);
    const hc: HealthCheckRecord = {
      enabled: input.HealthCheckEnabled ?? base?.enabled ?? !lambda,
      protocol: hcProtocol,
      port: input.HealthCheckPort ?? base?.port ?? 'traffic-port',
      path: input.HealthCheckPath ?? base?.path ?? '/',
      intervalSeconds: input.HealthCheckIntervalSeconds ?? base?.intervalSeconds ?? (lambda ? 35 : 30),
      timeoutSeconds: input.HealthCheckTimeoutSeconds ?? base?.timeoutSeconds ?? (lambda ? 30 : tcp ? 10 : 5),
      healthyThreshold: input.HealthyThresholdCount ?? base?.healthyThreshold ?? 5,
      unhealthyThreshold: input.UnhealthyThresholdCount ?? base?.unhealthyThreshold ?? 2,
      matcher: input.Matcher?.HttpCode ?? base?.matcher ?? (tcp ? '200-399' : '200'),
    };
    if (hc.port !== 'traffic-port' && !(/^\d+$/.test(hc.port) && Number(hc.port) >= 1 && Number(hc.port) <= 65535)) {
      throw validationError(`Health check port '${hc.port}' must be 'traffic-port' or a port between 1 and 65535`);
    }
    if (!hc.path.startsWith('/')) throw validationError('Health check path must begin with a \'/\' character');
    if (hc.timeoutSeconds >= hc.intervalSeconds) throw validationError('Health check timeout must be smaller than the interval');
    if (!isValidMatcher(hc.matcher, 200, 599)) throw validationError(`Health check matcher HTTP code '${hc.matcher}' must be within '200-499' range`);
    return hc;
  }

  async create(input: CreateTargetGroupRequest, ctx: RequestContext) {
    checkName('Target group', input.Name);
    const targetType = input.TargetType ?? 'instance';
    if (targetType === 'alb') throw validationError(`Target type 'alb' is not supported by Atoll`);
    const lambda = targetType === 'lambda';
    if (!lambda) {
      if (input.Protocol === undefined) throw validationError('A protocol must be specified');
      if (input.Port === undefined) throw validationError('A port must be specified');
      if (!HTTP_PROTOCOLS.has(input.Protocol) && !TCP_PROTOCOLS.has(input.Protocol)) throw validationError(`Protocol '${input.Protocol}' is not supported for target groups`);
    } else if (input.Protocol !== undefined || input.Port !== undefined) {
      throw validationError('A protocol and port cannot be specified for target groups with target type \'lambda\'');
    }
    const healthCheck = this.#healthCheck(input, input.Protocol, targetType);
    const existing = this.#store.targetGroups.list(ctx.accountId, ctx.region).find((t) => t.name === input.Name);
    if (existing) {
      if (existing.protocol === input.Protocol && existing.port === input.Port && existing.targetType === targetType) {
        return { TargetGroups: [targetGroupShape(existing, this.loadBalancersOf(existing.arn, ctx))] };
      }
      throw new DuplicateTargetGroupNameException('A target group with the same name exists, but with different settings');
    }
    const tg: TargetGroupRecord = {
      arn: elbArn(ctx.accountId, ctx.region, `targetgroup/${input.Name}/${newResourceId()}`),
      accountId: ctx.accountId,
      region: ctx.region,
      name: input.Name,
      targetType,
      ipAddressType: input.IpAddressType ?? 'ipv4',
      healthCheck,
      attributes: defaultAttributes(targetGroupKind(targetType, input.Protocol)),
      targets: [],
    };
    if (input.Protocol !== undefined) tg.protocol = input.Protocol;
    if (input.Port !== undefined) tg.port = input.Port;
    if (input.VpcId !== undefined) tg.vpcId = input.VpcId;
    if (input.ProtocolVersion !== undefined) tg.protocolVersion = input.ProtocolVersion;
    else if (!lambda && HTTP_PROTOCOLS.has(input.Protocol!)) tg.protocolVersion = 'HTTP1';
    this.#store.transaction(() => {
      this.#store.targetGroups.put(tg);
      if (input.Tags?.length) this.#store.putTags(tg.arn, input.Tags);
    });
    this.#planes.pushTargetGroup(tg);
    return { TargetGroups: [targetGroupShape(tg, [])] };
  }

  describe(input: DescribeTargetGroupsRequest, ctx: RequestContext) {
    let groups = this.#store.targetGroups.list(ctx.accountId, ctx.region);
    if (input.LoadBalancerArn !== undefined) {
      const lb = this.#store.loadBalancers.get(input.LoadBalancerArn);
      if (!lb || lb.accountId !== ctx.accountId || lb.region !== ctx.region) throw loadBalancerNotFound();
      groups = groups.filter((g) => this.loadBalancersOf(g.arn, ctx).includes(input.LoadBalancerArn!));
    }
    if (input.TargetGroupArns?.length) {
      const wanted = input.TargetGroupArns;
      if (!wanted.every((arn) => groups.some((g) => g.arn === arn))) throw targetGroupNotFound();
      groups = wanted.map((arn) => groups.find((g) => g.arn === arn)!);
    }
    if (input.Names?.length) {
      const wanted = input.Names;
      if (!wanted.every((n) => groups.some((g) => g.name === n))) throw targetGroupNotFound();
      groups = wanted.map((n) => groups.find((g) => g.name === n)!);
    }
    const { page, next } = paginate(groups, input.Marker, input.PageSize);
    return { TargetGroups: page.map((g) => targetGroupShape(g, this.loadBalancersOf(g.arn, ctx))), ...(next ? { NextMarker: next } : {}) };
  }

  modify(input: ModifyTargetGroupRequest, ctx: RequestContext) {
    const tg = this.get(input.TargetGroupArn, ctx);
    tg.healthCheck = this.#healthCheck(input as Partial<CreateTargetGroupRequest>, tg.protocol, tg.targetType, tg.healthCheck);
    this.#store.targetGroups.put(tg);
    this.#planes.pushTargetGroup(tg);
    return { TargetGroups: [targetGroupShape(tg, this.loadBalancersOf(tg.arn, ctx))] };
  }

  delete(input: { TargetGroupArn: string }, ctx: RequestContext) {
    const tg = this.#store.targetGroups.get(input.TargetGroupArn);
    if (!tg || tg.accountId !== ctx.accountId || tg.region !== ctx.region) return {};
    const users = this.loadBalancersOf(tg.arn, ctx);
    if (users.length > 0) throw new ResourceInUseException(`Target group '${tg.arn}' is currently in use by a listener or a rule`);
    this.#store.transaction(() => {
      this.#store.targetGroups.delete(tg.arn);
      this.#store.deleteAllTags(tg.arn);
    });
    this.#planes.removeTargetGroup(tg);
    return {};
  }

  describeAttributes(input: { TargetGroupArn: string }, ctx: RequestContext) {
    const tg = this.get(input.TargetGroupArn, ctx);
    return { Attributes: attributeList(tg.attributes) };
  }

  modifyAttributes(input: { TargetGroupArn: string; Attributes: { Key?: string; Value?: string }[] }, ctx: RequestContext) {
    const tg = this.get(input.TargetGroupArn, ctx);
    tg.attributes = applyAttributes(targetGroupKind(tg.targetType, tg.protocol), tg.attributes, input.Attributes);
    if (tg.attributes['stickiness.enabled'] === 'true' && tg.attributes['stickiness.type'] === 'app_cookie' && !tg.attributes['stickiness.app_cookie.cookie_name']) {
      throw validationError("The 'stickiness.app_cookie.cookie_name' attribute must be set for application-based stickiness");
    }
    this.#store.targetGroups.put(tg);
    this.#planes.pushTargetGroup(tg);
    return { Attributes: attributeList(tg.attributes) };
  }

  #checkTarget(tg: TargetGroupRecord, t: TargetDescription): { id: string; port?: number } {
    if (tg.targetType === 'lambda') {
      if (!t.Id.startsWith('arn:') || !t.Id.includes(':function:')) throw new InvalidTargetException(`The target '${t.Id}' is not a Lambda function ARN`);
      return { id: t.Id };
    }
    if (tg.targetType === 'ip' && !isIPv4(t.Id) && !isIPv6(t.Id)) throw new InvalidTargetException(`The IP address '${t.Id}' is not a valid IPv4 address`);
    // Instance targets are this machine; an IP address is accepted too (ECS registers tasks by address).
    if (tg.targetType === 'instance' && !/^i-[0-9a-f]{8,17}$/.test(t.Id) && !isIPv4(t.Id) && !isIPv6(t.Id)) {
      throw new InvalidTargetException(`The following targets are not valid instances: '${t.Id}'`);
    }
    const port = t.Port ?? tg.port;
    if (port === undefined || port < 1 || port > 65535) throw validationError(`The port of target '${t.Id}' must be between 1 and 65535`);
    const out: { id: string; port?: number; availabilityZone?: string } = { id: t.Id, port };
    if (t.AvailabilityZone) out.availabilityZone = t.AvailabilityZone;
    return out;
  }

  register(input: RegisterTargetsRequest, ctx: RequestContext) {
    const tg = this.get(input.TargetGroupArn, ctx);
    const targets = input.Targets.map((t) => this.#checkTarget(tg, t));
    if (tg.targetType === 'lambda' && tg.targets.length + targets.filter((t) => !tg.targets.some((x) => x.id === t.id)).length > 1) {
      throw new InvalidTargetException('A target group with target type lambda can have only one target');
    }
    for (const t of targets) {
      if (!tg.targets.some((x) => x.id === t.id && x.port === t.port)) tg.targets.push(t);
    }
    this.#store.targetGroups.put(tg);
    this.#planes.pushTargetGroup(tg);
    return {};
  }

  deregister(input: DeregisterTargetsRequest, ctx: RequestContext) {
    const tg = this.get(input.TargetGroupArn, ctx);
    const missing: string[] = [];
    for (const t of input.Targets) {
      const port = tg.targetType === 'lambda' ? undefined : (t.Port ?? tg.port);
      const index = tg.targets.findIndex((x) => x.id === t.Id && x.port === port);
      if (index < 0) missing.push(t.Id);
      else tg.targets.splice(index, 1);
    }
    if (missing.length > 0) throw new InvalidTargetException(`The following targets are not registered in target group '${tg.arn}': '${missing.join("', '")}'`);
    this.#store.targetGroups.put(tg);
    this.#planes.pushTargetGroup(tg);
    return {};
  }

  health(input: DescribeTargetHealthRequest, ctx: RequestContext): { TargetHealthDescriptions: TargetHealthDescription[] } {
    const tg = this.get(input.TargetGroupArn, ctx);
    const inUse = this.loadBalancersOf(tg.arn, ctx).length > 0;
    const hcPort = (port: number | undefined): string => (tg.healthCheck.port === 'traffic-port' ? String(port ?? '') : tg.healthCheck.port);
    if (tg.targetType === 'lambda') {
      const list = input.Targets?.length ? input.Targets : tg.targets.map((t) => ({ Id: t.id }));
      return {
        TargetHealthDescriptions: list.map((t) => {
          const registered = tg.targets.some((x) => x.id === t.Id);
          const health = !registered
            ? { State: 'unused' as const, Reason: 'Target.NotRegistered' as const, Description: 'Target is not registered to the target group' }
            : !inUse
              ? { State: 'unused' as const, Reason: 'Target.NotInUse' as const, Description: 'Target group is not configured to receive traffic from the load balancer' }
              : { State: 'unavailable' as const, Reason: 'Target.HealthCheckDisabled' as const, Description: 'Health checks are disabled' };
          return { Target: { Id: t.Id }, TargetHealth: health };
        }),
      };
    }
    const reports = new Map(this.#planes.targetHealth(tg).map((r) => [`${r.id}:${r.port}`, r]));
    const describe = (id: string, port: number | undefined): TargetHealthDescription => {
      const r = reports.get(`${id}:${port}`);
      const registered = tg.targets.some((x) => x.id === id && x.port === port);
      const base = { Target: { Id: id, ...(port !== undefined ? { Port: port } : {}) }, HealthCheckPort: hcPort(port) };
      if (r === undefined || (!registered && r.state !== 'draining')) {
        return registered
          ? { ...base, TargetHealth: { State: 'initial', Reason: 'Elb.RegistrationInProgress', Description: 'Target registration is in progress' } }
          : { ...base, TargetHealth: { State: 'unused', Reason: 'Target.NotRegistered', Description: 'Target is not registered to the target group' } };
      }
      const health: TargetHealthDescription['TargetHealth'] = { State: r.state };
      if (r.reason) health.Reason = r.reason;
      if (r.description) health.Description = r.description;
      return { ...base, TargetHealth: health };
    };
    if (input.Targets?.length) return { TargetHealthDescriptions: input.Targets.map((t) => describe(t.Id, t.Port ?? tg.port)) };
    const keys = new Map<string, { id: string; port: number | undefined }>();
    for (const t of tg.targets) keys.set(`${t.id}:${t.port}`, { id: t.id, port: t.port });
    for (const r of reports.values()) if (r.state === 'draining') keys.set(`${r.id}:${r.port}`, { id: r.id, port: r.port });
    return { TargetHealthDescriptions: [...keys.values()].map((k) => describe(k.id, k.port)) };
  }

  /** Whether a target group can serve a load balancer of this type. */
  static compatible(tg: TargetGroupRecord, type: 'application' | 'network'): boolean {
    if (type === 'application') return tg.targetType === 'lambda' || HTTP_PROTOCOLS.has(tg.protocol ?? '');
    return tg.targetType !== 'lambda' && TCP_PROTOCOLS.has(tg.protocol ?? '');
  }
}

export { LoadBalancerPlanes };
