// Blobs kept in an S3-compatible bucket (here s3rver, an S3 peer written by others), as nodes that share no directory
// keep them: written through the local cache, acknowledged once the bucket has them, fetched by
// another node on first use, and refused plainly when the bucket cannot be reached.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AtollError } from '@atoll/core';
import { blobStoreFor } from '@atoll/storage';
import { tempDir } from './temp-dir.js';

describe('blobs in an S3-compatible bucket', () => {
  let server: { close(): Promise<void> };
  let s3: S3Client;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    const S3rver = createRequire(import.meta.url)('s3rver');
    const peer = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: tempDir('atoll-s3rver-'), configureBuckets: [{ name: 'atoll-blobs' }] });
    const { port } = await peer.run();
    server = peer;
    const endpoint = `http://127.0.0.1:${port}`;
    const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
    s3 = new S3Client({ endpoint, region: 'us-east-1', credentials, forcePathStyle: true });
    env = { ATOLL_BLOB_ENDPOINT: endpoint, ATOLL_BLOB_ACCESS_KEY_ID: credentials.accessKeyId, ATOLL_BLOB_SECRET_ACCESS_KEY: credentials.secretAccessKey };
  });
  after(async () => {
    s3.destroy();
    await server.close();
  });

  it('stores a blob in the bucket before acknowledging it, and another node reads it through its own cache', async () => {
    const writer = blobStoreFor({ blobDir: tempDir('atoll-blob-a-'), blobUrl: 's3://atoll-blobs/cluster-1' }, 's3', env);
    const reader = blobStoreFor({ blobDir: tempDir('atoll-blob-b-'), blobUrl: 's3://atoll-blobs/cluster-1' }, 's3', env);
    const blob = await writer.put(Buffer.from('hello from node a'), { digests: ['md5'] });
    const stored = await s3.send(new GetObjectCommand({ Bucket: 'atoll-blobs', Key: `cluster-1/s3/${blob.key}` }));
    assert.equal(await stored.Body!.transformToString(), 'hello from node a');
    assert.equal(await reader.size(blob.key), 17);
    await reader.ensureLocal(blob.key);
    assert.equal(readFileSync(reader.path(blob.key), 'utf8'), 'hello from node a');

    await reader.delete(blob.key);
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: 'atoll-blobs', Key: `cluster-1/s3/${blob.key}` })), { name: 'NotFound' });
  });

  it('refuses a write with STORAGE_UNAVAILABLE when the bucket cannot be reached, leaving nothing behind', async () => {
    const store = blobStoreFor({ blobDir: tempDir('atoll-blob-c-'), blobUrl: 's3://atoll-blobs/x' }, 's3', { ...env, ATOLL_BLOB_ENDPOINT: 'http://127.0.0.1:1' });
    await assert.rejects(store.put('lost'), (error: unknown) => {
      assert.ok(error instanceof AtollError);
      assert.equal(error.code, 'STORAGE_UNAVAILABLE');
      return true;
    });
    assert.deepEqual([...store.keys()], []);
  });
});
