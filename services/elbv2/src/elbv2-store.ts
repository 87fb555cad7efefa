// ELBv2 state on SQLite: one table per resource kind holding JSON documents, and tags. Control
// plane writes are rare, so each write is its own synchronous (fsynced) transaction.
import { join } from 'node:path';
import { openDatabase, type Migration, type SqliteDatabase } from '@atoll/storage';
import type { ListenerRecord, LoadBalancerRecord, RuleRecord, TargetGroupRecord } from './records.js';

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'load balancers, target groups, listeners, rules, tags',
    up: `
      CREATE TABLE load_balancers (arn TEXT PRIMARY KEY, account_id TEXT NOT NULL, region TEXT NOT NULL,
        name TEXT NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL, UNIQUE (account_id, region, name));
      CREATE TABLE target_groups (arn TEXT PRIMARY KEY, account_id TEXT NOT NULL, region TEXT NOT NULL,
        name TEXT NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL, UNIQUE (account_id, region, name));
      CREATE TABLE listeners (arn TEXT PRIMARY KEY, account_id TEXT NOT NULL, region TEXT NOT NULL,
        parent TEXT NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL);
      CREATE INDEX listeners_parent ON listeners (parent);
      CREATE TABLE rules (arn TEXT PRIMARY KEY, account_id TEXT NOT NULL, region TEXT NOT NULL,
        parent TEXT NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL);
      CREATE INDEX rules_parent ON rules (parent);
      CREATE TABLE tags (arn TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (arn, key)) WITHOUT ROWID;
    `,
  },
];

type Kind = 'load_balancers' | 'target_groups' | 'listeners' | 'rules';

/** One table of JSON documents, ordered by creation. */
class Collection<T extends { arn: string; accountId: string; region: string }> {
  readonly #db: SqliteDatabase;
  readonly #table: Kind;
  readonly #parentOf: (doc: T) => string;

  constructor(db: SqliteDatabase, table: Kind, parentOf: (doc: T) => string) {
    this.#db = db;
    this.#table = table;
    this.#parentOf = parentOf;
  }

  get(arn: string): T | undefined {
    const row = this.#db.prepare(`SELECT doc FROM ${this.#table} WHERE arn = ?`).get(arn) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as T) : undefined;
  }

  list(accountId: string, region: string): T[] {
    const rows = this.#db.prepare(`SELECT doc FROM ${this.#table} WHERE account_id = ? AND region = ? ORDER BY seq`).all(accountId, region) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as T);
  }

  all(): T[] {
    const rows = this.#db.prepare(`SELECT doc FROM ${this.#table} ORDER BY seq`).all() as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as T);
  }

  byParent(parent: string): T[] {
    if (this.#table !== 'listeners' && this.#table !== 'rules') throw new Error('no parent column');
    const rows = this.#db.prepare(`SELECT doc FROM ${this.#table} WHERE parent = ? ORDER BY seq`).all(parent) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as T);
  }

  put(doc: T): void {
    const parentColumn = this.#table === 'listeners' || this.#table === 'rules' ? 'parent' : 'name';
    const existing = this.#db.prepare(`SELECT seq FROM ${this.#table} WHERE arn = ?`).get(doc.arn) as { seq: number } | undefined;
    const seq = existing?.seq ?? ((this.#db.prepare(`SELECT COALESCE(MAX(seq), 0) + 1 AS s FROM ${this.#table}`).get() as { s: number }).s);
    this.#db
      .prepare(`INSERT OR REPLACE INTO ${this.#table} (arn, account_id, region, ${parentColumn}, seq, doc) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(doc.arn, doc.accountId, doc.region, this.#parentOf(doc), seq, JSON.stringify(doc));
  }

  delete(arn: string): void {
    this.#db.prepare(`DELETE FROM ${this.#table} WHERE arn = ?`).run(arn);
  }
}

export class Elbv2Store {
  readonly db: SqliteDatabase;
  readonly loadBalancers: Collection<LoadBalancerRecord>;
  readonly targetGroups: Collection<TargetGroupRecord>;
  readonly listeners: Collection<ListenerRecord>;
  readonly rules: Collection<RuleRecord>;

  constructor(dir: string) {
    this.db = openDatabase(join(dir, 'elbv2.db'), MIGRATIONS);
    this.loadBalancers = new Collection(this.db, 'load_balancers', (d) => d.name);
    this.targetGroups = new Collection(this.db, 'target_groups', (d) => d.name);
    this.listeners = new Collection(this.db, 'listeners', (d) => d.loadBalancerArn);
    this.rules = new Collection(this.db, 'rules', (d) => d.listenerArn);
  }

  /** Runs several writes as one transaction. */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  tags(arn: string): { Key: string; Value: string }[] {
    return (this.db.prepare('SELECT key, value FROM tags WHERE arn = ? ORDER BY key').all(arn) as { key: string; value: string }[]).map((r) => ({ Key: r.key, Value: r.value }));
  }

  putTags(arn: string, tags: readonly { Key: string; Value?: string }[]): void {
    const stmt = this.db.prepare('INSERT OR REPLACE INTO tags (arn, key, value) VALUES (?, ?, ?)');
    for (const t of tags) stmt.run(arn, t.Key, t.Value ?? '');
  }

  removeTags(arn: string, keys: readonly string[]): void {
    const stmt = this.db.prepare('DELETE FROM tags WHERE arn = ? AND key = ?');
    for (const k of keys) stmt.run(arn, k);
  }

  deleteAllTags(arn: string): void {
    this.db.prepare('DELETE FROM tags WHERE arn = ?').run(arn);
  }

  close(): void {
    this.db.close();
  }
}
