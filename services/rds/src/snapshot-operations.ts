// DB and cluster snapshots: real engine backups taken by the engine host, described, deleted, and
// restored into a new DB instance (RestoreDBInstanceFromDBSnapshot).
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { RequestContext } from '@atoll/core';
import {
  DBClusterSnapshotAlreadyExistsFault,
  DBInstanceAlreadyExistsFault,
  DBSnapshotAlreadyExistsFault,
  InvalidDBClusterStateFault,
  InvalidDBInstanceStateFault,
  InvalidDBSnapshotStateFault,
  type CreateDBClusterSnapshotRequest,
  type CreateDBSnapshotRequest,
  type DescribeDBClusterSnapshotsRequest,
  type DescribeDBSnapshotsRequest,
  type RestoreDBInstanceFromDBSnapshotRequest,
} from '@atoll/aws-models/rds';
import { findInstance, page, tagsOf, type RdsDeps } from './rds-deps.js';
import { clusterNotFound, clusterSnapshotNotFound, invalidParameterValue, missingParameter, snapshotNotFound } from './rds-errors.js';
import { RecordExistsError, type RdsStore } from './rds-store.js';
import type { ClusterRecord, InstanceRecord, SnapshotRecord } from './records.js';
import { clusterSnapshotShape, instanceShape, snapshotShape } from './shapes.js';
import { checkIdentifier } from './validation.js';

/** Records a manual snapshot in `creating`; the engine host takes the backup. */
export async function insertSnapshot(store: RdsStore, ctx: RequestContext, kind: 'instance' | 'cluster', id: string, source: InstanceRecord | ClusterRecord, tags: Record<string, string>): Promise<SnapshotRecord> {
  const existing = await store.snapshots.get(ctx.accountId, ctx.region, id);
  const exists = () =>
    kind === 'instance'
      ? new DBSnapshotAlreadyExistsFault(`Cannot create the snapshot because a snapshot with the identifier ${id} already exists.`)
      : new DBClusterSnapshotAlreadyExistsFault(`Cannot create the cluster snapshot because one with the identifier ${id} already exists.`);
  if (existing) throw exists();
  const record: SnapshotRecord = {
    accountId: ctx.accountId,
    region: ctx.region,
    id,
    arn: `arn:aws:rds:${ctx.region}:${ctx.accountId}:${kind === 'instance' ? 'snapshot' : 'cluster-snapshot'}:${id}`,
    kind,
    sourceId: source.id,
    snapshotType: 'manual',
    status: 'creating',
    createdTime: new Date().toISOString(),
    engine: source.engine,
    allocatedStorage: 'allocatedStorage' in source ? source.allocatedStorage : 1,
    instanceClass: 'instanceClass' in source ? source.instanceClass : undefined,
    tags,
  };
  try {
    await store.snapshots.insert(record);
  } catch (error) {
    if (error instanceof RecordExistsError) throw exists();
    throw error;
  }
  return record;
}

export class SnapshotOperations {
  readonly #d: RdsDeps;

  constructor(deps: RdsDeps) {
    this.#d = deps;
  }

  async createDBSnapshot(input: CreateDBSnapshotRequest, ctx: RequestContext) {
    const id = checkIdentifier('DBSnapshotIdentifier', input.DBSnapshotIdentifier, 255);
    const source = await findInstance(this.#d.store, ctx, input.DBInstanceIdentifier);
    if (source.clusterId) throw invalidParameterValue('The specified instance is a member of a cluster and a snapshot cannot be created directly. Please use the CreateDBClusterSnapshot API instead.');
    if (source.status !== 'available') throw new InvalidDBInstanceStateFault(`Cannot create a snapshot because the database instance ${source.id} is not currently in the available state.`);
    const record = await insertSnapshot(this.#d.store, ctx, 'instance', id, source, tagsOf(input.Tags));
    await this.#d.store.instances.update(ctx.accountId, ctx.region, source.id, (r) => (r.status === 'available' ? { ...r, status: 'backing-up' } : undefined));
    return { DBSnapshot: snapshotShape(record) };
  }

  async createDBClusterSnapshot(input: CreateDBClusterSnapshotRequest, ctx: RequestContext) {
    const id = checkIdentifier('DBClusterSnapshotIdentifier', input.DBClusterSnapshotIdentifier, 255);
    const source = await this.#d.store.clusters.get(ctx.accountId, ctx.region, input.DBClusterIdentifier.toLowerCase());
    if (!source) throw clusterNotFound(input.DBClusterIdentifier);
    if (source.status !== 'available') throw new InvalidDBClusterStateFault(`DBCluster ${source.id} is not in the available state.`);
    const record = await insertSnapshot(this.#d.store, ctx, 'cluster', id, source, tagsOf(input.Tags));
    await this.#d.store.clusters.update(ctx.accountId, ctx.region, source.id, (r) => (r.status === 'available' ? { ...r, status: 'backing-up' } : undefined));
    return { DBClusterSnapshot: clusterSnapshotShape(record) };
  }

  async describeSnapshots(kind: 'instance' | 'cluster', input: DescribeDBSnapshotsRequest & DescribeDBClusterSnapshotsRequest, ctx: RequestContext) {
    const wanted = kind === 'instance' ? input.DBSnapshotIdentifier : input.DBClusterSnapshotIdentifier;
    const source = kind === 'instance' ? input.DBInstanceIdentifier : input.DBClusterIdentifier;
    let records = (await this.#d.store.snapshots.list(ctx.accountId, ctx.region)).filter((s) => s.kind === kind);
    if (wanted) {
      records = records.filter((s) => s.id === wanted.toLowerCase() || s.arn === wanted);
      if (records.length === 0) throw kind === 'instance' ? snapshotNotFound(wanted) : clusterSnapshotNotFound(wanted);
    }
    if (source) records = records.filter((s) => s.sourceId === source.toLowerCase());
    const { items, marker } = page(records, input.MaxRecords, input.Marker);
    return kind === 'instance' ? { DBSnapshots: items.map(snapshotShape), Marker: marker } : { DBClusterSnapshots: items.map(clusterSnapshotShape), Marker: marker };
  }

  async deleteSnapshot(kind: 'instance' | 'cluster', identifier: string, ctx: RequestContext) {
    const record = await this.#d.store.snapshots.get(ctx.accountId, ctx.region, identifier.toLowerCase());
    if (!record || record.kind !== kind) throw kind === 'instance' ? snapshotNotFound(identifier) : clusterSnapshotNotFound(identifier);
    if (record.status === 'creating') throw new InvalidDBSnapshotStateFault(`Cannot delete the snapshot because it is being created.`);
    await this.#d.store.snapshots.delete(ctx.accountId, ctx.region, record.id);
    rmSync(this.#d.host.snapshotPath(record), { recursive: true, force: true });
    const deleted = { ...record, status: 'deleted' as never };
    return kind === 'instance' ? { DBSnapshot: snapshotShape(deleted) } : { DBClusterSnapshot: clusterSnapshotShape(deleted) };
  }

  async restoreDBInstance(input: RestoreDBInstanceFromDBSnapshotRequest, ctx: RequestContext) {
    const id = checkIdentifier('DBInstanceIdentifier', input.DBInstanceIdentifier);
    if (!input.DBSnapshotIdentifier) throw missingParameter('The request must contain the parameter DBSnapshotIdentifier');
    const snapshot = await this.#d.store.snapshots.get(ctx.accountId, ctx.region, input.DBSnapshotIdentifier.toLowerCase());
    if (!snapshot || snapshot.kind !== 'instance') throw snapshotNotFound(input.DBSnapshotIdentifier);
    if (snapshot.status !== 'available') throw new InvalidDBSnapshotStateFault(`Snapshot ${snapshot.id} is not available.`);
    if (await this.#d.store.instances.get(ctx.accountId, ctx.region, id)) throw new DBInstanceAlreadyExistsFault('DB instance already exists');
    const parameters = input.DBParameterGroupName ? await this.#d.groupParameters(ctx, input.DBParameterGroupName, snapshot.engine.family) : snapshot.engine.parameters;
    const port = await this.#d.pickPort(input.Port);
    const record: InstanceRecord = {
      accountId: ctx.accountId,
      region: ctx.region,
      id,
      arn: `arn:aws:rds:${ctx.region}:${ctx.accountId}:db:${id}`,
      resourceId: `db-${randomBytes(13).toString('hex').toUpperCase().slice(0, 26)}`,
      instanceClass: input.DBInstanceClass ?? snapshot.instanceClass ?? 'db.t3.micro',
      status: 'creating',
      createdTime: new Date().toISOString(),
      allocatedStorage: input.AllocatedStorage ?? snapshot.allocatedStorage,
      storageType: input.StorageType ?? 'gp2',
      engine: { ...snapshot.engine, port, parameters },
      manageMasterUserPassword: false,
      parameterGroupName: input.DBParameterGroupName ?? `default.${snapshot.engine.engine}${snapshot.engine.engineVersion.split('.')[0]}`,
      subnetGroupName: input.DBSubnetGroupName,
      vpcSecurityGroupIds: input.VpcSecurityGroupIds ?? [],
      availabilityZone: input.AvailabilityZone ?? `${ctx.region}a`,
      backupRetentionPeriod: input.BackupRetentionPeriod ?? 1,
      multiAz: input.MultiAZ ?? false,
      publiclyAccessible: input.PubliclyAccessible ?? false,
      deletionProtection: input.DeletionProtection ?? false,
      iamDatabaseAuthenticationEnabled: input.EnableIAMDatabaseAuthentication ?? false,
      tags: tagsOf(input.Tags),
      pending: { restoreFromSnapshot: snapshot.id },
    };
    try {
      await this.#d.store.instances.insert(record);
    } catch (error) {
      if (error instanceof RecordExistsError) throw new DBInstanceAlreadyExistsFault('DB instance already exists');
      throw error;
    } finally {
      this.#d.releasePort(port);
    }
    return { DBInstance: instanceShape(record) };
  }
}
