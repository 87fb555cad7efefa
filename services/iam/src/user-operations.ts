// IAM users and their access keys, permissions boundaries and tags. Inline policies and attachments
// are entity-policy-operations.ts's; group membership is group-operations.ts's.
import { newAccessKeyId, newSecretAccessKey, newUniqueId, type RequestContext } from '@atoll/core';
import { DeleteConflictException, EntityAlreadyExistsException, LimitExceededException } from '@atoll/aws-models/iam';
import type * as iam from '@atoll/aws-models/iam';
import { requirePolicy, type IamDeps } from './entity-policy-operations.js';
import {
  checkName,
  checkPath,
  checkTags,
  decodeMarker,
  iamArn,
  mergeTags,
  noSuch,
  noSuchUser,
  page,
  parseTags,
  removeTags,
  sqlPage,
  tagsOrNothing,
  validation,
} from './iam-common.js';
import { userKey } from './iam-signals.js';
import type { AccessKeyRow, UserRow } from './iam-store.js';

const MAX_KEYS_PER_USER = 2;

export function toUser(row: UserRow): iam.User {
  return {
    Path: row.path,
    UserName: row.user_name,
    UserId: row.user_id,
    Arn: row.arn,
    CreateDate: new Date(row.create_date),
    ...(row.boundary_arn ? { PermissionsBoundary: { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: row.boundary_arn } } : {}),
    ...tagsOrNothing(parseTags(row.tags)),
  };
}

function keyMetadata(row: AccessKeyRow): iam.AccessKeyMetadata {
  return { UserName: row.user_name, AccessKeyId: row.access_key_id, Status: row.status, CreateDate: new Date(row.create_date) };
}

const noSuchKey = (id: string) => noSuch(`The Access Key with id ${id} cannot be found.`);

export function userOperations({ store, directory }: IamDeps) {
  /** The user an operation acts on: the named one, else the caller (root has no user). */
  const targetUser = (name: string | undefined, ctx: RequestContext): string => {
    if (name) return name;
    if (ctx.identity.type === 'IAMUser' && ctx.identity.userName) return ctx.identity.userName;
    throw validation('Must specify userName when calling with non-User credentials');
  };
  const requireUser = async (accountId: string, name: string): Promise<UserRow> => {
    const user = await store.getUser(accountId, name);
    if (!user) throw noSuchUser(name);
    return user;
  };
  /** The user whose key an operation changes: it must exist (the key's ownership is checked by the store's update). */
  const keyOwner = async (userName: string | undefined, ctx: RequestContext): Promise<string> => {
    const owner = targetUser(userName, ctx);
    await requireUser(ctx.accountId, owner);
    return owner;
  };

  return {
    CreateUser: async (input: iam.CreateUserRequest, ctx: RequestContext): Promise<iam.CreateUserResult> => {
      checkName(input.UserName, 'userName');
      const path = checkPath(input.Path);
      const tags = checkTags(input.Tags);
      if (input.PermissionsBoundary) await requirePolicy(store, input.PermissionsBoundary, ctx.accountId);
      const row: UserRow = {
        account_id: ctx.accountId,
        user_name: input.UserName,
        user_id: newUniqueId('AIDA'),
        path,
        arn: iamArn(ctx.accountId, `user${path}${input.UserName}`),
        create_date: new Date().toISOString(),
        tags: JSON.stringify(tags),
      };
      if (!(await store.insertUser(row))) throw new EntityAlreadyExistsException(`User with name ${input.UserName} already exists.`);
      if (input.PermissionsBoundary) {
        await store.setBoundary(ctx.accountId, input.UserName, input.PermissionsBoundary);
        row.boundary_arn = input.PermissionsBoundary;
      }
      return { User: toUser(row) };
    },

    GetUser: async (input: iam.GetUserRequest, ctx: RequestContext): Promise<iam.GetUserResult> => {
      if (!input.UserName && ctx.identity.type === 'Root') {
        return { User: { Path: '/', UserName: undefined as unknown as string, UserId: ctx.accountId, Arn: ctx.identity.arn, CreateDate: new Date(0) } };
      }
      return { User: toUser(await requireUser(ctx.accountId, targetUser(input.UserName, ctx))) };
    },

    ListUsers: async (input: iam.ListUsersRequest, ctx: RequestContext): Promise<iam.ListUsersResult> => {
      const max = input.MaxItems ?? 100;
      const rows = await store.listUsers(ctx.accountId, input.PathPrefix ?? '/', decodeMarker(input.Marker), max + 1);
      const { items, ...rest } = sqlPage(rows, (u) => u.user_name, max);
      // ListUsers leaves out tags and boundaries, as IAM's listing does.
      return { Users: items.map((u) => ({ ...toUser({ ...u, tags: '[]', boundary_arn: null }) })), ...rest };
    },

    DeleteUser: async (input: iam.DeleteUserRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      const outcome = await store.deleteUser(ctx.accountId, input.UserName);
      if (outcome === 'missing') throw noSuchUser(input.UserName);
      if (outcome === 'has-keys') throw new DeleteConflictException('Cannot delete entity, must delete access keys first.');
      if (outcome === 'has-policies') throw new DeleteConflictException('Cannot delete entity, must delete policies first.');
      if (outcome === 'has-attached') throw new DeleteConflictException('Cannot delete entity, must detach all policies first.');
      if (outcome === 'has-groups') throw new DeleteConflictException('Cannot delete entity, must remove user from all groups first.');
      directory.forgetUser(userKey(ctx.accountId, input.UserName));
      return {};
    },

    PutUserPermissionsBoundary: async (input: iam.PutUserPermissionsBoundaryRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      await requirePolicy(store, input.PermissionsBoundary, ctx.accountId);
      if (!(await store.setBoundary(ctx.accountId, input.UserName, input.PermissionsBoundary))) throw noSuchUser(input.UserName);
      directory.forgetUser(userKey(ctx.accountId, input.UserName));
      return {};
    },

    DeleteUserPermissionsBoundary: async (input: iam.DeleteUserPermissionsBoundaryRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      if (!(await store.setBoundary(ctx.accountId, input.UserName, null))) throw noSuchUser(input.UserName);
      directory.forgetUser(userKey(ctx.accountId, input.UserName));
      return {};
    },

    TagUser: async (input: iam.TagUserRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      const user = await requireUser(ctx.accountId, input.UserName);
      await store.setTags(ctx.accountId, input.UserName, JSON.stringify(mergeTags(parseTags(user.tags), input.Tags)));
      directory.forgetUser(userKey(ctx.accountId, input.UserName));
      return {};
    },

    UntagUser: async (input: iam.UntagUserRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      const user = await requireUser(ctx.accountId, input.UserName);
      await store.setTags(ctx.accountId, input.UserName, JSON.stringify(removeTags(parseTags(user.tags), input.TagKeys)));
      directory.forgetUser(userKey(ctx.accountId, input.UserName));
      return {};
    },

    ListUserTags: async (input: iam.ListUserTagsRequest, ctx: RequestContext): Promise<iam.ListUserTagsResult> => {
      const user = await requireUser(ctx.accountId, input.UserName);
      const { items, ...rest } = page(parseTags(user.tags), (t) => t.Key, input.Marker, input.MaxItems);
      return { Tags: items, ...rest };
    },

    CreateAccessKey: async (input: iam.CreateAccessKeyRequest, ctx: RequestContext): Promise<iam.CreateAccessKeyResult> => {
      const userName = targetUser(input.UserName, ctx);
      const row: AccessKeyRow = {
        access_key_id: newAccessKeyId('AKIA'),
        secret_access_key: newSecretAccessKey(),
        account_id: ctx.accountId,
        user_name: userName,
        status: 'Active',
        create_date: new Date().toISOString(),
      };
      const created = await store.insertKey(row, MAX_KEYS_PER_USER);
      if (created.outcome === 'missing') throw noSuchUser(userName);
      if (created.outcome === 'limit') throw new LimitExceededException(`Cannot exceed quota for AccessKeysPerUser: ${MAX_KEYS_PER_USER}`);
      return {
        AccessKey: {
          UserName: created.userName!,
          AccessKeyId: row.access_key_id,
          Status: 'Active',
          SecretAccessKey: row.secret_access_key,
          CreateDate: new Date(row.create_date),
        },
      };
    },

    ListAccessKeys: async (input: iam.ListAccessKeysRequest, ctx: RequestContext): Promise<iam.ListAccessKeysResult> => {
      const userName = targetUser(input.UserName, ctx);
      await requireUser(ctx.accountId, userName);
      return { AccessKeyMetadata: (await store.listKeys(ctx.accountId, userName)).map(keyMetadata), IsTruncated: false };
    },

    UpdateAccessKey: async (input: iam.UpdateAccessKeyRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      const owner = await keyOwner(input.UserName, ctx);
      if (input.Status !== 'Active' && input.Status !== 'Inactive') throw validation(`Value '${input.Status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]`);
      if (!(await store.setKeyStatus(ctx.accountId, owner, input.AccessKeyId, input.Status))) throw noSuchKey(input.AccessKeyId);
      directory.forgetKey(input.AccessKeyId);
      return {};
    },

    DeleteAccessKey: async (input: iam.DeleteAccessKeyRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      const owner = await keyOwner(input.UserName, ctx);
      if (!(await store.deleteKey(ctx.accountId, owner, input.AccessKeyId))) throw noSuchKey(input.AccessKeyId);
      directory.forgetKey(input.AccessKeyId);
      return {};
    },

    GetAccessKeyLastUsed: async (input: iam.GetAccessKeyLastUsedRequest, ctx: RequestContext): Promise<iam.GetAccessKeyLastUsedResult> => {
      const key = await store.getKey(input.AccessKeyId);
      if (!key || key.account_id !== ctx.accountId) throw noSuchKey(input.AccessKeyId);
      return { UserName: key.user_name, AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' } };
    },
  };
}
