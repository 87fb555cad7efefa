// The S3 metadata store: buckets, their configurations, object versions, multipart uploads and
// their parts, in one SQLite database. Object bytes live in the blob store; a row references a
// blob only once the blob is durable. Keys are BLOBs (UTF-8 bytes), so SQLite orders them by
// memcmp, which is S3's binary key order. Writes go through group commit; methods that make a blob
// unreferenced return its key so that the caller deletes the file after the commit.
import { GroupCommit, openDatabase, type Migration, type SqliteDatabase, type SqliteStatement } from '@atoll/storage';
import {
  toObject,
  toPart,
  toUpload,
  type BucketRecord,
  type KeyCursor,
  type NewObject,
  type ObjectRecord,
  type ObjectRow,
  type PartRecord,
  type PartRow,
  type UploadRecord,
  type UploadRow,
  type Versioning,
  type WriteCondition,
  type WriteResult,
} from './s3-records.js';

export type {
  BucketRecord,
  KeyCursor,
  NewObject,
  ObjectMeta,
  ObjectRecord,
  PartInfo,
  PartRecord,
  UploadRecord,
  Versioning,
  WriteCondition,
  WriteResult,
} from './s3-records.js';

/** How long writes are gathered into one commit (see `write`). */
const COMMIT_WINDOW_MS = Number(process.env.ATOLL_S3_COMMIT_WINDOW_MS ?? 1);

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    up: `
      CREATE TABLE buckets (
        name TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL,
        created_at INTEGER NOT NULL, versioning TEXT NOT NULL DEFAULT '');
      CREATE INDEX buckets_account ON buckets (account, name);
      CREATE TABLE bucket_configs (
        bucket TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (bucket, kind)) WITHOUT ROWID;
      CREATE TABLE objects (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        bucket TEXT NOT NULL, key BLOB NOT NULL, version_id TEXT NOT NULL,
        is_latest INTEGER NOT NULL, delete_marker INTEGER NOT NULL,
        blob TEXT, size INTEGER NOT NULL, etag TEXT NOT NULL, last_modified INTEGER NOT NULL,
        storage_class TEXT NOT NULL, meta TEXT NOT NULL, tags TEXT,
        checksum_algorithm TEXT, checksum TEXT, checksum_type TEXT, parts TEXT,
        inline INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE object_data (seq INTEGER PRIMARY KEY, data BLOB NOT NULL);
      CREATE UNIQUE INDEX objects_version ON objects (bucket, key, version_id);
      CREATE UNIQUE INDEX objects_latest ON objects (bucket, key) WHERE is_latest = 1;
      CREATE INDEX objects_order ON objects (bucket, key, seq);
      CREATE TABLE uploads (
        upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key BLOB NOT NULL, initiated INTEGER NOT NULL,
        storage_class TEXT NOT NULL, meta TEXT NOT NULL, tags TEXT,
        checksum_algorithm TEXT, checksum_type TEXT);
      CREATE INDEX uploads_key ON uploads (bucket, key, initiated);
      CREATE TABLE parts (
        upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, blob TEXT NOT NULL, size INTEGER NOT NULL,
        etag TEXT NOT NULL, last_modified INTEGER NOT NULL, checksum TEXT,
        PRIMARY KEY (upload_id, part_number)) WITHOUT ROWID;
    `,
  },
];

/** Every object column but the inline bytes, which only reads fetch (see `inlineData`). */
const OBJECT_COLUMNS = `seq, bucket, key, version_id, is_latest, delete_marker, blob, size, etag, last_modified, storage_class,
  meta, tags, checksum_algorithm, checksum, checksum_type, parts, inline`;

/** Raised inside a write transaction when a WriteCondition does not hold. */
export class ConditionFailedError extends Error {
  constructor(readonly condition: 'If-Match' | 'If-None-Match', readonly missing: boolean) {
    super(`${condition} failed`);
  }
}

const LATEST_CACHE_ENTRIES = 4096;
const INLINE_CACHE_BYTES = 4 * 1024 * 1024;
const latestId = (bucket: string, key: Buffer): string => `${bucket}/${key.toString('latin1')}`;

export class S3Store {
  readonly db: SqliteDatabase;
  readonly #commit: GroupCommit;
  readonly #s: Record<string, SqliteStatement>;
  // Read-through caches of bucket rows and configurations, which every request reads. Entries are
  // dropped before and after each write that changes them, so a read never sees a stale value.
  readonly #buckets = new Map<string, BucketRecord | null>();
  readonly #configs = new Map<string, { value: unknown }>();
  // The current version of recently read keys (null: none) and the bytes of inline versions, for GET
  // and HEAD. Entries are filled only by reads outside a write transaction, and every write of an
  // object row drops its key's entry inside the transaction, before it commits; an inline version's
  // bytes never change. A read therefore sees what the database holds, one SQLite lookup cheaper.
  readonly #latest = new Map<string, ObjectRecord | null>();
  readonly #inline = new Map<number, Buffer>();
  #inlineBytes = 0;

  constructor(file: string) {
    this.db = openDatabase(file, MIGRATIONS);
    this.#commit = new GroupCommit(this.db);
    const p = (sql: string) => this.db.prepare(sql);
    this.#s = {
      getBucket: p('SELECT * FROM buckets WHERE name = ?'),
      insertBucket: p('INSERT INTO buckets (name, account, region, created_at, versioning) VALUES (?, ?, ?, ?, ?)'),
      listBuckets: p('SELECT * FROM buckets WHERE account = ? AND name > ? AND name >= ? ORDER BY name LIMIT ?'),
      allBuckets: p('SELECT * FROM buckets ORDER BY name'),
      setVersioning: p('UPDATE buckets SET versioning = ? WHERE name = ?'),
      getConfig: p('SELECT value FROM bucket_configs WHERE bucket = ? AND kind = ?'),
      putConfig: p('INSERT OR REPLACE INTO bucket_configs (bucket, kind, value) VALUES (?, ?, ?)'),
      deleteConfig: p('DELETE FROM bucket_configs WHERE bucket = ? AND kind = ?'),
      anyObject: p('SELECT 1 FROM objects WHERE bucket = ? LIMIT 1'),
      latest: p(`SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ? AND is_latest = 1`),
      version: p(`SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ? AND version_id = ?`),
      newestRemaining: p(`SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ? ORDER BY seq DESC LIMIT 1`),
      clearLatest: p('UPDATE objects SET is_latest = 0 WHERE bucket = ? AND key = ? AND is_latest = 1'),
      setLatest: p('UPDATE objects SET is_latest = 1 WHERE seq = ?'),
      deleteSeq: p('DELETE FROM objects WHERE seq = ?'),
      insertObject: p(`INSERT INTO objects (bucket, key, version_id, is_latest, delete_marker, blob, size, etag,
        last_modified, storage_class, meta, tags, checksum_algorithm, checksum, checksum_type, parts, inline)
        VALUES (@bucket, @key, @versionId, 1, @deleteMarker, @blob, @size, @etag, @lastModified, @storageClass,
        @meta, @tags, @checksumAlgorithm, @checksum, @checksumType, @parts, @inline)`),
      insertData: p('INSERT INTO object_data (seq, data) VALUES (?, ?)'),
      deleteData: p('DELETE FROM object_data WHERE seq = ?'),
      inlineData: p('SELECT data FROM object_data WHERE seq = ?'),
      setTags: p('UPDATE objects SET tags = ? WHERE seq = ?'),
      listLatestExclusive: p(
        `SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND is_latest = 1 AND delete_marker = 0 AND key > ? ORDER BY key LIMIT ?`,
      ),
      listLatestInclusive: p(
        `SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND is_latest = 1 AND delete_marker = 0 AND key >= ? ORDER BY key LIMIT ?`,
      ),
      versionsOfKeyBelow: p(`SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ? AND seq < ? ORDER BY seq DESC LIMIT ?`),
      versionsFromExclusive: p(`SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key > ? ORDER BY key, seq DESC LIMIT ?`),
      versionsFromInclusive: p(`SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key >= ? ORDER BY key, seq DESC LIMIT ?`),
      allObjectsOfBucket: p(`SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND seq > ? ORDER BY seq LIMIT ?`),
      insertUpload: p(`INSERT INTO uploads (upload_id, bucket, key, initiated, storage_class, meta, tags, checksum_algorithm, checksum_type)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      getUpload: p('SELECT * FROM uploads WHERE upload_id = ?'),
      deleteUpload: p('DELETE FROM uploads WHERE upload_id = ?'),
      uploadsOfBucket: p('SELECT * FROM uploads WHERE bucket = ? ORDER BY key, initiated, upload_id'),
      getPart: p('SELECT * FROM parts WHERE upload_id = ? AND part_number = ?'),
      putPart: p(`INSERT OR REPLACE INTO parts (upload_id, part_number, blob, size, etag, last_modified, checksum)
        VALUES (?, ?, ?, ?, ?, ?, ?)`),
      listParts: p('SELECT * FROM parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?'),
      allParts: p('SELECT * FROM parts WHERE upload_id = ? ORDER BY part_number'),
      deleteParts: p('DELETE FROM parts WHERE upload_id = ?'),
    };
  }

  close(): void {
    this.#flushGathered();
    this.#commit.flush();
    this.db.close();
  }

  /**
   * Runs synchronous statements inside the next group commit; resolves once durable. Writes are
   * gathered for up to COMMIT_WINDOW_MS so that concurrent requests, whose bodies finish in
   * different ticks, share one commit (one fsync, which blocks the event loop) instead of many.
   */
  write<T>(work: () => T): Promise<T> {
    if (COMMIT_WINDOW_MS <= 0) return this.#commit.run(work);
    return new Promise<T>((resolve, reject) => {
      this.#gathered.push(() => this.#commit.run(work).then(resolve, reject));
      if (this.#gathered.length >= 512) this.#flushGathered();
      else this.#window ??= setTimeout(() => this.#flushGathered(), COMMIT_WINDOW_MS);
    });
  }

  #gathered: (() => void)[] = [];
  #window: NodeJS.Timeout | undefined;

  #flushGathered(): void {
    if (this.#window) clearTimeout(this.#window);
    this.#window = undefined;
    const batch = this.#gathered;
    this.#gathered = [];
    for (const enqueue of batch) enqueue();
    this.#commit.flush();
  }

  // --- buckets ---

  getBucket(name: string): BucketRecord | undefined {
    const cached = this.#buckets.get(name);
    if (cached !== undefined) return cached ?? undefined;
    const bucket = this.#readBucket(name);
    if (this.#buckets.size > 10_000) this.#buckets.clear();
    this.#buckets.set(name, bucket ?? null);
    return bucket;
  }

  #readBucket(name: string): BucketRecord | undefined {
    const r = this.#s.getBucket!.get(name) as
      | { name: string; account: string; region: string; created_at: number; versioning: Versioning }
      | undefined;
    return r && { name: r.name, account: r.account, region: r.region, createdAt: r.created_at, versioning: r.versioning };
  }

  listBuckets(account: string, options: { after?: string; prefix?: string; limit: number }): BucketRecord[] {
    const rows = this.#s.listBuckets!.all(account, options.after ?? '', options.prefix ?? '', options.limit) as {
      name: string;
      account: string;
      region: string;
      created_at: number;
      versioning: Versioning;
    }[];
    return rows
      .filter((r) => !options.prefix || r.name.startsWith(options.prefix))
      .map((r) => ({ name: r.name, account: r.account, region: r.region, createdAt: r.created_at, versioning: r.versioning }));
  }

  allBuckets(): BucketRecord[] {
    return (this.#s.allBuckets!.all() as { name: string; account: string; region: string; created_at: number; versioning: Versioning }[]).map(
      (r) => ({ name: r.name, account: r.account, region: r.region, createdAt: r.created_at, versioning: r.versioning }),
    );
  }

  /** Inserts a bucket; returns the existing bucket instead when the name is taken. */
  createBucket(bucket: BucketRecord): Promise<BucketRecord | undefined> {
    return this.#invalidating(bucket.name, undefined, () => {
      const existing = this.getBucket(bucket.name);
      if (existing) return existing;
      this.#s.insertBucket!.run(bucket.name, bucket.account, bucket.region, bucket.createdAt, bucket.versioning);
      return undefined;
    });
  }

  /** Deletes an empty bucket with its configurations and pending uploads; false when not empty. */
  deleteBucket(name: string): Promise<{ deleted: boolean; obsoleteBlobs: string[] }> {
    this.#configs.clear();
    this.#latest.clear();
    return this.#invalidating(name, undefined, () => {
      if (this.#s.anyObject!.get(name)) return { deleted: false, obsoleteBlobs: [] };
      const obsoleteBlobs: string[] = [];
      for (const upload of this.#s.uploadsOfBucket!.all(name) as UploadRow[]) {
        for (const part of this.#s.allParts!.all(upload.upload_id) as PartRow[]) obsoleteBlobs.push(part.blob);
        this.#s.deleteParts!.run(upload.upload_id);
        this.#s.deleteUpload!.run(upload.upload_id);
      }
      this.db.prepare('DELETE FROM bucket_configs WHERE bucket = ?').run(name);
      this.db.prepare('DELETE FROM buckets WHERE name = ?').run(name);
      return { deleted: true, obsoleteBlobs };
    });
  }

  setVersioning(name: string, status: Versioning): Promise<void> {
    return this.#invalidating(name, undefined, () => {
      this.#s.setVersioning!.run(status, name);
    });
  }

  /** A bucket configuration (CORS, policy, lifecycle …) as stored JSON, or undefined. */
  getConfig<T = unknown>(bucket: string, kind: string): T | undefined {
    const id = `${bucket}\0${kind}`;
    const cached = this.#configs.get(id);
    if (cached) return cached.value as T | undefined;
    const r = this.#s.getConfig!.get(bucket, kind) as { value: string } | undefined;
    const value = r ? (JSON.parse(r.value, reviveDates) as T) : undefined;
    if (this.#configs.size > 10_000) this.#configs.clear();
    this.#configs.set(id, { value });
    return value;
  }

  putConfig(bucket: string, kind: string, value: unknown): Promise<void> {
    const json = JSON.stringify(value, replaceDates);
    return this.#invalidating(undefined, `${bucket}\0${kind}`, () => {
      this.#s.putConfig!.run(bucket, kind, json);
    });
  }

  deleteConfig(bucket: string, kind: string): Promise<void> {
    return this.#invalidating(undefined, `${bucket}\0${kind}`, () => {
      this.#s.deleteConfig!.run(bucket, kind);
    });
  }

  /** A write that changes a cached bucket row or configuration: the entry is dropped around it. */
  #invalidating<T>(bucket: string | undefined, config: string | undefined, work: () => T): Promise<T> {
    const drop = () => {
      if (bucket !== undefined) this.#buckets.delete(bucket);
      if (config !== undefined) this.#configs.delete(config);
    };
    drop();
    return this.write(() => {
      drop();
      return work();
    }).finally(drop);
  }

  // --- objects ---

  getLatest(bucket: string, key: Buffer): ObjectRecord | undefined {
    const id = latestId(bucket, key);
    const cached = this.#latest.get(id);
    if (cached !== undefined) return cached ?? undefined;
    const r = this.#s.latest!.get(bucket, key) as ObjectRow | undefined;
    const record = r && toObject(r);
    if (!this.db.inTransaction) {
      if (this.#latest.size >= LATEST_CACHE_ENTRIES) this.#latest.delete(this.#latest.keys().next().value!);
      this.#latest.set(id, record ?? null);
    }
    return record;
  }

  /** Drops cached reads of a key; called inside every write transaction that changes its rows. */
  #forget(bucket: string, key: Buffer, ...removedSeqs: number[]): void {
    this.#latest.delete(latestId(bucket, key));
    for (const seq of removedSeqs) {
      const bytes = this.#inline.get(seq);
      if (bytes) {
        this.#inline.delete(seq);
        this.#inlineBytes -= bytes.length;
      }
    }
  }

  getVersion(bucket: string, key: Buffer, versionId: string): ObjectRecord | undefined {
    const r = this.#s.version!.get(bucket, key, versionId) as ObjectRow | undefined;
    return r && toObject(r);
  }

  /**
   * Adds a new current version of `key`. With versioning Enabled it gets `versionId`; otherwise it
   * is the `null` version and replaces the previous null version (whose blob becomes obsolete).
   */
  putObject(
    bucket: string,
    key: Buffer,
    object: NewObject,
    versioning: Versioning,
    versionId: string,
    condition?: WriteCondition,
  ): Promise<WriteResult> {
    return this.write(() => this.putObjectSync(bucket, key, object, versioning, versionId, condition));
  }

  putObjectSync(
    bucket: string,
    key: Buffer,
    object: NewObject,
    versioning: Versioning,
    versionId: string,
    condition?: WriteCondition,
  ): WriteResult {
    this.#forget(bucket, key);
    const current = this.#s.latest!.get(bucket, key) as ObjectRow | undefined;
    if (condition) {
      const live = current && current.delete_marker === 0 ? current : undefined;
      if (condition.ifNoneMatch !== undefined) {
        if (live && (condition.ifNoneMatch.trim() === '*' || etagListMatches(condition.ifNoneMatch, live.etag))) {
          throw new ConditionFailedError('If-None-Match', false);
        }
      }
      if (condition.ifMatch !== undefined) {
        if (!live) throw new ConditionFailedError('If-Match', true);
        if (!etagListMatches(condition.ifMatch, live.etag)) throw new ConditionFailedError('If-Match', false);
      }
    }
    const obsoleteBlobs: string[] = [];
    const id = versioning === 'Enabled' ? versionId : 'null';
    // Without versioning the current version is usually the null one being replaced: it is neither
    // looked up again nor un-marked as latest before it is deleted.
    const replacesCurrent = id === 'null' && current?.version_id === 'null';
    if (id === 'null') {
      const previousNull = replacesCurrent ? current : (this.#s.version!.get(bucket, key, 'null') as ObjectRow | undefined);
      if (previousNull) {
        if (previousNull.blob) obsoleteBlobs.push(previousNull.blob);
        this.#forget(bucket, key, previousNull.seq);
        this.#s.deleteSeq!.run(previousNull.seq);
        if (previousNull.inline) this.#s.deleteData!.run(previousNull.seq);
      }
    }
    if (current && !replacesCurrent) this.#s.clearLatest!.run(bucket, key);
    const info = this.#s.insertObject!.run({
      bucket,
      key,
      versionId: id,
      deleteMarker: object.deleteMarker ? 1 : 0,
      blob: object.blob,
      size: object.size,
      etag: object.etag,
      lastModified: object.lastModified,
      storageClass: object.storageClass,
      meta: JSON.stringify(object.meta),
      tags: Object.keys(object.tags).length > 0 ? JSON.stringify(object.tags) : null,
      checksumAlgorithm: object.checksumAlgorithm ?? null,
      checksum: object.checksum ?? null,
      checksumType: object.checksumType ?? null,
      parts: object.parts ? JSON.stringify(object.parts) : null,
      inline: object.data ? 1 : 0,
    });
    if (object.data) this.#s.insertData!.run(info.lastInsertRowid, object.data);
    // Built from what was inserted rather than read back; it shares `object`'s meta, tags and parts.
    const record: ObjectRecord = {
      seq: Number(info.lastInsertRowid),
      bucket,
      key,
      versionId: id,
      isLatest: true,
      deleteMarker: object.deleteMarker ?? false,
      blob: object.blob,
      size: object.size,
      etag: object.etag,
      lastModified: object.lastModified,
      storageClass: object.storageClass,
      meta: object.meta,
      tags: object.tags,
      checksumAlgorithm: object.checksumAlgorithm ?? null,
      checksum: object.checksum ?? null,
      checksumType: object.checksumType ?? null,
      parts: object.parts ?? null,
      inline: Boolean(object.data),
    };
    return { record, obsoleteBlobs };
  }

  /**
   * Deletes one version permanently. When it was the current version, the newest remaining version
   * becomes current. Returns the removed record (undefined when there was none).
   */
  deleteVersionSync(bucket: string, key: Buffer, versionId: string): { removed?: ObjectRecord; obsoleteBlobs: string[] } {
    const row = this.#s.version!.get(bucket, key, versionId) as ObjectRow | undefined;
    if (!row) return { obsoleteBlobs: [] };
    this.#forget(bucket, key, row.seq);
    this.#s.deleteSeq!.run(row.seq);
    if (row.inline) this.#s.deleteData!.run(row.seq);
    if (row.is_latest === 1) {
      const next = this.#s.newestRemaining!.get(bucket, key) as ObjectRow | undefined;
      if (next) this.#s.setLatest!.run(next.seq);
    }
    return { removed: toObject(row), obsoleteBlobs: row.blob ? [row.blob] : [] };
  }

  /** The bytes of an inline (small) object version. */
  inlineData(seq: number): Buffer {
    const cached = this.#inline.get(seq);
    if (cached) return cached;
    const r = this.#s.inlineData!.get(seq) as { data: Buffer | null } | undefined;
    const data = r?.data ?? Buffer.alloc(0);
    if (r?.data && !this.db.inTransaction && data.length <= INLINE_CACHE_BYTES / 64) {
      for (const [oldest, bytes] of this.#inline) {
        if (this.#inlineBytes + data.length <= INLINE_CACHE_BYTES) break;
        this.#inline.delete(oldest);
        this.#inlineBytes -= bytes.length;
      }
      this.#inline.set(seq, data);
      this.#inlineBytes += data.length;
    }
    return data;
  }

  setTags(seq: number, tags: Record<string, string>): Promise<void> {
    return this.write(() => {
      // Tags are part of the cached records; the version's key is not at hand, and tagging is rare.
      this.#latest.clear();
      this.#s.setTags!.run(Object.keys(tags).length > 0 ? JSON.stringify(tags) : null, seq);
    });
  }

  hasObjects(bucket: string): boolean {
    return this.#s.anyObject!.get(bucket) !== undefined;
  }

  /** Current, non-deleted objects in key order from `cursor`. */
  listLatest(bucket: string, cursor: KeyCursor, limit: number): ObjectRecord[] {
    const stmt = cursor.inclusive ? this.#s.listLatestInclusive! : this.#s.listLatestExclusive!;
    return (stmt.all(bucket, cursor.key, limit) as ObjectRow[]).map(toObject);
  }

  /** Every version and delete marker in (key ascending, newest first) order from `cursor`. */
  listVersions(bucket: string, cursor: KeyCursor, limit: number): ObjectRecord[] {
    const out: ObjectRecord[] = [];
    if (cursor.seq !== undefined) {
      out.push(...(this.#s.versionsOfKeyBelow!.all(bucket, cursor.key, cursor.seq, limit) as ObjectRow[]).map(toObject));
      if (out.length >= limit) return out;
      const rest = this.#s.versionsFromExclusive!.all(bucket, cursor.key, limit - out.length) as ObjectRow[];
      return out.concat(rest.map(toObject));
    }
    const stmt = cursor.inclusive ? this.#s.versionsFromInclusive! : this.#s.versionsFromExclusive!;
    return (stmt.all(bucket, cursor.key, limit) as ObjectRow[]).map(toObject);
  }

  /** Every version of a bucket in insertion order, page by page (for lifecycle sweeps). */
  *allObjects(bucket: string, pageSize = 500): Generator<ObjectRecord> {
    let after = 0;
    for (;;) {
      const rows = this.#s.allObjectsOfBucket!.all(bucket, after, pageSize) as ObjectRow[];
      for (const r of rows) yield toObject(r);
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1]!.seq;
    }
  }

  // --- multipart uploads ---

  createUpload(upload: UploadRecord): Promise<void> {
    return this.write(() => {
      this.#s.insertUpload!.run(
        upload.uploadId,
        upload.bucket,
        upload.key,
        upload.initiated,
        upload.storageClass,
        JSON.stringify(upload.meta),
        Object.keys(upload.tags).length > 0 ? JSON.stringify(upload.tags) : null,
        upload.checksumAlgorithm,
        upload.checksumType,
      );
    });
  }

  getUpload(uploadId: string): UploadRecord | undefined {
    const r = this.#s.getUpload!.get(uploadId) as UploadRow | undefined;
    return r && toUpload(r);
  }

  listUploads(bucket: string): UploadRecord[] {
    return (this.#s.uploadsOfBucket!.all(bucket) as UploadRow[]).map(toUpload);
  }

  /** Records a part (replacing an earlier upload of the same number); false if the upload is gone. */
  putPart(part: PartRecord): Promise<{ ok: boolean; obsoleteBlobs: string[] }> {
    return this.write(() => {
      if (!this.#s.getUpload!.get(part.uploadId)) return { ok: false, obsoleteBlobs: [part.blob] };
      const previous = this.#s.getPart!.get(part.uploadId, part.partNumber) as PartRow | undefined;
      this.#s.putPart!.run(part.uploadId, part.partNumber, part.blob, part.size, part.etag, part.lastModified, part.checksum);
      return { ok: true, obsoleteBlobs: previous && previous.blob !== part.blob ? [previous.blob] : [] };
    });
  }

  listParts(uploadId: string, afterPart: number, limit: number): PartRecord[] {
    return (this.#s.listParts!.all(uploadId, afterPart, limit) as PartRow[]).map(toPart);
  }

  allParts(uploadId: string): PartRecord[] {
    return (this.#s.allParts!.all(uploadId) as PartRow[]).map(toPart);
  }

  /** Removes an upload and its parts inside a write transaction; returns the parts' blobs. */
  deleteUploadSync(uploadId: string): string[] {
    const blobs = (this.#s.allParts!.all(uploadId) as PartRow[]).map((p) => p.blob);
    this.#s.deleteParts!.run(uploadId);
    this.#s.deleteUpload!.run(uploadId);
    return blobs;
  }

  uploadExistsSync(uploadId: string): boolean {
    return this.#s.getUpload!.get(uploadId) !== undefined;
  }

  /** Every blob key a row references (for the startup sweep of orphan blobs). */
  referencedBlobs(): Set<string> {
    const set = new Set<string>();
    for (const r of this.db.prepare('SELECT blob FROM objects WHERE blob IS NOT NULL').iterate() as Iterable<{ blob: string }>) {
      set.add(r.blob);
    }
    for (const r of this.db.prepare('SELECT blob FROM parts').iterate() as Iterable<{ blob: string }>) set.add(r.blob);
    return set;
  }
}

/** True when an `If-Match`/`If-None-Match` value (a list of quoted ETags, or `*`) names `etag`. */
export function etagListMatches(header: string, etag: string): boolean {
  const bare = etag.replace(/^"|"$/g, '');
  return header.split(',').some((part) => {
    const t = part.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
    return t === '*' || t === bare;
  });
}

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
