// Listing operations: ListObjects (v1), ListObjectsV2, ListObjectVersions and ListMultipartUploads,
// on top of the generic key listing in listing.ts.
import type { OperationHandler } from '@atoll/core';
import { listKeys, type ListResult } from './listing.js';
import { S3Errors } from './s3-errors.js';
import { ownerOf, urlEncodeKey, type S3Core } from './s3-core.js';
import type { ObjectRecord } from './s3-store.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Input = Record<string, any>;

function maxKeysOf(value: unknown, name = 'max-keys'): number {
  if (value === undefined || value === null) return 1000;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw S3Errors.invalidArgument('Provided max-keys not an integer or within integer range', name, String(value));
  return Math.min(n, 1000);
}

function encodingOf(input: Input): ((s: string) => string) {
  if (input.EncodingType === undefined || input.EncodingType === null) return (s) => s;
  if (input.EncodingType !== 'url') throw S3Errors.invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', input.EncodingType);
  return urlEncodeKey;
}

export function listingOperations(core: S3Core): Record<string, OperationHandler> {
  const { store } = core;

  const listLatest = (bucket: string, input: Input, after: Buffer | undefined, maxKeys: number): Promise<ListResult<ObjectRecord>> =>
    listKeys(
      {
        prefix: Buffer.from(input.Prefix ?? '', 'utf8'),
        delimiter: input.Delimiter ? Buffer.from(input.Delimiter, 'utf8') : undefined,
        maxKeys,
        after,
      },
      (cursor, limit) => store.listLatest(bucket, cursor, limit),
    );

  const contentsOf = (records: ObjectRecord[], encode: (s: string) => string, owner: boolean, account: string) =>
    records.map((r) => {
      const entry: Record<string, unknown> = {
        Key: encode(r.key.toString('utf8')),
        LastModified: new Date(r.lastModified),
        ETag: r.etag,
        Size: r.size,
        StorageClass: r.storageClass,
      };
      if (r.checksumAlgorithm) {
        entry.ChecksumAlgorithm = [r.checksumAlgorithm];
        entry.ChecksumType = r.checksumType ?? 'FULL_OBJECT';
      }
      if (owner) entry.Owner = ownerOf(account);
      return entry;
    });

  return {
    async ListObjectsV2(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:ListBucket');
      const maxKeys = maxKeysOf(input.MaxKeys);
      const encode = encodingOf(input);
      let after: Buffer | undefined;
      if (input.ContinuationToken !== undefined) {
        const raw = Buffer.from(String(input.ContinuationToken), 'base64url');
        if (String(input.ContinuationToken) === '' || raw.length < 2 || raw[0] !== 0x31) {
          throw S3Errors.invalidArgument('The continuation token provided is incorrect', 'continuation-token', String(input.ContinuationToken));
        }
        after = raw.subarray(1);
      } else if (input.StartAfter) {
        after = Buffer.from(input.StartAfter, 'utf8');
      }
      const result = await listLatest(bucket.name, input, after, maxKeys);
      const out: Record<string, unknown> = {
        Name: bucket.name,
        Prefix: encode(input.Prefix ?? ''),
        MaxKeys: maxKeys,
        KeyCount: result.contents.length + result.commonPrefixes.length,
        IsTruncated: result.truncated,
        Contents: contentsOf(result.contents, encode, input.FetchOwner === true, bucket.account),
        CommonPrefixes: result.commonPrefixes.map((p) => ({ Prefix: encode(p.toString('utf8')) })),
      };
      if (input.Delimiter) out.Delimiter = encode(input.Delimiter);
      if (input.EncodingType) out.EncodingType = input.EncodingType;
      if (input.ContinuationToken !== undefined) out.ContinuationToken = input.ContinuationToken;
      if (input.StartAfter) out.StartAfter = encode(input.StartAfter);
      if (result.truncated && result.last) {
        out.NextContinuationToken = Buffer.concat([Buffer.from('1'), result.last.key]).toString('base64url');
      }
      return out;
    },

    async ListObjects(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:ListBucket');
      const maxKeys = maxKeysOf(input.MaxKeys);
      const encode = encodingOf(input);
      const after = input.Marker ? Buffer.from(input.Marker, 'utf8') : undefined;
      const result = await listLatest(bucket.name, input, after, maxKeys);
      const out: Record<string, unknown> = {
        Name: bucket.name,
        Prefix: encode(input.Prefix ?? ''),
        Marker: encode(input.Marker ?? ''),
        MaxKeys: maxKeys,
        IsTruncated: result.truncated,
        Contents: contentsOf(result.contents, encode, true, bucket.account),
        CommonPrefixes: result.commonPrefixes.map((p) => ({ Prefix: encode(p.toString('utf8')) })),
      };
      if (input.Delimiter) out.Delimiter = encode(input.Delimiter);
      if (input.EncodingType) out.EncodingType = input.EncodingType;
      if (result.truncated && input.Delimiter && result.last) out.NextMarker = encode(result.last.key.toString('utf8'));
      return out;
    },

    async ListObjectVersions(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:ListBucketVersions');
      const maxKeys = maxKeysOf(input.MaxKeys);
      const encode = encodingOf(input);
      let after: Buffer | undefined;
      let afterSeq: number | undefined;
      if (input.VersionIdMarker && !input.KeyMarker) {
        throw S3Errors.invalidArgument('A version-id marker cannot be specified without a key marker.', 'version-id-marker', input.VersionIdMarker);
      }
      if (input.KeyMarker) {
        after = Buffer.from(input.KeyMarker, 'utf8');
        if (input.VersionIdMarker) {
          const marker = await store.getVersion(bucket.name, after, input.VersionIdMarker);
          if (!marker) throw S3Errors.invalidArgument('Invalid version id specified', 'version-id-marker', input.VersionIdMarker);
          afterSeq = marker.seq;
        }
      }
      const result = await listKeys(
        {
          prefix: Buffer.from(input.Prefix ?? '', 'utf8'),
          delimiter: input.Delimiter ? Buffer.from(input.Delimiter, 'utf8') : undefined,
          maxKeys,
          after,
          afterSeq,
        },
        (cursor, limit) => store.listVersions(bucket.name, cursor, limit),
      );
      const Versions: Record<string, unknown>[] = [];
      const DeleteMarkers: Record<string, unknown>[] = [];
      const owner = ownerOf(bucket.account);
      for (const r of result.contents) {
        const base = {
          Key: encode(r.key.toString('utf8')),
          VersionId: r.versionId,
          IsLatest: r.isLatest,
          LastModified: new Date(r.lastModified),
          Owner: owner,
        };
        if (r.deleteMarker) DeleteMarkers.push(base);
        else {
          const v: Record<string, unknown> = { ...base, ETag: r.etag, Size: r.size, StorageClass: r.storageClass };
          if (r.checksumAlgorithm) v.ChecksumAlgorithm = [r.checksumAlgorithm];
          Versions.push(v);
        }
      }
      const out: Record<string, unknown> = {
        Name: bucket.name,
        Prefix: encode(input.Prefix ?? ''),
        KeyMarker: encode(input.KeyMarker ?? ''),
        VersionIdMarker: input.VersionIdMarker ?? '',
        MaxKeys: maxKeys,
        IsTruncated: result.truncated,
        Versions,
        DeleteMarkers,
        CommonPrefixes: result.commonPrefixes.map((p) => ({ Prefix: encode(p.toString('utf8')) })),
      };
      if (input.Delimiter) out.Delimiter = encode(input.Delimiter);
      if (input.EncodingType) out.EncodingType = input.EncodingType;
      if (result.truncated && result.last) {
        out.NextKeyMarker = encode(result.last.key.toString('utf8'));
        if (!result.last.isPrefix && result.last.entry) out.NextVersionIdMarker = result.last.entry.versionId;
      }
      return out;
    },

    async ListMultipartUploads(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:ListBucketMultipartUploads');
      const max = maxKeysOf(input.MaxUploads, 'max-uploads');
      const encode = encodingOf(input);
      const uploads = (await store.listUploads(bucket.name)).sort((a, b) => Buffer.compare(a.key, b.key) || a.initiated - b.initiated);
      const entries = uploads.map((u, i) => ({ key: u.key, seq: -i, upload: u }));
      const keyMarker = input.KeyMarker ? Buffer.from(input.KeyMarker, 'utf8') : undefined;
      let startIndex = 0;
      if (keyMarker) {
        startIndex = entries.findIndex((e) => {
          const c = Buffer.compare(e.key, keyMarker);
          if (c > 0) return true;
          if (c < 0 || !input.UploadIdMarker) return false;
          return e.upload.uploadId > String(input.UploadIdMarker);
        });
        if (startIndex < 0) startIndex = entries.length;
      }
      const remaining = entries.slice(startIndex);
      const result = await listKeys(
        {
          prefix: Buffer.from(input.Prefix ?? '', 'utf8'),
          delimiter: input.Delimiter ? Buffer.from(input.Delimiter, 'utf8') : undefined,
          maxKeys: max,
        },
        (cursor, limit) =>
          remaining
            .filter((e) => {
              const c = Buffer.compare(e.key, cursor.key);
              if (cursor.seq !== undefined && c === 0) return e.seq < cursor.seq;
              return cursor.inclusive ? c >= 0 : c > 0;
            })
            .slice(0, limit),
      );
      const owner = ownerOf(bucket.account);
      const out: Record<string, unknown> = {
        Bucket: bucket.name,
        KeyMarker: encode(input.KeyMarker ?? ''),
        UploadIdMarker: input.UploadIdMarker ?? '',
        Prefix: encode(input.Prefix ?? ''),
        MaxUploads: max,
        IsTruncated: result.truncated,
        Uploads: result.contents.map((e) => ({
          UploadId: e.upload.uploadId,
          Key: encode(e.key.toString('utf8')),
          Initiated: new Date(e.upload.initiated),
          StorageClass: e.upload.storageClass,
          Owner: owner,
          Initiator: owner,
          ...(e.upload.checksumAlgorithm ? { ChecksumAlgorithm: e.upload.checksumAlgorithm } : {}),
        })),
        CommonPrefixes: result.commonPrefixes.map((p) => ({ Prefix: encode(p.toString('utf8')) })),
      };
      if (input.Delimiter) out.Delimiter = encode(input.Delimiter);
      if (input.EncodingType) out.EncodingType = input.EncodingType;
      if (result.truncated && result.last) {
        out.NextKeyMarker = encode(result.last.key.toString('utf8'));
        if (result.last.entry) out.NextUploadIdMarker = result.last.entry.upload.uploadId;
      }
      return out;
    },
  };
}
