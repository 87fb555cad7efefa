// ECR's state behind the asynchronous store contract (SQLite or PostgreSQL): repositories, images
// (manifests kept whole in the database, small), tags, content-addressed blobs (their bytes are parts
// in the platform's blob store), the links that make a blob visible in a repository, uploads in
// progress, lifecycle previews, per-registry settings and the keys that seal authorization tokens.
//
// A blob is a list of parts: each upload request (a PATCH, a monolithic PUT, an UploadLayerPart)
// streams into one blob-store file, and a completed blob references those files in order, so a
// chunked push is never copied. Blobs are shared by digest across repositories; a repository sees
// only the blobs linked to it (pushed or mounted there).
//
// Known limitations: repositories are cached per node and dropped on an `ecr.repository` signal (a
// moment of staleness across nodes); image listings are read whole per repository and paged in memory.
import { randomBytes, randomUUID } from 'node:crypto';
import type { SqlExecutor, StorageBackend, StoreDatabase } from '@atoll/core';
import { isUniqueViolation } from '@atoll/storage';
import { MIGRATIONS } from './ecr-migrations.js';

/** Where a pushed image is replicated to (image-status-store.ts keeps the statuses). */
export interface ReplicationTarget {
  region: string;
  registryId: string;
}

/** One file of a blob in the blob store. */
export interface BlobPart {
  key: string;
  size: number;
  /** Hex sha256 of the part's bytes. */
  sha256: string;
}

export interface RepositoryRecord {
  id: string;
  accountId: string;
  region: string;
  name: string;
  createdAt: number;
  tagMutability: string;
  scanOnPush: boolean;
  encryption: { encryptionType: string; kmsKey?: string };
  tags: { Key: string; Value: string }[];
  policy: string | null;
  lifecyclePolicy: string | null;
  lifecycleEvaluatedAt: number | null;
}

export interface ImageRecord {
  repositoryId: string;
  digest: string;
  mediaType: string;
  artifactType: string | null;
  manifest: string;
  size: number;
  pushedAt: number;
  pulledAt: number | null;
  subject: string | null;
  annotations: Record<string, string> | null;
  tags: string[];
}

export interface BlobRecord {
  digest: string;
  size: number;
  parts: BlobPart[];
}

export interface UploadRecord {
  id: string;
  repositoryId: string;
  owner: string;
  parts: BlobPart[];
  size: number;
  updatedAt: number;
}

export interface NewImage {
  digest: string;
  mediaType: string;
  artifactType: string | null;
  manifest: string;
  size: number;
  subject: string | null;
  annotations: Record<string, string> | null;
  /** Blobs (config, layers) and child manifests the image references. */
  refs: { digest: string; kind: 'blob' | 'manifest' }[];
}

/** Why `putImage` refused. */
export type PutImageOutcome =
  | { outcome: 'stored'; image: ImageRecord }
  | { outcome: 'exists' }
  | { outcome: 'tag-immutable' }
  | { outcome: 'missing-blobs'; digests: string[] }
  | { outcome: 'missing-manifests'; digests: string[] }
  | { outcome: 'no-repository' };

interface RepositoryRow {
  id: string;
  account_id: string;
  region: string;
  name: string;
  created_at: number;
  tag_mutability: string;
  scan_on_push: number;
  encryption: string;
  tags: string;
  policy: string | null;
  lifecycle_policy: string | null;
  lifecycle_evaluated_at: number | null;
}

interface ImageRow {
  repository_id: string;
  digest: string;
  media_type: string;
  artifact_type: string | null;
  manifest: string;
  size: number;
  pushed_at: number;
  pulled_at: number | null;
  subject: string | null;
  annotations: string | null;
}

const REPOSITORY_CHANNEL = 'ecr.repository';

function toRepository(row: RepositoryRow): RepositoryRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    region: row.region,
    name: row.name,
    createdAt: Number(row.created_at),
    tagMutability: row.tag_mutability,
    scanOnPush: Boolean(row.scan_on_push),
    encryption: JSON.parse(row.encryption),
    tags: JSON.parse(row.tags),
    policy: row.policy,
    lifecyclePolicy: row.lifecycle_policy,
    lifecycleEvaluatedAt: row.lifecycle_evaluated_at === null ? null : Number(row.lifecycle_evaluated_at),
  };
}

function toImage(row: ImageRow, tags: string[]): ImageRecord {
  return {
    repositoryId: row.repository_id,
    digest: row.digest,
    mediaType: row.media_type,
    artifactType: row.artifact_type,
    manifest: row.manifest,
    size: Number(row.size),
    pushedAt: Number(row.pushed_at),
    pulledAt: row.pulled_at === null ? null : Number(row.pulled_at),
    subject: row.subject,
    annotations: row.annotations ? JSON.parse(row.annotations) : null,
    tags,
  };
}

const repoKey = (accountId: string, region: string, name: string) => `${accountId} ${region} ${name}`;

export class EcrStore {
  readonly db: StoreDatabase;
  readonly #repositories = new Map<string, RepositoryRecord>();
  readonly #unlisten: () => void;

  private constructor(db: StoreDatabase) {
    this.db = db;
    this.#unlisten = db.signals.listen(REPOSITORY_CHANNEL, (key) => this.#repositories.delete(key));
  }

  /** Opens ECR's database (`ecr/ecr.db` on SQLite, schema `ecr` on PostgreSQL). */
  static async open(storage: StorageBackend): Promise<EcrStore> {
    return new EcrStore(await storage.open('ecr', MIGRATIONS));
  }

  // ---- repositories ----

  /** Creates a repository; undefined when the name is taken in that account and region. */
  async createRepository(r: Omit<RepositoryRecord, 'id' | 'createdAt' | 'lifecycleEvaluatedAt'> & { createdAt?: number }): Promise<RepositoryRecord | undefined> {
    const record: RepositoryRecord = { ...r, id: randomUUID(), createdAt: r.createdAt ?? Date.now(), lifecycleEvaluatedAt: null };
    try {
      await this.db.transaction(async (tx) => {
        await tx.run(
          `INSERT INTO repositories (id, account_id, region, name, created_at, tag_mutability, scan_on_push, encryption, tags, policy, lifecycle_policy)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [record.id, r.accountId, r.region, r.name, record.createdAt, r.tagMutability, r.scanOnPush ? 1 : 0, JSON.stringify(r.encryption), JSON.stringify(r.tags), r.policy, r.lifecyclePolicy],
        );
        tx.notify(REPOSITORY_CHANNEL, repoKey(r.accountId, r.region, r.name));
      });
    } catch (error) {
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
    return record;
  }

  /** A repository by name (cached per node; dropped on every node when it changes). */
  async getRepository(accountId: string, region: string, name: string): Promise<RepositoryRecord | undefined> {
    const key = repoKey(accountId, region, name);
    const cached = this.#repositories.get(key);
    if (cached) return cached;
    const row = await this.db.get<RepositoryRow>('SELECT * FROM repositories WHERE account_id = ? AND region = ? AND name = ?', [accountId, region, name]);
    if (!row) return undefined;
    const record = toRepository(row);
    this.#repositories.set(key, record);
    return record;
  }

  async listRepositories(accountId: string, region: string): Promise<RepositoryRecord[]> {
    const rows = await this.db.all<RepositoryRow>('SELECT * FROM repositories WHERE account_id = ? AND region = ? ORDER BY name', [accountId, region]);
    return rows.map(toRepository);
  }

  /** Every repository with a lifecycle policy (the lifecycle sweep). */
  async repositoriesWithLifecycle(): Promise<RepositoryRecord[]> {
    const rows = await this.db.all<RepositoryRow>('SELECT * FROM repositories WHERE lifecycle_policy IS NOT NULL ORDER BY id');
    return rows.map(toRepository);
  }

  /** Changes some settings of a repository; false when it no longer exists. */
  async updateRepository(
    r: RepositoryRecord,
    fields: Partial<Pick<RepositoryRecord, 'tagMutability' | 'scanOnPush' | 'tags' | 'policy' | 'lifecyclePolicy' | 'lifecycleEvaluatedAt'>>,
  ): Promise<boolean> {
    const columns: string[] = [];
    const values: (string | number | null)[] = [];
    if (fields.tagMutability !== undefined) columns.push('tag_mutability = ?'), values.push(fields.tagMutability);
    if (fields.scanOnPush !== undefined) columns.push('scan_on_push = ?'), values.push(fields.scanOnPush ? 1 : 0);
    if (fields.tags !== undefined) columns.push('tags = ?'), values.push(JSON.stringify(fields.tags));
    if (fields.policy !== undefined) columns.push('policy = ?'), values.push(fields.policy);
    if (fields.lifecyclePolicy !== undefined) columns.push('lifecycle_policy = ?'), values.push(fields.lifecyclePolicy);
    if (fields.lifecycleEvaluatedAt !== undefined) columns.push('lifecycle_evaluated_at = ?'), values.push(fields.lifecycleEvaluatedAt);
    if (columns.length === 0) return true;
    return this.db.transaction(async (tx) => {
      const { changes } = await tx.run(`UPDATE repositories SET ${columns.join(', ')} WHERE id = ?`, [...values, r.id]);
      tx.notify(REPOSITORY_CHANNEL, repoKey(r.accountId, r.region, r.name));
      return changes > 0;
    });
  }

  /**
   * Deletes a repository with its images, tags, links and uploads; without `force`, only when it holds
   * no image. Answers the uploads' parts (for the caller to delete), or 'not-empty' / 'missing'.
   */
  async deleteRepository(r: RepositoryRecord, force: boolean): Promise<{ parts: BlobPart[] } | 'not-empty' | 'missing'> {
    return this.db.transaction(async (tx) => {
      const exists = await tx.get(`SELECT id FROM repositories WHERE id = ?${tx.dialect.forUpdate}`, [r.id]);
      if (!exists) return 'missing' as const;
      if (!force) {
        const image = await tx.get('SELECT digest FROM images WHERE repository_id = ? LIMIT 1', [r.id]);
        if (image) return 'not-empty' as const;
      }
      const uploads = await tx.all<{ parts: string }>('SELECT parts FROM uploads WHERE repository_id = ?', [r.id]);
      for (const table of ['images', 'image_refs', 'image_tags', 'repository_blobs', 'uploads', 'lifecycle_previews', 'image_scans', 'image_replications']) {
        await tx.run(`DELETE FROM ${table} WHERE repository_id = ?`, [r.id]);
      }
      await tx.run('DELETE FROM repositories WHERE id = ?', [r.id]);
      tx.notify(REPOSITORY_CHANNEL, repoKey(r.accountId, r.region, r.name));
      return { parts: uploads.flatMap((u) => JSON.parse(u.parts) as BlobPart[]) };
    });
  }

  // ---- images ----

  async #tagsOf(db: SqlExecutor, repositoryId: string, digest: string): Promise<string[]> {
    const rows = await db.all<{ tag: string }>('SELECT tag FROM image_tags WHERE repository_id = ? AND digest = ? ORDER BY tag', [repositoryId, digest]);
    return rows.map((t) => t.tag);
  }

  async getImage(repositoryId: string, digest: string): Promise<ImageRecord | undefined> {
    const row = await this.db.get<ImageRow>('SELECT * FROM images WHERE repository_id = ? AND digest = ?', [repositoryId, digest]);
    return row ? toImage(row, await this.#tagsOf(this.db, repositoryId, digest)) : undefined;
  }

  async getImageByTag(repositoryId: string, tag: string): Promise<ImageRecord | undefined> {
    const row = await this.db.get<ImageRow>(
      'SELECT i.* FROM image_tags t JOIN images i ON i.repository_id = t.repository_id AND i.digest = t.digest WHERE t.repository_id = ? AND t.tag = ?',
      [repositoryId, tag],
    );
    return row ? toImage(row, await this.#tagsOf(this.db, repositoryId, row.digest)) : undefined;
  }

  /** Every image of a repository with its tags, newest push first. */
  async listImages(repositoryId: string): Promise<ImageRecord[]> {
    const rows = await this.db.all<ImageRow>('SELECT * FROM images WHERE repository_id = ? ORDER BY pushed_at DESC, digest', [repositoryId]);
    const tags = await this.db.all<{ tag: string; digest: string }>('SELECT tag, digest FROM image_tags WHERE repository_id = ? ORDER BY tag', [repositoryId]);
    const byDigest = new Map<string, string[]>();
    for (const t of tags) (byDigest.get(t.digest) ?? byDigest.set(t.digest, []).get(t.digest)!).push(t.tag);
    return rows.map((row) => toImage(row, byDigest.get(row.digest) ?? []));
  }

  /** Tags of a repository in lexical order, after `last`, at most `limit`. */
  async listTags(repositoryId: string, last: string | undefined, limit: number): Promise<string[]> {
    const rows = await this.db.all<{ tag: string }>(
      `SELECT tag FROM image_tags WHERE repository_id = ?${last !== undefined ? ' AND tag > ?' : ''} ORDER BY tag LIMIT ?`,
      last !== undefined ? [repositoryId, last, limit] : [repositoryId, limit],
    );
    return rows.map((r) => r.tag);
  }

  /** Manifests of a repository whose `subject` is `digest` (the referrers API). */
  async referrers(repositoryId: string, digest: string): Promise<ImageRecord[]> {
    const rows = await this.db.all<ImageRow>('SELECT * FROM images WHERE repository_id = ? AND subject = ? ORDER BY digest', [repositoryId, digest]);
    return rows.map((row) => toImage(row, []));
  }

  /**
   * Stores an image (if new) and points `tag` at it. Blobs must be linked to the repository and
   * child manifests stored in it. A tag of an IMMUTABLE repository never moves. `exists` when the
   * image (and the tag, if given) were already there.
   */
  async putImage(repositoryId: string, image: NewImage, tag: string | undefined, immutable: boolean, now = Date.now(), replicateTo: readonly ReplicationTarget[] = []): Promise<PutImageOutcome> {
    return this.db.transaction(async (tx) => {
      const repo = await tx.get(`SELECT id FROM repositories WHERE id = ?${tx.dialect.forUpdate}`, [repositoryId]);
      if (!repo) return { outcome: 'no-repository' as const };
      const blobs = image.refs.filter((r) => r.kind === 'blob').map((r) => r.digest);
      const manifests = image.refs.filter((r) => r.kind === 'manifest').map((r) => r.digest);
      const missingBlobs: string[] = [];
      for (const digest of new Set(blobs)) {
        const found = await tx.get('SELECT b.digest FROM repository_blobs l JOIN blobs b ON b.digest = l.digest WHERE l.repository_id = ? AND l.digest = ?', [repositoryId, digest]);
        if (!found) missingBlobs.push(digest);
      }
      if (missingBlobs.length > 0) return { outcome: 'missing-blobs' as const, digests: missingBlobs };
      const missingManifests: string[] = [];
      for (const digest of new Set(manifests)) {
        const found = await tx.get('SELECT digest FROM images WHERE repository_id = ? AND digest = ?', [repositoryId, digest]);
        if (!found) missingManifests.push(digest);
      }
      if (missingManifests.length > 0) return { outcome: 'missing-manifests' as const, digests: missingManifests };
      const existing = await tx.get<ImageRow>('SELECT * FROM images WHERE repository_id = ? AND digest = ?', [repositoryId, image.digest]);
      let tagChanged = false;
      if (tag !== undefined) {
        const current = await tx.get<{ digest: string }>('SELECT digest FROM image_tags WHERE repository_id = ? AND tag = ?', [repositoryId, tag]);
        if (current && current.digest !== image.digest && immutable) return { outcome: 'tag-immutable' as const };
        if (!current || current.digest !== image.digest) {
          tagChanged = true;
          if (current) await tx.run('UPDATE image_tags SET digest = ? WHERE repository_id = ? AND tag = ?', [image.digest, repositoryId, tag]);
          else await tx.run('INSERT INTO image_tags (repository_id, tag, digest) VALUES (?, ?, ?)', [repositoryId, tag, image.digest]);
        }
      }
      if (existing && !tagChanged) return { outcome: 'exists' as const };
      if (!existing) {
        await tx.run(
          `INSERT INTO images (repository_id, digest, media_type, artifact_type, manifest, size, pushed_at, subject, annotations)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [repositoryId, image.digest, image.mediaType, image.artifactType, image.manifest, image.size, now, image.subject, image.annotations ? JSON.stringify(image.annotations) : null],
        );
        const seen = new Set<string>();
        for (const ref of image.refs) {
          if (seen.has(ref.digest)) continue;
          seen.add(ref.digest);
          await tx.run('INSERT INTO image_refs (repository_id, digest, ref, kind) VALUES (?, ?, ?, ?)', [repositoryId, image.digest, ref.digest, ref.kind]);
        }
      }
      // Replications are queued with the push, in its transaction (a new image, or a tag moved to it).
      for (const t of replicateTo) {
        await tx.run('DELETE FROM image_replications WHERE repository_id = ? AND digest = ? AND region = ? AND registry_id = ?', [repositoryId, image.digest, t.region, t.registryId]);
        await tx.run("INSERT INTO image_replications (repository_id, digest, region, registry_id, status, failure_code, updated_at) VALUES (?, ?, ?, ?, 'IN_PROGRESS', NULL, ?)", [
          repositoryId,
          image.digest,
          t.region,
          t.registryId,
          now,
        ]);
      }
      const row = existing ?? (await tx.get<ImageRow>('SELECT * FROM images WHERE repository_id = ? AND digest = ?', [repositoryId, image.digest]))!;
      return { outcome: 'stored' as const, image: toImage(row, await this.#tagsOf(tx, repositoryId, image.digest)) };
    });
  }

  /**
   * Deletes an image by digest (with all its tags), or a tag (and the image with it when that was
   * its last tag), as ECR's BatchDeleteImage does. `referenced` when an index in the repository
   * still lists the image.
   */
  async deleteImage(repositoryId: string, id: { digest?: string; tag?: string }): Promise<{ digest: string; tags: string[] } | 'not-found' | 'referenced' | 'mismatch'> {
    return this.db.transaction(async (tx) => {
      let digest = id.digest;
      let tagsRemoved: string[];
      if (id.tag !== undefined) {
        const row = await tx.get<{ digest: string }>('SELECT digest FROM image_tags WHERE repository_id = ? AND tag = ?', [repositoryId, id.tag]);
        if (!row) return 'not-found' as const;
        if (digest !== undefined && digest !== row.digest) return 'mismatch' as const;
        digest = row.digest;
        const others = await tx.get('SELECT tag FROM image_tags WHERE repository_id = ? AND digest = ? AND tag <> ?', [repositoryId, digest, id.tag]);
        if (others) {
          await tx.run('DELETE FROM image_tags WHERE repository_id = ? AND tag = ?', [repositoryId, id.tag]);
          return { digest, tags: [id.tag] };
        }
      }
      const image = await tx.get('SELECT digest FROM images WHERE repository_id = ? AND digest = ?', [repositoryId, digest!]);
      if (!image) return 'not-found' as const;
      const parent = await tx.get("SELECT digest FROM image_refs WHERE repository_id = ? AND ref = ? AND kind = 'manifest'", [repositoryId, digest!]);
      if (parent) return 'referenced' as const;
      tagsRemoved = (await tx.all<{ tag: string }>('SELECT tag FROM image_tags WHERE repository_id = ? AND digest = ? ORDER BY tag', [repositoryId, digest!])).map((t) => t.tag);
      await tx.run('DELETE FROM image_tags WHERE repository_id = ? AND digest = ?', [repositoryId, digest!]);
      await tx.run('DELETE FROM image_refs WHERE repository_id = ? AND digest = ?', [repositoryId, digest!]);
      await tx.run('DELETE FROM images WHERE repository_id = ? AND digest = ?', [repositoryId, digest!]);
      await tx.run('DELETE FROM image_scans WHERE repository_id = ? AND digest = ?', [repositoryId, digest!]);
      await tx.run('DELETE FROM image_replications WHERE repository_id = ? AND digest = ?', [repositoryId, digest!]);
      return { digest: digest!, tags: tagsRemoved };
    });
  }

  /** Records a pull (ECR's lastRecordedPullTime); not durable at once. */
  async recordPull(repositoryId: string, digest: string, now = Date.now()): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run('UPDATE images SET pulled_at = ? WHERE repository_id = ? AND digest = ?', [now, repositoryId, digest]);
    }, { durable: false });
  }

  // ---- blobs ----

  /** A blob, if it is linked to the repository. */
  async getLinkedBlob(repositoryId: string, digest: string): Promise<BlobRecord | undefined> {
    const row = await this.db.get<{ digest: string; size: number; parts: string }>(
      'SELECT b.digest, b.size, b.parts FROM repository_blobs l JOIN blobs b ON b.digest = l.digest WHERE l.repository_id = ? AND l.digest = ?',
      [repositoryId, digest],
    );
    return row ? { digest: row.digest, size: Number(row.size), parts: JSON.parse(row.parts) } : undefined;
  }

  /** Links an existing blob to a repository (a cross-repository mount); false when the blob is gone. */
  async linkBlob(repositoryId: string, digest: string, now = Date.now()): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const { changes } = await tx.run('UPDATE blobs SET touched_at = ? WHERE digest = ?', [now, digest]);
      if (changes === 0) return false;
      const linked = await tx.get('SELECT digest FROM repository_blobs WHERE repository_id = ? AND digest = ?', [repositoryId, digest]);
      if (!linked) await tx.run('INSERT INTO repository_blobs (repository_id, digest) VALUES (?, ?)', [repositoryId, digest]);
      return true;
    });
  }

  /**
   * Completes an upload as blob `digest` and links it to the upload's repository. When the blob
   * already existed (pushed before, anywhere), its parts are kept and the upload's are answered as
   * `unused` for the caller to delete. `missing` when the upload was gone (finished or cancelled).
   */
  async completeUpload(upload: UploadRecord, digest: string, now = Date.now()): Promise<{ unused: BlobPart[] } | 'missing'> {
    return this.db.transaction(async (tx) => {
      const { changes } = await tx.run('DELETE FROM uploads WHERE id = ? AND size = ?', [upload.id, upload.size]);
      if (changes === 0) return 'missing' as const;
      const existing = await tx.get('SELECT digest FROM blobs WHERE digest = ?', [digest]);
      if (existing) await tx.run('UPDATE blobs SET touched_at = ? WHERE digest = ?', [now, digest]);
      else await tx.run('INSERT INTO blobs (digest, size, parts, touched_at) VALUES (?, ?, ?, ?)', [digest, upload.size, JSON.stringify(upload.parts), now]);
      const linked = await tx.get('SELECT digest FROM repository_blobs WHERE repository_id = ? AND digest = ?', [upload.repositoryId, digest]);
      if (!linked) await tx.run('INSERT INTO repository_blobs (repository_id, digest) VALUES (?, ?)', [upload.repositoryId, digest]);
      return { unused: existing ? upload.parts : [] };
    });
  }

  /**
   * Removes blobs no image references and untouched since `before` (with their links), answering
   * their parts for the caller to delete.
   */
  async sweepBlobs(before: number, limit = 500): Promise<BlobPart[]> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.all<{ digest: string; parts: string }>(
        `SELECT digest, parts FROM blobs b WHERE touched_at < ? AND NOT EXISTS (SELECT 1 FROM image_refs r WHERE r.ref = b.digest) LIMIT ?`,
        [before, limit],
      );
      for (const row of rows) {
        await tx.run('DELETE FROM repository_blobs WHERE digest = ?', [row.digest]);
        await tx.run('DELETE FROM blobs WHERE digest = ?', [row.digest]);
      }
      return rows.flatMap((r) => JSON.parse(r.parts) as BlobPart[]);
    });
  }

  // ---- uploads ----

  async createUpload(repositoryId: string, owner: string, now = Date.now()): Promise<UploadRecord> {
    const upload: UploadRecord = { id: randomUUID(), repositoryId, owner, parts: [], size: 0, updatedAt: now };
    await this.db.run('INSERT INTO uploads (id, repository_id, owner, parts, size, updated_at) VALUES (?, ?, ?, ?, ?, ?)', [upload.id, repositoryId, owner, '[]', 0, now]);
    return upload;
  }

  async getUpload(id: string): Promise<UploadRecord | undefined> {
    const row = await this.db.get<{ id: string; repository_id: string; owner: string; parts: string; size: number; updated_at: number }>('SELECT * FROM uploads WHERE id = ?', [id]);
    if (!row) return undefined;
    return { id: row.id, repositoryId: row.repository_id, owner: row.owner, parts: JSON.parse(row.parts), size: Number(row.size), updatedAt: Number(row.updated_at) };
  }

  /** Appends a part when the upload still holds `upload.size` bytes; the new record, or undefined (moved on or gone). */
  async appendPart(upload: UploadRecord, part: BlobPart, now = Date.now()): Promise<UploadRecord | undefined> {
    const next: UploadRecord = { ...upload, parts: [...upload.parts, part], size: upload.size + part.size, updatedAt: now };
    const { changes } = await this.db.run('UPDATE uploads SET parts = ?, size = ?, updated_at = ? WHERE id = ? AND size = ?', [
      JSON.stringify(next.parts),
      next.size,
      now,
      upload.id,
      upload.size,
    ]);
    return changes > 0 ? next : undefined;
  }

  /** Cancels an upload; its parts, for the caller to delete (undefined when it was gone). */
  async deleteUpload(id: string): Promise<BlobPart[] | undefined> {
    return this.db.transaction(async (tx) => {
      const row = await tx.get<{ parts: string }>(`SELECT parts FROM uploads WHERE id = ?${tx.dialect.forUpdate}`, [id]);
      if (!row) return undefined;
      await tx.run('DELETE FROM uploads WHERE id = ?', [id]);
      return JSON.parse(row.parts) as BlobPart[];
    });
  }

  /** Removes uploads idle since `before`; their parts. */
  async sweepUploads(before: number): Promise<BlobPart[]> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.all<{ id: string; parts: string }>('SELECT id, parts FROM uploads WHERE updated_at < ?', [before]);
      for (const row of rows) await tx.run('DELETE FROM uploads WHERE id = ?', [row.id]);
      return rows.flatMap((r) => JSON.parse(r.parts) as BlobPart[]);
    });
  }

  // ---- lifecycle previews, registry settings, sealing keys ----

  async putPreview(repositoryId: string, policy: string, results: unknown, now = Date.now()): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM lifecycle_previews WHERE repository_id = ?', [repositoryId]);
      await tx.run('INSERT INTO lifecycle_previews (repository_id, policy, results, created_at) VALUES (?, ?, ?, ?)', [repositoryId, policy, JSON.stringify(results), now]);
    });
  }

  async getPreview<T>(repositoryId: string): Promise<{ policy: string; results: T; createdAt: number } | undefined> {
    const row = await this.db.get<{ policy: string; results: string; created_at: number }>('SELECT * FROM lifecycle_previews WHERE repository_id = ?', [repositoryId]);
    return row ? { policy: row.policy, results: JSON.parse(row.results) as T, createdAt: Number(row.created_at) } : undefined;
  }

  async getRegistrySettings(accountId: string, region: string): Promise<{ replication: string | null; policy: string | null }> {
    const row = await this.db.get<{ replication: string | null; policy: string | null }>('SELECT replication, policy FROM registry_settings WHERE account_id = ? AND region = ?', [accountId, region]);
    return row ?? { replication: null, policy: null };
  }

  async putRegistrySettings(accountId: string, region: string, fields: { replication?: string | null; policy?: string | null }): Promise<void> {
    await this.db.transaction(async (tx) => {
      const current = await tx.get<{ replication: string | null; policy: string | null }>(
        `SELECT replication, policy FROM registry_settings WHERE account_id = ? AND region = ?${tx.dialect.forUpdate}`,
        [accountId, region],
      );
      const replication = fields.replication !== undefined ? fields.replication : (current?.replication ?? null);
      const policy = fields.policy !== undefined ? fields.policy : (current?.policy ?? null);
      if (current) await tx.run('UPDATE registry_settings SET replication = ?, policy = ? WHERE account_id = ? AND region = ?', [replication, policy, accountId, region]);
      else await tx.run('INSERT INTO registry_settings (account_id, region, replication, policy) VALUES (?, ?, ?, ?)', [accountId, region, replication, policy]);
    });
  }

  /** The keys sealing authorization tokens, newest first; the first is created if there is none (insert-if-absent across nodes). */
  async sealingKeys(): Promise<{ id: string; key: Buffer }[]> {
    const list = () => this.db.all<{ key_id: string; key: string }>('SELECT key_id, key FROM sealing_keys ORDER BY created_at DESC, key_id DESC');
    let rows = await list();
    if (rows.length === 0) {
      await this.db.run('INSERT INTO sealing_keys (key_id, key, created_at) VALUES (?, ?, ?) ON CONFLICT (key_id) DO NOTHING', ['ecr1', randomBytes(32).toString('base64'), new Date().toISOString()]);
      rows = await list();
    }
    return rows.map((r) => ({ id: r.key_id, key: Buffer.from(r.key, 'base64') }));
  }

  async close(): Promise<void> {
    this.#unlisten();
    this.#repositories.clear();
    await this.db.close();
  }
}
