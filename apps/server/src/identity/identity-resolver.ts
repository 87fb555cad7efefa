// Resolves access keys to identities for the authenticate step (the root key, temporary `ASIA…` keys
// through STS's session tokens, then IAM's long-term keys) and the policies for the authorize step.
import type { AccessKeyCredentials, CallerIdentity, IdentityDirectory, PrincipalPermissions, SessionDirectory } from '@atoll/core';
import type { RootCredentials } from './root-credentials.js';

export function rootIdentity(accountId: string, accessKeyId?: string): CallerIdentity {
  return {
    type: 'Root',
    accountId,
    arn: `arn:aws:iam::${accountId}:root`,
    principalId: accountId,
    ...(accessKeyId ? { accessKeyId } : {}),
  };
}

export class IdentityResolver {
  readonly #root: RootCredentials;
  readonly #directory: () => Promise<IdentityDirectory | undefined>;
  readonly #sessionsFrom: () => Promise<SessionDirectory | undefined>;
  /** STS's session opener once activated: later requests reach it without a turn of the event loop. */
  #sessions: SessionDirectory | undefined;
  /** The root key's answer, made once: callers only read it. */
  #rootLookup: AccessKeyCredentials | undefined;

  /**
   * `directory` activates the identity service (IAM) when a key other than root's is used; `sessions`
   * activates STS when a request carries a session token.
   */
  constructor(root: RootCredentials, directory: () => Promise<IdentityDirectory | undefined>, sessions: () => Promise<SessionDirectory | undefined> = async () => undefined) {
    this.#root = root;
    this.#directory = directory;
    this.#sessionsFrom = sessions;
  }

  /**
   * The secret and identity of a key. A request with a session token (`X-Amz-Security-Token`) is
   * temporary credentials, opened by STS (throws AuthError `invalid-token`/`expired-token`); a
   * temporary `ASIA…` key without a token is unknown, as in AWS.
   */
  async lookup(accessKeyId: string, sessionToken?: string): Promise<AccessKeyCredentials | undefined> {
    if (sessionToken) {
      const sessions = this.#sessions ?? (this.#sessions = await this.#sessionsFrom());
      return sessions?.openSession(accessKeyId, sessionToken);
    }
    if (accessKeyId === this.#root.accessKeyId) {
      this.#rootLookup ??= { secretAccessKey: this.#root.secretAccessKey, identity: rootIdentity(this.#root.accountId, accessKeyId) };
      return this.#rootLookup;
    }
    if (accessKeyId.startsWith('ASIA')) return undefined;
    return (await this.#directory())?.lookupAccessKey(accessKeyId);
  }

  async permissionsFor(identity: CallerIdentity): Promise<PrincipalPermissions> {
    return (await this.#directory())?.permissionsFor(identity) ?? { identityPolicies: [] };
  }
}
