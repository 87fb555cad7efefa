// Amazon RDS (query protocol) over real database engines: each DB instance (postgres, mysql,
// mariadb) and each Aurora cluster (aurora-postgresql, aurora-mysql) is a real PostgreSQL or MariaDB
// server process on 127.0.0.1, or the embedded PGlite engine for PostgreSQL where no server is
// installed. The provider keeps the records; the engine host (engine-host.ts) makes the engines match.
//
// Known limitations:
// - Endpoints are 127.0.0.1 and a port of this host. Without `Port`, a free port is chosen (never
//   5432 or 3306): read Endpoint.Port. A requested Port that is taken answers InvalidParameterValue.
// - The master user is a superuser of the engine (RDS's is rds_superuser / has all privileges except
//   SUPER). `mysql` and `aurora-mysql` run on MariaDB (the requested EngineVersion is reported);
//   `mariadb` versions must match the installed minor version; PostgreSQL versions must match an
//   installed major version (or PGlite's 18 for the embedded engine).
// - Aurora clusters: the cluster has one engine; its instances are records sharing it (writer and
//   reader endpoints are the same server). No replicas, failover, Serverless scaling or global clusters.
// - Snapshots are real backups (pg_basebackup, mariadb-dump, PGlite dumps) kept under the blob
//   directory; RestoreDBInstanceFromDBSnapshot makes a new instance with the data; no point-in-time
//   restore, automated backups, snapshot copy/share/export or RestoreDBClusterFromSnapshot.
// - ManageMasterUserPassword generates a password kept in the platform (MasterUserSecret names a
//   Secrets Manager ARN only when that service is served and accepted the secret).
// - DB parameter groups (not cluster parameter groups) are applied to the engine's configuration at
//   its next start or reboot, every parameter as pending-reboot; parameters that would run commands
//   or move files or listeners (archive_command, data_directory, port, init_file, …) are refused.
//   Option groups, subnet groups and security groups are recorded by name only. ModifyDBInstance
//   applies MasterUserPassword at once (whatever ApplyImmediately says) and records DeletionProtection,
//   BackupRetentionPeriod, AllocatedStorage, DBInstanceClass and the like; renaming, port and engine
//   version changes answer InvalidParameterCombination.
// - Not implemented (501): the Data API (rds-data model absent), IAM database authentication tokens
//   (EnableIAMDatabaseAuthentication is recorded only), read replicas, proxies, blue/green deployments,
//   event subscriptions, DescribeDBEngineVersions and the rest of the model.
// - Engines run on the node that leads `rds:engines`; a change made on another node is applied there
//   moments later. Engine data lives in `<dataDir>/rds/engines`, templates in the cache directory
//   (engines/cache-dir.ts), snapshots under the blob directory.
//   When the platform runs as root, engines run as the postgres/mysql users, and the data directory's
//   ancestors get the others' execute bit so that those users can reach it.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { rmSync } from 'node:fs';
import type { IamRequest, OperationHandler, PlatformContext, RequestContext, ServiceProvider } from '@atoll/core';
import {
  DBClusterAlreadyExistsFault,
  DBClusterSnapshotAlreadyExistsFault,
  DBInstanceAlreadyExistsFault,
  DBSnapshotAlreadyExistsFault,
  InvalidDBClusterStateFault,
  InvalidDBInstanceStateFault,
  InvalidDBSnapshotStateFault,
  type AddTagsToResourceRequest,
  type CreateDBClusterRequest,
  type CreateDBClusterSnapshotRequest,
  type CreateDBInstanceRequest,
  type CreateDBSnapshotRequest,
  type DeleteDBClusterRequest,
  type DeleteDBClusterSnapshotRequest,
  type DeleteDBInstanceRequest,
  type DeleteDBSnapshotRequest,
  type DescribeDBClusterSnapshotsRequest,
  type DescribeDBClustersRequest,
  type DescribeDBInstancesRequest,
  type DescribeDBSnapshotsRequest,
  type ListTagsForResourceRequest,
  type ModifyDBInstanceRequest,
  type RebootDBInstanceRequest,
  type RemoveTagsFromResourceRequest,
  type RestoreDBInstanceFromDBSnapshotRequest,
  type StartDBInstanceRequest,
  type StopDBInstanceRequest,
  type Tag,
  type CreateDBParameterGroupRequest,
  type ModifyDBParameterGroupRequest,
  type DescribeDBParameterGroupsRequest,
  type DescribeDBParametersRequest,
  type DeleteDBParameterGroupRequest,
} from '@atoll/aws-models/rds';
import { EngineHost } from './engine-host.js';
import { EngineCatalog } from './engines/engine-catalog.js';
import { ParameterGroups, familyOf } from './parameter-groups.js';
import {
  clusterNotFound,
  clusterSnapshotNotFound,
  instanceNotFound,
  invalidParameterCombination,
  invalidParameterValue,
  missingParameter,
  snapshotNotFound,
} from './rds-errors.js';
import { RdsStore, RecordExistsError } from './rds-store.js';
import type { ClusterRecord, EngineFamily, EngineSettings, InstanceRecord, SnapshotRecord } from './records.js';
import { clusterShape, clusterSnapshotShape, instanceShape, snapshotShape } from './shapes.js';
import { checkDbName, checkIdentifier, checkMasterUsername, checkPassword } from './validation.js';

const RESERVED_PORTS = new Set([5432, 3306, 6379, 5672, 1883, 4222]);

function tagsOf(tags: Tag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key) out[tag.Key] = tag.Value ?? '';
  return out;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function page<T>(items: T[], maxRecords: number | undefined, marker: string | undefined): { items: T[]; marker?: string } {
  const size = Math.min(Math.max(maxRecords ?? 100, 20), 100);
  const start = marker ? Number(Buffer.from(marker, 'base64url').toString()) || 0 : 0;
  const slice = items.slice(start, start + size);
  return { items: slice, marker: start + size < items.length ? Buffer.from(String(start + size)).toString('base64url') : undefined };
}

export interface RdsOptions {
  /** `embedded` serves PostgreSQL engines with PGlite even where a server is installed (tests, benches). */
  postgres?: 'auto' | 'embedded' | 'process';
}

export class RdsProvider implements ServiceProvider {
  readonly service = 'rds';
  readonly operations: Partial<Record<string, OperationHandler>>;
  readonly store: RdsStore;
  readonly host: EngineHost;
  readonly catalog: EngineCatalog;
  readonly #platform: PlatformContext;
  #stopLeading: (() => void) | undefined;
  #unlisten: (() => void) | undefined;
  readonly #portsAsked = new Set<number>();
  readonly #groups: ParameterGroups;

  constructor(platform: PlatformContext, store: RdsStore, options: RdsOptions = {}) {
    this.#platform = platform;
    this.store = store;
    const mode = options.postgres ?? ((process.env.ATOLL_RDS_POSTGRES as RdsOptions['postgres']) || 'auto');
    this.catalog = new EngineCatalog(mode);
    this.#groups = new ParameterGroups(store);
    this.host = new EngineHost(store, this.catalog, platform.logger.child({ service: 'rds' }), platform.config.dataDir, platform.storage);
    this.operations = {
      CreateDBInstance: (input: CreateDBInstanceRequest, ctx: RequestContext) => this.createDBInstance(input, ctx),
      DescribeDBInstances: (input: DescribeDBInstancesRequest, ctx: RequestContext) => this.describeDBInstances(input, ctx),
      ModifyDBInstance: (input: ModifyDBInstanceRequest, ctx: RequestContext) => this.modifyDBInstance(input, ctx),
      DeleteDBInstance: (input: DeleteDBInstanceRequest, ctx: RequestContext) => this.deleteDBInstance(input, ctx),
      RebootDBInstance: (input: RebootDBInstanceRequest, ctx: RequestContext) => this.#transition(ctx, input.DBInstanceIdentifier, ['available'], 'rebooting'),
      StopDBInstance: (input: StopDBInstanceRequest, ctx: RequestContext) => this.#transition(ctx, input.DBInstanceIdentifier, ['available'], 'stopping'),
      StartDBInstance: (input: StartDBInstanceRequest, ctx: RequestContext) => this.#transition(ctx, input.DBInstanceIdentifier, ['stopped'], 'starting'),
      CreateDBSnapshot: (input: CreateDBSnapshotRequest, ctx: RequestContext) => this.createDBSnapshot(input, ctx),
      DescribeDBSnapshots: (input: DescribeDBSnapshotsRequest, ctx: RequestContext) => this.describeSnapshots('instance', input, ctx),
      DeleteDBSnapshot: (input: DeleteDBSnapshotRequest, ctx: RequestContext) => this.deleteSnapshot('instance', input.DBSnapshotIdentifier, ctx),
      RestoreDBInstanceFromDBSnapshot: (input: RestoreDBInstanceFromDBSnapshotRequest, ctx: RequestContext) => this.restoreDBInstance(input, ctx),
      CreateDBCluster: (input: CreateDBClusterRequest, ctx: RequestContext) => this.createDBCluster(input, ctx),
      DescribeDBClusters: (input: DescribeDBClustersRequest, ctx: RequestContext) => this.describeDBClusters(input, ctx),
      DeleteDBCluster: (input: DeleteDBClusterRequest, ctx: RequestContext) => this.deleteDBCluster(input, ctx),
      CreateDBClusterSnapshot: (input: CreateDBClusterSnapshotRequest, ctx: RequestContext) => this.createDBClusterSnapshot(input, ctx),
      DescribeDBClusterSnapshots: (input: DescribeDBClusterSnapshotsRequest, ctx: RequestContext) => this.describeSnapshots('cluster', input, ctx),
      DeleteDBClusterSnapshot: (input: DeleteDBClusterSnapshotRequest, ctx: RequestContext) => this.deleteSnapshot('cluster', input.DBClusterSnapshotIdentifier, ctx),
      AddTagsToResource: (input: AddTagsToResourceRequest, ctx: RequestContext) => this.#changeTags(input.ResourceName, ctx, (tags) => Object.assign(tags, tagsOf(input.Tags))),
      RemoveTagsFromResource: (input: RemoveTagsFromResourceRequest, ctx: RequestContext) =>
        this.#changeTags(input.ResourceName, ctx, (tags) => {
          for (const key of input.TagKeys ?? []) delete tags[key];
          return tags;
        }),
      ListTagsForResource: (input: ListTagsForResourceRequest, ctx: RequestContext) => this.listTags(input, ctx),
      CreateDBParameterGroup: (input: CreateDBParameterGroupRequest, ctx: RequestContext) => this.#groups.create(input, ctx),
      ModifyDBParameterGroup: (input: ModifyDBParameterGroupRequest, ctx: RequestContext) => this.#groups.modify(input, ctx),
      DescribeDBParameterGroups: (input: DescribeDBParameterGroupsRequest, ctx: RequestContext) => this.#groups.describe(input, ctx),
      DescribeDBParameters: (input: DescribeDBParametersRequest, ctx: RequestContext) => this.#groups.parameters(input, ctx),
      DeleteDBParameterGroup: (input: DeleteDBParameterGroupRequest, ctx: RequestContext) => this.#groups.delete(input, ctx),
    };
  }

  static async create(platform: PlatformContext, options?: RdsOptions): Promise<RdsProvider> {
    return new RdsProvider(platform, await RdsStore.open(platform.storage), options);
  }

  start(): void {
    this.#stopLeading = this.#platform.storage.leadership.lead('rds:engines', async (signal) => {
      this.host.activate();
      this.#unlisten = this.store.onChange(() => this.host.kick());
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      this.#unlisten?.();
      await this.host.deactivate();
    });
  }

  async close(): Promise<void> {
    this.#stopLeading?.();
    this.#unlisten?.();
    await this.host.close();
    await this.store.close();
  }

  authorization(operation: string, input: Record<string, unknown>, scope: { accountId: string; region: string }): IamRequest | undefined {
    const arn = (kind: string, id: unknown) => `arn:aws:rds:${scope.region}:${scope.accountId}:${kind}:${String(id).toLowerCase()}`;
    if (typeof input.ResourceName === 'string') return { resources: [input.ResourceName] };
    const resources: string[] = [];
    if (typeof input.DBInstanceIdentifier === 'string') resources.push(arn('db', input.DBInstanceIdentifier));
    if (typeof input.DBClusterIdentifier === 'string') resources.push(arn('cluster', input.DBClusterIdentifier));
    if (typeof input.DBSnapshotIdentifier === 'string') resources.push(arn('snapshot', input.DBSnapshotIdentifier));
    if (typeof input.DBClusterSnapshotIdentifier === 'string') resources.push(arn('cluster-snapshot', input.DBClusterSnapshotIdentifier));
    if (typeof input.DBParameterGroupName === 'string') resources.push(arn('pg', input.DBParameterGroupName));
    return resources.length > 0 ? { resources } : undefined;
  }

  // ---- engines and ports ----

  #chooseEngine(engine: string, version: string | undefined): { family: EngineFamily; runtime: 'process' | 'pglite'; engineVersion: string } {
    const choice = this.catalog.choose(engine, version);
    if (choice.refusal) {
      throw choice.refusal.code === 'InvalidParameterValue' ? invalidParameterValue(choice.refusal.message) : invalidParameterCombination(choice.refusal.message);
    }
    return choice;
  }

  async #usedPorts(): Promise<Set<number>> {
    const used = new Set<number>(this.#portsAsked);
    for (const record of [...(await this.store.instances.all()), ...(await this.store.clusters.all())]) {
      if (!('clusterId' in record && record.clusterId)) used.add(record.engine.port);
    }
    return used;
  }

  async #pickPort(requested: number | undefined): Promise<number> {
    const used = await this.#usedPorts();
    if (requested !== undefined) {
      if (requested < 1150 || requested > 65535) throw invalidParameterValue(`Invalid port ${requested}: the port must be from 1150 to 65535.`);
      if (used.has(requested) || !(await portIsFree(requested))) throw invalidParameterValue(`The port ${requested} is already in use on this host.`);
      this.#portsAsked.add(requested);
      return requested;
    }
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = await freePort();
      if (!used.has(port) && !RESERVED_PORTS.has(port)) {
        this.#portsAsked.add(port);
        return port;
      }
    }
    throw invalidParameterValue('No free port is left on this host.');
  }

  async #managedPassword(ctx: RequestContext, name: string, username: string): Promise<{ password: string; secretArn?: string }> {
    const password = randomBytes(18).toString('base64url');
    try {
      const out = await this.#platform.call<{ ARN?: string }>(
        'secretsmanager',
        'CreateSecret',
        { Name: `rds!${name}-${randomUUID()}`, SecretString: JSON.stringify({ username, password }) },
        { accountId: ctx.accountId, region: ctx.region },
      );
      return { password, secretArn: out.ARN };
    } catch {
      return { password };
    }
  }

  #baseSettings(
    family: EngineFamily,
    runtime: 'process' | 'pglite',
    engine: string,
    engineVersion: string,
    port: number,
    masterUsername: string,
    masterPassword: string,
    dbName: string | undefined,
  ): EngineSettings {
    return { engine, engineVersion, family, runtime, port, masterUsername, masterPassword, dbName, parameters: {} };
  }

  async #credentials(
    input: { MasterUsername?: string; MasterUserPassword?: string; ManageMasterUserPassword?: boolean },
    family: EngineFamily,
    ctx: RequestContext,
    id: string,
  ): Promise<{ username: string; password: string; managed: boolean; secretArn?: string }> {
    if (!input.MasterUsername) throw missingParameter('The request must contain the parameter MasterUsername');
    checkMasterUsername(input.MasterUsername, family);
    if (input.ManageMasterUserPassword) {
      if (input.MasterUserPassword !== undefined) throw invalidParameterCombination('You can\'t specify MasterUserPassword and ManageMasterUserPassword at the same time.');
      const managed = await this.#managedPassword(ctx, id, input.MasterUsername);
      return { username: input.MasterUsername, password: managed.password, managed: true, secretArn: managed.secretArn };
    }
    if (input.MasterUserPassword === undefined) throw missingParameter('The request must contain the parameter MasterUserPassword');
    checkPassword(input.MasterUserPassword);
    return { username: input.MasterUsername, password: input.MasterUserPassword, managed: false };
  }

  /** The parameters of a DB parameter group for an engine family (default groups have none). */
  async #groupParameters(ctx: RequestContext, name: string | undefined, family: EngineFamily): Promise<Record<string, string>> {
    if (!name) return {};
    const group = await this.#groups.get(ctx, name);
    if (!group) return {};
    if (familyOf(group.family) !== family) {
      throw invalidParameterCombination(`The parameter group ${group.name} with DBParameterGroupFamily ${group.family} cannot be used for this instance. Please use a Parameter Group with a DBParameterGroupFamily of the instance's engine.`);
    }
    return { ...group.parameters };
  }

  // ---- DB instances ----

  async createDBInstance(input: CreateDBInstanceRequest, ctx: RequestContext) {
    const id = checkIdentifier('DBInstanceIdentifier', input.DBInstanceIdentifier);
    const arn = `arn:aws:rds:${ctx.region}:${ctx.accountId}:db:${id}`;
    let cluster: ClusterRecord | undefined;
    if (input.DBClusterIdentifier) {
      cluster = await this.store.clusters.get(ctx.accountId, ctx.region, input.DBClusterIdentifier.toLowerCase());
      if (!cluster) throw clusterNotFound(input.DBClusterIdentifier);
      if (input.Engine !== cluster.engine.engine) throw invalidParameterCombination(`The engine name requested for your DB instance (${input.Engine}) doesn't match the engine name of your DB cluster (${cluster.engine.engine}).`);
      if (input.MasterUserPassword !== undefined || input.MasterUsername !== undefined) {
        throw invalidParameterCombination('The requested DB Instance will be a member of a DB Cluster. Set master user name and password for the DB Cluster.');
      }
    } else if (input.Engine.startsWith('aurora')) {
      throw invalidParameterCombination(`The DB instance engine ${input.Engine} must be part of a DB cluster: create the cluster first (CreateDBCluster) and name it in DBClusterIdentifier.`);
    }
    if (await this.store.instances.get(ctx.accountId, ctx.region, id)) throw new DBInstanceAlreadyExistsFault('DB instance already exists');
    let settings: EngineSettings;
    let managed = false;
    let secretArn: string | undefined;
    if (cluster) {
      settings = cluster.engine;
    } else {
      const choice = this.#chooseEngine(input.Engine, input.EngineVersion);
      const credentials = await this.#credentials(input, choice.family, ctx, id);
      managed = credentials.managed;
      secretArn = credentials.secretArn;
      if (input.DBName) checkDbName(input.DBName, choice.family);
      const port = await this.#pickPort(input.Port);
      settings = this.#baseSettings(choice.family, choice.runtime, input.Engine, choice.engineVersion, port, credentials.username, credentials.password, input.DBName);
      try {
        settings.parameters = await this.#groupParameters(ctx, input.DBParameterGroupName, choice.family);
      } catch (error) {
        this.#portsAsked.delete(port);
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
      await this.store.instances.insert(record);
    } catch (error) {
      if (error instanceof RecordExistsError) throw new DBInstanceAlreadyExistsFault('DB instance already exists');
      throw error;
    } finally {
      this.#portsAsked.delete(settings.port);
    }
    return { DBInstance: instanceShape(record, cluster) };
  }

  async #instance(ctx: RequestContext, identifier: string): Promise<InstanceRecord> {
    const record = await this.store.instances.get(ctx.accountId, ctx.region, identifier.toLowerCase());
    if (!record) throw instanceNotFound(identifier);
    return record;
  }

  async #shape(ctx: RequestContext, record: InstanceRecord) {
    const cluster = record.clusterId ? await this.store.clusters.get(ctx.accountId, ctx.region, record.clusterId) : undefined;
    return instanceShape(record, cluster);
  }

  async describeDBInstances(input: DescribeDBInstancesRequest, ctx: RequestContext) {
    if (input.DBInstanceIdentifier) {
      const record = await this.#instance(ctx, input.DBInstanceIdentifier);
      return { DBInstances: [await this.#shape(ctx, record)] };
    }
    let records = await this.store.instances.list(ctx.accountId, ctx.region);
    for (const filter of input.Filters ?? []) {
      const values = new Set((filter.Values ?? []).map((v) => v.toLowerCase()));
      if (filter.Name === 'db-cluster-id') records = records.filter((r) => r.clusterId && (values.has(r.clusterId) || values.has(`arn:aws:rds:${r.region}:${r.accountId}:cluster:${r.clusterId}`)));
      else if (filter.Name === 'db-instance-id') records = records.filter((r) => values.has(r.id) || values.has(r.arn));
      else if (filter.Name === 'engine') records = records.filter((r) => values.has(r.engine.engine));
    }
    const { items, marker } = page(records, input.MaxRecords, input.Marker);
    return { DBInstances: await Promise.all(items.map((r) => this.#shape(ctx, r))), Marker: marker };
  }

  async modifyDBInstance(input: ModifyDBInstanceRequest, ctx: RequestContext) {
    const current = await this.#instance(ctx, input.DBInstanceIdentifier);
    if (input.MasterUserPassword !== undefined) {
      if (current.clusterId) throw invalidParameterCombination('The specified DB Instance is a member of a DB Cluster. Modify master password for the DB Cluster using the ModifyDbCluster API.');
      checkPassword(input.MasterUserPassword);
    }
    if (input.NewDBInstanceIdentifier !== undefined) throw invalidParameterCombination('Renaming a DB instance (NewDBInstanceIdentifier) is not supported by Atoll.');
    if (input.DBPortNumber !== undefined && input.DBPortNumber !== current.engine.port) throw invalidParameterCombination('Changing DBPortNumber is not supported by Atoll.');
    if (input.EngineVersion !== undefined && input.EngineVersion !== current.engine.engineVersion) {
      throw invalidParameterCombination(`Cannot upgrade ${current.engine.engine} from ${current.engine.engineVersion} to ${input.EngineVersion}: engine upgrades are not supported by Atoll.`);
    }
    const groupParameters =
      input.DBParameterGroupName !== undefined && !current.clusterId ? await this.#groupParameters(ctx, input.DBParameterGroupName, current.engine.family) : undefined;
    let managedPassword: string | undefined;
    if (input.ManageMasterUserPassword && !current.manageMasterUserPassword) managedPassword = (await this.#managedPassword(ctx, current.id, current.engine.masterUsername)).password;
    const updated = await this.store.instances.update(ctx.accountId, ctx.region, current.id, (record) => {
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

  async #transition(ctx: RequestContext, identifier: string, from: string[], to: InstanceRecord['status']) {
    const current = await this.#instance(ctx, identifier);
    if (current.clusterId && (to === 'stopping' || to === 'starting')) {
      throw new InvalidDBInstanceStateFault(`Cannot ${to === 'stopping' ? 'stop' : 'start'} an instance of a DB cluster: use ${to === 'stopping' ? 'StopDBCluster' : 'StartDBCluster'}.`);
    }
    const updated = await this.store.instances.update(ctx.accountId, ctx.region, current.id, (record) => {
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
    if (!current.clusterId) {
      if (input.SkipFinalSnapshot && input.FinalDBSnapshotIdentifier) {
        throw invalidParameterCombination('Cannot specify FinalDBSnapshotIdentifier when SkipFinalSnapshot is enabled.');
      }
      if (!input.SkipFinalSnapshot) {
        if (!input.FinalDBSnapshotIdentifier) throw invalidParameterCombination('FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.');
        finalSnapshotId = checkIdentifier('FinalDBSnapshotIdentifier', input.FinalDBSnapshotIdentifier, 255);
        await this.#insertSnapshot(ctx, 'instance', finalSnapshotId, current, {});
      }
    }
    const updated = await this.store.instances.update(ctx.accountId, ctx.region, current.id, (record) => {
      if (record.status === 'deleting') throw new InvalidDBInstanceStateFault(`Instance ${record.id} is already being deleted.`);
      return { ...record, status: 'deleting', pending: { ...record.pending, finalSnapshotId } };
    });
    return { DBInstance: await this.#shape(ctx, updated!) };
  }

  // ---- snapshots ----

  async #insertSnapshot(ctx: RequestContext, kind: 'instance' | 'cluster', id: string, source: InstanceRecord | ClusterRecord, tags: Record<string, string>): Promise<SnapshotRecord> {
    const existing = await this.store.snapshots.get(ctx.accountId, ctx.region, id);
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
      await this.store.snapshots.insert(record);
    } catch (error) {
      if (error instanceof RecordExistsError) throw exists();
      throw error;
    }
    return record;
  }

  async createDBSnapshot(input: CreateDBSnapshotRequest, ctx: RequestContext) {
    const id = checkIdentifier('DBSnapshotIdentifier', input.DBSnapshotIdentifier, 255);
    const source = await this.#instance(ctx, input.DBInstanceIdentifier);
    if (source.clusterId) throw invalidParameterValue('The specified instance is a member of a cluster and a snapshot cannot be created directly. Please use the CreateDBClusterSnapshot API instead.');
    if (source.status !== 'available') throw new InvalidDBInstanceStateFault(`Cannot create a snapshot because the database instance ${source.id} is not currently in the available state.`);
    const record = await this.#insertSnapshot(ctx, 'instance', id, source, tagsOf(input.Tags));
    await this.store.instances.update(ctx.accountId, ctx.region, source.id, (r) => (r.status === 'available' ? { ...r, status: 'backing-up' } : undefined));
    return { DBSnapshot: snapshotShape(record) };
  }

  async createDBClusterSnapshot(input: CreateDBClusterSnapshotRequest, ctx: RequestContext) {
    const id = checkIdentifier('DBClusterSnapshotIdentifier', input.DBClusterSnapshotIdentifier, 255);
    const source = await this.store.clusters.get(ctx.accountId, ctx.region, input.DBClusterIdentifier.toLowerCase());
    if (!source) throw clusterNotFound(input.DBClusterIdentifier);
    if (source.status !== 'available') throw new InvalidDBClusterStateFault(`DBCluster ${source.id} is not in the available state.`);
    const record = await this.#insertSnapshot(ctx, 'cluster', id, source, tagsOf(input.Tags));
    await this.store.clusters.update(ctx.accountId, ctx.region, source.id, (r) => (r.status === 'available' ? { ...r, status: 'backing-up' } : undefined));
    return { DBClusterSnapshot: clusterSnapshotShape(record) };
  }

  async describeSnapshots(kind: 'instance' | 'cluster', input: DescribeDBSnapshotsRequest & DescribeDBClusterSnapshotsRequest, ctx: RequestContext) {
    const wanted = kind === 'instance' ? input.DBSnapshotIdentifier : input.DBClusterSnapshotIdentifier;
    const source = kind === 'instance' ? input.DBInstanceIdentifier : input.DBClusterIdentifier;
    let records = (await this.store.snapshots.list(ctx.accountId, ctx.region)).filter((s) => s.kind === kind);
    if (wanted) {
      records = records.filter((s) => s.id === wanted.toLowerCase() || s.arn === wanted);
      if (records.length === 0) throw kind === 'instance' ? snapshotNotFound(wanted) : clusterSnapshotNotFound(wanted);
    }
    if (source) records = records.filter((s) => s.sourceId === source.toLowerCase());
    const { items, marker } = page(records, input.MaxRecords, input.Marker);
    return kind === 'instance' ? { DBSnapshots: items.map(snapshotShape), Marker: marker } : { DBClusterSnapshots: items.map(clusterSnapshotShape), Marker: marker };
  }

  async deleteSnapshot(kind: 'instance' | 'cluster', identifier: string, ctx: RequestContext) {
    const record = await this.store.snapshots.get(ctx.accountId, ctx.region, identifier.toLowerCase());
    if (!record || record.kind !== kind) throw kind === 'instance' ? snapshotNotFound(identifier) : clusterSnapshotNotFound(identifier);
    if (record.status === 'creating') throw new InvalidDBSnapshotStateFault(`Cannot delete the snapshot because it is being created.`);
    await this.store.snapshots.delete(ctx.accountId, ctx.region, record.id);
    rmSync(this.host.snapshotPath(record), { recursive: true, force: true });
    const deleted = { ...record, status: 'deleted' as never };
    return kind === 'instance' ? { DBSnapshot: snapshotShape(deleted) } : { DBClusterSnapshot: clusterSnapshotShape(deleted) };
  }

  async restoreDBInstance(input: RestoreDBInstanceFromDBSnapshotRequest, ctx: RequestContext) {
    const id = checkIdentifier('DBInstanceIdentifier', input.DBInstanceIdentifier);
    if (!input.DBSnapshotIdentifier) throw missingParameter('The request must contain the parameter DBSnapshotIdentifier');
    const snapshot = await this.store.snapshots.get(ctx.accountId, ctx.region, input.DBSnapshotIdentifier.toLowerCase());
    if (!snapshot || snapshot.kind !== 'instance') throw snapshotNotFound(input.DBSnapshotIdentifier);
    if (snapshot.status !== 'available') throw new InvalidDBSnapshotStateFault(`Snapshot ${snapshot.id} is not available.`);
    if (await this.store.instances.get(ctx.accountId, ctx.region, id)) throw new DBInstanceAlreadyExistsFault('DB instance already exists');
    const parameters = input.DBParameterGroupName ? await this.#groupParameters(ctx, input.DBParameterGroupName, snapshot.engine.family) : snapshot.engine.parameters;
    const port = await this.#pickPort(input.Port);
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
      await this.store.instances.insert(record);
    } catch (error) {
      if (error instanceof RecordExistsError) throw new DBInstanceAlreadyExistsFault('DB instance already exists');
      throw error;
    } finally {
      this.#portsAsked.delete(port);
    }
    return { DBInstance: instanceShape(record) };
  }

  // ---- clusters ----

  async createDBCluster(input: CreateDBClusterRequest, ctx: RequestContext) {
    const id = checkIdentifier('DBClusterIdentifier', input.DBClusterIdentifier);
    const choice = this.#chooseEngine(input.Engine, input.EngineVersion);
    if (await this.store.clusters.get(ctx.accountId, ctx.region, id)) throw new DBClusterAlreadyExistsFault('DB Cluster already exists');
    const credentials = await this.#credentials(input, choice.family, ctx, id);
    if (input.DatabaseName) checkDbName(input.DatabaseName, choice.family);
    const port = await this.#pickPort(input.Port);
    const record: ClusterRecord = {
      accountId: ctx.accountId,
      region: ctx.region,
      id,
      arn: `arn:aws:rds:${ctx.region}:${ctx.accountId}:cluster:${id}`,
      resourceId: `cluster-${randomBytes(13).toString('hex').toUpperCase().slice(0, 26)}`,
      status: 'creating',
      createdTime: new Date().toISOString(),
      engine: this.#baseSettings(choice.family, choice.runtime, input.Engine, choice.engineVersion, port, credentials.username, credentials.password, input.DatabaseName),
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
      await this.store.clusters.insert(record);
    } catch (error) {
      if (error instanceof RecordExistsError) throw new DBClusterAlreadyExistsFault('DB Cluster already exists');
      throw error;
    } finally {
      this.#portsAsked.delete(port);
    }
    return { DBCluster: clusterShape(record, []) };
  }

  async #clusterShape(record: ClusterRecord) {
    const members = (await this.store.instances.list(record.accountId, record.region)).filter((i) => i.clusterId === record.id);
    members.sort((a, b) => a.createdTime.localeCompare(b.createdTime));
    return clusterShape(record, members);
  }

  async describeDBClusters(input: DescribeDBClustersRequest, ctx: RequestContext) {
    if (input.DBClusterIdentifier) {
      const record = await this.store.clusters.get(ctx.accountId, ctx.region, input.DBClusterIdentifier.toLowerCase());
      if (!record) throw clusterNotFound(input.DBClusterIdentifier);
      return { DBClusters: [await this.#clusterShape(record)] };
    }
    const { items, marker } = page(await this.store.clusters.list(ctx.accountId, ctx.region), input.MaxRecords, input.Marker);
    return { DBClusters: await Promise.all(items.map((r) => this.#clusterShape(r))), Marker: marker };
  }

  async deleteDBCluster(input: DeleteDBClusterRequest, ctx: RequestContext) {
    const current = await this.store.clusters.get(ctx.accountId, ctx.region, input.DBClusterIdentifier.toLowerCase());
    if (!current) throw clusterNotFound(input.DBClusterIdentifier);
    if (current.deletionProtection) throw invalidParameterCombination('Cannot delete protected Cluster, please disable deletion protection and try again.');
    const members = (await this.store.instances.list(ctx.accountId, ctx.region)).filter((i) => i.clusterId === current.id && i.status !== 'deleting');
    if (members.length > 0) throw new InvalidDBClusterStateFault('Cluster cannot be deleted, it still contains DB instances in non-deleting state.');
    let finalSnapshotId: string | undefined;
    if (!input.SkipFinalSnapshot) {
      if (!input.FinalDBSnapshotIdentifier) throw invalidParameterCombination('FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.');
      finalSnapshotId = checkIdentifier('FinalDBSnapshotIdentifier', input.FinalDBSnapshotIdentifier, 255);
      await this.#insertSnapshot(ctx, 'cluster', finalSnapshotId, current, {});
    }
    const updated = await this.store.clusters.update(ctx.accountId, ctx.region, current.id, (record) => ({ ...record, status: 'deleting', pending: { ...record.pending, finalSnapshotId } }));
    return { DBCluster: await this.#clusterShape(updated!) };
  }

  // ---- tags ----

  async #resolveArn(arn: string, ctx: RequestContext): Promise<{ table: 'instances' | 'clusters' | 'snapshots'; id: string }> {
    const match = /^arn:aws[\w-]*:rds:([^:]+):(\d{12}):(db|cluster|snapshot|cluster-snapshot):(.+)$/.exec(arn);
    if (!match || match[1] !== ctx.region || match[2] !== ctx.accountId) throw invalidParameterValue(`Invalid resource name: ${arn}`);
    const id = match[4]!.toLowerCase();
    const table = match[3] === 'db' ? 'instances' : match[3] === 'cluster' ? 'clusters' : 'snapshots';
    const record = await this.store[table].get(ctx.accountId, ctx.region, id);
    if (!record) {
      if (table === 'instances') throw instanceNotFound(id);
      if (table === 'clusters') throw clusterNotFound(id);
      throw match[3] === 'snapshot' ? snapshotNotFound(id) : clusterSnapshotNotFound(id);
    }
    return { table, id };
  }

  async #changeTags(arn: string, ctx: RequestContext, change: (tags: Record<string, string>) => Record<string, string>) {
    const { table, id } = await this.#resolveArn(arn, ctx);
    await (this.store[table] as RdsStore['instances']).update(ctx.accountId, ctx.region, id, (record) => ({ ...record, tags: change({ ...record.tags }) }));
    return {};
  }

  async listTags(input: ListTagsForResourceRequest, ctx: RequestContext) {
    const { table, id } = await this.#resolveArn(input.ResourceName, ctx);
    const record = await this.store[table].get(ctx.accountId, ctx.region, id);
    return { TagList: Object.entries(record!.tags).map(([Key, Value]) => ({ Key, Value })) };
  }
}
