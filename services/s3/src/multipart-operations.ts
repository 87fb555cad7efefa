// Multipart uploads: create, upload part (and part copy), complete (streaming the parts into one
// blob, ETag md5-of-md5s-N), abort, list parts. Parts are blobs of their own until completion.
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import type { OperationHandler } from '@atoll/core';
import { checksumMember, createHasher, parseChecksumAlgorithm, type ChecksumAlgorithm } from './checksums.js';
import { checkConditions } from './http-conditions.js';
import { checkWriteConditionEarly, commitObject, findObject, parseCopySource, shownVersion, storageClassOf } from './object-operations.js';
import { lockForNewObject } from './object-lock.js';
import { S3Errors } from './s3-errors.js';
import { metaFromInput, ownerOf, parseTaggingHeader, type S3Core } from './s3-core.js';
import type { BucketRecord, PartRecord, UploadRecord } from './s3-store.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Input = Record<string, any>;

export const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_PARTS = 10000;

const stripQuotes = (etag: string): string => etag.trim().replace(/^"|"$/g, '');

export function multipartOperations(core: S3Core): Record<string, OperationHandler> {
  const { store } = core;

  const uploadOf = async (bucket: BucketRecord, key: Buffer, uploadId: string | undefined): Promise<UploadRecord> => {
    const upload = uploadId ? await store.getUpload(uploadId) : undefined;
    if (!upload || upload.bucket !== bucket.name || !upload.key.equals(key)) throw S3Errors.noSuchUpload(uploadId ?? '');
    return upload;
  };

  const partNumberOf = (value: unknown): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > MAX_PARTS) {
      throw S3Errors.invalidArgument('Part number must be an integer between 1 and 10000, inclusive', 'partNumber', String(value));
    }
    return n;
  };

  const savePart = async (upload: UploadRecord, partNumber: number, body: { blob: string | null; size: number; md5: string; checksum?: string }) => {
    if (!body.blob) throw new Error('a part must be stored as a blob');
    const etag = `"${body.md5}"`;
    const lastModified = Date.now();
    const saved = await store.putPart({
      uploadId: upload.uploadId,
      partNumber,
      blob: body.blob,
      size: body.size,
      etag,
      lastModified,
      checksum: body.checksum ?? null,
    });
    core.dropBlobs(saved.obsoleteBlobs);
    if (!saved.ok) throw S3Errors.noSuchUpload(upload.uploadId);
    return { etag, lastModified };
  };

  return {
    async CreateMultipartUpload(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:PutObject', input.Key);
      const key = core.keyBytes(input.Key);
      const algorithm = parseChecksumAlgorithm(input.ChecksumAlgorithm);
      if (input.ChecksumAlgorithm !== undefined && !algorithm) {
        throw S3Errors.invalidRequest('Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]');
      }
      let checksumType = (input.ChecksumType as string | undefined) ?? (algorithm ? (algorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE') : undefined);
      if (checksumType === 'FULL_OBJECT' && (algorithm === 'SHA1' || algorithm === 'SHA256')) {
        throw S3Errors.invalidRequest(`The ${algorithm} checksum algorithm does not support the FULL_OBJECT checksum type.`);
      }
      if (checksumType === 'COMPOSITE' && algorithm === 'CRC64NVME') {
        throw S3Errors.invalidRequest('The CRC64NVME checksum algorithm does not support the COMPOSITE checksum type.');
      }
      if (!algorithm) checksumType = undefined;
      const uploadId = randomBytes(48).toString('base64url');
      await store.createUpload({
        uploadId,
        bucket: bucket.name,
        key,
        initiated: Date.now(),
        storageClass: storageClassOf(input),
        meta: metaFromInput(input),
        tags: parseTaggingHeader(input.Tagging),
        checksumAlgorithm: algorithm ?? null,
        checksumType: checksumType ?? null,
        lock: lockForNewObject(bucket, input),
      });
      const out: Record<string, unknown> = { Bucket: bucket.name, Key: input.Key, UploadId: uploadId, ServerSideEncryption: 'AES256' };
      if (algorithm) {
        out.ChecksumAlgorithm = algorithm;
        out.ChecksumType = checksumType;
      }
      return out;
    },

    async UploadPart(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:PutObject', input.Key);
      const key = core.keyBytes(input.Key);
      const partNumber = partNumberOf(input.PartNumber);
      const upload = await uploadOf(bucket, key, input.UploadId);
      const body = await core.storeBody(input, ctx, { defaultAlgorithm: (upload.checksumAlgorithm as ChecksumAlgorithm | null) ?? undefined, inline: false });
      if (upload.checksumAlgorithm && body.checksumAlgorithm !== upload.checksumAlgorithm) {
        if (body.blob) core.dropBlobs([body.blob]);
        throw S3Errors.invalidRequest(
          `Checksum Type mismatch occurred, expected checksum Type: ${upload.checksumAlgorithm.toLowerCase()}, actual checksum Type: ${(body.checksumAlgorithm ?? 'null').toLowerCase()}`,
        );
      }
      const { etag } = await savePart(upload, partNumber, body);
      const out: Record<string, unknown> = { ETag: etag, ServerSideEncryption: 'AES256' };
      if (body.checksumAlgorithm && body.checksum) out[checksumMember(body.checksumAlgorithm)] = body.checksum;
      return out;
    },

    async UploadPartCopy(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:PutObject', input.Key);
      const key = core.keyBytes(input.Key);
      const partNumber = partNumberOf(input.PartNumber);
      const upload = await uploadOf(bucket, key, input.UploadId);
      const src = parseCopySource(input.CopySource);
      const srcBucket = await core.bucket(src.bucket, ctx, 's3:GetObject', src.key, 'x-amz-source-expected-bucket-owner');
      const source = await findObject(core, srcBucket, core.keyBytes(src.key), src.key, src.versionId, 'GET');
      checkConditions(
        {
          ifMatch: input.CopySourceIfMatch,
          ifNoneMatch: input.CopySourceIfNoneMatch,
          ifModifiedSince: input.CopySourceIfModifiedSince,
          ifUnmodifiedSince: input.CopySourceIfUnmodifiedSince,
        },
        source.etag,
        source.lastModified,
        true,
      );
      let range: { start: number; end: number } | undefined;
      if (input.CopySourceRange !== undefined) {
        const m = /^bytes=(\d+)-(\d+)$/.exec(String(input.CopySourceRange));
        if (!m) {
          throw S3Errors.invalidArgument('The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy', 'x-amz-copy-source-range', String(input.CopySourceRange));
        }
        range = { start: Number(m[1]), end: Number(m[2]) };
        if (range.end < range.start || range.end >= source.size) {
          throw S3Errors.invalidRange(String(input.CopySourceRange), source.size);
        }
      }
      const body = await core.copyBlob(source, range, (upload.checksumAlgorithm as ChecksumAlgorithm | null) ?? undefined, false);
      const { etag, lastModified } = await savePart(upload, partNumber, body);
      const result: Record<string, unknown> = { ETag: etag, LastModified: new Date(lastModified) };
      if (body.checksumAlgorithm && body.checksum) result[checksumMember(body.checksumAlgorithm)] = body.checksum;
      const out: Record<string, unknown> = { CopyPartResult: result };
      const srcVersion = shownVersion(srcBucket, source.versionId);
      if (srcVersion !== undefined) out.CopySourceVersionId = srcVersion;
      return out;
    },

    async CompleteMultipartUpload(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:PutObject', input.Key);
      const key = core.keyBytes(input.Key);
      const upload = await uploadOf(bucket, key, input.UploadId);
      const requested = (input.MultipartUpload?.Parts ?? []) as Record<string, unknown>[];
      if (requested.length === 0) throw S3Errors.malformedXml();
      const stored = new Map((await store.allParts(upload.uploadId)).map((p) => [p.partNumber, p]));
      const parts: PartRecord[] = [];
      let previous = 0;
      for (const r of requested) {
        const n = Number(r.PartNumber);
        if (!Number.isInteger(n) || n <= previous) throw S3Errors.invalidPartOrder();
        previous = n;
        const part = stored.get(n);
        if (!part || typeof r.ETag !== 'string' || stripQuotes(r.ETag) !== stripQuotes(part.etag)) throw S3Errors.invalidPart();
        if (upload.checksumAlgorithm) {
          const given = r[checksumMember(upload.checksumAlgorithm as ChecksumAlgorithm)];
          if (given !== undefined && given !== part.checksum) throw S3Errors.invalidPart();
        }
        parts.push(part);
      }
      parts.forEach((p, i) => {
        if (i < parts.length - 1 && p.size < MIN_PART_SIZE) throw S3Errors.entityTooSmall(p.size, MIN_PART_SIZE);
      });
      const condition = { ifNoneMatch: input.IfNoneMatch as string | undefined, ifMatch: input.IfMatch as string | undefined };
      const conditional = condition.ifNoneMatch !== undefined || condition.ifMatch !== undefined;
      const sawLive = conditional ? await checkWriteConditionEarly(core, bucket, key, input.Key, condition) : false;
      // Retention from the upload's headers, else the bucket's default retention now.
      const lock = upload.lock ?? lockForNewObject(bucket, {});

      // ETag: MD5 of the concatenated binary part MD5s, then "-N".
      const md5s = createHash('md5');
      for (const p of parts) md5s.update(Buffer.from(stripQuotes(p.etag), 'hex'));
      const etag = `"${md5s.digest('hex')}-${parts.length}"`;

      const algorithm = (upload.checksumAlgorithm as ChecksumAlgorithm | null) ?? undefined;
      const fullObject = algorithm !== undefined && upload.checksumType === 'FULL_OBJECT';
      let checksum: string | undefined;
      if (algorithm && !fullObject) {
        const composite = createHasher(algorithm);
        for (const p of parts) composite.update(Buffer.from(p.checksum ?? '', 'base64'));
        checksum = `${composite.digest().toString('base64')}-${parts.length}`;
      }
      // A full-object checksum is computed over the joined parts and checked before the blob is kept.
      const fullHasher = fullObject ? createHasher(algorithm) : undefined;
      const blob = await core.blobs.put(concatParts(core, parts.map((p) => p.blob)), {
        inspect: fullHasher && ((chunk) => fullHasher.update(chunk)),
        verify: () => {
          if (!fullHasher) return;
          checksum = fullHasher.digest().toString('base64');
          const expectedFull = input[checksumMember(algorithm!)] as string | undefined;
          if (expectedFull !== undefined && expectedFull !== checksum) throw S3Errors.badDigest(algorithm);
        },
      });
      // The object, the removal of the upload and the check that it still exists (and that no part
      // used was replaced meanwhile) are one transaction.
      const completed = await commitObject(core, blob.key, input.Key, async () => {
        const done = await store.completeUpload(
          upload.uploadId,
          bucket.name,
          key,
          {
            blob: blob.key,
            size: blob.size,
            etag,
            lastModified: Date.now(),
            storageClass: upload.storageClass,
            meta: upload.meta,
            tags: upload.tags,
            checksumAlgorithm: algorithm ?? null,
            checksum: checksum ?? null,
            checksumType: algorithm ? (fullObject ? 'FULL_OBJECT' : 'COMPOSITE') : null,
            parts: parts.map((p) => ({ PartNumber: p.partNumber, Size: p.size, ...(p.checksum ? { Checksum: p.checksum } : {}) })),
            lock,
          },
          parts.map((p) => p.blob),
          conditional ? condition : undefined,
        );
        if (done === 'no-such-upload') throw S3Errors.noSuchUpload(upload.uploadId);
        if (done === 'parts-changed') throw S3Errors.invalidPart();
        return done;
      }, sawLive);
      const record = completed.record;
      core.notify(bucket, ctx, {
        eventName: 'ObjectCreated:CompleteMultipartUpload',
        key: input.Key,
        size: record.size,
        etag: record.etag,
        versionId: shownVersion(bucket, record.versionId),
      });
      const out: Record<string, unknown> = {
        Location: `${ctx.endpoint}/${bucket.name}/${encodeURIComponent(input.Key).replace(/%2F/g, '/')}`,
        Bucket: bucket.name,
        Key: input.Key,
        ETag: etag,
        ServerSideEncryption: 'AES256',
      };
      if (algorithm && checksum) {
        out[checksumMember(algorithm)] = checksum;
        out.ChecksumType = fullObject ? 'FULL_OBJECT' : 'COMPOSITE';
      }
      const version = shownVersion(bucket, record.versionId);
      if (version !== undefined) out.VersionId = version;
      return out;
    },

    async AbortMultipartUpload(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:AbortMultipartUpload', input.Key);
      const key = core.keyBytes(input.Key);
      const upload = await uploadOf(bucket, key, input.UploadId);
      core.dropBlobs(await store.deleteUpload(upload.uploadId));
      return {};
    },

    async ListParts(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:ListMultipartUploadParts', input.Key);
      const key = core.keyBytes(input.Key);
      const upload = await uploadOf(bucket, key, input.UploadId);
      const marker = Number(input.PartNumberMarker ?? 0);
      const max = Math.min(Number(input.MaxParts ?? 1000), 1000);
      const page = await store.listParts(upload.uploadId, marker, max + 1);
      const truncated = page.length > max;
      const parts = page.slice(0, max);
      const owner = ownerOf(bucket.account);
      const out: Record<string, unknown> = {
        Bucket: bucket.name,
        Key: input.Key,
        UploadId: upload.uploadId,
        PartNumberMarker: marker,
        MaxParts: max,
        IsTruncated: truncated,
        Parts: parts.map((p) => {
          const part: Record<string, unknown> = { PartNumber: p.partNumber, LastModified: new Date(p.lastModified), ETag: p.etag, Size: p.size };
          if (p.checksum && upload.checksumAlgorithm) part[checksumMember(upload.checksumAlgorithm as ChecksumAlgorithm)] = p.checksum;
          return part;
        }),
        Initiator: owner,
        Owner: owner,
        StorageClass: upload.storageClass,
      };
      if (parts.length > 0) out.NextPartNumberMarker = parts[parts.length - 1]!.partNumber;
      if (upload.checksumAlgorithm) {
        out.ChecksumAlgorithm = upload.checksumAlgorithm;
        out.ChecksumType = upload.checksumType;
      }
      return out;
    },
  };
}

/** One stream of the parts' bytes in order, opening each part file only when it is reached. */
function concatParts(core: S3Core, blobs: string[]): Readable {
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  (async () => {
    for (const blob of blobs) {
      await core.blobs.ensureLocal(blob);
      const stream = core.blobs.read(blob);
      for await (const chunk of stream) {
        if (out.destroyed) {
          stream.destroy();
          return;
        }
        if (!out.write(chunk)) {
          await new Promise<void>((resolve) => {
            out.once('drain', resolve);
            out.once('close', resolve);
          });
        }
      }
    }
    out.end();
  })().catch((error: unknown) => out.destroy(error as Error));
  return out;
}
