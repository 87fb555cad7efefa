// Listener and rule operations. On the node that runs the data planes, a listener is bound before it
// is stored, so a port that cannot be bound fails the call and leaves nothing behind; rules are pushed
// to the bound listener after each change. Elsewhere the change is stored and the leader applies it.
// Checks that other nodes could invalidate (ports, priorities, rule counts) are made again inside the
// writing transaction, and unique indexes back them.
import type { RequestContext } from '@atoll/core';
import { isUniqueViolation } from '@atoll/storage';
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
import { LISTENER_HOST, type LoadBalancerPlanes } from './data-planes.js';
import type { DataPlaneLeader } from './data-plane-leader.js';
import {
  DuplicateListenerException,
  IncompatibleProtocolsException,
  InvalidConfigurationRequestException,
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
import type { Elbv2Reader, Elbv2Store, Elbv2Transaction } from './elbv2-store.js';
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
  readonly #sync: DataPlaneLeader;
  readonly #groups: TargetGroupOperations;

  constructor(store: Elbv2Store, sync: DataPlaneLeader, groups: TargetGroupOperations) {
    this.#store = store;
    this.#sync = sync;
    this.#groups = groups;
  }

  async #loadBalancer(arn: string, ctx: RequestContext, records: Elbv2Reader = this.#store): Promise<LoadBalancerRecord> {
    const lb = await records.loadBalancers.get(arn);
    if (!lb || lb.accountId !== ctx.accountId || lb.region !== ctx.region) throw loadBalancerNotFound();
    return lb;
  }

  async get(arn: string, ctx: RequestContext, records: Elbv2Reader = this.#store): Promise<ListenerRecord> {
    const l = await records.listeners.get(arn);
    if (!l || l.accountId !== ctx.accountId || l.region !== ctx.region) throw listenerNotFound();
    return l;
  }

  async #rule(arn: string, ctx: RequestContext, records: Elbv2Reader = this.#store): Promise<RuleRecord | { isDefault: ListenerRecord }> {
    const r = await records.rules.get(arn);
    if (r && r.accountId === ctx.accountId && r.region === ctx.region) return r;
    const listenerArn = this.#defaultRuleListener(arn);
    if (listenerArn !== undefined) {
      const l = await records.listeners.get(listenerArn);
      if (l && l.defaultRuleArn === arn && l.accountId === ctx.accountId && l.region === ctx.region) return { isDefault: l };
    }
    throw ruleNotFound();
  }

  #defaultRuleListener(ruleArn: string): string | undefined {
    const m = /^(arn:[^:]+:elasticloadbalancing:[^:]*:[^:]*:)listener-rule\/((?:app|net)\/[^/]+\/[^/]+\/[^/]+)\/[^/]+$/.exec(ruleArn);
    return m ? `${m[1]}listener/${m[2]}` : undefined;
  }

  /** Checks actions and the target groups they forward to (existence, protocol, one load balancer per group). */
  async #checkActions(actions: readonly Action[], lb: LoadBalancerRecord, ctx: RequestContext, records: Elbv2Reader = this.#store): Promise<void> {
    validateActions(actions, lb.type);
    for (const arn of forwardedGroups(actions)) {
      const tg = await records.targetGroups.get(arn);
      if (!tg || tg.accountId !== ctx.accountId || tg.region !== ctx.region) throw targetGroupNotFound();
      if (!TargetGroupOperations.compatible(tg, lb.type)) {
        throw new IncompatibleProtocolsException(`The target group '${arn}' has a protocol that is not compatible with a load balancer of type '${lb.type}'`);
      }
      const users = (await this.#groups.loadBalancersOf(arn, ctx, records)).filter((a) => a !== lb.arn);
      if (users.length > 0) throw new TargetGroupAssociationLimitException(`The following target groups cannot be associated with more than one load balancer: ${arn}`);
    }
  }

  #checkProtocol(protocol: string, lb: LoadBalancerRecord): void {
    const allowed = lb.type === 'application' ? APP_PROTOCOLS : NET_PROTOCOLS;
    if (!allowed.has(protocol)) throw new UnsupportedProtocolException(`Protocol '${protocol}' is not supported by Atoll for ${lb.type} load balancers`);
  }

  /** Refuses a port that another listener (of any load balancer) holds: every listener binds on this one address. */
  async #checkPortFree(listener: ListenerRecord, records: Elbv2Reader): Promise<void> {
    const holder = await records.listenerOnPort(listener.port);
    if (!holder || holder.arn === listener.arn) return;
    if (holder.loadBalancerArn === listener.loadBalancerArn) throw new DuplicateListenerException('A listener already exists on this port for this load balancer');
    throw new InvalidConfigurationRequestException(`Port ${listener.port} cannot be bound on ${LISTENER_HOST}: it is already in use`);
  }

  /** Re-pushes listeners (their rules and their load balancer's attributes) to the data planes, as stored now. */
  async push(planes: LoadBalancerPlanes, listeners: readonly ListenerRecord[]): Promise<void> {
    for (const listener of listeners) {
      const lb = await this.#store.loadBalancers.get(listener.loadBalancerArn);
      if (!lb) continue;
      await planes.pushListener(listener, lb, await this.#store.rules.byParent(listener.arn));
    }
  }

  /**
   * Applies a listener's new configuration: on the node that runs the data planes it is bound first
   * (a port that cannot be bound fails the call and nothing is stored) and restored if storing fails;
   * elsewhere it is only checked, and the leader binds it when it sees the change.
   */
  async #apply(planes: LoadBalancerPlanes | undefined, next: ListenerRecord, previous: ListenerRecord | undefined, lb: LoadBalancerRecord, rules: readonly RuleRecord[], store: () => Promise<void>): Promise<void> {
    if (!planes) {
      this.#sync.planes.checkListener(next, lb, rules);
      await store();
      return;
    }
    await planes.pushListener(next, lb, rules);
    try {
      await store();
    } catch (error) {
      if (previous) await planes.pushListener(previous, lb, rules).catch(() => {});
      else await planes.removeListener(next.arn);
      throw error;
    }
  }

  async create(input: CreateListenerRequest, ctx: RequestContext) {
    const lb = await this.#loadBalancer(input.LoadBalancerArn, ctx);
    const protocol = input.Protocol ?? (lb.type === 'application' ? 'HTTP' : 'TCP');
    this.#checkProtocol(protocol, lb);
    if (input.Port === undefined) throw validationError('A listener port must be specified');
    const existing = await this.#store.listeners.byParent(lb.arn);
    const same = existing.find((l) => l.port === input.Port);
    if (same) throw new DuplicateListenerException('A listener already exists on this port for this load balancer');
    if (protocol === 'HTTPS' && !input.Certificates?.[0]?.CertificateArn) throw validationError('A certificate must be specified for HTTPS listeners');
    await this.#checkActions(input.DefaultActions, lb, ctx);
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
    await this.#sync.change((planes) =>
      this.#apply(planes, listener, undefined, lb, [], () =>
        this.#store.transaction(async (tx) => {
          await this.#loadBalancer(lb.arn, ctx, tx);
          await this.#checkPortFree(listener, tx);
          await tx.listeners.put(listener);
          if (input.Tags?.length) await tx.putTags(listener.arn, input.Tags);
        }),
      ),
    );
    return { Listeners: [listenerShape(listener)] };
  }

  async modify(input: ModifyListenerRequest, ctx: RequestContext) {
    const listener = await this.get(input.ListenerArn, ctx);
    const lb = await this.#loadBalancer(listener.loadBalancerArn, ctx);
    const next: ListenerRecord = { ...listener };
    if (input.Protocol !== undefined) {
      this.#checkProtocol(input.Protocol, lb);
      next.protocol = input.Protocol;
    }
    if (input.Port !== undefined && input.Port !== listener.port) {
      if ((await this.#store.listeners.byParent(lb.arn)).some((l) => l.port === input.Port)) {
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
      await this.#checkActions(input.DefaultActions, lb, ctx);
      next.defaultActions = normalizeActions(input.DefaultActions);
    }
    await this.#sync.change(async (planes) => {
      const rules = await this.#store.rules.byParent(listener.arn);
      await this.#apply(planes, next, listener, lb, rules, () =>
        this.#store.transaction(async (tx) => {
          // Only the fields this call sets replace the stored ones (attributes may have changed meanwhile).
          const current = await this.get(listener.arn, ctx, tx);
          if (next.port !== current.port) await this.#checkPortFree(next, tx);
          await tx.listeners.put({ ...next, attributes: current.attributes });
        }),
      );
    });
    return { Listeners: [listenerShape(next)] };
  }

  async delete(input: { ListenerArn: string }, ctx: RequestContext) {
    const listener = await this.get(input.ListenerArn, ctx);
    await this.#sync.change(async (planes) => {
      await this.#store.transaction((tx) => this.remove(tx, listener.arn));
      await planes?.removeListener(listener.arn);
    });
    return {};
  }

  /** Deletes a listener with its rules and tags (inside the caller's transaction). */
  async remove(tx: Elbv2Transaction, listenerArn: string): Promise<void> {
    for (const r of await tx.rules.byParent(listenerArn)) {
      await tx.rules.delete(r.arn);
      await tx.deleteAllTags(r.arn);
    }
    await tx.listeners.delete(listenerArn);
    await tx.deleteAllTags(listenerArn);
  }

  async describe(input: DescribeListenersRequest, ctx: RequestContext) {
    let listeners: ListenerRecord[];
    if (input.LoadBalancerArn !== undefined) {
      const lb = await this.#loadBalancer(input.LoadBalancerArn, ctx);
      listeners = await this.#store.listeners.byParent(lb.arn);
      if (input.ListenerArns?.length) listeners = listeners.filter((l) => input.ListenerArns!.includes(l.arn));
    } else if (input.ListenerArns?.length) {
      listeners = [];
      for (const arn of input.ListenerArns) listeners.push(await this.get(arn, ctx));
    } else throw validationError('You must specify either listener ARNs or a load balancer ARN');
    const { page, next } = paginate(listeners, input.Marker, input.PageSize);
    return { Listeners: page.map(listenerShape), ...(next ? { NextMarker: next } : {}) };
  }

  async describeAttributes(input: { ListenerArn: string }, ctx: RequestContext) {
    return { Attributes: attributeList((await this.get(input.ListenerArn, ctx)).attributes) };
  }

  async modifyAttributes(input: { ListenerArn: string; Attributes: { Key?: string; Value?: string }[] }, ctx: RequestContext) {
    return this.#sync.change(async (planes) => {
      const listener = await this.#store.transaction(async (tx) => {
        const found = await this.get(input.ListenerArn, ctx, tx);
        const lb = await this.#loadBalancer(found.loadBalancerArn, ctx, tx);
        found.attributes = applyAttributes(lb.type === 'network' ? 'listener-tcp' : 'listener-http', found.attributes, input.Attributes);
        await tx.listeners.put(found);
        return found;
      });
      if (planes) await this.push(planes, [listener]);
      return { Attributes: attributeList(listener.attributes) };
    });
  }

  async createRule(input: CreateRuleRequest, ctx: RequestContext) {
    const listener = await this.get(input.ListenerArn, ctx);
    const lb = await this.#loadBalancer(listener.loadBalancerArn, ctx);
    if (lb.type !== 'application') throw validationError('Rules are not supported for network load balancer listeners');
    validateConditions(input.Conditions);
    if (input.Conditions.length === 0) throw validationError('A rule must have at least one condition');
    await this.#checkActions(input.Actions, lb, ctx);
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
    await this.#sync.change(async (planes) => {
      await this.#store
        .transaction(async (tx) => {
          await this.get(listener.arn, ctx, tx);
          const rules = await tx.rules.byParent(listener.arn);
          if (rules.some((r) => r.priority === input.Priority)) throw priorityInUse(input.Priority);
          if (rules.length >= MAX_RULES_PER_LISTENER) throw new TooManyRulesException(`A listener can have at most ${MAX_RULES_PER_LISTENER} rules`);
          await tx.rules.put(rule);
          if (input.Tags?.length) await tx.putTags(rule.arn, input.Tags);
        })
        .catch(uniquePriority(input.Priority));
      if (planes) await this.push(planes, [listener]);
    });
    return { Rules: [ruleShape(rule)] };
  }

  async modifyRule(input: ModifyRuleRequest, ctx: RequestContext) {
    const found = await this.#rule(input.RuleArn, ctx);
    if ('isDefault' in found) {
      if (input.Conditions?.length) throw new OperationNotPermittedException('The conditions of a default rule cannot be modified');
      if (input.Actions === undefined) return { Rules: [defaultRuleShape(found.isDefault)] };
      const actions = input.Actions;
      const lb = await this.#loadBalancer(found.isDefault.loadBalancerArn, ctx);
      await this.#checkActions(actions, lb, ctx);
      return this.#sync.change(async (planes) => {
        const listener = await this.#store.transaction(async (tx) => {
          const l = await this.get(found.isDefault.arn, ctx, tx);
          l.defaultActions = normalizeActions(actions);
          await tx.listeners.put(l);
          return l;
        });
        if (planes) await this.push(planes, [listener]);
        return { Rules: [defaultRuleShape(listener)] };
      });
    }
    const listener = await this.get(found.listenerArn, ctx);
    if (input.Conditions !== undefined) {
      validateConditions(input.Conditions);
      if (input.Conditions.length === 0) throw validationError('A rule must have at least one condition');
    }
    if (input.Actions !== undefined) await this.#checkActions(input.Actions, await this.#loadBalancer(listener.loadBalancerArn, ctx), ctx);
    return this.#sync.change(async (planes) => {
      const rule = await this.#store.transaction(async (tx) => {
        const r = await this.#rule(input.RuleArn, ctx, tx);
        if ('isDefault' in r) throw ruleNotFound();
        if (input.Conditions !== undefined) r.conditions = normalizeConditions(input.Conditions);
        if (input.Actions !== undefined) r.actions = normalizeActions(input.Actions);
        await tx.rules.put(r);
        return r;
      });
      if (planes) await this.push(planes, [listener]);
      return { Rules: [ruleShape(rule)] };
    });
  }

  async deleteRule(input: { RuleArn: string }, ctx: RequestContext) {
    const found = await this.#rule(input.RuleArn, ctx);
    if ('isDefault' in found) throw new OperationNotPermittedException('A default rule cannot be deleted');
    await this.#sync.change(async (planes) => {
      await this.#store.transaction(async (tx) => {
        await tx.rules.delete(found.arn);
        await tx.deleteAllTags(found.arn);
      });
      const listener = await this.#store.listeners.get(found.listenerArn);
      if (planes && listener) await this.push(planes, [listener]);
    });
    return {};
  }

  async describeRules(input: DescribeRulesRequest, ctx: RequestContext) {
    let rules: ReturnType<typeof ruleShape>[];
    if (input.ListenerArn !== undefined) {
      const listener = await this.get(input.ListenerArn, ctx);
      rules = (await this.#store.rules.byParent(listener.arn)).sort((a, b) => a.priority - b.priority).map(ruleShape);
      rules.push(defaultRuleShape(listener));
      if (input.RuleArns?.length) rules = rules.filter((r) => input.RuleArns!.includes(r.RuleArn!));
    } else if (input.RuleArns?.length) {
      rules = [];
      for (const arn of input.RuleArns) {
        const found = await this.#rule(arn, ctx);
        rules.push('isDefault' in found ? defaultRuleShape(found.isDefault) : ruleShape(found));
      }
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
    return this.#sync.change(async (planes) => {
      const rules = await this.#store
        .transaction(async (tx) => {
          const found: RuleRecord[] = [];
          for (const arn of changes.keys()) {
            const r = await this.#rule(arn, ctx, tx);
            if ('isDefault' in r) throw new OperationNotPermittedException('The priority of a default rule cannot be changed');
            found.push(r);
          }
          for (const listenerArn of new Set(found.map((r) => r.listenerArn))) {
            const priorities = new Set<number>();
            for (const r of await tx.rules.byParent(listenerArn)) {
              const p = changes.get(r.arn) ?? r.priority;
              if (priorities.has(p)) throw priorityInUse(p);
              priorities.add(p);
            }
          }
          // Priorities are unique per listener at every statement: park the moved rules on free
          // negative priorities first, so that two rules can swap theirs.
          for (const [i, r] of found.entries()) await tx.rules.put({ ...r, priority: -1 - i });
          for (const r of found) {
            r.priority = changes.get(r.arn)!;
            await tx.rules.put(r);
          }
          return found;
        })
        .catch(uniquePriority());
      if (planes) {
        const listeners: ListenerRecord[] = [];
        for (const arn of new Set(rules.map((r) => r.listenerArn))) {
          const l = await this.#store.listeners.get(arn);
          if (l) listeners.push(l);
        }
        await this.push(planes, listeners);
      }
      return { Rules: rules.map(ruleShape) };
    });
  }
}

const priorityInUse = (priority: number) => new PriorityInUseException(`Priority '${priority}' is currently in use`);

/** A priority taken by another node's concurrent write hits the unique index: that is PriorityInUse too. */
function uniquePriority(priority?: number): (error: unknown) => never {
  return (error) => {
    if (isUniqueViolation(error)) throw priority === undefined ? new PriorityInUseException('A priority is currently in use') : priorityInUse(priority);
    throw error;
  };
}
