// The S3 provider: wires the store, the blob store and the operation groups into one
// ServiceProvider, answers CORS preflights, sweeps orphans at startup and runs lifecycle rules
// (on one node at a time: under the leadership `s3:lifecycle`).
//
// Known limitations:
// - Object ACLs and bucket ACLs are accepted and answered as owner FULL_CONTROL; grants are not
//   stored or enforced. Replication, website hosting, metrics/intelligent-tiering configurations,
//   ownership controls, public access blocks, RestoreObject, the deprecated PutBucketNotification /
//   PutBucketLifecycle shapes and POST-object (browser form uploads) are not implemented (501).
// - Object Lock: retention and legal hold are enforced inside the store's transaction on every path
//   that removes a version (DeleteObject(s) with a version id, lifecycle noncurrent expiry, replacing
//   a null version); a new version (PUT, copy, multipart completion) never replaces a locked one.
//   x-amz-bypass-governance-retention needs s3:BypassGovernanceRetention from IAM identity policies
//   (bucket policies are not asked for it), and PUTs with lock headers do not require Content-MD5 or
//   a checksum as AWS does. Retention dates keep their milliseconds.
// - Conditional writes: If-Match / If-None-Match (only `*`) on PutObject, CopyObject and
//   CompleteMultipartUpload, and If-Match on DeleteObject, are checked atomically in the commit;
//   a conditional write whose key was deleted while its body was arriving answers 409
//   ConditionalRequestConflict, a lost race 412. The size/time conditions of directory-bucket
//   deletes are out of scope (see below).
// - SelectObjectContent: CSV and JSON (DOCUMENT read whole into memory; LINES streamed), NONE or
//   GZIP; a SQL subset (SELECT list or *, WHERE with comparisons, AND/OR/NOT, LIKE, BETWEEN, IN, IS
//   NULL, arithmetic, CAST, LOWER/UPPER/CHAR_LENGTH/TRIM/SUBSTRING/COALESCE/NULLIF, COUNT/SUM/AVG/
//   MIN/MAX, LIMIT; no GROUP BY, no date functions). CSV values compare as numbers when both read as
//   numbers (AWS needs a CAST). Parquet input, BZIP2 and ScanRange answer 501; Cont keep-alive
//   events are not sent.
// - Bucket logging writes access-log lines for requests on the bucket (not for ListBuckets or
//   requests refused before the bucket was found), batched per bucket every
//   ATOLL_S3_ACCESS_LOG_FLUSH_MS (default 60 s) or 1000 lines, best-effort (a crash loses the
//   pending batch); the request URI is rebuilt from the operation (no query string), and host id,
//   cipher suite, TLS version and turnaround time are "-". Request payment, transfer acceleration,
//   inventory and analytics configurations are recorded and answered only (no reports, no
//   requester-pays billing).
// - SSE-C and SSE-KMS headers are accepted and echoed; bytes are stored unencrypted.
// - Bucket policies are enforced for anonymous callers and other accounts (and their explicit
//   Deny for IAM users of the owner), without Condition blocks: a statement with a Condition never
//   allows. IAM identity policies are the edge's.
// - CORS: preflight OPTIONS is answered here (a raw route); the Access-Control-* headers on
//   ordinary responses get them through `responseHeaders`, which the edge calls.
// - Event notifications (SQS, SNS) are delivered best-effort after the commit; a crash between the
//   commit and the delivery loses the event. Lambda and EventBridge destinations are stored only.
// - Lifecycle: expiration, noncurrent-version expiration, expired delete markers and aborting
//   incomplete uploads run in a background sweep (every ATOLL_S3_LIFECYCLE_INTERVAL_MS, default
//   60 s, on the node that leads `s3:lifecycle`); days count from the write (not rounded to
//   midnight UTC); transitions are stored only.
// - Checksums: a multipart object with a COMPOSITE checksum answers the checksum of the part
//   checksums (`…-N`), which SDKs skip when validating. No default CRC64NVME is computed for
//   uploads that send no checksum. `x-amz-checksum-type` is not in the model, so not echoed.
// - Objects up to 64 KiB are stored inline in the database (one group commit on SQLite, no file);
//   larger ones are blob files under <blobDir>/s3/blobs. Completing an upload whose part was
//   replaced meanwhile answers InvalidPart.
// - Several nodes (PostgreSQL): the blob directory must be shared. Bucket states and recent object
//   versions are cached only on SQLite (one node); on PostgreSQL every request reads them, so that
//   a write acknowledged by one node is seen by the next read on any node. The startup sweep
//   removes only temporary files and unreferenced blobs older than ATOLL_S3_ORPHAN_GRACE_MS
//   (default 15 min on PostgreSQL, 0 on SQLite), so that it never takes a blob another node is
//   writing; an upload whose client stalls longer than that fails. A GET that is streaming a blob
//   while another node deletes it may fail mid-stream on a shared file system without POSIX
//   unlink semantics (NFS).
// - Bucket names are global across accounts, as in AWS; ListBuckets lists the caller's account.
// - ListMultipartUploads and lifecycle sweeps read one bucket's uploads / versions into memory.
// - Operations added to S3's model since 2023 (botocore 1.43) are not implemented (501): the bucket
//   metadata table configurations (Create/Get/Delete/UpdateBucketMetadata…),
//   GetBucketAbac/PutBucketAbac, RenameObject and UpdateObjectEncryption; the SHA512, MD5 and
//   XXHASH64/3/128 checksum headers and the conditional DeleteObject headers
//   x-amz-if-match-last-modified-time and x-amz-if-match-size are not checked.
import { readdirSync, rmSync, statSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { blobStoreFor, runEvery } from '@atoll/storage';
import type { OperationHandler, PlatformContext, ServiceFactory, ServiceProvider, HttpRoute } from '@atoll/core';
import { s3Authorization } from './authorization.js';
import { AccessLogger } from './access-log.js';
import { bucketOperations } from './bucket-operations.js';
import { bucketRecordOperations } from './bucket-records-operations.js';
import { corsPreflightRoute, corsResponseHeaders, findCorsRule, type CorsRule } from './cors.js';
import { sweepLifecycle, type SweepResult } from './lifecycle.js';
import { listingOperations } from './listing-operations.js';
import { multipartOperations } from './multipart-operations.js';
import { objectLockOperations } from './object-lock.js';
import { objectOperations } from './object-operations.js';
import { selectOperations } from './select-operation.js';
import { S3Core } from './s3-core.js';
import { S3Store } from './s3-store.js';

export interface S3ProviderOptions {
  /** Interval of the lifecycle sweep in ms (0 disables the timer). */
  lifecycleIntervalMs?: number;
  /** Length of a lifecycle "day" in ms. */
  lifecycleDayMs?: number;
  /**
   * How old a temporary file or an unreferenced blob must be for the startup sweep to remove it
   * (0 on SQLite, whose node owns its blob directory; 15 minutes on PostgreSQL, whose nodes share it).
   */
  orphanGraceMs?: number;
}

export class S3Provider implements ServiceProvider {
  readonly service = 's3';
  readonly operations: Partial<Record<string, OperationHandler>>;
  readonly authorization = s3Authorization;
  readonly routes: readonly HttpRoute[];
  readonly core: S3Core;
  /** Server access logs of buckets with logging enabled (flush() writes the pending ones now). */
  readonly accessLogs: AccessLogger;
  readonly #options: Required<S3ProviderOptions>;
  readonly #platform: PlatformContext;
  #stopLifecycle: (() => void) | undefined;
  #sweeping: Promise<SweepResult> | undefined;
  #starting: Promise<void> | undefined;

  constructor(platform: PlatformContext, options: S3ProviderOptions = {}) {
    this.#platform = platform;
    const store = S3Store.open(platform.storage);
    // `<dataDir>/s3/blobs` by default, as before the blob directory could be shared (or a bucket's cache).
    const blobs = blobStoreFor(platform.storage, 's3');
    this.core = new S3Core(store, blobs, platform);
    const defaultGrace = platform.storage.engine === 'sqlite' ? 0 : 15 * 60_000;
    this.#options = {
      lifecycleIntervalMs: options.lifecycleIntervalMs ?? Number(process.env.ATOLL_S3_LIFECYCLE_INTERVAL_MS ?? 60_000),
      lifecycleDayMs: options.lifecycleDayMs ?? Number(process.env.ATOLL_S3_LIFECYCLE_DAY_MS ?? 86_400_000),
      orphanGraceMs: options.orphanGraceMs ?? Number(process.env.ATOLL_S3_ORPHAN_GRACE_MS ?? defaultGrace),
    };
    this.accessLogs = new AccessLogger(this.core);
    this.operations = this.accessLogs.wrap({
      ...bucketOperations(this.core),
      ...bucketRecordOperations(this.core),
      ...objectOperations(this.core),
      ...listingOperations(this.core),
      ...multipartOperations(this.core),
      ...objectLockOperations(this.core),
      ...selectOperations(this.core),
    });
    this.routes = [corsPreflightRoute(store)];
  }

  /**
   * Removes temporary files of interrupted uploads and blobs that no row references, among those
   * older than the grace period. The files are listed when this is called (at startup, before this
   * node writes a blob), and the rows read afterwards, so that a blob committed meanwhile is kept.
   */
  async sweepOrphans(graceMs = this.#options.orphanGraceMs): Promise<{ temporary: number; orphans: number }> {
    const { blobs, store } = this.core;
    const cutoff = Date.now() - graceMs;
    const old = (path: string): boolean => {
      if (graceMs <= 0) return true;
      try {
        return statSync(path).mtimeMs < cutoff;
      } catch {
        return false;
      }
    };
    let temporary = 0;
    const tmp = join(blobs.root, 'tmp');
    for (const name of readdirSync(tmp)) {
      const path = join(tmp, name);
      if (!old(path)) continue;
      rmSync(path, { force: true });
      temporary++;
    }
    const candidates = [...blobs.keys()].filter((key) => old(blobs.path(key)));
    if (candidates.length === 0) return { temporary, orphans: 0 };
    const referenced = await store.referencedBlobs();
    // Deleted through the core, so that idle() waits for them too.
    const orphans = candidates.filter((key) => !referenced.has(key));
    this.core.dropBlobs(orphans);
    return { temporary, orphans: orphans.length };
  }

  start(): Promise<void> {
    // The sweep lists the files now, before any request of this node writes one.
    const sweep = this.sweepOrphans();
    this.#starting = Promise.all([this.core.store.ready, sweep]).then(([, swept]) => {
      if (swept.temporary + swept.orphans > 0) this.core.log.info(swept, 'removed leftovers of interrupted S3 writes');
    });
    this.core.track(this.#starting.catch(() => undefined));
    const interval = this.#options.lifecycleIntervalMs;
    if (interval > 0) {
      this.#stopLifecycle = this.#platform.storage.leadership.lead('s3:lifecycle', (signal) =>
        runEvery(signal, interval, () => this.runLifecycle(), (error) => this.core.log.error({ err: error }, 'S3 lifecycle sweep failed')),
      );
    }
    return this.#starting;
  }

  /** Runs one lifecycle sweep now (one at a time). */
  runLifecycle(now = Date.now()): Promise<SweepResult> {
    this.#sweeping ??= sweepLifecycle(this.core, now, this.#options.lifecycleDayMs).finally(() => {
      this.#sweeping = undefined;
    });
    return this.#sweeping;
  }

  /**
   * The Access-Control-* headers S3 adds to an ordinary (non-preflight) response for a request
   * with an `Origin` header, or undefined when no CORS rule matches. For the edge to call.
   */
  responseHeaders(_operation: string, input: Record<string, unknown>, request: { method: string; headers: IncomingHttpHeaders }): Record<string, string> | undefined {
    const origin = request.headers.origin;
    if (typeof origin !== 'string' || typeof input.Bucket !== 'string') return undefined;
    return this.corsHeaders(input.Bucket, origin, request.method, request.headers);
  }

  /** From the bucket state cached on this node, else the one the request (`headers`) read; see S3Core.corsState. */
  corsHeaders(bucket: string, origin: string, method: string, headers: object = {}): Record<string, string> | undefined {
    const rules = this.core.corsState(bucket, headers)?.config<{ CORSRules?: CorsRule[] }>('cors')?.CORSRules;
    if (!rules) return undefined;
    const rule = findCorsRule(rules, origin, method);
    return rule ? corsResponseHeaders(rule, origin) : undefined;
  }

  async close(): Promise<void> {
    this.#stopLifecycle?.();
    await this.#starting?.catch(() => undefined);
    await this.accessLogs.close().catch(() => undefined);
    await this.#sweeping?.catch(() => undefined);
    await this.core.store.close();
  }
}

export const createS3Service: ServiceFactory = async (platform) => {
  const provider = new S3Provider(platform);
  await provider.core.store.ready;
  return provider;
};
