// Instance profiles and the role each one holds (recorded only: Atoll runs no EC2 instances), keyed
// by (account, lower-case name).
import type { StoreDatabase } from '@atoll/core';
import { count, likeOperator, likePrefix, nameKey } from './iam-signals.js';

export interface InstanceProfileRow {
  account_id: string;
  profile_key: string;
  profile_name: string;
  profile_id: string;
  path: string;
  arn: string;
  create_date: string;
  tags: string;
}

export type ProfileRoleOutcome = 'done' | 'no-profile' | 'no-role' | 'limit' | 'exists' | 'not-in-profile';

export class InstanceProfileStore {
  readonly #db: StoreDatabase;

  constructor(db: StoreDatabase) {
    this.#db = db;
  }

  async insert(row: InstanceProfileRow): Promise<boolean> {
    const { changes } = await this.#db.run(
      `INSERT INTO instance_profiles (account_id, profile_key, profile_name, profile_id, path, arn, create_date, tags)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [row.account_id, row.profile_key, row.profile_name, row.profile_id, row.path, row.arn, row.create_date, row.tags],
    );
    return changes === 1;
  }

  get(accountId: string, name: string): Promise<InstanceProfileRow | undefined> {
    return this.#db.get<InstanceProfileRow>('SELECT * FROM instance_profiles WHERE account_id = ? AND profile_key = ?', [accountId, nameKey(name)]);
  }

  list(accountId: string, pathPrefix: string, after: string | undefined, limit: number): Promise<InstanceProfileRow[]> {
    return this.#db.all<InstanceProfileRow>(
      `SELECT * FROM instance_profiles WHERE account_id = ? AND path ${likeOperator(this.#db.dialect.name)} ? ESCAPE '\\'
         AND (CAST(? AS TEXT) IS NULL OR profile_key > ?) ORDER BY profile_key LIMIT ?`,
      [accountId, likePrefix(pathPrefix), after ?? null, after === undefined ? null : nameKey(after), limit],
    );
  }

  /** The names of the roles in a profile (lower-case keys). */
  async roleKeys(accountId: string, name: string): Promise<string[]> {
    const rows = await this.#db.all<{ role_key: string }>(
      'SELECT role_key FROM instance_profile_roles WHERE account_id = ? AND profile_key = ? ORDER BY role_key',
      [accountId, nameKey(name)],
    );
    return rows.map((r) => r.role_key);
  }

  /** The profiles that hold a role. */
  forRole(accountId: string, roleName: string): Promise<InstanceProfileRow[]> {
    return this.#db.all<InstanceProfileRow>(
      `SELECT p.* FROM instance_profile_roles r JOIN instance_profiles p ON p.account_id = r.account_id AND p.profile_key = r.profile_key
         WHERE r.account_id = ? AND r.role_key = ? ORDER BY p.profile_key`,
      [accountId, nameKey(roleName)],
    );
  }

  /** Puts a role in a profile that holds fewer than `max` roles. */
  addRole(accountId: string, name: string, roleName: string, max: number): Promise<ProfileRoleOutcome> {
    const profile = nameKey(name);
    const role = nameKey(roleName);
    return this.#db.transaction(async (tx) => {
      if (!(await tx.get('SELECT 1 AS one FROM instance_profiles WHERE account_id = ? AND profile_key = ?', [accountId, profile]))) return 'no-profile';
      if (!(await tx.get('SELECT 1 AS one FROM roles WHERE account_id = ? AND role_key = ?', [accountId, role]))) return 'no-role';
      if (await tx.get('SELECT 1 AS one FROM instance_profile_roles WHERE account_id = ? AND profile_key = ? AND role_key = ?', [accountId, profile, role])) {
        return 'exists';
      }
      if ((await count(tx, 'SELECT count(*) AS n FROM instance_profile_roles WHERE account_id = ? AND profile_key = ?', [accountId, profile])) >= max) return 'limit';
      await tx.run('INSERT INTO instance_profile_roles (account_id, profile_key, role_key) VALUES (?, ?, ?)', [accountId, profile, role]);
      return 'done';
    });
  }

  removeRole(accountId: string, name: string, roleName: string): Promise<ProfileRoleOutcome> {
    const profile = nameKey(name);
    const role = nameKey(roleName);
    return this.#db.transaction(async (tx) => {
      if (!(await tx.get('SELECT 1 AS one FROM instance_profiles WHERE account_id = ? AND profile_key = ?', [accountId, profile]))) return 'no-profile';
      if (!(await tx.get('SELECT 1 AS one FROM roles WHERE account_id = ? AND role_key = ?', [accountId, role]))) return 'no-role';
      const { changes } = await tx.run('DELETE FROM instance_profile_roles WHERE account_id = ? AND profile_key = ? AND role_key = ?', [accountId, profile, role]);
      return changes > 0 ? 'done' : 'not-in-profile';
    });
  }

  /** Deletes a profile that holds no role. */
  delete(accountId: string, name: string): Promise<'deleted' | 'missing' | 'has-roles'> {
    const key = [accountId, nameKey(name)];
    return this.#db.transaction(async (tx) => {
      if (!(await tx.get('SELECT 1 AS one FROM instance_profiles WHERE account_id = ? AND profile_key = ?', key))) return 'missing';
      if ((await count(tx, 'SELECT count(*) AS n FROM instance_profile_roles WHERE account_id = ? AND profile_key = ?', key)) > 0) return 'has-roles';
      await tx.run('DELETE FROM instance_profiles WHERE account_id = ? AND profile_key = ?', key);
      return 'deleted';
    });
  }

  async setTags(accountId: string, name: string, tags: string): Promise<boolean> {
    const { changes } = await this.#db.run('UPDATE instance_profiles SET tags = ? WHERE account_id = ? AND profile_key = ?', [tags, accountId, nameKey(name)]);
    return changes === 1;
  }
}
