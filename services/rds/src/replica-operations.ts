// Read replicas of RDS for PostgreSQL instances on a real server: CreateDBInstanceReadReplica makes
// a new instance whose engine is a streaming standby of the source (pg_basebackup -R, on its own
// port), PromoteReadReplica ends its recovery. The engine host does the engine work.
import { randomBytes } from 'node:crypto';
import type { RequestContext } from '@atoll/core';
import {
  DBInstanceAlreadyExistsFault,
  InvalidDBInstanceStateFault,
  type CreateDBInstanceReadReplicaRequest,
  type PromoteReadReplicaRequest,
} from '@atoll/aws-models/rds';
import { findInstance, tagsOf, type RdsDeps } from './rds-deps.js';
import { invalidParameterCombination, missingParameter } from './rds-errors.js';
import { RecordExistsError } from './rds-store.js';
import type { InstanceRecord } from './records.js';
import { instanceShape } from './shapes.js';
import { checkIdentifier } from './validation.js';

export class ReplicaOperations {
  readonly #d: RdsDeps;

  constructor(deps: RdsDeps) {
    this.#d = deps;
  }

  async createReadReplica(input: CreateDBInstanceReadReplicaRequest, ctx: RequestContext) {
    const id = checkIdentifier('DBInstanceIdentifier', input.DBInstanceIdentifier);
    if (!input.SourceDBInstanceIdentifier) throw missingParameter('The request must contain the parameter SourceDBInstanceIdentifier');
    const sourceId = /^arn:aws[\w-]*:rds:[^:]+:\d{12}:db:(.+)$/.exec(input.SourceDBInstanceIdentifier)?.[1] ?? input.SourceDBInstanceIdentifier;
    const source = await findInstance(this.#d.store, ctx, sourceId);
    if (source.clusterId) throw invalidParameterCombination('The source DB instance is a member of a DB cluster: add an instance to the cluster instead (CreateDBInstance with DBClusterIdentifier).');
    if (source.engine.family !== 'postgres') {
      throw invalidParameterCombination(`Read replicas of ${source.engine.engine} instances are not supported by Atoll (PostgreSQL only).`);
    }
    if (source.engine.runtime !== 'process') {
      throw invalidParameterCombination('Read replicas need the PostgreSQL server (install postgresql): the embedded engine cannot stream its changes.');
    }
    if (source.status !== 'available') throw new InvalidDBInstanceStateFault(`DB Instance ${source.id} is not in available state.`);
    if (source.backupRetentionPeriod === 0) throw new InvalidDBInstanceStateFault(`Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value.`);
    if (await this.#d.store.instances.get(ctx.accountId, ctx.region, id)) throw new DBInstanceAlreadyExistsFault('DB instance already exists');
    const parameters = input.DBParameterGroupName ? await this.#d.groupParameters(ctx, input.DBParameterGroupName, source.engine.family) : source.engine.parameters;
    const port = await this.#d.pickPort(input.Port);
    const record: InstanceRecord = {
      accountId: ctx.accountId,
      region: ctx.region,
      id,
      arn: `arn:aws:rds:${ctx.region}:${ctx.accountId}:db:${id}`,
      resourceId: `db-${randomBytes(13).toString('hex').toUpperCase().slice(0, 26)}`,
      instanceClass: input.DBInstanceClass ?? source.instanceClass,
      status: 'creating',
      createdTime: new Date().toISOString(),
      allocatedStorage: source.allocatedStorage,
      storageType: input.StorageType ?? source.storageType,
      replicaOf: source.id,
      engine: { ...source.engine, port, parameters },
      manageMasterUserPassword: false,
      parameterGroupName: input.DBParameterGroupName ?? source.parameterGroupName,
      subnetGroupName: input.DBSubnetGroupName ?? source.subnetGroupName,
      vpcSecurityGroupIds: input.VpcSecurityGroupIds ?? source.vpcSecurityGroupIds,
      availabilityZone: input.AvailabilityZone ?? source.availabilityZone,
      backupRetentionPeriod: 0,
      multiAz: input.MultiAZ ?? false,
      publiclyAccessible: input.PubliclyAccessible ?? source.publiclyAccessible,
      deletionProtection: input.DeletionProtection ?? false,
      iamDatabaseAuthenticationEnabled: input.EnableIAMDatabaseAuthentication ?? source.iamDatabaseAuthenticationEnabled,
      tags: tagsOf(input.Tags),
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

  async promoteReadReplica(input: PromoteReadReplicaRequest, ctx: RequestContext) {
    const current = await findInstance(this.#d.store, ctx, input.DBInstanceIdentifier);
    if (!current.replicaOf) throw new InvalidDBInstanceStateFault(`DB Instance ${current.id} is not a read replica.`);
    const updated = await this.#d.store.instances.update(ctx.accountId, ctx.region, current.id, (record) => {
      if (record.status !== 'available') throw new InvalidDBInstanceStateFault(`DB Instance ${record.id} is not in available state.`);
      return {
        ...record,
        status: 'modifying',
        backupRetentionPeriod: input.BackupRetentionPeriod ?? 1,
        pending: { ...record.pending, promote: true },
      };
    });
    return { DBInstance: instanceShape(updated!) };
  }
}
