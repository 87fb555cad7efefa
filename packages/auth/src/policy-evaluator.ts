// IAM policy evaluation of one set of policies (identity policies, a resource policy, a boundary,
// session policies) for one request: `ExplicitDeny` when an applicable statement denies, `Allow`
// when one allows, `ImplicitDeny` otherwise. Combining the sets (same account, cross account,
// boundaries, session policies) is authorizer.ts's. Policies are compiled once (policy-compiler.ts).
// Semantics follow the IAM User Guide, "Policy evaluation logic" and "IAM JSON policy elements":
// Action matching is case-insensitive, Resource matching case-sensitive per ARN part; condition
// blocks AND their operators and keys and OR a key's values; negated operators match a missing key;
// `ForAllValues` matches an empty set, `ForAnyValue` does not; `…IfExists` matches a missing key.
import { OPERATORS, arnMatch, splitArn, type ValueTest } from './condition-operators.js';
import { compilePolicy, statementsFor, type CompiledCondition, type CompiledPolicy, type CompiledResource, type CompiledStatement, type PrincipalEntry } from './policy-compiler.js';
import { ConditionContext } from './policy-context.js';
import type { PolicyDocument } from './policy-document.js';

export type PolicyDecision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

/** Who makes the request, for resource and trust policies' `Principal` (identity policies have none). */
export interface RequestPrincipal {
  /** `arn:aws:iam::123456789012:user/alice`, a role session's ARN, or the account root's ARN. */
  arn?: string;
  accountId?: string;
  /** A role session's role (`arn:aws:iam::123456789012:role/app`): a policy naming the role names its sessions. */
  roleArn?: string;
  /** For AWS services acting for a resource: `sns.amazonaws.com`. */
  service?: string;
  /** A web identity or SAML provider (`Federated` principals in trust policies). */
  federated?: string;
}

/**
 * How a resource policy's Allow named the caller: `direct` (its own ARN, a session's ARN, `*`, a
 * service), `role` (the role of a role session: limited by the role's boundary and session
 * policies) or `account` (the caller's account: it delegates to the account's identity policies).
 */
export type PrincipalMatch = 'direct' | 'role' | 'account';

export interface PolicyRequest {
  /** `sqs:SendMessage`. */
  action: string;
  /** The resource ARN (`*` for actions without a resource). */
  resource: string;
  /** Condition keys (matched case-insensitively): `aws:username`, `aws:SourceIp`, `s3:prefix` … */
  context?: Record<string, string | string[]> | ConditionContext;
  principal?: RequestPrincipal;
}

/** A statement that applied: its policy's index in the evaluated list and its own index. */
export interface MatchedStatement {
  policy: number;
  statement: number;
  effect: 'Allow' | 'Deny';
}

export interface SetEvaluation {
  decision: PolicyDecision;
  /** Resource policies: the strongest way an applicable Allow named the caller. */
  principalMatch?: PrincipalMatch;
  /** With `collect`: the statements that applied (all of them, allows and denies). */
  matched?: MatchedStatement[];
}

export interface EvaluateOptions {
  /**
   * Evaluate `Principal`/`NotPrincipal` (resource and trust policies). A statement without either
   * applies without naming anyone (`principalMatch` stays unset: such an Allow grants nothing by itself).
   */
  principals?: boolean;
  /** Record every applicable statement (Simulate); otherwise evaluation stops at the first Deny. */
  collect?: boolean;
  /** Receives the condition keys that conditions read and the request did not have (Simulate). */
  missing?: Set<string>;
}

/** A request ready for evaluation: the action lower-cased and the context wrapped once. */
export interface PreparedRequest {
  action: string;
  lowerAction: string;
  /** The action's service prefix, lower-cased. */
  vendor: string;
  resource: string;
  /** The resource split into its six ARN parts (on first use; null when it is not an ARN). */
  resourceParts?: string[] | null;
  /** `lowerAction\nresource`, the key of compiled policies' per-request statement cache. */
  key?: string;
  context: ConditionContext;
  principal?: RequestPrincipal;
}

export function prepareRequest(request: PolicyRequest): PreparedRequest {
  const context = request.context instanceof ConditionContext ? request.context : ConditionContext.of(request.context);
  const lowerAction = request.action.toLowerCase();
  const colon = lowerAction.indexOf(':');
  return {
    action: request.action,
    lowerAction,
    vendor: colon < 0 ? lowerAction : lowerAction.slice(0, colon),
    resource: request.resource,
    context,
    ...(request.principal ? { principal: request.principal } : {}),
  };
}

/**
 * Replaces `${aws:username}`-style variables (and `${*}`, `${?}`, `${$}`) with single context
 * values; `${key, 'default'}` supplies a default. Undefined when a variable has no value, so the
 * element does not match.
 */
export function substituteVariables(text: string, context: ConditionContext, missing?: Set<string>): string | undefined {
  if (!text.includes('${')) return text;
  let absent = false;
  const result = text.replace(/\$\{([^}]*)\}/g, (_match, inner: string) => {
    if (inner === '*' || inner === '?' || inner === '$') return inner;
    const m = /^\s*([^,\s]+)\s*(?:,\s*'([^']*)'\s*)?$/.exec(inner);
    if (!m) {
      absent = true;
      return '';
    }
    const values = context.get(m[1]!.toLowerCase());
    if (values && values.length === 1) return values[0]!;
    if (m[2] !== undefined) return m[2];
    missing?.add(m[1]!);
    absent = true;
    return '';
  });
  return absent ? undefined : result;
}

function anyAction(tests: ((a: string) => boolean)[], lowerAction: string): boolean {
  for (const test of tests) if (test(lowerAction)) return true;
  return false;
}

function anyResource(patterns: CompiledResource[], request: PreparedRequest, missing: Set<string> | undefined): boolean {
  for (const p of patterns) {
    if (p.test) {
      if (request.resourceParts === undefined) request.resourceParts = splitArn(request.resource) ?? null;
      if (p.test(request.resource, request.resourceParts ?? undefined)) return true;
      continue;
    }
    const pattern = substituteVariables(p.pattern, request.context, missing);
    if (pattern !== undefined && (pattern === '*' || arnMatch(pattern, request.resource))) return true;
  }
  return false;
}

/** How (if at all) one principal list names the caller. */
function principalMatch(entries: PrincipalEntry[], who: RequestPrincipal | undefined): PrincipalMatch | undefined {
  let best: PrincipalMatch | undefined;
  for (const entry of entries) {
    if (entry.type === '*' || (entry.type === 'AWS' && entry.value === '*')) return 'direct';
    if (!who) continue;
    switch (entry.type) {
      case 'AWS':
        if (who.arn !== undefined && entry.value === who.arn) return 'direct';
        if (who.roleArn !== undefined && entry.value === who.roleArn) best = 'role';
        else if (entry.account !== undefined && who.accountId === entry.account) best ??= 'account';
        break;
      case 'Service':
        if (who.service !== undefined && (entry.value === who.service || entry.value === '*')) return 'direct';
        break;
      case 'Federated':
        if (who.federated !== undefined && entry.value === who.federated) return 'direct';
        break;
    }
  }
  return best;
}

/**
 * `NotPrincipal` exempts a caller only when the list names it and its account (IAM User Guide,
 * "NotPrincipal": a Deny with NotPrincipal must list the account too); a service is exempt when named.
 */
function notPrincipalExempts(entries: PrincipalEntry[], who: RequestPrincipal | undefined): boolean {
  if (entries.some((e) => e.type === '*' || (e.type === 'AWS' && e.value === '*'))) return true;
  if (!who) return false;
  if (who.service !== undefined) return entries.some((e) => e.type === 'Service' && e.value === who.service);
  const named = entries.some((e) => e.type === 'AWS' && (e.value === who.arn || (who.roleArn !== undefined && e.value === who.roleArn)));
  const account = entries.some((e) => e.account !== undefined && e.account === who.accountId);
  const isRoot = who.arn !== undefined && /^arn:[^:]+:iam::\d{12}:root$/.test(who.arn);
  return isRoot ? account : named && account;
}

function testsFor(condition: CompiledCondition, context: ConditionContext, missing: Set<string> | undefined): (ValueTest | undefined)[] {
  if (condition.tests) return condition.tests;
  const spec = OPERATORS[condition.operator]!;
  const tests: (ValueTest | undefined)[] = [];
  for (const value of condition.values) {
    const substituted = substituteVariables(value, context, missing);
    if (substituted !== undefined) tests.push(spec.compile(substituted));
  }
  return tests;
}

function conditionHolds(condition: CompiledCondition, context: ConditionContext, missing: Set<string> | undefined): boolean {
  if (condition.unknown) return false;
  const present = context.get(condition.lowerKey);
  const absent = present === undefined || present.length === 0;
  if (absent) missing?.add(condition.key);
  if (condition.operator === 'Null') {
    return condition.values.some((v) => (v.toLowerCase() === 'true') === absent);
  }
  if (absent) {
    if (condition.set === 'ForAllValues') return true;
    if (condition.set === 'ForAnyValue') return false;
    return condition.ifExists || condition.negated;
  }
  const tests = testsFor(condition, context, missing);
  const hit = (value: string): boolean => {
    for (const test of tests) if (test !== undefined && test(value)) return true;
    return false;
  };
  const ok = (value: string): boolean => (condition.negated ? !hit(value) : hit(value));
  if (condition.set === 'ForAllValues') return present.every(ok);
  if (condition.set === 'ForAnyValue') return present.some(ok);
  return condition.negated ? present.every(ok) : present.some(ok);
}

/** Whether a statement's Action/NotAction and Resource/NotResource match the request. */
function targetMatches(statement: CompiledStatement, request: PreparedRequest, missing: Set<string> | undefined): boolean {
  if (statement.actions !== undefined && !anyAction(statement.actions, request.lowerAction)) return false;
  if (statement.notActions !== undefined && anyAction(statement.notActions, request.lowerAction)) return false;
  if (statement.resources !== undefined && !anyResource(statement.resources, request, missing)) return false;
  if (statement.notResources !== undefined && anyResource(statement.notResources, request, missing)) return false;
  return true;
}

const MAX_REQUEST_KEYS = 512;

/**
 * The statements of a policy whose action and resource match the request, in order: cached per
 * (action, resource), since they do not depend on the context (statements with policy variables in
 * Resource are kept and re-checked per request).
 */
function candidates(policy: CompiledPolicy, request: PreparedRequest): CompiledStatement[] {
  const key = (request.key ??= `${request.lowerAction}\n${request.resource}`);
  const cache = (policy.byRequest ??= new Map());
  let list = cache.get(key);
  if (!list) {
    list = statementsFor(policy, request.vendor).filter((s) => s.dynamic || targetMatches(s, request, undefined));
    if (cache.size >= MAX_REQUEST_KEYS) cache.clear();
    cache.set(key, list);
  }
  return list;
}

/**
 * Whether a statement applies to the request; for statements with a principal, how it named the
 * caller. Undefined when it does not apply. `targetChecked`: its action and resource already match.
 */
export function statementApplies(statement: CompiledStatement, request: PreparedRequest, options: EvaluateOptions = {}, targetChecked = false): PrincipalMatch | 'applies' | undefined {
  if (!(targetChecked && !statement.dynamic) && !targetMatches(statement, request, options.missing)) return undefined;
  let match: PrincipalMatch | 'applies' = 'applies';
  if (options.principals) {
    if (statement.principal !== undefined) {
      const m = principalMatch(statement.principal, request.principal);
      if (m === undefined) return undefined;
      match = m;
    } else if (statement.notPrincipal !== undefined) {
      if (notPrincipalExempts(statement.notPrincipal, request.principal)) return undefined;
      match = 'direct';
    }
  }
  for (const condition of statement.conditions) if (!conditionHolds(condition, request.context, options.missing)) return undefined;
  return match;
}

const STRENGTH: Record<PrincipalMatch, number> = { account: 1, role: 2, direct: 3 };

/** Evaluates one set of compiled policies (see `EvaluateOptions`). */
export function evaluatePolicySet(policies: readonly CompiledPolicy[], request: PreparedRequest, options: EvaluateOptions = {}): SetEvaluation {
  let allowed = false;
  let denied = false;
  let best: PrincipalMatch | undefined;
  const matched: MatchedStatement[] | undefined = options.collect ? [] : undefined;
  for (let p = 0; p < policies.length; p++) {
    const statements = candidates(policies[p]!, request);
    for (let s = 0; s < statements.length; s++) {
      const statement = statements[s]!;
      const match = statementApplies(statement, request, options, true);
      if (match === undefined) continue;
      matched?.push({ policy: p, statement: statement.index, effect: statement.effect });
      if (statement.effect === 'Deny') {
        denied = true;
        if (!matched) return { decision: 'ExplicitDeny' };
        continue;
      }
      allowed = true;
      if (match !== 'applies' && (best === undefined || STRENGTH[match] > STRENGTH[best])) best = match;
    }
  }
  const decision: PolicyDecision = denied ? 'ExplicitDeny' : allowed ? 'Allow' : 'ImplicitDeny';
  return { decision, ...(best && !denied ? { principalMatch: best } : {}), ...(matched ? { matched } : {}) };
}

/**
 * Evaluates policies (texts, parsed documents or compiled) for one request. Statements' `Principal`
 * is matched when the request names a principal (resource policies); otherwise ignored.
 */
export function evaluatePolicies(request: PolicyRequest, policies: readonly (string | PolicyDocument | CompiledPolicy)[]): PolicyDecision {
  const compiled = policies.map((p) => compilePolicy(p));
  return evaluatePolicySet(compiled, prepareRequest(request), { principals: request.principal !== undefined }).decision;
}
