// IAM: users and access keys, roles (and service-linked roles), groups, customer and AWS managed
// policies with versions and attachments, inline policies, permissions boundaries, instance profiles
// and OpenID Connect providers. It is also the identity directory the edge authenticates long-term
// access keys against and reads each principal's permissions from (iam-directory.ts).
//
// Known limitations:
// - MFA devices, login profiles, SAML providers, server certificates, SSH keys, credential reports,
//   account aliases and password policies are not implemented (501 NotImplemented).
// - IAM operations are authorized on the entity's ARN with its path (iam-authorization.ts); list
//   operations on `*`, and IAM's own condition keys (iam:PolicyARN, iam:PassedToService …) are not filled.
// - Inline policy size limits apply per document (AWS counts all of a user's, role's or group's
//   inline policies together).
// - Instance profiles are recorded only. Service-linked roles are deleted at once (the deletion task
//   reports SUCCEEDED; any well-formed task id of a role that no longer exists does).
// - RoleLastUsed is recorded when STS issues a session for the role (event `iam.RoleUsed`,
//   role-use-recorder.ts), at most once a minute per role; access key last-used information is not
//   tracked (GetAccessKeyLastUsed reports N/A).
// - Tag keys compare case-insensitively; tag values and keys are not pattern-checked.
// - Federated users (GetFederationToken) get no permissions from the directory.
// - Each node caches active keys, principals' permissions and managed policy documents for the edge; a
//   change made on another node reaches this node's cache through a database signal (milliseconds),
//   and while this node's signal connection is down the cache is cleared once it is back, not before.
// - List operations' PathPrefix matches ASCII letters case-insensitively (SQLite's LIKE; ILIKE on PostgreSQL).
// - Operations added to IAM's model since 2023 (botocore 1.43) are not implemented (501): delegation
//   requests (Create/Get/List/Accept/Reject/Associate/UpdateDelegationRequest, SendDelegationToken),
//   the Organizations root credentials and sessions features, outbound web identity federation and
//   GetHumanReadableSummary.
import type { CallerIdentity, EventBus, IamRequest, IdentityDirectory, Logger, OperationHandler, PlatformContext, ServiceProvider } from '@atoll/core';
import { entityPolicyOperations, type IamDeps } from './entity-policy-operations.js';
import { groupOperations } from './group-operations.js';
import { IamAuthorization } from './iam-authorization.js';
import { IamDirectory } from './iam-directory.js';
import { IamStore } from './iam-store.js';
import { instanceProfileOperations } from './instance-profile-operations.js';
import { managedPolicyOperations } from './managed-policy-operations.js';
import { oidcProviderOperations } from './oidc-provider-operations.js';
import { roleOperations } from './role-operations.js';
import { recordRoleUses } from './role-use-recorder.js';
import { simulateOperations } from './simulate-operations.js';
import { userOperations } from './user-operations.js';

export class IamProvider implements ServiceProvider {
  readonly service = 'iam';
  readonly #store: IamStore;
  readonly #directory: IamDirectory;
  readonly #authorization: IamAuthorization;
  readonly #stopRecording: () => void;
  readonly identityDirectory: IdentityDirectory;
  readonly operations: Record<string, OperationHandler>;

  constructor(store: IamStore, platform?: { bus: EventBus; logger?: Logger }) {
    this.#store = store;
    this.#directory = new IamDirectory(store, store.db.signals);
    this.identityDirectory = this.#directory;
    this.#authorization = new IamAuthorization(store, store.db.signals);
    this.#stopRecording = platform ? recordRoleUses(platform.bus, store.roles, platform.logger) : () => {};
    const deps: IamDeps = { store, directory: this.#directory };
    const operations: Record<string, OperationHandler> = {
      ...userOperations(deps),
      ...roleOperations(deps),
      ...groupOperations(deps),
      ...managedPolicyOperations(deps),
      ...entityPolicyOperations(deps),
      ...instanceProfileOperations(deps),
      ...oidcProviderOperations(deps),
      // The simulator reads principals' policies through the operations above.
      ...simulateOperations({
        invoke: async (operation, input, ctx): Promise<unknown> => operations[operation]!(input, ctx),
      }),
    };
    this.operations = operations;
  }

  authorization(
    operation: string,
    input: Record<string, unknown>,
    scope: { accountId: string; region: string; identity?: CallerIdentity },
  ): IamRequest | undefined | Promise<IamRequest | undefined> {
    return this.#authorization.authorize(operation, input, scope);
  }

  async close(): Promise<void> {
    this.#stopRecording();
    this.#authorization.close();
    this.#directory.close();
    await this.#store.close();
  }
}

export async function createIamService(platform: PlatformContext): Promise<IamProvider> {
  return new IamProvider(await IamStore.open(platform.storage), platform);
}
