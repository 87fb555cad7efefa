// Key listing with S3's semantics over any source that yields entries in binary key order:
// prefix, any delimiter string (rolled up into common prefixes), max-keys counting keys and
// prefixes together, and resumption after a marker (start-after, continuation token, key marker).
import type { KeyCursor } from './s3-store.js';

export interface ListEntry {
  key: Buffer;
  seq: number;
}

export interface ListOptions {
  prefix: Buffer;
  delimiter?: Buffer;
  maxKeys: number;
  /** Resume strictly after this key (and, with `afterSeq`, after this version of it). */
  after?: Buffer;
  afterSeq?: number;
}

export interface ListResult<T> {
  contents: T[];
  commonPrefixes: Buffer[];
  truncated: boolean;
  /** The last key or common prefix returned (S3's NextMarker / the continuation point). */
  last?: { key: Buffer; entry?: T; isPrefix: boolean };
}

/** The smallest byte string greater than every string that starts with `prefix` (undefined: none). */
export function prefixSuccessor(prefix: Buffer): Buffer | undefined {
  const out = Buffer.from(prefix);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! < 0xff) {
      out[i]!++;
      return out.subarray(0, i + 1);
    }
  }
  return undefined;
}

/**
 * Lists entries from `fetch`, which returns up to `limit` entries at or after a cursor in order.
 * A common prefix is emitted once, then the listing jumps past every key under it.
 */
export async function listKeys<T extends ListEntry>(
  options: ListOptions,
  fetch: (cursor: KeyCursor, limit: number) => T[] | Promise<T[]>,
): Promise<ListResult<T>> {
  const result: ListResult<T> = { contents: [], commonPrefixes: [], truncated: false };
  if (options.maxKeys <= 0) return result;
  const { prefix, delimiter, after } = options;
  const upper = prefix.length > 0 ? prefixSuccessor(prefix) : undefined;
  let cursor: KeyCursor =
    after && Buffer.compare(after, prefix) >= 0
      ? { key: after, inclusive: false, seq: options.afterSeq }
      : { key: prefix, inclusive: true };
  let count = 0;
  const batch = Math.min(options.maxKeys + 1, 1000);
  for (;;) {
    const rows = await fetch(cursor, batch);
    if (rows.length === 0) return result;
    let jumped = false;
    for (const row of rows) {
      if (upper && Buffer.compare(row.key, upper) >= 0) return result;
      if (prefix.length > 0 && !startsWith(row.key, prefix)) return result;
      if (delimiter && delimiter.length > 0) {
        const at = row.key.indexOf(delimiter, prefix.length);
        if (at >= 0) {
          const common = row.key.subarray(0, at + delimiter.length);
          const next = prefixSuccessor(common);
          const alreadyListed = after !== undefined && Buffer.compare(common, after) <= 0;
          if (!alreadyListed) {
            if (count === options.maxKeys) {
              result.truncated = true;
              return result;
            }
            result.commonPrefixes.push(Buffer.from(common));
            result.last = { key: Buffer.from(common), isPrefix: true };
            count++;
          }
          if (!next) return result;
          cursor = { key: next, inclusive: true };
          jumped = true;
          break;
        }
      }
      if (count === options.maxKeys) {
        result.truncated = true;
        return result;
      }
      result.contents.push(row);
      result.last = { key: row.key, entry: row, isPrefix: false };
      count++;
      cursor = { key: row.key, inclusive: false, seq: row.seq };
    }
    if (!jumped && rows.length < batch) return result;
  }
}

function startsWith(key: Buffer, prefix: Buffer): boolean {
  return key.length >= prefix.length && key.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}
