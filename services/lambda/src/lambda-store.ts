// The Lambda service's state in SQLite: functions, versions, aliases, layers, event source
// mappings, function URLs and the durable queue of asynchronous invocations (logs: log-store.ts).
// Records are JSON documents keyed by account, region and name; the provider owns their shape.
import { join } from 'node:path';
import { openDatabase, GroupCommit, type SqliteDatabase, type SqliteStatement } from '@atoll/storage';
import type {
  AliasRecord,
  AsyncInvocationRecord,
  EventSourceMappingRecord,
  FunctionRecord,
  LayerVersionRecord,
  UrlConfigRecord,
  VersionRecord,
} from './lambda-records.js';

const MIGRATIONS = [
  {
    version: 1,
    name: 'init',
    up: `
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
  },
];

type Scope = { account: string; region: string };

export class LambdaStore {
  readonly db: SqliteDatabase;
  readonly #group: GroupCommit;
  readonly #statements = new Map<string, SqliteStatement<unknown[]>>();

  constructor(dataDir: string) {
    this.db = openDatabase(join(dataDir, 'lambda.db'), MIGRATIONS);
    this.#group = new GroupCommit(this.db);
  }

  /** A prepared statement, compiled once (the invocation path reads functions on every call). */
  #sql(text: string): SqliteStatement<unknown[]> {
    let statement = this.#statements.get(text);
    if (!statement) this.#statements.set(text, (statement = this.db.prepare(text)));
    return statement;
  }

  close(): void {
    this.#group.flush();
    this.db.close();
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  meta(key: string, create: () => string): string {
    const row = this.#sql('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    if (row) return row.value;
    const value = create();
    this.#sql('INSERT INTO meta (key, value) VALUES (?, ?)').run(key, value);
    return value;
  }

  // ---- Functions and versions ---------------------------------------------------------------

  getFunction(s: Scope, name: string): FunctionRecord | undefined {
    return parse(this.#sql('SELECT doc FROM functions WHERE account = ? AND region = ? AND name = ?').get(s.account, s.region, name));
  }

  putFunction(s: Scope, fn: FunctionRecord): void {
    this.#sql('INSERT OR REPLACE INTO functions (account, region, name, doc) VALUES (?, ?, ?, ?)').run(s.account, s.region, fn.name, JSON.stringify(fn));
  }

  listFunctions(s: Scope): FunctionRecord[] {
    return (this.#sql('SELECT doc FROM functions WHERE account = ? AND region = ? ORDER BY name').all(s.account, s.region) as { doc: string }[]).map((r) => JSON.parse(r.doc));
  }

  allFunctions(): { account: string; region: string; fn: FunctionRecord }[] {
    return (this.#sql('SELECT account, region, doc FROM functions').all() as { account: string; region: string; doc: string }[]).map((r) => ({ account: r.account, region: r.region, fn: JSON.parse(r.doc) }));
  }

  deleteFunction(s: Scope, name: string): void {
    this.transaction(() => {
      for (const table of ['functions', 'versions', 'aliases', 'function_urls']) {
        this.#sql(`DELETE FROM ${table} WHERE account = ? AND region = ? AND name = ?`).run(s.account, s.region, name);
      }
    });
  }

  getVersion(s: Scope, name: string, version: string): VersionRecord | undefined {
    return parse(this.#sql('SELECT doc FROM versions WHERE account = ? AND region = ? AND name = ? AND version = ?').get(s.account, s.region, name, version));
  }

  putVersion(s: Scope, v: VersionRecord): void {
    const seq = v.version === '$LATEST' ? 0 : Number(v.version);
    this.#sql('INSERT OR REPLACE INTO versions (account, region, name, version, seq, doc) VALUES (?, ?, ?, ?, ?, ?)').run(s.account, s.region, v.name, v.version, seq, JSON.stringify(v));
  }

  listVersions(s: Scope, name: string): VersionRecord[] {
    return (this.#sql('SELECT doc FROM versions WHERE account = ? AND region = ? AND name = ? ORDER BY seq').all(s.account, s.region, name) as { doc: string }[]).map((r) => JSON.parse(r.doc));
  }

  allVersions(): VersionRecord[] {
    return (this.#sql('SELECT doc FROM versions').all() as { doc: string }[]).map((r) => JSON.parse(r.doc));
  }

  deleteVersion(s: Scope, name: string, version: string): void {
    this.#sql('DELETE FROM versions WHERE account = ? AND region = ? AND name = ? AND version = ?').run(s.account, s.region, name, version);
  }

  // ---- Aliases ------------------------------------------------------------------------------

  getAlias(s: Scope, name: string, alias: string): AliasRecord | undefined {
    return parse(this.#sql('SELECT doc FROM aliases WHERE account = ? AND region = ? AND name = ? AND alias = ?').get(s.account, s.region, name, alias));
  }

  putAlias(s: Scope, a: AliasRecord): void {
    this.#sql('INSERT OR REPLACE INTO aliases (account, region, name, alias, doc) VALUES (?, ?, ?, ?, ?)').run(s.account, s.region, a.functionName, a.name, JSON.stringify(a));
  }

  listAliases(s: Scope, name: string): AliasRecord[] {
    return (this.#sql('SELECT doc FROM aliases WHERE account = ? AND region = ? AND name = ? ORDER BY alias').all(s.account, s.region, name) as { doc: string }[]).map((r) => JSON.parse(r.doc));
  }

  deleteAlias(s: Scope, name: string, alias: string): void {
    this.#sql('DELETE FROM aliases WHERE account = ? AND region = ? AND name = ? AND alias = ?').run(s.account, s.region, name, alias);
  }

  // ---- Layers -------------------------------------------------------------------------------

  getLayerVersion(s: Scope, layer: string, version: number): LayerVersionRecord | undefined {
    return parse(this.#sql('SELECT doc FROM layer_versions WHERE account = ? AND region = ? AND layer = ? AND version = ?').get(s.account, s.region, layer, version));
  }

  nextLayerVersion(s: Scope, layer: string): number {
    const row = this.#sql('SELECT MAX(version) AS v FROM layer_versions WHERE account = ? AND region = ? AND layer = ?').get(s.account, s.region, layer) as { v: number | null };
    const meta = Number(this.meta(`layer-seq:${s.account}:${s.region}:${layer}`, () => '0'));
    return Math.max(row.v ?? 0, meta) + 1;
  }

  putLayerVersion(s: Scope, l: LayerVersionRecord): void {
    this.transaction(() => {
      this.#sql('INSERT INTO layer_versions (account, region, layer, version, doc) VALUES (?, ?, ?, ?, ?)').run(s.account, s.region, l.layerName, l.version, JSON.stringify(l));
      this.#sql('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(`layer-seq:${s.account}:${s.region}:${l.layerName}`, String(l.version));
    });
  }

  listLayerVersions(s: Scope, layer?: string): LayerVersionRecord[] {
    const rows = layer === undefined
      ? this.#sql('SELECT doc FROM layer_versions WHERE account = ? AND region = ? ORDER BY layer, version DESC').all(s.account, s.region)
      : this.#sql('SELECT doc FROM layer_versions WHERE account = ? AND region = ? AND layer = ? ORDER BY version DESC').all(s.account, s.region, layer);
    return (rows as { doc: string }[]).map((r) => JSON.parse(r.doc));
  }

  deleteLayerVersion(s: Scope, layer: string, version: number): void {
    this.#sql('DELETE FROM layer_versions WHERE account = ? AND region = ? AND layer = ? AND version = ?').run(s.account, s.region, layer, version);
  }

  allLayerVersions(): LayerVersionRecord[] {
    return (this.#sql('SELECT doc FROM layer_versions').all() as { doc: string }[]).map((r) => JSON.parse(r.doc));
  }

  // ---- Event source mappings ------------------------------------------------------------------

  getMapping(uuid: string): EventSourceMappingRecord | undefined {
    return parse(this.#sql('SELECT doc FROM event_source_mappings WHERE uuid = ?').get(uuid));
  }

  putMapping(m: EventSourceMappingRecord): void {
    this.#sql('INSERT OR REPLACE INTO event_source_mappings (uuid, account, region, function_name, doc) VALUES (?, ?, ?, ?, ?)').run(m.uuid, m.account, m.region, m.functionName, JSON.stringify(m));
  }

  listMappings(s?: Scope): EventSourceMappingRecord[] {
    const rows = s
      ? this.#sql('SELECT doc FROM event_source_mappings WHERE account = ? AND region = ?').all(s.account, s.region)
      : this.#sql('SELECT doc FROM event_source_mappings').all();
    return (rows as { doc: string }[]).map((r) => JSON.parse(r.doc));
  }

  deleteMapping(uuid: string): void {
    this.#sql('DELETE FROM event_source_mappings WHERE uuid = ?').run(uuid);
  }

  // ---- Function URLs -------------------------------------------------------------------------

  getUrl(s: Scope, name: string, qualifier: string): UrlConfigRecord | undefined {
    return parse(this.#sql('SELECT doc FROM function_urls WHERE account = ? AND region = ? AND name = ? AND qualifier = ?').get(s.account, s.region, name, qualifier));
  }

  getUrlById(urlId: string): UrlConfigRecord | undefined {
    return parse(this.#sql('SELECT doc FROM function_urls WHERE url_id = ?').get(urlId));
  }

  putUrl(u: UrlConfigRecord): void {
    this.#sql('INSERT OR REPLACE INTO function_urls (url_id, account, region, name, qualifier, doc) VALUES (?, ?, ?, ?, ?, ?)').run(u.urlId, u.account, u.region, u.functionName, u.qualifier, JSON.stringify(u));
  }

  listUrls(s: Scope, name: string): UrlConfigRecord[] {
    return (this.#sql('SELECT doc FROM function_urls WHERE account = ? AND region = ? AND name = ?').all(s.account, s.region, name) as { doc: string }[]).map((r) => JSON.parse(r.doc));
  }

  deleteUrl(urlId: string): void {
    this.#sql('DELETE FROM function_urls WHERE url_id = ?').run(urlId);
  }

  // ---- Asynchronous invocations --------------------------------------------------------------

  /** Queues an asynchronous invocation durably; resolves after the commit. */
  enqueueAsync(record: AsyncInvocationRecord, payload: Buffer, due: number): Promise<number> {
    const insert = this.#sql('INSERT INTO async_invocations (due, doc, payload) VALUES (?, ?, ?)');
    return this.#group.run(() => Number(insert.run(due, JSON.stringify(record), payload).lastInsertRowid));
  }

  dueAsync(now: number, limit: number, exclude: ReadonlySet<number>): { id: number; record: AsyncInvocationRecord; payload: Buffer }[] {
    const rows = this.#sql('SELECT id, doc, payload FROM async_invocations WHERE due <= ? ORDER BY due, id LIMIT ?').all(now, limit + exclude.size) as { id: number; doc: string; payload: Buffer }[];
    return rows.filter((r) => !exclude.has(r.id)).slice(0, limit).map((r) => ({ id: r.id, record: JSON.parse(r.doc), payload: r.payload }));
  }

  nextAsyncDue(): number | undefined {
    const row = this.#sql('SELECT MIN(due) AS due FROM async_invocations').get() as { due: number | null };
    return row.due ?? undefined;
  }

  rescheduleAsync(id: number, record: AsyncInvocationRecord, due: number): Promise<void> {
    const update = this.#sql('UPDATE async_invocations SET due = ?, doc = ? WHERE id = ?');
    return this.#group.run(() => void update.run(due, JSON.stringify(record), id));
  }

  finishAsync(id: number): Promise<void> {
    const remove = this.#sql('DELETE FROM async_invocations WHERE id = ?');
    return this.#group.run(() => void remove.run(id));
  }
}

function parse<T>(row: unknown): T | undefined {
  return row ? (JSON.parse((row as { doc: string }).doc) as T) : undefined;
}
