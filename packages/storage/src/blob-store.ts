// A store of immutable blobs (object bytes, function code, registry layers) as files. A blob is
// streamed to a temporary file, fsynced, renamed into place and its directory fsynced; only then is
// its key returned, so a key that a database row references always names complete, durable bytes.
// Bytes are never buffered whole in memory.
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readdirSync, rmSync, type ReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AtollError } from '@atoll/core';

export type DigestAlgorithm = 'md5' | 'sha1' | 'sha256';

export interface PutBlobOptions {
  /** Digests to compute while streaming, returned hex-encoded. */
  digests?: readonly DigestAlgorithm[];
  /** Extra transforms the bytes pass through before they reach the file (checksums, decoding). */
  transforms?: readonly Transform[];
  /** Refuse (and remove) a blob larger than this many bytes. */
  maxBytes?: number;
  signal?: AbortSignal;
}

export interface StoredBlob {
  key: string;
  size: number;
  digests: Partial<Record<DigestAlgorithm, string>>;
}

export class BlobTooLargeError extends AtollError {
  constructor(readonly maxBytes: number) {
    super('BLOB_TOO_LARGE', `blob exceeds ${maxBytes} bytes`);
  }
}

class Meter extends Transform {
  size = 0;
  readonly hashes: [DigestAlgorithm, Hash][];
  constructor(algorithms: readonly DigestAlgorithm[], readonly maxBytes: number) {
    super();
    this.hashes = algorithms.map((a) => [a, createHash(a)]);
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) return done(new BlobTooLargeError(this.maxBytes));
    for (const [, h] of this.hashes) h.update(chunk);
    done(null, chunk);
  }
}

export class BlobStore {
  readonly root: string;
  readonly #tmp: string;

  constructor(root: string) {
    this.root = root;
    this.#tmp = join(root, 'tmp');
    mkdirSync(this.#tmp, { recursive: true });
  }

  /** Removes temporary files left by writes that a crash interrupted. Call once at startup. */
  sweepTemporaryFiles(): number {
    let removed = 0;
    for (const name of readdirSync(this.#tmp)) {
      rmSync(join(this.#tmp, name), { force: true });
      removed++;
    }
    return removed;
  }

  /** Streams `source` into a new durable blob. On any error nothing is left behind. */
  async put(source: Readable | Buffer | string, options: PutBlobOptions = {}): Promise<StoredBlob> {
    const key = randomUUID().replace(/-/g, '');
    const tmpPath = join(this.#tmp, key);
    const meter = new Meter(options.digests ?? [], options.maxBytes ?? Number.POSITIVE_INFINITY);
    const input = typeof source === 'string' || Buffer.isBuffer(source) ? Readable.from([Buffer.from(source)]) : source;
    const file = createWriteStream(tmpPath, { flags: 'wx' });
    try {
      const stages: NodeJS.ReadWriteStream[] = [...(options.transforms ?? []), meter];
      await pipeline([input, ...stages, file] as unknown as Parameters<typeof pipeline>[0], {
        signal: options.signal,
      } as never);
      const handle = await open(tmpPath, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      const finalPath = this.path(key);
      mkdirSync(join(this.root, key.slice(0, 2)), { recursive: true });
      await rename(tmpPath, finalPath);
      await this.#syncDir(join(this.root, key.slice(0, 2)));
    } catch (error) {
      // The file may still be opening when the source fails: wait for it to close before removing
      // it, or the late open would re-create it.
      if (!file.closed) {
        file.destroy();
        await new Promise<void>((resolve) => file.once('close', () => resolve()));
      }
      await rm(tmpPath, { force: true });
      throw error;
    }
    const digests: Partial<Record<DigestAlgorithm, string>> = {};
    for (const [algorithm, hash] of meter.hashes) digests[algorithm] = hash.digest('hex');
    return { key, size: meter.size, digests };
  }

  /** The file that holds a blob. */
  path(key: string): string {
    if (!/^[0-9a-f]{32}$/.test(key)) throw new AtollError('BLOB_BAD_KEY', `not a blob key: ${key}`);
    return join(this.root, key.slice(0, 2), key);
  }

  /** Reads a blob, or the inclusive byte range [start, end] of it. */
  read(key: string, range?: { start: number; end: number }): ReadStream {
    return createReadStream(this.path(key), range ? { start: range.start, end: range.end } : {});
  }

  async size(key: string): Promise<number> {
    return (await stat(this.path(key))).size;
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  /** Every stored blob key (for garbage collection of blobs no row references). */
  *keys(): Generator<string> {
    for (const dir of readdirSync(this.root)) {
      if (dir === 'tmp' || dir.length !== 2) continue;
      for (const name of readdirSync(join(this.root, dir))) yield name;
    }
  }

  async #syncDir(dir: string): Promise<void> {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
