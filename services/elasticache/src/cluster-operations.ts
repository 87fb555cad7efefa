// Cache clusters (one engine process each): create, describe, modify, delete. The operations write
// the store and signal the fleet, which starts and stops processes and moves the status on.
import type { RequestContext } from '@atoll/core';
import { PortInUseError } from '@atoll/supervisor';
import type { CreateCacheClusterRequest, DeleteCacheClusterRequest, DescribeCacheClustersRequest, ModifyCacheClusterRequest, RebootCacheClusterRequest } from '@atoll/aws-models/elasticache';
import type { ClusterRecord, EngineName, SnapshotRecord, TagRecord } from './cache-records.js';
import { parameterGroupFamily } from './engine-binary.js';
import type { Scope } from './elasticache-store.js';
import {
  CacheClusterAlreadyExistsFault,
  CacheClusterNotFoundFault,
  InvalidCacheClusterStateFault,
  SnapshotAlreadyExistsFault,
  SnapshotNotFoundFault,
  InvalidSnapshotStateFault,
  invalidCombination,
  invalidValue,
} from './elasticache-errors.js';
import { arnOf, type OpsContext } from './ops-context.js';
import { cacheClusterOutput } from './output.js';
import { findParameterGroup } from './parameter-groups.js';
import { checkAuthToken, checkEngine, checkIdentifier, resolveEngine } from './validation.js';

export const AZ_SUFFIX = 'a';

/** Reserves engine or endpoint ports: a requested port that is taken is refused, 0 picks free ones. */
export async function allocatePorts(ops: OpsContext, count: number, requested?: number): Promise<number[]> {
  try {
    const bindings = await ops.ports.allocate(Array.from({ length: count }, (_, i) => ({ containerPort: 6379, hostPort: i === 0 ? requested : undefined })));
    return bindings.map((b) => b.hostPort);
  } catch (error) {
    if (error instanceof PortInUseError) throw invalidValue(`Port ${error.port} is already in use on this host.`);
    throw error;
  }
}

export function releasePorts(ops: OpsContext, ports: number[]): void {
  ops.ports.release(ports.map((hostPort) => ({ containerPort: 6379, hostPort, protocol: 'tcp' as const, bindIP: '127.0.0.1' })));
}

/** The engine, version and parameter group a new cluster or group runs with. */
export async function engineChoice(ops: OpsContext, scope: Scope, input: { Engine?: string; EngineVersion?: string; CacheParameterGroupName?: string }, clusterMode: boolean) {
  const engine: EngineName = checkEngine(input.Engine);
  const { binary, version } = resolveEngine(engine, input.EngineVersion);
  const family = parameterGroupFamily(engine, binary.major);
  const parameterGroupName = input.CacheParameterGroupName ?? `default.${family}${clusterMode ? '.cluster.on' : ''}`;
  const group = await findParameterGroup(ops, scope, parameterGroupName);
  if (group.family !== family) {
    throw invalidCombination(`The parameter group family ${group.family} of ${parameterGroupName} does not match the engine version ${version} (family ${family}).`);
  }
  const groupClusterMode = group.values['cluster-enabled'] === 'yes';
  return { engine, version, parameterGroupName, groupClusterMode };
}

export async function findCluster(ops: OpsContext, scope: Scope, id: string): Promise<ClusterRecord> {
  const c = await ops.store.get<ClusterRecord>(scope, 'cluster', id.toLowerCase());
  // The node behind a serverless cache is not a cache cluster of the API.
  if (!c || c.serverlessCacheName) throw new CacheClusterNotFoundFault(`CacheCluster not found: ${id}`);
  return c;
}

/** A snapshot to restore from: it must exist and be available. */
export async function restoreSource(ops: OpsContext, scope: Scope, name: string | undefined): Promise<SnapshotRecord | undefined> {
  if (!name) return undefined;
  const snap = await ops.store.get<SnapshotRecord>(scope, 'snapshot', name);
  if (!snap) throw new SnapshotNotFoundFault(`Snapshot ${name} not found.`);
  if (snap.status !== 'available') throw new InvalidSnapshotStateFault(`Snapshot ${name} is not in the available state.`);
  return snap;
}

export function newSnapshot(scope: Scope, name: string, source: { cluster?: ClusterRecord; group?: { id: string; description: string; numNodeGroups: number; createdAt: string; slots?: Record<string, string> } }, base: ClusterRecord, tags: TagRecord[] = [], kind: 'manual' | 'automated' = 'manual'): SnapshotRecord {
  return {
    name,
    arn: arnOf(scope, 'snapshot', name),
    status: 'creating',
    source: kind,
    cacheClusterId: source.cluster?.id,
    replicationGroupId: source.group?.id,
    replicationGroupDescription: source.group?.description,
    engine: base.engine,
    engineVersion: base.engineVersion,
    nodeType: base.nodeType,
    parameterGroupName: base.parameterGroupName,
    port: base.port,
    createdAt: new Date().toISOString(),
    clusterCreatedAt: source.group?.createdAt ?? base.createdAt,
    numNodeGroups: source.group?.numNodeGroups ?? 1,
    nodeGroupSlots: source.group?.slots,
    files: [],
    tags,
  };
}

export function clusterOperations(ops: OpsContext) {
  return {
    CreateCacheCluster: async (input: CreateCacheClusterRequest, ctx: RequestContext) => {
      const id = checkIdentifier('CacheClusterIdentifier', input.CacheClusterId, 50);
      if (input.ReplicationGroupId) throw invalidCombination('Adding a cache cluster to a replication group is done with IncreaseReplicaCount here.');
      const { engine, version, parameterGroupName, groupClusterMode } = await engineChoice(ops, ctx, input, false);
      if ((input.NumCacheNodes ?? 1) !== 1) throw invalidValue(`Cannot create a ${engine} cluster with a NumCacheNodes parameter greater than 1.`);
      if (groupClusterMode) throw invalidCombination(`Cluster mode enabled parameter groups (${parameterGroupName}) require a replication group.`);
      const authToken = checkAuthToken(input.AuthToken);
      const snapshot = await restoreSource(ops, ctx, input.SnapshotName ?? undefined);
      if (snapshot && snapshot.numNodeGroups > 1) throw invalidCombination(`Snapshot ${snapshot.name} has ${snapshot.numNodeGroups} node groups: restore it into a cluster mode enabled replication group.`);
      if (await ops.store.get(ctx, 'cluster', id)) throw new CacheClusterAlreadyExistsFault(`Cache cluster ${id} already exists.`);
      const [port] = await allocatePorts(ops, 1, input.Port);
      const now = new Date().toISOString();
      const record: ClusterRecord = {
        id,
        arn: arnOf(ctx, 'cluster', id),
        engine,
        engineVersion: version,
        nodeType: input.CacheNodeType ?? 'cache.t3.micro',
        status: 'creating',
        createdAt: now,
        port: port!,
        parameterGroupName,
        configVersion: 1,
        authToken,
        authTokenModified: authToken ? now : undefined,
        restoreFrom: snapshot?.name,
        snapshotRetentionLimit: input.SnapshotRetentionLimit ?? 0,
        snapshotWindow: input.SnapshotWindow ?? '05:00-06:00',
        maintenanceWindow: input.PreferredMaintenanceWindow ?? 'sun:23:00-mon:01:30',
        availabilityZone: input.PreferredAvailabilityZone ?? `${ctx.region}${AZ_SUFFIX}`,
        tags: (input.Tags ?? []) as TagRecord[],
      };
      if (await ops.store.insert(ctx, [{ kind: 'cluster', id, body: record }], true)) {
        releasePorts(ops, [port!]);
        throw new CacheClusterAlreadyExistsFault(`Cache cluster ${id} already exists.`);
      }
      return { CacheCluster: cacheClusterOutput(record, false) };
    },

    DescribeCacheClusters: async (input: DescribeCacheClustersRequest, ctx: RequestContext) => {
      let clusters: ClusterRecord[];
      if (input.CacheClusterId) clusters = [await findCluster(ops, ctx, input.CacheClusterId)];
      else {
        clusters = (await ops.store.list<ClusterRecord>(ctx, 'cluster')).filter((c) => !c.serverlessCacheName);
        if (input.ShowCacheClustersNotInReplicationGroups) clusters = clusters.filter((c) => !c.replicationGroupId);
      }
      const max = input.MaxRecords ?? 100;
      if (max < 20 || max > 100) throw invalidValue('MaxRecords must be between 20 and 100.');
      const start = input.Marker ? Number(Buffer.from(input.Marker, 'base64').toString()) || 0 : 0;
      const page = clusters.slice(start, start + max);
      const marker = start + max < clusters.length ? Buffer.from(String(start + max)).toString('base64') : undefined;
      return { CacheClusters: page.map((c) => cacheClusterOutput(c, Boolean(input.ShowCacheNodeInfo))), Marker: marker };
    },

    ModifyCacheCluster: async (input: ModifyCacheClusterRequest, ctx: RequestContext) => {
      const current = await findCluster(ops, ctx, input.CacheClusterId);
      if (input.CacheParameterGroupName) {
        const { groupClusterMode } = await engineChoice(ops, ctx, { Engine: current.engine, CacheParameterGroupName: input.CacheParameterGroupName }, false);
        if (groupClusterMode !== Boolean(current.clusterMode)) throw invalidCombination('The cluster mode of the parameter group does not match the cache cluster.');
      }
      const authToken = checkAuthToken(input.AuthToken);
      if (input.AuthTokenUpdateStrategy && authToken === undefined && input.AuthTokenUpdateStrategy !== 'DELETE') throw invalidCombination('AuthTokenUpdateStrategy requires AuthToken.');
      const updated = await ops.store.update(
        ctx,
        [{ kind: 'cluster', id: current.id }],
        ([b]) => {
          const c = b as ClusterRecord | undefined;
          if (!c) throw new CacheClusterNotFoundFault(`CacheCluster not found: ${input.CacheClusterId}`);
          if (c.status !== 'available') throw new InvalidCacheClusterStateFault(`Cache cluster ${c.id} is not in the available state (${c.status}).`);
          const next: ClusterRecord = { ...c };
          let engineWork = false;
          if (input.CacheParameterGroupName && input.CacheParameterGroupName !== c.parameterGroupName) {
            next.parameterGroupName = input.CacheParameterGroupName;
            engineWork = true;
          }
          if (authToken !== undefined || input.AuthTokenUpdateStrategy === 'DELETE') {
            next.authToken = input.AuthTokenUpdateStrategy === 'DELETE' ? undefined : authToken;
            next.authTokenModified = new Date().toISOString();
            engineWork = true;
          }
          if (input.SnapshotRetentionLimit !== undefined) next.snapshotRetentionLimit = input.SnapshotRetentionLimit;
          if (input.SnapshotWindow) next.snapshotWindow = input.SnapshotWindow;
          if (input.PreferredMaintenanceWindow) next.maintenanceWindow = input.PreferredMaintenanceWindow;
          if (engineWork) {
            next.configVersion = c.configVersion + 1;
            next.status = 'modifying';
          }
          return { bodies: [next], result: next };
        },
        true,
      );
      return { CacheCluster: cacheClusterOutput(updated, false) };
    },

    RebootCacheCluster: async (input: RebootCacheClusterRequest, ctx: RequestContext) => {
      const current = await findCluster(ops, ctx, input.CacheClusterId);
      const ids = input.CacheNodeIdsToReboot ?? [];
      if (ids.length === 0) throw invalidValue('CacheNodeIdsToReboot must name at least one node.');
      for (const nodeId of ids) if (nodeId !== '0001') throw invalidValue(`Cache node ${nodeId} does not exist in cache cluster ${current.id}.`);
      if (current.clusterMode) throw invalidCombination('Rebooting nodes of a cluster mode enabled replication group is not supported.');
      const updated = await ops.store.update(
        ctx,
        [{ kind: 'cluster', id: current.id }],
        ([b]) => {
          const c = b as ClusterRecord | undefined;
          if (!c) throw new CacheClusterNotFoundFault(`CacheCluster not found: ${input.CacheClusterId}`);
          if (c.status !== 'available') throw new InvalidCacheClusterStateFault(`Cache cluster ${c.id} is not in the available state (${c.status}).`);
          // The fleet restarts the process (same port and data directory), then sets it available.
          const next: ClusterRecord = { ...c, status: 'rebooting cluster nodes' };
          return { bodies: [next], result: next };
        },
        true,
      );
      return { CacheCluster: cacheClusterOutput(updated, false) };
    },

    DeleteCacheCluster: async (input: DeleteCacheClusterRequest, ctx: RequestContext) => {
      const current = await findCluster(ops, ctx, input.CacheClusterId);
      if (current.replicationGroupId) {
        throw invalidCombination(`Cache cluster ${current.id} is a member of replication group ${current.replicationGroupId}: remove it with DecreaseReplicaCount or DeleteReplicationGroup.`);
      }
      const snapName = input.FinalSnapshotIdentifier;
      if (snapName && (await ops.store.get(ctx, 'snapshot', snapName))) throw new SnapshotAlreadyExistsFault(`Snapshot ${snapName} already exists.`);
      const result = await ops.store.update(
        ctx,
        [{ kind: 'cluster', id: current.id }, ...(snapName ? [{ kind: 'snapshot' as const, id: snapName }] : [])],
        ([b, s]) => {
          const c = b as ClusterRecord | undefined;
          if (!c) throw new CacheClusterNotFoundFault(`CacheCluster not found: ${input.CacheClusterId}`);
          if (c.status !== 'available' && c.status !== 'incompatible-parameters') {
            throw new InvalidCacheClusterStateFault(`Cache cluster ${c.id} is not in a valid state to be deleted.`);
          }
          if (s) throw new SnapshotAlreadyExistsFault(`Snapshot ${snapName} already exists.`);
          const next: ClusterRecord = { ...c, status: 'deleting', finalSnapshotName: snapName };
          const bodies: unknown[] = [next];
          if (snapName) bodies.push(newSnapshot(ctx, snapName, { cluster: c }, c));
          return { bodies, result: next };
        },
        true,
      );
      releasePorts(ops, [current.port]);
      return { CacheCluster: cacheClusterOutput(result, false) };
    },
  };
}
