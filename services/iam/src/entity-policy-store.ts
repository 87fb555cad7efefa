// Inline policies and managed-policy attachments of IAM's three kinds of entity (users, roles,
// groups), in two tables keyed by (account, entity type, lower-case entity name). Each change checks
// that the entity exists in the same transaction and signals the entity (`iam.user`, `iam.role`,
// `iam.group`) so that the directories on every node drop what they cached for it.
import type { SqlExecutor, SqlTransaction, StoreDatabase } from '@atoll/core';
import { count, GROUP_SIGNAL, nameKey, ROLE_SIGNAL, USER_SIGNAL } from './iam-signals.js';

export type EntityType = 'user' | 'role' | 'group';

const SIGNALS: Record<EntityType, string> = { user: USER_SIGNAL, role: ROLE_SIGNAL, group: GROUP_SIGNAL };

/** An entity's name as created, or undefined when it does not exist (the lookup every change starts with). */
export function entityNameSql(type: EntityType, dialect: 'sqlite' | 'postgres'): string {
  if (type === 'user') {
    return dialect === 'sqlite'
      ? 'SELECT user_name AS name FROM users WHERE account_id = ? AND user_name = ?'
      : 'SELECT user_name AS name FROM users WHERE account_id = ? AND lower(user_name) = ?';
  }
  return type === 'role'
    ? 'SELECT role_name AS name FROM roles WHERE account_id = ? AND role_key = ?'
    : 'SELECT group_name AS name FROM groups WHERE account_id = ? AND group_key = ?';
}

export type AttachOutcome = 'attached' | 'missing' | 'no-policy' | 'limit';

export class EntityPolicyStore {
  readonly #db: StoreDatabase;

  constructor(db: StoreDatabase) {
    this.#db = db;
  }

  async #entity(ex: SqlExecutor, type: EntityType, accountId: string, name: string): Promise<string | undefined> {
    return (await ex.get<{ name: string }>(entityNameSql(type, this.#db.dialect.name), [accountId, nameKey(name)]))?.name;
  }

  #signal(tx: SqlTransaction, type: EntityType, accountId: string, name: string): void {
    tx.notify(SIGNALS[type], `${accountId}/${nameKey(name)}`);
  }

  /** Whether the entity exists (for the NoSuchEntity of reads). */
  async exists(type: EntityType, accountId: string, name: string): Promise<boolean> {
    return (await this.#entity(this.#db, type, accountId, name)) !== undefined;
  }

  /** Creates or replaces an inline policy; false when the entity does not exist. */
  putInline(type: EntityType, accountId: string, name: string, policyName: string, document: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      if ((await this.#entity(tx, type, accountId, name)) === undefined) return false;
      await tx.run(
        `INSERT INTO inline_policies (account_id, entity_type, entity_key, policy_name, document) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (account_id, entity_type, entity_key, policy_name) DO UPDATE SET document = excluded.document`,
        [accountId, type, nameKey(name), policyName, document],
      );
      this.#signal(tx, type, accountId, name);
      return true;
    });
  }

  async getInline(type: EntityType, accountId: string, name: string, policyName: string): Promise<string | undefined> {
    const row = await this.#db.get<{ document: string }>(
      'SELECT document FROM inline_policies WHERE account_id = ? AND entity_type = ? AND entity_key = ? AND policy_name = ?',
      [accountId, type, nameKey(name), policyName],
    );
    return row?.document;
  }

  async listInlineNames(type: EntityType, accountId: string, name: string): Promise<string[]> {
    const rows = await this.#db.all<{ policy_name: string }>(
      'SELECT policy_name FROM inline_policies WHERE account_id = ? AND entity_type = ? AND entity_key = ? ORDER BY policy_name',
      [accountId, type, nameKey(name)],
    );
    return rows.map((r) => r.policy_name);
  }

  async listInlineDocuments(type: EntityType, accountId: string, name: string): Promise<string[]> {
    const rows = await this.#db.all<{ document: string }>(
      'SELECT document FROM inline_policies WHERE account_id = ? AND entity_type = ? AND entity_key = ? ORDER BY policy_name',
      [accountId, type, nameKey(name)],
    );
    return rows.map((r) => r.document);
  }

  /** Deletes an inline policy; false when the entity has none of that name. */
  deleteInline(type: EntityType, accountId: string, name: string, policyName: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const { changes } = await tx.run(
        'DELETE FROM inline_policies WHERE account_id = ? AND entity_type = ? AND entity_key = ? AND policy_name = ?',
        [accountId, type, nameKey(name), policyName],
      );
      if (changes > 0) this.#signal(tx, type, accountId, name);
      return changes > 0;
    });
  }

  /**
   * Attaches a managed policy (idempotent) unless the entity has `max` attached already. A customer
   * policy (`local`) must exist in the same transaction; an AWS managed one the caller has checked.
   */
  attach(type: EntityType, accountId: string, name: string, policyArn: string, local: boolean, max: number): Promise<AttachOutcome> {
    return this.#db.transaction(async (tx) => {
      if ((await this.#entity(tx, type, accountId, name)) === undefined) return 'missing';
      if (local && !(await tx.get('SELECT 1 AS one FROM managed_policies WHERE account_id = ? AND arn = ?', [accountId, policyArn]))) return 'no-policy';
      const key = [accountId, type, nameKey(name)];
      if (await tx.get('SELECT 1 AS one FROM attachments WHERE account_id = ? AND entity_type = ? AND entity_key = ? AND policy_arn = ?', [...key, policyArn])) {
        return 'attached';
      }
      if ((await count(tx, 'SELECT count(*) AS n FROM attachments WHERE account_id = ? AND entity_type = ? AND entity_key = ?', key)) >= max) return 'limit';
      await tx.run('INSERT INTO attachments (account_id, entity_type, entity_key, policy_arn) VALUES (?, ?, ?, ?)', [...key, policyArn]);
      this.#signal(tx, type, accountId, name);
      return 'attached';
    });
  }

  /** Detaches a managed policy; false when it was not attached. */
  detach(type: EntityType, accountId: string, name: string, policyArn: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const { changes } = await tx.run(
        'DELETE FROM attachments WHERE account_id = ? AND entity_type = ? AND entity_key = ? AND policy_arn = ?',
        [accountId, type, nameKey(name), policyArn],
      );
      if (changes > 0) this.#signal(tx, type, accountId, name);
      return changes > 0;
    });
  }

  /** The ARNs of the managed policies attached to an entity, in ARN order. */
  async listAttached(type: EntityType, accountId: string, name: string): Promise<string[]> {
    const rows = await this.#db.all<{ policy_arn: string }>(
      'SELECT policy_arn FROM attachments WHERE account_id = ? AND entity_type = ? AND entity_key = ? ORDER BY policy_arn',
      [accountId, type, nameKey(name)],
    );
    return rows.map((r) => r.policy_arn);
  }

  /** The users, roles and groups a policy is attached to (ListEntitiesForPolicy), with their stored names, ids and paths. */
  async entitiesForPolicy(accountId: string, policyArn: string): Promise<{ type: EntityType; name: string; id: string; path: string }[]> {
    return this.#db.all(
      `SELECT 'user' AS type, u.user_name AS name, u.user_id AS id, u.path AS path FROM attachments a
         JOIN users u ON u.account_id = a.account_id AND lower(u.user_name) = a.entity_key
         WHERE a.account_id = ? AND a.policy_arn = ? AND a.entity_type = 'user'
       UNION ALL
       SELECT 'role', r.role_name, r.role_id, r.path FROM attachments a
         JOIN roles r ON r.account_id = a.account_id AND r.role_key = a.entity_key
         WHERE a.account_id = ? AND a.policy_arn = ? AND a.entity_type = 'role'
       UNION ALL
       SELECT 'group', g.group_name, g.group_id, g.path FROM attachments a
         JOIN groups g ON g.account_id = a.account_id AND g.group_key = a.entity_key
         WHERE a.account_id = ? AND a.policy_arn = ? AND a.entity_type = 'group'
       ORDER BY 2`,
      [accountId, policyArn, accountId, policyArn, accountId, policyArn],
    );
  }

  /** How many entities a policy is attached to, per ARN, for the ARNs given (absent: none). */
  async attachmentCounts(accountId: string): Promise<Map<string, number>> {
    const rows = await this.#db.all<{ policy_arn: string; n: number | string }>(
      'SELECT policy_arn, count(*) AS n FROM attachments WHERE account_id = ? GROUP BY policy_arn',
      [accountId],
    );
    return new Map(rows.map((r) => [r.policy_arn, Number(r.n)]));
  }

  /** How many users and roles use each policy as their permissions boundary. */
  async boundaryCounts(accountId: string): Promise<Map<string, number>> {
    const rows = await this.#db.all<{ arn: string; n: number | string }>(
      `SELECT arn, count(*) AS n FROM (
         SELECT boundary_arn AS arn FROM users WHERE account_id = ? AND boundary_arn IS NOT NULL
         UNION ALL SELECT boundary_arn FROM roles WHERE account_id = ? AND boundary_arn IS NOT NULL) b GROUP BY arn`,
      [accountId, accountId],
    );
    return new Map(rows.map((r) => [r.arn, Number(r.n)]));
  }

  /** The users and roles that use a policy as their boundary (ListEntitiesForPolicy's PermissionsBoundary filter). */
  async boundaryEntities(accountId: string, policyArn: string): Promise<{ type: EntityType; name: string; id: string; path: string }[]> {
    return this.#db.all(
      `SELECT 'user' AS type, user_name AS name, user_id AS id, path FROM users WHERE account_id = ? AND boundary_arn = ?
       UNION ALL SELECT 'role', role_name, role_id, path FROM roles WHERE account_id = ? AND boundary_arn = ? ORDER BY 2`,
      [accountId, policyArn, accountId, policyArn],
    );
  }
}
