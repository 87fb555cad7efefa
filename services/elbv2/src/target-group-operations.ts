// Target group operations: create, describe, modify, delete, attributes, target registration and
// target health. Target health comes from the data plane that serves the group (on the node that
// runs the data planes). Read-modify-write of a group (targets, attributes) is one transaction.
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
import type { DataPlaneLeader } from './data-plane-leader.js';
import { DuplicateTargetGroupNameException, InvalidTargetException, ResourceInUseException, loadBalancerNotFound, targetGroupNotFound, validationError } from './elbv2-errors.js';
import type { Elbv2Reader, Elbv2Store } from './elbv2-store.js';
import type { HealthCheckRecord, TargetGroupRecord } from './records.js';
import { forwardedGroups } from './rule-validation.js';
import { checkName, elbArn, newResourceId, paginate, targetGroupShape } from './shapes.js';

const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTPS']);
const TCP_PROTOCOLS = new Set(['TCP', 'TLS', 'UDP', 'TCP_UDP']);

type Scope = Pick<RequestContext, 'accountId' | 'region'>;

export class TargetGroupOperations {
  readonly #store: Elbv2Store;
  readonly #sync: DataPlaneLeader;

  constructor(store: Elbv2Store, sync: DataPlaneLeader) {
    this.#store = store;
    this.#sync = sync;
  }

  /** The target group with this ARN in the caller's account and region, or TargetGroupNotFound. */
  async get(arn: string, ctx: Scope, records: Elbv2Reader = this.#store): Promise<TargetGroupRecord> {
    const tg = await records.targetGroups.get(arn);
    if (!tg || tg.accountId !== ctx.accountId || tg.region !== ctx.region) throw targetGroupNotFound();
    return tg;
  }

  /** The load balancers whose listeners or rules forward to a target group. */
  async loadBalancersOf(tgArn: string, ctx: Scope, records: Elbv2Reader = this.#store): Promise<string[]> {
    return (await this.#usage(ctx, records))(tgArn);
  }

  /** Reads the scope's listeners and rules once; the function answers loadBalancersOf for any group. */
  async #usage(ctx: Scope, records: Elbv2Reader): Promise<(tgArn: string) => string[]> {
    const listeners = await records.listeners.list(ctx.accountId, ctx.region);
    const rules = await records.rules.list(ctx.accountId, ctx.region);
    const lbOf = new Map(listeners.map((l) => [l.arn, l.loadBalancerArn]));
    return (tgArn) => {
      const out = new Set<string>();
      for (const l of listeners) if (forwardedGroups(l.defaultActions).includes(tgArn)) out.add(l.loadBalancerArn);
      for (const r of rules) {
        const lb = lbOf.get(r.listenerArn);
        if (lb !== undefined && forwardedGroups(r.actions).includes(tgArn)) out.add(lb);
      }
      return [...out];
    };
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
    return this.#sync.change(async (planes) => {
      const existing = await this.#store.transaction(async (tx) => {
        const found = (await tx.targetGroups.list(ctx.accountId, ctx.region)).find((t) => t.name === input.Name);
        if (found) return found;
        await tx.targetGroups.put(tg);
        if (input.Tags?.length) await tx.putTags(tg.arn, input.Tags);
        return undefined;
      });
      if (existing) {
        if (existing.protocol === input.Protocol && existing.port === input.Port && existing.targetType === targetType) {
          return { TargetGroups: [targetGroupShape(existing, await this.loadBalancersOf(existing.arn, ctx))] };
        }
        throw new DuplicateTargetGroupNameException('A target group with the same name exists, but with different settings');
      }
      planes?.pushTargetGroup(tg);
      return { TargetGroups: [targetGroupShape(tg, [])] };
    });
  }

  async describe(input: DescribeTargetGroupsRequest, ctx: RequestContext) {
    let groups = await this.#store.targetGroups.list(ctx.accountId, ctx.region);
    const usage = await this.#usage(ctx, this.#store);
    if (input.LoadBalancerArn !== undefined) {
      const lb = await this.#store.loadBalancers.get(input.LoadBalancerArn);
      if (!lb || lb.accountId !== ctx.accountId || lb.region !== ctx.region) throw loadBalancerNotFound();
      groups = groups.filter((g) => usage(g.arn).includes(input.LoadBalancerArn!));
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
    return { TargetGroups: page.map((g) => targetGroupShape(g, usage(g.arn))), ...(next ? { NextMarker: next } : {}) };
  }

  /** Reads a group, changes it and stores it in one transaction; then pushes it to the planes. */
  #update(arn: string, ctx: Scope, change: (tg: TargetGroupRecord) => void): Promise<TargetGroupRecord> {
    return this.#sync.change(async (planes) => {
      const tg = await this.#store.transaction(async (tx) => {
        const found = await this.get(arn, ctx, tx);
        change(found);
        await tx.targetGroups.put(found);
        return found;
      });
      planes?.pushTargetGroup(tg);
      return tg;
    });
  }

  async modify(input: ModifyTargetGroupRequest, ctx: RequestContext) {
    const tg = await this.#update(input.TargetGroupArn, ctx, (tg) => {
      tg.healthCheck = this.#healthCheck(input as Partial<CreateTargetGroupRequest>, tg.protocol, tg.targetType, tg.healthCheck);
    });
    return { TargetGroups: [targetGroupShape(tg, await this.loadBalancersOf(tg.arn, ctx))] };
  }

  async delete(input: { TargetGroupArn: string }, ctx: RequestContext) {
    return this.#sync.change(async (planes) => {
      const deleted = await this.#store.transaction(async (tx) => {
        const tg = await tx.targetGroups.get(input.TargetGroupArn);
        if (!tg || tg.accountId !== ctx.accountId || tg.region !== ctx.region) return false;
        const users = await this.loadBalancersOf(tg.arn, ctx, tx);
        if (users.length > 0) throw new ResourceInUseException(`Target group '${tg.arn}' is currently in use by a listener or a rule`);
        await tx.targetGroups.delete(tg.arn);
        await tx.deleteAllTags(tg.arn);
        return true;
      });
      if (deleted) planes?.removeTargetGroup(input.TargetGroupArn);
      return {};
    });
  }

  async describeAttributes(input: { TargetGroupArn: string }, ctx: RequestContext) {
    const tg = await this.get(input.TargetGroupArn, ctx);
    return { Attributes: attributeList(tg.attributes) };
  }

  async modifyAttributes(input: { TargetGroupArn: string; Attributes: { Key?: string; Value?: string }[] }, ctx: RequestContext) {
    const tg = await this.#update(input.TargetGroupArn, ctx, (tg) => {
      tg.attributes = applyAttributes(targetGroupKind(tg.targetType, tg.protocol), tg.attributes, input.Attributes);
      if (tg.attributes['stickiness.enabled'] === 'true' && tg.attributes['stickiness.type'] === 'app_cookie' && !tg.attributes['stickiness.app_cookie.cookie_name']) {
        throw validationError("The 'stickiness.app_cookie.cookie_name' attribute must be set for application-based stickiness");
      }
    });
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

  async register(input: RegisterTargetsRequest, ctx: RequestContext) {
    await this.#update(input.TargetGroupArn, ctx, (tg) => {
      const targets = input.Targets.map((t) => this.#checkTarget(tg, t));
      if (tg.targetType === 'lambda' && tg.targets.length + targets.filter((t) => !tg.targets.some((x) => x.id === t.id)).length > 1) {
        throw new InvalidTargetException('A target group with target type lambda can have only one target');
      }
      for (const t of targets) {
        if (!tg.targets.some((x) => x.id === t.id && x.port === t.port)) tg.targets.push(t);
      }
    });
    return {};
  }

  async deregister(input: DeregisterTargetsRequest, ctx: RequestContext) {
    await this.#update(input.TargetGroupArn, ctx, (tg) => {
      const missing: string[] = [];
      for (const t of input.Targets) {
        const port = tg.targetType === 'lambda' ? undefined : (t.Port ?? tg.port);
        const index = tg.targets.findIndex((x) => x.id === t.Id && x.port === port);
        if (index < 0) missing.push(t.Id);
        else tg.targets.splice(index, 1);
      }
      if (missing.length > 0) throw new InvalidTargetException(`The following targets are not registered in target group '${tg.arn}': '${missing.join("', '")}'`);
    });
    return {};
  }

  async health(input: DescribeTargetHealthRequest, ctx: RequestContext): Promise<{ TargetHealthDescriptions: TargetHealthDescription[] }> {
    const tg = await this.get(input.TargetGroupArn, ctx);
    const inUse = (await this.loadBalancersOf(tg.arn, ctx)).length > 0;
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
    const reports = new Map(this.#sync.planes.targetHealth(tg).map((r) => [`${r.id}:${r.port}`, r]));
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
