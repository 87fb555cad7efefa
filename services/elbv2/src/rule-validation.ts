// Checks listener rule conditions and actions as ELBv2 does, and turns them into the data plane's
// configuration. Everything here is pure: the provider looks target groups up and passes them in.
import type { Action, RuleCondition } from '@atoll/aws-models/elbv2';
import { parseCidr, type ActionConfig, type ConditionConfig } from '@atoll/http-proxy';
import { TooManyActionsException, validationError } from './elbv2-errors.js';

/** ALB allows five condition values (wildcards included) per rule. */
export const MAX_CONDITION_VALUES = 5;
const FIELDS = new Set(['host-header', 'path-pattern', 'http-header', 'http-request-method', 'query-string', 'source-ip']);
const CONTENT_TYPES = new Set(['text/plain', 'text/css', 'text/html', 'application/javascript', 'application/json']);

function valuesOf(c: RuleCondition, field: string): string[] {
  const config =
    field === 'host-header' ? c.HostHeaderConfig?.Values
      : field === 'path-pattern' ? c.PathPatternConfig?.Values
        : field === 'http-request-method' ? c.HttpRequestMethodConfig?.Values
          : field === 'source-ip' ? c.SourceIpConfig?.Values
            : field === 'http-header' ? c.HttpHeaderConfig?.Values
              : undefined;
  if (config !== undefined && c.Values !== undefined && c.Values.length > 0 && c.Values.join('\u0000') !== config.join('\u0000')) {
    throw validationError(`You cannot specify both 'Values' and '${field}' configuration for the '${field}' condition`);
  }
  return config ?? c.Values ?? [];
}

/** Validates conditions and compiles them for the data plane; throws ValidationError. */
export function validateConditions(conditions: readonly RuleCondition[]): ConditionConfig[] {
  const out: ConditionConfig[] = [];
  const seen = new Set<string>();
  let total = 0;
  for (const c of conditions) {
    const field = c.Field;
    if (field === undefined || !FIELDS.has(field)) throw validationError(`Condition field '${field ?? ''}' must be one of [${[...FIELDS].join(', ')}]`);
    if ((field === 'host-header' || field === 'path-pattern' || field === 'http-request-method' || field === 'source-ip') && seen.has(field)) {
      throw validationError(`A rule can contain only one '${field}' condition`);
    }
    seen.add(field);
    if (field === 'query-string') {
      const pairs = c.QueryStringConfig?.Values ?? [];
      if (pairs.length === 0) throw validationError(`A 'query-string' condition requires at least one key/value pair`);
      for (const p of pairs) {
        if (p.Value === undefined || p.Value === '') throw validationError(`A 'query-string' condition value must not be empty`);
        if ((p.Value?.length ?? 0) > 128 || (p.Key?.length ?? 0) > 128) throw validationError(`Query string keys and values must be at most 128 characters`);
      }
      total += pairs.length;
      out.push({ field, values: pairs.map((p) => (p.Key === undefined || p.Key === '' ? { value: p.Value! } : { key: p.Key, value: p.Value! })) });
      continue;
    }
    const values = valuesOf(c, field);
    if (values.length === 0) throw validationError(`A '${field}' condition requires at least one value`);
    total += values.length;
    for (const v of values) {
      if (v.length > 128) throw validationError(`Condition value '${v}' must be at most 128 characters`);
      if (field === 'path-pattern' && !/^[A-Za-z0-9_\-.$/~"'@:+&()!,;=*?%]+$/.test(v)) throw validationError(`Condition value '${v}' contains invalid characters`);
      if (field === 'host-header' && !/^[A-Za-z0-9\-.*?]+$/.test(v)) throw validationError(`Condition value '${v}' contains invalid characters`);
      if (field === 'http-request-method' && !/^[A-Z_-]+$/.test(v)) throw validationError(`Condition value '${v}' is not a valid HTTP request method`);
      if (field === 'source-ip' && parseCidr(v) === undefined) throw validationError(`Condition value '${v}' is not a valid CIDR block`);
    }
    if (field === 'http-header') {
      const name = c.HttpHeaderConfig?.HttpHeaderName;
      if (name === undefined || !/^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,40}$/.test(name)) throw validationError(`An 'http-header' condition requires a valid header name`);
      out.push({ field, name, values });
    } else out.push({ field, values } as ConditionConfig);
  }
  if (total > MAX_CONDITION_VALUES) throw validationError(`A rule can only have '${MAX_CONDITION_VALUES}' condition values`);
  return out;
}

export interface TargetGroupView {
  arn: string;
  protocol?: string;
  targetType: string;
}

/** Target group ARNs that the actions forward to (for lookups and in-use checks). */
export function forwardedGroups(actions: readonly Action[]): string[] {
  const out: string[] = [];
  for (const a of actions) {
    if (a.Type !== 'forward') continue;
    if (a.ForwardConfig?.TargetGroups?.length) for (const t of a.ForwardConfig.TargetGroups) { if (t.TargetGroupArn) out.push(t.TargetGroupArn); }
    else if (a.TargetGroupArn) out.push(a.TargetGroupArn);
  }
  return [...new Set(out)];
}

/**
 * Validates a rule's (or listener's default) actions and returns the final action for the data
 * plane. `loadBalancerType` decides which actions and target group protocols are allowed.
 */
export function validateActions(actions: readonly Action[], loadBalancerType: 'application' | 'network'): ActionConfig {
  if (actions.length === 0) throw validationError('At least one action must be specified');
  const orders = actions.map((a) => a.Order);
  if (orders.some((o) => o !== undefined) && new Set(orders).size !== orders.length) throw validationError('Action orders must be unique');
  const sorted = [...actions].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0));
  const terminal = sorted.filter((a) => a.Type === 'forward' || a.Type === 'redirect' || a.Type === 'fixed-response');
  for (const a of sorted) {
    if (a.Type === 'authenticate-oidc' || a.Type === 'authenticate-cognito' || a.Type === 'jwt-validation') {
      throw validationError(`Action type '${a.Type}' is not supported by Atoll`);
    }
  }
  if (terminal.length !== 1) throw new TooManyActionsException('A rule must have exactly one forward, redirect or fixed-response action');
  const action = terminal[0]!;
  if (loadBalancerType === 'network' && action.Type !== 'forward') throw validationError(`Action type '${action.Type}' is not supported for network load balancers`);
  switch (action.Type) {
    case 'forward': {
      const tuples = action.ForwardConfig?.TargetGroups ?? [];
      if (action.TargetGroupArn && tuples.length > 0 && !(tuples.length === 1 && tuples[0]!.TargetGroupArn === action.TargetGroupArn)) {
        throw validationError('You cannot specify both a target group ARN and a forward config with different target groups');
      }
      const groups = tuples.length > 0 ? tuples.map((t) => ({ id: t.TargetGroupArn ?? '', weight: t.Weight ?? 1 })) : action.TargetGroupArn ? [{ id: action.TargetGroupArn, weight: 1 }] : [];
      if (groups.length === 0) throw validationError('A forward action requires a target group');
      if (groups.length > 5) throw validationError('A forward action can have at most 5 target groups');
      if (loadBalancerType === 'network' && groups.length > 1) throw validationError('Network load balancers forward to one target group');
      for (const g of groups) {
        if (g.id === '') throw validationError('A target group ARN must be specified');
        if (!Number.isInteger(g.weight) || g.weight < 0 || g.weight > 999) throw validationError('Target group weights must be between 0 and 999');
      }
      if (new Set(groups.map((g) => g.id)).size !== groups.length) throw validationError('A target group can be specified only once in a forward action');
      const stickiness = action.ForwardConfig?.TargetGroupStickinessConfig;
      const seconds = stickiness?.Enabled ? (stickiness.DurationSeconds ?? 3600) : 0;
      if (stickiness?.Enabled && (seconds < 1 || seconds > 604800)) throw validationError('Target group stickiness duration must be between 1 and 604800 seconds');
      return { type: 'forward', targetGroups: groups, stickinessSeconds: seconds };
    }
    case 'redirect': {
      const r = action.RedirectConfig;
      if (r === undefined) throw validationError('A redirect action requires a redirect config');
      const protocol = r.Protocol ?? '#{protocol}';
      if (!['HTTP', 'HTTPS', '#{protocol}'].includes(protocol)) throw validationError(`Redirect protocol must be HTTP, HTTPS or #{protocol}`);
      const path = r.Path ?? '/#{path}';
      if (!path.startsWith('/')) throw validationError('Redirect path must start with a /');
      const config = { protocol, port: r.Port ?? '#{port}', host: r.Host ?? '#{host}', path, query: r.Query ?? '#{query}', statusCode: r.StatusCode === 'HTTP_301' ? 301 : 302 } as const;
      if (r.StatusCode !== 'HTTP_301' && r.StatusCode !== 'HTTP_302') throw validationError('Redirect status code must be HTTP_301 or HTTP_302');
      if (config.protocol === '#{protocol}' && config.port === '#{port}' && config.host === '#{host}' && config.path === '/#{path}' && config.query === '#{query}') {
        throw validationError('The redirect configuration is not valid: it redirects to the original URL');
      }
      return { type: 'redirect', ...config };
    }
    default: {
      const f = action.FixedResponseConfig;
      if (f === undefined) throw validationError('A fixed-response action requires a fixed-response config');
      if (!/^[245]\d\d$/.test(f.StatusCode)) throw validationError(`Fixed response status code '${f.StatusCode}' must be 2XX, 4XX or 5XX`);
      if (f.ContentType !== undefined && !CONTENT_TYPES.has(f.ContentType)) throw validationError(`Content type '${f.ContentType}' is not supported`);
      if ((f.MessageBody?.length ?? 0) > 1024) throw validationError('Fixed response message body must be at most 1024 characters');
      const out: ActionConfig = { type: 'fixed-response', statusCode: Number(f.StatusCode) };
      if (f.ContentType !== undefined) out.contentType = f.ContentType;
      if (f.MessageBody !== undefined) out.body = f.MessageBody;
      return out;
    }
  }
}
