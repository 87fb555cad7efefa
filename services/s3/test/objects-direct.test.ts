// Buckets and objects through the provider's operations, without the edge.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { checksumOf } from '../src/checksums.js';
import { errorOf, harness, type Harness } from './direct-harness.js';

let h: Harness;
before(() => {
  h = harness();
});
after(() => h.close());

const blobFiles = async (dir: string): Promise<string[]> => {
  await h.provider.core.idle();
  return readdirSync(join(dir, 's3', 'blobs')).filter((d) => d.length === 2).flatMap((d) => readdirSync(join(dir, 's3', 'blobs', d)));
};

describe('buckets', () => {
  test('creates a bucket and refuses to create it twice with BucketAlreadyOwnedByYou', async () => {
    await h.op('CreateBucket', { Bucket: 'b-create' });
    assert.equal(await errorOf(h.op('CreateBucket', { Bucket: 'b-create' })), 'BucketAlreadyOwnedByYou/409');
    assert.equal(await errorOf(h.op('CreateBucket', { Bucket: 'b-create' }, { accountId: '111111111111' })), 'BucketAlreadyExists/409');
  });

  test('refuses invalid bucket names with InvalidBucketName', async () => {
    assert.equal(await errorOf(h.op('CreateBucket', { Bucket: 'Bad_Name' })), 'InvalidBucketName/400');
  });

  test('refuses us-east-1 as an explicit location constraint and stores other regions', async () => {
    assert.equal(
      await errorOf(h.op('CreateBucket', { Bucket: 'b-loc', CreateBucketConfiguration: { LocationConstraint: 'us-east-1' } })),
      'InvalidLocationConstraint/400',
    );
    await h.op('CreateBucket', { Bucket: 'b-loc', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } });
    assert.deepEqual(await h.op('GetBucketLocation', { Bucket: 'b-loc' }), { LocationConstraint: 'eu-west-1' });
    assert.equal((await h.op('HeadBucket', { Bucket: 'b-loc' })).BucketRegion, 'eu-west-1');
  });

  test('answers NoSuchBucket with the bucket name for a missing bucket', async () => {
    try {
      await h.op('HeadBucket', { Bucket: 'missing-bucket' });
      assert.fail('expected an error');
    } catch (error) {
      assert.equal((error as { code: string }).code, 'NoSuchBucket');
      assert.equal((error as { fields: Record<string, unknown> }).fields.BucketName, 'missing-bucket');
    }
  });

  test('refuses to delete a bucket that holds objects with BucketNotEmpty', async () => {
    await h.op('CreateBucket', { Bucket: 'b-nonempty' });
    await h.op('PutObject', { Bucket: 'b-nonempty', Key: 'k', Body: h.body('x') });
    assert.equal(await errorOf(h.op('DeleteBucket', { Bucket: 'b-nonempty' })), 'BucketNotEmpty/409');
    await h.op('DeleteObject', { Bucket: 'b-nonempty', Key: 'k' });
    await h.op('DeleteBucket', { Bucket: 'b-nonempty' });
    assert.equal(await errorOf(h.op('HeadBucket', { Bucket: 'b-nonempty' })), 'NoSuchBucket/404');
  });

  test('refuses a request whose expected bucket owner is another account with AccessDenied', async () => {
    await h.op('CreateBucket', { Bucket: 'b-owner' });
    assert.equal(await errorOf(h.op('HeadBucket', { Bucket: 'b-owner' }, { headers: { 'x-amz-expected-bucket-owner': '111111111111' } })), 'AccessDenied/403');
    assert.equal(await errorOf(h.op('HeadBucket', { Bucket: 'b-owner' }, { headers: { 'x-amz-expected-bucket-owner': '000000000000' } })), 'ok');
  });

  test('lists the caller account buckets page by page', async () => {
    for (const n of ['lb-a', 'lb-b', 'lb-c']) await h.op('CreateBucket', { Bucket: n });
    const first = await h.op('ListBuckets', { Prefix: 'lb-', MaxBuckets: 2 });
    assert.deepEqual(first.Buckets.map((b: { Name: string }) => b.Name), ['lb-a', 'lb-b']);
    const second = await h.op('ListBuckets', { Prefix: 'lb-', MaxBuckets: 2, ContinuationToken: first.ContinuationToken });
    assert.deepEqual(second.Buckets.map((b: { Name: string }) => b.Name), ['lb-c']);
    assert.equal(second.ContinuationToken, undefined);
    const other = await h.op('ListBuckets', {}, { accountId: '222222222222' });
    assert.equal(other.Buckets.length, 0);
  });
});

describe('objects', () => {
  before(async () => {
    await h.op('CreateBucket', { Bucket: 'objs' });
  });

  test('stores bytes, content headers and user metadata and returns them on GET and HEAD', async () => {
    const put = await h.op('PutObject', {
      Bucket: 'objs',
      Key: 'dir/hello.txt',
      Body: h.body('hello world'),
      ContentType: 'text/plain',
      CacheControl: 'max-age=60',
      Metadata: { Colour: 'blue' },
      ContentLength: 11,
    });
    assert.equal(put.ETag, `"${createHash('md5').update('hello world').digest('hex')}"`);
    assert.equal(put.VersionId, undefined);
    const got = await h.op('GetObject', { Bucket: 'objs', Key: 'dir/hello.txt' });
    assert.equal((await h.read(got.Body)).toString(), 'hello world');
    assert.equal(got.ContentType, 'text/plain');
    assert.equal(got.CacheControl, 'max-age=60');
    assert.deepEqual(got.Metadata, { colour: 'blue' });
    assert.equal(got.ContentLength, 11);
    const head = await h.op('HeadObject', { Bucket: 'objs', Key: 'dir/hello.txt' });
    assert.equal(head.Body, undefined);
    assert.equal(head.ETag, put.ETag);
  });

  test('answers NoSuchKey with the key for a missing object', async () => {
    try {
      await h.op('GetObject', { Bucket: 'objs', Key: 'nope' });
      assert.fail('expected an error');
    } catch (error) {
      assert.equal((error as { code: string }).code, 'NoSuchKey');
      assert.equal((error as { status: number }).status, 404);
      assert.equal((error as { fields: Record<string, unknown> }).fields.Key, 'nope');
    }
  });

  test('serves a single byte range with Content-Range and refuses an unsatisfiable one', async () => {
    await h.op('PutObject', { Bucket: 'objs', Key: 'range', Body: h.body('0123456789') });
    const got = await h.op('GetObject', { Bucket: 'objs', Key: 'range', Range: 'bytes=2-5' });
    assert.equal((await h.read(got.Body)).toString(), '2345');
    assert.equal(got.ContentRange, 'bytes 2-5/10');
    assert.equal(got.ContentLength, 4);
    const tail = await h.op('GetObject', { Bucket: 'objs', Key: 'range', Range: 'bytes=-3' });
    assert.equal((await h.read(tail.Body)).toString(), '789');
    assert.equal(await errorOf(h.op('GetObject', { Bucket: 'objs', Key: 'range', Range: 'bytes=10-' })), 'InvalidRange/416');
  });

  test('applies If-Match, If-None-Match and If-Modified-Since to reads', async () => {
    const put = await h.op('PutObject', { Bucket: 'objs', Key: 'cond', Body: h.body('c') });
    assert.equal(await errorOf(h.op('GetObject', { Bucket: 'objs', Key: 'cond', IfMatch: '"other"' })), 'PreconditionFailed/412');
    assert.equal(await errorOf(h.op('GetObject', { Bucket: 'objs', Key: 'cond', IfNoneMatch: put.ETag })), 'NotModified/304');
    assert.equal(
      await errorOf(h.op('HeadObject', { Bucket: 'objs', Key: 'cond', IfModifiedSince: new Date(Date.now() + 60_000) })),
      'NotModified/304',
    );
    assert.equal(await errorOf(h.op('HeadObject', { Bucket: 'objs', Key: 'cond', IfMatch: put.ETag })), 'ok');
  });

  test('refuses a conditional write with If-None-Match * when the key exists', async () => {
    await h.op('PutObject', { Bucket: 'objs', Key: 'once', Body: h.body('1'), IfNoneMatch: '*' });
    assert.equal(
      await errorOf(h.op('PutObject', { Bucket: 'objs', Key: 'once', Body: h.body('2'), IfNoneMatch: '*' })),
      'PreconditionFailed/412',
    );
    const got = await h.op('GetObject', { Bucket: 'objs', Key: 'once' });
    assert.equal((await h.read(got.Body)).toString(), '1');
  });

  test('lets exactly one of two racing If-None-Match * writes win', async () => {
    const results = await Promise.all(
      ['a', 'b'].map((v) => errorOf(h.op('PutObject', { Bucket: 'objs', Key: 'race', Body: h.body(v), IfNoneMatch: '*' }))),
    );
    assert.deepEqual(results.sort(), ['PreconditionFailed/412', 'ok']);
  });

  test('verifies Content-MD5 and stores nothing on a mismatch', async () => {
    const before = (await blobFiles(h.dataDir)).length;
    const good = createHash('md5').update('data').digest('base64');
    await h.op('PutObject', { Bucket: 'objs', Key: 'md5', Body: h.body('data'), ContentMD5: good });
    const bad = createHash('md5').update('other').digest('base64');
    assert.equal(await errorOf(h.op('PutObject', { Bucket: 'objs', Key: 'md5-bad', Body: h.body('data'), ContentMD5: bad })), 'BadDigest/400');
    assert.equal(await errorOf(h.op('PutObject', { Bucket: 'objs', Key: 'md5-bad', Body: h.body('data'), ContentMD5: 'abc' })), 'InvalidDigest/400');
    assert.equal(await errorOf(h.op('HeadObject', { Bucket: 'objs', Key: 'md5-bad' })), 'NoSuchKey/404');
    assert.equal((await blobFiles(h.dataDir)).length, before + 1);
  });

  test('verifies header checksums of every algorithm and refuses a mismatch with BadDigest', async () => {
    for (const algorithm of ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const) {
      const value = checksumOf(algorithm, Buffer.from('payload'));
      const put = await h.op('PutObject', { Bucket: 'objs', Key: `sum-${algorithm}`, Body: h.body('payload'), [`Checksum${algorithm}`]: value });
      assert.equal(put[`Checksum${algorithm}`], value);
      const got = await h.op('HeadObject', { Bucket: 'objs', Key: `sum-${algorithm}`, ChecksumMode: 'ENABLED' });
      assert.equal(got[`Checksum${algorithm}`], value);
      const wrong = checksumOf(algorithm, Buffer.from('other'));
      try {
        await h.op('PutObject', { Bucket: 'objs', Key: `sum-bad-${algorithm}`, Body: h.body('payload'), [`Checksum${algorithm}`]: wrong });
        assert.fail('expected BadDigest');
      } catch (error) {
        assert.equal((error as { code: string }).code, 'BadDigest');
        assert.equal((error as Error).message, `The ${algorithm} you specified did not match the calculated checksum.`);
      }
    }
  });

  test('verifies a checksum sent as an aws-chunked trailer', async () => {
    const value = checksumOf('CRC32', Buffer.from('trailing'));
    const headers = { 'x-amz-trailer': 'x-amz-checksum-crc32', 'x-amz-decoded-content-length': '8' };
    await h.op('PutObject', { Bucket: 'objs', Key: 'trailer', Body: h.body('trailing') }, { headers, trailers: () => ({ 'x-amz-checksum-crc32': value }) });
    const bad = checksumOf('CRC32', Buffer.from('x'));
    assert.equal(
      await errorOf(h.op('PutObject', { Bucket: 'objs', Key: 'trailer-bad', Body: h.body('trailing') }, { headers, trailers: () => ({ 'x-amz-checksum-crc32': bad }) })),
      'BadDigest/400',
    );
    assert.equal(await errorOf(h.op('HeadObject', { Bucket: 'objs', Key: 'trailer-bad' })), 'NoSuchKey/404');
  });

  test('a multi-megabyte body that fails its Content-MD5 or checksum leaves no blob, no temporary file and no row', async () => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 5, 0x5a);
    const chunked = () => Readable.from(Array.from({ length: Math.ceil(data.length / 65536) }, (_, i) => data.subarray(i * 65536, (i + 1) * 65536)));
    const before = (await blobFiles(h.dataDir)).length;
    const wrongMd5 = createHash('md5').update('other').digest('base64');
    const wrongSum = checksumOf('CRC32C', Buffer.from('other'));
    for (const extra of [{ ContentMD5: wrongMd5 }, { ChecksumCRC32C: wrongSum }]) {
      assert.equal(await errorOf(h.op('PutObject', { Bucket: 'objs', Key: 'big-bad', Body: chunked(), ContentLength: data.length, ...extra })), 'BadDigest/400');
    }
    assert.equal(await errorOf(h.op('HeadObject', { Bucket: 'objs', Key: 'big-bad' })), 'NoSuchKey/404');
    assert.equal((await blobFiles(h.dataDir)).length, before);
    assert.deepEqual(readdirSync(join(h.dataDir, 's3', 'blobs', 'tmp')), []);
    const put = await h.op('PutObject', { Bucket: 'objs', Key: 'big-good', Body: chunked(), ContentLength: data.length, ChecksumCRC32C: checksumOf('CRC32C', data) });
    assert.equal(put.ETag, `"${createHash('md5').update(data).digest('hex')}"`);
    assert.deepEqual(await h.read((await h.op('GetObject', { Bucket: 'objs', Key: 'big-good' })).Body), data);
  });

  test('refuses a body shorter than its declared length and leaves no file', async () => {
    const before = (await blobFiles(h.dataDir)).length;
    assert.equal(await errorOf(h.op('PutObject', { Bucket: 'objs', Key: 'short', Body: h.body('abc'), ContentLength: 10 })), 'IncompleteBody/400');
    assert.equal((await blobFiles(h.dataDir)).length, before);
  });

  test('refuses an object larger than 5 GiB before reading it', async () => {
    assert.equal(await errorOf(h.op('PutObject', { Bucket: 'objs', Key: 'huge', Body: h.body('x'), ContentLength: 5 * 1024 ** 3 + 1 })), 'EntityTooLarge/400');
  });

  test('leaves nothing behind when the body stream fails midway', async () => {
    const before = (await blobFiles(h.dataDir)).length;
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(1024));
        this.destroy(new Error('client went away'));
      },
    });
    assert.notEqual(await errorOf(h.op('PutObject', { Bucket: 'objs', Key: 'aborted', Body: failing })), 'ok');
    assert.equal(await errorOf(h.op('HeadObject', { Bucket: 'objs', Key: 'aborted' })), 'NoSuchKey/404');
    assert.equal((await blobFiles(h.dataDir)).length, before);
    assert.deepEqual(readdirSync(join(h.dataDir, 's3', 'blobs', 'tmp')), []);
  });

  test('copies objects across buckets with COPY and REPLACE metadata directives', async () => {
    await h.op('CreateBucket', { Bucket: 'objs-copy' });
    await h.op('PutObject', { Bucket: 'objs', Key: 'src key', Body: h.body('copy me'), ContentType: 'text/x-src', Metadata: { a: '1' }, Tagging: 't=1' });
    const copied = await h.op('CopyObject', { Bucket: 'objs-copy', Key: 'dst', CopySource: 'objs/src%20key' });
    assert.match(copied.CopyObjectResult.ETag, /^"[0-9a-f]{32}"$/);
    const a = await h.op('GetObject', { Bucket: 'objs-copy', Key: 'dst' });
    assert.equal((await h.read(a.Body)).toString(), 'copy me');
    assert.equal(a.ContentType, 'text/x-src');
    assert.deepEqual(a.Metadata, { a: '1' });
    assert.equal(a.TagCount, 1);
    await h.op('CopyObject', { Bucket: 'objs-copy', Key: 'dst2', CopySource: '/objs/src%20key', MetadataDirective: 'REPLACE', ContentType: 'text/x-new', Metadata: { b: '2' } });
    const b = await h.op('HeadObject', { Bucket: 'objs-copy', Key: 'dst2' });
    assert.equal(b.ContentType, 'text/x-new');
    assert.deepEqual(b.Metadata, { b: '2' });
  });

  test('refuses to copy an object onto itself without changes', async () => {
    assert.equal(await errorOf(h.op('CopyObject', { Bucket: 'objs', Key: 'src key', CopySource: 'objs/src key' })), 'InvalidRequest/400');
    assert.equal(await errorOf(h.op('CopyObject', { Bucket: 'objs', Key: 'src key', CopySource: 'objs/src key', MetadataDirective: 'REPLACE' })), 'ok');
  });

  test('applies copy-source conditions with PreconditionFailed', async () => {
    assert.equal(
      await errorOf(h.op('CopyObject', { Bucket: 'objs', Key: 'c2', CopySource: 'objs/src key', CopySourceIfMatch: '"nope"' })),
      'PreconditionFailed/412',
    );
  });

  test('stores, replaces and deletes object tags', async () => {
    await h.op('PutObject', { Bucket: 'objs', Key: 'tagged', Body: h.body('t'), Tagging: 'a=1&b=2' });
    assert.deepEqual((await h.op('GetObjectTagging', { Bucket: 'objs', Key: 'tagged' })).TagSet, [
      { Key: 'a', Value: '1' },
      { Key: 'b', Value: '2' },
    ]);
    await h.op('PutObjectTagging', { Bucket: 'objs', Key: 'tagged', Tagging: { TagSet: [{ Key: 'c', Value: '3' }] } });
    assert.deepEqual((await h.op('GetObjectTagging', { Bucket: 'objs', Key: 'tagged' })).TagSet, [{ Key: 'c', Value: '3' }]);
    await h.op('DeleteObjectTagging', { Bucket: 'objs', Key: 'tagged' });
    assert.deepEqual((await h.op('GetObjectTagging', { Bucket: 'objs', Key: 'tagged' })).TagSet, []);
    const eleven = Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    assert.equal(await errorOf(h.op('PutObjectTagging', { Bucket: 'objs', Key: 'tagged', Tagging: { TagSet: eleven } })), 'InvalidTag/400');
  });

  test('answers GetObjectAttributes with the requested attributes', async () => {
    await h.op('PutObject', { Bucket: 'objs', Key: 'attrs', Body: h.body('12345'), ChecksumSHA256: checksumOf('SHA256', Buffer.from('12345')) });
    const out = await h.op('GetObjectAttributes', { Bucket: 'objs', Key: 'attrs', ObjectAttributes: ['ETag', 'ObjectSize', 'Checksum', 'StorageClass'] });
    assert.equal(out.ObjectSize, 5);
    assert.equal(out.ETag, createHash('md5').update('12345').digest('hex'));
    assert.equal(out.StorageClass, 'STANDARD');
    assert.equal(out.Checksum.ChecksumSHA256, checksumOf('SHA256', Buffer.from('12345')));
  });

  test('deletes many objects at once and reports each key', async () => {
    await h.op('PutObject', { Bucket: 'objs', Key: 'm1', Body: h.body('1') });
    await h.op('PutObject', { Bucket: 'objs', Key: 'm2', Body: h.body('2') });
    const out = await h.op('DeleteObjects', { Bucket: 'objs', Delete: { Objects: [{ Key: 'm1' }, { Key: 'm2' }, { Key: 'absent' }] } });
    assert.deepEqual(out.Deleted.map((d: { Key: string }) => d.Key), ['m1', 'm2', 'absent']);
    assert.deepEqual(out.Errors, []);
    assert.equal(await errorOf(h.op('HeadObject', { Bucket: 'objs', Key: 'm1' })), 'NoSuchKey/404');
  });

  test('overwriting an object removes the old blob file', async () => {
    await h.op('CreateBucket', { Bucket: 'objs-overwrite' });
    await h.op('PutObject', { Bucket: 'objs-overwrite', Key: 'k', Body: h.body('one') });
    const before = (await blobFiles(h.dataDir)).length;
    await h.op('PutObject', { Bucket: 'objs-overwrite', Key: 'k', Body: h.body('two') });
    assert.equal((await blobFiles(h.dataDir)).length, before);
  });
});

describe('reads after writes', () => {
  const text = async (key: string, bucket = 'coherent') => (await h.read((await h.op('GetObject', { Bucket: bucket, Key: key })).Body)).toString();

  test('every kind of write is seen by the next GET and HEAD of the key', async () => {
    await h.op('CreateBucket', { Bucket: 'coherent' });
    await h.op('PutObject', { Bucket: 'coherent', Key: 'k', Body: h.body('one') });
    assert.equal(await text('k'), 'one');
    await h.op('PutObject', { Bucket: 'coherent', Key: 'k', Body: h.body('two!') });
    assert.equal(await text('k'), 'two!');
    assert.equal((await h.op('HeadObject', { Bucket: 'coherent', Key: 'k' })).ContentLength, 4);
    await h.op('PutObjectTagging', { Bucket: 'coherent', Key: 'k', Tagging: { TagSet: [{ Key: 'a', Value: '1' }] } });
    assert.equal((await h.op('GetObject', { Bucket: 'coherent', Key: 'k' })).TagCount, 1);
    await h.op('DeleteObject', { Bucket: 'coherent', Key: 'k' });
    assert.equal(await errorOf(h.op('GetObject', { Bucket: 'coherent', Key: 'k' })), 'NoSuchKey/404');
    await h.op('PutObject', { Bucket: 'coherent', Key: 'src', Body: h.body('copied') });
    await h.op('CopyObject', { Bucket: 'coherent', Key: 'k', CopySource: 'coherent/src' });
    assert.equal(await text('k'), 'copied');
    await h.op('DeleteObjects', { Bucket: 'coherent', Delete: { Objects: [{ Key: 'k' }] } });
    assert.equal(await errorOf(h.op('HeadObject', { Bucket: 'coherent', Key: 'k' })), 'NoSuchKey/404');
    const { UploadId } = await h.op('CreateMultipartUpload', { Bucket: 'coherent', Key: 'k' });
    const { ETag } = await h.op('UploadPart', { Bucket: 'coherent', Key: 'k', UploadId, PartNumber: 1, Body: h.body('multi') });
    await h.op('CompleteMultipartUpload', { Bucket: 'coherent', Key: 'k', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] } });
    assert.equal(await text('k'), 'multi');
  });

  test('in a versioned bucket, delete markers and deleted versions are seen at once', async () => {
    await h.op('CreateBucket', { Bucket: 'coherent-v' });
    await h.op('PutBucketVersioning', { Bucket: 'coherent-v', VersioningConfiguration: { Status: 'Enabled' } });
    await h.op('PutObject', { Bucket: 'coherent-v', Key: 'k', Body: h.body('v1') });
    const v2 = await h.op('PutObject', { Bucket: 'coherent-v', Key: 'k', Body: h.body('v2') });
    assert.equal(await text('k', 'coherent-v'), 'v2');
    const marker = await h.op('DeleteObject', { Bucket: 'coherent-v', Key: 'k' });
    assert.equal(await errorOf(h.op('GetObject', { Bucket: 'coherent-v', Key: 'k' })), 'NoSuchKey/404');
    await h.op('DeleteObject', { Bucket: 'coherent-v', Key: 'k', VersionId: marker.VersionId });
    assert.equal(await text('k', 'coherent-v'), 'v2');
    await h.op('DeleteObject', { Bucket: 'coherent-v', Key: 'k', VersionId: v2.VersionId });
    assert.equal(await text('k', 'coherent-v'), 'v1');
  });
});

describe('storage of object bytes', () => {
  test('keeps small objects in the database and streams large ones to blob files', async () => {
    await h.op('CreateBucket', { Bucket: 'storage-kinds' });
    const before = (await blobFiles(h.dataDir)).length;
    const small = Buffer.alloc(1000, 1);
    await h.op('PutObject', { Bucket: 'storage-kinds', Key: 'small', Body: h.body(small), ContentLength: small.length });
    assert.equal((await blobFiles(h.dataDir)).length, before);
    const large = Buffer.alloc(200 * 1024, 2);
    await h.op('PutObject', { Bucket: 'storage-kinds', Key: 'large', Body: h.body(large), ContentLength: large.length });
    assert.equal((await blobFiles(h.dataDir)).length, before + 1);
    assert.ok((await h.read((await h.op('GetObject', { Bucket: 'storage-kinds', Key: 'small' })).Body)).equals(small));
    assert.ok((await h.read((await h.op('GetObject', { Bucket: 'storage-kinds', Key: 'large' })).Body)).equals(large));
    const range = await h.op('GetObject', { Bucket: 'storage-kinds', Key: 'small', Range: 'bytes=10-19' });
    assert.equal((await h.read(range.Body)).length, 10);
    // A copy of a small object stays inline too.
    await h.op('CopyObject', { Bucket: 'storage-kinds', Key: 'small-copy', CopySource: 'storage-kinds/small' });
    assert.equal((await blobFiles(h.dataDir)).length, before + 1);
    await h.op('DeleteObject', { Bucket: 'storage-kinds', Key: 'large' });
    assert.equal((await blobFiles(h.dataDir)).length, before);
    const rows = (await h.provider.core.store.db.get('SELECT COUNT(*) AS n FROM object_data')) as { n: number };
    await h.op('DeleteObject', { Bucket: 'storage-kinds', Key: 'small' });
    const after = (await h.provider.core.store.db.get('SELECT COUNT(*) AS n FROM object_data')) as { n: number };
    assert.equal(after.n, rows.n - 1);
  });
});
