// Multipart uploads through the provider's operations, without the edge.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { checksumOf } from '../src/checksums.js';
import { errorOf, harness, type Harness } from './direct-harness.js';

let h: Harness;
before(async () => {
  h = harness();
  await h.op('CreateBucket', { Bucket: 'mpu' });
});
after(() => h.close());

const MiB = 1024 * 1024;
const partData = (n: number, size: number) => Buffer.alloc(size, n);

describe('multipart uploads', () => {
  test('completes an upload into one object with an md5-of-md5s-N ETag', async () => {
    const { UploadId } = await h.op('CreateMultipartUpload', { Bucket: 'mpu', Key: 'big', ContentType: 'application/x-big', Metadata: { m: '1' } });
    const datas = [partData(1, 5 * MiB), partData(2, 5 * MiB), partData(3, 1234)];
    const etags: string[] = [];
    for (const [i, d] of datas.entries()) {
      etags.push((await h.op('UploadPart', { Bucket: 'mpu', Key: 'big', UploadId, PartNumber: i + 1, Body: h.body(d) })).ETag);
    }
    const listed = await h.op('ListParts', { Bucket: 'mpu', Key: 'big', UploadId });
    assert.deepEqual(listed.Parts.map((p: { PartNumber: number; Size: number }) => [p.PartNumber, p.Size]), [[1, 5 * MiB], [2, 5 * MiB], [3, 1234]]);
    const done = await h.op('CompleteMultipartUpload', {
      Bucket: 'mpu',
      Key: 'big',
      UploadId,
      MultipartUpload: { Parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })) },
    });
    const md5s = createHash('md5');
    for (const d of datas) md5s.update(createHash('md5').update(d).digest());
    assert.equal(done.ETag, `"${md5s.digest('hex')}-3"`);
    const got = await h.op('GetObject', { Bucket: 'mpu', Key: 'big' });
    const body = await h.read(got.Body);
    assert.equal(body.length, 10 * MiB + 1234);
    assert.ok(body.equals(Buffer.concat(datas)));
    assert.equal(got.ContentType, 'application/x-big');
    assert.deepEqual(got.Metadata, { m: '1' });
    const part2 = await h.op('GetObject', { Bucket: 'mpu', Key: 'big', PartNumber: 2 });
    assert.equal(part2.ContentLength, 5 * MiB);
    assert.equal(part2.PartsCount, 3);
    assert.equal(await errorOf(h.op('ListParts', { Bucket: 'mpu', Key: 'big', UploadId })), 'NoSuchUpload/404');
  });

  test('refuses parts out of order, unknown parts and small non-final parts', async () => {
    const { UploadId } = await h.op('CreateMultipartUpload', { Bucket: 'mpu', Key: 'bad' });
    const e1 = (await h.op('UploadPart', { Bucket: 'mpu', Key: 'bad', UploadId, PartNumber: 1, Body: h.body('small') })).ETag;
    const e2 = (await h.op('UploadPart', { Bucket: 'mpu', Key: 'bad', UploadId, PartNumber: 2, Body: h.body('tail') })).ETag;
    const complete = (Parts: unknown[]) => h.op('CompleteMultipartUpload', { Bucket: 'mpu', Key: 'bad', UploadId, MultipartUpload: { Parts } });
    assert.equal(await errorOf(complete([{ PartNumber: 2, ETag: e2 }, { PartNumber: 1, ETag: e1 }])), 'InvalidPartOrder/400');
    assert.equal(await errorOf(complete([{ PartNumber: 1, ETag: e1 }, { PartNumber: 3, ETag: e2 }])), 'InvalidPart/400');
    assert.equal(await errorOf(complete([{ PartNumber: 1, ETag: '"0000"' }])), 'InvalidPart/400');
    assert.equal(await errorOf(complete([{ PartNumber: 1, ETag: e1 }, { PartNumber: 2, ETag: e2 }])), 'EntityTooSmall/400');
    // A single small part is fine: the last part may be any size.
    await complete([{ PartNumber: 1, ETag: e1 }]);
    assert.equal((await h.op('HeadObject', { Bucket: 'mpu', Key: 'bad' })).ContentLength, 5);
  });

  test('refuses an invalid part number and an unknown upload id', async () => {
    const { UploadId } = await h.op('CreateMultipartUpload', { Bucket: 'mpu', Key: 'pn' });
    assert.equal(await errorOf(h.op('UploadPart', { Bucket: 'mpu', Key: 'pn', UploadId, PartNumber: 10001, Body: h.body('x') })), 'InvalidArgument/400');
    assert.equal(await errorOf(h.op('UploadPart', { Bucket: 'mpu', Key: 'pn', UploadId: 'nope', PartNumber: 1, Body: h.body('x') })), 'NoSuchUpload/404');
  });

  test('aborts an upload and lists only the uploads in progress', async () => {
    const a = await h.op('CreateMultipartUpload', { Bucket: 'mpu', Key: 'dir/one' });
    const b = await h.op('CreateMultipartUpload', { Bucket: 'mpu', Key: 'two' });
    await h.op('UploadPart', { Bucket: 'mpu', Key: 'two', UploadId: b.UploadId, PartNumber: 1, Body: h.body('x') });
    const listed = await h.op('ListMultipartUploads', { Bucket: 'mpu', Delimiter: '/' });
    assert.ok(listed.Uploads.some((u: { UploadId: string }) => u.UploadId === b.UploadId));
    assert.deepEqual(listed.CommonPrefixes, [{ Prefix: 'dir/' }]);
    await h.op('AbortMultipartUpload', { Bucket: 'mpu', Key: 'two', UploadId: b.UploadId });
    await h.op('AbortMultipartUpload', { Bucket: 'mpu', Key: 'dir/one', UploadId: a.UploadId });
    assert.equal(await errorOf(h.op('AbortMultipartUpload', { Bucket: 'mpu', Key: 'two', UploadId: b.UploadId })), 'NoSuchUpload/404');
    const after = await h.op('ListMultipartUploads', { Bucket: 'mpu' });
    assert.ok(!after.Uploads.some((u: { UploadId: string }) => u.UploadId === b.UploadId || u.UploadId === a.UploadId));
  });

  test('copies a byte range of an object into a part', async () => {
    await h.op('PutObject', { Bucket: 'mpu', Key: 'source', Body: h.body('0123456789') });
    const { UploadId } = await h.op('CreateMultipartUpload', { Bucket: 'mpu', Key: 'copied' });
    const part = await h.op('UploadPartCopy', { Bucket: 'mpu', Key: 'copied', UploadId, PartNumber: 1, CopySource: 'mpu/source', CopySourceRange: 'bytes=3-6' });
    await h.op('CompleteMultipartUpload', { Bucket: 'mpu', Key: 'copied', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.CopyPartResult.ETag }] } });
    assert.equal((await h.read((await h.op('GetObject', { Bucket: 'mpu', Key: 'copied' })).Body)).toString(), '3456');
  });

  test('keeps per-part checksums and a composite checksum of the whole', async () => {
    const { UploadId } = await h.op('CreateMultipartUpload', { Bucket: 'mpu', Key: 'sums', ChecksumAlgorithm: 'CRC32' });
    const d1 = partData(7, 5 * MiB);
    const d2 = Buffer.from('last');
    const c1 = checksumOf('CRC32', d1);
    const c2 = checksumOf('CRC32', d2);
    const p1 = await h.op('UploadPart', { Bucket: 'mpu', Key: 'sums', UploadId, PartNumber: 1, Body: h.body(d1), ChecksumCRC32: c1 });
    const p2 = await h.op('UploadPart', { Bucket: 'mpu', Key: 'sums', UploadId, PartNumber: 2, Body: h.body(d2), ChecksumCRC32: c2 });
    const done = await h.op('CompleteMultipartUpload', {
      Bucket: 'mpu',
      Key: 'sums',
      UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag, ChecksumCRC32: c1 }, { PartNumber: 2, ETag: p2.ETag, ChecksumCRC32: c2 }] },
    });
    const composite = checksumOf('CRC32', Buffer.concat([Buffer.from(c1, 'base64'), Buffer.from(c2, 'base64')]));
    assert.equal(done.ChecksumCRC32, `${composite}-2`);
  });

  test('computes a full-object CRC64NVME for a multipart upload', async () => {
    const { UploadId } = await h.op('CreateMultipartUpload', { Bucket: 'mpu', Key: 'nvme', ChecksumAlgorithm: 'CRC64NVME' });
    const d1 = partData(9, 5 * MiB);
    const d2 = Buffer.from('tail');
    const p1 = await h.op('UploadPart', { Bucket: 'mpu', Key: 'nvme', UploadId, PartNumber: 1, Body: h.body(d1), ChecksumCRC64NVME: checksumOf('CRC64NVME', d1) });
    const p2 = await h.op('UploadPart', { Bucket: 'mpu', Key: 'nvme', UploadId, PartNumber: 2, Body: h.body(d2), ChecksumCRC64NVME: checksumOf('CRC64NVME', d2) });
    const done = await h.op('CompleteMultipartUpload', {
      Bucket: 'mpu',
      Key: 'nvme',
      UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] },
    });
    assert.equal(done.ChecksumCRC64NVME, checksumOf('CRC64NVME', Buffer.concat([d1, d2])));
    assert.equal(done.ChecksumType, 'FULL_OBJECT');
  });

  test('refuses a full-object checksum that the joined parts do not match and stores nothing', async () => {
    const { UploadId } = await h.op('CreateMultipartUpload', { Bucket: 'mpu', Key: 'nvme-bad', ChecksumAlgorithm: 'CRC64NVME' });
    const d1 = partData(7, 5 * MiB);
    const p1 = await h.op('UploadPart', { Bucket: 'mpu', Key: 'nvme-bad', UploadId, PartNumber: 1, Body: h.body(d1), ChecksumCRC64NVME: checksumOf('CRC64NVME', d1) });
    await h.provider.core.idle();
    const blobsBefore = [...h.provider.core.blobs.keys()].length;
    const done = h.op('CompleteMultipartUpload', {
      Bucket: 'mpu',
      Key: 'nvme-bad',
      UploadId,
      ChecksumCRC64NVME: checksumOf('CRC64NVME', Buffer.from('something else')),
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }] },
    });
    assert.equal(await errorOf(done), 'BadDigest/400');
    await h.provider.core.idle();
    assert.equal([...h.provider.core.blobs.keys()].length, blobsBefore);
    assert.equal(await errorOf(h.op('HeadObject', { Bucket: 'mpu', Key: 'nvme-bad' })), 'NoSuchKey/404');
  });
});
