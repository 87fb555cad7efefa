// What the edge needs from the identity service (IAM) to authenticate and authorize requests. Lookups
// may answer from a cache at once or read the store (a key created on another node).
import type { CallerIdentity } from './provider.js';

export interface AccessKeyCredentials {
  secretAccessKey: string;
  identity: CallerIdentity;
}

export interface IdentityDirectory {
  /**
   * An active access key's secret and owner; undefined when the key is unknown or inactive.
   * Temporary keys (`ASIA…`) come with the request's session token (`X-Amz-Security-Token`): the
   * directory opens it, and throws the edge's `ExpiredToken` / `InvalidClientTokenId` AuthError when
   * it has expired, was tampered with, or does not belong to the key.
   */
  lookupAccessKey(accessKeyId: string, sessionToken?: string): AccessKeyCredentials | undefined | Promise<AccessKeyCredentials | undefined>;
  /** The policies that decide what a principal (user, role session, federated user) may do. */
  permissionsFor(identity: CallerIdentity): PrincipalPermissions | Promise<PrincipalPermissions>;
}

/**
 * Opens temporary credentials (STS): the session token sealed for an `ASIA…` key gives its secret
 * and the session's identity. Throws the edge's AuthError (kind `invalid-token` / `expired-token`)
 * for a token that is tampered with, not the key's, or expired.
 */
export interface SessionDirectory {
  openSession(accessKeyId: string, sessionToken: string): AccessKeyCredentials | Promise<AccessKeyCredentials>;
}

/**
 * Everything IAM evaluates for a principal, as JSON policy texts. A request is allowed when an
 * identity policy (or a same-account resource policy) allows it, and the boundary and the session
 * policies (when present) allow it too; an explicit deny anywhere wins.
 */
export interface PrincipalPermissions {
  /** Inline and attached managed policies of the user (and of its groups) or of the role. */
  identityPolicies: string[];
  /** The user's or role's permissions boundary, when it has one. */
  boundary?: string;
  /** A session's inline policy and the documents of its managed session policies. */
  sessionPolicies?: string[];
  /** The principal's tags (`aws:PrincipalTag/…`), session tags overriding the role's. */
  principalTags?: Record<string, string>;
}
