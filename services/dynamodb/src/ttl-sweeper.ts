// Time to live: a background sweep deletes items whose TTL attribute (epoch seconds) has passed,
// a bounded batch per tick, and records each deletion in the stream as a service deletion. One node
// sweeps (the provider runs it under the `dynamodb:ttl` leadership).
import { deserializeItem } from './attribute-value.js';
import type { DynamoDbContext } from './dynamodb-context.js';
import { compareNumbers } from './number.js';
import { writeItem } from './table-engine.js';

export class TtlSweeper {
  /** Per table: where the next sweep resumes (encoded pk, sk). Kept by the leader; a new one starts over. */
  readonly #cursor = new Map<number, { pk: Buffer; sk: Buffer }>();

  constructor(
    private readonly ctx: DynamoDbContext,
    readonly intervalMs = 2000,
    private readonly batch = 2000,
  ) {}

  /** One bounded pass over each TTL-enabled table; returns the number of items deleted. */
  async sweep(now = Date.now()): Promise<number> {
    let deleted = 0;
    const nowSeconds = String(Math.floor(now / 1000));
    for (const table of await this.ctx.store.allTables()) {
      if (!table.ttl?.enabled) continue;
      const attribute = table.ttl.attribute;
      const start = this.#cursor.get(table.id);
      // One more row than the batch tells whether the table goes on past it.
      const rows = await this.ctx.store.items.scan(table.id, undefined, undefined, start).next(this.batch + 1);
      const seen = rows.slice(0, this.batch);
      const expired: { pk: Buffer; sk: Buffer }[] = [];
      for (const row of seen) {
        const v = deserializeItem(row.item)[attribute];
        if (v && 'N' in v && compareNumbers(v.N, nowSeconds) < 0) expired.push({ pk: row.pk, sk: row.sk });
      }
      const last = seen[seen.length - 1];
      if (rows.length <= this.batch || !last) this.#cursor.delete(table.id);
      else this.#cursor.set(table.id, { pk: last.pk, sk: last.sk });
      if (expired.length === 0) continue;
      // Each item is read again in the transaction: a write since the scan may have extended it.
      deleted += await this.ctx.store.transaction(async (items) => {
        let n = 0;
        for (const key of expired) {
          const row = await items.getItemRow(table.id, key.pk, key.sk);
          if (row === undefined) continue;
          const item = deserializeItem(row.item);
          const v = item[attribute];
          if (!v || !('N' in v) || compareNumbers(v.N, nowSeconds) >= 0) continue;
          await writeItem(items, table, key, item, undefined, { serviceDeletion: true });
          n++;
        }
        return n;
      });
    }
    return deleted;
  }
}
