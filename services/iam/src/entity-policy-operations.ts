// The operations that are the same for users, roles and groups: inline policies (Put/Get/List/
// Delete{User,Role,Group}Policy) and managed-policy attachments (Attach/Detach/ListAttached…).
// Service-linked roles refuse changes (UnmodifiableEntity), as AWS protects them.
import type { RequestContext } from '@atoll/core';
import { LimitExceededException, UnmodifiableEntityException } from '@atoll/aws-models/iam';
import type * as iam from '@atoll/aws-models/iam';
import { awsManagedPolicy } from './aws-managed-policies.js';
import {
  arnAccount,
  checkName,
  checkPolicyDocument,
  noSuch,
  noSuchGroup,
  noSuchPolicy,
  noSuchRole,
  noSuchUser,
  page,
  POLICY_LIMITS,
  policyNameOf,
} from './iam-common.js';
import type { EntityType } from './entity-policy-store.js';
import type { IamDirectory } from './iam-directory.js';
import { entityKey, userKey } from './iam-signals.js';
import type { IamStore } from './iam-store.js';

export interface IamDeps {
  store: IamStore;
  directory: IamDirectory;
}

/** How many managed policies one user, role or group may have attached (IAM's default quota). */
export const MAX_ATTACHED = 10;

const LABEL: Record<EntityType, { op: 'User' | 'Role' | 'Group'; missing: (name: string) => Error; quota: string }> = {
  user: { op: 'User', missing: noSuchUser, quota: 'PoliciesPerUser' },
  role: { op: 'Role', missing: noSuchRole, quota: 'PoliciesPerRole' },
  group: { op: 'Group', missing: noSuchGroup, quota: 'PoliciesPerGroup' },
};

/** Drops an entity's cached permissions on this node at once (the signal reaches the others). */
export function forgetEntity(directory: IamDirectory, type: EntityType, accountId: string, name: string): void {
  if (type === 'user') directory.forgetUser(userKey(accountId, name));
  else if (type === 'role') directory.forgetRole(entityKey(accountId, name));
  else directory.forgetGroup(entityKey(accountId, name));
}

/** Refuses changes to a service-linked role (its path is `/aws-service-role/…`). */
export async function checkModifiableRole(store: IamStore, accountId: string, roleName: string): Promise<void> {
  const role = await store.roles.get(accountId, roleName);
  if (!role) throw noSuchRole(roleName);
  if (role.path.startsWith('/aws-service-role/')) {
    throw new UnmodifiableEntityException(`Cannot perform the operation on the protected role '${role.role_name}' - this role is only modifiable by AWS`);
  }
}

/** The path of a managed policy from its ARN (`arn:aws:iam::acct:policy/a/b/Name` → `/a/b/`). */
export function policyPathOf(arn: string): string {
  const resource = arn.slice(arn.indexOf(':policy/') + ':policy'.length);
  return resource.slice(0, resource.lastIndexOf('/') + 1);
}

/** Whether a policy ARN can be attached in this account: an AWS managed policy that exists, or a local one (checked by the store). */
export function attachable(arn: string, accountId: string): 'aws' | 'local' | undefined {
  if (awsManagedPolicy(arn)) return 'aws';
  return arnAccount(arn) === accountId && arn.includes(':policy/') ? 'local' : undefined;
}

type Named = Record<string, unknown>;

function entityOperations(type: EntityType, deps: IamDeps) {
  const { store, directory } = deps;
  const { op, missing, quota } = LABEL[type];
  const member = `${op}Name`;
  const limit = POLICY_LIMITS[type];
  const noSuchInline = (policyName: string) => noSuch(`The ${type} policy with name ${policyName} cannot be found.`);
  const guard = async (accountId: string, name: string) => {
    if (type === 'role') await checkModifiableRole(store, accountId, name);
  };

  return {
    [`Put${op}Policy`]: async (input: Named, ctx: RequestContext): Promise<Record<string, never>> => {
      const name = input[member] as string;
      const policyName = input['PolicyName'] as string;
      checkName(policyName, 'policyName');
      await guard(ctx.accountId, name);
      if (!(await store.entities.exists(type, ctx.accountId, name))) throw missing(name);
      checkPolicyDocument(input['PolicyDocument'] as string, 'identity', limit, () =>
        new LimitExceededException(`Maximum policy size of ${limit} bytes exceeded for ${type} ${name}`),
      );
      if (!(await store.entities.putInline(type, ctx.accountId, name, policyName, input['PolicyDocument'] as string))) throw missing(name);
      forgetEntity(directory, type, ctx.accountId, name);
      return {};
    },

    [`Get${op}Policy`]: async (input: Named, ctx: RequestContext): Promise<Named> => {
      const name = input[member] as string;
      const policyName = input['PolicyName'] as string;
      if (!(await store.entities.exists(type, ctx.accountId, name))) throw missing(name);
      const document = await store.entities.getInline(type, ctx.accountId, name, policyName);
      if (document === undefined) throw noSuchInline(policyName);
      return { [member]: name, PolicyName: policyName, PolicyDocument: encodeURIComponent(document) };
    },

    [`List${op}Policies`]: async (input: Named, ctx: RequestContext): Promise<Named> => {
      const name = input[member] as string;
      if (!(await store.entities.exists(type, ctx.accountId, name))) throw missing(name);
      const names = await store.entities.listInlineNames(type, ctx.accountId, name);
      const { items, ...rest } = page(names, (n) => n, input['Marker'] as string | undefined, input['MaxItems'] as number | undefined);
      return { PolicyNames: items, ...rest };
    },

    [`Delete${op}Policy`]: async (input: Named, ctx: RequestContext): Promise<Record<string, never>> => {
      const name = input[member] as string;
      const policyName = input['PolicyName'] as string;
      await guard(ctx.accountId, name);
      if (!(await store.entities.exists(type, ctx.accountId, name))) throw missing(name);
      if (!(await store.entities.deleteInline(type, ctx.accountId, name, policyName))) throw noSuchInline(policyName);
      forgetEntity(directory, type, ctx.accountId, name);
      return {};
    },

    [`Attach${op}Policy`]: async (input: Named, ctx: RequestContext): Promise<Record<string, never>> => {
      const name = input[member] as string;
      const arn = input['PolicyArn'] as string;
      await guard(ctx.accountId, name);
      const kind = attachable(arn, ctx.accountId);
      if (!kind) throw noSuchPolicy(arn);
      const outcome = await store.entities.attach(type, ctx.accountId, name, arn, kind === 'local', MAX_ATTACHED);
      if (outcome === 'missing') throw missing(name);
      if (outcome === 'no-policy') throw noSuchPolicy(arn);
      if (outcome === 'limit') throw new LimitExceededException(`Cannot exceed quota for ${quota}: ${MAX_ATTACHED}`);
      forgetEntity(directory, type, ctx.accountId, name);
      return {};
    },

    [`Detach${op}Policy`]: async (input: Named, ctx: RequestContext): Promise<Record<string, never>> => {
      const name = input[member] as string;
      const arn = input['PolicyArn'] as string;
      await guard(ctx.accountId, name);
      if (!(await store.entities.exists(type, ctx.accountId, name))) throw missing(name);
      if (!(await store.entities.detach(type, ctx.accountId, name, arn))) throw noSuch(`Policy ${arn} was not found.`);
      forgetEntity(directory, type, ctx.accountId, name);
      return {};
    },

    [`ListAttached${op}Policies`]: async (input: Named, ctx: RequestContext): Promise<Named> => {
      const name = input[member] as string;
      if (!(await store.entities.exists(type, ctx.accountId, name))) throw missing(name);
      const prefix = (input['PathPrefix'] as string | undefined) ?? '/';
      const arns = (await store.entities.listAttached(type, ctx.accountId, name)).filter((arn) => policyPathOf(arn).startsWith(prefix));
      const { items, ...rest } = page(arns, (a) => a, input['Marker'] as string | undefined, input['MaxItems'] as number | undefined);
      const attached: iam.AttachedPolicy[] = items.map((arn) => ({ PolicyName: policyNameOf(arn), PolicyArn: arn }));
      return { AttachedPolicies: attached, ...rest };
    },
  };
}

/** Inline-policy and attachment operations for users, roles and groups. */
export function entityPolicyOperations(deps: IamDeps) {
  return { ...entityOperations('user', deps), ...entityOperations('role', deps), ...entityOperations('group', deps) };
}

/** Throws NoSuchEntity unless the ARN names an AWS managed policy or a customer policy of this account (a boundary). */
export async function requirePolicy(store: IamStore, arn: string, accountId: string): Promise<void> {
  const kind = attachable(arn, accountId);
  if (kind === 'aws') return;
  if (kind !== 'local' || !(await store.policies.get(accountId, arn))) throw noSuchPolicy(arn);
}
