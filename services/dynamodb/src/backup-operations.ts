// On-demand backups (CreateBackup, DescribeBackup, ListBackups, DeleteBackup,
// RestoreTableFromBackup) and point-in-time recovery (UpdateContinuousBackups,
// DescribeContinuousBackups, RestoreTableToPointInTime). A restore creates the target table at once
// in CREATING (its items are not readable yet), then a job copies the rows in one transaction,
// builds the index entries and makes the table ACTIVE. A job interrupted by a crash is resumed by
// the housekeeping leader; every step is idempotent, so a job run twice gives the same table.
import { randomBytes, randomUUID } from 'node:crypto';
import type { RequestContext } from '@atoll/core';
import {
  BackupInUseException,
  BackupNotFoundException,
  InvalidRestoreTimeException,
  PointInTimeRecoveryUnavailableException,
  TableAlreadyExistsException,
  TableNotFoundException,
} from '@atoll/aws-models/dynamodb';
import { deserializeItem, itemSize, serializeItem } from './attribute-value.js';
import type { BackupRecord } from './backup-store.js';
import type { DynamoDbContext } from './dynamodb-context.js';
import { Errors } from './errors.js';
import { indexKey, projectForIndex } from './table-engine.js';
import { describeTable, indexInfo, type IndexInfo, type TableInfo } from './table-schema.js';

type Input = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DAY_MS = 24 * 60 * 60 * 1000;
/** PITR covers writes from one second after it is turned on (a write in flight with the old settings). */
const PITR_SETTLE_MS = 1000;
/** A restore not finished after this long (its node died) is run again by the housekeeping leader. */
const RESTORE_STALE_MS = 60_000;

/** A timestamp input (the codec gives a Date; in-process callers may pass seconds). */
function toMs(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value * 1000;
  return new Date(String(value)).getTime();
}

const tableNotFound = (name: string) => new TableNotFoundException(`Table not found: ${name}`);
const backupNotFound = (arn: string) => new BackupNotFoundException(`Backup not found: ${arn}`);

/** The PITR window of a table: [earliest, latest] restorable times (ms), or undefined when PITR is off. */
export function restorableWindow(table: TableInfo, now = Date.now()): { earliest: number; latest: number } | undefined {
  if (!table.pitr?.enabled) return undefined;
  const earliest = Math.min(now, Math.max(table.pitr.since, now - table.pitr.days * DAY_MS));
  return { earliest, latest: now };
}

function continuousBackups(table: TableInfo): Record<string, unknown> {
  const window = restorableWindow(table);
  return {
    ContinuousBackupsStatus: 'ENABLED',
    PointInTimeRecoveryDescription: window
      ? {
          PointInTimeRecoveryStatus: 'ENABLED',
          RecoveryPeriodInDays: table.pitr!.days,
          EarliestRestorableDateTime: new Date(window.earliest),
          LatestRestorableDateTime: new Date(window.latest),
        }
      : { PointInTimeRecoveryStatus: 'DISABLED' },
  };
}

function backupDetails(b: BackupRecord, status = b.status): Record<string, unknown> {
  return {
    BackupArn: b.arn,
    BackupName: b.name,
    BackupSizeBytes: b.sizeBytes,
    BackupStatus: status,
    BackupType: 'USER',
    BackupCreationDateTime: new Date(b.createdAt),
  };
}

function backupDescription(b: BackupRecord, status = b.status): Record<string, unknown> {
  const t = b.table as unknown as TableInfo;
  const summary = describeTable({ ...t, id: 0 }, 'ACTIVE', { count: b.itemCount, bytes: b.sizeBytes }, new Map());
  return {
    BackupDetails: backupDetails(b, status),
    SourceTableDetails: {
      TableName: t.name,
      TableId: t.tableId,
      TableArn: t.arn,
      TableSizeBytes: b.sizeBytes,
      KeySchema: t.keySchema,
      TableCreationDateTime: new Date(t.createdAt),
      ProvisionedThroughput: { ReadCapacityUnits: t.throughput.ReadCapacityUnits, WriteCapacityUnits: t.throughput.WriteCapacityUnits },
      ItemCount: b.itemCount,
      BillingMode: t.billingMode,
    },
    SourceTableFeatureDetails: {
      ...(summary.LocalSecondaryIndexes ? { LocalSecondaryIndexes: (summary.LocalSecondaryIndexes as Input[]).map(featureIndex) } : {}),
      ...(summary.GlobalSecondaryIndexes
        ? { GlobalSecondaryIndexes: (summary.GlobalSecondaryIndexes as Input[]).map((g) => ({ ...featureIndex(g), ProvisionedThroughput: g.ProvisionedThroughput })) }
        : {}),
      ...(t.stream?.enabled ? { StreamDescription: { StreamEnabled: true, StreamViewType: t.stream.viewType } } : {}),
      TimeToLiveDescription: t.ttl?.enabled ? { TimeToLiveStatus: 'ENABLED', AttributeName: t.ttl.attribute } : { TimeToLiveStatus: 'DISABLED' },
    },
  };
}

function featureIndex(i: Input): Input {
  return { IndexName: i.IndexName, KeySchema: i.KeySchema, Projection: i.Projection };
}

function backupSummary(b: BackupRecord): Record<string, unknown> {
  const t = b.table as unknown as TableInfo;
  return { TableName: t.name, TableId: t.tableId, TableArn: t.arn, ...backupDetails(b) };
}

/** The new table of a restore: the source's schema with the request's overrides; no stream, TTL, tags or PITR (as in DynamoDB). */
function restoredTable(source: TableInfo, input: Input, req: RequestContext, job: TableInfo['restoring'], summary: TableInfo['restoreSummary']): Omit<TableInfo, 'id'> {
  const name = input.TargetTableName as string;
  const arn = `arn:aws:dynamodb:${req.region}:${req.accountId}:table/${name}`;
  const billingMode = (input.BillingModeOverride as TableInfo['billingMode'] | undefined) ?? source.billingMode;
  let indexes: IndexInfo[] = source.indexes.map((i) => ({ ...i, status: 'ACTIVE' as const, backfilling: false }));
  if (input.GlobalSecondaryIndexOverride) {
    indexes = indexes.filter((i) => i.kind !== 'GSI');
    for (const g of input.GlobalSecondaryIndexOverride as Input[]) indexes.push(indexInfo('GSI', g.IndexName, g.KeySchema, g.Projection, g.ProvisionedThroughput));
  }
  if (input.LocalSecondaryIndexOverride) {
    indexes = indexes.filter((i) => i.kind !== 'LSI');
    for (const l of input.LocalSecondaryIndexOverride as Input[]) indexes.push(indexInfo('LSI', l.IndexName, l.KeySchema, l.Projection));
  }
  return {
    name,
    accountId: req.accountId,
    region: req.region,
    arn,
    tableId: randomUUID(),
    keySchema: source.keySchema,
    attributeDefinitions: source.attributeDefinitions,
    hashKey: source.hashKey,
    ...(source.rangeKey ? { rangeKey: source.rangeKey } : {}),
    billingMode,
    throughput: (input.ProvisionedThroughputOverride as TableInfo['throughput'] | undefined) ?? source.throughput,
    createdAt: Date.now(),
    indexes,
    tags: {},
    deletionProtection: false,
    ...(source.tableClass ? { tableClass: source.tableClass } : {}),
    restoring: job,
    restoreSummary: summary,
  };
}

export function createBackupOperations(ctx: DynamoDbContext) {
  /** Restore jobs running on this node, by table row id. */
  const running = new Map<number, Promise<void>>();

  /** Writes the index entries of every restored item, 1,000 items per transaction (upserts: idempotent). */
  async function buildIndexes(table: TableInfo): Promise<void> {
    if (table.indexes.length === 0) return;
    let start: { pk: Buffer; sk: Buffer } | undefined;
    for (;;) {
      const from = start;
      const last = await ctx.store.transaction(async (items) => {
        const chunk = await items.scan(table.id, undefined, undefined, from).next(1000);
        for (const row of chunk) {
          const item = deserializeItem(row.item);
          for (const index of table.indexes) {
            const key = indexKey(index, item);
            if (!key) continue;
            const projected = projectForIndex(table, index, item);
            await items.putIndexEntry(table.id, index.name, key.pk, key.sk, row.pk, row.sk, itemSize(projected), serializeItem(projected));
          }
        }
        return chunk.length < 1000 ? undefined : chunk[chunk.length - 1]!;
      });
      if (!last) return;
      start = { pk: last.pk, sk: last.sk };
    }
  }

  async function restore(table: TableInfo): Promise<void> {
    const job = table.restoring!;
    await ctx.store.backups.restoreRows(
      table.id,
      job.backupArn ? { backupArn: job.backupArn } : { sourceTableId: job.sourceTableId!, at: job.at! },
    );
    await buildIndexes(table);
    const done = await ctx.store.updateTable(table.id, (stored) => {
      delete stored.restoring;
    });
    if (done) ctx.remember(done.table);
  }

  /** Runs a table's restore job on this node, once at a time. */
  function startRestore(table: TableInfo): Promise<void> {
    const existing = running.get(table.id);
    if (existing) return existing;
    const job = restore(table).finally(() => running.delete(table.id));
    running.set(table.id, job);
    return job;
  }

  async function createTarget(base: Omit<TableInfo, 'id'>): Promise<TableInfo> {
    if (await ctx.findAny(base.accountId, base.region, base.name)) throw new TableAlreadyExistsException(`Table already exists: ${base.name}`);
    const table = await ctx.store.insertTable(base);
    if (!table) throw new TableAlreadyExistsException(`Table already exists: ${base.name}`);
    ctx.remember(table);
    startRestore(table).catch(() => undefined); // retried by `resumeStale`
    return table;
  }

  /** A table named by name or ARN, in any state. */
  async function source(req: RequestContext, nameOrArn: string): Promise<TableInfo | undefined> {
    if (!nameOrArn.startsWith('arn:')) return ctx.findAny(req.accountId, req.region, nameOrArn);
    const parts = nameOrArn.split(':');
    const name = nameOrArn.split(':table/')[1]?.split('/')[0];
    return name ? ctx.findAny(parts[4] ?? req.accountId, parts[3] ?? req.region, name) : undefined;
  }

  const operations = {
    async CreateBackup(input: Input, req: RequestContext) {
      const table = await source(req, input.TableName);
      if (!table || table.restoring) throw tableNotFound(input.TableName);
      const now = Date.now();
      const { restoring: _r, restoreSummary: _s, policy: _p, streamPolicy: _sp, id: _id, ...meta } = table;
      const record = await ctx.store.backups.createBackup(
        {
          arn: `${table.arn}/backup/${String(now).padStart(14, '0')}-${randomBytes(4).toString('hex')}`,
          name: input.BackupName,
          accountId: table.accountId,
          region: table.region,
          tableName: table.name,
          createdAt: now,
          status: 'CREATING',
          sizeBytes: 0,
          itemCount: 0,
          table: meta as unknown as Record<string, unknown>,
        },
        table.id,
        // With PITR on, the backup is the table's state at this moment, copied without stopping writers.
        restorableWindow(table, now) ? now : undefined,
      );
      return { BackupDetails: backupDetails(record) };
    },

    async DescribeBackup(input: Input, req: RequestContext) {
      const backup = await ctx.store.backups.getBackup(input.BackupArn);
      if (!backup || backup.accountId !== req.accountId) throw backupNotFound(input.BackupArn);
      return { BackupDescription: backupDescription(backup) };
    },

    async ListBackups(input: Input, req: RequestContext) {
      const type = (input.BackupType as string | undefined) ?? 'USER';
      let all = await ctx.store.backups.listBackups(req.accountId, req.region);
      if (type !== 'USER' && type !== 'ALL') all = [];
      if (input.TableName !== undefined) all = all.filter((b) => b.tableName === input.TableName);
      if (input.TimeRangeLowerBound !== undefined) {
        const lower = toMs(input.TimeRangeLowerBound);
        all = all.filter((b) => b.createdAt >= lower);
      }
      if (input.TimeRangeUpperBound !== undefined) {
        const upper = toMs(input.TimeRangeUpperBound);
        all = all.filter((b) => b.createdAt < upper);
      }
      if (input.ExclusiveStartBackupArn !== undefined) {
        const at = all.findIndex((b) => b.arn === input.ExclusiveStartBackupArn);
        all = at < 0 ? [] : all.slice(at + 1);
      }
      const limit = (input.Limit as number | undefined) ?? 100;
      const page = all.slice(0, limit);
      return {
        BackupSummaries: page.map(backupSummary),
        ...(all.length > limit ? { LastEvaluatedBackupArn: page[page.length - 1]!.arn } : {}),
      };
    },

    async DeleteBackup(input: Input, req: RequestContext) {
      const backup = await ctx.store.backups.getBackup(input.BackupArn);
      if (!backup || backup.accountId !== req.accountId) throw backupNotFound(input.BackupArn);
      const tables = await ctx.store.tables(backup.accountId, backup.region);
      if (tables.some((t) => t.restoring?.backupArn === backup.arn)) {
        throw new BackupInUseException(`Backup is being used to restore a table: ${backup.arn}`);
      }
      const deleted = await ctx.store.backups.deleteBackup(backup.arn);
      if (!deleted) throw backupNotFound(input.BackupArn);
      return { BackupDescription: backupDescription(deleted, 'DELETED') };
    },

    async RestoreTableFromBackup(input: Input, req: RequestContext) {
      const backup = await ctx.store.backups.getBackup(input.BackupArn);
      if (!backup || backup.accountId !== req.accountId) throw backupNotFound(input.BackupArn);
      const from = { ...(backup.table as unknown as TableInfo), id: 0 };
      const table = await createTarget(
        restoredTable(from, input, req, { backupArn: backup.arn, startedAt: Date.now() }, { sourceBackupArn: backup.arn, sourceTableArn: from.arn, at: Date.now() }),
      );
      return { TableDescription: describeTable(table, 'CREATING', { count: 0, bytes: 0 }, new Map()) };
    },

    async UpdateContinuousBackups(input: Input, req: RequestContext) {
      const found = await ctx.findAny(req.accountId, req.region, input.TableName);
      if (!found || found.restoring) throw tableNotFound(input.TableName);
      const spec = input.PointInTimeRecoverySpecification as { PointInTimeRecoveryEnabled: boolean; RecoveryPeriodInDays?: number };
      const done = await ctx.store.updateTable(found.id, (table) => {
        if (!spec.PointInTimeRecoveryEnabled) {
          if (spec.RecoveryPeriodInDays !== undefined) {
            throw Errors.validation('RecoveryPeriodInDays can only be specified when PointInTimeRecoveryEnabled is true');
          }
          delete table.pitr;
          return;
        }
        const days = spec.RecoveryPeriodInDays ?? table.pitr?.days ?? 35;
        table.pitr = table.pitr?.enabled ? { ...table.pitr, days } : { enabled: true, since: Date.now() + PITR_SETTLE_MS, days };
      });
      if (!done) {
        ctx.forget(found);
        throw tableNotFound(input.TableName);
      }
      ctx.remember(done.table);
      if (!spec.PointInTimeRecoveryEnabled) await ctx.store.backups.dropHistory(found.id);
      return { ContinuousBackupsDescription: continuousBackups(done.table) };
    },

    async DescribeContinuousBackups(input: Input, req: RequestContext) {
      const table = await ctx.findAny(req.accountId, req.region, input.TableName);
      if (!table) throw tableNotFound(input.TableName);
      return { ContinuousBackupsDescription: continuousBackups(table) };
    },

    async RestoreTableToPointInTime(input: Input, req: RequestContext) {
      const sourceName = (input.SourceTableArn ?? input.SourceTableName) as string | undefined;
      if (sourceName === undefined) throw Errors.validation('Either SourceTableArn or SourceTableName must be specified');
      if (input.UseLatestRestorableTime === true && input.RestoreDateTime !== undefined) {
        throw Errors.validation('Only one of RestoreDateTime or UseLatestRestorableTime can be specified');
      }
      if (input.UseLatestRestorableTime !== true && input.RestoreDateTime === undefined) {
        throw Errors.validation('Either RestoreDateTime or UseLatestRestorableTime must be specified');
      }
      const from = await source(req, sourceName);
      if (!from || from.restoring) throw new TableNotFoundException(`Table not found: ${sourceName}`);
      const window = restorableWindow(from);
      if (!window) throw new PointInTimeRecoveryUnavailableException(`Point in time recovery is not enabled for table '${from.name}'`);
      const at = input.UseLatestRestorableTime === true ? window.latest : toMs(input.RestoreDateTime);
      if (!(at >= window.earliest && at <= window.latest)) {
        throw new InvalidRestoreTimeException(
          `Invalid restore time: ${new Date(at).toISOString()} is outside the restorable window of table ${from.name} ` +
            `(${new Date(window.earliest).toISOString()} to ${new Date(window.latest).toISOString()})`,
        );
      }
      const table = await createTarget(
        restoredTable(from, input, req, { sourceTableId: from.id, at, startedAt: Date.now() }, { sourceTableArn: from.arn, at }),
      );
      return { TableDescription: describeTable(table, 'CREATING', { count: 0, bytes: 0 }, new Map()) };
    },
  };

  return {
    operations,
    /** Waits for this node's restore jobs (provider close). */
    settled: () => Promise.allSettled([...running.values()]),
    /**
     * Housekeeping (leader): trims every PITR history to its window, and runs again the restores
     * whose node did not finish them.
     */
    async housekeeping(now = Date.now()): Promise<void> {
      for (const table of await ctx.store.allTables()) {
        if (table.pitr?.enabled) await ctx.store.backups.trimHistory(table.id, now - table.pitr.days * DAY_MS);
        if (table.restoring && !running.has(table.id) && now - table.restoring.startedAt > RESTORE_STALE_MS) {
          await startRestore(table);
        }
      }
    },
  };
}
