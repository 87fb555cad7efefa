// The S3 provider: wires the store, the blob store and the operation groups into one
// ServiceProvider, answers CORS preflights, sweeps orphans at startup and runs lifecycle rules.
//
// Known limitations:
// - Object ACLs and bucket ACLs are accepted and answered as owner FULL_CONTROL; grants are not
//   stored or enforced. Object Lock, legal hold, retention, replication, website hosting,
//   inventory/analytics/metrics/intelligent-tiering configurations, ownership controls, public
//   access blocks, SelectObjectContent, RestoreObject, the deprecated PutBucketNotification /
//   PutBucketLifecycle shapes and POST-object (browser form uploads) are not implemented (501).
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
//   60 s); days count from the write (not rounded to midnight UTC); transitions are stored only.
// - Checksums: a multipart object with a COMPOSITE checksum answers the checksum of the part
//   checksums (`…-N`), which SDKs skip when validating. No default CRC64NVME is computed for
//   uploads that send no checksum. `x-amz-checksum-type` is not in the model, so not echoed.
// - Objects up to 64 KiB are stored inline in SQLite (one group commit, no file); larger ones are
//   blob files. A part replaced while its upload is being completed is not guarded against.
// - Bucket names are global across accounts, as in AWS; ListBuckets lists the caller's account.
// - ListMultipartUploads and lifecycle sweeps read one bucket's uploads / versions into memory.
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { BlobStore } from '@atoll/storage';
import type { OperationHandler, PlatformContext, ServiceFactory, ServiceProvider, HttpRoute } from '@atoll/core';
import { s3Authorization } from './authorization.js';
import { bucketOperations } from './bucket-operations.js';
import { corsPreflightRoute, corsResponseHeaders, findCorsRule, type CorsRule } from './cors.js';
import { sweepLifecycle, type SweepResult } from './lifecycle.js';
import { listingOperations } from './listing-operations.js';
import { multipartOperations } from './multipart-operations.js';
import { objectOperations } from './object-operations.js';
import { S3Core } from './s3-core.js';
import { S3Store } from './s3-store.js';

export interface S3ProviderOptions {
  /** Interval of the lifecycle sweep in ms (0 disables the timer). */
  lifecycleIntervalMs?: number;
  /** Length of a lifecycle "day" in ms. */
  lifecycleDayMs?: number;
}

export class S3Provider implements ServiceProvider {
  readonly service = 's3';
  readonly operations: Partial<Record<string, OperationHandler>>;
  readonly authorization = s3Authorization;
  readonly routes: readonly HttpRoute[];
  readonly core: S3Core;
  readonly #options: Required<S3ProviderOptions>;
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<SweepResult> | undefined;

  constructor(platform: PlatformContext, options: S3ProviderOptions = {}) {
    const dir = join(platform.config.dataDir, 's3');
    const store = new S3Store(join(dir, 's3.db'));
    const blobs = new BlobStore(join(dir, 'blobs'));
    this.core = new S3Core(store, blobs, platform);
    this.#options = {
      lifecycleIntervalMs: options.lifecycleIntervalMs ?? Number(process.env.ATOLL_S3_LIFECYCLE_INTERVAL_MS ?? 60_000),
      lifecycleDayMs: options.lifecycleDayMs ?? Number(process.env.ATOLL_S3_LIFECYCLE_DAY_MS ?? 86_400_000),
    };
    this.operations = {
      ...bucketOperations(this.core),
      ...objectOperations(this.core),
      ...listingOperations(this.core),
      ...multipartOperations(this.core),
    };
    this.routes = [corsPreflightRoute(store)];
  }

  /** Removes temporary files of interrupted uploads and blobs that no row references. */
  sweepOrphans(): { temporary: number; orphans: number } {
    const { blobs, store } = this.core;
    const temporary = blobs.sweepTemporaryFiles();
    const referenced = store.referencedBlobs();
    // Deleted through the core, so that idle() waits for them too.
    const orphans = [...blobs.keys()].filter((key) => !referenced.has(key));
    this.core.dropBlobs(orphans);
    return { temporary, orphans: orphans.length };
  }

  start(): void {
    const swept = this.sweepOrphans();
    if (swept.temporary + swept.orphans > 0) this.core.log.info(swept, 'removed leftovers of interrupted S3 writes');
    if (this.#options.lifecycleIntervalMs > 0) {
      this.#timer = setInterval(() => {
        void this.runLifecycle().catch((error: unknown) => this.core.log.error({ err: error }, 'S3 lifecycle sweep failed'));
      }, this.#options.lifecycleIntervalMs);
      this.#timer.unref();
    }
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
    return this.corsHeaders(input.Bucket, origin, request.method);
  }

  corsHeaders(bucket: string, origin: string, method: string): Record<string, string> | undefined {
    const rules = this.core.store.getConfig<{ CORSRules?: CorsRule[] }>(bucket, 'cors')?.CORSRules;
    if (!rules) return undefined;
    const rule = findCorsRule(rules, origin, method);
    return rule ? corsResponseHeaders(rule, origin) : undefined;
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#sweeping?.catch(() => undefined);
    this.core.store.close();
  }
}

export const createS3Service: ServiceFactory = (platform) => new S3Provider(platform);
