import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listKeys, prefixSuccessor, type ListEntry } from './listing.js';
import type { KeyCursor } from './s3-store.js';

const entries = (keys: string[]): ListEntry[] =>
  keys
    .map((k, i) => ({ key: Buffer.from(k), seq: i }))
    .sort((a, b) => Buffer.compare(a.key, b.key));

const source = (all: ListEntry[]) => {
  let fetches = 0;
  const fetch = (cursor: KeyCursor, limit: number) => {
    fetches++;
    return all
      .filter((e) => {
        const c = Buffer.compare(e.key, cursor.key);
        return cursor.inclusive ? c >= 0 : c > 0;
      })
      .slice(0, limit);
  };
  return { fetch, fetches: () => fetches };
};

const names = (r: { contents: ListEntry[]; commonPrefixes: Buffer[] }) => ({
  keys: r.contents.map((e) => e.key.toString()),
  prefixes: r.commonPrefixes.map((p) => p.toString()),
});

test('the successor of a prefix is the first byte string after every key under it', async () => {
  assert.deepEqual(prefixSuccessor(Buffer.from('a/')), Buffer.from('a0'));
  assert.deepEqual(prefixSuccessor(Buffer.from([0x61, 0xff])), Buffer.from('b'));
  assert.equal(prefixSuccessor(Buffer.from([0xff])), undefined);
});

test('rolls up keys under a delimiter and jumps past them with one fetch per common prefix', async () => {
  const all = entries([...Array.from({ length: 5000 }, (_, i) => `logs/${String(i).padStart(5, '0')}`), 'a', 'z']);
  const src = source(all);
  const result = await listKeys({ prefix: Buffer.alloc(0), delimiter: Buffer.from('/'), maxKeys: 1000 }, src.fetch);
  assert.deepEqual(names(result), { keys: ['a', 'z'], prefixes: ['logs/'] });
  assert.ok(src.fetches() <= 3, `fetched ${src.fetches()} times`);
});

test('counts keys and prefixes against max-keys and resumes after the last one', async () => {
  const all = entries(['a/1', 'a/2', 'b', 'c/1', 'd']);
  const first = await listKeys({ prefix: Buffer.alloc(0), delimiter: Buffer.from('/'), maxKeys: 2 }, source(all).fetch);
  assert.deepEqual(names(first), { keys: ['b'], prefixes: ['a/'] });
  assert.equal(first.truncated, true);
  const second = await listKeys({ prefix: Buffer.alloc(0), delimiter: Buffer.from('/'), maxKeys: 2, after: first.last!.key }, source(all).fetch);
  assert.deepEqual(names(second), { keys: ['d'], prefixes: ['c/'] });
  assert.equal(second.truncated, false);
});

test('limits a listing to a prefix and treats a multi-byte delimiter as one unit', async () => {
  const all = entries(['p--a--1', 'p--a--2', 'p--b', 'q']);
  const r = await listKeys({ prefix: Buffer.from('p--'), delimiter: Buffer.from('--'), maxKeys: 10 }, source(all).fetch);
  assert.deepEqual(names(r), { keys: ['p--b'], prefixes: ['p--a--'] });
});

test('a max-keys of zero lists nothing and is not truncated', async () => {
  const r = await listKeys({ prefix: Buffer.alloc(0), maxKeys: 0 }, source(entries(['a'])).fetch);
  assert.deepEqual(names(r), { keys: [], prefixes: [] });
  assert.equal(r.truncated, false);
});
