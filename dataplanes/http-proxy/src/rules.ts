// Listener rules compiled for the hot path: conditions become predicates over a request, evaluated
// in priority order; the first rule whose conditions all hold gives the action. Host, path and
// query are split out of the request only when some rule needs them.
import type { ActionConfig, ConditionConfig, RuleConfig } from './config.js';
import { parseCidr, wildcardRegExp } from './match.js';

/** What conditions look at. `path` and `query` are split out of `url` lazily, once per request. */
export interface RequestView {
  method: string;
  url: string;
  /** The Host header as sent (may carry a port). */
  host: string;
  remoteAddress: string;
  /** Header names (as sent) and values, in order. */
  names: string[];
  values: string[];
  path: string | undefined;
  query: string | undefined;
}

type Predicate = (view: RequestView) => boolean;

export interface CompiledRule {
  priority: number;
  predicates: Predicate[];
  action: ActionConfig;
}

function splitUrl(view: RequestView): void {
  const url = view.url;
  const q = url.indexOf('?');
  if (q < 0) {
    view.path = url;
    view.query = '';
  } else {
    view.path = url.slice(0, q);
    view.query = url.slice(q + 1);
  }
}

function hostOf(view: RequestView): string {
  const host = view.host;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end > 0 ? host.slice(0, end + 1) : host;
  }
  const colon = host.indexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

function compileCondition(c: ConditionConfig): Predicate {
  switch (c.field) {
    case 'host-header': {
      const res = c.values.map((v) => wildcardRegExp(v, true));
      return (view) => {
        const host = hostOf(view);
        return res.some((re) => re.test(host));
      };
    }
    case 'path-pattern': {
      const res = c.values.map((v) => wildcardRegExp(v, false));
      return (view) => {
        if (view.path === undefined) splitUrl(view);
        const path = view.path!;
        return res.some((re) => re.test(path));
      };
    }
    case 'http-request-method': {
      const methods = new Set(c.values);
      return (view) => methods.has(view.method);
    }
    case 'source-ip': {
      const cidrs = c.values.map((v) => parseCidr(v)).filter((x) => x !== undefined);
      return (view) => {
        const ip = view.remoteAddress;
        return cidrs.some((cidr) => cidr.contains(ip));
      };
    }
    case 'http-header': {
      const name = c.name.toLowerCase();
      const res = c.values.map((v) => wildcardRegExp(v, true));
      return (view) => {
        const names = view.names;
        for (let i = 0; i < names.length; i++) {
          if (names[i]!.length !== name.length || names[i]!.toLowerCase() !== name) continue;
          const value = view.values[i]!;
          if (res.some((re) => re.test(value))) return true;
        }
        return false;
      };
    }
    case 'query-string': {
      const pairs = c.values.map((p) => ({
        key: p.key === undefined ? undefined : wildcardRegExp(p.key, true),
        value: wildcardRegExp(p.value, true),
      }));
      return (view) => {
        if (view.query === undefined) splitUrl(view);
        if (view.query === '') return false;
        for (const part of view.query!.split('&')) {
          const eq = part.indexOf('=');
          const k = eq < 0 ? part : part.slice(0, eq);
          const v = eq < 0 ? '' : part.slice(eq + 1);
          for (const pair of pairs) {
            if ((pair.key === undefined || pair.key.test(k)) && pair.value.test(v)) return true;
          }
        }
        return false;
      };
    }
  }
}

/** Compiles and sorts a listener's rules (lowest priority number first, default rule last). */
export function compileRules(rules: readonly RuleConfig[]): CompiledRule[] {
  return [...rules]
    .sort((a, b) => a.priority - b.priority)
    .map((r) => ({ priority: r.priority, predicates: r.conditions.map(compileCondition), action: r.action }));
}

/** The action of the first matching rule, or undefined when none matches (no default rule). */
export function matchRule(rules: readonly CompiledRule[], view: RequestView): ActionConfig | undefined {
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    const preds = rule.predicates;
    let ok = true;
    for (let j = 0; j < preds.length; j++) {
      if (!preds[j]!(view)) {
        ok = false;
        break;
      }
    }
    if (ok) return rule.action;
  }
  return undefined;
}
