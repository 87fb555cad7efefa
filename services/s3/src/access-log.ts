// Server access logging: for a bucket with PutBucketLogging enabled, one line per request in S3's
// access-log format, gathered per source bucket and written to the target bucket as one log object
// per batch (on a timer, when a batch is large, and when the provider closes), under the target
// prefix in the simple (`prefix2026-01-31-10-00-00-UNIQUE`) or partitioned key format.
import { randomBytes } from 'node:crypto';
import type { OperationHandler, RequestContext } from '@atoll/core';
import { LOGGING_CONFIG } from './bucket-records-operations.js';
import { canonicalId, type S3Core } from './s3-core.js';
import type { BucketState } from './s3-store.js';

/** A batch is written once it holds this many lines (else on the timer). */
const BATCH_LINES = 1000;

interface LoggingEnabled {
  TargetBucket: string;
  TargetPrefix: string;
  TargetObjectKeyFormat?: { SimplePrefix?: unknown; PartitionedPrefix?: { PartitionDateSource?: string } };
}

interface Batch {
  source: BucketState;
  target: LoggingEnabled;
  lines: string[];
  firstEvent: number;
}

/** The HTTP method and resource S3 names an operation by (`REST.GET.OBJECT`). */
const OPERATIONS: Record<string, [string, string]> = {
  GetObject: ['GET', 'OBJECT'],
  PutObject: ['PUT', 'OBJECT'],
  HeadObject: ['HEAD', 'OBJECT'],
  DeleteObject: ['DELETE', 'OBJECT'],
  CopyObject: ['COPY', 'OBJECT'],
  DeleteObjects: ['POST', 'MULTI_OBJECT_DELETE'],
  ListObjects: ['GET', 'BUCKET'],
  ListObjectsV2: ['GET', 'BUCKET'],
  ListObjectVersions: ['GET', 'BUCKETVERSIONS'],
  CreateMultipartUpload: ['POST', 'UPLOADS'],
  UploadPart: ['PUT', 'PART'],
  UploadPartCopy: ['COPY', 'PART'],
  CompleteMultipartUpload: ['POST', 'UPLOAD'],
  AbortMultipartUpload: ['DELETE', 'UPLOAD'],
  ListParts: ['GET', 'UPLOAD'],
  ListMultipartUploads: ['GET', 'UPLOADS'],
  HeadBucket: ['HEAD', 'BUCKET'],
  CreateBucket: ['PUT', 'BUCKET'],
  DeleteBucket: ['DELETE', 'BUCKET'],
  SelectObjectContent: ['POST', 'SELECT'],
  GetBucketLogging: ['GET', 'LOGGING_STATUS'],
  PutBucketLogging: ['PUT', 'LOGGING_STATUS'],
};

function operationName(operation: string): { method: string; resource: string } {
  const known = OPERATIONS[operation];
  if (known) return { method: known[0], resource: known[1] };
  const m = /^(Get|Put|Delete|Head|List)(Bucket|Object)?(.*)$/.exec(operation);
  const method = m ? (m[1] === 'List' ? 'GET' : m[1]!.toUpperCase()) : 'POST';
  const rest = m ? `${m[2] === 'Object' ? 'OBJECT_' : ''}${m[3]}` : operation;
  const resource = rest.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase().replace(/^_|_$/g, '') || 'BUCKET';
  return { method, resource };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `[06/Feb/2019:00:00:38 +0000]` */
export function logTime(time: number): string {
  const d = new Date(time);
  return `[${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000]`;
}

const dash = (v: unknown): string => (v === undefined || v === null || v === '' ? '-' : String(v));
const quoted = (v: string | undefined): string => `"${v === undefined || v === '' ? '-' : v.replace(/"/g, '\\"')}"`;
const encodeKey = (key: string): string => encodeURIComponent(key).replace(/%2F/g, '/');

export interface LoggedRequest {
  operation: string;
  input: Record<string, unknown>;
  ctx: RequestContext;
  started: number;
  status: number;
  errorCode?: string;
  output?: Record<string, unknown>;
}

/** One access-log line in S3's field order. */
export function formatLogLine(bucket: BucketState, r: LoggedRequest): string {
  const { method, resource } = operationName(r.operation);
  const key = typeof r.input.Key === 'string' ? r.input.Key : undefined;
  const identity = r.ctx.identity;
  const requester = !identity || identity.type === 'Anonymous' ? '-' : identity.arn;
  const headers = r.ctx.headers ?? {};
  const auth = typeof headers.authorization === 'string' ? headers.authorization : '';
  // A signed request without an Authorization header was presigned (signed in its query string).
  const authType = auth !== '' ? 'AuthHeader' : requester !== '-' ? 'QueryString' : '-';
  const sent = r.output && r.status < 300 && method === 'GET' && typeof r.output.ContentLength === 'number' ? r.output.ContentLength : undefined;
  const objectSize =
    typeof r.input.ContentLength === 'number' ? r.input.ContentLength : typeof r.output?.ContentLength === 'number' && key ? r.output.ContentLength : undefined;
  const versionId = (r.output?.VersionId as string | undefined) ?? (r.input.VersionId as string | undefined);
  const uri = `${method === 'COPY' ? 'PUT' : method} /${bucket.name}${key !== undefined ? `/${encodeKey(key)}` : ''} HTTP/1.1`;
  return [
    canonicalId(bucket.account),
    bucket.name,
    logTime(r.started),
    dash(r.ctx.sourceIp),
    requester,
    r.ctx.requestId,
    `REST.${method}.${resource}`,
    key !== undefined ? encodeKey(key) : '-',
    quoted(uri),
    String(r.status),
    dash(r.errorCode),
    dash(sent),
    dash(objectSize),
    String(Math.max(0, Date.now() - r.started)),
    '-',
    quoted(typeof headers.referer === 'string' ? headers.referer : undefined),
    quoted(r.ctx.userAgent),
    dash(versionId),
    '-',
    authType === '-' ? '-' : auth !== '' && !auth.startsWith('AWS4') ? 'SigV2' : 'SigV4',
    '-',
    authType,
    dash(headers.host),
    '-',
    '-',
    '-',
  ].join(' ');
}

export class AccessLogger {
  readonly #batches = new Map<string, Batch>();
  readonly #writing = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly core: S3Core,
    private readonly flushMs = Number(process.env.ATOLL_S3_ACCESS_LOG_FLUSH_MS ?? 60_000),
  ) {}

  /** Wraps operation handlers so that requests on buckets with logging enabled are logged. */
  wrap(operations: Record<string, OperationHandler>): Record<string, OperationHandler> {
    const out: Record<string, OperationHandler> = {};
    for (const [name, handler] of Object.entries(operations)) {
      out[name] = (input: Record<string, unknown>, ctx: RequestContext) => {
        const started = Date.now();
        let result: unknown;
        try {
          result = handler(input, ctx);
        } catch (error) {
          this.#failed(name, input, ctx, started, error);
          throw error;
        }
        if (!(result instanceof Promise)) {
          this.#done(name, input, ctx, started, result);
          return result;
        }
        return result.then(
          (output) => (this.#done(name, input, ctx, started, output), output),
          (error: unknown) => {
            this.#failed(name, input, ctx, started, error);
            throw error;
          },
        );
      };
    }
    return out;
  }

  #done(operation: string, input: Record<string, unknown>, ctx: RequestContext, started: number, output: unknown): void {
    const bucket = this.core.requestBucket(ctx);
    if (!bucket?.config(LOGGING_CONFIG)) return;
    const out = (output ?? {}) as Record<string, unknown>;
    const status = operation.startsWith('Delete') && operation !== 'DeleteObjects' ? 204 : typeof out.ContentRange === 'string' ? 206 : 200;
    this.#add(bucket, { operation, input, ctx, started, status, output: out });
  }

  #failed(operation: string, input: Record<string, unknown>, ctx: RequestContext, started: number, error: unknown): void {
    const bucket = this.core.requestBucket(ctx);
    if (!bucket?.config(LOGGING_CONFIG)) return;
    const e = error as { code?: string; status?: number };
    this.#add(bucket, { operation, input, ctx, started, status: e.status ?? 500, errorCode: e.code ?? 'InternalError' });
  }

  #add(bucket: BucketState, request: LoggedRequest): void {
    const config = bucket.config<{ LoggingEnabled?: LoggingEnabled }>(LOGGING_CONFIG)?.LoggingEnabled;
    if (!config) return;
    let batch = this.#batches.get(bucket.name);
    if (!batch) {
      batch = { source: bucket, target: config, lines: [], firstEvent: request.started };
      this.#batches.set(bucket.name, batch);
    }
    batch.target = config;
    batch.lines.push(formatLogLine(bucket, request));
    if (batch.lines.length >= BATCH_LINES) this.#write(bucket.name);
    else if (this.flushMs > 0) {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        void this.flush();
      }, this.flushMs);
      this.#timer.unref();
    }
  }

  /** Writes every pending batch now; resolves once written. */
  async flush(): Promise<void> {
    for (const name of [...this.#batches.keys()]) this.#write(name);
    while (this.#writing.size > 0) await Promise.all([...this.#writing]);
  }

  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  #write(name: string): void {
    const batch = this.#batches.get(name);
    if (!batch || batch.lines.length === 0) return;
    this.#batches.delete(name);
    const pending: Promise<void> = this.#deliver(batch)
      .catch((error: unknown) => this.core.log.warn({ err: error, bucket: name, target: batch.target.TargetBucket }, 'S3 access log not delivered'))
      .finally(() => this.#writing.delete(pending));
    this.#writing.add(pending);
  }

  async #deliver(batch: Batch): Promise<void> {
    const { core } = this;
    const target = await core.store.getBucket(batch.target.TargetBucket);
    if (!target) throw new Error(`target bucket ${batch.target.TargetBucket} does not exist`);
    const data = Buffer.from(`${batch.lines.join('\n')}\n`, 'utf8');
    const now = Date.now();
    const key = logObjectKey(batch, now);
    const body = await core.storeBody({ Body: data, ContentLength: data.length }, { headers: {} } as RequestContext);
    const keyBytes = core.keyBytes(key);
    try {
      const result = await core.store.putObject(target.name, keyBytes, {
        blob: body.blob,
        data: body.data,
        size: body.size,
        etag: `"${body.md5}"`,
        lastModified: now,
        storageClass: 'STANDARD',
        meta: { ContentType: 'text/plain' },
        tags: {},
      });
      core.dropBlobs(result.obsoleteBlobs);
    } catch (error) {
      if (body.blob) core.dropBlobs([body.blob]);
      throw error;
    }
  }
}

/** The key of a log object: simple `prefixYYYY-mm-DD-HH-MM-SS-UNIQUE`, or the partitioned form. */
function logObjectKey(batch: Batch, now: number): string {
  const d = new Date(now);
  const stamp = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}-${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}`;
  const unique = randomBytes(8).toString('hex').toUpperCase();
  const prefix = batch.target.TargetPrefix;
  const partitioned = batch.target.TargetObjectKeyFormat?.PartitionedPrefix;
  if (!partitioned) return `${prefix}${stamp}-${unique}`;
  const p = new Date(partitioned.PartitionDateSource === 'EventTime' ? batch.firstEvent : now);
  const source = batch.source;
  return `${prefix}${source.account}/${source.region}/${source.name}/${p.getUTCFullYear()}/${pad(p.getUTCMonth() + 1)}/${pad(p.getUTCDate())}/${stamp}-${unique}`;
}
