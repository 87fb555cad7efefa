// API Gateway state (REST APIs and HTTP APIs alike) behind the asynchronous store contract: one
// table of JSON documents keyed by (account, region, kind, api, id). An API's own row has kind
// `restapi` or `httpapi` and `api_id` = its id; its children (resources, methods, routes,
// integrations, authorizers, deployments, stages) carry the API's id; account-level things (API
// keys, usage plans, their keys) carry `api_id` = '' (or the plan's id for usage-plan keys).
// Every write tells every node's data plane what changed (the `apigateway.config` signal carrying
// the API id, or `*` for keys and plans), so the data plane caches an API until it changes.
import type { SqlExecutor, StorageBackend, StoreDatabase, StoreMigration } from '@atoll/core';

export const CONFIG_SIGNAL = 'apigateway.config';
/** The payload of CONFIG_SIGNAL for account-level changes (API keys, usage plans). */
export const ACCOUNT_LEVEL = '*';
/** The payload of CONFIG_SIGNAL for custom domain names and their mappings. */
export const DOMAINS = '#domains';

export type Kind =
  | 'restapi'
  | 'resource'
  | 'method'
  | 'deployment'
  | 'stage'
  | 'authorizer'
  | 'apikey'
  | 'usageplan'
  | 'usageplankey'
  | 'httpapi'
  | 'route'
  | 'integration'
  | 'domainname'
  | 'apimapping'
  | 'model'
  | 'requestvalidator'
  | 'gatewayresponse'
  | 'vpclink';

export interface Row<D = Record<string, unknown>> {
  accountId: string;
  region: string;
  kind: Kind;
  apiId: string;
  id: string;
  doc: D;
}

const MIGRATIONS: StoreMigration[] = [
  {
    version: 1,
    name: 'API Gateway documents',
    up: {
      sqlite: `
      CREATE TABLE docs (account_id TEXT NOT NULL, region TEXT NOT NULL, kind TEXT NOT NULL, api_id TEXT NOT NULL,
        id TEXT NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (account_id, region, kind, api_id, id));
      CREATE INDEX docs_api ON docs (api_id);
      CREATE INDEX docs_id ON docs (id);
    `,
      postgres: `
      CREATE TABLE docs (account_id TEXT NOT NULL, region TEXT NOT NULL, kind TEXT NOT NULL, api_id TEXT NOT NULL,
        id TEXT NOT NULL, seq BIGINT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (account_id, region, kind, api_id, id));
      CREATE INDEX docs_api ON docs (api_id);
      CREATE INDEX docs_id ON docs (id);
    `,
    },
  },
  {
    version: 2,
    name: 'usage plan quota counts',
    up: {
      sqlite: `
      CREATE TABLE quota_usage (account_id TEXT NOT NULL, region TEXT NOT NULL, plan_id TEXT NOT NULL, key_id TEXT NOT NULL,
        period_start TEXT NOT NULL, used INTEGER NOT NULL, PRIMARY KEY (account_id, region, plan_id, key_id, period_start));
    `,
      postgres: `
      CREATE TABLE quota_usage (account_id TEXT NOT NULL, region TEXT NOT NULL, plan_id TEXT NOT NULL, key_id TEXT NOT NULL,
        period_start TEXT NOT NULL, used BIGINT NOT NULL, PRIMARY KEY (account_id, region, plan_id, key_id, period_start));
    `,
    },
  },
];

interface DocRow {
  account_id: string;
  region: string;
  kind: string;
  api_id: string;
  id: string;
  doc: string;
}

const COLUMNS = 'account_id, region, kind, api_id, id, doc';

function toRow<D>(r: DocRow): Row<D> {
  return { accountId: r.account_id, region: r.region, kind: r.kind as Kind, apiId: r.api_id, id: r.id, doc: JSON.parse(r.doc) as D };
}

let lastSeq = 0;
/** Creation order, increasing on this node (list order; ties across nodes are broken by id). */
function nextSeq(): number {
  lastSeq = Math.max(lastSeq + 1, Date.now() * 1000);
  return lastSeq;
}

export class ApiGatewayStore {
  private constructor(readonly db: StoreDatabase) {}

  static async open(storage: StorageBackend): Promise<ApiGatewayStore> {
    return new ApiGatewayStore(await storage.open('apigateway', MIGRATIONS));
  }

  get signals(): StoreDatabase['signals'] {
    return this.db.signals;
  }

  /** Inserts a new document; false when one with that key exists already. */
  async insert(row: Row<unknown>): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const found = await tx.get(`SELECT 1 AS x FROM docs WHERE account_id = ? AND region = ? AND kind = ? AND api_id = ? AND id = ?`, [
        row.accountId,
        row.region,
        row.kind,
        row.apiId,
        row.id,
      ]);
      if (found) return false;
      await tx.run(`INSERT INTO docs (${COLUMNS}, seq) VALUES (?, ?, ?, ?, ?, ?, ?)`, [
        row.accountId,
        row.region,
        row.kind,
        row.apiId,
        row.id,
        JSON.stringify(row.doc),
        nextSeq(),
      ]);
      tx.notify(CONFIG_SIGNAL, signalOf(row));
      return true;
    });
  }

  /** Replaces a document's body; false when it does not exist. */
  async update(row: Row<unknown>): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const result = await tx.run(`UPDATE docs SET doc = ? WHERE account_id = ? AND region = ? AND kind = ? AND api_id = ? AND id = ?`, [
        JSON.stringify(row.doc),
        row.accountId,
        row.region,
        row.kind,
        row.apiId,
        row.id,
      ]);
      if (result.changes > 0) tx.notify(CONFIG_SIGNAL, signalOf(row));
      return result.changes > 0;
    });
  }

  async get<D>(accountId: string, region: string, kind: Kind, apiId: string, id: string): Promise<Row<D> | undefined> {
    const r = await this.db.get<DocRow>(`SELECT ${COLUMNS} FROM docs WHERE account_id = ? AND region = ? AND kind = ? AND api_id = ? AND id = ?`, [
      accountId,
      region,
      kind,
      apiId,
      id,
    ]);
    return r ? toRow<D>(r) : undefined;
  }

  async list<D>(accountId: string, region: string, kind: Kind, apiId: string): Promise<Row<D>[]> {
    const rows = await this.db.all<DocRow>(
      `SELECT ${COLUMNS} FROM docs WHERE account_id = ? AND region = ? AND kind = ? AND api_id = ? ORDER BY seq, id`,
      [accountId, region, kind, apiId],
    );
    return rows.map((r) => toRow<D>(r));
  }

  /** Every document of a kind in an account and region, whatever its API (APIs, API keys, usage plans). */
  async listKind<D>(accountId: string, region: string, kind: Kind): Promise<Row<D>[]> {
    const rows = await this.db.all<DocRow>(`SELECT ${COLUMNS} FROM docs WHERE account_id = ? AND region = ? AND kind = ? ORDER BY seq, id`, [
      accountId,
      region,
      kind,
    ]);
    return rows.map((r) => toRow<D>(r));
  }

  /** Deletes one document (and, for an API, everything under it); false when it did not exist. */
  async delete(accountId: string, region: string, kind: Kind, apiId: string, id: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const result = await tx.run(`DELETE FROM docs WHERE account_id = ? AND region = ? AND kind = ? AND api_id = ? AND id = ?`, [
        accountId,
        region,
        kind,
        apiId,
        id,
      ]);
      if (result.changes === 0) return false;
      if (kind === 'restapi' || kind === 'httpapi') {
        await tx.run(`DELETE FROM docs WHERE account_id = ? AND region = ? AND api_id = ? AND kind NOT IN ('apikey', 'usageplan', 'usageplankey')`, [accountId, region, id]);
      }
      if (kind === 'domainname') {
        await tx.run(`DELETE FROM docs WHERE account_id = ? AND region = ? AND kind = 'apimapping' AND api_id = ?`, [accountId, region, id]);
      }
      tx.notify(CONFIG_SIGNAL, signalOf({ kind, apiId }));
      return true;
    });
  }

  /** Deletes several documents of one API in one transaction (a resource and its subtree). */
  async deleteMany(accountId: string, region: string, apiId: string, keys: readonly { kind: Kind; id: string }[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const key of keys) {
        await tx.run(`DELETE FROM docs WHERE account_id = ? AND region = ? AND kind = ? AND api_id = ? AND id = ?`, [accountId, region, key.kind, apiId, key.id]);
      }
      tx.notify(CONFIG_SIGNAL, keys.some((k) => k.kind === 'apimapping' || k.kind === 'domainname') ? DOMAINS : apiId);
    });
  }

  /** An API by its id alone (the data plane knows only the id from the host), with all its children. */
  async loadApi(apiId: string): Promise<Row[] | undefined> {
    return loadApiRows(this.db, apiId);
  }

  /** Every custom domain name and API mapping of every account (the data plane matches hosts on them). */
  async loadDomains(): Promise<Row[]> {
    const rows = await this.db.all<DocRow>(`SELECT ${COLUMNS} FROM docs WHERE kind IN ('domainname', 'apimapping') ORDER BY seq, id`);
    return rows.map((r) => toRow<Record<string, unknown>>(r));
  }

  /**
   * Counts one request against a usage plan's quota for an API key in a period, atomically in the
   * database (every node shares the count): false, and nothing counted, when `limit` is reached.
   */
  async consumeQuota(accountId: string, region: string, planId: string, keyId: string, period: string, limit: number): Promise<boolean> {
    if (limit <= 0) return false;
    const result = await this.db.run(
      `INSERT INTO quota_usage (account_id, region, plan_id, key_id, period_start, used) VALUES (?, ?, ?, ?, ?, 1)
       ON CONFLICT (account_id, region, plan_id, key_id, period_start) DO UPDATE SET used = quota_usage.used + 1 WHERE quota_usage.used < ?`,
      [accountId, region, planId, keyId, period, limit],
    );
    return result.changes > 0;
  }

  /** Every account-level document (API keys, usage plans and their keys) of every account. */
  async loadAccountLevel(): Promise<Row[]> {
    const rows = await this.db.all<DocRow>(`SELECT ${COLUMNS} FROM docs WHERE kind IN ('apikey', 'usageplan', 'usageplankey') ORDER BY seq, id`);
    return rows.map((r) => toRow<Record<string, unknown>>(r));
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

async function loadApiRows(db: SqlExecutor, apiId: string): Promise<Row[] | undefined> {
  const rows = await db.all<DocRow>(`SELECT ${COLUMNS} FROM docs WHERE api_id = ? ORDER BY seq, id`, [apiId]);
  const out = rows.map((r) => toRow<Record<string, unknown>>(r)).filter((r) => r.kind !== 'usageplankey' && r.kind !== 'apimapping');
  return out.some((r) => (r.kind === 'restapi' || r.kind === 'httpapi') && r.id === apiId) ? out : undefined;
}

function signalOf(row: { kind: Kind; apiId: string }): string {
  if (row.kind === 'domainname' || row.kind === 'apimapping') return DOMAINS;
  return row.kind === 'apikey' || row.kind === 'usageplan' || row.kind === 'usageplankey' ? ACCOUNT_LEVEL : row.apiId;
}
