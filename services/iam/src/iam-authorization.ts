// What an IAM call asks of IAM itself: the ARN of the user, role, group, policy, instance profile or
// OIDC provider the operation acts on, as AWS names it (with the entity's path:
// `arn:aws:iam::<acct>:role/<path><name>`), so that policies such as `iam:GetRole` on
// `arn:aws:iam::*:role/app-*` or `iam:PassRole` on `role/service/*` match as on AWS.
// The path is not in the input: it is read from the store once and cached per entity (an entity's
// path never changes, since UpdateUser/UpdateGroup are not implemented; the cache entry goes on the
// entity's signal, which deletion sends, so a name deleted and created again under another path is
// read again). A name that does not exist is named with the path `/` (the call then fails with
// NoSuchEntity, or AccessDenied when the caller may not act on that ARN, as on AWS) and is not cached.
// Known limitations:
// - List operations (ListUsers, ListRoles, ListPolicies …), GetAccessKeyLastUsed and
//   SimulateCustomPolicy are authorized on `*`.
// - Instance profiles have no signal: their ARNs are read from the store on each call.
// - Conditions AWS offers on IAM actions (`iam:PolicyARN`, `iam:PermissionsBoundary`,
//   `iam:PassedToService`, `iam:ResourceTag/…`) are not filled.
import type { CallerIdentity, IamRequest, Signals } from '@atoll/core';
import { iamArn } from './iam-common.js';
import { GROUP_SIGNAL, ROLE_SIGNAL, USER_SIGNAL, entityKey } from './iam-signals.js';
import type { IamStore } from './iam-store.js';
import { serviceLinkedName } from './role-operations.js';

type Kind = 'user' | 'role' | 'group' | 'instance-profile';

/** Operations acting on one named entity: the kind and the input member holding its name. */
const NAMED: Record<string, [Kind, string]> = {};
const add = (kind: Kind, member: string, operations: string[]): void => {
  for (const operation of operations) NAMED[operation] = [kind, member];
};
add('user', 'UserName', [
  'GetUser', 'DeleteUser', 'PutUserPermissionsBoundary', 'DeleteUserPermissionsBoundary', 'TagUser', 'UntagUser',
  'ListUserTags', 'CreateAccessKey', 'ListAccessKeys', 'UpdateAccessKey', 'DeleteAccessKey', 'ListGroupsForUser',
  'PutUserPolicy', 'GetUserPolicy', 'DeleteUserPolicy', 'ListUserPolicies', 'AttachUserPolicy', 'DetachUserPolicy',
  'ListAttachedUserPolicies',
]);
add('role', 'RoleName', [
  'GetRole', 'UpdateRole', 'UpdateRoleDescription', 'UpdateAssumeRolePolicy', 'DeleteRole', 'PutRolePermissionsBoundary',
  'DeleteRolePermissionsBoundary', 'TagRole', 'UntagRole', 'ListRoleTags', 'DeleteServiceLinkedRole',
  'PutRolePolicy', 'GetRolePolicy', 'DeleteRolePolicy', 'ListRolePolicies', 'AttachRolePolicy', 'DetachRolePolicy',
  'ListAttachedRolePolicies', 'ListInstanceProfilesForRole',
]);
add('group', 'GroupName', [
  'GetGroup', 'DeleteGroup', 'AddUserToGroup', 'RemoveUserFromGroup',
  'PutGroupPolicy', 'GetGroupPolicy', 'DeleteGroupPolicy', 'ListGroupPolicies', 'AttachGroupPolicy', 'DetachGroupPolicy',
  'ListAttachedGroupPolicies',
]);
add('instance-profile', 'InstanceProfileName', [
  'GetInstanceProfile', 'DeleteInstanceProfile', 'AddRoleToInstanceProfile', 'RemoveRoleFromInstanceProfile',
  'TagInstanceProfile', 'UntagInstanceProfile', 'ListInstanceProfileTags',
]);

/** Operations naming their resource by ARN: the input member. */
const BY_ARN: Record<string, string> = {};
for (const op of [
  'GetPolicy', 'DeletePolicy', 'CreatePolicyVersion', 'GetPolicyVersion', 'ListPolicyVersions', 'DeletePolicyVersion',
  'SetDefaultPolicyVersion', 'TagPolicy', 'UntagPolicy', 'ListPolicyTags', 'ListEntitiesForPolicy',
]) BY_ARN[op] = 'PolicyArn';
for (const op of [
  'GetOpenIDConnectProvider', 'DeleteOpenIDConnectProvider', 'AddClientIDToOpenIDConnectProvider',
  'RemoveClientIDFromOpenIDConnectProvider', 'UpdateOpenIDConnectProviderThumbprint', 'TagOpenIDConnectProvider',
  'UntagOpenIDConnectProvider', 'ListOpenIDConnectProviderTags',
]) BY_ARN[op] = 'OpenIDConnectProviderArn';
BY_ARN.SimulatePrincipalPolicy = 'PolicySourceArn';

/** Operations whose UserName may be left out: they act on the calling user. */
const SELF = new Set(['GetUser', 'CreateAccessKey', 'ListAccessKeys', 'UpdateAccessKey', 'DeleteAccessKey', 'ListUserTags']);

const SIGNAL_KIND: [string, Kind][] = [[USER_SIGNAL, 'user'], [ROLE_SIGNAL, 'role'], [GROUP_SIGNAL, 'group']];

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const pathOf = (value: unknown): string => str(value) ?? '/';

export class IamAuthorization {
  readonly #store: IamStore;
  /** `<kind>:<acct>/<lower-case name>` → the entity's ARN. */
  readonly #arns = new Map<string, string>();
  #generation = 0;
  readonly #unlisten: (() => void)[];

  constructor(store: IamStore, signals: Signals) {
    this.#store = store;
    this.#unlisten = [
      ...SIGNAL_KIND.map(([signal, kind]) => signals.listen(signal, (key) => this.forget(kind, key))),
      signals.listen('atoll.reconnected', () => {
        this.#generation++;
        this.#arns.clear();
      }),
    ];
  }

  /** The action's resources for the edge; a Promise only when an entity's ARN is not cached yet. */
  readonly authorize = (
    operation: string,
    input: Record<string, unknown>,
    scope: { accountId: string; region: string; identity?: CallerIdentity },
  ): IamRequest | undefined | Promise<IamRequest | undefined> => {
    const { accountId } = scope;
    const named = NAMED[operation];
    if (named) {
      const [kind, member] = named;
      const name = str(input[member]);
      if (name === undefined) {
        const self = SELF.has(operation) && scope.identity?.type === 'IAMUser' ? scope.identity.arn : undefined;
        return self ? { resources: [self] } : undefined;
      }
      const also = operation === 'AddRoleToInstanceProfile' ? str(input.RoleName) : undefined;
      const found = this.arnOf(kind, accountId, name);
      if (also === undefined) return typeof found === 'string' ? { resources: [found] } : found.then((arn) => ({ resources: [arn] }));
      // Putting a role in an instance profile passes it (to EC2): AWS asks iam:PassRole on the role.
      const role = this.arnOf('role', accountId, also);
      return Promise.all([found, role]).then(([arn, roleArn]) => ({ resources: [arn], also: [{ action: 'iam:PassRole', resource: roleArn }] }));
    }
    const member = BY_ARN[operation];
    if (member) {
      const arn = str(input[member]);
      return arn ? { resources: [arn] } : undefined;
    }
    switch (operation) {
      case 'CreateUser':
        return created(accountId, 'user', input.Path, input.UserName);
      case 'CreateRole':
        return created(accountId, 'role', input.Path, input.RoleName);
      case 'CreateGroup':
        return created(accountId, 'group', input.Path, input.GroupName);
      case 'CreateInstanceProfile':
        return created(accountId, 'instance-profile', input.Path, input.InstanceProfileName);
      case 'CreatePolicy':
        return created(accountId, 'policy', input.Path, input.PolicyName);
      case 'CreateServiceLinkedRole': {
        const service = str(input.AWSServiceName);
        if (!service) return undefined;
        const suffix = str(input.CustomSuffix);
        const name = `AWSServiceRoleFor${serviceLinkedName(service).name}${suffix ? `_${suffix}` : ''}`;
        return { resources: [iamArn(accountId, `role/aws-service-role/${service}/${name}`)] };
      }
      case 'GetServiceLinkedRoleDeletionStatus': {
        const task = /^task\/(aws-service-role\/[^/]+\/[^/]+)\//.exec(String(input.DeletionTaskId ?? ''));
        return task ? { resources: [iamArn(accountId, `role/${task[1]}`)] } : undefined;
      }
      case 'CreateOpenIDConnectProvider': {
        const url = str(input.Url);
        return url ? { resources: [iamArn(accountId, `oidc-provider/${url.replace(/^https:\/\//i, '')}`)] } : undefined;
      }
      default:
        return undefined;
    }
  };

  /** An entity's ARN: cached, or read (a missing entity is named with the path `/`, uncached). */
  arnOf(kind: Kind, accountId: string, name: string): string | Promise<string> {
    const key = `${kind}:${entityKey(accountId, name)}`;
    const cached = this.#arns.get(key);
    if (cached !== undefined) return cached;
    const generation = this.#generation;
    return this.#read(kind, accountId, name).then((arn) => {
      if (arn === undefined) return iamArn(accountId, `${kind}/${name}`);
      if (generation === this.#generation && kind !== 'instance-profile') this.#arns.set(key, arn);
      return arn;
    });
  }

  async #read(kind: Kind, accountId: string, name: string): Promise<string | undefined> {
    const store = this.#store;
    if (kind === 'user') return (await store.getUser(accountId, name))?.arn;
    if (kind === 'role') return (await store.roles.get(accountId, name))?.arn;
    if (kind === 'group') return (await store.groups.get(accountId, name))?.arn;
    return (await store.profiles.get(accountId, name))?.arn;
  }

  /** Drops an entity's cached ARN (its signal: it changed or is gone). */
  forget(kind: Kind, key: string): void {
    this.#generation++;
    this.#arns.delete(`${kind}:${key}`);
  }

  close(): void {
    for (const unlisten of this.#unlisten) unlisten();
  }
}

function created(accountId: string, type: string, path: unknown, name: unknown): IamRequest | undefined {
  const entity = str(name);
  return entity ? { resources: [iamArn(accountId, `${type}${pathOf(path)}${entity}`)] } : undefined;
}
