// IAM roles: their trust policy, description, session duration, permissions boundary, tags and last
// use, keyed by (account, lower-case name). A role's inline policies and attachments are in
// entity-policy-store.ts, its instance profiles in instance-profile-store.ts; deleting a role checks
// all of them in one transaction. Changes that the edge authorizes with (boundary, tags, the role
// itself) signal `iam.role`.
import type { StoreDatabase } from '@atoll/core';
import { count, likeOperator, likePrefix, nameKey, ROLE_SIGNAL } from './iam-signals.js';

export interface RoleRow {
  account_id: string;
  role_key: string;
  role_name: string;
  role_id: string;
  path: string;
  arn: string;
  create_date: string;
  trust_policy: string;
  description: string | null;
  max_session_duration: number;
  boundary_arn: string | null;
  tags: string;
  last_used_date: string | null;
  last_used_region: string | null;
}

export type DeleteRoleOutcome = 'deleted' | 'missing' | 'has-policies' | 'has-attached' | 'has-profiles';

const COLUMNS = [
  'account_id', 'role_key', 'role_name', 'role_id', 'path', 'arn', 'create_date', 'trust_policy', 'description',
  'max_session_duration', 'boundary_arn', 'tags', 'last_used_date', 'last_used_region',
] as const;

export class RoleStore {
  readonly #db: StoreDatabase;

  constructor(db: StoreDatabase) {
    this.#db = db;
  }

  /** Inserts a role; false when one of that name (in any case) exists. */
  async insert(row: RoleRow): Promise<boolean> {
    const { changes } = await this.#db.run(
      `INSERT INTO roles (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')}) ON CONFLICT DO NOTHING`,
      COLUMNS.map((c) => row[c]),
    );
    return changes === 1;
  }

  get(accountId: string, roleName: string): Promise<RoleRow | undefined> {
    return this.#db.get<RoleRow>('SELECT * FROM roles WHERE account_id = ? AND role_key = ?', [accountId, nameKey(roleName)]);
  }

  /** Roles under a path prefix, by name, after the name `after`. */
  list(accountId: string, pathPrefix: string, after: string | undefined, limit: number): Promise<RoleRow[]> {
    return this.#db.all<RoleRow>(
      `SELECT * FROM roles WHERE account_id = ? AND path ${likeOperator(this.#db.dialect.name)} ? ESCAPE '\\'
         AND (CAST(? AS TEXT) IS NULL OR role_key > ?) ORDER BY role_key LIMIT ?`,
      [accountId, likePrefix(pathPrefix), after ?? null, after === undefined ? null : nameKey(after), limit],
    );
  }

  /** Changes a role's description and/or maximum session duration; false when it does not exist. */
  async update(accountId: string, roleName: string, change: { description?: string; maxSessionDuration?: number }): Promise<boolean> {
    const { changes } = await this.#db.run(
      `UPDATE roles SET description = CASE WHEN CAST(? AS TEXT) IS NULL THEN description ELSE ? END,
         max_session_duration = COALESCE(CAST(? AS INTEGER), max_session_duration) WHERE account_id = ? AND role_key = ?`,
      [change.description ?? null, change.description ?? null, change.maxSessionDuration ?? null, accountId, nameKey(roleName)],
    );
    return changes === 1;
  }

  async setTrustPolicy(accountId: string, roleName: string, document: string): Promise<boolean> {
    const { changes } = await this.#db.run('UPDATE roles SET trust_policy = ? WHERE account_id = ? AND role_key = ?', [document, accountId, nameKey(roleName)]);
    return changes === 1;
  }

  /** Sets (null: removes) the permissions boundary; false when the role does not exist. */
  setBoundary(accountId: string, roleName: string, boundaryArn: string | null): Promise<boolean> {
    return this.#change('UPDATE roles SET boundary_arn = ? WHERE account_id = ? AND role_key = ?', [boundaryArn, accountId, nameKey(roleName)], accountId, roleName);
  }

  /** Replaces the tags (JSON text); false when the role does not exist. */
  setTags(accountId: string, roleName: string, tags: string): Promise<boolean> {
    return this.#change('UPDATE roles SET tags = ? WHERE account_id = ? AND role_key = ?', [tags, accountId, nameKey(roleName)], accountId, roleName);
  }

  /**
   * Records a use of the role (an AssumeRole): RoleLastUsed. With `unlessSince` (an ISO date), only
   * when the recorded use is older than that, so that nodes reporting the same busy role write once
   * per interval; true when it wrote.
   */
  async recordUse(accountId: string, roleName: string, date: string, region: string, unlessSince?: string): Promise<boolean> {
    const { changes } = await this.#db.run(
      `UPDATE roles SET last_used_date = ?, last_used_region = ? WHERE account_id = ? AND role_key = ?
         AND (CAST(? AS TEXT) IS NULL OR last_used_date IS NULL OR last_used_date < ?)`,
      [date, region, accountId, nameKey(roleName), unlessSince ?? null, unlessSince ?? null],
    );
    return changes > 0;
  }

  #change(sql: string, params: (string | null)[], accountId: string, roleName: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const { changes } = await tx.run(sql, params);
      if (changes > 0) tx.notify(ROLE_SIGNAL, `${accountId}/${nameKey(roleName)}`);
      return changes > 0;
    });
  }

  /**
   * Deletes a role with no inline or attached policies and in no instance profile, in one
   * transaction. `force` (service-linked roles) removes its policies and attachments with it.
   */
  delete(accountId: string, roleName: string, force = false): Promise<DeleteRoleOutcome> {
    const key = [accountId, nameKey(roleName)];
    return this.#db.transaction(async (tx) => {
      if (!(await tx.get('SELECT 1 AS one FROM roles WHERE account_id = ? AND role_key = ?', key))) return 'missing';
      if ((await count(tx, 'SELECT count(*) AS n FROM instance_profile_roles WHERE account_id = ? AND role_key = ?', key)) > 0) return 'has-profiles';
      if (force) {
        await tx.run(`DELETE FROM inline_policies WHERE account_id = ? AND entity_type = 'role' AND entity_key = ?`, key);
        await tx.run(`DELETE FROM attachments WHERE account_id = ? AND entity_type = 'role' AND entity_key = ?`, key);
      }
      if ((await count(tx, `SELECT count(*) AS n FROM inline_policies WHERE account_id = ? AND entity_type = 'role' AND entity_key = ?`, key)) > 0) return 'has-policies';
      if ((await count(tx, `SELECT count(*) AS n FROM attachments WHERE account_id = ? AND entity_type = 'role' AND entity_key = ?`, key)) > 0) return 'has-attached';
      await tx.run('DELETE FROM roles WHERE account_id = ? AND role_key = ?', key);
      tx.notify(ROLE_SIGNAL, `${accountId}/${nameKey(roleName)}`);
      return 'deleted';
    });
  }
}
