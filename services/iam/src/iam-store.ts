// IAM's state, per account (IAM is global: no region), behind the asynchronous store contract (SQLite
// or PostgreSQL): the schema (migrations) and users with their access keys here; roles, groups,
// managed policies, inline policies and attachments, instance profiles and OIDC providers in their own
// store modules over the same database (`store.roles`, `store.groups` …). Every write that changes
// what the edge authenticates or authorizes with sends a signal (`iam.key`, `iam.user`, `iam.role`,
// `iam.group`, `iam.policy`) so that identity caches on every node drop what it changed; the caches
// themselves live in iam-directory.ts.
//
// User names are case-insensitive: SQLite compares them with the columns' COLLATE NOCASE, PostgreSQL
// with lower() (a unique index on lower(user_name)). Keys store the user's name as it was created,
// read inside the same transaction. The later tables (migration 2 on) key every name by its lower-case
// form in a `*_key` column instead (IAM names are ASCII), and keep the name as created beside it.
import type { SqlDialect, SqlExecutor, StorageBackend, StoreDatabase, StoreMigration } from '@atoll/core';
import { count, KEY_SIGNAL, nameKey, USER_SIGNAL, userKey } from './iam-signals.js';
import { EntityPolicyStore } from './entity-policy-store.js';
import { GroupStore } from './group-store.js';
import { InstanceProfileStore } from './instance-profile-store.js';
import { ManagedPolicyStore } from './managed-policy-store.js';
import { OidcProviderStore } from './oidc-provider-store.js';
import { RoleStore } from './role-store.js';

export interface UserRow {
  account_id: string;
  user_name: string;
  user_id: string;
  path: string;
  arn: string;
  create_date: string;
  tags: string;
  /** The permissions boundary's policy ARN (migration 2). */
  boundary_arn?: string | null;
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

export { GROUP_SIGNAL, KEY_SIGNAL, POLICY_SIGNAL, ROLE_SIGNAL, USER_SIGNAL, entityKey, nameKey, userKey } from './iam-signals.js';

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
  {
    version: 2,
    name: 'roles, groups, managed policies and versions, inline policies and attachments of every entity, boundaries, instance profiles, OIDC providers',
    up: `
      CREATE TABLE roles (
        account_id TEXT NOT NULL, role_key TEXT NOT NULL, role_name TEXT NOT NULL, role_id TEXT NOT NULL UNIQUE,
        path TEXT NOT NULL, arn TEXT NOT NULL, create_date TEXT NOT NULL, trust_policy TEXT NOT NULL,
        description TEXT, max_session_duration INTEGER NOT NULL, boundary_arn TEXT, tags TEXT NOT NULL DEFAULT '[]',
        last_used_date TEXT, last_used_region TEXT, PRIMARY KEY (account_id, role_key));
      CREATE TABLE groups (
        account_id TEXT NOT NULL, group_key TEXT NOT NULL, group_name TEXT NOT NULL, group_id TEXT NOT NULL UNIQUE,
        path TEXT NOT NULL, arn TEXT NOT NULL, create_date TEXT NOT NULL, PRIMARY KEY (account_id, group_key));
      CREATE TABLE group_members (
        account_id TEXT NOT NULL, group_key TEXT NOT NULL, user_key TEXT NOT NULL, PRIMARY KEY (account_id, group_key, user_key));
      CREATE INDEX group_members_user ON group_members (account_id, user_key);
      CREATE TABLE managed_policies (
        account_id TEXT NOT NULL, policy_key TEXT NOT NULL, policy_name TEXT NOT NULL, policy_id TEXT NOT NULL UNIQUE,
        path TEXT NOT NULL, arn TEXT NOT NULL UNIQUE, description TEXT, default_version TEXT NOT NULL,
        next_version INTEGER NOT NULL, create_date TEXT NOT NULL, update_date TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (account_id, policy_key));
      CREATE TABLE policy_versions (
        account_id TEXT NOT NULL, policy_key TEXT NOT NULL, version_id TEXT NOT NULL, document TEXT NOT NULL,
        create_date TEXT NOT NULL, PRIMARY KEY (account_id, policy_key, version_id));
      CREATE TABLE inline_policies (
        account_id TEXT NOT NULL, entity_type TEXT NOT NULL, entity_key TEXT NOT NULL, policy_name TEXT NOT NULL,
        document TEXT NOT NULL, PRIMARY KEY (account_id, entity_type, entity_key, policy_name));
      INSERT INTO inline_policies (account_id, entity_type, entity_key, policy_name, document)
        SELECT account_id, 'user', lower(user_name), policy_name, document FROM user_policies;
      DROP TABLE user_policies;
      CREATE TABLE attachments (
        account_id TEXT NOT NULL, entity_type TEXT NOT NULL, entity_key TEXT NOT NULL, policy_arn TEXT NOT NULL,
        PRIMARY KEY (account_id, entity_type, entity_key, policy_arn));
      CREATE INDEX attachments_policy ON attachments (account_id, policy_arn);
      ALTER TABLE users ADD COLUMN boundary_arn TEXT;
      CREATE TABLE instance_profiles (
        account_id TEXT NOT NULL, profile_key TEXT NOT NULL, profile_name TEXT NOT NULL, profile_id TEXT NOT NULL UNIQUE,
        path TEXT NOT NULL, arn TEXT NOT NULL, create_date TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (account_id, profile_key));
      CREATE TABLE instance_profile_roles (
        account_id TEXT NOT NULL, profile_key TEXT NOT NULL, role_key TEXT NOT NULL, PRIMARY KEY (account_id, profile_key, role_key));
      CREATE INDEX instance_profile_roles_role ON instance_profile_roles (account_id, role_key);
      CREATE TABLE oidc_providers (
        account_id TEXT NOT NULL, arn TEXT NOT NULL, url TEXT NOT NULL, client_ids TEXT NOT NULL, thumbprints TEXT NOT NULL,
        create_date TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (account_id, arn));`,
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
    countPolicies: `SELECT count(*) AS n FROM inline_policies WHERE account_id = ? AND entity_type = 'user' AND entity_key = ?`,
    countAttached: `SELECT count(*) AS n FROM attachments WHERE account_id = ? AND entity_type = 'user' AND entity_key = ?`,
    countGroups: 'SELECT count(*) AS n FROM group_members WHERE account_id = ? AND user_key = ?',
    setBoundary: `UPDATE users SET boundary_arn = ? WHERE ${user}`,
    setTags: `UPDATE users SET tags = ? WHERE ${user}`,
    insertKey: 'INSERT INTO access_keys (access_key_id, secret_access_key, account_id, user_name, status, create_date) VALUES (?, ?, ?, ?, ?, ?)',
    getKey: 'SELECT * FROM access_keys WHERE access_key_id = ?',
    activeKey: `SELECT k.secret_access_key, u.account_id, u.user_name, u.user_id, u.arn FROM access_keys k
      JOIN users u ON u.account_id = k.account_id AND u.user_name = k.user_name
      WHERE k.access_key_id = ? AND k.status = 'Active'`,
    listKeys: `SELECT * FROM access_keys WHERE ${user} ORDER BY create_date, access_key_id`,
    setKeyStatus: `UPDATE access_keys SET status = ? WHERE access_key_id = ? AND ${user}`,
    deleteKey: `DELETE FROM access_keys WHERE access_key_id = ? AND ${user}`,
  };
}

export type DeleteUserOutcome = 'deleted' | 'missing' | 'has-keys' | 'has-policies' | 'has-attached' | 'has-groups';
export type CreateKeyOutcome = 'created' | 'missing' | 'limit';

export class IamStore {
  readonly db: StoreDatabase;
  readonly #sql: ReturnType<typeof statements>;
  /** Inline policies and managed-policy attachments of users, roles and groups. */
  readonly entities: EntityPolicyStore;
  readonly roles: RoleStore;
  readonly groups: GroupStore;
  readonly policies: ManagedPolicyStore;
  readonly profiles: InstanceProfileStore;
  readonly oidc: OidcProviderStore;

  private constructor(db: StoreDatabase) {
    this.db = db;
    this.#sql = statements(db.dialect);
    this.entities = new EntityPolicyStore(db);
    this.roles = new RoleStore(db);
    this.groups = new GroupStore(db);
    this.policies = new ManagedPolicyStore(db);
    this.profiles = new InstanceProfileStore(db);
    this.oidc = new OidcProviderStore(db);
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

  /** Deletes a user that has no keys, inline or attached policies, nor groups left, in one transaction. */
  async deleteUser(accountId: string, userName: string): Promise<DeleteUserOutcome> {
    const sql = this.#sql;
    const key = nameKey(userName);
    return this.db.transaction(async (tx) => {
      if (!(await tx.get(sql.userName, [accountId, userName]))) return 'missing';
      if ((await count(tx, sql.countKeys, [accountId, userName])) > 0) return 'has-keys';
      if ((await count(tx, sql.countPolicies, [accountId, key])) > 0) return 'has-policies';
      if ((await count(tx, sql.countAttached, [accountId, key])) > 0) return 'has-attached';
      if ((await count(tx, sql.countGroups, [accountId, key])) > 0) return 'has-groups';
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

  /** Sets (or with null removes) a user's permissions boundary; false when the user does not exist. */
  setBoundary(accountId: string, userName: string, boundaryArn: string | null): Promise<boolean> {
    return this.#changeUser(this.#sql.setBoundary, [boundaryArn, accountId, userName], accountId, userName);
  }

  /** Replaces a user's tags (JSON text); false when the user does not exist. */
  setTags(accountId: string, userName: string, tags: string): Promise<boolean> {
    return this.#changeUser(this.#sql.setTags, [tags, accountId, userName], accountId, userName);
  }

  #changeUser(sql: string, params: (string | null)[], accountId: string, userName: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const { changes } = await tx.run(sql, params);
      if (changes > 0) tx.notify(USER_SIGNAL, userKey(accountId, userName));
      return changes > 0;
    });
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
