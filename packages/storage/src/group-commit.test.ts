import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from './database.js';
import { GroupCommit } from './group-commit.js';

test('writes queued in one tick commit together, and a failing write rolls back only itself', async () => {
  const db = openDatabase(':memory:', [{ version: 1, name: 'init', up: 'CREATE TABLE t (k TEXT PRIMARY KEY)' }]);
  const group = new GroupCommit(db);
  const insert = db.prepare('INSERT INTO t (k) VALUES (?)');
  const results = await Promise.allSettled([
    group.run(() => insert.run('a')),
    group.run(() => insert.run('a')),
    group.run(() => insert.run('b')),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.deepEqual(db.prepare('SELECT k FROM t ORDER BY k').pluck().all(), ['a', 'b']);
});

test('migrations apply once, in version order', () => {
  const migrations = [
    { version: 2, name: 'add', up: 'ALTER TABLE t ADD COLUMN v TEXT' },
    { version: 1, name: 'init', up: 'CREATE TABLE t (k TEXT PRIMARY KEY)' },
  ];
  const db = openDatabase(':memory:', migrations);
  assert.deepEqual(db.prepare('SELECT version FROM atoll_migrations ORDER BY version').pluck().all(), [1, 2]);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'memory');
});

test('a durable write resolves after the WAL is synced; a non-durable one at commit; both survive a reopen', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'atoll-gc-'));
  try {
    const file = join(dir, 'g.db');
    const migrations = [{ version: 1, name: 'init', up: 'CREATE TABLE t (k TEXT PRIMARY KEY)' }];
    const db = openDatabase(file, migrations);
    const group = new GroupCommit(db);
    const insert = db.prepare('INSERT INTO t (k) VALUES (?)');
    await Promise.all([group.run(() => insert.run('durable')), group.run(() => insert.run('fast'), { durable: false })]);
    group.close();
    db.close();
    const again = openDatabase(file, migrations);
    assert.deepEqual(again.prepare('SELECT k FROM t ORDER BY k').pluck().all(), ['durable', 'fast']);
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
