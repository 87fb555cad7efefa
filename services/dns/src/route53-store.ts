// Route 53 state behind the asynchronous store contract: hosted zones, their resource record sets
// (one row per name, type and set identifier, ordered as ListResourceRecordSets pages them), the
// changes that applied them, tags, and health checks with their last observed status.
// Every write to a zone's records signals `route53.zone` with the zone id (every node's DNS server
// reloads that zone); health status changes signal `route53.health`.
import { sqlInList, type SqlExecutor, type SqlTransaction, type StorageBackend, type StoreDatabase, type StoreMigration } from '@atoll/core';
import type { HealthCheckConfig, ResourceRecordSet } from '@atoll/aws-models/route53';
import { sortKey } from './names.js';

export const ZONE_SIGNAL = 'route53.zone';
export const HEALTH_SIGNAL = 'route53.health';

export interface ZoneRecord {
  id: string;
  accountId: string;
  /** Normalized: lower case, trailing dot. */
  name: string;
  callerReference: string;
  comment?: string;
  privateZone: boolean;
  vpcs: { VPCRegion?: string; VPCId?: string }[];
  /** Epoch ms. */
  created: number;
  /** The Cloud Map namespace that created it (`LinkedService`). */
  linkedService?: { ServicePrincipal: string; Description: string };
}

/** A stored record set: its name normalized; the set identifier '' for simple records. */
export type StoredRecordSet = ResourceRecordSet;

export interface ChangeRecord {
  id: string;
  accountId: string;
  submittedAt: number;
  comment?: string;
}

export interface HealthCheckRecord {
  id: string;
  accountId: string;
  callerReference: string;
  version: number;
  config: HealthCheckConfig;
  created: number;
}

export interface HealthStatus {
  id: string;
  healthy: boolean;
  /** `Success: HTTP Status Code 200, OK` / `Failure: …`, as GetHealthCheckStatus reports it. */
  report: string;
  checkedAt: number;
}

/** One record-set write of a change batch, in order. */
export type RecordWrite = { op: 'put'; set: StoredRecordSet } | { op: 'delete'; set: StoredRecordSet };

const TEXT_C = { sqlite: 'TEXT', postgres: 'TEXT COLLATE "C"' };
const schema = (e: 'sqlite' | 'postgres') => `
  CREATE TABLE zones (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, name ${TEXT_C[e]} NOT NULL, caller_reference TEXT NOT NULL,
    created BIGINT NOT NULL, doc TEXT NOT NULL);
  CREATE UNIQUE INDEX zones_caller ON zones (account_id, caller_reference);
  CREATE INDEX zones_name ON zones (account_id, name);
  CREATE TABLE rrsets (zone_id TEXT NOT NULL, name ${TEXT_C[e]} NOT NULL, type ${TEXT_C[e]} NOT NULL, set_id ${TEXT_C[e]} NOT NULL,
    sort_key ${TEXT_C[e]} NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (zone_id, name, type, set_id));
  CREATE INDEX rrsets_order ON rrsets (zone_id, sort_key, type, set_id);
  CREATE TABLE changes (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, submitted_at BIGINT NOT NULL, comment TEXT);
  CREATE TABLE tags (resource_type TEXT NOT NULL, resource_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (resource_type, resource_id, key));
  CREATE TABLE health_checks (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, caller_reference TEXT NOT NULL, created BIGINT NOT NULL,
    doc TEXT NOT NULL);
  CREATE UNIQUE INDEX health_checks_caller ON health_checks (account_id, caller_reference);
  CREATE TABLE health_status (id TEXT PRIMARY KEY, healthy INTEGER NOT NULL, report TEXT NOT NULL, checked_at BIGINT NOT NULL);
`;

const MIGRATIONS: StoreMigration[] = [{ version: 1, name: 'Route 53 zones, records, changes, tags, health checks', up: { sqlite: schema('sqlite'), postgres: schema('postgres') } }];

const RRSET_COLUMNS = 'zone_id, name, type, set_id, sort_key, doc';
const PUT_RRSET = `INSERT INTO rrsets (${RRSET_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (zone_id, name, type, set_id) DO UPDATE SET doc = excluded.doc`;
const DELETE_RRSET = 'DELETE FROM rrsets WHERE zone_id = ? AND name = ? AND type = ? AND set_id = ?';

const parseDoc = <T>(row: { doc: string }): T => JSON.parse(row.doc) as T;

export class Route53Store {
  private constructor(readonly db: StoreDatabase) {}

  static async open(storage: StorageBackend): Promise<Route53Store> {
    return new Route53Store(await storage.open('route53', MIGRATIONS));
  }

  get signals(): StoreDatabase['signals'] {
    return this.db.signals;
  }

  /**
   * Creates a zone with its first record sets (SOA, NS) and the change that made it; answers the
   * zone already made with that caller reference instead (the caller then decides).
   */
  async createZone(zone: ZoneRecord, sets: readonly StoredRecordSet[], change: ChangeRecord): Promise<{ created: true } | { created: false; existing: ZoneRecord }> {
    return this.db.transaction(async (tx) => {
      const found = await tx.get<{ doc: string }>('SELECT doc FROM zones WHERE account_id = ? AND caller_reference = ?', [zone.accountId, zone.callerReference]);
      if (found) return { created: false, existing: parseDoc<ZoneRecord>(found) };
      await tx.run('INSERT INTO zones (id, account_id, name, caller_reference, created, doc) VALUES (?, ?, ?, ?, ?, ?)', [
        zone.id,
        zone.accountId,
        zone.name,
        zone.callerReference,
        zone.created,
        JSON.stringify(zone),
      ]);
      for (const set of sets) await putSet(tx, zone.id, set);
      await insertChange(tx, change);
      tx.notify(ZONE_SIGNAL, zone.id);
      return { created: true };
    });
  }

  async getZone(id: string): Promise<ZoneRecord | undefined> {
    const row = await this.db.get<{ doc: string }>('SELECT doc FROM zones WHERE id = ?', [id]);
    return row ? parseDoc<ZoneRecord>(row) : undefined;
  }

  async updateZone(zone: ZoneRecord): Promise<void> {
    await this.db.run('UPDATE zones SET doc = ? WHERE id = ?', [JSON.stringify(zone), zone.id]);
  }

  /** An account's zones by creation order (ties by id), from after `afterId`'s position. */
  async listZones(accountId: string): Promise<ZoneRecord[]> {
    const rows = await this.db.all<{ doc: string }>('SELECT doc FROM zones WHERE account_id = ? ORDER BY created, id', [accountId]);
    return rows.map((r) => parseDoc<ZoneRecord>(r));
  }

  /** Every zone of every account (the DNS server's view). */
  async allZones(): Promise<ZoneRecord[]> {
    const rows = await this.db.all<{ doc: string }>('SELECT doc FROM zones ORDER BY created, id');
    return rows.map((r) => parseDoc<ZoneRecord>(r));
  }

  async recordCount(zoneId: string): Promise<number> {
    const row = await this.db.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM rrsets WHERE zone_id = ?', [zoneId]);
    return Number(row?.n ?? 0);
  }

  /**
   * Deletes a zone when it holds nothing but its apex SOA and NS record sets (and then those,
   * its tags and its records); 'not-empty' otherwise, 'missing' when it does not exist.
   */
  async deleteZone(id: string, change: ChangeRecord): Promise<'deleted' | 'not-empty' | 'missing'> {
    return this.db.transaction(async (tx) => {
      const zone = await tx.get<{ name: string }>(`SELECT name FROM zones WHERE id = ?${tx.dialect.forUpdate}`, [id]);
      if (!zone) return 'missing';
      const other = await tx.get('SELECT 1 AS x FROM rrsets WHERE zone_id = ? AND NOT (name = ? AND type IN (?, ?)) LIMIT 1', [id, zone.name, 'SOA', 'NS']);
      if (other) return 'not-empty';
      await tx.run('DELETE FROM rrsets WHERE zone_id = ?', [id]);
      await tx.run('DELETE FROM zones WHERE id = ?', [id]);
      await tx.run('DELETE FROM tags WHERE resource_type = ? AND resource_id = ?', ['hostedzone', id]);
      await insertChange(tx, change);
      tx.notify(ZONE_SIGNAL, id);
      return 'deleted';
    });
  }

  /**
   * Applies one change batch atomically. `plan` sees the zone and the record sets now stored at
   * the batch's names (read inside the transaction) and returns the writes, or throws (an
   * InvalidChangeBatch) to apply nothing. Resolves 'missing' when the zone does not exist.
   */
  async applyChanges(
    zoneId: string,
    names: readonly string[],
    plan: (zone: ZoneRecord, current: StoredRecordSet[]) => RecordWrite[],
    change: ChangeRecord,
  ): Promise<'applied' | 'missing'> {
    return this.db.transaction(async (tx) => {
      const zoneRow = await tx.get<{ doc: string }>(`SELECT doc FROM zones WHERE id = ?${tx.dialect.forUpdate}`, [zoneId]);
      if (!zoneRow) return 'missing';
      const zone = parseDoc<ZoneRecord>(zoneRow);
      const current: StoredRecordSet[] = [];
      const unique = [...new Set([...names, zone.name])];
      for (let i = 0; i < unique.length; i += 256) {
        const list = sqlInList(unique.slice(i, i + 256));
        const rows = await tx.all<{ doc: string }>(`SELECT doc FROM rrsets WHERE zone_id = ? AND name IN (${list.placeholders})`, [zoneId, ...list.values]);
        for (const row of rows) current.push(parseDoc<StoredRecordSet>(row));
      }
      const writes = plan(zone, current);
      for (const write of writes) {
        if (write.op === 'put') await putSet(tx, zoneId, write.set);
        else await tx.run(DELETE_RRSET, [zoneId, write.set.Name, write.set.Type, write.set.SetIdentifier ?? '']);
      }
      await insertChange(tx, change);
      tx.notify(ZONE_SIGNAL, zoneId);
      return 'applied';
    });
  }

  /**
   * Up to `limit` record sets of a zone from a position (name, type, set identifier) on, in
   * ListResourceRecordSets' order: names with their labels reversed, then type, then identifier.
   */
  async listRecordSets(zoneId: string, limit: number, from?: { name: string; type?: string; setId?: string }): Promise<StoredRecordSet[]> {
    const rows = from
      ? await this.db.all<{ doc: string }>(
          `SELECT doc FROM rrsets WHERE zone_id = ? AND (sort_key > ? OR (sort_key = ? AND (type > ? OR (type = ? AND set_id >= ?))))
           ORDER BY sort_key, type, set_id LIMIT ?`,
          [zoneId, sortKey(from.name), sortKey(from.name), from.type ?? '', from.type ?? '', from.setId ?? '', limit],
        )
      : await this.db.all<{ doc: string }>('SELECT doc FROM rrsets WHERE zone_id = ? ORDER BY sort_key, type, set_id LIMIT ?', [zoneId, limit]);
    return rows.map((r) => parseDoc<StoredRecordSet>(r));
  }

  /** Every record set of a zone (the DNS server's view of it). */
  async zoneRecordSets(zoneId: string): Promise<StoredRecordSet[]> {
    const rows = await this.db.all<{ doc: string }>('SELECT doc FROM rrsets WHERE zone_id = ?', [zoneId]);
    return rows.map((r) => parseDoc<StoredRecordSet>(r));
  }

  async getChange(id: string): Promise<ChangeRecord | undefined> {
    const row = await this.db.get<{ id: string; account_id: string; submitted_at: number | string; comment: string | null }>(
      'SELECT id, account_id, submitted_at, comment FROM changes WHERE id = ?',
      [id],
    );
    return row ? { id: row.id, accountId: row.account_id, submittedAt: Number(row.submitted_at), ...(row.comment !== null ? { comment: row.comment } : {}) } : undefined;
  }

  async tags(resourceType: string, resourceId: string): Promise<{ Key: string; Value: string }[]> {
    const rows = await this.db.all<{ key: string; value: string }>('SELECT key, value FROM tags WHERE resource_type = ? AND resource_id = ? ORDER BY key', [
      resourceType,
      resourceId,
    ]);
    return rows.map((r) => ({ Key: r.key, Value: r.value }));
  }

  async changeTags(resourceType: string, resourceId: string, add: readonly { Key: string; Value: string }[], remove: readonly string[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const key of remove) await tx.run('DELETE FROM tags WHERE resource_type = ? AND resource_id = ? AND key = ?', [resourceType, resourceId, key]);
      for (const tag of add) {
        await tx.run('INSERT INTO tags (resource_type, resource_id, key, value) VALUES (?, ?, ?, ?) ON CONFLICT (resource_type, resource_id, key) DO UPDATE SET value = excluded.value', [
          resourceType,
          resourceId,
          tag.Key,
          tag.Value,
        ]);
      }
    });
  }

  async createHealthCheck(check: HealthCheckRecord): Promise<{ created: true } | { created: false; existing: HealthCheckRecord }> {
    return this.db.transaction(async (tx) => {
      const found = await tx.get<{ doc: string }>('SELECT doc FROM health_checks WHERE account_id = ? AND caller_reference = ?', [check.accountId, check.callerReference]);
      if (found) return { created: false, existing: parseDoc<HealthCheckRecord>(found) };
      await tx.run('INSERT INTO health_checks (id, account_id, caller_reference, created, doc) VALUES (?, ?, ?, ?, ?)', [
        check.id,
        check.accountId,
        check.callerReference,
        check.created,
        JSON.stringify(check),
      ]);
      return { created: true };
    });
  }

  async getHealthCheck(id: string): Promise<HealthCheckRecord | undefined> {
    const row = await this.db.get<{ doc: string }>('SELECT doc FROM health_checks WHERE id = ?', [id]);
    return row ? parseDoc<HealthCheckRecord>(row) : undefined;
  }

  async putHealthCheck(check: HealthCheckRecord): Promise<void> {
    await this.db.run('UPDATE health_checks SET doc = ? WHERE id = ?', [JSON.stringify(check), check.id]);
  }

  /** Health checks of an account, or of every account. */
  async listHealthChecks(accountId?: string): Promise<HealthCheckRecord[]> {
    const rows = accountId
      ? await this.db.all<{ doc: string }>('SELECT doc FROM health_checks WHERE account_id = ? ORDER BY created, id', [accountId])
      : await this.db.all<{ doc: string }>('SELECT doc FROM health_checks ORDER BY created, id');
    return rows.map((r) => parseDoc<HealthCheckRecord>(r));
  }

  /** Deletes a health check; false when it did not exist. */
  async deleteHealthCheck(id: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const result = await tx.run('DELETE FROM health_checks WHERE id = ?', [id]);
      await tx.run('DELETE FROM health_status WHERE id = ?', [id]);
      await tx.run('DELETE FROM tags WHERE resource_type = ? AND resource_id = ?', ['healthcheck', id]);
      if (result.changes > 0) tx.notify(HEALTH_SIGNAL, id);
      return result.changes > 0;
    });
  }

  /** Records a probe's outcome; signals only when the health changed. */
  async putHealthStatus(status: HealthStatus): Promise<void> {
    await this.db.transaction(async (tx) => {
      const before = await tx.get<{ healthy: number }>('SELECT healthy FROM health_status WHERE id = ?', [status.id]);
      await tx.run(
        'INSERT INTO health_status (id, healthy, report, checked_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET healthy = excluded.healthy, report = excluded.report, checked_at = excluded.checked_at',
        [status.id, status.healthy ? 1 : 0, status.report, status.checkedAt],
      );
      if (!before || Boolean(before.healthy) !== status.healthy) tx.notify(HEALTH_SIGNAL, status.id);
    }, { durable: false });
  }

  async healthStatuses(): Promise<HealthStatus[]> {
    const rows = await this.db.all<{ id: string; healthy: number; report: string; checked_at: number | string }>('SELECT id, healthy, report, checked_at FROM health_status');
    return rows.map((r) => ({ id: r.id, healthy: Boolean(r.healthy), report: r.report, checkedAt: Number(r.checked_at) }));
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

async function putSet(tx: SqlExecutor, zoneId: string, set: StoredRecordSet): Promise<void> {
  await tx.run(PUT_RRSET, [zoneId, set.Name, set.Type, set.SetIdentifier ?? '', sortKey(set.Name), JSON.stringify(set)]);
}

async function insertChange(tx: SqlTransaction, change: ChangeRecord): Promise<void> {
  await tx.run('INSERT INTO changes (id, account_id, submitted_at, comment) VALUES (?, ?, ?, ?)', [change.id, change.accountId, change.submittedAt, change.comment ?? null]);
}
