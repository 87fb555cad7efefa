// The records the S3 store reads and writes (buckets, object versions, uploads, parts) and their
// mapping from SQLite rows. The store (s3-store.ts) owns the SQL.

export type Versioning = '' | 'Enabled' | 'Suspended';

export interface BucketRecord {
  name: string;
  account: string;
  region: string;
  createdAt: number;
  versioning: Versioning;
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

