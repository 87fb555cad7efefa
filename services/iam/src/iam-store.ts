// IAM's state: users, their access keys and inline policies, per account (IAM is global: no region).
import { join } from 'node:path';
import { openDatabase, type Migration, type SqliteDatabase } from '@atoll/storage';

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

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'users, access keys, inline policies',
    up: `
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
  },
];

export class IamStore {
  readonly db: SqliteDatabase;

  constructor(dataDir: string) {
    this.db = openDatabase(join(dataDir, 'iam', 'iam.db'), MIGRATIONS);
  }

  getUser(accountId: string, userName: string): UserRow | undefined {
    return this.db.prepare('SELECT * FROM users WHERE account_id = ? AND user_name = ?').get(accountId, userName) as UserRow | undefined;
  }

  insertUser(row: UserRow): void {
    this.db
      .prepare('INSERT INTO users (account_id, user_name, user_id, path, arn, create_date, tags) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(row.account_id, row.user_name, row.user_id, row.path, row.arn, row.create_date, row.tags);
  }

  listUsers(accountId: string, pathPrefix: string, after: string | undefined, limit: number): UserRow[] {
    return this.db
      .prepare(
        `SELECT * FROM users WHERE account_id = ? AND path LIKE ? ESCAPE '\\' AND (? IS NULL OR user_name > ?)
         ORDER BY user_name LIMIT ?`,
      )
      .all(accountId, `${pathPrefix.replace(/[\\%_]/g, '\\$&')}%`, after ?? null, after ?? null, limit) as UserRow[];
  }

  deleteUser(accountId: string, userName: string): void {
    this.db.prepare('DELETE FROM users WHERE account_id = ? AND user_name = ?').run(accountId, userName);
  }

  countKeys(accountId: string, userName: string): number {
    return (this.db.prepare('SELECT count(*) AS n FROM access_keys WHERE account_id = ? AND user_name = ?').get(accountId, userName) as { n: number }).n;
  }

  countPolicies(accountId: string, userName: string): number {
    return (this.db.prepare('SELECT count(*) AS n FROM user_policies WHERE account_id = ? AND user_name = ?').get(accountId, userName) as { n: number }).n;
  }

  insertKey(row: AccessKeyRow): void {
    this.db
      .prepare('INSERT INTO access_keys (access_key_id, secret_access_key, account_id, user_name, status, create_date) VALUES (?, ?, ?, ?, ?, ?)')
      .run(row.access_key_id, row.secret_access_key, row.account_id, row.user_name, row.status, row.create_date);
  }

  getKey(accessKeyId: string): AccessKeyRow | undefined {
    return this.db.prepare('SELECT * FROM access_keys WHERE access_key_id = ?').get(accessKeyId) as AccessKeyRow | undefined;
  }

  listKeys(accountId: string, userName: string): AccessKeyRow[] {
    return this.db
      .prepare('SELECT * FROM access_keys WHERE account_id = ? AND user_name = ? ORDER BY create_date, access_key_id')
      .all(accountId, userName) as AccessKeyRow[];
  }

  setKeyStatus(accessKeyId: string, status: 'Active' | 'Inactive'): void {
    this.db.prepare('UPDATE access_keys SET status = ? WHERE access_key_id = ?').run(status, accessKeyId);
  }

  deleteKey(accessKeyId: string): void {
    this.db.prepare('DELETE FROM access_keys WHERE access_key_id = ?').run(accessKeyId);
  }

  putPolicy(accountId: string, userName: string, policyName: string, document: string): void {
    this.db
      .prepare(
        `INSERT INTO user_policies (account_id, user_name, policy_name, document) VALUES (?, ?, ?, ?)
         ON CONFLICT (account_id, user_name, policy_name) DO UPDATE SET document = excluded.document`,
      )
      .run(accountId, userName, policyName, document);
  }

  getPolicy(accountId: string, userName: string, policyName: string): string | undefined {
    const row = this.db
      .prepare('SELECT document FROM user_policies WHERE account_id = ? AND user_name = ? AND policy_name = ?')
      .get(accountId, userName, policyName) as { document: string } | undefined;
    return row?.document;
  }

  listPolicyNames(accountId: string, userName: string): string[] {
    return this.db
      .prepare('SELECT policy_name FROM user_policies WHERE account_id = ? AND user_name = ? ORDER BY policy_name')
      .pluck()
      .all(accountId, userName) as string[];
  }

  listPolicies(accountId: string, userName: string): string[] {
    return this.db.prepare('SELECT document FROM user_policies WHERE account_id = ? AND user_name = ?').pluck().all(accountId, userName) as string[];
  }

  deletePolicy(accountId: string, userName: string, policyName: string): number {
    return this.db.prepare('DELETE FROM user_policies WHERE account_id = ? AND user_name = ? AND policy_name = ?').run(accountId, userName, policyName).changes;
  }

  close(): void {
    this.db.close();
  }
}
