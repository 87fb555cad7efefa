// Resolves access keys to identities for the authenticate step (the root key, then IAM's keys) and
// the identity policies for the authorize step.
import type { AccessKeyCredentials, CallerIdentity, IdentityDirectory, PrincipalPermissions } from '@atoll/core';
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
  /** The root key's answer, made once: callers only read it. */
  #rootLookup: AccessKeyCredentials | undefined;

  /** `directory` activates the identity service (IAM) when a key other than root's is used. */
  constructor(root: RootCredentials, directory: () => Promise<IdentityDirectory | undefined>) {
    this.#root = root;
    this.#directory = directory;
  }

  async lookup(accessKeyId: string): Promise<AccessKeyCredentials | undefined> {
    if (accessKeyId === this.#root.accessKeyId) {
      this.#rootLookup ??= { secretAccessKey: this.#root.secretAccessKey, identity: rootIdentity(this.#root.accountId, accessKeyId) };
      return this.#rootLookup;
    }
    return (await this.#directory())?.lookupAccessKey(accessKeyId);
  }

  async permissionsFor(identity: CallerIdentity): Promise<PrincipalPermissions> {
    return (await this.#directory())?.permissionsFor(identity) ?? { identityPolicies: [] };
  }
}
