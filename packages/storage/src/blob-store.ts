// A store of immutable blobs (object bytes, function code, registry layers) as files. A blob is
// streamed to a temporary file, fsynced, renamed into place and its directory fsynced; only then is
// its key returned, so a key that a database row references always names complete, durable bytes.
// Bytes are never buffered whole in memory. Digests are computed on a worker thread that reads the
// written bytes back from the page cache, so that hashing (MD5 runs at ~800 MB/s on one core) does
// not hold up receiving on the main thread.
import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, rmSync, type ReadStream } from 'node:fs';
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Worker } from 'node:worker_threads';
import { AtollError } from '@atoll/core';

export type DigestAlgorithm = 'md5' | 'sha1' | 'sha256';
export type Digests = Partial<Record<DigestAlgorithm, string>>;

export interface PutBlobOptions {
  /** Digests of the stored bytes, returned hex-encoded. */
  digests?: readonly DigestAlgorithm[];
  /** Sees every chunk, in order, before it is written (for checksums the store does not compute). */
  inspect?: (chunk: Buffer) => void;
  /**
   * Runs once every byte is written and digested, before the blob is made durable: throwing
   * discards the blob, so a body that fails a check is never stored.
   */
  verify?: (blob: { size: number; digests: Digests }) => void;
  /** Refuse (and remove) a blob larger than this many bytes. */
  maxBytes?: number;
  signal?: AbortSignal;
}

export interface StoredBlob {
  key: string;
  size: number;
  digests: Digests;
}

export class BlobTooLargeError extends AtollError {
  /** `size`: the bytes received when the limit was crossed. */
  constructor(
    readonly maxBytes: number,
    readonly size: number,
  ) {
    super('BLOB_TOO_LARGE', `blob exceeds ${maxBytes} bytes`);
  }
}

/** Bytes gathered into one writev: a system call and a thread-pool hop per MiB, not per socket read. */
const BATCH_BYTES = 1024 * 1024;

/**
 * Large blobs are flushed in the background every this many bytes, so that the final fsync has
 * little left to write and the page cache holds few dirty pages.
 */
const SYNC_EVERY = 32 * 1024 * 1024;

/**
 * Writes a stream to an open file in batches. While a batch is being written, further chunks wait
 * in the stream's buffer (up to one batch), so the source is paused rather than buffered further.
 */
class FileSink extends Writable {
  /** Bytes accepted so far; all of them are in the file once the stream has finished. */
  size = 0;
  #written = 0;
  #batch: Buffer[] = [];
  #batchBytes = 0;
  #unsynced = 0;
  #syncing: Promise<void> | undefined;
  #syncError: unknown;

  constructor(
    private readonly handle: FileHandle,
    private readonly maxBytes: number,
    private readonly inspect: ((chunk: Buffer) => void) | undefined,
    private readonly digester: Digester | undefined,
  ) {
    super({ highWaterMark: BATCH_BYTES });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.size + chunk.length > this.maxBytes) return done(new BlobTooLargeError(this.maxBytes, this.size + chunk.length));
    try {
      this.inspect?.(chunk);
    } catch (error) {
      return done(error as Error);
    }
    this.size += chunk.length;
    this.#batch.push(chunk);
    this.#batchBytes += chunk.length;
    if (this.#batchBytes < BATCH_BYTES) return done();
    this.#writeBatch(done);
  }

  override _final(done: (error?: Error | null) => void): void {
    if (this.#batchBytes === 0) return done();
    this.#writeBatch(done);
  }

  /** Resolves once no background flush is running; rejects if one failed. */
  async flushed(): Promise<void> {
    while (this.#syncing) await this.#syncing;
    if (this.#syncError !== undefined) throw this.#syncError;
  }

  #writeBatch(done: (error?: Error | null) => void): void {
    const buffers = this.#batch;
    const length = this.#batchBytes;
    this.#batch = [];
    this.#batchBytes = 0;
    // libuv repeats a short write until every byte is written or the write fails.
    this.handle.writev(buffers, this.#written).then(() => {
      this.#written += length;
      if (this.destroyed) return done();
      this.digester?.advance(this.#written);
      this.#unsynced += length;
      if (this.#unsynced >= SYNC_EVERY && !this.#syncing) {
        this.#unsynced = 0;
        this.#syncing = this.handle
          .datasync()
          .catch((error: unknown) => void (this.#syncError ??= error))
          .finally(() => (this.#syncing = undefined));
      }
      done();
    }, done);
  }
}

// The worker: one job per blob, keyed by id. Each message says how far the file is written; the
// worker reads the new bytes through the blob's descriptor (shared by all threads of the process)
// into one reused buffer and hashes them. `last` asks for the digests, `cancel` drops the job; both
// are answered, after which the worker no longer touches the descriptor.
const DIGEST_WORKER = `
const { parentPort } = require('node:worker_threads');
const { readSync } = require('node:fs');
const { createHash } = require('node:crypto');
const buffer = Buffer.allocUnsafe(1024 * 1024);
const jobs = new Map();
parentPort.on('message', ({ id, fd, algorithms, end, last, cancel }) => {
  let job = jobs.get(id);
  if (!job) jobs.set(id, (job = { at: 0, hashes: algorithms.map((a) => [a, createHash(a)]), error: undefined }));
  try {
    while (!cancel && job.error === undefined && job.at < end) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, end - job.at), job.at);
      if (n === 0) throw new Error('the blob file ended before ' + end + ' bytes');
      const bytes = buffer.subarray(0, n);
      for (const [, hash] of job.hashes) hash.update(bytes);
      job.at += n;
    }
  } catch (error) {
    job.error = String(error && error.message);
  }
  if (!last && !cancel) return;
  jobs.delete(id);
  const digests = cancel || job.error !== undefined ? undefined : Object.fromEntries(job.hashes.map(([a, h]) => [a, h.digest('hex')]));
  parentPort.postMessage({ id, digests, error: cancel ? undefined : job.error });
});
`;

interface DigestReply {
  id: number;
  digests?: Digests;
  error?: string;
}

/** The process's digest worker, started on first use and kept (unreferenced) while idle. */
class DigestWorker {
  #worker: Worker | undefined;
  #nextId = 0;
  readonly #waiting = new Map<number, { resolve: (digests: Digests) => void; reject: (error: Error) => void }>();

  start(fd: number, algorithms: readonly DigestAlgorithm[]): Digester {
    return new Digester(this, ++this.#nextId, fd, algorithms);
  }

  post(message: { id: number; fd: number; algorithms: readonly DigestAlgorithm[]; end: number; last?: boolean; cancel?: boolean }): void {
    this.#spawn().postMessage(message);
  }

  /** Posts a `last` or `cancel` message and waits for its answer (holding the process open meanwhile). */
  request(message: Parameters<DigestWorker['post']>[0]): Promise<Digests> {
    const worker = this.#spawn();
    const answer = new Promise<Digests>((resolve, reject) => this.#waiting.set(message.id, { resolve, reject }));
    if (this.#waiting.size === 1) worker.ref();
    worker.postMessage(message);
    return answer;
  }

  #spawn(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(DIGEST_WORKER, { eval: true });
    worker.unref();
    worker.on('message', (reply: DigestReply) => {
      const waiting = this.#waiting.get(reply.id);
      if (!waiting) return;
      this.#waiting.delete(reply.id);
      if (this.#waiting.size === 0) worker.unref();
      if (reply.error !== undefined) waiting.reject(new AtollError('BLOB_DIGEST_FAILED', `could not digest a blob: ${reply.error}`));
      else waiting.resolve(reply.digests ?? {});
    });
    // A worker that dies fails the answers it owed; the next blob starts a new one. Blobs still being
    // written are digested again from their first byte, since the new worker reads from the file.
    const fail = (cause: unknown) => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const { reject } of this.#waiting.values()) reject(new AtollError('BLOB_DIGEST_FAILED', 'the digest worker stopped', { cause }));
      this.#waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    return (this.#worker = worker);
  }
}

const digestWorker = new DigestWorker();

/** One blob's digest job. After `finish` or `settle`, the worker no longer reads its descriptor. */
class Digester {
  #open = true;

  constructor(
    private readonly worker: DigestWorker,
    private readonly id: number,
    private readonly fd: number,
    private readonly algorithms: readonly DigestAlgorithm[],
  ) {}

  /** The file holds `end` bytes now. */
  advance(end: number): void {
    if (this.#open) this.worker.post({ id: this.id, fd: this.fd, algorithms: this.algorithms, end });
  }

  /** The digests of the file's first `end` bytes. */
  finish(end: number): Promise<Digests> {
    this.#open = false;
    return this.worker.request({ id: this.id, fd: this.fd, algorithms: this.algorithms, end, last: true });
  }

  /** Stops an unfinished job, resolving once the worker has let go of the descriptor. */
  async settle(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    await this.worker.request({ id: this.id, fd: this.fd, algorithms: this.algorithms, end: 0, cancel: true }).catch(() => {});
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

  /** Streams `source` into a new durable blob. On any error (or a failed `verify`) nothing is left behind. */
  async put(source: Readable | Buffer | string, options: PutBlobOptions = {}): Promise<StoredBlob> {
    const key = randomUUID().replace(/-/g, '');
    const tmpPath = join(this.#tmp, key);
    const input = typeof source === 'string' || Buffer.isBuffer(source) ? Readable.from([Buffer.from(source)]) : source;
    // Until the pipeline is attached, an error of the source must not go unhandled; the pipeline
    // still reports it, since the stream is then errored.
    const ignore = () => {};
    input.on('error', ignore);
    let handle: FileHandle;
    try {
      // Opened for reading too: the digest worker reads the written bytes back through it.
      handle = await open(tmpPath, 'wx+');
    } finally {
      input.off('error', ignore);
    }
    const algorithms = options.digests ?? [];
    const digester = algorithms.length > 0 ? digestWorker.start(handle.fd, algorithms) : undefined;
    const sink = new FileSink(handle, options.maxBytes ?? Number.POSITIVE_INFINITY, options.inspect, digester);
    let digests: Digests = {};
    try {
      try {
        await pipeline(input, sink, { signal: options.signal });
        if (digester) digests = await digester.finish(sink.size);
        options.verify?.({ size: sink.size, digests });
        await sink.flushed();
        await handle.sync();
      } finally {
        // The descriptor stays open until the worker and the background flush are done with it.
        await digester?.settle();
        await sink.flushed().catch(() => {});
        await handle.close();
      }
      const dir = join(this.root, key.slice(0, 2));
      mkdirSync(dir, { recursive: true });
      await rename(tmpPath, this.path(key));
      await this.#syncDir(dir);
    } catch (error) {
      await rm(tmpPath, { force: true });
      throw error;
    }
    return { key, size: sink.size, digests };
  }

  /**
   * Makes sure this node holds the blob's bytes before `path()` or `read()` (a no-op here; a store
   * backed by a bucket fetches a blob another node wrote).
   */
  async ensureLocal(_key: string): Promise<void> {}

  /** Whether this node holds the blob's file now (a bucket-backed store may have to fetch it first). */
  hasLocal(key: string): boolean {
    return existsSync(this.path(key));
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
