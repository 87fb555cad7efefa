// ELBv2 state behind the asynchronous store contract (SQLite or PostgreSQL): one table per resource
// kind holding JSON documents (a target group's document holds its registered targets), and tags.
// Writes go through `transaction`, which tells every node's data-plane leader that the
// configuration changed (the `elbv2.config` signal, carrying the writing node's origin token).
// Control-plane writes are rare, so each is its own durable transaction.
import type { SqlExecutor, SqlTransaction, SqlValue, StorageBackend, StoreDatabase, StoreMigration } from '@atoll/core';
import type { ListenerRecord, LoadBalancerRecord, RuleRecord, TargetGroupRecord } from './records.js';

/** Sent (payload: the writer's origin token) when load balancers, listeners, rules or target groups change. */
export const CONFIG_SIGNAL = 'elbv2.config';

const MIGRATIONS: StoreMigration[] = [
  {
    version: 1,
    name: 'load balancers, target groups, listeners, rules, tags',
    up: {
      sqlite: `
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
      postgres: `
      CREATE TABLE load_balancers (arn TEXT PRIMARY KEY, account_id TEXT NOT NULL, region TEXT NOT NULL,
        name TEXT NOT NULL, seq BIGINT NOT NULL, doc TEXT NOT NULL, UNIQUE (account_id, region, name));
      CREATE TABLE target_groups (arn TEXT PRIMARY KEY, account_id TEXT NOT NULL, region TEXT NOT NULL,
        name TEXT NOT NULL, seq BIGINT NOT NULL, doc TEXT NOT NULL, UNIQUE (account_id, region, name));
      CREATE TABLE listeners (arn TEXT PRIMARY KEY, account_id TEXT NOT NULL, region TEXT NOT NULL,
        parent TEXT NOT NULL, seq BIGINT NOT NULL, doc TEXT NOT NULL);
      CREATE INDEX listeners_parent ON listeners (parent);
      CREATE TABLE rules (arn TEXT PRIMARY KEY, account_id TEXT NOT NULL, region TEXT NOT NULL,
        parent TEXT NOT NULL, seq BIGINT NOT NULL, doc TEXT NOT NULL);
      CREATE INDEX rules_parent ON rules (parent);
      CREATE TABLE tags (arn TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (arn, key));
    `,
    },
  },
  {
    // Priorities are unique per listener and ports per load balancer, whichever node writes.
    version: 2,
    name: 'rule priorities and listener ports as columns, unique per parent',
    up: {
      sqlite: `
      ALTER TABLE rules ADD COLUMN priority INTEGER;
      UPDATE rules SET priority = json_extract(doc, '$.priority');
      CREATE UNIQUE INDEX rules_priority ON rules (parent, priority);
      ALTER TABLE listeners ADD COLUMN port INTEGER;
      UPDATE listeners SET port = json_extract(doc, '$.port');
      CREATE UNIQUE INDEX listeners_port ON listeners (parent, port);
      CREATE INDEX listeners_by_port ON listeners (port);
    `,
      postgres: `
      ALTER TABLE rules ADD COLUMN priority INTEGER;
      UPDATE rules SET priority = (doc::jsonb ->> 'priority')::integer;
      CREATE UNIQUE INDEX rules_priority ON rules (parent, priority);
      ALTER TABLE listeners ADD COLUMN port INTEGER;
      UPDATE listeners SET port = (doc::jsonb ->> 'port')::integer;
      CREATE UNIQUE INDEX listeners_port ON listeners (parent, port);
      CREATE INDEX listeners_by_port ON listeners (port);
    `,
    },
  },
];

type Scoped = { arn: string; accountId: string; region: string };

/** One table's SQL, built once (statements are cached by their text). */
class TableSql<T extends Scoped> {
  readonly get: string;
  readonly list: string;
  readonly all: string;
  readonly byParent: string;
  readonly put: string;
  readonly delete: string;

  constructor(
    table: string,
    readonly key: 'name' | 'parent',
    /** Values of the key column and of the table's extra columns, in order. */
    readonly columns: (doc: T) => SqlValue[],
    extra: readonly string[] = [],
  ) {
    const names = [key, ...extra];
    this.get = `SELECT doc FROM ${table} WHERE arn = ?`;
    this.list = `SELECT doc FROM ${table} WHERE account_id = ? AND region = ? ORDER BY seq`;
    this.all = `SELECT doc FROM ${table} ORDER BY seq`;
    this.byParent = `SELECT doc FROM ${table} WHERE parent = ? ORDER BY seq`;
    // A new row takes the next creation order; an existing one keeps its own.
    this.put = `INSERT INTO ${table} (arn, account_id, region, ${names.join(', ')}, seq, doc)
      VALUES (?, ?, ?, ${names.map(() => '?').join(', ')}, (SELECT COALESCE(MAX(seq), 0) + 1 FROM ${table}), ?)
      ON CONFLICT (arn) DO UPDATE SET ${[...names, 'doc'].map((c) => `${c} = excluded.${c}`).join(', ')}`;
    this.delete = `DELETE FROM ${table} WHERE arn = ?`;
  }
}

const LOAD_BALANCERS = new TableSql<LoadBalancerRecord>('load_balancers', 'name', (d) => [d.name]);
const TARGET_GROUPS = new TableSql<TargetGroupRecord>('target_groups', 'name', (d) => [d.name]);
const LISTENERS = new TableSql<ListenerRecord>('listeners', 'parent', (d) => [d.loadBalancerArn, d.port], ['port']);
const RULES = new TableSql<RuleRecord>('rules', 'parent', (d) => [d.listenerArn, d.priority], ['priority']);

const LISTENER_ON_PORT = 'SELECT doc FROM listeners WHERE port = ? ORDER BY seq LIMIT 1';
const TAGS = 'SELECT key, value FROM tags WHERE arn = ? ORDER BY key';
const PUT_TAG = 'INSERT INTO tags (arn, key, value) VALUES (?, ?, ?) ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value';
const REMOVE_TAG = 'DELETE FROM tags WHERE arn = ? AND key = ?';
const REMOVE_TAGS = 'DELETE FROM tags WHERE arn = ?';

const parse = <T>(rows: { doc: string }[]): T[] => rows.map((r) => JSON.parse(r.doc) as T);

/** Reads of one table of JSON documents, ordered by creation. */
export class Collection<T extends Scoped> {
  constructor(
    protected readonly ex: SqlExecutor,
    protected readonly sql: TableSql<T>,
  ) {}

  async get(arn: string): Promise<T | undefined> {
    const row = await this.ex.get<{ doc: string }>(this.sql.get, [arn]);
    return row ? (JSON.parse(row.doc) as T) : undefined;
  }

  async list(accountId: string, region: string): Promise<T[]> {
    return parse<T>(await this.ex.all<{ doc: string }>(this.sql.list, [accountId, region]));
  }

  async all(): Promise<T[]> {
    return parse<T>(await this.ex.all<{ doc: string }>(this.sql.all));
  }

  /** Listeners of a load balancer, rules of a listener. */
  async byParent(parent: string): Promise<T[]> {
    if (this.sql.key !== 'parent') throw new Error('no parent column');
    return parse<T>(await this.ex.all<{ doc: string }>(this.sql.byParent, [parent]));
  }
}

/** A collection inside a transaction: reads and writes. */
export class WritableCollection<T extends Scoped> extends Collection<T> {
  constructor(
    ex: SqlExecutor,
    sql: TableSql<T>,
    private readonly changed: () => void,
  ) {
    super(ex, sql);
  }

  /** Inserts or replaces a document (a replaced one keeps its creation order). */
  async put(doc: T): Promise<void> {
    await this.ex.run(this.sql.put, [doc.arn, doc.accountId, doc.region, ...this.sql.columns(doc), JSON.stringify(doc)]);
    this.changed();
  }

  async delete(arn: string): Promise<void> {
    await this.ex.run(this.sql.delete, [arn]);
    this.changed();
  }
}

/** Reads of every kind of record and of tags, on the database or inside a transaction. */
export class Elbv2Reader {
  readonly loadBalancers: Collection<LoadBalancerRecord>;
  readonly targetGroups: Collection<TargetGroupRecord>;
  readonly listeners: Collection<ListenerRecord>;
  readonly rules: Collection<RuleRecord>;

  constructor(protected readonly ex: SqlExecutor) {
    this.loadBalancers = new Collection(ex, LOAD_BALANCERS);
    this.targetGroups = new Collection(ex, TARGET_GROUPS);
    this.listeners = new Collection(ex, LISTENERS);
    this.rules = new Collection(ex, RULES);
  }

  /** The first listener (of any load balancer) on a port. */
  async listenerOnPort(port: number): Promise<ListenerRecord | undefined> {
    const row = await this.ex.get<{ doc: string }>(LISTENER_ON_PORT, [port]);
    return row ? (JSON.parse(row.doc) as ListenerRecord) : undefined;
  }

  async tags(arn: string): Promise<{ Key: string; Value: string }[]> {
    return (await this.ex.all<{ key: string; value: string }>(TAGS, [arn])).map((r) => ({ Key: r.key, Value: r.value }));
  }
}

/** Reads and writes inside one transaction. */
export class Elbv2Transaction extends Elbv2Reader {
  override readonly loadBalancers: WritableCollection<LoadBalancerRecord>;
  override readonly targetGroups: WritableCollection<TargetGroupRecord>;
  override readonly listeners: WritableCollection<ListenerRecord>;
  override readonly rules: WritableCollection<RuleRecord>;

  constructor(tx: SqlTransaction, origin: string) {
    super(tx);
    let notified = false;
    const changed = (): void => {
      if (notified) return;
      notified = true;
      tx.notify(CONFIG_SIGNAL, origin);
    };
    this.loadBalancers = new WritableCollection(tx, LOAD_BALANCERS, changed);
    this.targetGroups = new WritableCollection(tx, TARGET_GROUPS, changed);
    this.listeners = new WritableCollection(tx, LISTENERS, changed);
    this.rules = new WritableCollection(tx, RULES, changed);
  }

  async putTags(arn: string, tags: readonly { Key: string; Value?: string }[]): Promise<void> {
    for (const t of tags) await this.ex.run(PUT_TAG, [arn, t.Key, t.Value ?? '']);
  }

  async removeTags(arn: string, keys: readonly string[]): Promise<void> {
    for (const k of keys) await this.ex.run(REMOVE_TAG, [arn, k]);
  }

  async deleteAllTags(arn: string): Promise<void> {
    await this.ex.run(REMOVE_TAGS, [arn]);
  }
}

/** Everything the data planes are built from, read at one point in time. */
export interface Elbv2Snapshot {
  loadBalancers: LoadBalancerRecord[];
  targetGroups: TargetGroupRecord[];
  listeners: ListenerRecord[];
  rules: RuleRecord[];
}

export class Elbv2Store extends Elbv2Reader {
  readonly db: StoreDatabase;
  /** This node's token in CONFIG_SIGNAL payloads, so that a leader can skip the changes it applied itself. */
  readonly origin: string;

  private constructor(db: StoreDatabase, origin: string) {
    super(db);
    this.db = db;
    this.origin = origin;
  }

  /** Opens ELBv2's database (`elbv2/elbv2.db` on SQLite, schema `elbv2` on PostgreSQL). */
  static async open(storage: StorageBackend, origin: string): Promise<Elbv2Store> {
    return new Elbv2Store(await storage.open('elbv2', MIGRATIONS, { file: 'elbv2/elbv2.db' }), origin);
  }

  /**
   * Runs reads and writes as one transaction (serializable, retried on conflict on PostgreSQL, so
   * `work` must do nothing but database work). A change to a record signals CONFIG_SIGNAL on commit.
   */
  transaction<T>(work: (tx: Elbv2Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => work(new Elbv2Transaction(tx, this.origin)));
  }

  /** All records, consistently (one read-only transaction). */
  snapshot(): Promise<Elbv2Snapshot> {
    return this.db.transaction(
      async (tx) => {
        const r = new Elbv2Reader(tx);
        return { loadBalancers: await r.loadBalancers.all(), targetGroups: await r.targetGroups.all(), listeners: await r.listeners.all(), rules: await r.rules.all() };
      },
      { durable: false },
    );
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
