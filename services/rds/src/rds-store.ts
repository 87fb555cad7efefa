// RDS state behind the asynchronous store contract (SQLite or PostgreSQL): one table per resource
// kind (DB instances, DB clusters, snapshots, DB parameter groups) holding JSON documents keyed by account, region and
// identifier (lower case, as RDS keeps them). Every write sends the `rds.changed` signal, which the
// engine host follows to bring the engines in line with the records on whichever node leads them.
import type { SqlExecutor, StorageBackend, StoreDatabase, StoreMigration } from '@atoll/core';
import { isUniqueViolation } from '@atoll/storage';
import type { ClusterRecord, InstanceRecord, ParameterGroupRecord, SnapshotRecord } from './records.js';

export const CHANGED_SIGNAL = 'rds.changed';

const TABLES = ['db_instances', 'db_clusters', 'db_snapshots'] as const;
type Table = (typeof TABLES)[number] | 'db_parameter_groups';

const MIGRATIONS: StoreMigration[] = [
  {
    version: 1,
    name: 'DB instances, DB clusters, snapshots',
    up: TABLES.map(
      (table) =>
        `CREATE TABLE ${table} (account_id TEXT NOT NULL, region TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, ` +
        `PRIMARY KEY (account_id, region, id));`,
    ).join('\n'),
  },
  {
    version: 2,
    name: 'DB parameter groups',
    up: 'CREATE TABLE db_parameter_groups (account_id TEXT NOT NULL, region TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (account_id, region, id));',
  },
];

interface Keyed {
  accountId: string;
  region: string;
  id: string;
}

/** Thrown by `insert` when the identifier is taken. */
export class RecordExistsError extends Error {
  constructor(id: string) {
    super(`record ${id} exists`);
    this.name = 'RecordExistsError';
  }
}

/** One kind of document: insert, read, list, update under a row lock, delete. */
export class DocumentTable<T extends Keyed> {
  readonly #db: StoreDatabase;
  readonly #table: Table;

  constructor(db: StoreDatabase, table: Table) {
    this.#db = db;
    this.#table = table;
  }

  async insert(record: T): Promise<void> {
    try {
      await this.#db.transaction(async (tx) => {
        await tx.run(`INSERT INTO ${this.#table} (account_id, region, id, doc) VALUES (?, ?, ?, ?)`, [
          record.accountId,
          record.region,
          record.id,
          JSON.stringify(record),
        ]);
        tx.notify(CHANGED_SIGNAL, this.#table);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new RecordExistsError(record.id);
      throw error;
    }
  }

  async get(accountId: string, region: string, id: string, executor: SqlExecutor = this.#db): Promise<T | undefined> {
    const row = await executor.get<{ doc: string }>(`SELECT doc FROM ${this.#table} WHERE account_id = ? AND region = ? AND id = ?`, [
      accountId,
      region,
      id,
    ]);
    return row ? (JSON.parse(row.doc) as T) : undefined;
  }

  /** The documents of one account and region, by identifier. */
  async list(accountId: string, region: string): Promise<T[]> {
    const rows = await this.#db.all<{ doc: string }>(`SELECT doc FROM ${this.#table} WHERE account_id = ? AND region = ? ORDER BY id`, [
      accountId,
      region,
    ]);
    return rows.map((row) => JSON.parse(row.doc) as T);
  }

  /** Every document of every account and region (the engine host's reconcile). */
  async all(): Promise<T[]> {
    const rows = await this.#db.all<{ doc: string }>(`SELECT doc FROM ${this.#table} ORDER BY account_id, region, id`);
    return rows.map((row) => JSON.parse(row.doc) as T);
  }

  /**
   * Changes one document under a row lock: `change` returns the new document, or undefined to leave it
   * (it may throw to refuse the change). Resolves with the stored document, or undefined when absent.
   */
  async update(accountId: string, region: string, id: string, change: (current: T) => T | undefined): Promise<T | undefined> {
    return this.#db.transaction(async (tx) => {
      const row = await tx.get<{ doc: string }>(
        `SELECT doc FROM ${this.#table} WHERE account_id = ? AND region = ? AND id = ?${tx.dialect.forUpdate}`,
        [accountId, region, id],
      );
      if (!row) return undefined;
      const current = JSON.parse(row.doc) as T;
      const next = change(current);
      if (!next) return current;
      await tx.run(`UPDATE ${this.#table} SET doc = ? WHERE account_id = ? AND region = ? AND id = ?`, [JSON.stringify(next), accountId, region, id]);
      tx.notify(CHANGED_SIGNAL, this.#table);
      return next;
    });
  }

  async delete(accountId: string, region: string, id: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const result = await tx.run(`DELETE FROM ${this.#table} WHERE account_id = ? AND region = ? AND id = ?`, [accountId, region, id]);
      if (result.changes > 0) tx.notify(CHANGED_SIGNAL, this.#table);
      return result.changes > 0;
    });
  }
}

export class RdsStore {
  readonly instances: DocumentTable<InstanceRecord>;
  readonly clusters: DocumentTable<ClusterRecord>;
  readonly snapshots: DocumentTable<SnapshotRecord>;
  readonly parameterGroups: DocumentTable<ParameterGroupRecord>;
  readonly #db: StoreDatabase;

  private constructor(db: StoreDatabase) {
    this.#db = db;
    this.instances = new DocumentTable(db, 'db_instances');
    this.clusters = new DocumentTable(db, 'db_clusters');
    this.snapshots = new DocumentTable(db, 'db_snapshots');
    this.parameterGroups = new DocumentTable(db, 'db_parameter_groups');
  }

  static async open(storage: StorageBackend): Promise<RdsStore> {
    return new RdsStore(await storage.open('rds', MIGRATIONS));
  }

  /** Calls `handler` whenever any node changes a record. Returns the unsubscribe function. */
  onChange(handler: () => void): () => void {
    return this.#db.signals.listen(CHANGED_SIGNAL, handler);
  }

  close(): Promise<void> {
    return this.#db.close();
  }
}
