// Conditional writes (If-Match / If-None-Match on PutObject, CopyObject and CompleteMultipartUpload,
// If-Match on DeleteObject), GetObject/HeadObject by part number, and tag validation, through the SDK.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketTaggingCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

let p: TestPlatform;
let s3: S3Client;
const B = 'conditional';
const MiB = 1024 * 1024;

before(async () => {
  p = await startPlatform({ services: ['s3'] });
  s3 = p.client(S3Client, { forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: B }));
});
after(async () => {
  await p.stop();
});

async function rejects(promise: Promise<unknown>, code: string, status: number, message?: string): Promise<void> {
  await assert.rejects(promise, (e: any) => {
    assert.equal(e.name, code, e.message);
    assert.equal(e.$metadata?.httpStatusCode, status);
    if (message !== undefined) assert.equal(e.message, message);
    return true;
  });
}

const text = async (key: string) => (await s3.send(new GetObjectCommand({ Bucket: B, Key: key }))).Body!.transformToString();

async function multipart(key: string, condition: { IfMatch?: string; IfNoneMatch?: string }) {
  const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: key }));
  const part = await s3.send(new UploadPartCommand({ Bucket: B, Key: key, UploadId: upload.UploadId, PartNumber: 1, Body: 'multi' }));
  return s3.send(
    new CompleteMultipartUploadCommand({ Bucket: B, Key: key, UploadId: upload.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] }, ...condition }),
  );
}

describe('S3 conditional writes', () => {
  it('creates a key with If-None-Match * only when it does not exist', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'once', Body: 'first', IfNoneMatch: '*' }));
    await rejects(s3.send(new PutObjectCommand({ Bucket: B, Key: 'once', Body: 'second', IfNoneMatch: '*' })), 'PreconditionFailed', 412);
    assert.equal(await text('once'), 'first');
  });

  it('replaces a key with If-Match only when its ETag matches, and answers NoSuchKey for a missing key', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: B, Key: 'swap', Body: 'v1' }));
    await rejects(s3.send(new PutObjectCommand({ Bucket: B, Key: 'swap', Body: 'v2', IfMatch: '"0123456789abcdef0123456789abcdef"' })), 'PreconditionFailed', 412);
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'swap', Body: 'v2', IfMatch: put.ETag }));
    assert.equal(await text('swap'), 'v2');
    await rejects(s3.send(new PutObjectCommand({ Bucket: B, Key: 'never', Body: 'x', IfMatch: put.ETag })), 'NoSuchKey', 404);
  });

  it('applies If-Match and If-None-Match to the destination of a copy', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'src', Body: 'source' }));
    const dest = await s3.send(new PutObjectCommand({ Bucket: B, Key: 'dest', Body: 'dest' }));
    await rejects(s3.send(new CopyObjectCommand({ Bucket: B, Key: 'dest', CopySource: `${B}/src`, IfNoneMatch: '*' })), 'PreconditionFailed', 412);
    await rejects(s3.send(new CopyObjectCommand({ Bucket: B, Key: 'dest', CopySource: `${B}/src`, IfMatch: '"ffffffffffffffffffffffffffffffff"' })), 'PreconditionFailed', 412);
    assert.equal(await text('dest'), 'dest');
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: 'dest', CopySource: `${B}/src`, IfMatch: dest.ETag }));
    assert.equal(await text('dest'), 'source');
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: 'dest-new', CopySource: `${B}/src`, IfNoneMatch: '*' }));
    assert.equal(await text('dest-new'), 'source');
  });

  it('applies If-Match and If-None-Match when a multipart upload completes', async () => {
    const existing = await s3.send(new PutObjectCommand({ Bucket: B, Key: 'mp', Body: 'single' }));
    await rejects(multipart('mp', { IfNoneMatch: '*' }), 'PreconditionFailed', 412);
    await rejects(multipart('mp', { IfMatch: '"ffffffffffffffffffffffffffffffff"' }), 'PreconditionFailed', 412);
    await rejects(multipart('mp-missing', { IfMatch: existing.ETag }), 'NoSuchKey', 404);
    await multipart('mp', { IfMatch: existing.ETag });
    assert.equal(await text('mp'), 'multi');
    await multipart('mp-new', { IfNoneMatch: '*' });
    assert.equal(await text('mp-new'), 'multi');
  });

  it('deletes with If-Match only when the ETag matches', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: B, Key: 'del', Body: 'bye' }));
    await rejects(s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'del', IfMatch: '"ffffffffffffffffffffffffffffffff"' })), 'PreconditionFailed', 412);
    await s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'del', IfMatch: put.ETag }));
    await rejects(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'del' })), 'NotFound', 404);
  });

  it('lets exactly one of concurrent If-None-Match * writers create a key, the others answering 412', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => s3.send(new PutObjectCommand({ Bucket: B, Key: 'race', Body: `w${i}`, IfNoneMatch: '*' }))),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    assert.equal(won.length, 1);
    for (const o of outcomes) if (o.status === 'rejected') assert.equal((o.reason as any).$metadata.httpStatusCode, 412);
  });
});

describe('S3 GetObject and HeadObject by part number', () => {
  it('answers one part of a multipart object with 206, its range and the parts count', async () => {
    const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'parts' }));
    const one = Buffer.alloc(5 * MiB, 'a');
    const two = Buffer.from('tail part');
    const p1 = await s3.send(new UploadPartCommand({ Bucket: B, Key: 'parts', UploadId: upload.UploadId, PartNumber: 1, Body: one }));
    const p2 = await s3.send(new UploadPartCommand({ Bucket: B, Key: 'parts', UploadId: upload.UploadId, PartNumber: 2, Body: two }));
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: B, Key: 'parts', UploadId: upload.UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] },
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'parts', PartNumber: 2 }));
    assert.equal(got.$metadata.httpStatusCode, 206);
    assert.equal(got.PartsCount, 2);
    assert.equal(got.ContentRange, `bytes ${one.length}-${one.length + two.length - 1}/${one.length + two.length}`);
    assert.equal(await got.Body!.transformToString(), 'tail part');
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'parts', PartNumber: 1 }));
    assert.equal(head.ContentLength, one.length);
    assert.equal(head.PartsCount, 2);
    await rejects(s3.send(new GetObjectCommand({ Bucket: B, Key: 'parts', PartNumber: 3 })), 'InvalidPartNumber', 416, 'The requested partnumber is not satisfiable');
  });

  it('answers a single-part object as its part 1 and refuses part 2 with 416', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'single', Body: '0123456789' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'single', PartNumber: 1 }));
    assert.equal(got.$metadata.httpStatusCode, 206);
    assert.equal(got.ContentRange, 'bytes 0-9/10');
    assert.equal(got.PartsCount, undefined);
    assert.equal(await got.Body!.transformToString(), '0123456789');
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'single', PartNumber: 2 })), (e: any) => e.$metadata.httpStatusCode === 416);
    await rejects(s3.send(new GetObjectCommand({ Bucket: B, Key: 'single', PartNumber: 2 })), 'InvalidPartNumber', 416);
  });
});

describe('S3 tag validation', () => {
  it('refuses more than 10 object tags, aws: keys and over-long keys or values', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'tagged', Body: 'x' }));
    const tags = (n: number) => Array.from({ length: n }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    await s3.send(new PutObjectTaggingCommand({ Bucket: B, Key: 'tagged', Tagging: { TagSet: tags(10) } }));
    await rejects(s3.send(new PutObjectTaggingCommand({ Bucket: B, Key: 'tagged', Tagging: { TagSet: tags(11) } })), 'InvalidTag', 400, 'Object tags cannot be greater than 10');
    await rejects(s3.send(new PutObjectTaggingCommand({ Bucket: B, Key: 'tagged', Tagging: { TagSet: [{ Key: 'aws:owner', Value: 'x' }] } })), 'InvalidTag', 400);
    await rejects(s3.send(new PutObjectTaggingCommand({ Bucket: B, Key: 'tagged', Tagging: { TagSet: [{ Key: 'k'.repeat(129), Value: 'x' }] } })), 'InvalidTag', 400);
    await rejects(s3.send(new PutObjectTaggingCommand({ Bucket: B, Key: 'tagged', Tagging: { TagSet: [{ Key: 'k', Value: 'v'.repeat(257) }] } })), 'InvalidTag', 400);
    await rejects(s3.send(new PutObjectCommand({ Bucket: B, Key: 'tagged2', Body: 'x', Tagging: 'aws:x=1' })), 'InvalidTag', 400);
  });

  it('refuses more than 50 bucket tags and aws: keys', async () => {
    const tags = (n: number) => Array.from({ length: n }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    await s3.send(new PutBucketTaggingCommand({ Bucket: B, Tagging: { TagSet: tags(50) } }));
    await rejects(s3.send(new PutBucketTaggingCommand({ Bucket: B, Tagging: { TagSet: tags(51) } })), 'InvalidTag', 400);
    await rejects(s3.send(new PutBucketTaggingCommand({ Bucket: B, Tagging: { TagSet: [{ Key: 'aws:x', Value: 'v' }] } })), 'InvalidTag', 400);
  });
});
