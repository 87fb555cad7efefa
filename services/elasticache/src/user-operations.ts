// Users and user groups (RBAC). A replication group with user groups gets their users as ACLs on
// every node (elasticache-fleet.ts applies them); a change to a user or group reaches the running
// nodes on the fleet's next pass.
import type { RequestContext } from '@atoll/core';
import type { CreateUserGroupRequest, CreateUserRequest, DeleteUserGroupRequest, DeleteUserRequest, DescribeUserGroupsRequest, DescribeUsersRequest, ModifyUserGroupRequest, ModifyUserRequest } from '@atoll/aws-models/elasticache';
import type { EngineName, TagRecord, UserGroupRecord, UserRecord } from './cache-records.js';
import {
  DefaultUserRequired,
  DuplicateUserNameFault,
  InvalidUserGroupStateFault,
  InvalidUserStateFault,
  UserAlreadyExistsFault,
  UserGroupAlreadyExistsFault,
  UserGroupNotFoundFault,
  UserNotFoundFault,
  invalidCombination,
  invalidValue,
} from './elasticache-errors.js';
import { FLEET_CHANNEL } from './elasticache-store.js';
import { arnOf, type OpsContext } from './ops-context.js';
import { userGroupOutput, userOutput } from './output.js';
import { checkAccessString } from './users.js';
import { checkEngine, checkIdentifier } from './validation.js';

const USER_ID = /^[a-zA-Z][a-zA-Z0-9-]*$/;

function checkPasswords(passwords: readonly string[] | undefined): string[] {
  const list = passwords ?? [];
  if (list.length > 2) throw invalidValue('A user can have at most 2 passwords.');
  for (const p of list) if (p.length < 16 || p.length > 128) throw invalidValue('Passwords length must be between 16-128 characters.');
  return [...list];
}

export function userOperations(ops: OpsContext) {
  const signal = () => ops.store.db.signals.notify(FLEET_CHANNEL, 'acl');
  const user = async (ctx: RequestContext, id: string) => {
    const u = await ops.store.get<UserRecord>(ctx, 'user', id);
    if (!u) throw new UserNotFoundFault(`User ${id} not found.`);
    return u;
  };
  const group = async (ctx: RequestContext, id: string) => {
    const g = await ops.store.get<UserGroupRecord>(ctx, 'user-group', id);
    if (!g) throw new UserGroupNotFoundFault(`User group ${id} not found.`);
    return g;
  };
  const setUserGroups = async (ctx: RequestContext, userIds: readonly string[], groupId: string, member: boolean) => {
    if (userIds.length === 0) return;
    await ops.store.update(ctx, userIds.map((id) => ({ kind: 'user' as const, id })), (bodies) => ({
      bodies: bodies.map((b) => {
        const u = b as UserRecord | undefined;
        if (!u) return u;
        const others = u.userGroupIds.filter((g) => g !== groupId);
        return { ...u, userGroupIds: member ? [...others, groupId] : others };
      }),
      result: undefined,
    }));
  };

  return {
    CreateUser: async (input: CreateUserRequest, ctx: RequestContext) => {
      if (!USER_ID.test(input.UserId) || input.UserId.length > 40) throw invalidValue(`Invalid user id: ${input.UserId}`);
      const engine: EngineName = checkEngine(input.Engine);
      const why = checkAccessString(input.AccessString);
      if (why) throw invalidValue(why);
      const passwords = checkPasswords(input.Passwords ?? input.AuthenticationMode?.Passwords);
      const noPassword = input.NoPasswordRequired ?? input.AuthenticationMode?.Type === 'no-password-required';
      if (noPassword && passwords.length) throw invalidCombination('Passwords cannot be given with NoPasswordRequired.');
      if (!noPassword && passwords.length === 0) throw invalidCombination('No password was provided: give Passwords or set NoPasswordRequired.');
      const existing = await ops.store.list<UserRecord>(ctx, 'user');
      if (existing.some((u) => u.userName === input.UserName && u.userId !== input.UserId && input.UserName !== 'default')) throw new DuplicateUserNameFault(`User name ${input.UserName} is already in use.`);
      const record: UserRecord = {
        userId: input.UserId,
        userName: input.UserName,
        arn: arnOf(ctx, 'user', input.UserId),
        engine,
        status: 'active',
        accessString: input.AccessString,
        passwords,
        noPasswordRequired: noPassword,
        userGroupIds: [],
        tags: (input.Tags ?? []) as TagRecord[],
      };
      if (await ops.store.insert(ctx, [{ kind: 'user', id: input.UserId, body: record }])) throw new UserAlreadyExistsFault(`User ${input.UserId} already exists.`);
      return userOutput(record);
    },
    DescribeUsers: async (input: DescribeUsersRequest, ctx: RequestContext) => {
      const users = input.UserId ? [await user(ctx, input.UserId)] : await ops.store.list<UserRecord>(ctx, 'user');
      return { Users: users.filter((u) => !input.Engine || u.engine === input.Engine).map(userOutput) };
    },
    ModifyUser: async (input: ModifyUserRequest, ctx: RequestContext) => {
      await user(ctx, input.UserId);
      const access = input.AccessString;
      if (access) {
        const why = checkAccessString(access);
        if (why) throw invalidValue(why);
      }
      const passwords = input.Passwords ?? input.AuthenticationMode?.Passwords;
      if (passwords) checkPasswords(passwords);
      const updated = await ops.store.update(ctx, [{ kind: 'user', id: input.UserId }], ([b]) => {
        const u = { ...(b as UserRecord) };
        if (access) u.accessString = access;
        if (input.AppendAccessString) u.accessString = `${u.accessString} ${input.AppendAccessString}`;
        if (passwords) {
          u.passwords = [...passwords];
          u.noPasswordRequired = false;
        }
        if (input.NoPasswordRequired) {
          u.passwords = [];
          u.noPasswordRequired = true;
        }
        return { bodies: [u], result: u };
      });
      await signal();
      return userOutput(updated);
    },
    DeleteUser: async (input: DeleteUserRequest, ctx: RequestContext) => {
      const u = await user(ctx, input.UserId);
      if (u.userId === 'default') throw new InvalidUserStateFault('The default user cannot be deleted.');
      if (u.userGroupIds.length > 0) throw new InvalidUserStateFault(`User ${u.userId} belongs to user groups ${u.userGroupIds.join(', ')}.`);
      await ops.store.delete(ctx, 'user', u.userId);
      return userOutput({ ...u, status: 'deleting' });
    },
    CreateUserGroup: async (input: CreateUserGroupRequest, ctx: RequestContext) => {
      const id = checkIdentifier('UserGroupId', input.UserGroupId, 40);
      const engine = checkEngine(input.Engine);
      const userIds = input.UserIds ?? [];
      const users = await Promise.all(userIds.map((u) => user(ctx, u)));
      if (!users.some((u) => u.userName === 'default')) throw new DefaultUserRequired('A user with the username default must be present in the user group.');
      const record: UserGroupRecord = { userGroupId: id, arn: arnOf(ctx, 'usergroup', id), engine, status: 'active', userIds, replicationGroups: [], tags: (input.Tags ?? []) as TagRecord[] };
      if (await ops.store.insert(ctx, [{ kind: 'user-group', id, body: record }])) throw new UserGroupAlreadyExistsFault(`User group ${id} already exists.`);
      await setUserGroups(ctx, userIds, id, true);
      return userGroupOutput(record);
    },
    DescribeUserGroups: async (input: DescribeUserGroupsRequest, ctx: RequestContext) => {
      const groups = input.UserGroupId ? [await group(ctx, input.UserGroupId)] : await ops.store.list<UserGroupRecord>(ctx, 'user-group');
      return { UserGroups: groups.map(userGroupOutput) };
    },
    ModifyUserGroup: async (input: ModifyUserGroupRequest, ctx: RequestContext) => {
      const g = await group(ctx, input.UserGroupId);
      const add = input.UserIdsToAdd ?? [];
      const remove = input.UserIdsToRemove ?? [];
      await Promise.all(add.map((u) => user(ctx, u)));
      const userIds = [...g.userIds.filter((u) => !remove.includes(u)), ...add.filter((u) => !g.userIds.includes(u))];
      const users = await Promise.all(userIds.map((u) => user(ctx, u)));
      if (!users.some((u) => u.userName === 'default')) throw new DefaultUserRequired('A user with the username default must be present in the user group.');
      const updated = await ops.store.update(ctx, [{ kind: 'user-group', id: g.userGroupId }], ([b]) => {
        const next = { ...(b as UserGroupRecord), userIds };
        return { bodies: [next], result: next };
      });
      await setUserGroups(ctx, add, g.userGroupId, true);
      await setUserGroups(ctx, remove, g.userGroupId, false);
      await signal();
      return userGroupOutput(updated);
    },
    DeleteUserGroup: async (input: DeleteUserGroupRequest, ctx: RequestContext) => {
      const g = await group(ctx, input.UserGroupId);
      if (g.replicationGroups.length > 0) throw new InvalidUserGroupStateFault(`User group ${g.userGroupId} is associated with replication groups ${g.replicationGroups.join(', ')}.`);
      if (g.serverlessCaches?.length) throw new InvalidUserGroupStateFault(`User group ${g.userGroupId} is associated with serverless caches ${g.serverlessCaches.join(', ')}.`);
      await ops.store.delete(ctx, 'user-group', g.userGroupId);
      await setUserGroups(ctx, g.userIds, g.userGroupId, false);
      return userGroupOutput({ ...g, status: 'deleting' });
    },
  };
}
