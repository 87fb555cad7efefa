// DynamoDB's storage on SQLite: table metadata, items keyed by (table, encoded partition key,
// encoded sort key), index entries kept in the same transaction as their item, and stream records.
// Encoded keys are BLOBs whose memcmp order is DynamoDB's order, so queries stream via ORDER BY.
import { createHash } from 'node:crypto';
import { GroupCommit, openDatabase, type Migration, type SqliteDatabase, type SqliteStatement } from '@atoll/storage';
import { Checkpointer } from './checkpointer.js';
import type { TableInfo } from './table-schema.js';

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'tables, items, index entries, stream records',
    up: `
      CREATE TABLE ddb_tables (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
        meta TEXT NOT NULL,
        UNIQUE (account, region, name));
      CREATE TABLE ddb_items (
        table_id INTEGER NOT NULL, pk BLOB NOT NULL, sk BLOB NOT NULL,
        seg INTEGER NOT NULL, size INTEGER NOT NULL, item TEXT NOT NULL,
        PRIMARY KEY (table_id, pk, sk)) WITHOUT ROWID;
      CREATE TABLE ddb_index_items (
        table_id INTEGER NOT NULL, index_name TEXT NOT NULL,
        ipk BLOB NOT NULL, isk BLOB NOT NULL, pk BLOB NOT NULL, sk BLOB NOT NULL,
        seg INTEGER NOT NULL, size INTEGER NOT NULL, item TEXT NOT NULL,
        PRIMARY KEY (table_id, index_name, ipk, isk, pk, sk)) WITHOUT ROWID;
      CREATE TABLE ddb_stream_records (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        table_id INTEGER NOT NULL, stream_label TEXT NOT NULL,
        created_at INTEGER NOT NULL, record TEXT NOT NULL);
      CREATE INDEX ddb_stream_records_by_stream ON ddb_stream_records (table_id, stream_label, seq);
    `,
  },
  {
    version: 2,
    name: 'item counts and sizes kept by triggers',
    // index_name '' holds the table's own figures. REPLACE fires the delete trigger because the
    // connection enables recursive_triggers.
    up: `
      CREATE TABLE ddb_stats (
        table_id INTEGER NOT NULL, index_name TEXT NOT NULL,
        item_count INTEGER NOT NULL, bytes INTEGER NOT NULL,
        PRIMARY KEY (table_id, index_name)) WITHOUT ROWID;
      INSERT INTO ddb_stats SELECT table_id, '', COUNT(*), SUM(size) FROM ddb_items GROUP BY table_id;
      INSERT INTO ddb_stats SELECT table_id, index_name, COUNT(*), SUM(size) FROM ddb_index_items GROUP BY table_id, index_name;
      CREATE TRIGGER ddb_items_insert AFTER INSERT ON ddb_items BEGIN
        INSERT INTO ddb_stats VALUES (NEW.table_id, '', 1, NEW.size)
          ON CONFLICT (table_id, index_name) DO UPDATE SET item_count = item_count + 1, bytes = bytes + NEW.size;
      END;
      CREATE TRIGGER ddb_items_delete AFTER DELETE ON ddb_items BEGIN
        UPDATE ddb_stats SET item_count = item_count - 1, bytes = bytes - OLD.size WHERE table_id = OLD.table_id AND index_name = '';
      END;
      CREATE TRIGGER ddb_index_items_insert AFTER INSERT ON ddb_index_items BEGIN
        INSERT INTO ddb_stats VALUES (NEW.table_id, NEW.index_name, 1, NEW.size)
          ON CONFLICT (table_id, index_name) DO UPDATE SET item_count = item_count + 1, bytes = bytes + NEW.size;
      END;
      CREATE TRIGGER ddb_index_items_delete AFTER DELETE ON ddb_index_items BEGIN
        UPDATE ddb_stats SET item_count = item_count - 1, bytes = bytes - OLD.size WHERE table_id = OLD.table_id AND index_name = OLD.index_name;
      END;
    `,
  },
];

export interface StoredRow {
  pk: Buffer;
  sk: Buffer;
  item: string;
  size: number;
}

/** Segment hash of a partition key, in [0, 2^32). Parallel Scan divides this range. */
export function segmentHash(pk: Buffer): number {
  return createHash('md5').update(pk).digest().readUInt32BE(0);
}

export interface RangeBound {
  op: '=' | '<' | '<=' | '>' | '>=' | 'between' | 'begins_with';
  a: Buffer;
  b?: Buffer;
}

/** The smallest byte string greater than every string that starts with `prefix` (undefined if none). */
function prefixEnd(prefix: Buffer): Buffer | undefined {
  const out = Buffer.from(prefix);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! < 0xff) {
      out[i]!++;
      return out.subarray(0, i + 1);
    }
  }
  return undefined;
}

export class DynamoDbStore {
  readonly db: SqliteDatabase;
  readonly commit: GroupCommit;
  readonly #file: string;
  #checkpointer: Checkpointer | undefined;
  readonly #getRow: SqliteStatement;
  readonly #put: SqliteStatement;
  readonly #del: SqliteStatement;
  readonly #putIndex: SqliteStatement;
  readonly #delIndex: SqliteStatement;
  readonly #appendStream: SqliteStatement;
  readonly #queries = new Map<string, SqliteStatement>();

  constructor(file: string) {
    // NORMAL: commits write the WAL without fsync; GroupCommit syncs it before acknowledging.
    this.db = openDatabase(file, MIGRATIONS, { synchronous: 'normal' });
    this.db.pragma('recursive_triggers = ON');
    this.commit = new GroupCommit(this.db);
    this.#file = file;
    this.#getRow = this.db.prepare('SELECT item, size FROM ddb_items WHERE table_id = ? AND pk = ? AND sk = ?');
    this.#put = this.db.prepare('INSERT OR REPLACE INTO ddb_items (table_id, pk, sk, seg, size, item) VALUES (?, ?, ?, ?, ?, ?)');
    this.#del = this.db.prepare('DELETE FROM ddb_items WHERE table_id = ? AND pk = ? AND sk = ?');
    this.#putIndex = this.db.prepare(
      'INSERT OR REPLACE INTO ddb_index_items (table_id, index_name, ipk, isk, pk, sk, seg, size, item) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.#delIndex = this.db.prepare('DELETE FROM ddb_index_items WHERE table_id = ? AND index_name = ? AND ipk = ? AND isk = ? AND pk = ? AND sk = ?');
    this.#appendStream = this.db.prepare('INSERT INTO ddb_stream_records (table_id, stream_label, created_at, record) VALUES (?, ?, ?, ?)');
  }

  close(): void {
    this.commit.close();
    void this.#checkpointer?.close();
    this.db.close();
  }

  // ---- tables ----
  /**
   * Starts the background checkpoint worker (a thread, ~10 MB), once there is a table to write to:
   * an idle platform without tables does not pay for it.
   */
  #ensureCheckpointer(): void {
    if (this.#checkpointer || this.#file === ':memory:') return;
    this.#checkpointer = new Checkpointer(this.db, this.#file);
  }

  loadTables(): TableInfo[] {
    const rows = this.db.prepare('SELECT id, meta FROM ddb_tables').all() as { id: number; meta: string }[];
    if (rows.length > 0) this.#ensureCheckpointer();
    return rows.map((r) => ({ ...(JSON.parse(r.meta) as TableInfo), id: r.id }));
  }

  insertTable(table: Omit<TableInfo, 'id'>): number {
    this.#ensureCheckpointer();
    const info = this.db.prepare('INSERT INTO ddb_tables (account, region, name, meta) VALUES (?, ?, ?, ?)').run(table.accountId, table.region, table.name, '{}');
    const id = Number(info.lastInsertRowid);
    this.saveTable({ ...table, id });
    return id;
  }

  saveTable(table: TableInfo): void {
    this.db.prepare('UPDATE ddb_tables SET meta = ? WHERE id = ?').run(JSON.stringify(table), table.id);
  }

  deleteTable(id: number): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM ddb_items WHERE table_id = ?').run(id);
      this.db.prepare('DELETE FROM ddb_index_items WHERE table_id = ?').run(id);
      this.db.prepare('DELETE FROM ddb_stream_records WHERE table_id = ?').run(id);
      this.db.prepare('DELETE FROM ddb_stats WHERE table_id = ?').run(id);
      this.db.prepare('DELETE FROM ddb_tables WHERE id = ?').run(id);
    })();
  }

  deleteIndex(tableId: number, indexName: string): void {
    this.db.prepare('DELETE FROM ddb_index_items WHERE table_id = ? AND index_name = ?').run(tableId, indexName);
    this.db.prepare('DELETE FROM ddb_stats WHERE table_id = ? AND index_name = ?').run(tableId, indexName);
  }

  /** Item count and size of a table (kept by triggers, so O(1) whatever the table's size). */
  stats(tableId: number): { count: number; bytes: number } {
    return this.indexStats(tableId, '');
  }

  indexStats(tableId: number, indexName: string): { count: number; bytes: number } {
    const r = this.#statement('SELECT item_count AS c, bytes AS b FROM ddb_stats WHERE table_id = ? AND index_name = ?').get(tableId, indexName) as
      | { c: number; b: number }
      | undefined;
    return { count: r?.c ?? 0, bytes: r?.b ?? 0 };
  }

  // ---- items (the write methods run inside a transaction: GroupCommit.run or db.transaction) ----
  getItem(tableId: number, pk: Buffer, sk: Buffer): string | undefined {
    return this.getItemRow(tableId, pk, sk)?.item;
  }

  /** The stored item text (DynamoDB's JSON wire shape) with its DynamoDB size. */
  getItemRow(tableId: number, pk: Buffer, sk: Buffer): { item: string; size: number } | undefined {
    return this.#getRow.get(tableId, pk, sk) as { item: string; size: number } | undefined;
  }

  putItem(tableId: number, pk: Buffer, sk: Buffer, size: number, item: string): void {
    this.#put.run(tableId, pk, sk, segmentHash(pk), size, item);
  }

  deleteItem(tableId: number, pk: Buffer, sk: Buffer): void {
    this.#del.run(tableId, pk, sk);
  }

  putIndexEntry(tableId: number, index: string, ipk: Buffer, isk: Buffer, pk: Buffer, sk: Buffer, size: number, item: string): void {
    this.#putIndex.run(tableId, index, ipk, isk, pk, sk, segmentHash(ipk), size, item);
  }

  deleteIndexEntry(tableId: number, index: string, ipk: Buffer, isk: Buffer, pk: Buffer, sk: Buffer): void {
    this.#delIndex.run(tableId, index, ipk, isk, pk, sk);
  }

  appendStreamRecord(tableId: number, label: string, record: string): number {
    return Number(this.#appendStream.run(tableId, label, Date.now(), record).lastInsertRowid);
  }

  #statement(sql: string): SqliteStatement {
    let s = this.#queries.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.#queries.set(sql, s);
    }
    return s;
  }

  /**
   * Rows of one partition in key order (of the table, or of an index), after `start` when given.
   * Index rows are ordered by (index sort key, table key) so that a page boundary is exact.
   */
  *queryPartition(
    tableId: number,
    index: string | undefined,
    pk: Buffer,
    range: RangeBound | undefined,
    forward: boolean,
    start?: { sk: Buffer; tpk?: Buffer; tsk?: Buffer },
  ): Generator<StoredRow> {
    const where: string[] = [];
    const params: unknown[] = [];
    const skCol = index ? 'isk' : 'sk';
    if (index) {
      where.push('table_id = ?', 'index_name = ?', 'ipk = ?');
      params.push(tableId, index, pk);
    } else {
      where.push('table_id = ?', 'pk = ?');
      params.push(tableId, pk);
    }
    if (range) {
      switch (range.op) {
        case '=':
        case '<':
        case '<=':
        case '>':
        case '>=':
          where.push(`${skCol} ${range.op} ?`);
          params.push(range.a);
          break;
        case 'between':
          where.push(`${skCol} >= ?`, `${skCol} <= ?`);
          params.push(range.a, range.b);
          break;
        case 'begins_with': {
          where.push(`${skCol} >= ?`);
          params.push(range.a);
          const end = prefixEnd(range.a);
          if (end) {
            where.push(`${skCol} < ?`);
            params.push(end);
          }
          break;
        }
      }
    }
    const cmp = forward ? '>' : '<';
    if (start) {
      if (index) {
        where.push(`(isk, pk, sk) ${cmp} (?, ?, ?)`);
        params.push(start.sk, start.tpk, start.tsk);
      } else {
        where.push(`sk ${cmp} ?`);
        params.push(start.sk);
      }
    }
    const dir = forward ? 'ASC' : 'DESC';
    const order = index ? `isk ${dir}, pk ${dir}, sk ${dir}` : `sk ${dir}`;
    const table = index ? 'ddb_index_items' : 'ddb_items';
    const sql = `SELECT pk, sk, item, size FROM ${table} WHERE ${where.join(' AND ')} ORDER BY ${order}`;
    yield* this.#statement(sql).iterate(...params) as Iterable<StoredRow>;
  }

  /** Every row of a table or index in key order, optionally one hash segment, after `start`. */
  *scan(
    tableId: number,
    index: string | undefined,
    segment: { lo: number; hi: number } | undefined,
    start?: { pk: Buffer; sk: Buffer; tpk?: Buffer; tsk?: Buffer },
  ): Generator<StoredRow> {
    const where = ['table_id = ?'];
    const params: unknown[] = [tableId];
    if (index) {
      where.push('index_name = ?');
      params.push(index);
    }
    if (segment) {
      where.push('seg >= ?', 'seg < ?');
      params.push(segment.lo, segment.hi);
    }
    if (start) {
      if (index) {
        where.push('(ipk, isk, pk, sk) > (?, ?, ?, ?)');
        params.push(start.pk, start.sk, start.tpk, start.tsk);
      } else {
        where.push('(pk, sk) > (?, ?)');
        params.push(start.pk, start.sk);
      }
    }
    const table = index ? 'ddb_index_items' : 'ddb_items';
    const order = index ? 'ipk, isk, pk, sk' : 'pk, sk';
    const sql = `SELECT pk, sk, item, size FROM ${table} WHERE ${where.join(' AND ')} ORDER BY ${order}`;
    yield* this.#statement(sql).iterate(...params) as Iterable<StoredRow>;
  }

  streamRecords(tableId: number, label: string, afterSeq: number, limit: number): { seq: number; created_at: number; record: string }[] {
    return this.#statement('SELECT seq, created_at, record FROM ddb_stream_records WHERE table_id = ? AND stream_label = ? AND seq > ? ORDER BY seq LIMIT ?').all(
      tableId,
      label,
      afterSeq,
      limit,
    ) as { seq: number; created_at: number; record: string }[];
  }

  trimStreams(olderThan: number): void {
    this.db.prepare('DELETE FROM ddb_stream_records WHERE created_at < ?').run(olderThan);
  }
}
