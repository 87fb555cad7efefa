import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { BlobStore, BlobTooLargeError } from './blob-store.js';

test('a stored blob reads back whole and by range, with its digests', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-blob-'));
  try {
    const store = new BlobStore(dir);
    const bytes = Buffer.from('hello, durable world');
    const blob = await store.put(Readable.from([bytes.subarray(0, 5), bytes.subarray(5)]), { digests: ['md5'] });
    assert.equal(blob.size, bytes.length);
    assert.equal(blob.digests.md5, createHash('md5').update(bytes).digest('hex'));
    assert.deepEqual(readFileSync(store.path(blob.key)), bytes);
    const chunks: Buffer[] = [];
    for await (const c of store.read(blob.key, { start: 7, end: 13 })) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'durable');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a blob over the size limit is refused and leaves no file behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-blob-'));
  try {
    const store = new BlobStore(dir);
    await assert.rejects(store.put(Buffer.alloc(100), { maxBytes: 10 }), BlobTooLargeError);
    assert.deepEqual(readdirSync(join(dir, 'tmp')), []);
    assert.deepEqual([...store.keys()], []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a source that fails midway leaves no file behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-blob-'));
  try {
    const store = new BlobStore(dir);
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(10));
        this.destroy(new Error('client went away'));
      },
    });
    await assert.rejects(store.put(failing), /client went away/);
    assert.deepEqual(readdirSync(join(dir, 'tmp')), []);
    assert.deepEqual([...store.keys()], []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
