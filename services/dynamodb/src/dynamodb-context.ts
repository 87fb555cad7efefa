// State shared by the DynamoDB and DynamoDB Streams providers of one node: the store, a cache of
// table metadata (the database is the truth: a change on any node drops the cached copy on every
// node through the TABLE_CHANGED signal, and a miss reads the database), and idempotency tokens.
import type { PlatformContext, StorageBackend } from '@atoll/core';
import { DynamoDbStore, TABLE_CHANGED, tableKey } from './dynamodb-store.js';
import { Errors } from './errors.js';
import type { TableInfo } from './table-schema.js';

/** The tables one request names, resolved before its synchronous checks run. */
export interface TableLookup {
  /** A table for an item operation; DynamoDB's message names no table here. */
  get(name: string): TableInfo;
}

export class DynamoDbContext {
  readonly #tables = new Map<string, TableInfo>();
  /** Bumped by every invalidation: a load that started before one does not fill the cache. */
  #generation = 0;
  /** ClientRequestToken → request fingerprint and the time it was first seen (10-minute window). */
  readonly tokens = new Map<string, { fingerprint: string; at: number; result: unknown }>();
  readonly #unlisten: (() => void)[];
  #refs = 0;

  constructor(readonly store: DynamoDbStore) {
    this.#unlisten = [
      store.db.signals.listen(TABLE_CHANGED, (key) => this.#invalidate(key)),
      // Signals sent while this node was reconnecting are lost: forget everything.
      store.db.signals.listen('atoll.reconnected', () => this.#invalidate()),
    ];
  }

  acquire(): this {
    this.#refs++;
    return this;
  }

  /** Whether this was the last user: the caller then closes the context. */
  release(): boolean {
    this.#refs--;
    return this.#refs <= 0;
  }

  async close(): Promise<void> {
    for (const stop of this.#unlisten) stop();
    await this.store.close();
  }

  #invalidate(key?: string): void {
    this.#generation++;
    if (key === undefined) this.#tables.clear();
    else this.#tables.delete(key);
  }

  /** The cached table, without a round trip (undefined when not cached: call `load`). */
  cached(accountId: string, region: string, name: string): TableInfo | undefined {
    return this.#tables.get(tableKey(accountId, region, name));
  }

  /** Reads a table from the database and caches it. */
  async load(accountId: string, region: string, name: string): Promise<TableInfo | undefined> {
    const generation = this.#generation;
    const table = await this.store.loadTable(accountId, region, name);
    if (table && generation === this.#generation) this.#tables.set(tableKey(accountId, region, name), table);
    return table;
  }

  /**
   * A table for reads and writes of its items, from the cache or else from the database. A table
   * being restored (CREATING) is not found yet, as in DynamoDB.
   */
  find(accountId: string, region: string, name: string): TableInfo | undefined | Promise<TableInfo | undefined> {
    const found = this.findAny(accountId, region, name);
    return found instanceof Promise ? found.then(usable) : usable(found);
  }

  /** A table in any state (DescribeTable, DeleteTable, CreateTable's name check). */
  findAny(accountId: string, region: string, name: string): TableInfo | undefined | Promise<TableInfo | undefined> {
    return this.cached(accountId, region, name) ?? this.load(accountId, region, name);
  }

  /** A table named by name or ARN. */
  resolve(accountId: string, region: string, nameOrArn: string): TableInfo | undefined | Promise<TableInfo | undefined> {
    if (nameOrArn.startsWith('arn:')) {
      const name = nameOrArn.split(':table/')[1]?.split('/')[0];
      const parts = nameOrArn.split(':');
      return name ? this.find(parts[4] ?? accountId, parts[3] ?? region, name) : undefined;
    }
    return this.find(accountId, region, nameOrArn);
  }

  /** Resolves every table `names` lists (unknown names fail later, in `get`, as DynamoDB orders its checks). */
  async lookup(accountId: string, region: string, names: Iterable<unknown>): Promise<TableLookup> {
    const found = new Map<string, TableInfo | undefined>();
    for (const name of names) {
      if (typeof name !== 'string' || found.has(name)) continue;
      found.set(name, usable(this.cached(accountId, region, name) ?? (await this.load(accountId, region, name))));
    }
    return {
      get(name: string): TableInfo {
        const table = found.get(name);
        if (!table) throw Errors.notFound();
        return table;
      },
    };
  }

  /** Caches the table a change on this node just committed. */
  remember(table: TableInfo): void {
    this.#generation++;
    this.#tables.set(tableKey(table.accountId, table.region, table.name), table);
  }

  forget(table: TableInfo): void {
    this.#invalidate(tableKey(table.accountId, table.region, table.name));
  }

  /** Item counts and sizes, kept exact by the store (DynamoDB itself refreshes them about every 6 hours). */
  async stats(table: TableInfo): Promise<{ count: number; bytes: number; indexes: Map<string, { count: number; bytes: number }> }> {
    const all = await this.store.stats(table.id);
    const none = { count: 0, bytes: 0 };
    const indexes = new Map(table.indexes.map((i) => [i.name, all.get(i.name) ?? none]));
    return { ...(all.get('') ?? none), indexes };
  }
}

function usable(table: TableInfo | undefined): TableInfo | undefined {
  return table?.restoring || table?.importing ? undefined : table;
}

/** A table for an item operation, from what `find` gave; DynamoDB's message names no table here. */
export function required(table: TableInfo | undefined): TableInfo {
  if (!table) throw Errors.notFound();
  return table;
}

const shared = new WeakMap<StorageBackend, Promise<DynamoDbContext>>();

/** One context per node (storage backend), shared by the DynamoDB and DynamoDB Streams providers. */
export async function sharedContext(platform: PlatformContext): Promise<DynamoDbContext> {
  let ctx = shared.get(platform.storage);
  if (!ctx) {
    ctx = DynamoDbStore.open(platform.storage).then((store) => new DynamoDbContext(store));
    shared.set(platform.storage, ctx);
    ctx.catch(() => shared.delete(platform.storage));
  }
  return (await ctx).acquire();
}

export async function releaseContext(platform: PlatformContext, ctx: DynamoDbContext): Promise<void> {
  if (!ctx.release()) return;
  shared.delete(platform.storage);
  await ctx.close();
}
