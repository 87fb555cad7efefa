// State shared by the DynamoDB and DynamoDB Streams providers: the store, the tables of every
// account and region (kept in memory, persisted in the store), and idempotency tokens.
import { join } from 'node:path';
import type { PlatformContext } from '@atoll/core';
import { DynamoDbStore } from './dynamodb-store.js';
import { Errors } from './errors.js';
import type { TableInfo } from './table-schema.js';

export class DynamoDbContext {
  readonly store: DynamoDbStore;
  readonly tables = new Map<string, TableInfo>();
  /** ClientRequestToken → request fingerprint and the time it was first seen (10-minute window). */
  readonly tokens = new Map<string, { fingerprint: string; at: number; result: unknown }>();
  #refs = 0;

  constructor(readonly file: string) {
    this.store = new DynamoDbStore(file);
    for (const table of this.store.loadTables()) this.tables.set(key(table.accountId, table.region, table.name), table);
  }

  acquire(): this {
    this.#refs++;
    return this;
  }

  release(): boolean {
    this.#refs--;
    if (this.#refs > 0) return false;
    this.store.close();
    return true;
  }

  find(accountId: string, region: string, name: string): TableInfo | undefined {
    return this.tables.get(key(accountId, region, name));
  }

  /** A table for an item operation; DynamoDB's message names no table here. */
  get(accountId: string, region: string, name: string): TableInfo {
    const table = this.find(accountId, region, name);
    if (!table) throw Errors.notFound();
    return table;
  }

  /** A table named by name or ARN. */
  resolve(accountId: string, region: string, nameOrArn: string): TableInfo | undefined {
    if (nameOrArn.startsWith('arn:')) {
      const name = nameOrArn.split(':table/')[1]?.split('/')[0];
      const parts = nameOrArn.split(':');
      return name ? this.find(parts[4] ?? accountId, parts[3] ?? region, name) : undefined;
    }
    return this.find(accountId, region, nameOrArn);
  }

  add(table: TableInfo): void {
    this.tables.set(key(table.accountId, table.region, table.name), table);
  }

  remove(table: TableInfo): void {
    this.tables.delete(key(table.accountId, table.region, table.name));
  }

  save(table: TableInfo): void {
    this.store.saveTable(table);
  }

  /** Item counts and sizes, kept exact by the store (DynamoDB itself refreshes them about every 6 hours). */
  stats(table: TableInfo): { count: number; bytes: number; indexes: Map<string, { count: number; bytes: number }> } {
    const indexes = new Map(table.indexes.map((i) => [i.name, this.store.indexStats(table.id, i.name)]));
    return { ...this.store.stats(table.id), indexes };
  }

  invalidateStats(_table: TableInfo): void {
    // Nothing is cached: the store keeps the figures.
  }
}

function key(accountId: string, region: string, name: string): string {
  return `${accountId}\u0000${region}\u0000${name}`;
}

const shared = new Map<string, DynamoDbContext>();

/** One context per data directory, shared by the DynamoDB and DynamoDB Streams providers. */
export function sharedContext(platform: PlatformContext): DynamoDbContext {
  const file = join(platform.config.dataDir, 'dynamodb', 'dynamodb.sqlite');
  let ctx = shared.get(file);
  if (!ctx) {
    ctx = new DynamoDbContext(file);
    shared.set(file, ctx);
  }
  return ctx.acquire();
}

export function releaseContext(ctx: DynamoDbContext): void {
  if (ctx.release()) shared.delete(ctx.file);
}
