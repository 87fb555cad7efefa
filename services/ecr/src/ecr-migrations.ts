// The ECR database's migrations (SQLite and PostgreSQL alike), read by EcrStore.open: version 1 holds
// repositories, images, tags, blobs and uploads; version 2 the per-image statuses of
// image-status-store.ts (scans, replications) and the registry scanning configuration.
import type { StoreMigration } from '@atoll/core';

export const MIGRATIONS: StoreMigration[] = [
  {
    version: 1,
    name: 'repositories, images, tags, blobs, uploads',
    up: `
      CREATE TABLE repositories (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        tag_mutability TEXT NOT NULL,
        scan_on_push INTEGER NOT NULL,
        encryption TEXT NOT NULL,
        tags TEXT NOT NULL,
        policy TEXT,
        lifecycle_policy TEXT,
        lifecycle_evaluated_at BIGINT,
        UNIQUE (account_id, region, name)
      );
      CREATE TABLE blobs (digest TEXT PRIMARY KEY, size BIGINT NOT NULL, parts TEXT NOT NULL, touched_at BIGINT NOT NULL);
      CREATE TABLE repository_blobs (repository_id TEXT NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (repository_id, digest));
      CREATE TABLE images (
        repository_id TEXT NOT NULL,
        digest TEXT NOT NULL,
        media_type TEXT NOT NULL,
        artifact_type TEXT,
        manifest TEXT NOT NULL,
        size BIGINT NOT NULL,
        pushed_at BIGINT NOT NULL,
        pulled_at BIGINT,
        subject TEXT,
        annotations TEXT,
        PRIMARY KEY (repository_id, digest)
      );
      CREATE INDEX images_subject ON images (repository_id, subject);
      CREATE TABLE image_refs (repository_id TEXT NOT NULL, digest TEXT NOT NULL, ref TEXT NOT NULL, kind TEXT NOT NULL, PRIMARY KEY (repository_id, digest, ref));
      CREATE INDEX image_refs_ref ON image_refs (ref);
      CREATE TABLE image_tags (repository_id TEXT NOT NULL, tag TEXT NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (repository_id, tag));
      CREATE INDEX image_tags_digest ON image_tags (repository_id, digest);
      CREATE TABLE uploads (
        id TEXT PRIMARY KEY,
        repository_id TEXT NOT NULL,
        owner TEXT NOT NULL,
        parts TEXT NOT NULL,
        size BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );
      CREATE TABLE lifecycle_previews (repository_id TEXT PRIMARY KEY, policy TEXT NOT NULL, results TEXT NOT NULL, created_at BIGINT NOT NULL);
      CREATE TABLE registry_settings (account_id TEXT NOT NULL, region TEXT NOT NULL, replication TEXT, policy TEXT, PRIMARY KEY (account_id, region));
      CREATE TABLE sealing_keys (key_id TEXT PRIMARY KEY, key TEXT NOT NULL, created_at TEXT NOT NULL);
    `,
  },
  {
    version: 2,
    name: 'image scans, image replications, registry scanning configuration',
    up: `
      CREATE TABLE image_scans (repository_id TEXT NOT NULL, digest TEXT NOT NULL, status TEXT NOT NULL, description TEXT NOT NULL, completed_at BIGINT NOT NULL, PRIMARY KEY (repository_id, digest));
      CREATE TABLE image_replications (
        repository_id TEXT NOT NULL,
        digest TEXT NOT NULL,
        region TEXT NOT NULL,
        registry_id TEXT NOT NULL,
        status TEXT NOT NULL,
        failure_code TEXT,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (repository_id, digest, region, registry_id)
      );
      CREATE INDEX image_replications_status ON image_replications (status, updated_at);
      ALTER TABLE registry_settings ADD COLUMN scanning TEXT;
    `,
  },
];
