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
