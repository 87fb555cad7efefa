// The identity directory the edge authenticates and authorizes with: active long-term access keys
// (secret and owner) and each principal's permissions (identity policies, boundary, tags), cached in
// memory. The database is the truth: a miss reads it (so a key created on any node signs at once),
// and every change drops what it touched on every node through the store's signals:
// - `iam.key` (a key) and `iam.user` (a user's policies, attachments, groups, boundary or tags),
// - `iam.role` (a role's), `iam.group` (a group's policies: every cached user in that group),
// - `iam.policy` (a customer managed policy's default version: its document and every cached principal
//   it is attached to, or is the boundary of).
// Each cached principal records the groups and policy ARNs it was built from, so a group or policy
// change drops exactly its principals (a scan of the cached principals: signals are rare, lookups are
// per request). A lost connection to the signals (`atoll.reconnected`) clears everything.
// Temporary credentials (`ASIA…` with a session token) are the edge's and STS's: `lookupAccessKey`
// answers for long-term keys only. Role sessions get the role's permissions from here plus their
// session policies and tags, composed per call from the cached role.
import type { AccessKeyCredentials, CallerIdentity, IdentityDirectory, PrincipalPermissions, Signals } from '@atoll/core';
import { awsManagedPolicy } from './aws-managed-policies.js';
import { GROUP_SIGNAL, KEY_SIGNAL, POLICY_SIGNAL, ROLE_SIGNAL, USER_SIGNAL, entityKey, userKey } from './iam-signals.js';
import type { IamStore } from './iam-store.js';

const RECONNECTED = 'atoll.reconnected';

interface CachedPrincipal {
  permissions: PrincipalPermissions;
  /** `group:<acct>/<key>` and `policy:<arn>` this entry was built from. */
  dependsOn: Set<string>;
}

const NO_PERMISSIONS: PrincipalPermissions = Object.freeze({ identityPolicies: [] }) as PrincipalPermissions;

function tagMap(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of JSON.parse(text) as { Key: string; Value: string }[]) out[tag.Key] = tag.Value;
  return out;
}

export class IamDirectory implements IdentityDirectory {
  readonly #store: IamStore;
  readonly #keys = new Map<string, { credentials: AccessKeyCredentials; user: string }>();
  /** `user:<acct>/<name>` or `role:<acct>/<name>` → the principal's own permissions. */
  readonly #principals = new Map<string, CachedPrincipal>();
  /** Customer managed policy ARN → its default version's document (null: no such policy). */
  readonly #documents = new Map<string, string | null>();
  /** Bumped by every invalidation: a read that started before one does not fill the cache. */
  #generation = 0;
  readonly #unlisten: (() => void)[];

  constructor(store: IamStore, signals: Signals) {
    this.#store = store;
    this.#unlisten = [
      signals.listen(KEY_SIGNAL, (accessKeyId) => this.forgetKey(accessKeyId)),
      signals.listen(USER_SIGNAL, (user) => this.forgetUser(user)),
      signals.listen(ROLE_SIGNAL, (role) => this.forgetRole(role)),
      signals.listen(GROUP_SIGNAL, (group) => this.forgetGroup(group)),
      signals.listen(POLICY_SIGNAL, (arn) => this.forgetPolicy(arn)),
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

  /**
   * What a principal may do: an IAM user's (also a GetSessionToken session's) inline and attached
   * policies and its groups', its boundary and tags; a role session's role policies and boundary,
   * its session policies, and the role's tags overridden by the session's. Others have none here
   * (root passes the edge; service principals are allowed by resource policies only).
   */
  async permissionsFor(identity: CallerIdentity): Promise<PrincipalPermissions> {
    if (identity.type === 'IAMUser' && identity.userName) {
      return (await this.#principal('user', identity.accountId, identity.userName)) ?? NO_PERMISSIONS;
    }
    if (identity.type === 'AssumedRole' && identity.session) {
      const session = identity.session;
      const roleName = session.roleName ?? session.roleArn?.slice(session.roleArn.lastIndexOf('/') + 1);
      const role = roleName ? await this.#principal('role', identity.accountId, roleName) : undefined;
      if (!role) return NO_PERMISSIONS;
      const sessionPolicies: string[] = [];
      if (session.policy) sessionPolicies.push(session.policy);
      for (const arn of session.policyArns ?? []) {
        const document = await this.policyDocument(arn);
        if (document !== undefined) sessionPolicies.push(document);
      }
      const hasSessionPolicies = session.policy !== undefined || (session.policyArns?.length ?? 0) > 0;
      const tags = session.tags && Object.keys(session.tags).length > 0 ? { ...role.principalTags, ...session.tags } : role.principalTags;
      return {
        identityPolicies: role.identityPolicies,
        ...(role.boundary !== undefined ? { boundary: role.boundary } : {}),
        // Session policies given but all unknown ARNs still limit the session (to nothing).
        ...(hasSessionPolicies ? { sessionPolicies } : {}),
        ...(tags ? { principalTags: tags } : {}),
      };
    }
    return NO_PERMISSIONS;
  }

  /** The document of a managed policy (AWS managed or this deployment's customer policy's default version). */
  async policyDocument(arn: string): Promise<string | undefined> {
    const aws = awsManagedPolicy(arn);
    if (aws) return aws.document;
    const cached = this.#documents.get(arn);
    if (cached !== undefined) return cached ?? undefined;
    const generation = this.#generation;
    const document = await this.#store.policies.defaultDocument(arn);
    if (generation === this.#generation) this.#documents.set(arn, document ?? null);
    return document;
  }

  async #principal(type: 'user' | 'role', accountId: string, name: string): Promise<PrincipalPermissions | undefined> {
    const key = `${type}:${entityKey(accountId, name)}`;
    const cached = this.#principals.get(key);
    if (cached) return cached.permissions;
    const generation = this.#generation;
    const built = type === 'user' ? await this.#buildUser(accountId, name) : await this.#buildRole(accountId, name);
    // A missing principal is not cached: creating it sends no signal.
    if (built && generation === this.#generation) this.#principals.set(key, built);
    return built?.permissions;
  }

  async #buildUser(accountId: string, userName: string): Promise<CachedPrincipal | undefined> {
    const store = this.#store;
    const user = await store.getUser(accountId, userName);
    if (!user) return undefined;
    const dependsOn = new Set<string>();
    const identityPolicies = await store.entities.listInlineDocuments('user', accountId, userName);
    const arns = await store.entities.listAttached('user', accountId, userName);
    for (const group of await store.groups.groupsOf(accountId, userName)) {
      dependsOn.add(`group:${entityKey(accountId, group.group_name)}`);
      identityPolicies.push(...(await store.entities.listInlineDocuments('group', accountId, group.group_name)));
      arns.push(...(await store.entities.listAttached('group', accountId, group.group_name)));
    }
    return this.#finish(identityPolicies, arns, user.boundary_arn ?? null, user.tags, dependsOn);
  }

  async #buildRole(accountId: string, roleName: string): Promise<CachedPrincipal | undefined> {
    const store = this.#store;
    const role = await store.roles.get(accountId, roleName);
    if (!role) return undefined;
    const identityPolicies = await store.entities.listInlineDocuments('role', accountId, roleName);
    const arns = await store.entities.listAttached('role', accountId, roleName);
    return this.#finish(identityPolicies, arns, role.boundary_arn, role.tags, new Set());
  }

  async #finish(identityPolicies: string[], arns: string[], boundaryArn: string | null, tags: string, dependsOn: Set<string>): Promise<CachedPrincipal> {
    for (const arn of new Set(arns)) {
      dependsOn.add(`policy:${arn}`);
      const document = await this.policyDocument(arn);
      if (document !== undefined) identityPolicies.push(document);
    }
    const permissions: PrincipalPermissions = { identityPolicies };
    if (boundaryArn) {
      dependsOn.add(`policy:${boundaryArn}`);
      // A boundary whose policy is gone allows nothing (an empty statement list would not parse).
      permissions.boundary = (await this.policyDocument(boundaryArn)) ?? JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] });
    }
    const principalTags = tagMap(tags);
    if (Object.keys(principalTags).length > 0) permissions.principalTags = principalTags;
    return { permissions, dependsOn };
  }

  forgetKey(accessKeyId: string): void {
    this.#generation++;
    this.#keys.delete(accessKeyId);
  }

  /** Drops a user's permissions and keys (`user` is `userKey(accountId, userName)`). */
  forgetUser(user: string): void {
    this.#generation++;
    this.#principals.delete(`user:${user}`);
    for (const [id, entry] of this.#keys) if (entry.user === user) this.#keys.delete(id);
  }

  /** Drops a role's permissions (`role` is `entityKey(accountId, roleName)`). */
  forgetRole(role: string): void {
    this.#generation++;
    this.#principals.delete(`role:${role}`);
  }

  /** Drops the permissions of every cached member of a group (`group` is `entityKey(accountId, groupName)`). */
  forgetGroup(group: string): void {
    this.#forgetDependents(`group:${group}`);
  }

  /** Drops a managed policy's document and every cached principal built from it. */
  forgetPolicy(arn: string): void {
    this.#documents.delete(arn);
    this.#forgetDependents(`policy:${arn}`);
  }

  #forgetDependents(dependency: string): void {
    this.#generation++;
    for (const [key, entry] of this.#principals) if (entry.dependsOn.has(dependency)) this.#principals.delete(key);
  }

  clear(): void {
    this.#generation++;
    this.#keys.clear();
    this.#principals.clear();
    this.#documents.clear();
  }

  close(): void {
    for (const unlisten of this.#unlisten) unlisten();
    this.clear();
  }
}
