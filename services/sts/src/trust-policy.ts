// A role's trust policy (AssumeRolePolicyDocument): whether it lets a principal assume the role, tag
// the session or set its source identity. Principals are matched here as trust policies name them
// (`AWS` users, roles — whose sessions they trust —, accounts; `Service`; `Federated` OIDC providers);
// actions and conditions go through @atoll/auth's evaluator.
//
// Known limitations: `CanonicalUser` principals and SAML providers are not matched.
import { evaluatePolicies, parsePolicyDocument, type PolicyDecision, type PolicyDocument, type PolicyPrincipal, type PolicyStatement } from '@atoll/auth';

/** Who asks to assume the role. */
export interface TrustPrincipal {
  /** The caller's ARN: a user, the account root, or a role session (`arn:aws:sts::…:assumed-role/…`). */
  arn?: string;
  accountId?: string;
  /** A role session's role (`arn:aws:iam::…:role/path/name`): a trust policy naming the role trusts its sessions. */
  roleArn?: string;
  /** A service principal (`lambda.amazonaws.com`). */
  service?: string;
  /** A web identity's OIDC provider (`arn:aws:iam::…:oidc-provider/issuer`). */
  federated?: string;
}

export interface TrustRequest {
  action: string;
  roleArn: string;
  principal: TrustPrincipal;
  context: Record<string, string | string[]>;
}

const asList = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** An account-wide `AWS` entry: `123456789012` or `arn:aws:iam::123456789012:root`. */
function accountOf(entry: string): string | undefined {
  return /^\d{12}$/.test(entry) ? entry : /^arn:[^:]+:iam::(\d{12}):root$/.exec(entry)?.[1];
}

/** Role ARNs compare without their path: `arn:aws:iam::1:role/a/b/name` names the role `name`. */
function sameRole(entry: string, roleArn: string | undefined): boolean {
  if (!roleArn) return false;
  if (entry === roleArn) return true;
  const a = /^arn:[^:]+:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(entry);
  const b = /^arn:[^:]+:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn);
  return Boolean(a && b && a[1] === b[1] && a[2] === b[2]);
}

export function principalMatches(principal: PolicyPrincipal, who: TrustPrincipal): boolean {
  if (principal === '*') return true;
  for (const [type, value] of Object.entries(principal)) {
    for (const entry of asList(value)) {
      if (type === 'AWS') {
        if (entry === '*') return true;
        if (who.arn !== undefined && entry === who.arn) return true;
        if (sameRole(entry, who.roleArn)) return true;
        const account = accountOf(entry);
        if (account !== undefined && who.accountId === account && (who.arn !== undefined || who.roleArn !== undefined)) return true;
      } else if (type === 'Service') {
        if (who.service !== undefined && entry === who.service) return true;
      } else if (type === 'Federated') {
        if (who.federated !== undefined && entry === who.federated) return true;
      }
    }
  }
  return false;
}

/** The trust policy's text as a document; undefined when it does not parse (it then trusts no one). */
export function parseTrustPolicy(text: string): PolicyDocument | undefined {
  try {
    return parsePolicyDocument(text, { kind: 'resource' });
  } catch {
    return undefined;
  }
}

/** `Allow` when a statement naming the principal allows the action and none denies it. */
export function evaluateTrust(doc: PolicyDocument | undefined, request: TrustRequest): PolicyDecision {
  if (!doc) return 'ImplicitDeny';
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  const applicable: PolicyStatement[] = [];
  for (const statement of statements) {
    if (statement.Principal !== undefined && !principalMatches(statement.Principal, request.principal)) continue;
    if (statement.NotPrincipal !== undefined && principalMatches(statement.NotPrincipal, request.principal)) continue;
    if (statement.Principal === undefined && statement.NotPrincipal === undefined) continue;
    const { Principal: _p, NotPrincipal: _n, ...rest } = statement;
    applicable.push(rest);
  }
  return evaluatePolicies({ action: request.action, resource: request.roleArn, context: request.context }, [{ Version: '2012-10-17', Statement: applicable }]);
}

/**
 * The trust policy as the edge's authorize step reads it (a resource policy): only the statements
 * that name principals directly — users, roles, services, federated providers. Statements that
 * trust a whole account delegate to that account's identity policies, as in AWS, so their account
 * entries are left out. Undefined when nothing is left.
 */
export function delegatedTrustPolicy(text: string): string | undefined {
  const doc = parseTrustPolicy(text);
  if (!doc) return undefined;
  const kept: PolicyStatement[] = [];
  for (const statement of Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]) {
    if (statement.Principal === undefined || statement.Principal === '*') continue;
    const principal: Record<string, string[]> = {};
    for (const [type, value] of Object.entries(statement.Principal)) {
      const entries = asList(value).filter((entry) => type !== 'AWS' || (entry !== '*' && accountOf(entry) === undefined));
      if (entries.length > 0) principal[type] = entries;
    }
    if (Object.keys(principal).length > 0) kept.push({ ...statement, Principal: principal });
  }
  return kept.length > 0 ? JSON.stringify({ Version: '2012-10-17', Statement: kept }) : undefined;
}
