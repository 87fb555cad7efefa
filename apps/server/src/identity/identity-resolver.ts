// Resolves access keys to identities for the authenticate step (the root key, then IAM's keys) and
// the identity policies for the authorize step.
import type { AccessKeyCredentials, CallerIdentity, IdentityDirectory } from '@atoll/core';
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
  #directory: IdentityDirectory | undefined;

  constructor(root: RootCredentials) {
    this.#root = root;
  }

  useDirectory(directory: IdentityDirectory): void {
    this.#directory = directory;
  }

  lookup(accessKeyId: string): AccessKeyCredentials | undefined {
    if (accessKeyId === this.#root.accessKeyId) {
      return { secretAccessKey: this.#root.secretAccessKey, identity: rootIdentity(this.#root.accountId, accessKeyId) };
    }
    return this.#directory?.lookupAccessKey(accessKeyId);
  }

  policiesFor(identity: CallerIdentity): string[] {
    return this.#directory?.policiesFor(identity) ?? [];
  }
}
