// IAM: users, access keys and inline user policies. It is also the identity directory the edge
// authenticates access keys against and reads identity policies from.
//
// Known limitations:
// - Groups, roles, managed policies, instance profiles, MFA, login profiles, SAML/OIDC providers and
//   credential reports are not implemented (their operations answer 501 NotImplemented).
// - Permission boundaries are stored nowhere and not evaluated; only inline user policies grant
//   permissions, and they are evaluated against the resource `*` unless a service names its resource.
// - Access key last-used information is not tracked (GetAccessKeyLastUsed reports N/A).
import {
  formatArn,
  newAccessKeyId,
  newSecretAccessKey,
  newUniqueId,
  serviceError,
  type CallerIdentity,
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
import { IamStore, type AccessKeyRow, type UserRow } from './iam-store.js';

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

export class IamProvider implements ServiceProvider {
  readonly service = 'iam';
  readonly #store: IamStore;
  readonly identityDirectory: IdentityDirectory;

  constructor(platform: PlatformContext) {
    this.#store = new IamStore(platform.config.dataDir);
    const store = this.#store;
    this.identityDirectory = {
      lookupAccessKey(accessKeyId) {
        const key = store.getKey(accessKeyId);
        if (!key || key.status !== 'Active') return undefined;
        const user = store.getUser(key.account_id, key.user_name);
        if (!user) return undefined;
        const identity: CallerIdentity = {
          type: 'IAMUser',
          accountId: user.account_id,
          arn: user.arn,
          principalId: user.user_id,
          userName: user.user_name,
          accessKeyId,
        };
        return { secretAccessKey: key.secret_access_key, identity };
      },
      policiesFor(identity) {
        if (identity.type !== 'IAMUser' || !identity.userName) return [];
        return store.listPolicies(identity.accountId, identity.userName);
      },
    };
  }

  /** The user an operation acts on: the named one, else the caller (root has no user). */
  #targetUser(name: string | undefined, ctx: RequestContext): string {
    if (name) return name;
    if (ctx.identity.type === 'IAMUser' && ctx.identity.userName) return ctx.identity.userName;
    throw validation('Must specify userName when calling with non-User credentials');
  }

  #requireUser(accountId: string, name: string): UserRow {
    const user = this.#store.getUser(accountId, name);
    if (!user) throw noSuchUser(name);
    return user;
  }

  readonly operations = {
    CreateUser: (input: iam.CreateUserRequest, ctx: RequestContext): iam.CreateUserResult => {
      if (!USER_NAME.test(input.UserName)) {
        throw validation(`1 validation error detected: Value '${input.UserName}' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`);
      }
      const path = input.Path ?? '/';
      if (!PATH.test(path)) throw validation(`The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.`);
      if (this.#store.getUser(ctx.accountId, input.UserName)) {
        throw new EntityAlreadyExistsException(`User with name ${input.UserName} already exists.`);
      }
      const row: UserRow = {
        account_id: ctx.accountId,
        user_name: input.UserName,
        user_id: newUniqueId('AIDA'),
        path,
        arn: formatArn({ service: 'iam', region: '', accountId: ctx.accountId, resource: `user${path}${input.UserName}` }),
        create_date: new Date().toISOString(),
        tags: JSON.stringify(input.Tags ?? []),
      };
      this.#store.insertUser(row);
      return { User: toUser(row) };
    },

    GetUser: (input: iam.GetUserRequest, ctx: RequestContext): iam.GetUserResult => {
      if (!input.UserName && ctx.identity.type === 'Root') {
        return { User: { Path: '/', UserName: undefined as unknown as string, UserId: ctx.accountId, Arn: ctx.identity.arn, CreateDate: new Date(0) } };
      }
      return { User: toUser(this.#requireUser(ctx.accountId, this.#targetUser(input.UserName, ctx))) };
    },

    ListUsers: (input: iam.ListUsersRequest, ctx: RequestContext): iam.ListUsersResult => {
      const max = input.MaxItems ?? 100;
      const rows = this.#store.listUsers(ctx.accountId, input.PathPrefix ?? '/', decodeMarker(input.Marker), max + 1);
      const page = rows.slice(0, max);
      const truncated = rows.length > max;
      return { Users: page.map(toUser), IsTruncated: truncated, ...(truncated ? { Marker: encodeMarker(page[page.length - 1]!.user_name) } : {}) };
    },

    DeleteUser: (input: iam.DeleteUserRequest, ctx: RequestContext): Record<string, never> => {
      this.#requireUser(ctx.accountId, input.UserName);
      if (this.#store.countKeys(ctx.accountId, input.UserName) > 0) {
        throw new DeleteConflictException('Cannot delete entity, must delete access keys first.');
      }
      if (this.#store.countPolicies(ctx.accountId, input.UserName) > 0) {
        throw new DeleteConflictException('Cannot delete entity, must delete policies first.');
      }
      this.#store.deleteUser(ctx.accountId, input.UserName);
      return {};
    },

    CreateAccessKey: (input: iam.CreateAccessKeyRequest, ctx: RequestContext): iam.CreateAccessKeyResult => {
      const userName = this.#targetUser(input.UserName, ctx);
      const user = this.#requireUser(ctx.accountId, userName);
      const row: AccessKeyRow = {
        access_key_id: newAccessKeyId('AKIA'),
        secret_access_key: newSecretAccessKey(),
        account_id: ctx.accountId,
        user_name: user.user_name,
        status: 'Active',
        create_date: new Date().toISOString(),
      };
      const created = this.#store.db.transaction(() => {
        if (this.#store.countKeys(ctx.accountId, user.user_name) >= MAX_KEYS_PER_USER) return false;
        this.#store.insertKey(row);
        return true;
      })();
      if (!created) throw new LimitExceededException(`Cannot exceed quota for AccessKeysPerUser: ${MAX_KEYS_PER_USER}`);
      return {
        AccessKey: {
          UserName: row.user_name,
          AccessKeyId: row.access_key_id,
          Status: 'Active',
          SecretAccessKey: row.secret_access_key,
          CreateDate: new Date(row.create_date),
        },
      };
    },

    ListAccessKeys: (input: iam.ListAccessKeysRequest, ctx: RequestContext): iam.ListAccessKeysResult => {
      const userName = this.#targetUser(input.UserName, ctx);
      this.#requireUser(ctx.accountId, userName);
      return { AccessKeyMetadata: this.#store.listKeys(ctx.accountId, userName).map(keyMetadata), IsTruncated: false };
    },

    UpdateAccessKey: (input: iam.UpdateAccessKeyRequest, ctx: RequestContext): Record<string, never> => {
      const key = this.#ownKey(input.AccessKeyId, input.UserName, ctx);
      this.#store.setKeyStatus(key.access_key_id, input.Status);
      return {};
    },

    DeleteAccessKey: (input: iam.DeleteAccessKeyRequest, ctx: RequestContext): Record<string, never> => {
      const key = this.#ownKey(input.AccessKeyId, input.UserName, ctx);
      this.#store.deleteKey(key.access_key_id);
      return {};
    },

    GetAccessKeyLastUsed: (input: iam.GetAccessKeyLastUsedRequest, ctx: RequestContext): iam.GetAccessKeyLastUsedResult => {
      const key = this.#store.getKey(input.AccessKeyId);
      if (!key || key.account_id !== ctx.accountId) throw new NoSuchEntityException(`The Access Key with id ${input.AccessKeyId} cannot be found.`);
      return { UserName: key.user_name, AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' } };
    },

    PutUserPolicy: (input: iam.PutUserPolicyRequest, ctx: RequestContext): Record<string, never> => {
      this.#requireUser(ctx.accountId, input.UserName);
      parsePolicyDocument(input.PolicyDocument);
      this.#store.putPolicy(ctx.accountId, input.UserName, input.PolicyName, input.PolicyDocument);
      return {};
    },

    GetUserPolicy: (input: iam.GetUserPolicyRequest, ctx: RequestContext): iam.GetUserPolicyResult => {
      this.#requireUser(ctx.accountId, input.UserName);
      const document = this.#store.getPolicy(ctx.accountId, input.UserName, input.PolicyName);
      if (document === undefined) throw new NoSuchEntityException(`The user policy with name ${input.PolicyName} cannot be found.`);
      return { UserName: input.UserName, PolicyName: input.PolicyName, PolicyDocument: encodeURIComponent(document) };
    },

    ListUserPolicies: (input: iam.ListUserPoliciesRequest, ctx: RequestContext): iam.ListUserPoliciesResult => {
      this.#requireUser(ctx.accountId, input.UserName);
      return { PolicyNames: this.#store.listPolicyNames(ctx.accountId, input.UserName), IsTruncated: false };
    },

    DeleteUserPolicy: (input: iam.DeleteUserPolicyRequest, ctx: RequestContext): Record<string, never> => {
      this.#requireUser(ctx.accountId, input.UserName);
      if (this.#store.deletePolicy(ctx.accountId, input.UserName, input.PolicyName) === 0) {
        throw new NoSuchEntityException(`The user policy with name ${input.PolicyName} cannot be found.`);
      }
      return {};
    },
  };

  #ownKey(accessKeyId: string, userName: string | undefined, ctx: RequestContext): AccessKeyRow {
    const owner = this.#targetUser(userName, ctx);
    this.#requireUser(ctx.accountId, owner);
    const key = this.#store.getKey(accessKeyId);
    if (!key || key.account_id !== ctx.accountId || key.user_name.toLowerCase() !== owner.toLowerCase()) {
      throw new NoSuchEntityException(`The Access Key with id ${accessKeyId} cannot be found.`);
    }
    return key;
  }

  close(): void {
    this.#store.close();
  }
}

function encodeMarker(name: string): string {
  return Buffer.from(name, 'utf8').toString('base64url');
}

function decodeMarker(marker: string | undefined): string | undefined {
  return marker === undefined ? undefined : Buffer.from(marker, 'base64url').toString('utf8');
}

export function createIamService(platform: PlatformContext): IamProvider {
  return new IamProvider(platform);
}
