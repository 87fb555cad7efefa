// The signals IAM's stores send when what the edge authorizes with changes, the cache keys they carry,
// and small helpers the store modules share. The directory (iam-directory.ts) listens to them.
import type { SqlExecutor } from '@atoll/core';

/** A key changed (status, deleted): payload is the access key id. */
export const KEY_SIGNAL = 'iam.key';
/** A user's policies, groups, boundary or tags, or the user, changed: payload is `userKey(accountId, userName)`. */
export const USER_SIGNAL = 'iam.user';
/** A role's policies, boundary or tags, or the role, changed: payload is `entityKey(accountId, roleName)`. */
export const ROLE_SIGNAL = 'iam.role';
/** A group's policies changed or the group was deleted: payload is `entityKey(accountId, groupName)`. */
export const GROUP_SIGNAL = 'iam.group';
/** A customer managed policy's default version changed or it was deleted: payload is its ARN. */
export const POLICY_SIGNAL = 'iam.policy';

/** The cache key (and signal payload) of a user: names compare case-insensitively (ASCII: IAM names are ASCII). */
export const userKey = (accountId: string, userName: string): string => `${accountId}/${userName.toLowerCase()}`;
/** The cache key (and signal payload) of a role or a group: `<account>/<lower-case name>`. */
export const entityKey = userKey;
/** How migration-2 tables key a name: its lower-case form. */
export const nameKey = (name: string): string => name.toLowerCase();

/** A count(*) AS n query's answer. */
export async function count(ex: SqlExecutor, sql: string, params: readonly (string | null)[]): Promise<number> {
  return Number((await ex.get<{ n: number | string }>(sql, params))!.n);
}

/** The LIKE of path prefixes: case-insensitive for ASCII on both engines, as SQLite's LIKE is. */
export const likeOperator = (dialect: 'sqlite' | 'postgres'): string => (dialect === 'sqlite' ? 'LIKE' : 'ILIKE');

/** A path prefix as a LIKE pattern (with `ESCAPE '\'`): its own wildcards are literal. */
export const likePrefix = (prefix: string): string => `${prefix.replace(/[\\%_]/g, '\\$&')}%`;
