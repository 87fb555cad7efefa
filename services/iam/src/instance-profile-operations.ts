// Instance profiles, recorded: they hold at most one role and launch nothing (Atoll runs no EC2).
import { newUniqueId, type RequestContext } from '@atoll/core';
import { DeleteConflictException, EntityAlreadyExistsException, LimitExceededException } from '@atoll/aws-models/iam';
import type * as iam from '@atoll/aws-models/iam';
import type { IamDeps } from './entity-policy-operations.js';
import {
  checkName,
  checkPath,
  checkTags,
  decodeMarker,
  iamArn,
  mergeTags,
  noSuch,
  noSuchRole,
  page,
  parseTags,
  removeTags,
  sqlPage,
  tagsOrNothing,
} from './iam-common.js';
import { nameKey } from './iam-signals.js';
import type { InstanceProfileRow } from './instance-profile-store.js';
import { toRole } from './role-operations.js';

const MAX_ROLES = 1;

const noSuchProfile = (name: string) => noSuch(`Instance Profile ${name} cannot be found.`);

export function instanceProfileOperations({ store }: IamDeps) {
  const toProfile = async (row: InstanceProfileRow): Promise<iam.InstanceProfile> => {
    const roles: iam.Role[] = [];
    for (const key of await store.profiles.roleKeys(row.account_id, row.profile_name)) {
      const role = await store.roles.get(row.account_id, key);
      if (role) roles.push(toRole(role, 'list'));
    }
    return {
      Path: row.path,
      InstanceProfileName: row.profile_name,
      InstanceProfileId: row.profile_id,
      Arn: row.arn,
      CreateDate: new Date(row.create_date),
      Roles: roles,
      ...tagsOrNothing(parseTags(row.tags)),
    };
  };
  const requireProfile = async (accountId: string, name: string): Promise<InstanceProfileRow> => {
    const row = await store.profiles.get(accountId, name);
    if (!row) throw noSuchProfile(name);
    return row;
  };

  return {
    CreateInstanceProfile: async (input: iam.CreateInstanceProfileRequest, ctx: RequestContext): Promise<iam.CreateInstanceProfileResult> => {
      checkName(input.InstanceProfileName, 'instanceProfileName');
      const path = checkPath(input.Path);
      const row: InstanceProfileRow = {
        account_id: ctx.accountId,
        profile_key: nameKey(input.InstanceProfileName),
        profile_name: input.InstanceProfileName,
        profile_id: newUniqueId('AIPA'),
        path,
        arn: iamArn(ctx.accountId, `instance-profile${path}${input.InstanceProfileName}`),
        create_date: new Date().toISOString(),
        tags: JSON.stringify(checkTags(input.Tags)),
      };
      if (!(await store.profiles.insert(row))) {
        throw new EntityAlreadyExistsException(`Instance Profile ${input.InstanceProfileName} already exists.`);
      }
      return { InstanceProfile: await toProfile(row) };
    },

    GetInstanceProfile: async (input: iam.GetInstanceProfileRequest, ctx: RequestContext): Promise<iam.GetInstanceProfileResult> => {
      return { InstanceProfile: await toProfile(await requireProfile(ctx.accountId, input.InstanceProfileName)) };
    },

    ListInstanceProfiles: async (input: iam.ListInstanceProfilesRequest, ctx: RequestContext): Promise<iam.ListInstanceProfilesResult> => {
      const max = input.MaxItems ?? 100;
      const rows = await store.profiles.list(ctx.accountId, input.PathPrefix ?? '/', decodeMarker(input.Marker), max + 1);
      const { items, ...rest } = sqlPage(rows, (p) => p.profile_name, max);
      return { InstanceProfiles: await Promise.all(items.map(toProfile)), ...rest };
    },

    DeleteInstanceProfile: async (input: iam.DeleteInstanceProfileRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      const outcome = await store.profiles.delete(ctx.accountId, input.InstanceProfileName);
      if (outcome === 'missing') throw noSuchProfile(input.InstanceProfileName);
      if (outcome === 'has-roles') throw new DeleteConflictException('Cannot delete entity, must remove roles from instance profile first.');
      return {};
    },

    AddRoleToInstanceProfile: async (input: iam.AddRoleToInstanceProfileRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      const outcome = await store.profiles.addRole(ctx.accountId, input.InstanceProfileName, input.RoleName, MAX_ROLES);
      if (outcome === 'no-profile') throw noSuchProfile(input.InstanceProfileName);
      if (outcome === 'no-role') throw noSuchRole(input.RoleName);
      if (outcome === 'exists') throw new EntityAlreadyExistsException(`Role ${input.RoleName} is already in instance profile ${input.InstanceProfileName}.`);
      if (outcome === 'limit') throw new LimitExceededException(`Cannot exceed quota for InstanceSessionsPerInstanceProfile: ${MAX_ROLES}`);
      return {};
    },

    RemoveRoleFromInstanceProfile: async (input: iam.RemoveRoleFromInstanceProfileRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      const outcome = await store.profiles.removeRole(ctx.accountId, input.InstanceProfileName, input.RoleName);
      if (outcome === 'no-profile') throw noSuchProfile(input.InstanceProfileName);
      if (outcome === 'no-role') throw noSuchRole(input.RoleName);
      if (outcome === 'not-in-profile') throw noSuch(`The role with name ${input.RoleName} is not in instance profile ${input.InstanceProfileName}.`);
      return {};
    },

    ListInstanceProfilesForRole: async (input: iam.ListInstanceProfilesForRoleRequest, ctx: RequestContext): Promise<iam.ListInstanceProfilesForRoleResult> => {
      if (!(await store.roles.get(ctx.accountId, input.RoleName))) throw noSuchRole(input.RoleName);
      const rows = await store.profiles.forRole(ctx.accountId, input.RoleName);
      const { items, ...rest } = page(rows, (p) => p.profile_key, input.Marker, input.MaxItems);
      return { InstanceProfiles: await Promise.all(items.map(toProfile)), ...rest };
    },

    TagInstanceProfile: async (input: iam.TagInstanceProfileRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      const row = await requireProfile(ctx.accountId, input.InstanceProfileName);
      await store.profiles.setTags(ctx.accountId, input.InstanceProfileName, JSON.stringify(mergeTags(parseTags(row.tags), input.Tags)));
      return {};
    },

    UntagInstanceProfile: async (input: iam.UntagInstanceProfileRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      const row = await requireProfile(ctx.accountId, input.InstanceProfileName);
      await store.profiles.setTags(ctx.accountId, input.InstanceProfileName, JSON.stringify(removeTags(parseTags(row.tags), input.TagKeys)));
      return {};
    },

    ListInstanceProfileTags: async (input: iam.ListInstanceProfileTagsRequest, ctx: RequestContext): Promise<iam.ListInstanceProfileTagsResult> => {
      const row = await requireProfile(ctx.accountId, input.InstanceProfileName);
      const { items, ...rest } = page(parseTags(row.tags), (t) => t.Key, input.Marker, input.MaxItems);
      return { Tags: items, ...rest };
    },
  };
}
