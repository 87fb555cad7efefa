// The state every S3 operation shares: the metadata store, the blob store, the notifier, and the
// helpers that operations repeat (bucket lookup with access checks, streaming a request body into a
// verified blob, opening a blob for reading, the canonical owner). Operations live in *-operations.ts.
import { createHash } from 'node:crypto';
import { createReadStream, openSync } from 'node:fs';
import { Readable, finished } from 'node:stream';
import { BlobStore, BlobTooLargeError } from '@atoll/storage';
import type { Logger, PlatformContext, RequestContext } from '@atoll/core';
import { evaluatePolicy } from './bucket-policy.js';
import {
  CHECKSUM_ALGORITHMS,
  checksumHeader,
  checksumMember,
  createHasher,
  parseChecksumAlgorithm,
  type ChecksumAlgorithm,
} from './checksums.js';
import { Notifier, type NotificationConfiguration, type ObjectEvent } from './notifications.js';
import { S3Errors } from './s3-errors.js';
import type { BucketState, ObjectMeta, ObjectRecord, S3Store } from './s3-store.js';

export { newVersionId } from './s3-records.js';

export const MAX_OBJECT_SIZE = 5 * 1024 ** 3;
export const MAX_KEY_BYTES = 1024;
/**
 * Objects up to this size are kept in their metadata row instead of a blob file: one group-committed
 * SQLite write instead of a file, its fsync and its directory's fsync. Larger bodies stream to blobs.
 */
export const INLINE_MAX = 64 * 1024;

export interface StoredBody {
  /** The blob holding the bytes, or null when they are inline in `data`. */
  blob: string | null;
  data?: Buffer;
  size: number;
  /** Hex MD5 of the bytes. */
  md5: string;
  checksumAlgorithm?: ChecksumAlgorithm;
  /** Base64 checksum of the bytes in `checksumAlgorithm`. */
  checksum?: string;
}

const canonicalIds = new Map<string, string>();

/** The canonical user id S3 shows as an owner's `ID`, derived from the account id. */
export function canonicalId(accountId: string): string {
  let id = canonicalIds.get(accountId);
  if (id === undefined) {
    id = createHash('sha256').update(`atoll:${accountId}`).digest('hex');
    if (canonicalIds.size >= 10_000) canonicalIds.clear();
    canonicalIds.set(accountId, id);
  }
  return id;
}
export const ownerOf = (accountId: string): { ID: string; DisplayName: string } => ({ ID: canonicalId(accountId), DisplayName: accountId });

export class S3Core {
  readonly log: Logger;
  readonly notifier: Notifier;
  readonly #deleting = new Set<Promise<void>>();
  /** The bucket state each request with an `Origin` read, by its headers object (see `corsState`). */
  readonly #readByRequest = new WeakMap<object, BucketState>();
  /** The bucket state each request read first, by its context (for access logs). */
  readonly #bucketByRequest = new WeakMap<RequestContext, BucketState>();

  constructor(
    readonly store: S3Store,
    readonly blobs: BlobStore,
    readonly platform: PlatformContext,
  ) {
    this.log = platform.logger.child({ service: 's3' });
    this.notifier = new Notifier(platform);
  }

  /**
   * The bucket a request names. Missing → NoSuchBucket. Callers outside the owner's account
   * (anonymous or another account) need an Allow from the bucket policy for `action`. A request
   * naming the expected owner (`ownerHeader`) of a bucket owned by another account is refused.
   */
  async bucket(name: string, ctx: RequestContext, action: string, key?: string, ownerHeader = 'x-amz-expected-bucket-owner'): Promise<BucketState> {
    const bucket = await this.store.getBucket(name);
    if (!bucket) throw S3Errors.noSuchBucket(name);
    const headers = ctx.headers;
    if (headers?.origin !== undefined) this.#readByRequest.set(headers, bucket);
    if (!this.#bucketByRequest.has(ctx)) this.#bucketByRequest.set(ctx, bucket);
    return this.authorize(bucket, ctx, action, key, ownerHeader);
  }

  /** The bucket a request named, as its first `bucket()` lookup read it (a copy's destination). */
  requestBucket(ctx: RequestContext): BucketState | undefined {
    return this.#bucketByRequest.get(ctx);
  }

  /** The access checks of `bucket()` on a bucket already read (DeleteObjects checks each key). */
  authorize(bucket: BucketState, ctx: RequestContext, action: string, key?: string, ownerHeader = 'x-amz-expected-bucket-owner'): BucketState {
    const name = bucket.name;
    const expectedOwner = ctx.headers?.[ownerHeader];
    if (typeof expectedOwner === 'string' && expectedOwner !== bucket.account) throw S3Errors.accessDenied();
    const identity = ctx.identity;
    const resource = `arn:aws:s3:::${name}${key !== undefined ? `/${key}` : ''}`;
    const policy = bucket.config<string>('policy');
    const outsider = identity?.type === 'Anonymous' || (identity && identity.type !== 'AWSService' && identity.accountId !== bucket.account);
    if (outsider) {
      if (!policy || evaluatePolicy(policy, identity, action, resource) !== 'Allow') throw S3Errors.accessDenied();
    } else if (policy && identity && identity.type !== 'Root' && identity.type !== 'AWSService') {
      if (evaluatePolicy(policy, identity, action, resource) === 'Deny') throw S3Errors.accessDenied();
    }
    return bucket;
  }

  /**
   * The bucket state to take CORS rules from for a response, without waiting: the node's cached
   * state (SQLite), else what the request itself read (`headers` is the request's headers object).
   */
  corsState(name: string, headers: object): BucketState | undefined {
    const state = this.store.peekBucket(name);
    if (state) return state;
    const read = this.#readByRequest.get(headers);
    return read?.name === name ? read : undefined;
  }

  keyBytes(key: string): Buffer {
    const bytes = Buffer.from(key, 'utf8');
    if (bytes.length > MAX_KEY_BYTES) throw S3Errors.keyTooLong();
    if (bytes.length === 0) throw S3Errors.invalidArgument('The key must not be empty', 'key', '');
    return bytes;
  }

  /** Deletes blobs that no row references any more (after the commit that unreferenced them). */
  dropBlobs(keys: readonly string[]): void {
    for (const key of keys) {
      const pending: Promise<void> = this.blobs
        .delete(key)
        .catch((error: unknown) => this.log.warn({ err: error, blob: key }, 'could not delete S3 blob'))
        .finally(() => this.#deleting.delete(pending));
      this.#deleting.add(pending);
    }
  }

  /** Counts `work` (the startup sweep) among what idle() waits for. */
  track(work: Promise<void>): void {
    const pending: Promise<void> = work.finally(() => this.#deleting.delete(pending));
    this.#deleting.add(pending);
  }

  /** Resolves once the blob deletions (and the startup sweep) started so far have finished. */
  async idle(): Promise<void> {
    while (this.#deleting.size > 0) await Promise.all([...this.#deleting]);
  }


  /**
   * Streams a request body into a new blob while computing its MD5 and the requested checksum, and
   * verifies the declared length, Content-MD5 and checksum (from headers or aws-chunked trailers)
   * before the blob becomes durable. On any mismatch nothing is stored.
   */
  async storeBody(
    input: Record<string, unknown>,
    ctx: RequestContext,
    options: { maxBytes?: number; defaultAlgorithm?: ChecksumAlgorithm; inline?: boolean } = {},
  ): Promise<StoredBody> {
    const headers = ctx.headers ?? {};
    const decoded = headers['x-amz-decoded-content-length'];
    const declared =
      typeof decoded === 'string' ? Number(decoded) : typeof input.ContentLength === 'number' ? input.ContentLength : undefined;
    const maxBytes = options.maxBytes ?? MAX_OBJECT_SIZE;
    if (declared !== undefined && declared > maxBytes) throw S3Errors.entityTooLarge(declared, maxBytes);

    const contentMd5 = input.ContentMD5 as string | undefined;
    let expectedMd5: string | undefined;
    if (contentMd5 !== undefined) {
      const raw = Buffer.from(contentMd5, 'base64');
      if (raw.length !== 16 || raw.toString('base64') !== contentMd5.trim()) throw S3Errors.invalidDigest();
      expectedMd5 = raw.toString('hex');
    }

    // The checksum: a value in a header, a trailer announced by x-amz-trailer, or only an algorithm.
    let algorithm: ChecksumAlgorithm | undefined;
    let expected: string | undefined;
    for (const a of CHECKSUM_ALGORITHMS) {
      const value = (input[checksumMember(a)] as string | undefined) ?? (headers[checksumHeader(a)] as string | undefined);
      if (value !== undefined) {
        algorithm = a;
        expected = value;
        break;
      }
    }
    const trailer = typeof headers['x-amz-trailer'] === 'string' ? headers['x-amz-trailer'].trim().toLowerCase() : undefined;
    const trailerAlgorithm = trailer?.startsWith('x-amz-checksum-') ? parseChecksumAlgorithm(trailer.slice(15)) : undefined;
    if (!algorithm && trailerAlgorithm) algorithm = trailerAlgorithm;
    algorithm ??= parseChecksumAlgorithm(input.ChecksumAlgorithm as string | undefined) ?? options.defaultAlgorithm;
    if (expected !== undefined && !validChecksumEncoding(algorithm!, expected)) throw S3Errors.invalidChecksum(algorithm!);

    const verify = (body: StoredBody) => {
      if (declared !== undefined && body.size !== declared) throw S3Errors.incompleteBody();
      if (expectedMd5 !== undefined && body.md5 !== expectedMd5) throw S3Errors.badDigest();
      let want = expected;
      if (want === undefined && trailer && trailerAlgorithm === algorithm) {
        const trailers = ctx.trailers?.() ?? {};
        want = trailers[trailer] ?? Object.entries(trailers).find(([k]) => k.toLowerCase() === trailer)?.[1];
        if (want !== undefined && !validChecksumEncoding(algorithm!, want)) throw S3Errors.invalidChecksum(algorithm!);
      }
      if (want !== undefined && want !== body.checksum) throw S3Errors.badDigest(algorithm);
    };
    const body = input.Body;
    const source: Readable | Buffer | string =
      body === undefined || body === null
        ? Buffer.alloc(0)
        : body instanceof Readable || Buffer.isBuffer(body) || typeof body === 'string'
          ? body
          : body instanceof Uint8Array
            ? Buffer.from(body)
            : Readable.from(body as AsyncIterable<Buffer>);
    const inline = options.inline !== false && declared !== undefined && declared <= INLINE_MAX;
    try {
      // The abort signal is made on first use, which costs a 4 KiB PUT about a tenth of its
      // throughput; a small body ends or fails with its request anyway.
      const signal = inline ? undefined : ctx.signal;
      return await this.#save(source, algorithm, { inlineSize: inline ? declared : undefined, maxBytes, signal, verify });
    } catch (error) {
      if (error instanceof BlobTooLargeError) throw S3Errors.entityTooLarge(error.size, maxBytes);
      throw error;
    }
  }

  /** Copies (a byte range of) a stored object's blob into a new blob, hashing it on the way. */
  async copyBlob(
    source: ObjectRecord,
    range: { start: number; end: number } | undefined,
    algorithm?: ChecksumAlgorithm,
    inline = true,
  ): Promise<StoredBody> {
    const size = range ? range.end - range.start + 1 : source.size;
    const bytes = await this.body(source, range);
    return this.#save(bytes, algorithm, { inlineSize: inline && size <= INLINE_MAX ? size : undefined });
  }

  /**
   * Stores bytes inline (in memory, at most `inlineSize` of them) or as a blob, with their MD5 and
   * their `algorithm` checksum. `verify` sees the result before a blob is made durable: throwing
   * there stores nothing.
   */
  async #save(
    source: Readable | Buffer | string,
    algorithm: ChecksumAlgorithm | undefined,
    options: { inlineSize?: number; maxBytes?: number; signal?: AbortSignal; verify?: (body: StoredBody) => void },
  ): Promise<StoredBody> {
    const checksum = algorithm ? createHasher(algorithm) : undefined;
    const inspect = checksum ? (chunk: Buffer) => checksum.update(chunk) : undefined;
    const finish = (size: number, md5: string, data?: Buffer): StoredBody => {
      const body: StoredBody = { blob: null, data, size, md5, checksumAlgorithm: algorithm, checksum: checksum?.digest().toString('base64') };
      options.verify?.(body);
      return body;
    };
    if (options.inlineSize !== undefined) {
      const md5 = createHash('md5');
      const data = await collect(source, options.inlineSize, (chunk) => (md5.update(chunk), inspect?.(chunk)));
      return finish(data.length, md5.digest('hex'), data);
    }
    let body: StoredBody | undefined;
    const stored = await this.blobs.put(source, {
      digests: ['md5'],
      inspect,
      maxBytes: options.maxBytes,
      signal: options.signal,
      verify: (blob) => void (body = finish(blob.size, blob.digests.md5!)),
    });
    return { ...body!, blob: stored.key };
  }

  /**
   * Opens the blob of a (not inline) object synchronously and streams it. Opened in the same turn
   * as the lookup's answer, so that on one node a concurrent overwrite, which deletes the old blob
   * only after its commit, cannot remove the file between lookup and open; another node's can
   * (ENOENT: the caller looks the object up again). Reads of 1 MiB do a quarter of the per-chunk
   * work of 256 KiB ones (a 256 MiB GET measured as fast or faster); the response's backpressure
   * keeps about one chunk in flight per request.
   */
  openBlob(object: ObjectRecord, range?: { start: number; end: number }): Readable {
    if (object.inline) throw new Error('an inline object has no blob (see inlineBytes)');
    if (!object.blob || object.size === 0 || (range && range.end < range.start)) return Readable.from([]);
    const fd = openSync(this.blobs.path(object.blob), 'r');
    return createReadStream('', { fd, start: range?.start ?? 0, end: range?.end ?? object.size - 1, highWaterMark: 1024 * 1024 });
  }

  /**
   * The object's bytes as a stream: inline bytes, or its blob, fetched first when this node does not
   * hold it (blobs in a bucket). A local blob is opened in the same turn, as openBlob explains.
   */
  async body(object: ObjectRecord, range?: { start: number; end: number }): Promise<Buffer | Readable> {
    if (object.inline) return this.inlineBytes(object, range);
    if (object.blob && object.size > 0 && !this.blobs.hasLocal(object.blob)) await this.blobs.ensureLocal(object.blob);
    return this.openBlob(object, range);
  }

  /** The bytes (or a range of them) of an object kept inline in its row. */
  async inlineBytes(object: ObjectRecord, range?: { start: number; end: number }): Promise<Buffer> {
    const data = await this.store.inlineData(object);
    return range ? data.subarray(range.start, range.end + 1) : data;
  }

  /** Publishes an object event to the bucket's configured destinations (asynchronously). */
  notify(bucket: BucketState, ctx: RequestContext, event: Omit<ObjectEvent, 'bucket' | 'bucketOwner' | 'bucketAccount' | 'region' | 'requestId' | 'sourceIp' | 'principalId'>): void {
    const config = bucket.config<NotificationConfiguration>('notification');
    if (!config && !this.platform.bus.hasHandlers(Notifier.busType(event.eventName))) return;
    this.notifier.publish(config, {
      ...event,
      bucket: bucket.name,
      bucketOwner: canonicalId(bucket.account),
      bucketAccount: bucket.account,
      region: bucket.region,
      requestId: ctx.requestId,
      sourceIp: ctx.sourceIp,
      principalId: ctx.identity ? `AWS:${ctx.identity.principalId}` : 'AWS:anonymous',
    });
  }
}

/**
 * Reads a small body into memory, showing each chunk to `inspect`, refusing more than `limit`
 * bytes. Read through 'data' events and finished() rather than piped (a pipeline, with its own abort
 * controller, costs more than the few kilobytes it would carry) or iterated (an async iterator makes
 * promises per chunk); a request stream fails by itself when its client goes away. A refused or
 * failed read destroys the stream, as leaving a for-await loop would.
 */
function collect(source: Readable | Buffer | string, limit: number, inspect: (chunk: Buffer) => void): Promise<Buffer> {
  if (typeof source === 'string' || Buffer.isBuffer(source)) {
    const data = Buffer.from(source);
    if (data.length > limit) return Promise.reject(S3Errors.incompleteBody());
    try {
      inspect(data);
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve(data);
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      source.off('data', onData);
      source.destroy();
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) return fail(S3Errors.incompleteBody());
      try {
        inspect(chunk);
      } catch (error) {
        return fail(error);
      }
      chunks.push(chunk);
    };
    source.on('data', onData);
    finished(source, { writable: false }, (error) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
  });
}

const CHECKSUM_BYTES: Record<ChecksumAlgorithm, number> = { CRC32: 4, CRC32C: 4, CRC64NVME: 8, SHA1: 20, SHA256: 32 };

function validChecksumEncoding(algorithm: ChecksumAlgorithm, value: string): boolean {
  const raw = Buffer.from(value, 'base64');
  return raw.length === CHECKSUM_BYTES[algorithm] && raw.toString('base64') === value;
}

/** The content and user metadata members of a PutObject / CreateMultipartUpload / CopyObject input. */
export function metaFromInput(input: Record<string, unknown>): ObjectMeta {
  const meta: ObjectMeta = {};
  const str = (name: keyof ObjectMeta) => {
    const v = input[name];
    if (typeof v === 'string' && v !== '') (meta as Record<string, unknown>)[name] = v;
  };
  str('ContentType');
  str('CacheControl');
  str('ContentDisposition');
  str('ContentLanguage');
  str('WebsiteRedirectLocation');
  str('ServerSideEncryption');
  str('SSEKMSKeyId');
  if (typeof input.ContentEncoding === 'string') {
    // aws-chunked is a transfer framing, not a property of the object (S3 drops it).
    const encodings = input.ContentEncoding.split(',').map((e) => e.trim()).filter((e) => e && e !== 'aws-chunked');
    if (encodings.length > 0) meta.ContentEncoding = encodings.join(', ');
  }
  if (input.Expires instanceof Date) meta.Expires = input.Expires.toUTCString();
  else if (typeof input.Expires === 'string') meta.Expires = input.Expires;
  if (typeof input.BucketKeyEnabled === 'boolean') meta.BucketKeyEnabled = input.BucketKeyEnabled;
  const md = input.Metadata as Record<string, string> | undefined;
  if (md && Object.keys(md).length > 0) {
    meta.Metadata = Object.fromEntries(Object.entries(md).map(([k, v]) => [k.toLowerCase(), v]));
  }
  meta.ContentType ??= 'binary/octet-stream';
  return meta;
}

/** The GET/HEAD output members for stored metadata. */
export function metaToOutput(meta: ObjectMeta): Record<string, unknown> {
  const out: Record<string, unknown> = { ...meta };
  if (meta.Expires) out.Expires = new Date(meta.Expires);
  if (meta.Expires) out.ExpiresString = meta.Expires;
  out.Metadata = meta.Metadata ?? {};
  return out;
}

/** Parses an `x-amz-tagging` header (URL query form) into a tag map, enforcing S3's limits. */
export function parseTaggingHeader(value: string | undefined): Record<string, string> {
  if (!value) return {};
  const tags: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(value)) {
    if (k in tags) throw S3Errors.invalidTag('Cannot provide multiple Tags with the same key');
    tags[k] = v;
  }
  validateTags(tags);
  return tags;
}

export function validateTags(tags: Record<string, string>): void {
  const entries = Object.entries(tags);
  if (entries.length > 10) throw S3Errors.invalidTag('Object tags cannot be greater than 10');
  for (const [k, v] of entries) {
    if (k.length === 0 || k.length > 128) throw S3Errors.invalidTag('The TagKey you have provided is invalid');
    if (v.length > 256) throw S3Errors.invalidTag('The TagValue you have provided is invalid');
    if (k.toLowerCase().startsWith('aws:')) throw S3Errors.invalidTag('Your TagKey cannot be prefixed with aws:');
  }
}

/** Output members for a stored checksum (`ChecksumCRC32` …), and its type. */
export function checksumOutput(object: { checksumAlgorithm: string | null; checksum: string | null; checksumType?: string | null }): Record<string, string> {
  if (!object.checksumAlgorithm || !object.checksum) return {};
  const algorithm = object.checksumAlgorithm as ChecksumAlgorithm;
  return { [checksumMember(algorithm)]: object.checksum, ChecksumType: object.checksumType ?? 'FULL_OBJECT' };
}

/** S3's `encoding-type=url` encoding of keys and prefixes in listings. */
export const urlEncodeKey = (key: string): string => encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
