// The Lambda service's state behind the store contract (SQLite or PostgreSQL): functions, versions,
// aliases, layers, event source mappings, function URLs, small settings and the durable queue of
// asynchronous invocations (logs: log-store.ts). Records are JSON documents keyed by account, region
// and name; the provider owns their shape. Functions, versions and aliases read outside a
// transaction are cached on the node; a transaction that changes a function signals
// `lambda.function`, which drops it from every node's cache, so that a miss reads the database.
import type { SqlExecutor, SqlTransaction, StorageBackend, StoreDatabase, StoreMigration, TransactionOptions } from '@atoll/core';
import type {
  AliasRecord,
  AsyncInvocationRecord,
  EventSourceMappingRecord,
  FunctionRecord,
  LayerVersionRecord,
  UrlConfigRecord,
  VersionRecord,
} from './lambda-records.js';
import type { Scope } from './function-names.js';

const POSTGRES_INIT = `
  CREATE TABLE functions (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT COLLATE "C" NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (account, region, name));
  CREATE TABLE versions (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT COLLATE "C" NOT NULL, version TEXT NOT NULL,
    seq INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (account, region, name, version));
  CREATE TABLE aliases (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT COLLATE "C" NOT NULL, alias TEXT COLLATE "C" NOT NULL,
    doc TEXT NOT NULL, PRIMARY KEY (account, region, name, alias));
  CREATE TABLE layer_versions (account TEXT NOT NULL, region TEXT NOT NULL, layer TEXT COLLATE "C" NOT NULL, version INTEGER NOT NULL,
    doc TEXT NOT NULL, PRIMARY KEY (account, region, layer, version));
  CREATE TABLE event_source_mappings (uuid TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL,
    function_name TEXT NOT NULL, doc TEXT NOT NULL);
  CREATE TABLE function_urls (url_id TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL,
    name TEXT NOT NULL, qualifier TEXT NOT NULL, doc TEXT NOT NULL);
  CREATE UNIQUE INDEX function_urls_by_function ON function_urls (account, region, name, qualifier);
  CREATE TABLE async_invocations (id BIGSERIAL PRIMARY KEY, due BIGINT NOT NULL, doc TEXT NOT NULL,
    payload BYTEA NOT NULL);
  CREATE INDEX async_invocations_due ON async_invocations (due);
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

export const LAMBDA_MIGRATIONS: readonly StoreMigration[] = [
  {
    version: 1,
    name: 'init',
    up: {
      sqlite: `
      CREATE TABLE functions (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (account, region, name));
      CREATE TABLE versions (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL,
        seq INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (account, region, name, version));
      CREATE TABLE aliases (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, alias TEXT NOT NULL,
        doc TEXT NOT NULL, PRIMARY KEY (account, region, name, alias));
      CREATE TABLE layer_versions (account TEXT NOT NULL, region TEXT NOT NULL, layer TEXT NOT NULL, version INTEGER NOT NULL,
        doc TEXT NOT NULL, PRIMARY KEY (account, region, layer, version));
      CREATE TABLE event_source_mappings (uuid TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL,
        function_name TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE TABLE function_urls (url_id TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL,
        name TEXT NOT NULL, qualifier TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE UNIQUE INDEX function_urls_by_function ON function_urls (account, region, name, qualifier);
      CREATE TABLE async_invocations (id INTEGER PRIMARY KEY AUTOINCREMENT, due INTEGER NOT NULL, doc TEXT NOT NULL,
        payload BLOB NOT NULL);
      CREATE INDEX async_invocations_due ON async_invocations (due);
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
      postgres: POSTGRES_INIT,
    },
  },
  {
    // Functions run with their execution role's sessions now: the access keys of the per-function
    // IAM users are forgotten, and the users themselves are deleted once (legacy-function-users.ts).
    version: 2,
    name: 'execution-role-sessions',
    up: `
      DELETE FROM meta WHERE key LIKE 'function-key:%';
      INSERT INTO meta (key, value) VALUES ('legacy-function-users', 'pending') ON CONFLICT (key) DO NOTHING;
    `,
  },
];

/** Signal channels: a function changed (`account\nregion\nname`), a mapping changed (its uuid), an invocation was queued. */
const FUNCTION_SIGNAL = 'lambda.function';
const MAPPING_SIGNAL = 'lambda.mapping';
const ASYNC_SIGNAL = 'lambda.async';
/** Sent by the PostgreSQL engine after its signal connection came back: signals may have been lost. */
const RECONNECTED_SIGNAL = 'atoll.reconnected';
/** Past this many cached functions the cache starts over (it is a cache of the hot set, not a copy). */
const MAX_CACHED_FUNCTIONS = 10_000;

const SQL = {
  getFunction: 'SELECT doc FROM functions WHERE account = ? AND region = ? AND name = ?',
  putFunction:
    'INSERT INTO functions (account, region, name, doc) VALUES (?, ?, ?, ?) ON CONFLICT (account, region, name) DO UPDATE SET doc = excluded.doc',
  listFunctions: 'SELECT doc FROM functions WHERE account = ? AND region = ? ORDER BY name',
  getVersion: 'SELECT doc FROM versions WHERE account = ? AND region = ? AND name = ? AND version = ?',
  putVersion:
    'INSERT INTO versions (account, region, name, version, seq, doc) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account, region, name, version) DO UPDATE SET doc = excluded.doc',
  listVersions: 'SELECT doc FROM versions WHERE account = ? AND region = ? AND name = ? ORDER BY seq',
  listScopeVersions: 'SELECT doc FROM versions WHERE account = ? AND region = ? ORDER BY name, seq',
  listLatest: 'SELECT doc FROM versions WHERE account = ? AND region = ? AND version = ? ORDER BY name',
  deleteVersion: 'DELETE FROM versions WHERE account = ? AND region = ? AND name = ? AND version = ?',
  getAlias: 'SELECT doc FROM aliases WHERE account = ? AND region = ? AND name = ? AND alias = ?',
  putAlias:
    'INSERT INTO aliases (account, region, name, alias, doc) VALUES (?, ?, ?, ?, ?) ON CONFLICT (account, region, name, alias) DO UPDATE SET doc = excluded.doc',
  listAliases: 'SELECT doc FROM aliases WHERE account = ? AND region = ? AND name = ? ORDER BY alias',
  deleteAlias: 'DELETE FROM aliases WHERE account = ? AND region = ? AND name = ? AND alias = ?',
  deleteFunctionRows: ['functions', 'versions', 'aliases', 'function_urls'].map((table) => `DELETE FROM ${table} WHERE account = ? AND region = ? AND name = ?`),
  deleteFunctionMappings: 'DELETE FROM event_source_mappings WHERE account = ? AND region = ? AND function_name = ?',
  getLayerVersion: 'SELECT doc FROM layer_versions WHERE account = ? AND region = ? AND layer = ? AND version = ?',
  maxLayerVersion: 'SELECT MAX(version) AS v FROM layer_versions WHERE account = ? AND region = ? AND layer = ?',
  insertLayerVersion: 'INSERT INTO layer_versions (account, region, layer, version, doc) VALUES (?, ?, ?, ?, ?)',
  listLayerVersions: 'SELECT doc FROM layer_versions WHERE account = ? AND region = ? ORDER BY layer, version DESC',
  listLayerVersionsOf: 'SELECT doc FROM layer_versions WHERE account = ? AND region = ? AND layer = ? ORDER BY version DESC',
  deleteLayerVersion: 'DELETE FROM layer_versions WHERE account = ? AND region = ? AND layer = ? AND version = ?',
  getMapping: 'SELECT doc FROM event_source_mappings WHERE uuid = ?',
  putMapping:
    'INSERT INTO event_source_mappings (uuid, account, region, function_name, doc) VALUES (?, ?, ?, ?, ?) ON CONFLICT (uuid) DO UPDATE SET function_name = excluded.function_name, doc = excluded.doc',
  listMappings: 'SELECT doc FROM event_source_mappings WHERE account = ? AND region = ?',
  listAllMappings: 'SELECT doc FROM event_source_mappings',
  deleteMapping: 'DELETE FROM event_source_mappings WHERE uuid = ?',
  getUrl: 'SELECT doc FROM function_urls WHERE account = ? AND region = ? AND name = ? AND qualifier = ?',
  getUrlById: 'SELECT doc FROM function_urls WHERE url_id = ?',
  putUrl:
    'INSERT INTO function_urls (url_id, account, region, name, qualifier, doc) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (url_id) DO UPDATE SET doc = excluded.doc',
  listUrls: 'SELECT doc FROM function_urls WHERE account = ? AND region = ? AND name = ?',
  deleteUrl: 'DELETE FROM function_urls WHERE url_id = ?',
  getMeta: 'SELECT value FROM meta WHERE key = ?',
  putMeta: 'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  addMeta: 'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING',
  enqueueAsync: 'INSERT INTO async_invocations (due, doc, payload) VALUES (?, ?, ?)',
  dueAsync: 'SELECT id, doc, payload FROM async_invocations WHERE due <= ? ORDER BY due, id LIMIT ?',
  nextAsyncDue: 'SELECT MIN(due) AS due FROM async_invocations',
  countAsync: 'SELECT COUNT(*) AS n FROM async_invocations',
  rescheduleAsync: 'UPDATE async_invocations SET due = ?, doc = ? WHERE id = ?',
  finishAsync: 'DELETE FROM async_invocations WHERE id = ?',
} as const;

export interface QueuedInvocation {
  id: number;
  record: AsyncInvocationRecord;
  payload: Buffer;
}

type DocRow = { doc: string };

const functionKey = (s: Scope, name: string): string => `${s.account}\n${s.region}\n${name}`;
const scopeKey = (s: Scope): string => `${s.account}\n${s.region}`;

async function one<T>(row: Promise<DocRow | undefined>): Promise<T | undefined> {
  const r = await row;
  return r ? (JSON.parse(r.doc) as T) : undefined;
}

async function many<T>(rows: Promise<DocRow[]>): Promise<T[]> {
  return (await rows).map((r) => JSON.parse(r.doc) as T);
}

/**
 * Every read, on one executor: the database (LambdaStore, where functions, versions and aliases are
 * cached) or a transaction that is about to write (LambdaTransaction).
 */
export class LambdaReader {
  constructor(protected readonly x: SqlExecutor) {}

  getFunction(s: Scope, name: string): Promise<FunctionRecord | undefined> {
    return one(this.x.get<DocRow>(SQL.getFunction, [s.account, s.region, name]));
  }

  listFunctions(s: Scope): Promise<FunctionRecord[]> {
    return many(this.x.all<DocRow>(SQL.listFunctions, [s.account, s.region]));
  }

  getVersion(s: Scope, name: string, version: string): Promise<VersionRecord | undefined> {
    return one(this.x.get<DocRow>(SQL.getVersion, [s.account, s.region, name, version]));
  }

  listVersions(s: Scope, name: string): Promise<VersionRecord[]> {
    return many(this.x.all<DocRow>(SQL.listVersions, [s.account, s.region, name]));
  }

  /** Every version of every function of the scope, by function name and version. */
  listScopeVersions(s: Scope): Promise<VersionRecord[]> {
    return many(this.x.all<DocRow>(SQL.listScopeVersions, [s.account, s.region]));
  }

  /** The $LATEST version of every function of the scope, by function name. */
  listLatestVersions(s: Scope): Promise<VersionRecord[]> {
    return many(this.x.all<DocRow>(SQL.listLatest, [s.account, s.region, '$LATEST']));
  }

  getAlias(s: Scope, name: string, alias: string): Promise<AliasRecord | undefined> {
    return one(this.x.get<DocRow>(SQL.getAlias, [s.account, s.region, name, alias]));
  }

  listAliases(s: Scope, name: string): Promise<AliasRecord[]> {
    return many(this.x.all<DocRow>(SQL.listAliases, [s.account, s.region, name]));
  }

  getLayerVersion(s: Scope, layer: string, version: number): Promise<LayerVersionRecord | undefined> {
    return one(this.x.get<DocRow>(SQL.getLayerVersion, [s.account, s.region, layer, version]));
  }

  /** Layer versions, newest first (of every layer, by layer name, when `layer` is not given). */
  listLayerVersions(s: Scope, layer?: string): Promise<LayerVersionRecord[]> {
    return layer === undefined
      ? many(this.x.all<DocRow>(SQL.listLayerVersions, [s.account, s.region]))
      : many(this.x.all<DocRow>(SQL.listLayerVersionsOf, [s.account, s.region, layer]));
  }

  getMapping(uuid: string): Promise<EventSourceMappingRecord | undefined> {
    return one(this.x.get<DocRow>(SQL.getMapping, [uuid]));
  }

  /** The mappings of a scope, or of every scope. */
  listMappings(s?: Scope): Promise<EventSourceMappingRecord[]> {
    return s ? many(this.x.all<DocRow>(SQL.listMappings, [s.account, s.region])) : many(this.x.all<DocRow>(SQL.listAllMappings));
  }

  getUrl(s: Scope, name: string, qualifier: string): Promise<UrlConfigRecord | undefined> {
    return one(this.x.get<DocRow>(SQL.getUrl, [s.account, s.region, name, qualifier]));
  }

  getUrlById(urlId: string): Promise<UrlConfigRecord | undefined> {
    return one(this.x.get<DocRow>(SQL.getUrlById, [urlId]));
  }

  listUrls(s: Scope, name: string): Promise<UrlConfigRecord[]> {
    return many(this.x.all<DocRow>(SQL.listUrls, [s.account, s.region, name]));
  }

  async getMeta(key: string): Promise<string | undefined> {
    return (await this.x.get<{ value: string }>(SQL.getMeta, [key]))?.value;
  }
}

/**
 * Reads and writes inside one transaction. It notes the functions and mappings it changes, so that
 * the store signals them when (and only if) the transaction commits.
 */
export class LambdaTransaction extends LambdaReader {
  /** Functions changed (`account\nregion\nname`). */
  readonly functions = new Set<string>();
  /** Event source mappings changed (their uuid; '' for "look at them all"). */
  readonly mappings = new Set<string>();

  constructor(tx: SqlTransaction) {
    super(tx);
  }

  async putFunction(s: Scope, fn: FunctionRecord): Promise<void> {
    await this.x.run(SQL.putFunction, [s.account, s.region, fn.name, JSON.stringify(fn)]);
    this.functions.add(functionKey(s, fn.name));
  }

  /** Deletes a function with its versions, aliases, URLs and event source mappings. */
  async deleteFunction(s: Scope, name: string): Promise<void> {
    const params = [s.account, s.region, name];
    for (const sql of SQL.deleteFunctionRows) await this.x.run(sql, params);
    if ((await this.x.run(SQL.deleteFunctionMappings, params)).changes > 0) this.mappings.add('');
    this.functions.add(functionKey(s, name));
  }

  async putVersion(s: Scope, v: VersionRecord): Promise<void> {
    const seq = v.version === '$LATEST' ? 0 : Number(v.version);
    await this.x.run(SQL.putVersion, [s.account, s.region, v.name, v.version, seq, JSON.stringify(v)]);
    this.functions.add(functionKey(s, v.name));
  }

  /**
   * Publishes the next version of a function: takes the number after the function's last one (read
   * in this transaction, so two publishes never take the same number) and stores `make(number)`.
   */
  async addVersion(s: Scope, name: string, make: (version: string) => VersionRecord): Promise<VersionRecord> {
    const fn = await this.getFunction(s, name);
    if (!fn) throw new Error(`function ${name} does not exist`);
    fn.lastVersion += 1;
    const record = make(String(fn.lastVersion));
    await this.putFunction(s, fn);
    await this.putVersion(s, record);
    return record;
  }

  async deleteVersion(s: Scope, name: string, version: string): Promise<void> {
    await this.x.run(SQL.deleteVersion, [s.account, s.region, name, version]);
    this.functions.add(functionKey(s, name));
  }

  async putAlias(s: Scope, a: AliasRecord): Promise<void> {
    await this.x.run(SQL.putAlias, [s.account, s.region, a.functionName, a.name, JSON.stringify(a)]);
    this.functions.add(functionKey(s, a.functionName));
  }

  async deleteAlias(s: Scope, name: string, alias: string): Promise<void> {
    await this.x.run(SQL.deleteAlias, [s.account, s.region, name, alias]);
    this.functions.add(functionKey(s, name));
  }

  /**
   * Publishes the next version of a layer (one more than any version it ever had, deleted ones
   * included) and stores `make(number)`.
   */
  async addLayerVersion(s: Scope, layer: string, make: (version: number) => LayerVersionRecord): Promise<LayerVersionRecord> {
    const metaKey = `layer-seq:${s.account}:${s.region}:${layer}`;
    const row = await this.x.get<{ v: number | null }>(SQL.maxLayerVersion, [s.account, s.region, layer]);
    const version = Math.max(row?.v ?? 0, Number((await this.getMeta(metaKey)) ?? 0)) + 1;
    const record = make(version);
    await this.x.run(SQL.insertLayerVersion, [s.account, s.region, layer, version, JSON.stringify(record)]);
    await this.putMeta(metaKey, String(version));
    return record;
  }

  async deleteLayerVersion(s: Scope, layer: string, version: number): Promise<void> {
    await this.x.run(SQL.deleteLayerVersion, [s.account, s.region, layer, version]);
  }

  async putMapping(m: EventSourceMappingRecord): Promise<void> {
    await this.x.run(SQL.putMapping, [m.uuid, m.account, m.region, m.functionName, JSON.stringify(m)]);
    this.mappings.add(m.uuid);
  }

  /** Changes a mapping's processing state (result, checkpoints) without telling the pollers to restart. */
  async putMappingProgress(m: EventSourceMappingRecord): Promise<void> {
    await this.x.run(SQL.putMapping, [m.uuid, m.account, m.region, m.functionName, JSON.stringify(m)]);
  }

  async deleteMapping(uuid: string): Promise<void> {
    await this.x.run(SQL.deleteMapping, [uuid]);
    this.mappings.add(uuid);
  }

  /** Stores a URL configuration; a second URL for the same function and qualifier is a unique violation. */
  async putUrl(u: UrlConfigRecord): Promise<void> {
    await this.x.run(SQL.putUrl, [u.urlId, u.account, u.region, u.functionName, u.qualifier, JSON.stringify(u)]);
  }

  async deleteUrl(urlId: string): Promise<void> {
    await this.x.run(SQL.deleteUrl, [urlId]);
  }

  async putMeta(key: string, value: string): Promise<void> {
    await this.x.run(SQL.putMeta, [key, value]);
  }
}

export class LambdaStore extends LambdaReader {
  readonly #db: StoreDatabase;
  /** Cached functions, versions and aliases, per function; entries are frozen. */
  readonly #cache = new Map<string, Map<string, unknown>>();
  /** Sums of reserved concurrency per scope. */
  readonly #reserved = new Map<string, number>();
  /** Bumped by every invalidation: a read that started before one must not fill the cache. */
  #epoch = 0;
  readonly #unlisten: (() => void)[];

  private constructor(db: StoreDatabase) {
    super(db);
    this.#db = db;
    this.#unlisten = [
      db.signals.listen(FUNCTION_SIGNAL, (key) => this.#invalidate(key)),
      db.signals.listen(RECONNECTED_SIGNAL, () => this.#invalidate(undefined)),
    ];
  }

  /** Opens the store (`lambda/lambda.db` on SQLite, schema `lambda` on PostgreSQL). */
  static async open(storage: StorageBackend): Promise<LambdaStore> {
    return new LambdaStore(await storage.open('lambda', LAMBDA_MIGRATIONS, { file: 'lambda/lambda.db' }));
  }

  async close(): Promise<void> {
    for (const unlisten of this.#unlisten) unlisten();
    await this.#db.close();
  }

  /**
   * Runs `work` in one transaction (SERIALIZABLE on PostgreSQL, where it may run again), then tells
   * every node which functions and mappings it changed. Errors thrown by `work` undo it.
   */
  async transaction<T>(work: (t: LambdaTransaction) => Promise<T>, options?: TransactionOptions): Promise<T> {
    let changed: Set<string> | undefined;
    const value = await this.#db.transaction(async (tx) => {
      const t = new LambdaTransaction(tx);
      const result = await work(t);
      for (const key of t.functions) tx.notify(FUNCTION_SIGNAL, key);
      for (const uuid of t.mappings) tx.notify(MAPPING_SIGNAL, uuid);
      changed = t.functions;
      return result;
    }, options);
    // This node's own cache is dropped now; the signal reaches it (and the others) a moment later.
    for (const key of changed ?? []) this.#invalidate(key);
    return value;
  }

  /** The value of a setting, created (once across nodes) when missing. */
  async meta(key: string, create: () => string): Promise<string> {
    const existing = await this.getMeta(key);
    if (existing !== undefined) return existing;
    return this.#db.transaction(async (tx) => {
      await tx.run(SQL.addMeta, [key, create()]);
      return (await tx.get<{ value: string }>(SQL.getMeta, [key]))!.value;
    });
  }

  async putMeta(key: string, value: string): Promise<void> {
    await this.#db.run(SQL.putMeta, [key, value]);
  }

  // ---- Cached reads --------------------------------------------------------------------------

  override getFunction(s: Scope, name: string): Promise<FunctionRecord | undefined> {
    return this.#cached(s, name, 'f', () => super.getFunction(s, name));
  }

  override getVersion(s: Scope, name: string, version: string): Promise<VersionRecord | undefined> {
    return this.#cached(s, name, `v:${version}`, () => super.getVersion(s, name, version));
  }

  override getAlias(s: Scope, name: string, alias: string): Promise<AliasRecord | undefined> {
    return this.#cached(s, name, `a:${alias}`, () => super.getAlias(s, name, alias));
  }

  /** The sum of the reserved concurrency of a scope's functions (cached like the functions). */
  async reservedSum(s: Scope): Promise<number> {
    const key = scopeKey(s);
    const cached = this.#reserved.get(key);
    if (cached !== undefined) return cached;
    const epoch = this.#epoch;
    let sum = 0;
    for (const fn of await this.listFunctions(s)) sum += fn.reservedConcurrency ?? 0;
    if (epoch === this.#epoch) this.#reserved.set(key, sum);
    return sum;
  }

  async #cached<T>(s: Scope, name: string, member: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const key = functionKey(s, name);
    const hit = this.#cache.get(key)?.get(member);
    if (hit !== undefined) return hit as T;
    const epoch = this.#epoch;
    const value = await load();
    // Misses are not cached: a function created on another node is found at once.
    if (value !== undefined && epoch === this.#epoch) {
      let entry = this.#cache.get(key);
      if (!entry) {
        if (this.#cache.size >= MAX_CACHED_FUNCTIONS) this.#cache.clear();
        this.#cache.set(key, (entry = new Map()));
      }
      entry.set(member, deepFreeze(value));
    }
    return value;
  }

  /** Drops a function (`account\nregion\nname`) from the cache, or everything when undefined. */
  #invalidate(key: string | undefined): void {
    this.#epoch++;
    if (key === undefined) {
      this.#cache.clear();
      this.#reserved.clear();
      return;
    }
    this.#cache.delete(key);
    this.#reserved.delete(key.slice(0, key.lastIndexOf('\n')));
  }

  // ---- Signals -------------------------------------------------------------------------------

  /** Calls `handler` with a mapping's uuid when it changes on any node, and with '' when any may have. */
  onMappingChange(handler: (uuid: string) => void): () => void {
    const stops = [this.#db.signals.listen(MAPPING_SIGNAL, handler), this.#db.signals.listen(RECONNECTED_SIGNAL, () => handler(''))];
    return () => stops.forEach((stop) => stop());
  }

  /** Calls `handler` when an asynchronous invocation is queued on any node (or may have been). */
  onAsyncQueued(handler: () => void): () => void {
    const stops = [this.#db.signals.listen(ASYNC_SIGNAL, () => handler()), this.#db.signals.listen(RECONNECTED_SIGNAL, () => handler())];
    return () => stops.forEach((stop) => stop());
  }

  // ---- Event source mapping progress ---------------------------------------------------------

  /**
   * Changes a mapping's processing state in one transaction (not durable: a checkpoint lost in a
   * crash re-delivers a batch, as Lambda's at-least-once delivery allows). `change` returns false
   * when there is nothing to write.
   */
  updateMappingProgress(uuid: string, change: (m: EventSourceMappingRecord) => boolean): Promise<void> {
    return this.transaction(async (t) => {
      const m = await t.getMapping(uuid);
      if (m && change(m)) await t.putMappingProgress(m);
    }, { durable: false });
  }

  // ---- Asynchronous invocations --------------------------------------------------------------

  /** Queues an asynchronous invocation durably and signals the node that runs the queue. */
  enqueueAsync(record: AsyncInvocationRecord, payload: Buffer, due: number): Promise<void> {
    return this.#db.transaction(async (tx) => {
      await tx.run(SQL.enqueueAsync, [due, JSON.stringify(record), payload]);
      tx.notify(ASYNC_SIGNAL, '');
    });
  }

  /** Invocations due by `now`, oldest first, leaving out those in `exclude` (running). */
  async dueAsync(now: number, limit: number, exclude: ReadonlySet<number>): Promise<QueuedInvocation[]> {
    const rows = await this.#db.all<{ id: number; doc: string; payload: Buffer }>(SQL.dueAsync, [now, limit + exclude.size]);
    return rows
      .filter((r) => !exclude.has(r.id))
      .slice(0, limit)
      .map((r) => ({ id: r.id, record: JSON.parse(r.doc) as AsyncInvocationRecord, payload: r.payload }));
  }

  async nextAsyncDue(): Promise<number | undefined> {
    return (await this.#db.get<{ due: number | null }>(SQL.nextAsyncDue))?.due ?? undefined;
  }

  async countAsync(): Promise<number> {
    return (await this.#db.get<{ n: number }>(SQL.countAsync))!.n;
  }

  async rescheduleAsync(id: number, record: AsyncInvocationRecord, due: number): Promise<void> {
    await this.#db.run(SQL.rescheduleAsync, [due, JSON.stringify(record), id]);
  }

  async finishAsync(id: number): Promise<void> {
    await this.#db.run(SQL.finishAsync, [id]);
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
