// One-time clean-up of the IAM users that earlier releases made for each function (path
// `/atoll/lambda/`, one access key, an inline allow-all policy): functions now run with their
// execution role's sessions. Store migration 2 forgot the keys and left the flag
// `legacy-function-users = pending`; the first node to start with IAM served deletes the users
// through IAM's public operations and clears the flag. Without IAM the flag stays for a later start.
import type { CallContext, Logger, PlatformContext } from '@atoll/core';
import type { LambdaStore } from './lambda-store.js';

const FLAG = 'legacy-function-users';
const PATH = '/atoll/lambda/';

interface ListUsersOutput {
  Users?: { UserName: string; Path?: string }[];
  IsTruncated?: boolean;
  Marker?: string;
}

/** Deletes the legacy per-function users (keys and inline policies first). Returns how many went. */
export async function removeLegacyFunctionUsers(platform: PlatformContext, store: LambdaStore, logger: Logger): Promise<number> {
  if ((await store.getMeta(FLAG)) !== 'pending') return 0;
  const ctx: CallContext = { accountId: platform.config.accountId, region: platform.config.region };
  // Another node may be removing the same users: a user or key already gone is not an error.
  const call = <O>(op: string, input: unknown) =>
    platform.call<O>('iam', op, input, ctx).catch((error: unknown) => {
      if ((error as { code?: string }).code === 'NoSuchEntity') return {} as O;
      throw error;
    });
  let removed = 0;
  try {
    const names: string[] = [];
    let marker: string | undefined;
    do {
      const page = await call<ListUsersOutput>('ListUsers', { PathPrefix: PATH, ...(marker ? { Marker: marker } : {}) });
      for (const user of page.Users ?? []) if ((user.Path ?? '').startsWith(PATH)) names.push(user.UserName);
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    for (const UserName of names) {
      const keys = await call<{ AccessKeyMetadata?: { AccessKeyId: string }[] }>('ListAccessKeys', { UserName });
      for (const key of keys.AccessKeyMetadata ?? []) await call('DeleteAccessKey', { UserName, AccessKeyId: key.AccessKeyId });
      const policies = await call<{ PolicyNames?: string[] }>('ListUserPolicies', { UserName });
      for (const PolicyName of policies.PolicyNames ?? []) await call('DeleteUserPolicy', { UserName, PolicyName });
      await call('DeleteUser', { UserName });
      removed++;
    }
  } catch (error) {
    const code = (error as { code?: string }).code;
    // No IAM here (a platform serving a subset of the services): try again on a later start.
    if (code === 'UnknownService' || code === 'NotImplemented') return removed;
    logger.warn({ err: error }, 'lambda: removing the legacy per-function IAM users failed; retried on the next start');
    return removed;
  }
  await store.putMeta(FLAG, 'done');
  if (removed > 0) logger.info({ users: removed }, 'lambda: removed the legacy per-function IAM users');
  return removed;
}
