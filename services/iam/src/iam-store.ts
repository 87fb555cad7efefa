// IAM's state: users, their access keys and inline policies, per account (IAM is global: no region),
// behind the asynchronous store contract (SQLite or PostgreSQL). Every write that changes what the
// edge authenticates or authorizes with sends a signal (`iam.key`, `iam.user`) so that identity
// caches on every node drop what it changed; the caches themselves live in iam-directory.ts.
//
// User names are case-insensitive: SQLite compares them with the columns' COLLATE NOCASE, PostgreSQL
// with lower() (a unique index on lower(user_name)). Keys and policies always store the user's name
// as it was created, read inside the same transaction.
import type { SqlDialect, SqlExecutor, StorageBackend, StoreDatabase, StoreMigration } from '@atoll/core';

export interface UserRow {
  account_id: string;
  user_name: string;
  user_id: string;
  path: string;
  arn: string;
  create_date: string;
  tags: string;
}

export interface AccessKeyRow {
  access_key_id: string;
  secret_access_key: string;
  account_id: string;
  user_name: string;
  status: 'Active' | 'Inactive';
  create_date: string;
}

/** An active key with its user, as the edge authenticates with it. */
export interface ActiveKeyRow {
  secret_access_key: string;
  account_id: string;
  user_name: string;
  user_id: string;
  arn: string;
}

/** A key changed (status, deleted): payload is the access key id. */
export const KEY_SIGNAL = 'iam.key';
/** A user's policies or the user changed: payload is `userSignalKey(accountId, userName)`. */
export const USER_SIGNAL = 'iam.user';

/** The cache key (and signal payload) of a user: names compare case-insensitively (ASCII: IAM names are ASCII). */
export const userKey = (accountId: string, userName: string): string => `${accountId}/${userName.toLowerCase()}`;

const MIGRATIONS: StoreMigration[] = [
  {
    version: 1,
    name: 'users, access keys, inline policies',
    up: {
      sqlite: `
      CREATE TABLE users (
        account_id TEXT NOT NULL, user_name TEXT NOT NULL COLLATE NOCASE, user_id TEXT NOT NULL UNIQUE,
        path TEXT NOT NULL, arn TEXT NOT NULL, create_date TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (account_id, user_name));
      CREATE TABLE access_keys (
        access_key_id TEXT PRIMARY KEY, secret_access_key TEXT NOT NULL, account_id TEXT NOT NULL,
        user_name TEXT NOT NULL COLLATE NOCASE, status TEXT NOT NULL, create_date TEXT NOT NULL,
        FOREIGN KEY (account_id, user_name) REFERENCES users (account_id, user_name) ON DELETE RESTRICT);
      CREATE INDEX access_keys_user ON access_keys (account_id, user_name);
      CREATE TABLE user_policies (
        account_id TEXT NOT NULL, user_name TEXT NOT NULL COLLATE NOCASE, policy_name TEXT NOT NULL,
        document TEXT NOT NULL, PRIMARY KEY (account_id, user_name, policy_name),
        FOREIGN KEY (account_id, user_name) REFERENCES users (account_id, user_name) ON DELETE RESTRICT);`,
      postgres: `
      CREATE TABLE users (
        account_id TEXT NOT NULL, user_name TEXT NOT NULL, user_id TEXT NOT NULL UNIQUE,
        path TEXT NOT NULL, arn TEXT NOT NULL, create_date TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (account_id, user_name));
      CREATE UNIQUE INDEX users_name_nocase ON users (account_id, lower(user_name));
      CREATE TABLE access_keys (
        access_key_id TEXT PRIMARY KEY, secret_access_key TEXT NOT NULL, account_id TEXT NOT NULL,
        user_name TEXT NOT NULL, status TEXT NOT NULL, create_date TEXT NOT NULL,
        FOREIGN KEY (account_id, user_name) REFERENCES users (account_id, user_name) ON DELETE RESTRICT);
      CREATE INDEX access_keys_user ON access_keys (account_id, lower(user_name));
      CREATE TABLE user_policies (
        account_id TEXT NOT NULL, user_name TEXT NOT NULL, policy_name TEXT NOT NULL,
        document TEXT NOT NULL, PRIMARY KEY (account_id, user_name, policy_name),
        FOREIGN KEY (account_id, user_name) REFERENCES users (account_id, user_name) ON DELETE RESTRICT);
      CREATE INDEX user_policies_user ON user_policies (account_id, lower(user_name));`,
    },
  },
];

/**
 * How a user name column is compared, per engine: SQLite's columns are COLLATE NOCASE; PostgreSQL
 * compares lower() of both sides (indexed). `like` is SQLite's LIKE, case-insensitive for ASCII.
 */
function nameCollation(dialect: SqlDialect): { column: string; param: string; like: string } {
  return dialect.name === 'sqlite'
    ? { column: 'user_name', param: '?', like: 'LIKE' }
    : { column: 'lower(user_name)', param: 'lower(?)', like: 'ILIKE' };
}

/** The store's SQL, built once per engine (statements are cached by their text). */
function statements(dialect: SqlDialect) {
  const n = nameCollation(dialect);
  const user = `account_id = ? AND ${n.column} = ${n.param}`;
  return {
    getUser: `SELECT * FROM users WHERE ${user}`,
    userName: `SELECT user_name FROM users WHERE ${user}`,
    insertUser: `INSERT INTO users (account_id, user_name, user_id, path, arn, create_date, tags) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT DO NOTHING`,
    listUsers: `SELECT * FROM users WHERE account_id = ? AND path ${n.like} ? ESCAPE '\\' AND (CAST(? AS TEXT) IS NULL OR ${n.column} > ${n.param})
      ORDER BY ${n.column} LIMIT ?`,
    deleteUser: `DELETE FROM users WHERE ${user}`,
    countKeys: `SELECT count(*) AS n FROM access_keys WHERE ${user}`,
    countPolicies: `SELECT count(*) AS n FROM user_policies WHERE ${user}`,
    insertKey: 'INSERT INTO access_keys (access_key_id, secret_access_key, account_id, user_name, status, create_date) VALUES (?, ?, ?, ?, ?, ?)',
    getKey: 'SELECT * FROM access_keys WHERE access_key_id = ?',
    activeKey: `SELECT k.secret_access_key, u.account_id, u.user_name, u.user_id, u.arn FROM access_keys k
      JOIN users u ON u.account_id = k.account_id AND u.user_name = k.user_name
      WHERE k.access_key_id = ? AND k.status = 'Active'`,
    listKeys: `SELECT * FROM access_keys WHERE ${user} ORDER BY create_date, access_key_id`,
    setKeyStatus: `UPDATE access_keys SET status = ? WHERE access_key_id = ? AND ${user}`,
    deleteKey: `DELETE FROM access_keys WHERE access_key_id = ? AND ${user}`,
    putPolicy: `INSERT INTO user_policies (account_id, user_name, policy_name, document) VALUES (?, ?, ?, ?)
      ON CONFLICT (account_id, user_name, policy_name) DO UPDATE SET document = excluded.document`,
    getPolicy: `SELECT document FROM user_policies WHERE ${user} AND policy_name = ?`,
    listPolicyNames: `SELECT policy_name FROM user_policies WHERE ${user} ORDER BY policy_name`,
    listPolicies: `SELECT document FROM user_policies WHERE ${user}`,
    deletePolicy: `DELETE FROM user_policies WHERE ${user} AND policy_name = ?`,
  };
}

export type DeleteUserOutcome = 'deleted' | 'missing' | 'has-keys' | 'has-policies';
export type CreateKeyOutcome = 'created' | 'missing' | 'limit';

export class IamStore {
  readonly db: StoreDatabase;
  readonly #sql: ReturnType<typeof statements>;

  private constructor(db: StoreDatabase) {
    this.db = db;
    this.#sql = statements(db.dialect);
  }

  /** Opens IAM's database (`iam/iam.db` on SQLite, schema `iam` on PostgreSQL). */
  static async open(storage: StorageBackend): Promise<IamStore> {
    return new IamStore(await storage.open('iam', MIGRATIONS, { file: 'iam/iam.db' }));
  }

  getUser(accountId: string, userName: string): Promise<UserRow | undefined> {
    return this.db.get<UserRow>(this.#sql.getUser, [accountId, userName]);
  }

  /** Inserts a user; false when a user of that name (in any case) exists. */
  async insertUser(row: UserRow): Promise<boolean> {
    const { changes } = await this.db.run(this.#sql.insertUser, [row.account_id, row.user_name, row.user_id, row.path, row.arn, row.create_date, row.tags]);
    return changes === 1;
  }

  /** Users under a path prefix, by name (case-insensitively), after the name `after`. */
  listUsers(accountId: string, pathPrefix: string, after: string | undefined, limit: number): Promise<UserRow[]> {
    return this.db.all<UserRow>(this.#sql.listUsers, [accountId, `${pathPrefix.replace(/[\\%_]/g, '\\$&')}%`, after ?? null, after ?? null, limit]);
  }

  /** Deletes a user that has no keys and no policies left, in one transaction. */
  async deleteUser(accountId: string, userName: string): Promise<DeleteUserOutcome> {
    const sql = this.#sql;
    return this.db.transaction(async (tx) => {
      if (!(await tx.get(sql.userName, [accountId, userName]))) return 'missing';
      if ((await count(tx, sql.countKeys, [accountId, userName])) > 0) return 'has-keys';
      if ((await count(tx, sql.countPolicies, [accountId, userName])) > 0) return 'has-policies';
      await tx.run(sql.deleteUser, [accountId, userName]);
      tx.notify(USER_SIGNAL, userKey(accountId, userName));
      return 'deleted';
    });
  }

  /** Adds a key to a user unless the user has `max` keys already; the key takes the user's stored name. */
  async insertKey(row: AccessKeyRow, max: number): Promise<{ outcome: CreateKeyOutcome; userName?: string }> {
    const sql = this.#sql;
    return this.db.transaction(async (tx) => {
      const user = await tx.get<{ user_name: string }>(sql.userName, [row.account_id, row.user_name]);
      if (!user) return { outcome: 'missing' as const };
      if ((await count(tx, sql.countKeys, [row.account_id, row.user_name])) >= max) return { outcome: 'limit' as const };
      await tx.run(sql.insertKey, [row.access_key_id, row.secret_access_key, row.account_id, user.user_name, row.status, row.create_date]);
      return { outcome: 'created' as const, userName: user.user_name };
    });
  }

  getKey(accessKeyId: string): Promise<AccessKeyRow | undefined> {
    return this.db.get<AccessKeyRow>(this.#sql.getKey, [accessKeyId]);
  }

  /** An active key and its user (one query), or undefined for an unknown or inactive key. */
  activeKey(accessKeyId: string): Promise<ActiveKeyRow | undefined> {
    return this.db.get<ActiveKeyRow>(this.#sql.activeKey, [accessKeyId]);
  }

  listKeys(accountId: string, userName: string): Promise<AccessKeyRow[]> {
    return this.db.all<AccessKeyRow>(this.#sql.listKeys, [accountId, userName]);
  }

  /** Sets a key's status if the user owns it (one conditional update); false when it does not. */
  async setKeyStatus(accountId: string, userName: string, accessKeyId: string, status: 'Active' | 'Inactive'): Promise<boolean> {
    return this.#changeKey(this.#sql.setKeyStatus, [status, accessKeyId, accountId, userName], accessKeyId);
  }

  /** Deletes a key if the user owns it; false when it does not. */
  async deleteKey(accountId: string, userName: string, accessKeyId: string): Promise<boolean> {
    return this.#changeKey(this.#sql.deleteKey, [accessKeyId, accountId, userName], accessKeyId);
  }

  #changeKey(sql: string, params: string[], accessKeyId: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const { changes } = await tx.run(sql, params);
      if (changes > 0) tx.notify(KEY_SIGNAL, accessKeyId);
      return changes > 0;
    });
  }

  /** Creates or replaces an inline policy; false when the user does not exist. */
  async putPolicy(accountId: string, userName: string, policyName: string, document: string): Promise<boolean> {
    const sql = this.#sql;
    return this.db.transaction(async (tx) => {
      const user = await tx.get<{ user_name: string }>(sql.userName, [accountId, userName]);
      if (!user) return false;
      await tx.run(sql.putPolicy, [accountId, user.user_name, policyName, document]);
      tx.notify(USER_SIGNAL, userKey(accountId, userName));
      return true;
    });
  }

  async getPolicy(accountId: string, userName: string, policyName: string): Promise<string | undefined> {
    return (await this.db.get<{ document: string }>(this.#sql.getPolicy, [accountId, userName, policyName]))?.document;
  }

  async listPolicyNames(accountId: string, userName: string): Promise<string[]> {
    return (await this.db.all<{ policy_name: string }>(this.#sql.listPolicyNames, [accountId, userName])).map((r) => r.policy_name);
  }

  async listPolicies(accountId: string, userName: string): Promise<string[]> {
    return (await this.db.all<{ document: string }>(this.#sql.listPolicies, [accountId, userName])).map((r) => r.document);
  }

  /** Deletes an inline policy; false when there was none of that name. */
  async deletePolicy(accountId: string, userName: string, policyName: string): Promise<boolean> {
    const sql = this.#sql;
    return this.db.transaction(async (tx) => {
      const { changes } = await tx.run(sql.deletePolicy, [accountId, userName, policyName]);
      if (changes > 0) tx.notify(USER_SIGNAL, userKey(accountId, userName));
      return changes > 0;
    });
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

async function count(ex: SqlExecutor, sql: string, params: string[]): Promise<number> {
  return (await ex.get<{ n: number }>(sql, params))!.n;
}
