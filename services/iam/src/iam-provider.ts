// IAM: users, access keys and inline user policies. It is also the identity directory the edge
// authenticates access keys against and reads identity policies from.
//
// Known limitations:
// - Groups, roles, managed policies, instance profiles, MFA, login profiles, SAML/OIDC providers and
//   credential reports are not implemented (their operations answer 501 NotImplemented).
// - Permission boundaries are stored nowhere and not evaluated; only inline user policies grant
//   permissions, and they are evaluated against the resource `*` unless a service names its resource.
// - Access key last-used information is not tracked (GetAccessKeyLastUsed reports N/A).
// - Each node caches active keys and user policies for the edge; a change made on another node
//   reaches this node's cache through a database signal (milliseconds), and while this node's signal
//   connection is down the cache is cleared once it is back, not before.
// - ListUsers' PathPrefix matches ASCII letters case-insensitively (SQLite's LIKE; ILIKE on PostgreSQL).
import {
  formatArn,
  newAccessKeyId,
  newSecretAccessKey,
  newUniqueId,
  serviceError,
  type IdentityDirectory,
  type PlatformContext,
  type RequestContext,
  type ServiceProvider,
} from '@atoll/core';
import { parsePolicyDocument } from '@atoll/auth';
import {
  DeleteConflictException,
  EntityAlreadyExistsException,
  LimitExceededException,
  NoSuchEntityException,
} from '@atoll/aws-models/iam';
import type * as iam from '@atoll/aws-models/iam';
import { IamDirectory } from './iam-directory.js';
import { IamStore, userKey, type AccessKeyRow, type UserRow } from './iam-store.js';

const USER_NAME = /^[\w+=,.@-]+$/;
const PATH = /^\/([\x21-\x7e]*\/)?$/;
const MAX_KEYS_PER_USER = 2;

function toUser(row: UserRow): iam.User {
  const tags = JSON.parse(row.tags) as iam.Tag[];
  return {
    Path: row.path,
    UserName: row.user_name,
    UserId: row.user_id,
    Arn: row.arn,
    CreateDate: new Date(row.create_date),
    ...(tags.length > 0 ? { Tags: tags } : {}),
  };
}

function keyMetadata(row: AccessKeyRow): iam.AccessKeyMetadata {
  return { UserName: row.user_name, AccessKeyId: row.access_key_id, Status: row.status, CreateDate: new Date(row.create_date) };
}

const validation = (message: string) => serviceError('ValidationError', 400, message);
const noSuchUser = (name: string) => new NoSuchEntityException(`The user with name ${name} cannot be found.`);
const noSuchKey = (id: string) => new NoSuchEntityException(`The Access Key with id ${id} cannot be found.`);

export class IamProvider implements ServiceProvider {
  readonly service = 'iam';
  readonly #store: IamStore;
  readonly #directory: IamDirectory;
  readonly identityDirectory: IdentityDirectory;

  constructor(store: IamStore) {
    this.#store = store;
    this.#directory = new IamDirectory(store, store.db.signals);
    this.identityDirectory = this.#directory;
  }

  /** The user an operation acts on: the named one, else the caller (root has no user). */
  #targetUser(name: string | undefined, ctx: RequestContext): string {
    if (name) return name;
    if (ctx.identity.type === 'IAMUser' && ctx.identity.userName) return ctx.identity.userName;
    throw validation('Must specify userName when calling with non-User credentials');
  }

  async #requireUser(accountId: string, name: string): Promise<UserRow> {
    const user = await this.#store.getUser(accountId, name);
    if (!user) throw noSuchUser(name);
    return user;
  }

  readonly operations = {
    CreateUser: async (input: iam.CreateUserRequest, ctx: RequestContext): Promise<iam.CreateUserResult> => {
      if (!USER_NAME.test(input.UserName)) {
        throw validation(`1 validation error detected: Value '${input.UserName}' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`);
      }
      const path = input.Path ?? '/';
      if (!PATH.test(path)) throw validation(`The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.`);
      const row: UserRow = {
        account_id: ctx.accountId,
        user_name: input.UserName,
        user_id: newUniqueId('AIDA'),
        path,
        arn: formatArn({ service: 'iam', region: '', accountId: ctx.accountId, resource: `user${path}${input.UserName}` }),
        create_date: new Date().toISOString(),
        tags: JSON.stringify(input.Tags ?? []),
      };
      if (!(await this.#store.insertUser(row))) {
        throw new EntityAlreadyExistsException(`User with name ${input.UserName} already exists.`);
      }
      return { User: toUser(row) };
    },

    GetUser: async (input: iam.GetUserRequest, ctx: RequestContext): Promise<iam.GetUserResult> => {
      if (!input.UserName && ctx.identity.type === 'Root') {
        return { User: { Path: '/', UserName: undefined as unknown as string, UserId: ctx.accountId, Arn: ctx.identity.arn, CreateDate: new Date(0) } };
      }
      return { User: toUser(await this.#requireUser(ctx.accountId, this.#targetUser(input.UserName, ctx))) };
    },

    ListUsers: async (input: iam.ListUsersRequest, ctx: RequestContext): Promise<iam.ListUsersResult> => {
      const max = input.MaxItems ?? 100;
      const rows = await this.#store.listUsers(ctx.accountId, input.PathPrefix ?? '/', decodeMarker(input.Marker), max + 1);
      const page = rows.slice(0, max);
      const truncated = rows.length > max;
      return { Users: page.map(toUser), IsTruncated: truncated, ...(truncated ? { Marker: encodeMarker(page[page.length - 1]!.user_name) } : {}) };
    },

    DeleteUser: async (input: iam.DeleteUserRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      const outcome = await this.#store.deleteUser(ctx.accountId, input.UserName);
      if (outcome === 'missing') throw noSuchUser(input.UserName);
      if (outcome === 'has-keys') throw new DeleteConflictException('Cannot delete entity, must delete access keys first.');
      if (outcome === 'has-policies') throw new DeleteConflictException('Cannot delete entity, must delete policies first.');
      this.#directory.forgetUser(userKey(ctx.accountId, input.UserName));
      return {};
    },

    CreateAccessKey: async (input: iam.CreateAccessKeyRequest, ctx: RequestContext): Promise<iam.CreateAccessKeyResult> => {
      const userName = this.#targetUser(input.UserName, ctx);
      const row: AccessKeyRow = {
        access_key_id: newAccessKeyId('AKIA'),
        secret_access_key: newSecretAccessKey(),
        account_id: ctx.accountId,
        user_name: userName,
        status: 'Active',
        create_date: new Date().toISOString(),
      };
      const created = await this.#store.insertKey(row, MAX_KEYS_PER_USER);
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
      const userName = this.#targetUser(input.UserName, ctx);
      await this.#requireUser(ctx.accountId, userName);
      return { AccessKeyMetadata: (await this.#store.listKeys(ctx.accountId, userName)).map(keyMetadata), IsTruncated: false };
    },

    UpdateAccessKey: async (input: iam.UpdateAccessKeyRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      const owner = await this.#keyOwner(input.UserName, ctx);
      if (!(await this.#store.setKeyStatus(ctx.accountId, owner, input.AccessKeyId, input.Status))) throw noSuchKey(input.AccessKeyId);
      this.#directory.forgetKey(input.AccessKeyId);
      return {};
    },

    DeleteAccessKey: async (input: iam.DeleteAccessKeyRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      const owner = await this.#keyOwner(input.UserName, ctx);
      if (!(await this.#store.deleteKey(ctx.accountId, owner, input.AccessKeyId))) throw noSuchKey(input.AccessKeyId);
      this.#directory.forgetKey(input.AccessKeyId);
      return {};
    },

    GetAccessKeyLastUsed: async (input: iam.GetAccessKeyLastUsedRequest, ctx: RequestContext): Promise<iam.GetAccessKeyLastUsedResult> => {
      const key = await this.#store.getKey(input.AccessKeyId);
      if (!key || key.account_id !== ctx.accountId) throw noSuchKey(input.AccessKeyId);
      return { UserName: key.user_name, AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' } };
    },

    PutUserPolicy: async (input: iam.PutUserPolicyRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      await this.#requireUser(ctx.accountId, input.UserName);
      parsePolicyDocument(input.PolicyDocument);
      if (!(await this.#store.putPolicy(ctx.accountId, input.UserName, input.PolicyName, input.PolicyDocument))) throw noSuchUser(input.UserName);
      this.#directory.forgetUser(userKey(ctx.accountId, input.UserName));
      return {};
    },

    GetUserPolicy: async (input: iam.GetUserPolicyRequest, ctx: RequestContext): Promise<iam.GetUserPolicyResult> => {
      await this.#requireUser(ctx.accountId, input.UserName);
      const document = await this.#store.getPolicy(ctx.accountId, input.UserName, input.PolicyName);
      if (document === undefined) throw new NoSuchEntityException(`The user policy with name ${input.PolicyName} cannot be found.`);
      return { UserName: input.UserName, PolicyName: input.PolicyName, PolicyDocument: encodeURIComponent(document) };
    },

    ListUserPolicies: async (input: iam.ListUserPoliciesRequest, ctx: RequestContext): Promise<iam.ListUserPoliciesResult> => {
      await this.#requireUser(ctx.accountId, input.UserName);
      return { PolicyNames: await this.#store.listPolicyNames(ctx.accountId, input.UserName), IsTruncated: false };
    },

    DeleteUserPolicy: async (input: iam.DeleteUserPolicyRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      await this.#requireUser(ctx.accountId, input.UserName);
      if (!(await this.#store.deletePolicy(ctx.accountId, input.UserName, input.PolicyName))) {
        throw new NoSuchEntityException(`The user policy with name ${input.PolicyName} cannot be found.`);
      }
      this.#directory.forgetUser(userKey(ctx.accountId, input.UserName));
      return {};
    },
  };

  /** The user whose key an operation changes: it must exist (the key's ownership is checked by the store's update). */
  async #keyOwner(userName: string | undefined, ctx: RequestContext): Promise<string> {
    const owner = this.#targetUser(userName, ctx);
    await this.#requireUser(ctx.accountId, owner);
    return owner;
  }

  async close(): Promise<void> {
    this.#directory.close();
    await this.#store.close();
  }
}

function encodeMarker(name: string): string {
  return Buffer.from(name, 'utf8').toString('base64url');
}

function decodeMarker(marker: string | undefined): string | undefined {
  return marker === undefined ? undefined : Buffer.from(marker, 'base64url').toString('utf8');
}

export async function createIamService(platform: PlatformContext): Promise<IamProvider> {
  return new IamProvider(await IamStore.open(platform.storage));
}
