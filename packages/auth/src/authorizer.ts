// The authorize step's decision: combines identity policies, resource policies, a permissions
// boundary and session policies as IAM does within one account and across accounts, and builds
// AWS's AccessDenied. Loading the policies (IAM, a queue's Policy …) is the caller's; they arrive as
// texts, documents or compiled policies (compiled once, cached by text).
// Rules (IAM User Guide, "Policy evaluation logic", "Cross-account policy evaluation logic",
// "Permissions boundaries for IAM entities", "Session policies"):
// - an explicit Deny in any of the policies wins;
// - same account: a resource policy that names the caller directly (its user ARN, its role
//   session's ARN, `*`) allows on its own, not limited by a boundary or session policies; one that
//   names the session's role ARN adds to the identity policies (still limited by the boundary and
//   session policies); one that names only the account delegates to the identity policies;
// - otherwise an identity policy must allow, and the boundary and the session policies (when
//   present) must allow too;
// - cross account: the caller's side (identity ∩ boundary ∩ session) and the resource policy must both allow;
// - the account root may do anything in its own account unless a resource policy denies it;
// - an AWS service principal is allowed only by a resource policy that names it.
// Limitations: no SCPs, RCPs or VPC endpoint policies; the NotPrincipal-with-boundary quirk is not reproduced.
import type { CallerIdentity } from '@atoll/core';
import { AuthError, type AuthDialect } from './auth-errors.js';
import { compilePolicy, type CompiledPolicy } from './policy-compiler.js';
import { ConditionContext } from './policy-context.js';
import type { PolicyDocument } from './policy-document.js';
import { evaluatePolicySet, prepareRequest, type EvaluateOptions, type PolicyDecision, type RequestPrincipal, type SetEvaluation } from './policy-evaluator.js';

export type AnyPolicy = string | PolicyDocument | CompiledPolicy;

export interface AuthorizeRequest {
  identity: CallerIdentity;
  /** `sqs:SendMessage`. */
  action: string;
  /** The resource ARN, or `*`. */
  resource: string;
  /** Condition keys: a ConditionContext (lazy) or a record (`globalConditionKeys(...)` with service keys). */
  context?: Record<string, string | string[]> | ConditionContext;
  /** Policies attached to the user (directly and through groups) or role. */
  identityPolicies: readonly AnyPolicy[];
  /** The resource's own policy (queue, topic, bucket …), if it has one. */
  resourcePolicies?: readonly AnyPolicy[];
  /** The user's or role's permissions boundary. */
  boundary?: AnyPolicy;
  /** A session's policies (inline and managed): they narrow the role's permissions. */
  sessionPolicies?: readonly AnyPolicy[];
  /** The account owning the resource; taken from the ARN when omitted (S3 ARNs name none). */
  resourceAccount?: string;
  /** Record every applicable statement (Simulate). */
  collect?: boolean;
  /** Receives condition keys the request lacked (Simulate). */
  missing?: Set<string>;
}

export type DecisionSource = 'identity' | 'resource' | 'boundary' | 'session' | 'root';

export interface AuthorizeDecision {
  decision: PolicyDecision;
  /** Where an explicit deny came from, or which kind of policy was missing an allow, or what allowed. */
  source: DecisionSource;
  /** With `collect`: each set's evaluation. */
  details?: { identity?: SetEvaluation; resource?: SetEvaluation; boundary?: SetEvaluation; session?: SetEvaluation };
}

/** The account part of an ARN (the fifth field), without splitting the whole ARN. */
function resourceAccount(arn: string): string | undefined {
  let start = 0;
  for (let i = 0; i < 4; i++) {
    start = arn.indexOf(':', start) + 1;
    if (start === 0) return undefined;
  }
  const end = arn.indexOf(':', start);
  // AWS managed policies (`arn:aws:iam::aws:policy/…`) belong to no account: every account reads them.
  return end > start && !(end - start === 3 && arn.startsWith('aws', start)) ? arn.slice(start, end) : undefined;
}

/** The facts that resource and trust policies' `Principal` match against. */
export function requestPrincipal(identity: CallerIdentity): RequestPrincipal {
  if (identity.type === 'AWSService') return { service: identity.service?.principal ?? identity.arn };
  const principal: RequestPrincipal = { arn: identity.arn, accountId: identity.accountId };
  if (identity.session?.roleArn) principal.roleArn = identity.session.roleArn;
  if (identity.session?.webIdentity) principal.federated = identity.session.webIdentity.provider;
  return principal;
}

const NONE: SetEvaluation = { decision: 'ImplicitDeny' };

/** IAM's decision for one request (see the rules at the top of this file). */
export function authorize(request: AuthorizeRequest): AuthorizeDecision {
  const { identity } = request;
  const owner = request.resourceAccount ?? resourceAccount(request.resource);
  const sameAccount = owner === undefined || owner === identity.accountId;
  const prepared = prepareRequest({ action: request.action, resource: request.resource, context: request.context, principal: requestPrincipal(identity) });
  const base: EvaluateOptions = { ...(request.collect ? { collect: true } : {}), ...(request.missing ? { missing: request.missing } : {}) };
  const set = (policies: readonly AnyPolicy[] | undefined, principals = false): SetEvaluation =>
    policies && policies.length > 0 ? evaluatePolicySet(policies.map(compilePolicy), prepared, principals ? { ...base, principals } : base) : NONE;

  const resource = set(request.resourcePolicies, true);
  const details: AuthorizeDecision['details'] = request.collect ? { resource } : undefined;
  const done = (decision: PolicyDecision, source: DecisionSource): AuthorizeDecision => ({ decision, source, ...(details ? { details } : {}) });
  const resourceAllows = resource.decision === 'Allow' && resource.principalMatch !== undefined;

  if (identity.type === 'AWSService') {
    if (resource.decision === 'ExplicitDeny') return done('ExplicitDeny', 'resource');
    return resourceAllows ? done('Allow', 'resource') : done('ImplicitDeny', 'resource');
  }
  if (identity.type === 'Root') {
    if (resource.decision === 'ExplicitDeny') return done('ExplicitDeny', 'resource');
    if (sameAccount) return done('Allow', 'root');
    return resourceAllows ? done('Allow', 'resource') : done('ImplicitDeny', 'resource');
  }

  const identitySet = set(request.identityPolicies);
  const boundary = request.boundary !== undefined ? set([request.boundary]) : undefined;
  const session = request.sessionPolicies !== undefined ? set(request.sessionPolicies) : undefined;
  if (details) Object.assign(details, { identity: identitySet, ...(boundary ? { boundary } : {}), ...(session ? { session } : {}) });

  if (identitySet.decision === 'ExplicitDeny') return done('ExplicitDeny', 'identity');
  if (resource.decision === 'ExplicitDeny') return done('ExplicitDeny', 'resource');
  if (boundary?.decision === 'ExplicitDeny') return done('ExplicitDeny', 'boundary');
  if (session?.decision === 'ExplicitDeny') return done('ExplicitDeny', 'session');

  if (sameAccount && resourceAllows && resource.principalMatch === 'direct') return done('Allow', 'resource');
  const viaRole = sameAccount && resourceAllows && resource.principalMatch === 'role';
  if (identitySet.decision !== 'Allow' && !viaRole) return done('ImplicitDeny', 'identity');
  if (boundary && boundary.decision !== 'Allow') return done('ImplicitDeny', 'boundary');
  if (session && session.decision !== 'Allow') return done('ImplicitDeny', 'session');
  if (sameAccount) return done('Allow', identitySet.decision === 'Allow' ? 'identity' : 'resource');
  return resourceAllows ? done('Allow', 'identity') : done('ImplicitDeny', 'resource');
}

const KIND: Record<DecisionSource, string> = {
  identity: 'an identity-based policy',
  resource: 'a resource-based policy',
  boundary: 'a permissions boundary',
  session: 'a session policy',
  root: 'an identity-based policy',
};
const NO_ALLOW: Record<DecisionSource, string> = {
  identity: 'no identity-based policy',
  resource: 'no resource-based policy',
  boundary: 'no permissions boundary',
  session: 'no session policy',
  root: 'no identity-based policy',
};

/** The principal an AccessDenied message names (a service principal by its name). */
function callerName(identity: CallerIdentity): string {
  return identity.type === 'AWSService' ? (identity.service?.principal ?? identity.arn) : identity.arn;
}

/**
 * AWS's AccessDenied message for a refused request: `User: <arn> is not authorized to perform:
 * <action> on resource: <arn> because no identity-based policy allows the <action> action` (or
 * `… because no permissions boundary allows …`, `… with an explicit deny in a resource-based policy`).
 */
export function accessDeniedMessage(request: Pick<AuthorizeRequest, 'identity' | 'action' | 'resource'>, result: Pick<AuthorizeDecision, 'decision' | 'source'>): string {
  const reason =
    result.decision === 'ExplicitDeny' ? `with an explicit deny in ${KIND[result.source]}` : `because ${NO_ALLOW[result.source]} allows the ${request.action} action`;
  return `User: ${callerName(request.identity)} is not authorized to perform: ${request.action} on resource: ${request.resource} ${reason}`;
}

/** AWS's AccessDenied error in the protocol's dialect. S3 answers just "Access Denied". */
export function accessDeniedError(dialect: AuthDialect, request: Pick<AuthorizeRequest, 'identity' | 'action' | 'resource'>, result: Pick<AuthorizeDecision, 'decision' | 'source'>): AuthError {
  if (dialect === 's3') return new AuthError('access-denied', 'AccessDenied', 403, 'Access Denied');
  const message = accessDeniedMessage(request, result);
  if (dialect === 'query') return new AuthError('access-denied', 'AccessDenied', 403, message);
  return new AuthError('access-denied', 'AccessDeniedException', dialect === 'json' ? 400 : 403, message, {}, 'AccessDenied');
}
