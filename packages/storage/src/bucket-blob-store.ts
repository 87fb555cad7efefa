// Blobs in an S3-compatible bucket (a real S3, Ceph, MinIO, or another Atoll), for nodes that share
// no directory. Every blob is first written as a local file (fsynced, digested, verified: the blob
// store's own path), then uploaded; `put` resolves only once the bucket has acknowledged it, so an
// acknowledged blob survives the loss of the node. The local files are a cache: a blob another node
// wrote is fetched on first use (`ensureLocal`). Objects are sent with one PutObject each (up to
// 5 GiB, the limit of a single PUT).
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { AtollError } from '@atoll/core';
import { BlobStore, type PutBlobOptions, type StoredBlob } from './blob-store.js';

export interface BucketLocation {
  bucket: string;
  /** Key prefix, without leading or trailing slashes ('' for none). */
  prefix: string;
}

/** `s3://bucket/some/prefix` → { bucket, prefix }. */
export function parseBlobUrl(url: string): BucketLocation {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) throw new AtollError('CONFIG_INVALID_BLOB_URL', `the blob URL must look like s3://bucket/prefix, got "${url}"`);
  return { bucket: m[1]!, prefix: m[2]!.replace(/^\/+|\/+$/g, '') };
}

function unavailable(location: BucketLocation, cause: unknown): AtollError {
  return new AtollError('STORAGE_UNAVAILABLE', `the blob bucket s3://${location.bucket}/${location.prefix} cannot be reached`, { cause });
}

type S3Module = typeof import('@aws-sdk/client-s3');

/** The bucket's client, made on first use (the SDK loads only when a bucket is used). */
export type BucketClient = () => Promise<{ client: S3Client; s3: S3Module }>;

export class BucketBlobStore extends BlobStore {
  readonly #connect: BucketClient;
  readonly #location: BucketLocation;

  constructor(cacheRoot: string, location: BucketLocation, client: BucketClient) {
    super(cacheRoot);
    this.#connect = client;
    this.#location = location;
  }

  /** Sends one command built from the SDK module; any failure is the bucket being unreachable, except a missing key. */
  async #send<T>(build: (s3: S3Module) => object): Promise<T> {
    const { client, s3 } = await this.#connect();
    return (await client.send(build(s3) as never)) as T;
  }

  #key(key: string): string {
    return this.#location.prefix ? `${this.#location.prefix}/${key}` : key;
  }

  override async put(source: Readable | Buffer | string, options: PutBlobOptions = {}): Promise<StoredBlob> {
    const blob = await super.put(source, options);
    try {
      await this.#send((s3) =>
        new s3.PutObjectCommand({
          Bucket: this.#location.bucket,
          Key: this.#key(blob.key),
          Body: createReadStream(this.path(blob.key)),
          ContentLength: blob.size,
        }),
      );
    } catch (error) {
      await super.delete(blob.key);
      throw unavailable(this.#location, error);
    }
    return blob;
  }

  override async ensureLocal(key: string): Promise<void> {
    const path = this.path(key);
    if (existsSync(path)) return;
    let body: Readable;
    try {
      const out = await this.#send<{ Body: unknown }>((s3) => new s3.GetObjectCommand({ Bucket: this.#location.bucket, Key: this.#key(key) }));
      body = out.Body as Readable;
    } catch (error) {
      // Gone (deleted by another node's overwrite): as a missing file would be, so callers look again.
      if ((error as { name?: string }).name === 'NoSuchKey') throw Object.assign(new Error(`blob ${key} is not in the bucket`), { code: 'ENOENT' });
      throw unavailable(this.#location, error);
    }
    // Written aside and renamed, so that a reader never sees a partial cache file.
    const tmp = `${path}.${process.pid}.${Date.now()}.part`;
    await mkdir(dirname(path), { recursive: true });
    try {
      await pipeline(body, createWriteStream(tmp));
      await rename(tmp, path);
    } catch (error) {
      await rm(tmp, { force: true });
      throw unavailable(this.#location, error);
    }
  }

  override async size(key: string): Promise<number> {
    if (existsSync(this.path(key))) return super.size(key);
    try {
      const head = await this.#send<{ ContentLength?: number }>((s3) => new s3.HeadObjectCommand({ Bucket: this.#location.bucket, Key: this.#key(key) }));
      return head.ContentLength ?? 0;
    } catch (error) {
      throw unavailable(this.#location, error);
    }
  }

  override async delete(key: string): Promise<void> {
    await super.delete(key);
    try {
      await this.#send((s3) => new s3.DeleteObjectCommand({ Bucket: this.#location.bucket, Key: this.#key(key) }));
    } catch (error) {
      throw unavailable(this.#location, error);
    }
  }
}

/**
 * The blob store of one service (`name`): files under `<blobDir>/<name>/blobs`, or, with a blob URL,
 * objects under `<prefix>/<name>/` of the bucket with that directory as the node's cache. The bucket's
 * endpoint and keys come from ATOLL_BLOB_ENDPOINT, ATOLL_BLOB_ACCESS_KEY_ID and
 * ATOLL_BLOB_SECRET_ACCESS_KEY when set (so that they do not collide with the AWS_* settings that
 * point the node's own users at Atoll), else from the AWS SDK's usual settings.
 */
export function blobStoreFor(storage: { blobDir: string; blobUrl?: string }, name: string, env: NodeJS.ProcessEnv = process.env): BlobStore {
  const root = join(storage.blobDir, name, 'blobs');
  if (!storage.blobUrl) return new BlobStore(root);
  const base = parseBlobUrl(storage.blobUrl);
  let connected: ReturnType<BucketClient> | undefined;
  const client: BucketClient = () =>
    (connected ??= import('@aws-sdk/client-s3').then((s3) => ({
      s3,
      client: new s3.S3Client({
        ...(env.ATOLL_BLOB_ENDPOINT ? { endpoint: env.ATOLL_BLOB_ENDPOINT, forcePathStyle: true } : {}),
        ...(env.ATOLL_BLOB_ACCESS_KEY_ID && env.ATOLL_BLOB_SECRET_ACCESS_KEY
          ? { credentials: { accessKeyId: env.ATOLL_BLOB_ACCESS_KEY_ID, secretAccessKey: env.ATOLL_BLOB_SECRET_ACCESS_KEY } }
          : {}),
        region: env.ATOLL_BLOB_REGION ?? env.AWS_REGION ?? 'us-east-1',
        // Checksums only where the API requires them: S3-compatible stores differ in their support of
        // trailing checksums, and the blob store verifies its own digests.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
    })));
  return new BucketBlobStore(root, { bucket: base.bucket, prefix: [base.prefix, name].filter(Boolean).join('/') }, client);
}
