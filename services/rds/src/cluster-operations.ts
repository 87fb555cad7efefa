// Aurora DB cluster operations: create, describe, modify (password, HTTP endpoint, settings) and delete. A cluster owns one engine; its DB
// instances are records sharing it (instance-operations.ts).
import { randomBytes } from 'node:crypto';
import type { RequestContext } from '@atoll/core';
import {
  DBClusterAlreadyExistsFault,
  InvalidDBClusterStateFault,
  type CreateDBClusterRequest,
  type DeleteDBClusterRequest,
  type DescribeDBClustersRequest,
  type ModifyDBClusterRequest,
} from '@atoll/aws-models/rds';
import { baseSettings, page, tagsOf, type RdsDeps } from './rds-deps.js';
import { clusterNotFound, invalidParameterCombination, invalidParameterValue } from './rds-errors.js';
import { RecordExistsError } from './rds-store.js';
import type { ClusterRecord } from './records.js';
import { clusterShape } from './shapes.js';
import { insertSnapshot } from './snapshot-operations.js';
import { checkDbName, checkIdentifier, checkPassword } from './validation.js';

export class ClusterOperations {
  readonly #d: RdsDeps;

  constructor(deps: RdsDeps) {
    this.#d = deps;
  }

  async createDBCluster(input: CreateDBClusterRequest, ctx: RequestContext) {
    const id = checkIdentifier('DBClusterIdentifier', input.DBClusterIdentifier);
    const choice = this.#d.chooseEngine(input.Engine, input.EngineVersion);
    if (await this.#d.store.clusters.get(ctx.accountId, ctx.region, id)) throw new DBClusterAlreadyExistsFault('DB Cluster already exists');
    const credentials = await this.#d.credentials(input, choice.family, ctx, id);
    if (input.DatabaseName) checkDbName(input.DatabaseName, choice.family);
    const port = await this.#d.pickPort(input.Port);
    const record: ClusterRecord = {
      accountId: ctx.accountId,
      region: ctx.region,
      id,
      arn: `arn:aws:rds:${ctx.region}:${ctx.accountId}:cluster:${id}`,
      resourceId: `cluster-${randomBytes(13).toString('hex').toUpperCase().slice(0, 26)}`,
      status: 'creating',
      createdTime: new Date().toISOString(),
      engine: baseSettings(choice.family, choice.runtime, input.Engine, choice.engineVersion, port, credentials.username, credentials.password, input.DatabaseName),
      engineMode: input.EngineMode ?? 'provisioned',
      parameterGroupName: input.DBClusterParameterGroupName ?? `default.${input.Engine}${choice.engineVersion.split('.')[0]}`,
      subnetGroupName: input.DBSubnetGroupName,
      vpcSecurityGroupIds: input.VpcSecurityGroupIds ?? [],
      backupRetentionPeriod: input.BackupRetentionPeriod ?? 1,
      deletionProtection: input.DeletionProtection ?? false,
      httpEndpointEnabled: input.EnableHttpEndpoint ?? false,
      iamDatabaseAuthenticationEnabled: input.EnableIAMDatabaseAuthentication ?? false,
      tags: tagsOf(input.Tags),
    };
    try {
      await this.#d.store.clusters.insert(record);
    } catch (error) {
      if (error instanceof RecordExistsError) throw new DBClusterAlreadyExistsFault('DB Cluster already exists');
      throw error;
    } finally {
      this.#d.releasePort(port);
    }
    return { DBCluster: clusterShape(record, []) };
  }

  async #clusterShape(record: ClusterRecord) {
    const members = (await this.#d.store.instances.list(record.accountId, record.region)).filter((i) => i.clusterId === record.id);
    members.sort((a, b) => a.createdTime.localeCompare(b.createdTime));
    return clusterShape(record, members);
  }

  async describeDBClusters(input: DescribeDBClustersRequest, ctx: RequestContext) {
    if (input.DBClusterIdentifier) {
      const record = await this.#d.store.clusters.get(ctx.accountId, ctx.region, input.DBClusterIdentifier.toLowerCase());
      if (!record) throw clusterNotFound(input.DBClusterIdentifier);
      return { DBClusters: [await this.#clusterShape(record)] };
    }
    const { items, marker } = page(await this.#d.store.clusters.list(ctx.accountId, ctx.region), input.MaxRecords, input.Marker);
    return { DBClusters: await Promise.all(items.map((r) => this.#clusterShape(r))), Marker: marker };
  }

  async deleteDBCluster(input: DeleteDBClusterRequest, ctx: RequestContext) {
    const current = await this.#d.store.clusters.get(ctx.accountId, ctx.region, input.DBClusterIdentifier.toLowerCase());
    if (!current) throw clusterNotFound(input.DBClusterIdentifier);
    if (current.deletionProtection) throw invalidParameterCombination('Cannot delete protected Cluster, please disable deletion protection and try again.');
    const members = (await this.#d.store.instances.list(ctx.accountId, ctx.region)).filter((i) => i.clusterId === current.id && i.status !== 'deleting');
    if (members.length > 0) throw new InvalidDBClusterStateFault('Cluster cannot be deleted, it still contains DB instances in non-deleting state.');
    let finalSnapshotId: string | undefined;
    if (!input.SkipFinalSnapshot) {
      if (!input.FinalDBSnapshotIdentifier) throw invalidParameterCombination('FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.');
      finalSnapshotId = checkIdentifier('FinalDBSnapshotIdentifier', input.FinalDBSnapshotIdentifier, 255);
      await insertSnapshot(this.#d.store, ctx, 'cluster', finalSnapshotId, current, {});
    }
    const updated = await this.#d.store.clusters.update(ctx.accountId, ctx.region, current.id, (record) => ({ ...record, status: 'deleting', pending: { ...record.pending, finalSnapshotId } }));
    return { DBCluster: await this.#clusterShape(updated!) };
  }

  async modifyDBCluster(input: ModifyDBClusterRequest, ctx: RequestContext) {
    const current = await this.#d.store.clusters.get(ctx.accountId, ctx.region, input.DBClusterIdentifier.toLowerCase());
    if (!current) throw clusterNotFound(input.DBClusterIdentifier);
    if (input.MasterUserPassword !== undefined) checkPassword(input.MasterUserPassword);
    if (input.NewDBClusterIdentifier !== undefined) throw invalidParameterCombination('Renaming a DB cluster (NewDBClusterIdentifier) is not supported by Atoll.');
    if (input.Port !== undefined && input.Port !== current.engine.port) throw invalidParameterCombination('Changing Port is not supported by Atoll.');
    if (input.EngineVersion !== undefined && input.EngineVersion !== current.engine.engineVersion) {
      throw invalidParameterCombination(`Cannot upgrade ${current.engine.engine} from ${current.engine.engineVersion} to ${input.EngineVersion}: engine upgrades are not supported by Atoll.`);
    }
    if (input.ManageMasterUserPassword !== undefined || input.RotateMasterUserPassword !== undefined) {
      throw invalidParameterCombination('ManageMasterUserPassword on a DB cluster is not supported by Atoll: set MasterUserPassword.');
    }
    const updated = await this.#d.store.clusters.update(ctx.accountId, ctx.region, current.id, (record) => {
      if (input.MasterUserPassword !== undefined && !['available', 'stopped'].includes(record.status)) {
        throw new InvalidDBClusterStateFault(`DBCluster ${record.id} is not in the available state.`);
      }
      const next: ClusterRecord = { ...record };
      if (input.BackupRetentionPeriod !== undefined) next.backupRetentionPeriod = input.BackupRetentionPeriod;
      if (input.DeletionProtection !== undefined) next.deletionProtection = input.DeletionProtection;
      if (input.EnableHttpEndpoint !== undefined) next.httpEndpointEnabled = input.EnableHttpEndpoint;
      if (input.EnableIAMDatabaseAuthentication !== undefined) next.iamDatabaseAuthenticationEnabled = input.EnableIAMDatabaseAuthentication;
      if (input.VpcSecurityGroupIds !== undefined) next.vpcSecurityGroupIds = input.VpcSecurityGroupIds;
      if (input.MasterUserPassword !== undefined) {
        // Applied at once by the engine host, as RDS does whatever ApplyImmediately says.
        next.pending = { ...next.pending, masterPassword: input.MasterUserPassword };
        if (record.status === 'available') next.status = 'resetting-master-credentials';
      }
      return next;
    });
    return { DBCluster: await this.#clusterShape(updated!) };
  }

  /** EnableHttpEndpoint / DisableHttpEndpoint: the Data API for an Aurora cluster. */
  async setHttpEndpoint(resourceArn: string, enabled: boolean, ctx: RequestContext) {
    const match = /^arn:aws[\w-]*:rds:([^:]+):(\d{12}):cluster:(.+)$/.exec(resourceArn ?? '');
    if (!match) throw invalidParameterValue(`Invalid resource ARN: ${resourceArn}. Enable the HTTP endpoint on an Aurora DB cluster.`);
    const current = match[1] === ctx.region && match[2] === ctx.accountId ? await this.#d.store.clusters.get(ctx.accountId, ctx.region, match[3]!.toLowerCase()) : undefined;
    if (!current) throw clusterNotFound(match[3]!);
    await this.#d.store.clusters.update(ctx.accountId, ctx.region, current.id, (record) => ({ ...record, httpEndpointEnabled: enabled }));
    return { ResourceArn: current.arn, HttpEndpointEnabled: enabled };
  }
}
