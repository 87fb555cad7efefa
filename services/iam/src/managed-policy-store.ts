// Customer managed policies and their versions (v1, v2 … numbered per policy, one of them the
// default), keyed by (account, lower-case name): IAM refuses two policies of one name whatever their
// paths. AWS managed policies are not stored (aws-managed-policies.ts serves them). A change of what a
// policy grants (its default version, its deletion) signals `iam.policy` with the policy's ARN.
import type { StoreDatabase } from '@atoll/core';
import { count, likeOperator, likePrefix, nameKey, POLICY_SIGNAL } from './iam-signals.js';

export interface ManagedPolicyRow {
  account_id: string;
  policy_key: string;
  policy_name: string;
  policy_id: string;
  path: string;
  arn: string;
  description: string | null;
  default_version: string;
  next_version: number;
  create_date: string;
  update_date: string;
  tags: string;
}

export interface PolicyVersionRow {
  version_id: string;
  document: string;
  create_date: string;
}

export type DeletePolicyOutcome = 'deleted' | 'missing' | 'attached' | 'versions';
export type DeleteVersionOutcome = 'deleted' | 'missing' | 'no-version' | 'default';

export class ManagedPolicyStore {
  readonly #db: StoreDatabase;

  constructor(db: StoreDatabase) {
    this.#db = db;
  }

  /** Creates a policy with its first version (`v1`, the default); false when the name is taken. */
  insert(row: ManagedPolicyRow, document: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const { changes } = await tx.run(
        `INSERT INTO managed_policies (account_id, policy_key, policy_name, policy_id, path, arn, description, default_version,
           next_version, create_date, update_date, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        [row.account_id, row.policy_key, row.policy_name, row.policy_id, row.path, row.arn, row.description, row.default_version,
          row.next_version, row.create_date, row.update_date, row.tags],
      );
      if (changes !== 1) return false;
      await tx.run('INSERT INTO policy_versions (account_id, policy_key, version_id, document, create_date) VALUES (?, ?, ?, ?, ?)', [
        row.account_id, row.policy_key, row.default_version, document, row.create_date,
      ]);
      return true;
    });
  }

  get(accountId: string, policyArn: string): Promise<ManagedPolicyRow | undefined> {
    return this.#db.get<ManagedPolicyRow>('SELECT * FROM managed_policies WHERE account_id = ? AND arn = ?', [accountId, policyArn]);
  }

  /** Every customer policy under a path prefix, by name. */
  list(accountId: string, pathPrefix: string): Promise<ManagedPolicyRow[]> {
    return this.#db.all<ManagedPolicyRow>(
      `SELECT * FROM managed_policies WHERE account_id = ? AND path ${likeOperator(this.#db.dialect.name)} ? ESCAPE '\\' ORDER BY policy_key`,
      [accountId, likePrefix(pathPrefix)],
    );
  }

  /** The default version's document of a customer policy (by ARN, any account), or undefined. */
  async defaultDocument(policyArn: string): Promise<string | undefined> {
    const row = await this.#db.get<{ document: string }>(
      `SELECT v.document FROM managed_policies p JOIN policy_versions v
         ON v.account_id = p.account_id AND v.policy_key = p.policy_key AND v.version_id = p.default_version WHERE p.arn = ?`,
      [policyArn],
    );
    return row?.document;
  }

  /** Deletes a policy (and its default version) that is attached nowhere, used as no boundary and has no other versions. */
  delete(accountId: string, policyArn: string): Promise<DeletePolicyOutcome> {
    return this.#db.transaction(async (tx) => {
      const policy = await tx.get<{ policy_key: string }>('SELECT policy_key FROM managed_policies WHERE account_id = ? AND arn = ?', [accountId, policyArn]);
      if (!policy) return 'missing';
      if ((await count(tx, 'SELECT count(*) AS n FROM attachments WHERE account_id = ? AND policy_arn = ?', [accountId, policyArn])) > 0) return 'attached';
      const boundaries = await count(
        tx,
        `SELECT (SELECT count(*) FROM users WHERE account_id = ? AND boundary_arn = ?) + (SELECT count(*) FROM roles WHERE account_id = ? AND boundary_arn = ?) AS n`,
        [accountId, policyArn, accountId, policyArn],
      );
      if (boundaries > 0) return 'attached';
      if ((await count(tx, 'SELECT count(*) AS n FROM policy_versions WHERE account_id = ? AND policy_key = ?', [accountId, policy.policy_key])) > 1) return 'versions';
      await tx.run('DELETE FROM policy_versions WHERE account_id = ? AND policy_key = ?', [accountId, policy.policy_key]);
      await tx.run('DELETE FROM managed_policies WHERE account_id = ? AND policy_key = ?', [accountId, policy.policy_key]);
      tx.notify(POLICY_SIGNAL, policyArn);
      return 'deleted';
    });
  }

  /** Adds a version (made the default when asked) unless the policy has `max` versions already. */
  createVersion(
    accountId: string,
    policyArn: string,
    document: string,
    setAsDefault: boolean,
    max: number,
    now: string,
  ): Promise<{ outcome: 'created' | 'missing' | 'limit'; version?: PolicyVersionRow }> {
    return this.#db.transaction(async (tx) => {
      const policy = await tx.get<{ policy_key: string; next_version: number }>(
        `SELECT policy_key, next_version FROM managed_policies WHERE account_id = ? AND arn = ?${this.#db.dialect.forUpdate}`,
        [accountId, policyArn],
      );
      if (!policy) return { outcome: 'missing' as const };
      if ((await count(tx, 'SELECT count(*) AS n FROM policy_versions WHERE account_id = ? AND policy_key = ?', [accountId, policy.policy_key])) >= max) {
        return { outcome: 'limit' as const };
      }
      const versionId = `v${policy.next_version}`;
      await tx.run('INSERT INTO policy_versions (account_id, policy_key, version_id, document, create_date) VALUES (?, ?, ?, ?, ?)', [
        accountId, policy.policy_key, versionId, document, now,
      ]);
      await tx.run(
        `UPDATE managed_policies SET next_version = next_version + 1, update_date = ?,
           default_version = CASE WHEN ? = 1 THEN ? ELSE default_version END WHERE account_id = ? AND policy_key = ?`,
        [now, setAsDefault ? 1 : 0, versionId, accountId, policy.policy_key],
      );
      if (setAsDefault) tx.notify(POLICY_SIGNAL, policyArn);
      return { outcome: 'created' as const, version: { version_id: versionId, document, create_date: now } };
    });
  }

  async getVersion(accountId: string, policyArn: string, versionId: string): Promise<PolicyVersionRow | undefined> {
    return this.#db.get<PolicyVersionRow>(
      `SELECT v.version_id, v.document, v.create_date FROM managed_policies p JOIN policy_versions v
         ON v.account_id = p.account_id AND v.policy_key = p.policy_key WHERE p.account_id = ? AND p.arn = ? AND v.version_id = ?`,
      [accountId, policyArn, versionId],
    );
  }

  /** A policy's versions, newest first (as IAM lists them). */
  async listVersions(accountId: string, policyArn: string): Promise<PolicyVersionRow[]> {
    const rows = await this.#db.all<PolicyVersionRow>(
      `SELECT v.version_id, v.document, v.create_date FROM managed_policies p JOIN policy_versions v
         ON v.account_id = p.account_id AND v.policy_key = p.policy_key WHERE p.account_id = ? AND p.arn = ?`,
      [accountId, policyArn],
    );
    return rows.sort((a, b) => Number(b.version_id.slice(1)) - Number(a.version_id.slice(1)));
  }

  /** Deletes a version that is not the default. */
  deleteVersion(accountId: string, policyArn: string, versionId: string): Promise<DeleteVersionOutcome> {
    return this.#db.transaction(async (tx) => {
      const policy = await tx.get<{ policy_key: string; default_version: string }>(
        'SELECT policy_key, default_version FROM managed_policies WHERE account_id = ? AND arn = ?',
        [accountId, policyArn],
      );
      if (!policy) return 'missing';
      if (policy.default_version === versionId) return 'default';
      const { changes } = await tx.run('DELETE FROM policy_versions WHERE account_id = ? AND policy_key = ? AND version_id = ?', [
        accountId, policy.policy_key, versionId,
      ]);
      return changes > 0 ? 'deleted' : 'no-version';
    });
  }

  /** Makes a version the default. */
  setDefault(accountId: string, policyArn: string, versionId: string, now: string): Promise<'done' | 'missing' | 'no-version'> {
    return this.#db.transaction(async (tx) => {
      const policy = await tx.get<{ policy_key: string }>('SELECT policy_key FROM managed_policies WHERE account_id = ? AND arn = ?', [accountId, policyArn]);
      if (!policy) return 'missing';
      if (!(await tx.get('SELECT 1 AS one FROM policy_versions WHERE account_id = ? AND policy_key = ? AND version_id = ?', [accountId, policy.policy_key, versionId]))) {
        return 'no-version';
      }
      await tx.run('UPDATE managed_policies SET default_version = ?, update_date = ? WHERE account_id = ? AND policy_key = ?', [
        versionId, now, accountId, policy.policy_key,
      ]);
      tx.notify(POLICY_SIGNAL, policyArn);
      return 'done';
    });
  }

  /** Replaces a policy's tags (JSON text); false when it does not exist. */
  async setTags(accountId: string, policyArn: string, tags: string): Promise<boolean> {
    const { changes } = await this.#db.run('UPDATE managed_policies SET tags = ? WHERE account_id = ? AND arn = ?', [tags, accountId, policyArn]);
    return changes === 1;
  }
}

/** The key of a policy name. */
export const policyKey = nameKey;
