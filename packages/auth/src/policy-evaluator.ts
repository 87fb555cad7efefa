// IAM policy evaluation: whether a set of policies allows `service:Action` on a resource ARN for a
// request context. An explicit Deny wins over any Allow; no matching Allow is an implicit deny.
// Permission boundaries, SCPs and session policies are the caller's to combine (evaluate each set).
import { OPERATORS, arnMatch, wildcardMatch } from './condition-operators.js';
import { splitConditionOperator, type PolicyDocument, type PolicyPrincipal, type PolicyStatement, type StringOrList } from './policy-document.js';

export type PolicyDecision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

/** Who makes the request, for resource policies' `Principal` (identity policies ignore it). */
export interface RequestPrincipal {
  /** `arn:aws:iam::123456789012:user/alice`, or the account root's ARN. */
  arn?: string;
  accountId?: string;
  /** For AWS services acting for a resource: `sns.amazonaws.com`. */
  service?: string;
}

export interface PolicyRequest {
  /** `sqs:SendMessage`. */
  action: string;
  /** The resource ARN (`*` for actions without a resource). */
  resource: string;
  /** Condition keys (matched case-insensitively): `aws:username`, `aws:SourceIp`, `s3:prefix` … */
  context?: Record<string, string | string[]>;
  principal?: RequestPrincipal;
}

function asList(value: StringOrList | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Context keys by lower-cased name. */
function normalizeContext(context: Record<string, string | string[]> | undefined): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const [key, value] of Object.entries(context ?? {})) map.set(key.toLowerCase(), Array.isArray(value) ? value : [value]);
  return map;
}

/**
 * Replaces `${aws:username}`-style variables (and `${*}`, `${?}`, `${$}`) with single context
 * values; `${key, 'default'}` supplies a default. Undefined when a variable has no value, so the
 * element does not match.
 */
export function substituteVariables(text: string, context: Map<string, string[]>): string | undefined {
  if (!text.includes('${')) return text;
  let missing = false;
  const result = text.replace(/\$\{([^}]*)\}/g, (_match, inner: string) => {
    if (inner === '*' || inner === '?' || inner === '$') return inner;
    const m = /^\s*([^,\s]+)\s*(?:,\s*'([^']*)'\s*)?$/.exec(inner);
    if (!m) {
      missing = true;
      return '';
    }
    const values = context.get(m[1]!.toLowerCase());
    if (values && values.length === 1) return values[0]!;
    if (m[2] !== undefined) return m[2];
    missing = true;
    return '';
  });
  return missing ? undefined : result;
}

function actionMatches(patterns: string[], action: string): boolean {
  return patterns.some((p) => wildcardMatch(p, action, true));
}

function resourceMatches(patterns: string[], resource: string, context: Map<string, string[]>): boolean {
  return patterns.some((raw) => {
    const pattern = substituteVariables(raw, context);
    return pattern !== undefined && (pattern === '*' || arnMatch(pattern, resource));
  });
}

function principalMatches(principal: PolicyPrincipal, who: RequestPrincipal | undefined): boolean {
  if (principal === '*') return true;
  for (const [type, value] of Object.entries(principal)) {
    for (const entry of asList(value)) {
      if (entry === '*' && type === 'AWS') return true;
      if (!who) continue;
      if (type === 'AWS') {
        if (who.arn !== undefined && entry === who.arn) return true;
        const account = /^\d{12}$/.test(entry) ? entry : /^arn:[^:]+:iam::(\d{12}):root$/.exec(entry)?.[1];
        if (account !== undefined && who.accountId === account) return true;
      } else if (type === 'Service') {
        if (who.service !== undefined && entry === who.service) return true;
      }
    }
  }
  return false;
}

function policyValues(raw: unknown): string[] {
  const values = Array.isArray(raw) ? raw : [raw];
  return values.map((v) => String(v));
}

function conditionMatches(operatorName: string, block: Record<string, unknown>, context: Map<string, string[]>): boolean {
  const { set, operator, ifExists } = splitConditionOperator(operatorName);
  for (const [key, raw] of Object.entries(block)) {
    const contextValues = context.get(key.toLowerCase());
    const wanted = policyValues(raw);
    if (operator === 'Null') {
      const absent = contextValues === undefined || contextValues.length === 0;
      if (!wanted.some((w) => (w.toLowerCase() === 'true') === absent)) return false;
      continue;
    }
    const spec = OPERATORS[operator];
    if (!spec) return false;
    const patterns = spec.variables ? wanted.map((w) => substituteVariables(w, context)).filter((w): w is string => w !== undefined) : wanted;
    const test = (value: string): boolean => {
      const hit = patterns.some((p) => spec.test(value, p));
      return spec.negated ? !hit : hit;
    };
    if (contextValues === undefined || contextValues.length === 0) {
      if (set === 'ForAllValues') continue;
      if (set === 'ForAnyValue') return false;
      if (ifExists || spec.negated) continue;
      return false;
    }
    let ok: boolean;
    if (set === 'ForAllValues') ok = contextValues.every(test);
    else if (set === 'ForAnyValue') ok = contextValues.some(test);
    else ok = spec.negated ? contextValues.every(test) : contextValues.some(test);
    if (!ok) return false;
  }
  return true;
}

/** True when the statement applies to the request (its Effect then decides). */
export function statementApplies(statement: PolicyStatement, request: PolicyRequest, context: Map<string, string[]>): boolean {
  if (statement.Action !== undefined && !actionMatches(asList(statement.Action), request.action)) return false;
  if (statement.NotAction !== undefined && actionMatches(asList(statement.NotAction), request.action)) return false;
  if (statement.Action === undefined && statement.NotAction === undefined) return false;
  if (statement.Resource !== undefined && !resourceMatches(asList(statement.Resource), request.resource, context)) return false;
  if (statement.NotResource !== undefined && resourceMatches(asList(statement.NotResource), request.resource, context)) return false;
  if (statement.Principal !== undefined && !principalMatches(statement.Principal, request.principal)) return false;
  if (statement.NotPrincipal !== undefined && principalMatches(statement.NotPrincipal, request.principal)) return false;
  for (const [operator, block] of Object.entries(statement.Condition ?? {})) {
    if (!conditionMatches(operator, block as Record<string, unknown>, context)) return false;
  }
  return true;
}

/**
 * Evaluates policies for one request. `ExplicitDeny` when any applicable statement denies,
 * `Allow` when at least one allows, `ImplicitDeny` otherwise.
 */
export function evaluatePolicies(request: PolicyRequest, policies: PolicyDocument[]): PolicyDecision {
  const context = normalizeContext(request.context);
  let allowed = false;
  for (const policy of policies) {
    const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
    for (const statement of statements) {
      if (!statementApplies(statement, request, context)) continue;
      if (statement.Effect === 'Deny') return 'ExplicitDeny';
      allowed = true;
    }
  }
  return allowed ? 'Allow' : 'ImplicitDeny';
}
