import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStoreDatabase } from './sqlite-store-database.js';

const MIGRATIONS = [{ version: 1, name: 'init', up: 'CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)' }];

async function withStore(fn: (db: SqliteStoreDatabase, file: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-sqlite-store-'));
  const file = join(dir, 'store.sqlite');
  const db = await SqliteStoreDatabase.open(file, MIGRATIONS);
  try {
    await fn(db, file);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('single-statement writes of one batch commit together, and a failing one rolls back only itself', async () => {
  await withStore(async (db, file) => {
    const results = await Promise.allSettled([
      db.run('INSERT INTO t (k, v) VALUES (?, ?)', ['a', 1]),
      db.run('INSERT INTO t (k, v) VALUES (?, ?)', ['a', 2]),
      db.transaction(async (tx) => {
        await tx.run('INSERT INTO t (k, v) VALUES (?, ?)', ['b', 3]);
        return 'tx';
      }),
      db.run('INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v', ['b', 4]),
      db.run('UPDATE t SET v = v + 10 WHERE k IN (?, ?)', ['a', 'b']),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    assert.deepEqual((results[0] as PromiseFulfilledResult<unknown>).value, { changes: 1 });
    assert.equal((results[2] as PromiseFulfilledResult<unknown>).value, 'tx');
    assert.deepEqual((results[4] as PromiseFulfilledResult<unknown>).value, { changes: 2 });
    assert.match(String((results[1] as PromiseRejectedResult).reason), /UNIQUE constraint failed/);
    assert.deepEqual(await db.all('SELECT k, v FROM t ORDER BY k'), [
      { k: 'a', v: 11 },
      { k: 'b', v: 14 },
    ]);
    // Acknowledged writes are on disk: a second connection sees them.
    const other = await SqliteStoreDatabase.open(file, MIGRATIONS);
    try {
      assert.deepEqual(await other.all('SELECT k FROM t ORDER BY k'), [{ k: 'a' }, { k: 'b' }]);
    } finally {
      await other.close();
    }
  });
});

test('a failing single-statement write rejects with the engine error and leaves the batch usable', async () => {
  await withStore(async (db) => {
    await assert.rejects(db.run('INSERT INTO t (k, v) VALUES (?, ?)', ['x', null]), /NOT NULL constraint failed/);
    assert.deepEqual(await db.run('INSERT INTO t (k, v) VALUES (?, ?)', ['x', 5]), { changes: 1 });
    assert.deepEqual(await db.get('SELECT v FROM t WHERE k = ?', ['x']), { v: 5 });
  });
});

test('a failing OR FAIL statement leaves none of its rows, as a savepoint rollback does', async () => {
  await withStore(async (db) => {
    await db.run('INSERT INTO t (k, v) VALUES (?, ?)', ['a', 1]);
    await assert.rejects(db.run('INSERT OR FAIL INTO t (k, v) VALUES (?, ?), (?, ?)', ['m', 1, 'a', 2]), /UNIQUE constraint failed/);
    assert.deepEqual(await db.all('SELECT k FROM t ORDER BY k'), [{ k: 'a' }]);
  });
});

test('reads share one read transaction that a write ends first, and that ends by itself within milliseconds', async () => {
  await withStore(async (db, file) => {
    await db.run('INSERT INTO t (k, v) VALUES (?, ?)', ['a', 1]);
    assert.deepEqual(await db.get('SELECT v FROM t WHERE k = ?', ['a']), { v: 1 });
    assert.equal(db.db.inTransaction, true, 'the read left its transaction open for the reads that follow');
    // A write queued while the read transaction is open sees, and is seen by, the next read.
    const write = db.run('UPDATE t SET v = 2 WHERE k = ?', ['a']);
    assert.deepEqual(await db.get('SELECT v FROM t WHERE k = ?', ['a']), { v: 1 }, 'not committed yet');
    await write;
    assert.deepEqual(await db.get('SELECT v FROM t WHERE k = ?', ['a']), { v: 2 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(db.db.inTransaction, false, 'the shared read ended by itself');
    // Another connection writes, and this one reads its write once its own read has ended.
    const other = await SqliteStoreDatabase.open(file, MIGRATIONS);
    try {
      await other.run('INSERT INTO t (k, v) VALUES (?, ?)', ['b', 3]);
      assert.deepEqual(await db.all('SELECT k FROM t ORDER BY k'), [{ k: 'a' }, { k: 'b' }]);
    } finally {
      await other.close();
    }
    // A checkpoint by another connection completes once the shared read has ended.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const checkpoint = (await import('better-sqlite3')).default;
    const raw = new checkpoint(file);
    try {
      const [row] = raw.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      assert.equal(row!.busy, 0);
    } finally {
      raw.close();
    }
  });
});

test('a transaction waits for nothing from the shared read, and close ends it', async () => {
  await withStore(async (db) => {
    await db.get('SELECT 1 AS one');
    const value = await db.transaction(async (tx) => {
      await tx.run('INSERT INTO t (k, v) VALUES (?, ?)', ['c', 5]);
      return (await tx.get<{ v: number }>('SELECT v FROM t WHERE k = ?', ['c']))!.v;
    });
    assert.equal(value, 5);
    await db.get('SELECT 1 AS one');
  });
});

test('statements past the prepared-statement bound are prepared again when needed, OR FAIL ones with their savepoint', async () => {
  await withStore(async (db) => {
    const orFail = 'INSERT OR FAIL INTO t (k, v) VALUES (?, ?), (?, ?)';
    await db.run('INSERT INTO t (k, v) VALUES (?, ?)', ['a', 1]);
    await assert.rejects(db.run(orFail, ['m', 1, 'a', 2]), /UNIQUE constraint failed/);
    // 600 distinct texts: more than the connection keeps, so the first ones are dropped.
    for (let n = 1; n <= 600; n++) assert.deepEqual(await db.get(`SELECT count(*) AS c FROM t WHERE v < ${n}`), { c: n > 1 ? 1 : 0 });
    await assert.rejects(db.run(orFail, ['n', 1, 'a', 2]), /UNIQUE constraint failed/);
    assert.deepEqual(await db.all('SELECT k FROM t ORDER BY k'), [{ k: 'a' }]);
    assert.deepEqual(await db.run('INSERT INTO t (k, v) VALUES (?, ?)', ['b', 2]), { changes: 1 });
  });
});
