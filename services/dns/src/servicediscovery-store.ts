// Cloud Map state behind the asynchronous store contract: one table of JSON documents (namespaces,
// services, instances, operations) keyed by kind and id, with a unique name per parent (a
// namespace's name per account and region, a service's per namespace, an instance's id per service).
import type { StorageBackend, StoreDatabase, StoreMigration } from '@atoll/core';
import { isUniqueViolation } from '@atoll/storage';

export type SdKind = 'namespace' | 'service' | 'instance' | 'operation';

export interface SdRow<D> {
  kind: SdKind;
  id: string;
  accountId: string;
  region: string;
  /** The namespace of a service, the service of an instance; '' otherwise. */
  parent: string;
  /** Unique per (account, region, kind, parent): a namespace's or service's name, an instance's id. */
  name: string;
  created: number;
  doc: D;
}

const MIGRATIONS: StoreMigration[] = [
  {
    version: 1,
    name: 'Cloud Map documents',
    up: `
      CREATE TABLE docs (kind TEXT NOT NULL, id TEXT NOT NULL, account_id TEXT NOT NULL, region TEXT NOT NULL, parent TEXT NOT NULL,
        name TEXT NOT NULL, created BIGINT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (kind, id));
      CREATE UNIQUE INDEX docs_name ON docs (account_id, region, kind, parent, name);
      CREATE INDEX docs_parent ON docs (kind, parent);
    `,
  },
];

interface Raw {
  kind: string;
  id: string;
  account_id: string;
  region: string;
  parent: string;
  name: string;
  created: number | string;
  doc: string;
}

const COLUMNS = 'kind, id, account_id, region, parent, name, created, doc';
const toRow = <D>(r: Raw): SdRow<D> => ({
  kind: r.kind as SdKind,
  id: r.id,
  accountId: r.account_id,
  region: r.region,
  parent: r.parent,
  name: r.name,
  created: Number(r.created),
  doc: JSON.parse(r.doc) as D,
});

export class ServiceDiscoveryStore {
  private constructor(readonly db: StoreDatabase) {}

  static async open(storage: StorageBackend): Promise<ServiceDiscoveryStore> {
    return new ServiceDiscoveryStore(await storage.open('servicediscovery', MIGRATIONS));
  }

  /** Inserts a document; answers the one already holding its name instead. */
  async insert<D>(row: SdRow<D>): Promise<{ inserted: true } | { inserted: false; existing: SdRow<D> }> {
    try {
      return await this.db.transaction(async (tx) => {
        const found = await tx.get<Raw>(`SELECT ${COLUMNS} FROM docs WHERE account_id = ? AND region = ? AND kind = ? AND parent = ? AND name = ?`, [
          row.accountId,
          row.region,
          row.kind,
          row.parent,
          row.name,
        ]);
        if (found) return { inserted: false as const, existing: toRow<D>(found) };
        await tx.run(`INSERT INTO docs (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [
          row.kind,
          row.id,
          row.accountId,
          row.region,
          row.parent,
          row.name,
          row.created,
          JSON.stringify(row.doc),
        ]);
        return { inserted: true as const };
      });
    } catch (error) {
      // Another node inserted the same name between our read and write.
      if (!isUniqueViolation(error)) throw error;
      const existing = await this.byName<D>(row.accountId, row.region, row.kind, row.parent, row.name);
      if (!existing) throw error;
      return { inserted: false, existing };
    }
  }

  /** Inserts or replaces a document by its name under its parent (an instance registered again). */
  async upsert<D>(row: SdRow<D>): Promise<void> {
    await this.db.run(
      `INSERT INTO docs (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (account_id, region, kind, parent, name) DO UPDATE SET doc = excluded.doc`,
      [row.kind, row.id, row.accountId, row.region, row.parent, row.name, row.created, JSON.stringify(row.doc)],
    );
  }

  async get<D>(kind: SdKind, id: string): Promise<SdRow<D> | undefined> {
    const r = await this.db.get<Raw>(`SELECT ${COLUMNS} FROM docs WHERE kind = ? AND id = ?`, [kind, id]);
    return r ? toRow<D>(r) : undefined;
  }

  async byName<D>(accountId: string, region: string, kind: SdKind, parent: string, name: string): Promise<SdRow<D> | undefined> {
    const r = await this.db.get<Raw>(`SELECT ${COLUMNS} FROM docs WHERE account_id = ? AND region = ? AND kind = ? AND parent = ? AND name = ?`, [
      accountId,
      region,
      kind,
      parent,
      name,
    ]);
    return r ? toRow<D>(r) : undefined;
  }

  async update<D>(kind: SdKind, id: string, doc: D): Promise<boolean> {
    const result = await this.db.run('UPDATE docs SET doc = ? WHERE kind = ? AND id = ?', [JSON.stringify(doc), kind, id]);
    return result.changes > 0;
  }

  /** An account's documents of a kind in a region (under `parent`, when given), oldest first. */
  async list<D>(accountId: string, region: string, kind: SdKind, parent?: string): Promise<SdRow<D>[]> {
    const rows =
      parent === undefined
        ? await this.db.all<Raw>(`SELECT ${COLUMNS} FROM docs WHERE account_id = ? AND region = ? AND kind = ? ORDER BY created, id`, [accountId, region, kind])
        : await this.db.all<Raw>(`SELECT ${COLUMNS} FROM docs WHERE account_id = ? AND region = ? AND kind = ? AND parent = ? ORDER BY created, id`, [
            accountId,
            region,
            kind,
            parent,
          ]);
    return rows.map((r) => toRow<D>(r));
  }

  async count(kind: SdKind, parent: string): Promise<number> {
    const row = await this.db.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM docs WHERE kind = ? AND parent = ?', [kind, parent]);
    return Number(row?.n ?? 0);
  }

  /** Deletes a document; when `unlessChildren` names a kind, only if it has none of them ('in-use'). */
  async delete(kind: SdKind, id: string, unlessChildren?: SdKind): Promise<'deleted' | 'missing' | 'in-use'> {
    return this.db.transaction(async (tx) => {
      if (unlessChildren) {
        const child = await tx.get('SELECT 1 AS x FROM docs WHERE kind = ? AND parent = ? LIMIT 1', [unlessChildren, id]);
        if (child) return 'in-use';
      }
      const result = await tx.run('DELETE FROM docs WHERE kind = ? AND id = ?', [kind, id]);
      return result.changes > 0 ? 'deleted' : 'missing';
    });
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
