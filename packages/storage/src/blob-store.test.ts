import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createHash, randomBytes } from 'node:crypto';
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

test('a source that fails before its blob file is open is reported, not left unhandled', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-blob-'));
  try {
    const store = new BlobStore(dir);
    const failing = new Readable({ read() {} });
    const stored = store.put(failing, { digests: ['md5'] });
    failing.destroy(new Error('client went away'));
    await assert.rejects(stored, /client went away/);
    assert.deepEqual(readdirSync(join(dir, 'tmp')), []);
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

test('a failed verify stores nothing, and it sees the size and digests of every byte', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-blob-'));
  try {
    const store = new BlobStore(dir);
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 65536) }, (_, i) => bytes.subarray(i * 65536, (i + 1) * 65536));
    let seen: { size: number; digests: Record<string, string | undefined> } | undefined;
    await assert.rejects(
      store.put(Readable.from(chunks), {
        digests: ['md5', 'sha256'],
        verify: (blob) => {
          seen = blob;
          throw new Error('checksum mismatch');
        },
      }),
      /checksum mismatch/,
    );
    assert.equal(seen?.size, bytes.length);
    assert.equal(seen?.digests.md5, createHash('md5').update(bytes).digest('hex'));
    assert.equal(seen?.digests.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.deepEqual(readdirSync(join(dir, 'tmp')), []);
    assert.deepEqual([...store.keys()], []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('inspect sees every chunk in order, and a blob past the background flush size reads back intact', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-blob-'));
  try {
    const store = new BlobStore(dir);
    const chunk = randomBytes(1024 * 1024);
    const count = 40;
    const inspected = createHash('sha1');
    const blob = await store.put(Readable.from(Array.from({ length: count }, () => chunk)), {
      digests: ['sha1'],
      inspect: (c) => inspected.update(c),
    });
    const whole = createHash('sha1');
    for (let i = 0; i < count; i++) whole.update(chunk);
    const expected = whole.digest('hex');
    assert.equal(blob.size, count * chunk.length);
    assert.equal(blob.digests.sha1, expected);
    assert.equal(inspected.digest('hex'), expected);
    assert.equal(createHash('sha1').update(readFileSync(store.path(blob.key))).digest('hex'), expected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('concurrent blobs get their own digests', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-blob-'));
  try {
    const store = new BlobStore(dir);
    const bodies = Array.from({ length: 8 }, (_, i) => randomBytes(200_000 + i * 70_001));
    const blobs = await Promise.all(bodies.map((b) => store.put(Readable.from([b.subarray(0, 100_000), b.subarray(100_000)]), { digests: ['md5'] })));
    blobs.forEach((blob, i) => assert.equal(blob.digests.md5, createHash('md5').update(bodies[i]!).digest('hex')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a blob refused midway by its size limit or an abort leaves no file behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-blob-'));
  try {
    const store = new BlobStore(dir);
    const chunks = () => Readable.from(Array.from({ length: 8 }, () => Buffer.alloc(256 * 1024)));
    const error = await store.put(chunks(), { digests: ['md5'], maxBytes: 1024 * 1024 }).catch((e: unknown) => e);
    assert.ok(error instanceof BlobTooLargeError);
    assert.equal(error.code, 'BLOB_TOO_LARGE');
    assert.ok(error.size > 1024 * 1024);
    const controller = new AbortController();
    const slow = new Readable({
      read() {
        this.push(Buffer.alloc(64 * 1024));
        controller.abort();
      },
    });
    await assert.rejects(store.put(slow, { digests: ['md5'], signal: controller.signal }), { name: 'AbortError' });
    assert.deepEqual(readdirSync(join(dir, 'tmp')), []);
    assert.deepEqual([...store.keys()], []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
