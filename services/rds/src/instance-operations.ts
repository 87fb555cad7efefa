// DB instance operations: create (standalone or as a member of an Aurora cluster), describe, modify,
// reboot/stop/start transitions and delete (with a final snapshot). The engine host does the work.
import { randomBytes } from 'node:crypto';
import type { RequestContext } from '@atoll/core';
import {
  DBInstanceAlreadyExistsFault,
  InvalidDBInstanceStateFault,
  type CreateDBInstanceRequest,
  type DeleteDBInstanceRequest,
  type DescribeDBInstancesRequest,
  type ModifyDBInstanceRequest,
} from '@atoll/aws-models/rds';
import { baseSettings, findInstance, page, tagsOf, type RdsDeps } from './rds-deps.js';
import { clusterNotFound, invalidParameterCombination } from './rds-errors.js';
import { RecordExistsError } from './rds-store.js';
import type { ClusterRecord, EngineSettings, InstanceRecord } from './records.js';
import { instanceShape } from './shapes.js';
import { insertSnapshot } from './snapshot-operations.js';
import { checkDbName, checkIdentifier, checkPassword } from './validation.js';

export class InstanceOperations {
  readonly #d: RdsDeps;

  constructor(deps: RdsDeps) {
    this.#d = deps;
  }

  async createDBInstance(input: CreateDBInstanceRequest, ctx: RequestContext) {
    const id = checkIdentifier('DBInstanceIdentifier', input.DBInstanceIdentifier);
    const arn = `arn:aws:rds:${ctx.region}:${ctx.accountId}:db:${id}`;
    let cluster: ClusterRecord | undefined;
    if (input.DBClusterIdentifier) {
      cluster = await this.#d.store.clusters.get(ctx.accountId, ctx.region, input.DBClusterIdentifier.toLowerCase());
      if (!cluster) throw clusterNotFound(input.DBClusterIdentifier);
      if (input.Engine !== cluster.engine.engine) throw invalidParameterCombination(`The engine name requested for your DB instance (${input.Engine}) doesn't match the engine name of your DB cluster (${cluster.engine.engine}).`);
      if (input.MasterUserPassword !== undefined || input.MasterUsername !== undefined) {
        throw invalidParameterCombination('The requested DB Instance will be a member of a DB Cluster. Set master user name and password for the DB Cluster.');
      }
    } else if (input.Engine.startsWith('aurora')) {
      throw invalidParameterCombination(`The DB instance engine ${input.Engine} must be part of a DB cluster: create the cluster first (CreateDBCluster) and name it in DBClusterIdentifier.`);
    }
    if (await this.#d.store.instances.get(ctx.accountId, ctx.region, id)) throw new DBInstanceAlreadyExistsFault('DB instance already exists');
    let settings: EngineSettings;
    let managed = false;
    let secretArn: string | undefined;
    if (cluster) {
      settings = cluster.engine;
    } else {
      const choice = this.#d.chooseEngine(input.Engine, input.EngineVersion);
      const credentials = await this.#d.credentials(input, choice.family, ctx, id);
      managed = credentials.managed;
      secretArn = credentials.secretArn;
      if (input.DBName) checkDbName(input.DBName, choice.family);
      const port = await this.#d.pickPort(input.Port);
      settings = baseSettings(choice.family, choice.runtime, input.Engine, choice.engineVersion, port, credentials.username, credentials.password, input.DBName);
      try {
        settings.parameters = await this.#d.groupParameters(ctx, input.DBParameterGroupName, choice.family);
      } catch (error) {
        this.#d.releasePort(port);
        throw error;
      }
    }
    const record: InstanceRecord = {
      accountId: ctx.accountId,
      region: ctx.region,
      id,
      arn,
      resourceId: `db-${randomBytes(13).toString('hex').toUpperCase().slice(0, 26)}`,
      instanceClass: input.DBInstanceClass,
      status: cluster ? (cluster.status === 'available' ? 'creating' : 'creating') : 'creating',
      createdTime: new Date().toISOString(),
      allocatedStorage: input.AllocatedStorage ?? (cluster ? 1 : 20),
      storageType: input.StorageType ?? (cluster ? 'aurora' : 'gp2'),
      clusterId: cluster?.id,
      engine: settings,
      manageMasterUserPassword: managed,
      masterUserSecretArn: secretArn,
      parameterGroupName: input.DBParameterGroupName ?? `default.${settings.engine}${settings.engineVersion.split('.')[0]}`,
      subnetGroupName: input.DBSubnetGroupName,
      vpcSecurityGroupIds: input.VpcSecurityGroupIds ?? [],
      availabilityZone: input.AvailabilityZone ?? `${ctx.region}a`,
      backupRetentionPeriod: input.BackupRetentionPeriod ?? 1,
      multiAz: input.MultiAZ ?? false,
      publiclyAccessible: input.PubliclyAccessible ?? false,
      deletionProtection: input.DeletionProtection ?? false,
      iamDatabaseAuthenticationEnabled: input.EnableIAMDatabaseAuthentication ?? false,
      tags: tagsOf(input.Tags),
    };
    try {
      await this.#d.store.instances.insert(record);
    } catch (error) {
      if (error instanceof RecordExistsError) throw new DBInstanceAlreadyExistsFault('DB instance already exists');
      throw error;
    } finally {
      this.#d.releasePort(settings.port);
    }
    return { DBInstance: instanceShape(record, cluster) };
  }

  #instance(ctx: RequestContext, identifier: string): Promise<InstanceRecord> {
    return findInstance(this.#d.store, ctx, identifier);
  }

  async #shape(ctx: RequestContext, record: InstanceRecord, all?: InstanceRecord[]) {
    const cluster = record.clusterId ? await this.#d.store.clusters.get(ctx.accountId, ctx.region, record.clusterId) : undefined;
    const instances = all ?? (record.clusterId ? [] : await this.#d.store.instances.list(ctx.accountId, ctx.region));
    return instanceShape(record, cluster, instances.filter((i) => i.replicaOf === record.id).map((i) => i.id));
  }

  async describeDBInstances(input: DescribeDBInstancesRequest, ctx: RequestContext) {
    if (input.DBInstanceIdentifier) {
      const record = await this.#instance(ctx, input.DBInstanceIdentifier);
      return { DBInstances: [await this.#shape(ctx, record)] };
    }
    const all = await this.#d.store.instances.list(ctx.accountId, ctx.region);
    let records = all;
    for (const filter of input.Filters ?? []) {
      const values = new Set((filter.Values ?? []).map((v) => v.toLowerCase()));
      if (filter.Name === 'db-cluster-id') records = records.filter((r) => r.clusterId && (values.has(r.clusterId) || values.has(`arn:aws:rds:${r.region}:${r.accountId}:cluster:${r.clusterId}`)));
      else if (filter.Name === 'db-instance-id') records = records.filter((r) => values.has(r.id) || values.has(r.arn));
      else if (filter.Name === 'engine') records = records.filter((r) => values.has(r.engine.engine));
    }
    const { items, marker } = page(records, input.MaxRecords, input.Marker);
    return { DBInstances: await Promise.all(items.map((r) => this.#shape(ctx, r, all))), Marker: marker };
  }

  async modifyDBInstance(input: ModifyDBInstanceRequest, ctx: RequestContext) {
    const current = await this.#instance(ctx, input.DBInstanceIdentifier);
    if (input.MasterUserPassword !== undefined) {
      if (current.clusterId) throw invalidParameterCombination('The specified DB Instance is a member of a DB Cluster. Modify master password for the DB Cluster using the ModifyDbCluster API.');
      if (current.replicaOf) throw invalidParameterCombination('The master password of a read replica follows its source DB instance: change it there.');
      checkPassword(input.MasterUserPassword);
    }
    if (input.NewDBInstanceIdentifier !== undefined) throw invalidParameterCombination('Renaming a DB instance (NewDBInstanceIdentifier) is not supported by Atoll.');
    if (input.DBPortNumber !== undefined && input.DBPortNumber !== current.engine.port) throw invalidParameterCombination('Changing DBPortNumber is not supported by Atoll.');
    if (input.EngineVersion !== undefined && input.EngineVersion !== current.engine.engineVersion) {
      throw invalidParameterCombination(`Cannot upgrade ${current.engine.engine} from ${current.engine.engineVersion} to ${input.EngineVersion}: engine upgrades are not supported by Atoll.`);
    }
    const groupParameters =
      input.DBParameterGroupName !== undefined && !current.clusterId ? await this.#d.groupParameters(ctx, input.DBParameterGroupName, current.engine.family) : undefined;
    let managedPassword: string | undefined;
    if (input.ManageMasterUserPassword && !current.manageMasterUserPassword) managedPassword = (await this.#d.managedPassword(ctx, current.id, current.engine.masterUsername)).password;
    const updated = await this.#d.store.instances.update(ctx.accountId, ctx.region, current.id, (record) => {
      if (!['available', 'stopped'].includes(record.status) && input.MasterUserPassword !== undefined) {
        throw new InvalidDBInstanceStateFault(`Database instance is not in available state.`);
      }
      const next: InstanceRecord = { ...record };
      if (input.AllocatedStorage !== undefined) next.allocatedStorage = input.AllocatedStorage;
      if (input.DBInstanceClass !== undefined) next.instanceClass = input.DBInstanceClass;
      if (input.BackupRetentionPeriod !== undefined) next.backupRetentionPeriod = input.BackupRetentionPeriod;
      if (input.DeletionProtection !== undefined) next.deletionProtection = input.DeletionProtection;
      if (input.PubliclyAccessible !== undefined) next.publiclyAccessible = input.PubliclyAccessible;
      if (input.MultiAZ !== undefined) next.multiAz = input.MultiAZ;
      if (input.VpcSecurityGroupIds !== undefined) next.vpcSecurityGroupIds = input.VpcSecurityGroupIds;
      if (input.DBParameterGroupName !== undefined) next.parameterGroupName = input.DBParameterGroupName;
      // The group's parameters reach the engine at its next reboot or start (pending-reboot).
      if (groupParameters !== undefined) next.engine = { ...next.engine, parameters: groupParameters };
      if (input.EnableIAMDatabaseAuthentication !== undefined) next.iamDatabaseAuthenticationEnabled = input.EnableIAMDatabaseAuthentication;
      const password = input.MasterUserPassword ?? managedPassword;
      if (password !== undefined) {
        // Password changes apply at once, as RDS does whatever ApplyImmediately says.
        next.pending = { ...next.pending, masterPassword: password };
        if (record.status === 'available') next.status = 'resetting-master-credentials';
      }
      if (managedPassword !== undefined) next.manageMasterUserPassword = true;
      return next;
    });
    return { DBInstance: await this.#shape(ctx, updated!) };
  }

  async transition(ctx: RequestContext, identifier: string, from: string[], to: InstanceRecord['status']) {
    const current = await this.#instance(ctx, identifier);
    if (current.clusterId && (to === 'stopping' || to === 'starting')) {
      throw new InvalidDBInstanceStateFault(`Cannot ${to === 'stopping' ? 'stop' : 'start'} an instance of a DB cluster: use ${to === 'stopping' ? 'StopDBCluster' : 'StartDBCluster'}.`);
    }
    const updated = await this.#d.store.instances.update(ctx.accountId, ctx.region, current.id, (record) => {
      if (!from.includes(record.status)) {
        throw new InvalidDBInstanceStateFault(
          to === 'starting' ? `Instance ${record.id} is not stopped, cannot be started.` : `Instance ${record.id} is not in available state.`,
        );
      }
      return { ...record, status: to };
    });
    return { DBInstance: await this.#shape(ctx, updated!) };
  }

  async deleteDBInstance(input: DeleteDBInstanceRequest, ctx: RequestContext) {
    const current = await this.#instance(ctx, input.DBInstanceIdentifier);
    if (current.deletionProtection) throw invalidParameterCombination('Cannot delete protected DB Instance, please disable deletion protection and try again.');
    let finalSnapshotId: string | undefined;
    if (current.replicaOf) {
      // A read replica's deletion takes no final snapshot, as in RDS.
      if (input.FinalDBSnapshotIdentifier && !input.SkipFinalSnapshot) throw invalidParameterCombination('FinalDBSnapshotIdentifier can not be specified when deleting a replica instance.');
    } else if (!current.clusterId) {
      if (input.SkipFinalSnapshot && input.FinalDBSnapshotIdentifier) {
        throw invalidParameterCombination('Cannot specify FinalDBSnapshotIdentifier when SkipFinalSnapshot is enabled.');
      }
      if (!input.SkipFinalSnapshot) {
        if (!input.FinalDBSnapshotIdentifier) throw invalidParameterCombination('FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.');
        finalSnapshotId = checkIdentifier('FinalDBSnapshotIdentifier', input.FinalDBSnapshotIdentifier, 255);
        await insertSnapshot(this.#d.store, ctx, 'instance', finalSnapshotId, current, {});
      }
    }
    const updated = await this.#d.store.instances.update(ctx.accountId, ctx.region, current.id, (record) => {
      if (record.status === 'deleting') throw new InvalidDBInstanceStateFault(`Instance ${record.id} is already being deleted.`);
      return { ...record, status: 'deleting', pending: { ...record.pending, finalSnapshotId } };
    });
    // Its read replicas become standalone instances, as RDS promotes them when their source goes.
    for (const replica of await this.#d.store.instances.list(ctx.accountId, ctx.region)) {
      if (replica.replicaOf !== current.id) continue;
      await this.#d.store.instances.update(ctx.accountId, ctx.region, replica.id, (r) =>
        r.replicaOf === current.id && r.status !== 'deleting' ? { ...r, status: r.status === 'available' ? 'modifying' : r.status, pending: { ...r.pending, promote: true } } : undefined,
      );
    }
    return { DBInstance: await this.#shape(ctx, updated!) };
  }

}
