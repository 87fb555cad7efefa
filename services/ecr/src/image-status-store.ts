// Per-image statuses beside EcrStore, on the same database (its migration 2): the result of each
// image's last scan, the replication of pushed images to other regions or registries (queued by
// EcrStore.putImage in the push's transaction, worked by replication.ts), and the registry's
// scanning configuration.
import type { StoreDatabase } from '@atoll/core';
import type { ReplicationTarget } from './ecr-store.js';

export interface ScanRecord {
  status: string;
  description: string;
  completedAt: number;
}

export interface ReplicationRecord extends ReplicationTarget {
  status: 'IN_PROGRESS' | 'COMPLETE' | 'FAILED';
  failureCode: string | null;
}

/** A queued replication with its source repository. */
export interface ReplicationJob extends ReplicationTarget {
  repositoryId: string;
  accountId: string;
  sourceRegion: string;
  repositoryName: string;
  digest: string;
  updatedAt: number;
}

export class ImageStatusStore {
  constructor(private readonly db: StoreDatabase) {}

  // ---- scans ----

  async putScan(repositoryId: string, digest: string, scan: ScanRecord): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM image_scans WHERE repository_id = ? AND digest = ?', [repositoryId, digest]);
      await tx.run('INSERT INTO image_scans (repository_id, digest, status, description, completed_at) VALUES (?, ?, ?, ?, ?)', [
        repositoryId,
        digest,
        scan.status,
        scan.description,
        scan.completedAt,
      ]);
    });
  }

  async getScan(repositoryId: string, digest: string): Promise<ScanRecord | undefined> {
    const row = await this.db.get<{ status: string; description: string; completed_at: number }>('SELECT status, description, completed_at FROM image_scans WHERE repository_id = ? AND digest = ?', [
      repositoryId,
      digest,
    ]);
    return row ? { status: row.status, description: row.description, completedAt: Number(row.completed_at) } : undefined;
  }

  /** Every scan of a repository by digest (DescribeImages). */
  async scans(repositoryId: string): Promise<Map<string, ScanRecord>> {
    const rows = await this.db.all<{ digest: string; status: string; description: string; completed_at: number }>('SELECT digest, status, description, completed_at FROM image_scans WHERE repository_id = ?', [
      repositoryId,
    ]);
    return new Map(rows.map((r) => [r.digest, { status: r.status, description: r.description, completedAt: Number(r.completed_at) }]));
  }

  // ---- replications ----

  async replications(repositoryId: string, digest: string): Promise<ReplicationRecord[]> {
    const rows = await this.db.all<{ region: string; registry_id: string; status: ReplicationRecord['status']; failure_code: string | null }>(
      'SELECT region, registry_id, status, failure_code FROM image_replications WHERE repository_id = ? AND digest = ? ORDER BY region, registry_id',
      [repositoryId, digest],
    );
    return rows.map((r) => ({ region: r.region, registryId: r.registry_id, status: r.status, failureCode: r.failure_code }));
  }

  /** Queued replications, oldest first. */
  async pendingReplications(limit = 50): Promise<ReplicationJob[]> {
    const rows = await this.db.all<{ repository_id: string; digest: string; region: string; registry_id: string; updated_at: number; account_id: string; source_region: string; name: string }>(
      `SELECT j.repository_id, j.digest, j.region, j.registry_id, j.updated_at, r.account_id, r.region AS source_region, r.name
       FROM image_replications j JOIN repositories r ON r.id = j.repository_id
       WHERE j.status = 'IN_PROGRESS' ORDER BY j.updated_at LIMIT ?`,
      [limit],
    );
    return rows.map((r) => ({
      repositoryId: r.repository_id,
      digest: r.digest,
      region: r.region,
      registryId: r.registry_id,
      updatedAt: Number(r.updated_at),
      accountId: r.account_id,
      sourceRegion: r.source_region,
      repositoryName: r.name,
    }));
  }

  /** Finishes a queued replication, unless it was queued again meanwhile (a newer push). */
  async finishReplication(job: ReplicationJob, status: 'COMPLETE' | 'FAILED', failureCode: string | null, now = Date.now()): Promise<boolean> {
    const { changes } = await this.db.run(
      "UPDATE image_replications SET status = ?, failure_code = ?, updated_at = ? WHERE repository_id = ? AND digest = ? AND region = ? AND registry_id = ? AND status = 'IN_PROGRESS' AND updated_at = ?",
      [status, failureCode, Math.max(now, job.updatedAt + 1), job.repositoryId, job.digest, job.region, job.registryId, job.updatedAt],
    );
    return changes > 0;
  }

  // ---- registry scanning configuration ----

  async getScanningConfiguration(accountId: string, region: string): Promise<string | null> {
    const row = await this.db.get<{ scanning: string | null }>('SELECT scanning FROM registry_settings WHERE account_id = ? AND region = ?', [accountId, region]);
    return row?.scanning ?? null;
  }

  async putScanningConfiguration(accountId: string, region: string, scanning: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const { changes } = await tx.run('UPDATE registry_settings SET scanning = ? WHERE account_id = ? AND region = ?', [scanning, accountId, region]);
      if (changes === 0) await tx.run('INSERT INTO registry_settings (account_id, region, replication, policy, scanning) VALUES (?, ?, NULL, NULL, ?)', [accountId, region, scanning]);
    });
  }
}
