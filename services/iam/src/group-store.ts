// IAM groups and their members, keyed by (account, lower-case name). A group's inline policies and
// attachments are in entity-policy-store.ts. Membership changes signal the user (`iam.user`: its
// permissions now include or lose the group's); deleting a group signals `iam.group`.
import type { StoreDatabase } from '@atoll/core';
import { entityNameSql } from './entity-policy-store.js';
import { count, GROUP_SIGNAL, likeOperator, likePrefix, nameKey, USER_SIGNAL } from './iam-signals.js';

export interface GroupRow {
  account_id: string;
  group_key: string;
  group_name: string;
  group_id: string;
  path: string;
  arn: string;
  create_date: string;
}

/** A member as ListUsers shows it (a `users` row). */
export interface MemberRow {
  user_name: string;
  user_id: string;
  path: string;
  arn: string;
  create_date: string;
  tags: string;
}

export type DeleteGroupOutcome = 'deleted' | 'missing' | 'has-users' | 'has-policies' | 'has-attached';
export type MembershipOutcome = 'done' | 'no-group' | 'no-user' | 'limit';

export class GroupStore {
  readonly #db: StoreDatabase;

  constructor(db: StoreDatabase) {
    this.#db = db;
  }

  /** Inserts a group; false when one of that name (in any case) exists. */
  async insert(row: GroupRow): Promise<boolean> {
    const { changes } = await this.#db.run(
      `INSERT INTO groups (account_id, group_key, group_name, group_id, path, arn, create_date) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [row.account_id, row.group_key, row.group_name, row.group_id, row.path, row.arn, row.create_date],
    );
    return changes === 1;
  }

  get(accountId: string, groupName: string): Promise<GroupRow | undefined> {
    return this.#db.get<GroupRow>('SELECT * FROM groups WHERE account_id = ? AND group_key = ?', [accountId, nameKey(groupName)]);
  }

  /** Groups under a path prefix, by name, after the name `after`. */
  list(accountId: string, pathPrefix: string, after: string | undefined, limit: number): Promise<GroupRow[]> {
    return this.#db.all<GroupRow>(
      `SELECT * FROM groups WHERE account_id = ? AND path ${likeOperator(this.#db.dialect.name)} ? ESCAPE '\\'
         AND (CAST(? AS TEXT) IS NULL OR group_key > ?) ORDER BY group_key LIMIT ?`,
      [accountId, likePrefix(pathPrefix), after ?? null, after === undefined ? null : nameKey(after), limit],
    );
  }

  /** The group's members, by name. */
  members(accountId: string, groupName: string): Promise<MemberRow[]> {
    return this.#db.all<MemberRow>(
      `SELECT u.* FROM group_members m JOIN users u ON u.account_id = m.account_id AND lower(u.user_name) = m.user_key
         WHERE m.account_id = ? AND m.group_key = ? ORDER BY m.user_key`,
      [accountId, nameKey(groupName)],
    );
  }

  /** The groups a user is in, by name. */
  groupsOf(accountId: string, userName: string): Promise<GroupRow[]> {
    return this.#db.all<GroupRow>(
      `SELECT g.* FROM group_members m JOIN groups g ON g.account_id = m.account_id AND g.group_key = m.group_key
         WHERE m.account_id = ? AND m.user_key = ? ORDER BY g.group_key`,
      [accountId, nameKey(userName)],
    );
  }

  /** Adds a user to a group (idempotent) unless the user is in `max` groups already. */
  addMember(accountId: string, groupName: string, userName: string, max: number): Promise<MembershipOutcome> {
    const group = nameKey(groupName);
    const user = nameKey(userName);
    return this.#db.transaction(async (tx) => {
      if (!(await tx.get('SELECT 1 AS one FROM groups WHERE account_id = ? AND group_key = ?', [accountId, group]))) return 'no-group';
      if (!(await tx.get(entityNameSql('user', this.#db.dialect.name), [accountId, user]))) return 'no-user';
      if (await tx.get('SELECT 1 AS one FROM group_members WHERE account_id = ? AND group_key = ? AND user_key = ?', [accountId, group, user])) return 'done';
      if ((await count(tx, 'SELECT count(*) AS n FROM group_members WHERE account_id = ? AND user_key = ?', [accountId, user])) >= max) return 'limit';
      await tx.run('INSERT INTO group_members (account_id, group_key, user_key) VALUES (?, ?, ?)', [accountId, group, user]);
      tx.notify(USER_SIGNAL, `${accountId}/${user}`);
      return 'done';
    });
  }

  /** Removes a user from a group; `no-user` also when the user is not a member. */
  removeMember(accountId: string, groupName: string, userName: string): Promise<MembershipOutcome> {
    const group = nameKey(groupName);
    const user = nameKey(userName);
    return this.#db.transaction(async (tx) => {
      if (!(await tx.get('SELECT 1 AS one FROM groups WHERE account_id = ? AND group_key = ?', [accountId, group]))) return 'no-group';
      const { changes } = await tx.run('DELETE FROM group_members WHERE account_id = ? AND group_key = ? AND user_key = ?', [accountId, group, user]);
      if (changes === 0) return 'no-user';
      tx.notify(USER_SIGNAL, `${accountId}/${user}`);
      return 'done';
    });
  }

  /** Deletes a group with no members and no inline or attached policies, in one transaction. */
  delete(accountId: string, groupName: string): Promise<DeleteGroupOutcome> {
    const key = [accountId, nameKey(groupName)];
    return this.#db.transaction(async (tx) => {
      if (!(await tx.get('SELECT 1 AS one FROM groups WHERE account_id = ? AND group_key = ?', key))) return 'missing';
      if ((await count(tx, 'SELECT count(*) AS n FROM group_members WHERE account_id = ? AND group_key = ?', key)) > 0) return 'has-users';
      if ((await count(tx, `SELECT count(*) AS n FROM inline_policies WHERE account_id = ? AND entity_type = 'group' AND entity_key = ?`, key)) > 0) return 'has-policies';
      if ((await count(tx, `SELECT count(*) AS n FROM attachments WHERE account_id = ? AND entity_type = 'group' AND entity_key = ?`, key)) > 0) return 'has-attached';
      await tx.run('DELETE FROM groups WHERE account_id = ? AND group_key = ?', key);
      tx.notify(GROUP_SIGNAL, `${accountId}/${nameKey(groupName)}`);
      return 'deleted';
    });
  }
}
