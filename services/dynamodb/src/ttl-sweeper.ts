// Time to live: a background sweep deletes items whose TTL attribute (epoch seconds) has passed,
// a bounded batch per tick, and records each deletion in the stream as a service deletion.
import { deserializeItem } from './attribute-value.js';
import type { DynamoDbContext } from './dynamodb-context.js';
import { compareNumbers } from './number.js';
import { writeItem } from './table-engine.js';

export class TtlSweeper {
  #timer: NodeJS.Timeout | undefined;
  /** Per table: where the next sweep resumes (encoded pk, sk). */
  readonly #cursor = new Map<number, { pk: Buffer; sk: Buffer }>();

  constructor(private readonly ctx: DynamoDbContext, private readonly intervalMs = 2000, private readonly batch = 2000) {}

  start(): void {
    this.#timer = setInterval(() => this.sweep(), this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  /** One bounded pass over each TTL-enabled table; returns the number of items deleted. */
  sweep(now = Date.now()): number {
    let deleted = 0;
    const nowSeconds = String(Math.floor(now / 1000));
    for (const table of this.ctx.tables.values()) {
      if (!table.ttl?.enabled) continue;
      const attribute = table.ttl.attribute;
      const start = this.#cursor.get(table.id);
      let seen = 0;
      let last: { pk: Buffer; sk: Buffer } | undefined;
      const expired: { pk: Buffer; sk: Buffer }[] = [];
      for (const row of this.ctx.store.scan(table.id, undefined, undefined, start)) {
        if (++seen > this.batch) break;
        last = { pk: row.pk, sk: row.sk };
        const item = deserializeItem(row.item);
        const v = item[attribute];
        if (v && 'N' in v && compareNumbers(v.N, nowSeconds) < 0) expired.push(last);
      }
      if (seen <= this.batch) this.#cursor.delete(table.id);
      else if (last) this.#cursor.set(table.id, last);
      if (expired.length === 0) continue;
      this.ctx.store.db.transaction(() => {
        for (const key of expired) {
          const text = this.ctx.store.getItem(table.id, key.pk, key.sk);
          if (text === undefined) continue;
          const item = deserializeItem(text);
          const v = item[attribute];
          if (!v || !('N' in v) || compareNumbers(v.N, nowSeconds) >= 0) continue;
          writeItem(this.ctx.store, table, key, item, undefined, { serviceDeletion: true });
          deleted++;
        }
      })();
    }
    return deleted;
  }
}
