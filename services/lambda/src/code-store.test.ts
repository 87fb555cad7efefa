import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import { CodeStore } from './code-store.js';

test('a zip is stored, extracted once per blob, and its bootstrap made executable', async () => {
  const root = mkdtempSync(join(tmpdir(), 'atoll-code-'));
  try {
    const archive = new AdmZip();
    archive.addFile('bootstrap', Buffer.from('#!/bin/sh\n'), '', 0o644);
    archive.addFile('lib/a.txt', Buffer.from('hello'));
    const store = new CodeStore(root);
    const code = await store.put(archive.toBuffer());
    assert.match(code.sha256, /^[A-Za-z0-9+/]{43}=$/);
    const dir = await store.directory(code.codeKey);
    assert.equal(readFileSync(join(dir, 'lib/a.txt'), 'utf8'), 'hello');
    assert.equal(statSync(join(dir, 'bootstrap')).mode & 0o111, 0o111);
    rmSync(dir, { recursive: true });
    assert.equal(readFileSync(join(await store.directory(code.codeKey), 'lib/a.txt'), 'utf8'), 'hello');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('bytes that are not a zip are InvalidZipFileException and leave nothing behind', async () => {
  const root = mkdtempSync(join(tmpdir(), 'atoll-code-'));
  try {
    const store = new CodeStore(root);
    await assert.rejects(store.put(Buffer.from('PK\u0003\u0004 truncated')), (err: { code: string; status: number }) => err.code === 'InvalidZipFileException' && err.status === 502);
    assert.deepEqual([...store.blobs.keys()], []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
