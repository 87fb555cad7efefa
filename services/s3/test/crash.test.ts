// Crash safety: kill -9 during an upload and right after acknowledged uploads, restart, and check
// that acknowledged objects are intact and that no temporary file, orphan blob or row remains.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { spawnPlatform, type SpawnedPlatform } from '@atoll/test-support';

const clientFor = (p: SpawnedPlatform) =>
  new S3Client({ endpoint: p.endpoint, region: 'us-east-1', credentials: p.credentials, forcePathStyle: true, maxAttempts: 1 });

const blobFiles = (dataDir: string): string[] => {
  const root = join(dataDir, 's3', 'blobs');
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => d.length === 2)
    .flatMap((d) => readdirSync(join(root, d)));
};

test('acknowledged objects survive kill -9 and an interrupted upload leaves nothing after restart', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'atoll-s3-crash-'));
  try {
    const first = await spawnPlatform({ dataDir, services: ['s3'] });
    const s3 = clientFor(first);
    await s3.send(new CreateBucketCommand({ Bucket: 'crash' }));
    const acked = new Map<string, string>();
    for (let i = 0; i < 5; i++) {
      const body = randomBytes(256 * 1024 + i);
      await s3.send(new PutObjectCommand({ Bucket: 'crash', Key: `acked-${i}`, Body: body }));
      acked.set(`acked-${i}`, createHash('md5').update(body).digest('hex'));
    }
    // Start a 64 MiB upload, send 8 MiB of it, then kill the platform while it is mid-body.
    const url = new URL(await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'crash', Key: 'interrupted' }), { expiresIn: 300 }));
    const total = 64 * 1024 * 1024;
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'PUT', headers: { 'content-length': total } });
    req.on('error', () => {});
    const chunk = Buffer.alloc(1024 * 1024, 7);
    for (let i = 0; i < 8; i++) {
      if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
    }
    const tmp = join(dataDir, 's3', 'blobs', 'tmp');
    for (let i = 0; i < 200 && readdirSync(tmp).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(readdirSync(tmp).length, 1, 'the upload was being written to a temporary file');
    await first.kill('SIGKILL');
    req.destroy();
    s3.destroy();

    const second = await spawnPlatform({ dataDir, services: ['s3'] });
    const s3b = clientFor(second);
    try {
      for (const [key, md5] of acked) {
        const got = await s3b.send(new GetObjectCommand({ Bucket: 'crash', Key: key }));
        const bytes = Buffer.from(await got.Body!.transformToByteArray());
        assert.equal(createHash('md5').update(bytes).digest('hex'), md5, key);
      }
      await assert.rejects(s3b.send(new HeadObjectCommand({ Bucket: 'crash', Key: 'interrupted' })), (e: any) => {
        assert.equal(e.name, 'NotFound');
        assert.equal(e.$metadata.httpStatusCode, 404);
        return true;
      });
      const listed = await s3b.send(new ListObjectsV2Command({ Bucket: 'crash' }));
      assert.deepEqual(listed.Contents?.map((c) => c.Key), [...acked.keys()]);
      assert.deepEqual(readdirSync(tmp), [], 'no temporary file remains');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(blobFiles(dataDir).length, acked.size, 'one blob per acknowledged object, no orphans');
      // kill -9 right after an acknowledged write, then check it again.
      const last = randomBytes(4096);
      await s3b.send(new PutObjectCommand({ Bucket: 'crash', Key: 'just-acked', Body: last }));
    } finally {
      s3b.destroy();
      await second.kill('SIGKILL');
    }
    const third = await spawnPlatform({ dataDir, services: ['s3'] });
    const s3c = clientFor(third);
    try {
      const got = await s3c.send(new GetObjectCommand({ Bucket: 'crash', Key: 'just-acked' }));
      assert.equal((await got.Body!.transformToByteArray()).length, 4096);
    } finally {
      s3c.destroy();
      await third.kill('SIGTERM');
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
