// The identity directory the edge authenticates and authorizes with: active access keys (secret and
// owner) and users' inline policies, cached in memory. The database is the truth: a miss reads it
// (so a key created on any node signs at once), and every change to a key, a user or a policy drops
// the entries it touched on every node through the store's signals (`iam.key`, `iam.user`). Unknown
// and inactive keys are not cached. A lost connection to the signals (`atoll.reconnected`) clears
// everything.
import type { AccessKeyCredentials, CallerIdentity, IdentityDirectory, PrincipalPermissions, Signals } from '@atoll/core';
import { KEY_SIGNAL, USER_SIGNAL, userKey, type IamStore } from './iam-store.js';

const RECONNECTED = 'atoll.reconnected';

export class IamDirectory implements IdentityDirectory {
  readonly #store: IamStore;
  readonly #keys = new Map<string, { credentials: AccessKeyCredentials; user: string }>();
  readonly #policies = new Map<string, string[]>();
  /** Bumped by every invalidation: a read that started before one does not fill the cache. */
  #generation = 0;
  readonly #unlisten: (() => void)[];

  constructor(store: IamStore, signals: Signals) {
    this.#store = store;
    this.#unlisten = [
      signals.listen(KEY_SIGNAL, (accessKeyId) => this.forgetKey(accessKeyId)),
      signals.listen(USER_SIGNAL, (user) => this.forgetUser(user)),
      signals.listen(RECONNECTED, () => this.clear()),
    ];
  }

  async lookupAccessKey(accessKeyId: string): Promise<AccessKeyCredentials | undefined> {
    const cached = this.#keys.get(accessKeyId);
    if (cached) return cached.credentials;
    const generation = this.#generation;
    const row = await this.#store.activeKey(accessKeyId);
    if (!row) return undefined;
    const identity: CallerIdentity = {
      type: 'IAMUser',
      accountId: row.account_id,
      arn: row.arn,
      principalId: row.user_id,
      userName: row.user_name,
      accessKeyId,
    };
    const credentials = { secretAccessKey: row.secret_access_key, identity };
    if (generation === this.#generation) this.#keys.set(accessKeyId, { credentials, user: userKey(row.account_id, row.user_name) });
    return credentials;
  }

  async permissionsFor(identity: CallerIdentity): Promise<PrincipalPermissions> {
    return { identityPolicies: await this.policiesFor(identity) };
  }

  async policiesFor(identity: CallerIdentity): Promise<string[]> {
    if (identity.type !== 'IAMUser' || !identity.userName) return [];
    const key = userKey(identity.accountId, identity.userName);
    const cached = this.#policies.get(key);
    if (cached) return cached;
    const generation = this.#generation;
    const documents = await this.#store.listPolicies(identity.accountId, identity.userName);
    if (generation === this.#generation) this.#policies.set(key, documents);
    return documents;
  }

  forgetKey(accessKeyId: string): void {
    this.#generation++;
    this.#keys.delete(accessKeyId);
  }

  /** Drops a user's policies and keys (`user` is `userKey(accountId, userName)`). */
  forgetUser(user: string): void {
    this.#generation++;
    this.#policies.delete(user);
    for (const [id, entry] of this.#keys) if (entry.user === user) this.#keys.delete(id);
  }

  clear(): void {
    this.#generation++;
    this.#keys.clear();
    this.#policies.clear();
  }

  close(): void {
    for (const unlisten of this.#unlisten) unlisten();
    this.clear();
  }
}
