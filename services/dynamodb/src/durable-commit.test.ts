import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '@atoll/storage';
import { DurableCommit } from './durable-commit.js';

describe('durable group commit', () => {
  test('commits many writes in one batch and rolls back only a failing one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddb-commit-'));
    const file = join(dir, 'db.sqlite');
    try {
      const db = openDatabase(file, [{ version: 1, name: 't', up: 'CREATE TABLE t (k INTEGER PRIMARY KEY)' }], { synchronous: 'normal' });
      const commit = new DurableCommit(db, file);
      const insert = db.prepare('INSERT INTO t (k) VALUES (?)');
      const results = await Promise.allSettled([
        commit.run(() => insert.run(1).changes),
        commit.run(() => {
          insert.run(2);
          throw new Error('boom');
        }),
        commit.run(() => insert.run(3).changes),
      ]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
      assert.deepEqual((db.prepare('SELECT k FROM t ORDER BY k').all() as { k: number }[]).map((r) => r.k), [1, 3]);
      commit.close();
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
