// Listener and rule operations. A listener is bound in the data plane before it is stored, so a
// port that cannot be bound fails the call and leaves nothing behind; rules are pushed to the
// bound listener after each change.
import type { RequestContext } from '@atoll/core';
import type {
  Action,
  CreateListenerRequest,
  CreateRuleRequest,
  DescribeListenersRequest,
  DescribeRulesRequest,
  ModifyListenerRequest,
  ModifyRuleRequest,
  RuleCondition,
  SetRulePrioritiesRequest,
} from '@atoll/aws-models/elbv2';
import { applyAttributes, attributeList, defaultAttributes } from './attributes.js';
import type { LoadBalancerPlanes } from './data-planes.js';
import {
  DuplicateListenerException,
  IncompatibleProtocolsException,
  OperationNotPermittedException,
  PriorityInUseException,
  TargetGroupAssociationLimitException,
  TooManyRulesException,
  UnsupportedProtocolException,
  listenerNotFound,
  loadBalancerNotFound,
  ruleNotFound,
  targetGroupNotFound,
  validationError,
} from './elbv2-errors.js';
import type { Elbv2Store } from './elbv2-store.js';
import type { ListenerRecord, LoadBalancerRecord, RuleRecord } from './records.js';
import { forwardedGroups, validateActions, validateConditions } from './rule-validation.js';
import { defaultRuleShape, elbArn, listenerShape, loadBalancerPath, newResourceId, paginate, ruleShape } from './shapes.js';
import { TargetGroupOperations } from './target-group-operations.js';

/** ALB's default quota of rules per listener (the default rule not counted). */
export const MAX_RULES_PER_LISTENER = 100;

const APP_PROTOCOLS = new Set(['HTTP', 'HTTPS']);
const NET_PROTOCOLS = new Set(['TCP']);

/** Fills both the legacy `Values` and the typed config of a condition, as DescribeRules returns them. */
function normalizeConditions(conditions: readonly RuleCondition[]): RuleCondition[] {
  return conditions.map((c) => {
    const out: RuleCondition = { ...c };
    if (c.Field === 'host-header') {
      const values = c.HostHeaderConfig?.Values ?? c.Values ?? [];
      out.Values = values;
      out.HostHeaderConfig = { Values: values };
    } else if (c.Field === 'path-pattern') {
      const values = c.PathPatternConfig?.Values ?? c.Values ?? [];
      out.Values = values;
      out.PathPatternConfig = { Values: values };
    } else if (c.Field === 'http-request-method') out.HttpRequestMethodConfig = { Values: c.HttpRequestMethodConfig?.Values ?? c.Values ?? [] };
    else if (c.Field === 'source-ip') out.SourceIpConfig = { Values: c.SourceIpConfig?.Values ?? c.Values ?? [] };
    return out;
  });
}

/** Fills in a forward action's ForwardConfig and TargetGroupArn as ELBv2 echoes them. */
function normalizeActions(actions: readonly Action[]): Action[] {
  return actions.map((a) => {
    if (a.Type !== 'forward') return { ...a };
    const tuples = a.ForwardConfig?.TargetGroups?.length
      ? a.ForwardConfig.TargetGroups.map((t) => ({ TargetGroupArn: t.TargetGroupArn, Weight: t.Weight ?? 1 }))
      : [{ TargetGroupArn: a.TargetGroupArn, Weight: 1 }];
    const out: Action = {
      Type: 'forward',
      ForwardConfig: { TargetGroups: tuples, TargetGroupStickinessConfig: a.ForwardConfig?.TargetGroupStickinessConfig ?? { Enabled: false } },
    };
    if (tuples.length === 1) out.TargetGroupArn = tuples[0]!.TargetGroupArn;
    if (a.Order !== undefined) out.Order = a.Order;
    return out;
  });
}

export class ListenerOperations {
  readonly #store: Elbv2Store;
  readonly #planes: LoadBalancerPlanes;
  readonly #groups: TargetGroupOperations;

  constructor(store: Elbv2Store, planes: LoadBalancerPlanes, groups: TargetGroupOperations) {
    this.#store = store;
    this.#planes = planes;
    this.#groups = groups;
  }

  #loadBalancer(arn: string, ctx: RequestContext): LoadBalancerRecord {
    const lb = this.#store.loadBalancers.get(arn);
    if (!lb || lb.accountId !== ctx.accountId || lb.region !== ctx.region) throw loadBalancerNotFound();
    return lb;
  }

  get(arn: string, ctx: RequestContext): ListenerRecord {
    const l = this.#store.listeners.get(arn);
    if (!l || l.accountId !== ctx.accountId || l.region !== ctx.region) throw listenerNotFound();
    return l;
  }

  #rule(arn: string, ctx: RequestContext): RuleRecord | { isDefault: ListenerRecord } {
    const r = this.#store.rules.get(arn);
    if (r && r.accountId === ctx.accountId && r.region === ctx.region) return r;
    const listenerArn = this.#defaultRuleListener(arn);
    if (listenerArn !== undefined) {
      const l = this.#store.listeners.get(listenerArn);
      if (l && l.defaultRuleArn === arn && l.accountId === ctx.accountId && l.region === ctx.region) return { isDefault: l };
    }
    throw ruleNotFound();
  }

  #defaultRuleListener(ruleArn: string): string | undefined {
    const m = /^(arn:[^:]+:elasticloadbalancing:[^:]*:[^:]*:)listener-rule\/((?:app|net)\/[^/]+\/[^/]+\/[^/]+)\/[^/]+$/.exec(ruleArn);
    return m ? `${m[1]}listener/${m[2]}` : undefined;
  }

  /** Checks actions and the target groups they forward to (existence, protocol, one load balancer per group). */
  #checkActions(actions: readonly Action[], lb: LoadBalancerRecord, ctx: RequestContext): void {
    validateActions(actions, lb.type);
    for (const arn of forwardedGroups(actions)) {
      const tg = this.#store.targetGroups.get(arn);
      if (!tg || tg.accountId !== ctx.accountId || tg.region !== ctx.region) throw targetGroupNotFound();
      if (!TargetGroupOperations.compatible(tg, lb.type)) {
        throw new IncompatibleProtocolsException(`The target group '${arn}' has a protocol that is not compatible with a load balancer of type '${lb.type}'`);
      }
      const users = this.#groups.loadBalancersOf(arn, ctx).filter((a) => a !== lb.arn);
      if (users.length > 0) throw new TargetGroupAssociationLimitException(`The following target groups cannot be associated with more than one load balancer: ${arn}`);
    }
  }

  #checkProtocol(protocol: string, lb: LoadBalancerRecord): void {
    const allowed = lb.type === 'application' ? APP_PROTOCOLS : NET_PROTOCOLS;
    if (!allowed.has(protocol)) throw new UnsupportedProtocolException(`Protocol '${protocol}' is not supported by Atoll for ${lb.type} load balancers`);
  }

  /** Re-pushes one listener (its rules and its load balancer's attributes) to the data plane. */
  async push(listener: ListenerRecord): Promise<number> {
    const lb = this.#store.loadBalancers.get(listener.loadBalancerArn)!;
    const rules = this.#store.rules.byParent(listener.arn);
    return this.#planes.pushListener(listener, lb, rules);
  }

  async create(input: CreateListenerRequest, ctx: RequestContext) {
    const lb = this.#loadBalancer(input.LoadBalancerArn, ctx);
    const protocol = input.Protocol ?? (lb.type === 'application' ? 'HTTP' : 'TCP');
    this.#checkProtocol(protocol, lb);
    if (input.Port === undefined) throw validationError('A listener port must be specified');
    const existing = this.#store.listeners.byParent(lb.arn);
    const same = existing.find((l) => l.port === input.Port);
    if (same) throw new DuplicateListenerException('A listener already exists on this port for this load balancer');
    if (protocol === 'HTTPS' && !input.Certificates?.[0]?.CertificateArn) throw validationError('A certificate must be specified for HTTPS listeners');
    this.#checkActions(input.DefaultActions, lb, ctx);
    const id = newResourceId();
    const path = loadBalancerPath(lb.arn);
    const listener: ListenerRecord = {
      arn: elbArn(ctx.accountId, ctx.region, `listener/${path}/${id}`),
      accountId: ctx.accountId,
      region: ctx.region,
      loadBalancerArn: lb.arn,
      port: input.Port,
      protocol,
      certificates: input.Certificates ?? [],
      defaultActions: normalizeActions(input.DefaultActions),
      defaultRuleArn: elbArn(ctx.accountId, ctx.region, `listener-rule/${path}/${id}/${newResourceId()}`),
      attributes: defaultAttributes(lb.type === 'network' ? 'listener-tcp' : 'listener-http'),
    };
    if (protocol === 'HTTPS') listener.sslPolicy = input.SslPolicy ?? 'ELBSecurityPolicy-2016-08';
    if (input.AlpnPolicy) listener.alpnPolicy = input.AlpnPolicy;
    await this.#planes.pushListener(listener, lb, []);
    this.#store.transaction(() => {
      this.#store.listeners.put(listener);
      if (input.Tags?.length) this.#store.putTags(listener.arn, input.Tags);
    });
    return { Listeners: [listenerShape(listener)] };
  }

  async modify(input: ModifyListenerRequest, ctx: RequestContext) {
    const listener = this.get(input.ListenerArn, ctx);
    const lb = this.#loadBalancer(listener.loadBalancerArn, ctx);
    const next: ListenerRecord = { ...listener };
    if (input.Protocol !== undefined) {
      this.#checkProtocol(input.Protocol, lb);
      next.protocol = input.Protocol;
    }
    if (input.Port !== undefined && input.Port !== listener.port) {
      if (this.#store.listeners.byParent(lb.arn).some((l) => l.port === input.Port)) {
        throw new DuplicateListenerException('A listener already exists on this port for this load balancer');
      }
      next.port = input.Port;
    }
    if (input.Certificates !== undefined) next.certificates = input.Certificates;
    if (input.SslPolicy !== undefined) next.sslPolicy = input.SslPolicy;
    if (input.AlpnPolicy !== undefined) next.alpnPolicy = input.AlpnPolicy;
    if (next.protocol === 'HTTPS' && !next.certificates[0]?.CertificateArn) throw validationError('A certificate must be specified for HTTPS listeners');
    if (next.protocol !== 'HTTPS') {
      next.certificates = [];
      delete next.sslPolicy;
    } else next.sslPolicy ??= 'ELBSecurityPolicy-2016-08';
    if (input.DefaultActions !== undefined) {
      this.#checkActions(input.DefaultActions, lb, ctx);
      next.defaultActions = normalizeActions(input.DefaultActions);
    }
    await this.#planes.pushListener(next, lb, this.#store.rules.byParent(listener.arn));
    this.#store.listeners.put(next);
    return { Listeners: [listenerShape(next)] };
  }

  async delete(input: { ListenerArn: string }, ctx: RequestContext) {
    const listener = this.get(input.ListenerArn, ctx);
    await this.remove(listener);
    return {};
  }

  /** Deletes a listener with its rules and tags, and unbinds it. */
  async remove(listener: ListenerRecord): Promise<void> {
    this.#store.transaction(() => {
      for (const r of this.#store.rules.byParent(listener.arn)) {
        this.#store.rules.delete(r.arn);
        this.#store.deleteAllTags(r.arn);
      }
      this.#store.listeners.delete(listener.arn);
      this.#store.deleteAllTags(listener.arn);
    });
    await this.#planes.removeListener(listener.arn);
  }

  describe(input: DescribeListenersRequest, ctx: RequestContext) {
    let listeners: ListenerRecord[];
    if (input.LoadBalancerArn !== undefined) {
      const lb = this.#loadBalancer(input.LoadBalancerArn, ctx);
      listeners = this.#store.listeners.byParent(lb.arn);
      if (input.ListenerArns?.length) listeners = listeners.filter((l) => input.ListenerArns!.includes(l.arn));
    } else if (input.ListenerArns?.length) {
      listeners = input.ListenerArns.map((arn) => this.get(arn, ctx));
    } else throw validationError('You must specify either listener ARNs or a load balancer ARN');
    const { page, next } = paginate(listeners, input.Marker, input.PageSize);
    return { Listeners: page.map(listenerShape), ...(next ? { NextMarker: next } : {}) };
  }

  describeAttributes(input: { ListenerArn: string }, ctx: RequestContext) {
    return { Attributes: attributeList(this.get(input.ListenerArn, ctx).attributes) };
  }

  async modifyAttributes(input: { ListenerArn: string; Attributes: { Key?: string; Value?: string }[] }, ctx: RequestContext) {
    const listener = this.get(input.ListenerArn, ctx);
    const lb = this.#loadBalancer(listener.loadBalancerArn, ctx);
    listener.attributes = applyAttributes(lb.type === 'network' ? 'listener-tcp' : 'listener-http', listener.attributes, input.Attributes);
    this.#store.listeners.put(listener);
    await this.push(listener);
    return { Attributes: attributeList(listener.attributes) };
  }

  async createRule(input: CreateRuleRequest, ctx: RequestContext) {
    const listener = this.get(input.ListenerArn, ctx);
    const lb = this.#loadBalancer(listener.loadBalancerArn, ctx);
    if (lb.type !== 'application') throw validationError('Rules are not supported for network load balancer listeners');
    validateConditions(input.Conditions);
    if (input.Conditions.length === 0) throw validationError('A rule must have at least one condition');
    this.#checkActions(input.Actions, lb, ctx);
    const rules = this.#store.rules.byParent(listener.arn);
    if (rules.some((r) => r.priority === input.Priority)) throw new PriorityInUseException(`Priority '${input.Priority}' is currently in use`);
    if (rules.length >= MAX_RULES_PER_LISTENER) throw new TooManyRulesException(`A listener can have at most ${MAX_RULES_PER_LISTENER} rules`);
    const listenerId = listener.arn.slice(listener.arn.lastIndexOf('/') + 1);
    const rule: RuleRecord = {
      arn: elbArn(ctx.accountId, ctx.region, `listener-rule/${loadBalancerPath(lb.arn)}/${listenerId}/${newResourceId()}`),
      accountId: ctx.accountId,
      region: ctx.region,
      listenerArn: listener.arn,
      priority: input.Priority,
      conditions: normalizeConditions(input.Conditions),
      actions: normalizeActions(input.Actions),
    };
    this.#store.transaction(() => {
      this.#store.rules.put(rule);
      if (input.Tags?.length) this.#store.putTags(rule.arn, input.Tags);
    });
    await this.push(listener);
    return { Rules: [ruleShape(rule)] };
  }

  async modifyRule(input: ModifyRuleRequest, ctx: RequestContext) {
    const found = this.#rule(input.RuleArn, ctx);
    if ('isDefault' in found) {
      const listener = found.isDefault;
      if (input.Conditions?.length) throw new OperationNotPermittedException('The conditions of a default rule cannot be modified');
      if (input.Actions !== undefined) {
        this.#checkActions(input.Actions, this.#loadBalancer(listener.loadBalancerArn, ctx), ctx);
        listener.defaultActions = normalizeActions(input.Actions);
        this.#store.listeners.put(listener);
        await this.push(listener);
      }
      return { Rules: [defaultRuleShape(listener)] };
    }
    const rule = found;
    const listener = this.get(rule.listenerArn, ctx);
    if (input.Conditions !== undefined) {
      validateConditions(input.Conditions);
      if (input.Conditions.length === 0) throw validationError('A rule must have at least one condition');
      rule.conditions = normalizeConditions(input.Conditions);
    }
    if (input.Actions !== undefined) {
      this.#checkActions(input.Actions, this.#loadBalancer(listener.loadBalancerArn, ctx), ctx);
      rule.actions = normalizeActions(input.Actions);
    }
    this.#store.rules.put(rule);
    await this.push(listener);
    return { Rules: [ruleShape(rule)] };
  }

  async deleteRule(input: { RuleArn: string }, ctx: RequestContext) {
    const found = this.#rule(input.RuleArn, ctx);
    if ('isDefault' in found) throw new OperationNotPermittedException('A default rule cannot be deleted');
    this.#store.transaction(() => {
      this.#store.rules.delete(found.arn);
      this.#store.deleteAllTags(found.arn);
    });
    const listener = this.#store.listeners.get(found.listenerArn);
    if (listener) await this.push(listener);
    return {};
  }

  describeRules(input: DescribeRulesRequest, ctx: RequestContext) {
    let rules: ReturnType<typeof ruleShape>[];
    if (input.ListenerArn !== undefined) {
      const listener = this.get(input.ListenerArn, ctx);
      rules = this.#store.rules.byParent(listener.arn).sort((a, b) => a.priority - b.priority).map(ruleShape);
      rules.push(defaultRuleShape(listener));
      if (input.RuleArns?.length) rules = rules.filter((r) => input.RuleArns!.includes(r.RuleArn!));
    } else if (input.RuleArns?.length) {
      rules = input.RuleArns.map((arn) => {
        const found = this.#rule(arn, ctx);
        return 'isDefault' in found ? defaultRuleShape(found.isDefault) : ruleShape(found);
      });
    } else throw validationError('You must specify either listener ARN or rule ARNs');
    const { page, next } = paginate(rules, input.Marker, input.PageSize);
    return { Rules: page, ...(next ? { NextMarker: next } : {}) };
  }

  async setPriorities(input: SetRulePrioritiesRequest, ctx: RequestContext) {
    const changes = new Map<string, number>();
    for (const pair of input.RulePriorities) {
      if (pair.RuleArn === undefined || pair.Priority === undefined) throw validationError('Each rule priority pair needs a rule ARN and a priority');
      if (changes.has(pair.RuleArn)) throw validationError(`Rule '${pair.RuleArn}' is specified more than once`);
      changes.set(pair.RuleArn, pair.Priority);
    }
    const rules: RuleRecord[] = [];
    for (const arn of changes.keys()) {
      const found = this.#rule(arn, ctx);
      if ('isDefault' in found) throw new OperationNotPermittedException('The priority of a default rule cannot be changed');
      rules.push(found);
    }
    const listeners = new Set(rules.map((r) => r.listenerArn));
    for (const listenerArn of listeners) {
      const priorities = new Set<number>();
      for (const r of this.#store.rules.byParent(listenerArn)) {
        const p = changes.get(r.arn) ?? r.priority;
        if (priorities.has(p)) throw new PriorityInUseException(`Priority '${p}' is currently in use`);
        priorities.add(p);
      }
    }
    this.#store.transaction(() => {
      for (const r of rules) {
        r.priority = changes.get(r.arn)!;
        this.#store.rules.put(r);
      }
    });
    for (const arn of listeners) {
      const l = this.#store.listeners.get(arn);
      if (l) await this.push(l);
    }
    return { Rules: rules.map(ruleShape) };
  }
}
