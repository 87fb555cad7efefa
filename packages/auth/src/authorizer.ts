// The authorize step's decision: combines identity and resource policies as IAM does for one
// account or across accounts, fills the global `aws:` condition keys, and builds AWS's AccessDenied.
// Loading the policies (IAM users, groups, roles; queue, topic and bucket policies) is the caller's.
import type { CallerIdentity } from '@atoll/core';
import { AuthError, type AuthDialect } from './auth-errors.js';
import { evaluatePolicies, type PolicyDecision } from './policy-evaluator.js';
import type { PolicyDocument } from './policy-document.js';

export interface RequestFacts {
  identity: CallerIdentity;
  sourceIp?: string;
  /** True for HTTPS. */
  secureTransport?: boolean;
  userAgent?: string;
  region?: string;
  now?: Date;
}

/** The global condition keys (`aws:username`, `aws:SourceIp`, `aws:CurrentTime` …) for a request. */
export function globalConditionKeys(facts: RequestFacts): Record<string, string> {
  const { identity } = facts;
  const now = facts.now ?? new Date();
  const keys: Record<string, string> = {
    'aws:PrincipalArn': identity.arn,
    'aws:PrincipalAccount': identity.accountId,
    'aws:PrincipalType': identity.type === 'Root' ? 'Account' : identity.type === 'IAMUser' ? 'User' : identity.type,
    'aws:userid': identity.principalId,
    'aws:CurrentTime': now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
    'aws:SecureTransport': String(facts.secureTransport ?? false),
  };
  if (identity.userName !== undefined) keys['aws:username'] = identity.userName;
  if (facts.sourceIp !== undefined) keys['aws:SourceIp'] = facts.sourceIp.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
  if (facts.userAgent !== undefined) keys['aws:UserAgent'] = facts.userAgent;
  if (facts.region !== undefined) keys['aws:RequestedRegion'] = facts.region;
  return keys;
}

export interface AuthorizeRequest {
  identity: CallerIdentity;
  /** `sqs:SendMessage`. */
  action: string;
  /** The resource ARN, or `*`. */
  resource: string;
  /** Condition keys; merge `globalConditionKeys(...)` with service keys. */
  context?: Record<string, string | string[]>;
  /** Policies attached to the user (directly and through groups) or role. */
  identityPolicies: PolicyDocument[];
  /** The resource's own policy (queue, topic, bucket …), if it has one. */
  resourcePolicies?: PolicyDocument[];
}

export interface AuthorizeDecision {
  decision: PolicyDecision;
  /** Where an explicit deny came from, or which kind of policy was missing an allow. */
  source: 'identity' | 'resource' | 'root';
}

function resourceAccount(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account ? account : undefined;
}

/**
 * IAM's decision for one request. The account root may do anything in its own account. In one
 * account an allow from either the identity or the resource policy suffices; across accounts both
 * must allow. An explicit deny in any policy wins.
 */
export function authorize(request: AuthorizeRequest): AuthorizeDecision {
  const { identity } = request;
  const owner = resourceAccount(request.resource);
  const sameAccount = owner === undefined || owner === identity.accountId;
  const principal = { arn: identity.arn, accountId: identity.accountId };
  const policyRequest = { action: request.action, resource: request.resource, context: request.context ?? {}, principal };
  const fromIdentity = identity.type === 'Root' && sameAccount ? 'Allow' : evaluatePolicies(policyRequest, request.identityPolicies);
  const fromResource = evaluatePolicies(policyRequest, request.resourcePolicies ?? []);
  if (fromIdentity === 'ExplicitDeny') return { decision: 'ExplicitDeny', source: 'identity' };
  if (fromResource === 'ExplicitDeny') return { decision: 'ExplicitDeny', source: 'resource' };
  if (sameAccount) {
    if (fromIdentity === 'Allow') return { decision: 'Allow', source: identity.type === 'Root' ? 'root' : 'identity' };
    if (fromResource === 'Allow') return { decision: 'Allow', source: 'resource' };
    return { decision: 'ImplicitDeny', source: 'identity' };
  }
  if (fromIdentity !== 'Allow') return { decision: 'ImplicitDeny', source: 'identity' };
  if (fromResource !== 'Allow') return { decision: 'ImplicitDeny', source: 'resource' };
  return { decision: 'Allow', source: 'identity' };
}

/**
 * AWS's AccessDenied for a refused request: `User: <arn> is not authorized to perform: <action> on
 * resource: <arn> because no identity-based policy allows the <action> action` (or `with an
 * explicit deny in a …-based policy`). S3 answers just "Access Denied".
 */
export function accessDeniedError(dialect: AuthDialect, request: Pick<AuthorizeRequest, 'identity' | 'action' | 'resource'>, result: AuthorizeDecision): AuthError {
  if (dialect === 's3') return new AuthError('access-denied', 'AccessDenied', 403, 'Access Denied');
  const kind = result.source === 'resource' ? 'resource-based' : 'identity-based';
  const reason =
    result.decision === 'ExplicitDeny'
      ? `with an explicit deny in a${kind === 'identity-based' ? 'n' : ''} ${kind} policy`
      : `because no ${kind} policy allows the ${request.action} action`;
  const message = `User: ${request.identity.arn} is not authorized to perform: ${request.action} on resource: ${request.resource} ${reason}`;
  if (dialect === 'query') return new AuthError('access-denied', 'AccessDenied', 403, message);
  return new AuthError('access-denied', 'AccessDeniedException', dialect === 'json' ? 400 : 403, message, {}, 'AccessDenied');
}
