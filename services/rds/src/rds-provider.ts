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
//   reader endpoints are the same server). No Aurora replicas, failover, Serverless scaling or global
//   clusters. ModifyDBCluster applies MasterUserPassword, EnableHttpEndpoint, DeletionProtection and
//   BackupRetentionPeriod; renaming, port, engine version and ManageMasterUserPassword changes answer
//   InvalidParameterCombination.
// - Read replicas (replica-operations.ts): PostgreSQL on the system server only, as a real streaming
//   standby (pg_basebackup -R through the source's socket, its own port; cascading allowed).
//   MariaDB/MySQL sources and the embedded engine answer InvalidParameterCombination. ReplicaLag is
//   published once a minute as the `rds.ReplicaLag` platform event (AWS/RDS, seconds), for CloudWatch
//   to pick up; deleting a source promotes its replicas; a replica's master password follows its
//   source (ModifyDBInstance refuses it); no cross-region replicas and no ReplicaMode=mounted.
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
// - IAM database authentication (iam-auth/): PostgreSQL on the system server only. Users granted
//   `rds_iam` log in over TCP with a generate-db-auth-token token, which the server hands to the
//   platform's LDAP bind verifier (pg_hba `ldap`, not on the data path): SigV4 signature, expiry, DBUser
//   and the endpoint's port are checked, and rds-db:connect is authorized on
//   arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<user> (IAM users and roles need the edge
//   to know the `rds-db` signing name; root keys work as is). The embedded engine and MariaDB record the
//   flag only. The token's Host is not checked against a name (any host with the instance's port).
// - The Data API is the separate `rdsdata` provider (data-api/rds-data-provider.ts, its own limits).
// - Not implemented (501): proxies, blue/green deployments, event subscriptions,
//   DescribeDBEngineVersions and the rest of the model.
// - Engines run on the node that leads `rds:engines`; a change made on another node is applied there
//   moments later. Engine data lives in `<dataDir>/rds/engines`, templates in the cache directory
//   (engines/cache-dir.ts), snapshots under the blob directory.
//   When the platform runs as root, engines run as the postgres/mysql users, and the data directory's
//   ancestors get the others' execute bit so that those users can reach it.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { IamRequest, OperationHandler, PlatformContext, RequestContext, ServiceProvider } from '@atoll/core';
import type {
  AddTagsToResourceRequest,
  CreateDBClusterRequest,
  CreateDBClusterSnapshotRequest,
  CreateDBInstanceReadReplicaRequest,
  CreateDBInstanceRequest,
  CreateDBSnapshotRequest,
  DeleteDBClusterRequest,
  DeleteDBClusterSnapshotRequest,
  DeleteDBInstanceRequest,
  DeleteDBSnapshotRequest,
  DescribeDBClusterSnapshotsRequest,
  DescribeDBClustersRequest,
  DisableHttpEndpointRequest,
  EnableHttpEndpointRequest,
  ModifyDBClusterRequest,
  DescribeDBInstancesRequest,
  DescribeDBSnapshotsRequest,
  ListTagsForResourceRequest,
  ModifyDBInstanceRequest,
  PromoteReadReplicaRequest,
  RebootDBInstanceRequest,
  RemoveTagsFromResourceRequest,
  RestoreDBInstanceFromDBSnapshotRequest,
  StartDBInstanceRequest,
  StopDBInstanceRequest,
  CreateDBParameterGroupRequest,
  ModifyDBParameterGroupRequest,
  DescribeDBParameterGroupsRequest,
  DescribeDBParametersRequest,
  DeleteDBParameterGroupRequest,
} from '@atoll/aws-models/rds';
import { ClusterOperations } from './cluster-operations.js';
import { EngineHost } from './engine-host.js';
import { EngineCatalog } from './engines/engine-catalog.js';
import { InstanceOperations } from './instance-operations.js';
import { ParameterGroups, familyOf } from './parameter-groups.js';
import { tagsOf, type RdsDeps } from './rds-deps.js';
import {
  clusterNotFound,
  clusterSnapshotNotFound,
  instanceNotFound,
  invalidParameterCombination,
  invalidParameterValue,
  missingParameter,
  snapshotNotFound,
} from './rds-errors.js';
import { RdsStore } from './rds-store.js';
import { ReplicaOperations } from './replica-operations.js';
import type { EngineFamily } from './records.js';
import { SnapshotOperations } from './snapshot-operations.js';
import { checkMasterUsername, checkPassword } from './validation.js';

const RESERVED_PORTS = new Set([5432, 3306, 6379, 5672, 1883, 4222]);

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
  readonly instances: InstanceOperations;
  readonly clusters: ClusterOperations;
  readonly snapshots: SnapshotOperations;
  readonly replicas: ReplicaOperations;

  constructor(platform: PlatformContext, store: RdsStore, options: RdsOptions = {}) {
    this.#platform = platform;
    this.store = store;
    const mode = options.postgres ?? ((process.env.ATOLL_RDS_POSTGRES as RdsOptions['postgres']) || 'auto');
    this.catalog = new EngineCatalog(mode);
    this.#groups = new ParameterGroups(store);
    this.host = new EngineHost(store, this.catalog, platform.logger.child({ service: 'rds' }), platform.config.dataDir, platform.storage, platform.authorizeSignedRequest?.bind(platform));
    const deps: RdsDeps = {
      store,
      host: this.host,
      chooseEngine: (engine, version) => this.#chooseEngine(engine, version),
      pickPort: (requested) => this.#pickPort(requested),
      releasePort: (port) => this.#portsAsked.delete(port),
      credentials: (input, family, ctx, id) => this.#credentials(input, family, ctx, id),
      managedPassword: (ctx, name, username) => this.#managedPassword(ctx, name, username),
      groupParameters: (ctx, name, family) => this.#groupParameters(ctx, name, family),
    };
    this.instances = new InstanceOperations(deps);
    this.clusters = new ClusterOperations(deps);
    this.snapshots = new SnapshotOperations(deps);
    this.replicas = new ReplicaOperations(deps);
    this.operations = {
      CreateDBInstance: (input: CreateDBInstanceRequest, ctx: RequestContext) => this.instances.createDBInstance(input, ctx),
      DescribeDBInstances: (input: DescribeDBInstancesRequest, ctx: RequestContext) => this.instances.describeDBInstances(input, ctx),
      ModifyDBInstance: (input: ModifyDBInstanceRequest, ctx: RequestContext) => this.instances.modifyDBInstance(input, ctx),
      DeleteDBInstance: (input: DeleteDBInstanceRequest, ctx: RequestContext) => this.instances.deleteDBInstance(input, ctx),
      RebootDBInstance: (input: RebootDBInstanceRequest, ctx: RequestContext) => this.instances.transition(ctx, input.DBInstanceIdentifier, ['available'], 'rebooting'),
      StopDBInstance: (input: StopDBInstanceRequest, ctx: RequestContext) => this.instances.transition(ctx, input.DBInstanceIdentifier, ['available'], 'stopping'),
      StartDBInstance: (input: StartDBInstanceRequest, ctx: RequestContext) => this.instances.transition(ctx, input.DBInstanceIdentifier, ['stopped'], 'starting'),
      CreateDBInstanceReadReplica: (input: CreateDBInstanceReadReplicaRequest, ctx: RequestContext) => this.replicas.createReadReplica(input, ctx),
      PromoteReadReplica: (input: PromoteReadReplicaRequest, ctx: RequestContext) => this.replicas.promoteReadReplica(input, ctx),
      CreateDBSnapshot: (input: CreateDBSnapshotRequest, ctx: RequestContext) => this.snapshots.createDBSnapshot(input, ctx),
      DescribeDBSnapshots: (input: DescribeDBSnapshotsRequest, ctx: RequestContext) => this.snapshots.describeSnapshots('instance', input, ctx),
      DeleteDBSnapshot: (input: DeleteDBSnapshotRequest, ctx: RequestContext) => this.snapshots.deleteSnapshot('instance', input.DBSnapshotIdentifier, ctx),
      RestoreDBInstanceFromDBSnapshot: (input: RestoreDBInstanceFromDBSnapshotRequest, ctx: RequestContext) => this.snapshots.restoreDBInstance(input, ctx),
      CreateDBCluster: (input: CreateDBClusterRequest, ctx: RequestContext) => this.clusters.createDBCluster(input, ctx),
      DescribeDBClusters: (input: DescribeDBClustersRequest, ctx: RequestContext) => this.clusters.describeDBClusters(input, ctx),
      DeleteDBCluster: (input: DeleteDBClusterRequest, ctx: RequestContext) => this.clusters.deleteDBCluster(input, ctx),
      ModifyDBCluster: (input: ModifyDBClusterRequest, ctx: RequestContext) => this.clusters.modifyDBCluster(input, ctx),
      EnableHttpEndpoint: (input: EnableHttpEndpointRequest, ctx: RequestContext) => this.clusters.setHttpEndpoint(input.ResourceArn, true, ctx),
      DisableHttpEndpoint: (input: DisableHttpEndpointRequest, ctx: RequestContext) => this.clusters.setHttpEndpoint(input.ResourceArn, false, ctx),
      CreateDBClusterSnapshot: (input: CreateDBClusterSnapshotRequest, ctx: RequestContext) => this.snapshots.createDBClusterSnapshot(input, ctx),
      DescribeDBClusterSnapshots: (input: DescribeDBClusterSnapshotsRequest, ctx: RequestContext) => this.snapshots.describeSnapshots('cluster', input, ctx),
      DeleteDBClusterSnapshot: (input: DeleteDBClusterSnapshotRequest, ctx: RequestContext) => this.snapshots.deleteSnapshot('cluster', input.DBClusterSnapshotIdentifier, ctx),
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
      const sampler = setInterval(() => void this.#sampleReplicaLag().catch(() => undefined), Number(process.env.ATOLL_RDS_METRICS_INTERVAL_MS) || 60_000);
      sampler.unref();
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      clearInterval(sampler);
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

  /**
   * Publishes each running read replica's lag as the `rds.ReplicaLag` platform event (CloudWatch's
   * AWS/RDS ReplicaLag, seconds, per DBInstanceIdentifier), once a minute on the engines' leader.
   */
  async #sampleReplicaLag(): Promise<void> {
    for (const replica of await this.store.instances.all()) {
      if (!replica.replicaOf || replica.status !== 'available') continue;
      const seconds = await this.host.replicaLag(replica).catch(() => undefined);
      if (seconds === undefined) continue;
      this.#platform.bus.emit({
        type: 'rds.ReplicaLag',
        accountId: replica.accountId,
        region: replica.region,
        detail: { namespace: 'AWS/RDS', metricName: 'ReplicaLag', unit: 'Seconds', value: seconds, dimensions: { DBInstanceIdentifier: replica.id }, timestamp: Date.now() },
      });
    }
  }

  authorization(operation: string, input: Record<string, unknown>, scope: { accountId: string; region: string }): IamRequest | undefined {
    const arn = (kind: string, id: unknown) => `arn:aws:rds:${scope.region}:${scope.accountId}:${kind}:${String(id).toLowerCase()}`;
    if (typeof input.ResourceName === 'string') return { resources: [input.ResourceName] };
    if (typeof input.ResourceArn === 'string') return { resources: [input.ResourceArn] };
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
