// IAM groups and membership. A group's inline policies and attachments are entity-policy-operations.ts's;
// its members get them (the directory reads a user's groups).
import { newUniqueId, type RequestContext } from '@atoll/core';
import { DeleteConflictException, EntityAlreadyExistsException, LimitExceededException } from '@atoll/aws-models/iam';
import type * as iam from '@atoll/aws-models/iam';
import type { IamDeps } from './entity-policy-operations.js';
import { checkName, checkPath, decodeMarker, iamArn, noSuch, noSuchGroup, noSuchUser, page, sqlPage } from './iam-common.js';
import { entityKey, nameKey, userKey } from './iam-signals.js';
import type { GroupRow } from './group-store.js';

/** How many groups one user may be in (IAM's quota). */
const MAX_GROUPS_PER_USER = 10;

function toGroup(row: GroupRow): iam.Group {
  return { Path: row.path, GroupName: row.group_name, GroupId: row.group_id, Arn: row.arn, CreateDate: new Date(row.create_date) };
}

export function groupOperations({ store, directory }: IamDeps) {
  return {
    CreateGroup: async (input: iam.CreateGroupRequest, ctx: RequestContext): Promise<iam.CreateGroupResult> => {
      checkName(input.GroupName, 'groupName');
      const path = checkPath(input.Path);
      const row: GroupRow = {
        account_id: ctx.accountId,
        group_key: nameKey(input.GroupName),
        group_name: input.GroupName,
        group_id: newUniqueId('AGPA'),
        path,
        arn: iamArn(ctx.accountId, `group${path}${input.GroupName}`),
        create_date: new Date().toISOString(),
      };
      if (!(await store.groups.insert(row))) throw new EntityAlreadyExistsException(`Group with name ${input.GroupName} already exists.`);
      return { Group: toGroup(row) };
    },

    GetGroup: async (input: iam.GetGroupRequest, ctx: RequestContext): Promise<iam.GetGroupResult> => {
      const group = await store.groups.get(ctx.accountId, input.GroupName);
      if (!group) throw noSuchGroup(input.GroupName);
      const members = await store.groups.members(ctx.accountId, input.GroupName);
      const { items, ...rest } = page(members, (u) => u.user_name.toLowerCase(), input.Marker, input.MaxItems);
      return {
        Group: toGroup(group),
        Users: items.map((u) => ({ Path: u.path, UserName: u.user_name, UserId: u.user_id, Arn: u.arn, CreateDate: new Date(u.create_date) })),
        ...rest,
      };
    },

    ListGroups: async (input: iam.ListGroupsRequest, ctx: RequestContext): Promise<iam.ListGroupsResult> => {
      const max = input.MaxItems ?? 100;
      const rows = await store.groups.list(ctx.accountId, input.PathPrefix ?? '/', decodeMarker(input.Marker), max + 1);
      const { items, ...rest } = sqlPage(rows, (g) => g.group_name, max);
      return { Groups: items.map(toGroup), ...rest };
    },

    DeleteGroup: async (input: iam.DeleteGroupRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      const outcome = await store.groups.delete(ctx.accountId, input.GroupName);
      if (outcome === 'missing') throw noSuchGroup(input.GroupName);
      if (outcome === 'has-users') throw new DeleteConflictException('Cannot delete entity, must remove users from group first.');
      if (outcome === 'has-policies') throw new DeleteConflictException('Cannot delete entity, must delete policies first.');
      if (outcome === 'has-attached') throw new DeleteConflictException('Cannot delete entity, must detach all policies first.');
      directory.forgetGroup(entityKey(ctx.accountId, input.GroupName));
      return {};
    },

    AddUserToGroup: async (input: iam.AddUserToGroupRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      const outcome = await store.groups.addMember(ctx.accountId, input.GroupName, input.UserName, MAX_GROUPS_PER_USER);
      if (outcome === 'no-group') throw noSuchGroup(input.GroupName);
      if (outcome === 'no-user') throw noSuchUser(input.UserName);
      if (outcome === 'limit') throw new LimitExceededException(`Cannot exceed quota for GroupsPerUser: ${MAX_GROUPS_PER_USER}`);
      directory.forgetUser(userKey(ctx.accountId, input.UserName));
      return {};
    },

    RemoveUserFromGroup: async (input: iam.RemoveUserFromGroupRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      const outcome = await store.groups.removeMember(ctx.accountId, input.GroupName, input.UserName);
      if (outcome === 'no-group') throw noSuchGroup(input.GroupName);
      if (outcome === 'no-user') {
        if (!(await store.getUser(ctx.accountId, input.UserName))) throw noSuchUser(input.UserName);
        throw noSuch(`User ${input.UserName} is not in group ${input.GroupName}.`);
      }
      directory.forgetUser(userKey(ctx.accountId, input.UserName));
      return {};
    },

    ListGroupsForUser: async (input: iam.ListGroupsForUserRequest, ctx: RequestContext): Promise<iam.ListGroupsForUserResult> => {
      if (!(await store.getUser(ctx.accountId, input.UserName))) throw noSuchUser(input.UserName);
      const groups = await store.groups.groupsOf(ctx.accountId, input.UserName);
      const { items, ...rest } = page(groups, (g) => g.group_key, input.Marker, input.MaxItems);
      return { Groups: items.map(toGroup), ...rest };
    },
  };
}
