// The records the S3 store reads and writes (buckets, object versions, uploads, parts) and their
// mapping from database rows (SQLite or PostgreSQL). The store (s3-store.ts) owns the SQL.
import { randomBytes } from 'node:crypto';

export type Versioning = '' | 'Enabled' | 'Suspended';

export interface BucketRecord {
  name: string;
  account: string;
  region: string;
  createdAt: number;
  versioning: Versioning;
}

/** A new version id: 32 URL-safe characters, as AWS's. */
export const newVersionId = (): string => randomBytes(24).toString('base64url');

/**
 * A bucket as one read saw it: its row and its stored configurations (CORS, policy, lifecycle,
 * notification …), whose JSON is parsed on first use. Shared by the readers of a cached read: the
 * configurations it returns must not be changed.
 */
export class BucketState implements BucketRecord {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly createdAt: number;
  readonly versioning: Versioning;
  readonly #raw: ReadonlyMap<string, string>;
  readonly #parsed = new Map<string, unknown>();

  constructor(record: BucketRecord, configs: ReadonlyMap<string, string>) {
    this.name = record.name;
    this.account = record.account;
    this.region = record.region;
    this.createdAt = record.createdAt;
    this.versioning = record.versioning;
    this.#raw = configs;
  }

  /** The stored configuration kinds that start with `prefix` (inventory/<id> …). */
  configKinds(prefix: string): string[] {
    return [...this.#raw.keys()].filter((k) => k.startsWith(prefix));
  }

  /** A configuration document as stored, or undefined. */
  config<T = unknown>(kind: string): T | undefined {
    if (this.#parsed.has(kind)) return this.#parsed.get(kind) as T;
    const raw = this.#raw.get(kind);
    const value = raw === undefined ? undefined : (JSON.parse(raw, reviveDates) as T);
    this.#parsed.set(kind, value);
    return value;
  }
}

/** A configuration document as stored JSON (Dates kept as `{ $date }`). */
export const configJson = (value: unknown): string => JSON.stringify(value, replaceDates);

function replaceDates(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return raw instanceof Date ? { $date: raw.toISOString() } : value;
}

function reviveDates(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && '$date' in value && Object.keys(value).length === 1) {
    return new Date((value as { $date: string }).$date);
  }
  return value;
}

/** Content and user metadata stored with an object (the members of PutObject that come back on GET). */
export interface ObjectMeta {
  ContentType?: string;
  CacheControl?: string;
  ContentDisposition?: string;
  ContentEncoding?: string;
  ContentLanguage?: string;
  Expires?: string;
  WebsiteRedirectLocation?: string;
  ServerSideEncryption?: string;
  SSEKMSKeyId?: string;
  BucketKeyEnabled?: boolean;
  Metadata?: Record<string, string>;
}

/** A version's Object Lock state: retention (mode and end, in ms) and legal hold. */
export interface ObjectLock {
  mode?: 'GOVERNANCE' | 'COMPLIANCE';
  until?: number;
  legalHold?: boolean;
}

export const parseLock = (raw: string | null | undefined): ObjectLock | null => (raw ? (JSON.parse(raw) as ObjectLock) : null);

/**
 * True when Object Lock forbids removing (or overwriting) the version now: a legal hold, or a
 * retention period not yet over (GOVERNANCE gives way to `bypassGovernance`).
 */
export function isLocked(lock: ObjectLock | null | undefined, now: number, bypassGovernance: boolean): boolean {
  if (!lock) return false;
  if (lock.legalHold) return true;
  if (lock.mode === undefined || lock.until === undefined || lock.until <= now) return false;
  return lock.mode === 'COMPLIANCE' || !bypassGovernance;
}

export interface PartInfo {
  PartNumber: number;
  Size: number;
  Checksum?: string;
}

export interface ObjectRecord {
  seq: number;
  bucket: string;
  key: Buffer;
  versionId: string;
  isLatest: boolean;
  deleteMarker: boolean;
  blob: string | null;
  size: number;
  etag: string;
  lastModified: number;
  storageClass: string;
  meta: ObjectMeta;
  tags: Record<string, string>;
  checksumAlgorithm: string | null;
  checksum: string | null;
  checksumType: string | null;
  parts: PartInfo[] | null;
  /** The bytes are stored in the row (small objects), not in a blob. */
  inline: boolean;
  /** The bytes of an inline version, when the read that made this record fetched them too. */
  data?: Buffer;
  /** Object Lock retention and legal hold, or null. */
  lock: ObjectLock | null;
}

export interface NewObject {
  blob: string | null;
  size: number;
  etag: string;
  lastModified: number;
  storageClass: string;
  meta: ObjectMeta;
  tags: Record<string, string>;
  checksumAlgorithm?: string | null;
  checksum?: string | null;
  checksumType?: string | null;
  parts?: PartInfo[] | null;
  deleteMarker?: boolean;
  /** The bytes of a small object, kept in the row instead of a blob. */
  data?: Buffer | null;
  lock?: ObjectLock | null;
}

export interface UploadRecord {
  uploadId: string;
  bucket: string;
  key: Buffer;
  initiated: number;
  storageClass: string;
  meta: ObjectMeta;
  tags: Record<string, string>;
  checksumAlgorithm: string | null;
  checksumType: string | null;
  /** The Object Lock settings the completed object gets. */
  lock?: ObjectLock | null;
}

export interface PartRecord {
  uploadId: string;
  partNumber: number;
  blob: string;
  size: number;
  etag: string;
  lastModified: number;
  checksum: string | null;
}

/** A position in key order: after `key` (or at it when inclusive); for versions, below `seq`. */
export interface KeyCursor {
  key: Buffer;
  inclusive: boolean;
  /** Only for version listings: continue with versions of `key` older than this seq. */
  seq?: number;
}

/** A precondition checked inside the write transaction, against the current version. */
export interface WriteCondition {
  ifNoneMatch?: string;
  ifMatch?: string;
  /** The current version must still be this one (by seq; null: there is none). For lifecycle sweeps. */
  currentSeq?: number | null;
}

export interface WriteResult {
  record: ObjectRecord;
  /** Blobs no row references any more; delete them after the commit. */
  obsoleteBlobs: string[];
}

export interface ObjectRow {
  seq: number;
  bucket: string;
  key: Buffer;
  version_id: string;
  is_latest: number;
  delete_marker: number;
  blob: string | null;
  size: number;
  etag: string;
  last_modified: number;
  storage_class: string;
  meta: string;
  tags: string | null;
  checksum_algorithm: string | null;
  checksum: string | null;
  checksum_type: string | null;
  parts: string | null;
  inline: number;
  lock_state?: string | null;
  /** Present when the query joined object_data (null for versions that are not inline). */
  data?: Buffer | null;
}

export const toObject = (r: ObjectRow): ObjectRecord => ({
  seq: r.seq,
  bucket: r.bucket,
  key: r.key,
  versionId: r.version_id,
  isLatest: r.is_latest === 1,
  deleteMarker: r.delete_marker === 1,
  blob: r.blob,
  size: r.size,
  etag: r.etag,
  lastModified: r.last_modified,
  storageClass: r.storage_class,
  meta: JSON.parse(r.meta) as ObjectMeta,
  tags: r.tags ? (JSON.parse(r.tags) as Record<string, string>) : {},
  checksumAlgorithm: r.checksum_algorithm,
  checksum: r.checksum,
  checksumType: r.checksum_type,
  parts: r.parts ? (JSON.parse(r.parts) as PartInfo[]) : null,
  inline: r.inline === 1,
  data: r.data ?? undefined,
  lock: parseLock(r.lock_state),
});

export interface UploadRow {
  upload_id: string;
  bucket: string;
  key: Buffer;
  initiated: number;
  storage_class: string;
  meta: string;
  tags: string | null;
  checksum_algorithm: string | null;
  checksum_type: string | null;
  lock_state?: string | null;
}

export const toUpload = (r: UploadRow): UploadRecord => ({
  uploadId: r.upload_id,
  bucket: r.bucket,
  key: r.key,
  initiated: r.initiated,
  storageClass: r.storage_class,
  meta: JSON.parse(r.meta) as ObjectMeta,
  tags: r.tags ? (JSON.parse(r.tags) as Record<string, string>) : {},
  checksumAlgorithm: r.checksum_algorithm,
  checksumType: r.checksum_type,
  ...(r.lock_state ? { lock: parseLock(r.lock_state) } : {}),
});

export interface PartRow {
  upload_id: string;
  part_number: number;
  blob: string;
  size: number;
  etag: string;
  last_modified: number;
  checksum: string | null;
}

export const toPart = (r: PartRow): PartRecord => ({
  uploadId: r.upload_id,
  partNumber: r.part_number,
  blob: r.blob,
  size: r.size,
  etag: r.etag,
  lastModified: r.last_modified,
  checksum: r.checksum,
});

