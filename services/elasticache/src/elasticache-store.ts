// ElastiCache's control-plane state behind the asynchronous store contract (SQLite or PostgreSQL):
// cache clusters, replication groups, parameter groups, snapshots, users and user groups, each a
// JSON document keyed by (account, region, kind, id). The engine processes themselves are not state:
// the fleet reconciler starts them from these records (elasticache-fleet.ts).
//
// Known limitations: documents are read and written whole; two writers of one record serialize
// through `update` (a transaction that reads and writes the row), the last writer's change wins.
import type { StorageBackend, StoreDatabase, StoreMigration } from '@atoll/core';

export type RecordKind = 'cluster' | 'replication-group' | 'parameter-group' | 'snapshot' | 'user' | 'user-group' | 'serverless-cache' | 'serverless-snapshot';

export interface Scope {
  accountId: string;
  region: string;
}

export interface StoredRecord<T> extends Scope {
  kind: RecordKind;
  id: string;
  body: T;
}

const MIGRATIONS: StoreMigration[] = [
  {
    version: 1,
    name: 'elasticache resources',
    up: `CREATE TABLE resources (
      account_id TEXT NOT NULL,
      region TEXT NOT NULL,
      kind TEXT NOT NULL,
      id TEXT NOT NULL,
      body TEXT NOT NULL,
      created_at TEXT NOT NULL,
      PRIMARY KEY (account_id, region, kind, id)
    )`,
  },
];

/** The channel on which every change to a cluster or replication group is signalled (the fleet listens). */
export const FLEET_CHANNEL = 'elasticache.fleet';

interface Row {
  account_id: string;
  region: string;
  kind: string;
  id: string;
  body: string;
}

const toRecord = <T>(row: Row): StoredRecord<T> => ({
  accountId: row.account_id,
  region: row.region,
  kind: row.kind as RecordKind,
  id: row.id,
  body: JSON.parse(row.body) as T,
});

export class ElastiCacheStore {
  readonly db: StoreDatabase;

  private constructor(db: StoreDatabase) {
    this.db = db;
  }

  /** Opens ElastiCache's database (`elasticache/elasticache.db` on SQLite, schema `elasticache` on PostgreSQL). */
  static async open(storage: StorageBackend): Promise<ElastiCacheStore> {
    return new ElastiCacheStore(await storage.open('elasticache', MIGRATIONS));
  }

  async get<T>(scope: Scope, kind: RecordKind, id: string): Promise<T | undefined> {
    const row = await this.db.get<Row>('SELECT body FROM resources WHERE account_id = ? AND region = ? AND kind = ? AND id = ?', [
      scope.accountId,
      scope.region,
      kind,
      id,
    ]);
    return row ? (JSON.parse(row.body) as T) : undefined;
  }

  /**
   * Inserts records that must not exist yet, all or none (a replication group and its member
   * clusters). Returns the id of the first one that already exists, or undefined once inserted.
   */
  async insert(scope: Scope, records: readonly { kind: RecordKind; id: string; body: unknown }[], signal = false): Promise<string | undefined> {
    return this.db.transaction(async (tx) => {
      for (const r of records) {
        const existing = await tx.get('SELECT id FROM resources WHERE account_id = ? AND region = ? AND kind = ? AND id = ?', [scope.accountId, scope.region, r.kind, r.id]);
        if (existing) return r.id;
      }
      const now = new Date().toISOString();
      for (const r of records) {
        await tx.run('INSERT INTO resources (account_id, region, kind, id, body, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
          scope.accountId,
          scope.region,
          r.kind,
          r.id,
          JSON.stringify(r.body),
          now,
        ]);
      }
      if (signal) tx.notify(FLEET_CHANNEL, 'insert');
      return undefined;
    });
  }

  /**
   * Reads, changes and writes records in one transaction. `change` gets the current bodies (undefined
   * for a missing one) and returns the new bodies (undefined deletes, the same object keeps). Its
   * result is returned. `change` must have no effect outside its return value (it may run twice).
   */
  async update<R>(
    scope: Scope,
    keys: readonly { kind: RecordKind; id: string }[],
    change: (bodies: (unknown | undefined)[]) => { bodies: (unknown | undefined)[]; result: R },
    signal = false,
  ): Promise<R> {
    return this.db.transaction(async (tx) => {
      const current: (unknown | undefined)[] = [];
      for (const k of keys) {
        const row = await tx.get<Row>(
          `SELECT body FROM resources WHERE account_id = ? AND region = ? AND kind = ? AND id = ?${tx.dialect.forUpdate}`,
          [scope.accountId, scope.region, k.kind, k.id],
        );
        current.push(row ? JSON.parse(row.body) : undefined);
      }
      const { bodies, result } = change(current.map((c) => (c === undefined ? undefined : structuredClone(c))));
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const body = bodies[i];
        if (body === undefined) {
          if (current[i] !== undefined) {
            await tx.run('DELETE FROM resources WHERE account_id = ? AND region = ? AND kind = ? AND id = ?', [scope.accountId, scope.region, k.kind, k.id]);
          }
        } else if (current[i] === undefined) {
          await tx.run('INSERT INTO resources (account_id, region, kind, id, body, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
            scope.accountId,
            scope.region,
            k.kind,
            k.id,
            JSON.stringify(body),
            new Date().toISOString(),
          ]);
        } else {
          await tx.run('UPDATE resources SET body = ? WHERE account_id = ? AND region = ? AND kind = ? AND id = ?', [
            JSON.stringify(body),
            scope.accountId,
            scope.region,
            k.kind,
            k.id,
          ]);
        }
      }
      if (signal) tx.notify(FLEET_CHANNEL, 'update');
      return result;
    });
  }

  /** One kind's records in a scope, by id. */
  async list<T>(scope: Scope, kind: RecordKind): Promise<T[]> {
    const rows = await this.db.all<Row>('SELECT body FROM resources WHERE account_id = ? AND region = ? AND kind = ? ORDER BY id', [scope.accountId, scope.region, kind]);
    return rows.map((r) => JSON.parse(r.body) as T);
  }

  /** One kind's records across every account and region (the fleet reconciler). */
  async listEverywhere<T>(kind: RecordKind): Promise<StoredRecord<T>[]> {
    const rows = await this.db.all<Row>('SELECT account_id, region, kind, id, body FROM resources WHERE kind = ? ORDER BY account_id, region, id', [kind]);
    return rows.map((r) => toRecord<T>(r));
  }

  async delete(scope: Scope, kind: RecordKind, id: string, signal = false): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const { changes } = await tx.run('DELETE FROM resources WHERE account_id = ? AND region = ? AND kind = ? AND id = ?', [scope.accountId, scope.region, kind, id]);
      if (signal && changes > 0) tx.notify(FLEET_CHANNEL, 'delete');
      return changes > 0;
    });
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
