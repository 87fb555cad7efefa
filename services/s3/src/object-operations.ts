// Object operations: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject,
// object tagging and GetObjectAttributes. Versioning rules (null versions, delete markers) are
// applied here on top of the store's version primitives.
import type { OperationHandler, RequestContext } from '@atoll/core';
import { checkConditions, parseRange } from './http-conditions.js';
import { checksumMember, parseChecksumAlgorithm, type ChecksumAlgorithm } from './checksums.js';
import { S3Errors, withHeaders } from './s3-errors.js';
import {
  checksumOutput,
  MAX_OBJECT_SIZE,
  metaFromInput,
  metaToOutput,
  ownerOf,
  parseTaggingHeader,
  validateTags,
  type S3Core,
} from './s3-core.js';
import { lockForNewObject, lockOutput } from './object-lock.js';
import { BucketGoneError, ConditionFailedError, ObjectLockedError, type BucketRecord, type ObjectRecord, type WriteResult } from './s3-store.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Input = Record<string, any>;

const STORAGE_CLASSES = new Set([
  'STANDARD', 'REDUCED_REDUNDANCY', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER', 'DEEP_ARCHIVE',
  'OUTPOSTS', 'GLACIER_IR', 'SNOW', 'EXPRESS_ONEZONE',
]);

export function storageClassOf(input: Input): string {
  const sc = input.StorageClass as string | undefined;
  if (sc === undefined || sc === '') return 'STANDARD';
  if (!STORAGE_CLASSES.has(sc)) throw S3Errors.invalidStorageClass();
  return sc;
}

/** The version id to show for a record: none in a bucket that never had versioning. */
export const shownVersion = (bucket: BucketRecord, versionId: string): string | undefined =>
  bucket.versioning === '' && versionId === 'null' ? undefined : versionId;

/** Looks up the version a request names (or the current one) and applies S3's delete-marker rules. */
export async function findObject(
  core: S3Core,
  bucket: BucketRecord,
  key: Buffer,
  keyText: string,
  versionId: string | undefined,
  method: string,
): Promise<ObjectRecord> {
  if (versionId !== undefined) {
    if (versionId === '') throw S3Errors.invalidArgument('Version id cannot be the empty string', 'versionId', '');
    const record = await core.store.getVersion(bucket.name, key, versionId);
    if (!record) {
      if (versionId !== 'null' && !/^[A-Za-z0-9._\-+/=]{1,1024}$/.test(versionId)) {
        throw S3Errors.invalidArgument('Invalid version id specified', 'versionId', versionId);
      }
      throw S3Errors.noSuchVersion(keyText, versionId);
    }
    if (record.deleteMarker) {
      throw withHeaders(S3Errors.methodNotAllowed(method, 'DeleteMarker'), {
        'x-amz-delete-marker': 'true',
        'x-amz-version-id': record.versionId,
        'last-modified': new Date(record.lastModified).toUTCString(),
      });
    }
    return record;
  }
  const record = await core.store.getLatest(bucket.name, key);
  if (!record) throw S3Errors.noSuchKey(keyText);
  if (record.deleteMarker) {
    throw withHeaders(S3Errors.noSuchKey(keyText), { 'x-amz-delete-marker': 'true', 'x-amz-version-id': record.versionId });
  }
  return record;
}

/**
 * Commits a write; maps a failed write condition to PreconditionFailed (NoSuchKey for If-Match on a
 * missing key, or ConditionalRequestConflict when `sawLive`: the key existed when the request
 * began and was deleted while it ran, as S3 answers), a locked version to AccessDenied and a bucket
 * deleted meanwhile to NoSuchBucket, deleting the new blob then; deletes the blobs the write made
 * obsolete.
 */
export async function commitObject<R extends { obsoleteBlobs: string[] }>(
  core: S3Core,
  blob: string | null,
  keyText: string,
  write: () => Promise<R>,
  sawLive = false,
): Promise<R> {
  let result: R;
  try {
    result = await write();
  } catch (error) {
    if (blob) core.dropBlobs([blob]);
    if (error instanceof ConditionFailedError) {
      if (error.missing && sawLive && error.condition === 'If-Match') throw S3Errors.conditionalRequestConflict();
      if (error.missing) throw S3Errors.noSuchKey(keyText);
      throw S3Errors.preconditionFailed(error.condition);
    }
    if (error instanceof ObjectLockedError) throw S3Errors.objectLocked();
    if (error instanceof BucketGoneError) throw S3Errors.noSuchBucket(error.bucket);
    throw error;
  }
  core.dropBlobs(result.obsoleteBlobs);
  return result;
}

/**
 * Checks a write's If-Match / If-None-Match before its body is read (the commit checks again,
 * atomically). Answers whether the key had a live version, for commitObject's conflict rule.
 */
export async function checkWriteConditionEarly(
  core: S3Core,
  bucket: BucketRecord,
  key: Buffer,
  keyText: string,
  condition: { ifNoneMatch?: string; ifMatch?: string },
): Promise<boolean> {
  if (condition.ifNoneMatch !== undefined && condition.ifNoneMatch.trim() !== '*') {
    throw S3Errors.invalidRequest('If-None-Match only supports the value *');
  }
  const current = await core.store.getLatest(bucket.name, key);
  const live = current && !current.deleteMarker ? current : undefined;
  if (condition.ifNoneMatch !== undefined && live) throw S3Errors.preconditionFailed('If-None-Match');
  if (condition.ifMatch !== undefined) {
    if (!live) throw S3Errors.noSuchKey(keyText);
    checkConditions({ ifMatch: condition.ifMatch }, live.etag, live.lastModified);
  }
  return live !== undefined;
}

const isMissingFile = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === 'ENOENT';

/** GetObject's `response-*` parameters and the headers they override. */
const RESPONSE_OVERRIDES = [
  ['ResponseCacheControl', 'CacheControl'],
  ['ResponseContentDisposition', 'ContentDisposition'],
  ['ResponseContentEncoding', 'ContentEncoding'],
  ['ResponseContentLanguage', 'ContentLanguage'],
  ['ResponseContentType', 'ContentType'],
] as const;

function objectOutput(bucket: BucketRecord, record: ObjectRecord, input: Input): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...metaToOutput(record.meta),
    ETag: record.etag,
    LastModified: new Date(record.lastModified),
    ContentLength: record.size,
    AcceptRanges: 'bytes',
  };
  const version = shownVersion(bucket, record.versionId);
  if (version !== undefined) out.VersionId = version;
  if (record.storageClass !== 'STANDARD') out.StorageClass = record.storageClass;
  if (record.meta.ServerSideEncryption === undefined) out.ServerSideEncryption = 'AES256';
  const tagCount = Object.keys(record.tags).length;
  if (tagCount > 0) out.TagCount = tagCount;
  if (record.parts && input.PartNumber !== undefined) out.PartsCount = record.parts.length;
  if (input.ChecksumMode === 'ENABLED') Object.assign(out, checksumOutput(record));
  Object.assign(out, lockOutput(record.lock));
  for (const [param, member] of RESPONSE_OVERRIDES) {
    if (input[param] !== undefined) out[member] = input[param];
  }
  if (input.ResponseExpires !== undefined) {
    out.Expires = input.ResponseExpires instanceof Date ? input.ResponseExpires : new Date(String(input.ResponseExpires));
  }
  return out;
}

/** The byte range a GET/HEAD selects: a `Range` header or a `partNumber` of a multipart object. */
function selectRange(record: ObjectRecord, input: Input): { start: number; end: number } | undefined {
  if (input.PartNumber !== undefined) {
    const n = Number(input.PartNumber);
    if (input.Range !== undefined) throw S3Errors.invalidRequest('Cannot specify both Range header and partNumber query parameter');
    if (!Number.isInteger(n) || n < 1 || n > 10_000) {
      throw S3Errors.invalidArgument('Part number must be an integer between 1 and 10000, inclusive', 'partNumber', String(input.PartNumber));
    }
    if (!record.parts) {
      // A single-part object is its own part 1: the whole object, as a range (206).
      if (n === 1) return record.size > 0 ? { start: 0, end: record.size - 1 } : undefined;
      throw S3Errors.invalidPartNumber(String(n), 1);
    }
    if (n > record.parts.length) throw S3Errors.invalidPartNumber(String(n), record.parts.length);
    let start = 0;
    for (const p of record.parts.slice(0, n - 1)) start += p.Size;
    return { start, end: start + record.parts[n - 1]!.Size - 1 };
  }
  return parseRange(input.Range as string | undefined, record.size);
}

function conditionsOf(input: Input) {
  return {
    ifMatch: input.IfMatch as string | undefined,
    ifNoneMatch: input.IfNoneMatch as string | undefined,
    ifModifiedSince: input.IfModifiedSince as Date | undefined,
    ifUnmodifiedSince: input.IfUnmodifiedSince as Date | undefined,
  };
}

export function objectOperations(core: S3Core): Record<string, OperationHandler> {
  const { store } = core;

  const read = async (input: Input, ctx: RequestContext, method: string, withBody: boolean) => {
    const bucket = await core.bucket(input.Bucket, ctx, 's3:GetObject', input.Key);
    const key = core.keyBytes(input.Key);
    for (let attempt = 1; ; attempt++) {
      const record = await findObject(core, bucket, key, input.Key, input.VersionId, method);
      try {
        return await output(bucket, record, input, withBody);
      } catch (error) {
        // Another node replaced the version and deleted its blob between the lookup and the open.
        if (!isMissingFile(error) || attempt >= 3) throw error;
      }
    }
  };

  const output = async (bucket: BucketRecord, record: ObjectRecord, input: Input, withBody: boolean) => {
    checkConditions(conditionsOf(input), record.etag, record.lastModified);
    const range = selectRange(record, input);
    const out = objectOutput(bucket, record, input);
    if (range) {
      out.ContentRange = `bytes ${range.start}-${range.end}/${record.size}`;
      out.ContentLength = range.end - range.start + 1;
      delete out.ChecksumCRC32, delete out.ChecksumCRC32C, delete out.ChecksumCRC64NVME, delete out.ChecksumSHA1, delete out.ChecksumSHA256;
      delete out.ChecksumType;
    }
    if (withBody) out.Body = await core.body(record, range);
    return out;
  };

  /** Deletes a version, or the current one (a delete marker with versioning); `ifMatch` is checked in the same transaction. */
  const deleteOne = async (bucket: BucketRecord, key: Buffer, keyText: string, versionId: string | undefined, ifMatch?: string, bypassGovernance = false) => {
    if (versionId !== undefined) {
      if (ifMatch !== undefined) {
        // The condition names the current version, the deletion another one: checked just before.
        const current = await store.getLatest(bucket.name, key);
        if (!current || current.deleteMarker) throw S3Errors.noSuchKey(keyText);
        checkConditions({ ifMatch }, current.etag, current.lastModified);
      }
      const { removed } = await commitObject(core, null, keyText, () => store.deleteVersion(bucket.name, key, versionId, undefined, { bypassGovernance }));
      return { removed, deleteMarker: removed?.deleteMarker ?? false, versionId };
    }
    const result = await commitObject(core, null, keyText, () =>
      store.deleteObject(bucket.name, key, Date.now(), ifMatch !== undefined ? { ifMatch } : undefined),
    );
    if (result.marker) return { removed: undefined, createdMarker: result.marker, deleteMarker: true, versionId: result.marker.versionId };
    return { removed: result.removed, deleteMarker: false, versionId: undefined };
  };

  return {
    async PutObject(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:PutObject', input.Key);
      const key = core.keyBytes(input.Key);
      const storageClass = storageClassOf(input);
      const tags = parseTaggingHeader(input.Tagging);
      const condition = { ifNoneMatch: input.IfNoneMatch as string | undefined, ifMatch: input.IfMatch as string | undefined };
      const conditional = condition.ifNoneMatch !== undefined || condition.ifMatch !== undefined;
      const lock = lockForNewObject(bucket, input);
      const sawLive = conditional ? await checkWriteConditionEarly(core, bucket, key, input.Key, condition) : false;

      const body = await core.storeBody(input, ctx);
      const result = await commitObject(core, body.blob, input.Key, () =>
        store.putObject(
          bucket.name,
          key,
          {
            blob: body.blob,
            data: body.data,
            size: body.size,
            etag: `"${body.md5}"`,
            lastModified: Date.now(),
            storageClass,
            meta: metaFromInput(input),
            tags,
            checksumAlgorithm: body.checksumAlgorithm ?? null,
            checksum: body.checksum ?? null,
            checksumType: body.checksumAlgorithm ? 'FULL_OBJECT' : null,
            lock,
          },
          conditional ? condition : undefined,
        ),
        sawLive,
      );
      const record = result.record;
      core.notify(bucket, ctx, { eventName: 'ObjectCreated:Put', key: input.Key, size: record.size, etag: record.etag, versionId: shownVersion(bucket, record.versionId) });
      const out: Record<string, unknown> = { ETag: record.etag, ServerSideEncryption: record.meta.ServerSideEncryption ?? 'AES256', ...checksumOutput(record) };
      const version = shownVersion(bucket, record.versionId);
      if (version !== undefined) out.VersionId = version;
      return out;
    },

    GetObject: (input: Input, ctx) => read(input, ctx, 'GET', true),
    HeadObject: (input: Input, ctx) => read(input, ctx, 'HEAD', false),

    async DeleteObject(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:DeleteObject', input.Key);
      const key = core.keyBytes(input.Key);
      if (input.VersionId === '') throw S3Errors.invalidArgument('Version id cannot be the empty string', 'versionId', '');
      const result = await deleteOne(bucket, key, input.Key, input.VersionId, input.IfMatch as string | undefined, input.BypassGovernanceRetention === true);
      if (result.removed || result.deleteMarker) {
        core.notify(bucket, ctx, {
          eventName: result.createdMarker ? 'ObjectRemoved:DeleteMarkerCreated' : 'ObjectRemoved:Delete',
          key: input.Key,
          versionId: result.versionId,
        });
      }
      const out: Record<string, unknown> = {};
      if (result.deleteMarker) out.DeleteMarker = true;
      if (result.versionId !== undefined) out.VersionId = result.versionId;
      return out;
    },

    async DeleteObjects(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:DeleteObject');
      const objects = (input.Delete?.Objects ?? []) as { Key: string; VersionId?: string }[];
      if (objects.length === 0 || objects.length > 1000) throw S3Errors.malformedXml();
      const quiet = input.Delete?.Quiet === true;
      const Deleted: Record<string, unknown>[] = [];
      const Errors: Record<string, unknown>[] = [];
      for (const o of objects) {
        try {
          core.authorize(bucket, ctx, 's3:DeleteObject', o.Key);
          const key = core.keyBytes(o.Key);
          const result = await deleteOne(bucket, key, o.Key, o.VersionId, undefined, input.BypassGovernanceRetention === true);
          if (result.removed || result.deleteMarker) {
            core.notify(bucket, ctx, {
              eventName: result.createdMarker ? 'ObjectRemoved:DeleteMarkerCreated' : 'ObjectRemoved:Delete',
              key: o.Key,
              versionId: result.versionId,
            });
          }
          if (quiet) continue;
          const entry: Record<string, unknown> = { Key: o.Key };
          if (o.VersionId !== undefined) entry.VersionId = o.VersionId;
          if (result.createdMarker) {
            entry.DeleteMarker = true;
            entry.DeleteMarkerVersionId = result.versionId;
          } else if (result.deleteMarker) {
            entry.DeleteMarker = true;
            entry.DeleteMarkerVersionId = o.VersionId;
          }
          Deleted.push(entry);
        } catch (error) {
          const e = error as { code?: string; message?: string };
          Errors.push({ Key: o.Key, VersionId: o.VersionId, Code: e.code ?? 'InternalError', Message: e.message ?? '' });
        }
      }
      return { Deleted, Errors };
    },

    async CopyObject(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:PutObject', input.Key);
      const key = core.keyBytes(input.Key);
      const src = parseCopySource(input.CopySource);
      const srcBucket = await core.bucket(src.bucket, ctx, 's3:GetObject', src.key, 'x-amz-source-expected-bucket-owner');
      const srcKey = core.keyBytes(src.key);
      const source = await findObject(core, srcBucket, srcKey, src.key, src.versionId, 'GET');
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
      if (source.size > MAX_OBJECT_SIZE) {
        throw S3Errors.invalidRequest(`The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_OBJECT_SIZE}`);
      }
      const directive = (input.MetadataDirective as string | undefined) ?? 'COPY';
      const taggingDirective = (input.TaggingDirective as string | undefined) ?? 'COPY';
      if (directive !== 'COPY' && directive !== 'REPLACE') throw S3Errors.invalidArgument('Unknown metadata directive.', 'x-amz-metadata-directive', directive);
      const storageClass = input.StorageClass !== undefined ? storageClassOf(input) : source.storageClass;
      const sameObject = srcBucket.name === bucket.name && srcKey.equals(key) && src.versionId === undefined;
      if (
        sameObject &&
        directive === 'COPY' &&
        input.StorageClass === undefined &&
        input.WebsiteRedirectLocation === undefined &&
        input.ServerSideEncryption === undefined
      ) {
        throw S3Errors.invalidRequest(
          "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        );
      }
      const meta = directive === 'REPLACE' ? metaFromInput(input) : { ...source.meta };
      const tags = taggingDirective === 'REPLACE' ? parseTaggingHeader(input.Tagging) : { ...source.tags };
      const algorithm =
        parseChecksumAlgorithm(input.ChecksumAlgorithm) ?? ((source.checksumAlgorithm as ChecksumAlgorithm | null) ?? undefined);
      const lock = lockForNewObject(bucket, input);
      const condition = { ifNoneMatch: input.IfNoneMatch as string | undefined, ifMatch: input.IfMatch as string | undefined };
      const conditional = condition.ifNoneMatch !== undefined || condition.ifMatch !== undefined;
      const sawLive = conditional ? await checkWriteConditionEarly(core, bucket, key, input.Key, condition) : false;
      const body = await core.copyBlob(source, undefined, algorithm);
      const result = await commitObject(core, body.blob, input.Key, () =>
        store.putObject(
          bucket.name,
          key,
          {
            blob: body.blob,
            data: body.data,
            size: body.size,
            etag: `"${body.md5}"`,
            lastModified: Date.now(),
            storageClass,
            meta,
            tags,
            checksumAlgorithm: body.checksumAlgorithm ?? null,
            checksum: body.checksum ?? null,
            checksumType: body.checksumAlgorithm ? 'FULL_OBJECT' : null,
            lock,
          },
          conditional ? condition : undefined,
        ),
        sawLive,
      );
      const record = result.record;
      core.notify(bucket, ctx, { eventName: 'ObjectCreated:Copy', key: input.Key, size: record.size, etag: record.etag, versionId: shownVersion(bucket, record.versionId) });
      const copyResult: Record<string, unknown> = { ETag: record.etag, LastModified: new Date(record.lastModified) };
      if (record.checksumAlgorithm && record.checksum) copyResult[checksumMember(record.checksumAlgorithm as ChecksumAlgorithm)] = record.checksum;
      const out: Record<string, unknown> = { CopyObjectResult: copyResult, ServerSideEncryption: 'AES256' };
      const version = shownVersion(bucket, record.versionId);
      if (version !== undefined) out.VersionId = version;
      const srcVersion = shownVersion(srcBucket, source.versionId);
      if (srcVersion !== undefined) out.CopySourceVersionId = srcVersion;
      return out;
    },

    async GetObjectTagging(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:GetObjectTagging', input.Key);
      const record = await findObject(core, bucket, core.keyBytes(input.Key), input.Key, input.VersionId, 'GET');
      const out: Record<string, unknown> = { TagSet: Object.entries(record.tags).map(([Key, Value]) => ({ Key, Value })) };
      const version = shownVersion(bucket, record.versionId);
      if (version !== undefined) out.VersionId = version;
      return out;
    },

    async PutObjectTagging(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:PutObjectTagging', input.Key);
      const record = await findObject(core, bucket, core.keyBytes(input.Key), input.Key, input.VersionId, 'PUT');
      const tags: Record<string, string> = {};
      for (const t of (input.Tagging?.TagSet ?? []) as { Key: string; Value: string }[]) {
        if (t.Key in tags) throw S3Errors.invalidTag('Cannot provide multiple Tags with the same key');
        tags[t.Key] = t.Value ?? '';
      }
      validateTags(tags);
      await store.setTags(record.seq, tags);
      const out: Record<string, unknown> = {};
      const version = shownVersion(bucket, record.versionId);
      if (version !== undefined) out.VersionId = version;
      return out;
    },

    async DeleteObjectTagging(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:DeleteObjectTagging', input.Key);
      const record = await findObject(core, bucket, core.keyBytes(input.Key), input.Key, input.VersionId, 'DELETE');
      await store.setTags(record.seq, {});
      const out: Record<string, unknown> = {};
      const version = shownVersion(bucket, record.versionId);
      if (version !== undefined) out.VersionId = version;
      return out;
    },

    async GetObjectAttributes(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:GetObjectAttributes', input.Key);
      const record = await findObject(core, bucket, core.keyBytes(input.Key), input.Key, input.VersionId, 'GET');
      const wanted = new Set(((input.ObjectAttributes ?? []) as string[]).flatMap((a) => a.split(',')).map((a) => a.trim()));
      if (wanted.size === 0) throw S3Errors.invalidArgument('Invalid attribute name specified.', 'x-amz-object-attributes', '');
      const out: Record<string, unknown> = { LastModified: new Date(record.lastModified) };
      const version = shownVersion(bucket, record.versionId);
      if (version !== undefined) out.VersionId = version;
      if (wanted.has('ETag')) out.ETag = record.etag.replace(/"/g, '');
      if (wanted.has('StorageClass')) out.StorageClass = record.storageClass;
      if (wanted.has('ObjectSize')) out.ObjectSize = record.size;
      if (wanted.has('Checksum') && record.checksumAlgorithm && record.checksum) {
        out.Checksum = { [checksumMember(record.checksumAlgorithm as ChecksumAlgorithm)]: record.checksum, ChecksumType: record.checksumType ?? 'FULL_OBJECT' };
      }
      if (wanted.has('ObjectParts') && record.parts) {
        const marker = Number(input.PartNumberMarker ?? 0);
        const max = Math.min(Number(input.MaxParts ?? 1000), 1000);
        const page = record.parts.filter((p) => p.PartNumber > marker).slice(0, max);
        const truncated = record.parts.filter((p) => p.PartNumber > marker).length > max;
        out.ObjectParts = {
          TotalPartsCount: record.parts.length,
          PartNumberMarker: marker,
          NextPartNumberMarker: page.length ? page[page.length - 1]!.PartNumber : marker,
          MaxParts: max,
          IsTruncated: truncated,
          Parts: page.map((p) => {
            const part: Record<string, unknown> = { PartNumber: p.PartNumber, Size: p.Size };
            if (p.Checksum && record.checksumAlgorithm) part[checksumMember(record.checksumAlgorithm as ChecksumAlgorithm)] = p.Checksum;
            return part;
          }),
        };
      }
      return out;
    },

    async GetObjectAcl(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:GetObjectAcl', input.Key);
      await findObject(core, bucket, core.keyBytes(input.Key), input.Key, input.VersionId, 'GET');
      return ownerFullControl(bucket.account);
    },

    async PutObjectAcl(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:PutObjectAcl', input.Key);
      await findObject(core, bucket, core.keyBytes(input.Key), input.Key, input.VersionId, 'PUT');
      return {};
    },
  };
}

export function ownerFullControl(account: string): Record<string, unknown> {
  const owner = ownerOf(account);
  return {
    Owner: owner,
    Grants: [{ Grantee: { Type: 'CanonicalUser', ID: owner.ID, DisplayName: account }, Permission: 'FULL_CONTROL' }],
  };
}

/** Parses `x-amz-copy-source`: `bucket/key` or `/bucket/key`, URL-encoded, optional `?versionId=`. */
export function parseCopySource(value: string | undefined): { bucket: string; key: string; versionId?: string } {
  if (!value) throw S3Errors.invalidArgument('Copy Source must mention the source bucket and key: sourcebucket/sourcekey', 'x-amz-copy-source', '');
  let path = value;
  let versionId: string | undefined;
  const q = value.indexOf('?');
  if (q >= 0) {
    path = value.slice(0, q);
    const params = new URLSearchParams(value.slice(q + 1));
    versionId = params.get('versionId') ?? undefined;
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    decoded = path;
  }
  decoded = decoded.replace(/^\//, '');
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) {
    throw S3Errors.invalidArgument('Copy Source must mention the source bucket and key: sourcebucket/sourcekey', 'x-amz-copy-source', value);
  }
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1), versionId };
}
