// What the S3 store remembers of recent reads: bucket states and current versions (on SQLite only;
// see RecentReads) and the bytes of inline versions. No SQL here: the store fills and drops entries.
import type { BucketState, ObjectRecord } from './s3-records.js';

export const latestId = (bucket: string, key: Buffer): string => `${bucket}/${key.toString('latin1')}`;

/** Marks an entry being read: the read fills the entry only if no write dropped it meanwhile. */
class Pending {}

/** A bounded map of recent reads (oldest dropped first) that a write invalidates by dropping. */
class ReadCache<V> {
  readonly #entries = new Map<string, V | Pending>();

  constructor(readonly max: number) {}

  /** The cached value (null: known absent), or undefined when not cached. */
  get(id: string): V | undefined {
    const v = this.#entries.get(id);
    return v instanceof Pending ? undefined : v;
  }

  begin(id: string): Pending {
    const token = new Pending();
    if (this.#entries.size >= this.max) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(id, token);
    return token;
  }

  fill(id: string, token: Pending, value: V): void {
    if (this.#entries.get(id) === token) this.#entries.set(id, value);
  }

  drop(id: string): void {
    this.#entries.delete(id);
  }

  clear(): void {
    this.#entries.clear();
  }
}

/**
 * The SQLite node's caches of what every request reads: bucket states, and the current version of
 * recently read keys. A write drops its entries inside its transaction (before it commits), and a
 * read fills an entry only if no write dropped it while the read ran, so a read sees what the
 * database holds. On PostgreSQL another node's commit could only be signalled after it is
 * acknowledged, which would let a read on this node see the old version; so nothing is cached there.
 */
export class RecentReads {
  readonly buckets = new ReadCache<BucketState | null>(10_000);
  readonly latest = new ReadCache<ObjectRecord | null>(4096);
}

const INLINE_CACHE_BYTES = 4 * 1024 * 1024;

/** Bytes of inline versions by seq. A seq's bytes never change and a seq is never reused, so entries never go stale. */
export class InlineCache {
  readonly #entries = new Map<number, Buffer>();
  #bytes = 0;

  get(seq: number): Buffer | undefined {
    return this.#entries.get(seq);
  }

  add(seq: number, data: Buffer): void {
    if (data.length > INLINE_CACHE_BYTES / 64 || this.#entries.has(seq)) return;
    for (const [oldest, bytes] of this.#entries) {
      if (this.#bytes + data.length <= INLINE_CACHE_BYTES) break;
      this.#entries.delete(oldest);
      this.#bytes -= bytes.length;
    }
    this.#entries.set(seq, data);
    this.#bytes += data.length;
  }

  drop(seq: number): void {
    const bytes = this.#entries.get(seq);
    if (!bytes) return;
    this.#entries.delete(seq);
    this.#bytes -= bytes.length;
  }
}
