// The startup sweep on a blob directory shared by several nodes: with a grace period it removes
// only temporary files and unreferenced blobs older than it, never what another node is writing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakePlatform, requestContext } from '@atoll/test-support';
import { S3Provider } from '../src/s3-provider.js';

test('with a grace period the startup sweep keeps recent temporary files and unreferenced blobs', async () => {
  const platform = fakePlatform();
  try {
    const blobs = join(platform.storage.blobDir, 's3', 'blobs');
    mkdirSync(join(blobs, 'tmp'), { recursive: true });
    mkdirSync(join(blobs, 'ab'), { recursive: true });
    const old = new Date(Date.now() - 10 * 60_000);
    const file = (path: string, age?: Date) => {
      writeFileSync(path, 'x');
      if (age) utimesSync(path, age, age);
      return path;
    };
    const oldTemp = file(join(blobs, 'tmp', 'interrupted'), old);
    const newTemp = file(join(blobs, 'tmp', 'being-written'));
    const oldOrphan = file(join(blobs, 'ab', 'ab'.padEnd(32, '1')), old);
    const newOrphan = file(join(blobs, 'ab', 'ab'.padEnd(32, '2')));
    const provider = new S3Provider(platform, { lifecycleIntervalMs: 0, orphanGraceMs: 5 * 60_000 });
    await provider.start();
    await provider.core.idle();
    assert.equal(existsSync(oldTemp), false, 'an old temporary file goes');
    assert.equal(existsSync(oldOrphan), false, 'an old unreferenced blob goes');
    assert.equal(existsSync(newTemp), true, 'a temporary file written now stays');
    assert.equal(existsSync(newOrphan), true, 'a blob that may be about to be referenced stays');
    // An old blob that a row references stays too.
    const ctx = requestContext({ service: 's3' });
    await provider.operations.CreateBucket!({ Bucket: 'kept' }, ctx);
    await provider.operations.PutObject!({ Bucket: 'kept', Key: 'big', Body: Buffer.alloc(100 * 1024, 1) }, ctx);
    const [key] = [...provider.core.blobs.keys()].filter((k) => k !== 'ab'.padEnd(32, '2'));
    utimesSync(provider.core.blobs.path(key!), old, old);
    assert.deepEqual(await provider.sweepOrphans(), { temporary: 0, orphans: 0 });
    assert.equal(existsSync(provider.core.blobs.path(key!)), true);
    await provider.close();
  } finally {
    platform.cleanup();
  }
});
