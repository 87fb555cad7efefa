// Replication groups: a primary and replicas that replicate for real (REPLICAOF), or, with cluster
// mode, shards running Redis Cluster. Create, describe, modify, fail over, scale replicas, delete.
import type { RequestContext } from '@atoll/core';
import type {
  CreateReplicationGroupRequest,
  DecreaseReplicaCountRequest,
  DeleteReplicationGroupRequest,
  DescribeReplicationGroupsRequest,
  IncreaseReplicaCountRequest,
  ModifyReplicationGroupRequest,
  TestFailoverRequest,
} from '@atoll/aws-models/elasticache';
import type { ClusterRecord, NodeGroupRecord, ReplicationGroupRecord, TagRecord, UserGroupRecord } from './cache-records.js';
import { AZ_SUFFIX, allocatePorts, engineChoice, newSnapshot, releasePorts, restoreSource } from './cluster-operations.js';
import { slotRanges } from './elasticache-fleet.js';
import { scaleClusterReplicas } from './shard-operations.js';
import type { Scope } from './elasticache-store.js';
import {
  InvalidReplicationGroupStateFault,
  NodeGroupNotFoundFault,
  ReplicationGroupAlreadyExistsFault,
  ReplicationGroupNotFoundFault,
  SnapshotAlreadyExistsFault,
  UserGroupNotFoundFault,
  invalidCombination,
  invalidValue,
} from './elasticache-errors.js';
import { arnOf, type OpsContext } from './ops-context.js';
import { replicationGroupOutput } from './output.js';
import { checkAuthToken, checkIdentifier } from './validation.js';

const MAX_REPLICAS = 5;
const MAX_NODE_GROUPS = 90;

const notFound = (id: string) => new ReplicationGroupNotFoundFault(`ReplicationGroup not found: ${id}`);
const memberIds = (g: ReplicationGroupRecord) => g.nodeGroups.flatMap((ng) => [ng.primaryClusterId, ...ng.replicaClusterIds]);

async function membersOf(ops: OpsContext, scope: Scope, g: ReplicationGroupRecord): Promise<Map<string, ClusterRecord>> {
  const out = new Map<string, ClusterRecord>();
  for (const id of memberIds(g)) {
    const c = await ops.store.get<ClusterRecord>(scope, 'cluster', id);
    if (c) out.set(id, c);
  }
  return out;
}

async function output(ops: OpsContext, scope: Scope, g: ReplicationGroupRecord) {
  return replicationGroupOutput(g, await membersOf(ops, scope, g));
}

async function findGroup(ops: OpsContext, scope: Scope, id: string): Promise<ReplicationGroupRecord> {
  const g = await ops.store.get<ReplicationGroupRecord>(scope, 'replication-group', id.toLowerCase());
  if (!g) throw notFound(id);
  return g;
}

async function checkUserGroups(ops: OpsContext, scope: Scope, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    if (!(await ops.store.get<UserGroupRecord>(scope, 'user-group', id))) throw new UserGroupNotFoundFault(`User group ${id} not found.`);
  }
}

/** Sets (or clears) a user group's list of replication groups. */
async function linkUserGroups(ops: OpsContext, scope: Scope, groupId: string, add: readonly string[], remove: readonly string[]): Promise<void> {
  const ids = [...new Set([...add, ...remove])];
  if (ids.length === 0) return;
  await ops.store.update(
    scope,
    ids.map((id) => ({ kind: 'user-group' as const, id })),
    (bodies) => ({
      bodies: bodies.map((b, i) => {
        const ug = b as UserGroupRecord | undefined;
        if (!ug) return ug;
        const others = ug.replicationGroups.filter((r) => r !== groupId);
        return { ...ug, replicationGroups: add.includes(ids[i]!) ? [...others, groupId] : others };
      }),
      result: undefined,
    }),
  );
}

export function replicationGroupOperations(ops: OpsContext) {
  return {
    CreateReplicationGroup: async (input: CreateReplicationGroupRequest, ctx: RequestContext) => {
      const id = checkIdentifier('ReplicationGroupId', input.ReplicationGroupId, 40);
      if (input.PrimaryClusterId) throw invalidCombination('Creating a replication group around an existing cluster (PrimaryClusterId) is not supported here.');
      const requestedClusterMode = input.ClusterMode === 'enabled' || (input.NumNodeGroups ?? 1) > 1 || (input.NodeGroupConfiguration?.length ?? 0) > 1;
      const choice = await engineChoice(ops, ctx, input, requestedClusterMode && !input.CacheParameterGroupName);
      const clusterMode = requestedClusterMode || choice.groupClusterMode;
      if (requestedClusterMode && !choice.groupClusterMode) {
        throw invalidCombination(`Cluster mode requires a parameter group with cluster-enabled set to yes (${choice.parameterGroupName} has it off).`);
      }
      // Shards and replicas per shard.
      let shards: { replicas: number; slots?: string }[];
      if (clusterMode) {
        const count = input.NodeGroupConfiguration?.length || input.NumNodeGroups || 1;
        if (count < 1 || count > MAX_NODE_GROUPS) throw invalidValue(`NumNodeGroups must be between 1 and ${MAX_NODE_GROUPS}.`);
        const ranges = slotRanges(count);
        shards = Array.from({ length: count }, (_, i) => ({
          replicas: input.NodeGroupConfiguration?.[i]?.ReplicaCount ?? input.ReplicasPerNodeGroup ?? 1,
          slots: input.NodeGroupConfiguration?.[i]?.Slots ?? ranges[i],
        }));
        if (input.AutomaticFailoverEnabled === false) throw invalidCombination('Redis with cluster mode enabled cannot be created with automatic failover disabled.');
      } else {
        const total = input.NumCacheClusters ?? (input.ReplicasPerNodeGroup !== undefined ? input.ReplicasPerNodeGroup + 1 : 1);
        if (total < 1 || total > MAX_REPLICAS + 1) throw invalidValue(`NumCacheClusters must be between 1 and ${MAX_REPLICAS + 1}.`);
        if (input.AutomaticFailoverEnabled && total < 2) throw invalidCombination('Automatic failover requires at least one replica (NumCacheClusters of 2 or more).');
        shards = [{ replicas: total - 1 }];
      }
      for (const s of shards) {
        if (s.replicas < 0 || s.replicas > MAX_REPLICAS) throw invalidValue(`The number of replicas per node group must be between 0 and ${MAX_REPLICAS}.`);
      }
      if (input.MultiAZEnabled && shards.every((s) => s.replicas === 0)) throw invalidCombination('Multi-AZ requires at least one replica.');
      const authToken = checkAuthToken(input.AuthToken);
      const userGroupIds = input.UserGroupIds ?? [];
      if (authToken && userGroupIds.length) throw invalidCombination('AuthToken and UserGroupIds cannot be used together.');
      await checkUserGroups(ops, ctx, userGroupIds);
      const snapshot = await restoreSource(ops, ctx, input.SnapshotName ?? undefined);
      // A cluster-mode restore starts each shard's primary from its own RDB file, with the slots the
      // shard had when the snapshot was taken (so every key lands on the shard that serves it).
      const restoreFiles: (string | undefined)[] = [];
      if (snapshot && clusterMode) {
        const files = [...snapshot.files].sort((a, b) => a.nodeGroupId.localeCompare(b.nodeGroupId));
        if (files.length !== shards.length) {
          throw invalidCombination(`Snapshot ${snapshot.name} has ${files.length} node groups: restore it into ${files.length} node groups (NumNodeGroups), not ${shards.length}.`);
        }
        if (files.length > 1 && !snapshot.nodeGroupSlots) throw invalidCombination(`Snapshot ${snapshot.name} has no slot layout to restore.`);
        files.forEach((f, i) => {
          const slots = snapshot.nodeGroupSlots?.[f.nodeGroupId] || shards[i]!.slots;
          if (input.NodeGroupConfiguration?.[i]?.Slots && input.NodeGroupConfiguration[i]!.Slots !== slots) {
            throw invalidCombination(`Node group ${i + 1} must keep the slots ${slots} of snapshot ${snapshot.name}.`);
          }
          shards[i]!.slots = slots;
          restoreFiles.push(f.file);
        });
      } else if (snapshot && snapshot.numNodeGroups > 1) {
        throw invalidCombination(`Snapshot ${snapshot.name} has ${snapshot.numNodeGroups} node groups: restore it into a cluster mode enabled replication group.`);
      }
      if (await ops.store.get(ctx, 'replication-group', id)) throw new ReplicationGroupAlreadyExistsFault(`Replication group ${id} already exists.`);

      const nodeCount = shards.reduce((n, s) => n + 1 + s.replicas, 0);
      const endpointPorts = await allocatePorts(ops, clusterMode ? 3 : 2, input.Port);
      const nodePorts = await allocatePorts(ops, nodeCount);
      const now = new Date().toISOString();
      const common = {
        engine: choice.engine,
        engineVersion: choice.version,
        nodeType: input.CacheNodeType ?? 'cache.t3.micro',
        status: 'creating',
        createdAt: now,
        parameterGroupName: choice.parameterGroupName,
        configVersion: 1,
        replicationGroupId: id,
        clusterMode,
        authToken,
        authTokenModified: authToken ? now : undefined,
        userGroupIds,
        snapshotRetentionLimit: input.SnapshotRetentionLimit ?? 0,
        snapshotWindow: input.SnapshotWindow ?? '05:00-06:00',
        maintenanceWindow: input.PreferredMaintenanceWindow ?? 'sun:23:00-mon:01:30',
        tags: (input.Tags ?? []) as TagRecord[],
      };
      const clusters: ClusterRecord[] = [];
      const nodeGroups: NodeGroupRecord[] = [];
      let n = 0;
      shards.forEach((shard, s) => {
        const ngId = clusterMode ? (input.NodeGroupConfiguration?.[s]?.NodeGroupId ?? String(s + 1).padStart(4, '0')) : '0001';
        const ids = Array.from({ length: 1 + shard.replicas }, (_, m) => (clusterMode ? `${id}-${ngId}-${String(m + 1).padStart(3, '0')}` : `${id}-${String(m + 1).padStart(3, '0')}`));
        nodeGroups.push({ id: ngId, slots: shard.slots, primaryClusterId: ids[0]!, replicaClusterIds: ids.slice(1) });
        ids.forEach((cid, m) => {
          clusters.push({
            ...common,
            id: cid,
            arn: arnOf(ctx, 'cluster', cid),
            port: nodePorts[n++]!,
            nodeGroupId: ngId,
            role: m === 0 ? 'primary' : 'replica',
            primaryClusterId: m === 0 || clusterMode ? undefined : ids[0],
            restoreFrom: m === 0 ? snapshot?.name : undefined,
            restoreFile: m === 0 ? restoreFiles[s] : undefined,
            availabilityZone: input.PreferredCacheClusterAZs?.[m] ?? `${ctx.region}${String.fromCharCode(97 + (m % 3))}`,
          });
        });
      });
      const group: ReplicationGroupRecord = {
        id,
        arn: arnOf(ctx, 'replicationgroup', id),
        description: input.ReplicationGroupDescription,
        engine: choice.engine,
        engineVersion: choice.version,
        nodeType: common.nodeType,
        status: 'creating',
        createdAt: now,
        clusterMode,
        nodeGroups,
        automaticFailover: input.AutomaticFailoverEnabled ?? clusterMode,
        multiAZ: input.MultiAZEnabled ?? false,
        primaryPort: endpointPorts[0]!,
        readerPort: endpointPorts[1]!,
        configurationPort: clusterMode ? endpointPorts[2] : undefined,
        parameterGroupName: choice.parameterGroupName,
        authToken,
        authTokenModified: common.authTokenModified,
        userGroupIds,
        snapshotRetentionLimit: common.snapshotRetentionLimit,
        snapshotWindow: common.snapshotWindow,
        tags: common.tags,
      };
      const clash = await ops.store.insert(ctx, [{ kind: 'replication-group', id, body: group }, ...clusters.map((c) => ({ kind: 'cluster' as const, id: c.id, body: c }))], true);
      if (clash) {
        releasePorts(ops, [...endpointPorts, ...nodePorts]);
        if (clash === id) throw new ReplicationGroupAlreadyExistsFault(`Replication group ${id} already exists.`);
        throw invalidCombination(`Cache cluster ${clash} already exists.`);
      }
      await linkUserGroups(ops, ctx, id, userGroupIds, []);
      return { ReplicationGroup: replicationGroupOutput(group, new Map(clusters.map((c) => [c.id, c]))) };
    },

    DescribeReplicationGroups: async (input: DescribeReplicationGroupsRequest, ctx: RequestContext) => {
      const groups = input.ReplicationGroupId ? [await findGroup(ops, ctx, input.ReplicationGroupId)] : await ops.store.list<ReplicationGroupRecord>(ctx, 'replication-group');
      return { ReplicationGroups: await Promise.all(groups.map((g) => output(ops, ctx, g))) };
    },

    ModifyReplicationGroup: async (input: ModifyReplicationGroupRequest, ctx: RequestContext) => {
      const current = await findGroup(ops, ctx, input.ReplicationGroupId);
      if (input.CacheParameterGroupName) {
        const { groupClusterMode } = await engineChoice(ops, ctx, { Engine: current.engine, CacheParameterGroupName: input.CacheParameterGroupName }, current.clusterMode);
        if (groupClusterMode !== current.clusterMode) throw invalidCombination('The cluster mode of the parameter group does not match the replication group.');
      }
      const authToken = checkAuthToken(input.AuthToken);
      const strategy = input.AuthTokenUpdateStrategy;
      if (strategy && strategy !== 'DELETE' && authToken === undefined) throw invalidCombination('AuthTokenUpdateStrategy requires AuthToken.');
      const add = input.UserGroupIdsToAdd ?? [];
      const remove = input.RemoveUserGroups ? current.userGroupIds : (input.UserGroupIdsToRemove ?? []);
      await checkUserGroups(ops, ctx, add);
      const ids = memberIds(current);
      if (input.PrimaryClusterId && !current.clusterMode && !current.nodeGroups[0]!.replicaClusterIds.includes(input.PrimaryClusterId) && current.nodeGroups[0]!.primaryClusterId !== input.PrimaryClusterId) {
        throw invalidValue(`Cache cluster ${input.PrimaryClusterId} is not a member of replication group ${current.id}.`);
      }
      const updated = await ops.store.update(
        ctx,
        [{ kind: 'replication-group', id: current.id }, ...ids.map((id) => ({ kind: 'cluster' as const, id }))],
        ([gb, ...cbs]) => {
          const g = gb as ReplicationGroupRecord | undefined;
          if (!g) throw notFound(input.ReplicationGroupId);
          if (g.status !== 'available') throw new InvalidReplicationGroupStateFault(`Replication group ${g.id} is not in the available state (${g.status}).`);
          const next: ReplicationGroupRecord = { ...g };
          const clusterChange: Partial<ClusterRecord> = {};
          let engineWork = false;
          if (input.ReplicationGroupDescription !== undefined) next.description = input.ReplicationGroupDescription;
          if (input.AutomaticFailoverEnabled !== undefined) {
            if (input.AutomaticFailoverEnabled && memberIds(g).length < 2) throw invalidCombination('Automatic failover requires at least one replica.');
            if (!input.AutomaticFailoverEnabled && g.clusterMode) throw invalidCombination('Automatic failover cannot be disabled for cluster mode enabled replication groups.');
            next.automaticFailover = input.AutomaticFailoverEnabled;
          }
          if (input.MultiAZEnabled !== undefined) next.multiAZ = input.MultiAZEnabled;
          if (input.SnapshotRetentionLimit !== undefined) next.snapshotRetentionLimit = clusterChange.snapshotRetentionLimit = input.SnapshotRetentionLimit;
          if (input.SnapshotWindow) next.snapshotWindow = clusterChange.snapshotWindow = input.SnapshotWindow;
          if (input.CacheParameterGroupName && input.CacheParameterGroupName !== g.parameterGroupName) {
            next.parameterGroupName = clusterChange.parameterGroupName = input.CacheParameterGroupName;
            engineWork = true;
          }
          if (authToken !== undefined || strategy === 'DELETE') {
            // ROTATE keeps the old token valid in AWS; the engine has one requirepass, so the new one replaces it.
            next.authToken = clusterChange.authToken = strategy === 'DELETE' ? undefined : authToken;
            next.authTokenModified = clusterChange.authTokenModified = new Date().toISOString();
            engineWork = true;
          }
          if (add.length || remove.length) {
            next.userGroupIds = [...g.userGroupIds.filter((u) => !remove.includes(u)), ...add.filter((u) => !g.userGroupIds.includes(u))];
            clusterChange.userGroupIds = next.userGroupIds;
          }
          if (input.PrimaryClusterId && input.PrimaryClusterId !== g.nodeGroups[0]!.primaryClusterId) {
            next.failover = { nodeGroupId: g.nodeGroups[0]!.id, newPrimaryClusterId: input.PrimaryClusterId };
            engineWork = true;
          }
          if (engineWork) next.status = 'modifying';
          const bodies = cbs.map((b) => {
            const c = b as ClusterRecord | undefined;
            if (!c) return c;
            const changed = { ...c, ...clusterChange };
            if (clusterChange.parameterGroupName || 'authToken' in clusterChange) {
              changed.configVersion = c.configVersion + 1;
              changed.status = 'modifying';
            }
            return changed;
          });
          return { bodies: [next, ...bodies], result: next };
        },
        true,
      );
      await linkUserGroups(ops, ctx, current.id, add, remove);
      return { ReplicationGroup: await output(ops, ctx, updated) };
    },

    TestFailover: async (input: TestFailoverRequest, ctx: RequestContext) => {
      const current = await findGroup(ops, ctx, input.ReplicationGroupId);
      const updated = await ops.store.update(
        ctx,
        [{ kind: 'replication-group', id: current.id }],
        ([gb]) => {
          const g = gb as ReplicationGroupRecord | undefined;
          if (!g) throw notFound(input.ReplicationGroupId);
          const ng = g.nodeGroups.find((n) => n.id === input.NodeGroupId);
          if (!ng) throw new NodeGroupNotFoundFault(`NodeGroup ${input.NodeGroupId} not found in replication group ${g.id}.`);
          if (g.status !== 'available') throw new InvalidReplicationGroupStateFault(`Replication group ${g.id} is not in the available state (${g.status}).`);
          if (!g.automaticFailover) throw invalidCombination(`Replication group ${g.id} does not have automatic failover enabled.`);
          if (ng.replicaClusterIds.length === 0) throw invalidCombination(`Node group ${ng.id} has no replica to fail over to.`);
          const next: ReplicationGroupRecord = { ...g, status: 'modifying', failover: { nodeGroupId: ng.id, newPrimaryClusterId: ng.replicaClusterIds[0]! } };
          return { bodies: [next], result: next };
        },
        true,
      );
      return { ReplicationGroup: await output(ops, ctx, updated) };
    },

    IncreaseReplicaCount: async (input: IncreaseReplicaCountRequest, ctx: RequestContext) => {
      const current = await findGroup(ops, ctx, input.ReplicationGroupId);
      if (current.clusterMode) return scaleClusterReplicas(ops, ctx, current, input, 'increase');
      const ng = current.nodeGroups[0]!;
      const target = input.NewReplicaCount ?? input.ReplicaConfiguration?.[0]?.NewReplicaCount;
      if (target === undefined) throw invalidCombination('NewReplicaCount or ReplicaConfiguration is required.');
      if (target <= ng.replicaClusterIds.length) throw invalidValue(`NewReplicaCount must be greater than the current replica count (${ng.replicaClusterIds.length}).`);
      if (target > MAX_REPLICAS) throw invalidValue(`NewReplicaCount must be at most ${MAX_REPLICAS}.`);
      const primary = (await ops.store.get<ClusterRecord>(ctx, 'cluster', ng.primaryClusterId))!;
      const existing = new Set(memberIds(current));
      const newIds: string[] = [];
      for (let i = 1; newIds.length < target - ng.replicaClusterIds.length; i++) {
        const cid = `${current.id}-${String(i).padStart(3, '0')}`;
        if (!existing.has(cid)) newIds.push(cid);
      }
      const ports = await allocatePorts(ops, newIds.length);
      const keys = [{ kind: 'replication-group' as const, id: current.id }, ...newIds.map((id) => ({ kind: 'cluster' as const, id }))];
      const updated = await ops.store.update(
        ctx,
        keys,
        ([gb]) => {
          const g = gb as ReplicationGroupRecord | undefined;
          if (!g) throw notFound(input.ReplicationGroupId);
          if (g.status !== 'available') throw new InvalidReplicationGroupStateFault(`Replication group ${g.id} is not in the available state (${g.status}).`);
          const next: ReplicationGroupRecord = { ...g, status: 'modifying', nodeGroups: [{ ...g.nodeGroups[0]!, replicaClusterIds: [...g.nodeGroups[0]!.replicaClusterIds, ...newIds] }] };
          const clusters = newIds.map((cid, i): ClusterRecord => ({
            ...primary,
            id: cid,
            arn: arnOf(ctx, 'cluster', cid),
            port: ports[i]!,
            status: 'creating',
            createdAt: new Date().toISOString(),
            role: 'replica',
            primaryClusterId: g.nodeGroups[0]!.primaryClusterId,
            restoreFrom: undefined,
            finalSnapshotName: undefined,
            availabilityZone: `${ctx.region}${AZ_SUFFIX}`,
          }));
          return { bodies: [next, ...clusters], result: next };
        },
        true,
      );
      return { ReplicationGroup: await output(ops, ctx, updated) };
    },

    DecreaseReplicaCount: async (input: DecreaseReplicaCountRequest, ctx: RequestContext) => {
      const current = await findGroup(ops, ctx, input.ReplicationGroupId);
      if (current.clusterMode) return scaleClusterReplicas(ops, ctx, current, input, 'decrease');
      const ng = current.nodeGroups[0]!;
      let removeIds = input.ReplicasToRemove ?? [];
      const target = input.NewReplicaCount ?? input.ReplicaConfiguration?.[0]?.NewReplicaCount;
      if (removeIds.length === 0) {
        if (target === undefined) throw invalidCombination('NewReplicaCount, ReplicaConfiguration or ReplicasToRemove is required.');
        if (target >= ng.replicaClusterIds.length || target < 0) throw invalidValue(`NewReplicaCount must be less than the current replica count (${ng.replicaClusterIds.length}).`);
        removeIds = ng.replicaClusterIds.slice(target);
      }
      for (const rid of removeIds) if (!ng.replicaClusterIds.includes(rid)) throw invalidValue(`Cache cluster ${rid} is not a replica of replication group ${current.id}.`);
      const remaining = ng.replicaClusterIds.filter((r) => !removeIds.includes(r));
      if (current.automaticFailover && remaining.length === 0) throw invalidCombination('Automatic failover requires at least one replica: disable it first.');
      const updated = await ops.store.update(
        ctx,
        [{ kind: 'replication-group' as const, id: current.id }, ...removeIds.map((id) => ({ kind: 'cluster' as const, id }))],
        ([gb, ...cbs]) => {
          const g = gb as ReplicationGroupRecord | undefined;
          if (!g) throw notFound(input.ReplicationGroupId);
          if (g.status !== 'available') throw new InvalidReplicationGroupStateFault(`Replication group ${g.id} is not in the available state (${g.status}).`);
          const next: ReplicationGroupRecord = { ...g, status: 'modifying', nodeGroups: [{ ...g.nodeGroups[0]!, replicaClusterIds: remaining }] };
          return { bodies: [next, ...cbs.map((b) => (b ? { ...(b as ClusterRecord), status: 'deleting', replicationGroupId: undefined } : b))], result: next };
        },
        true,
      );
      return { ReplicationGroup: await output(ops, ctx, updated) };
    },

    DeleteReplicationGroup: async (input: DeleteReplicationGroupRequest, ctx: RequestContext) => {
      const current = await findGroup(ops, ctx, input.ReplicationGroupId);
      if (input.RetainPrimaryCluster) throw invalidCombination('RetainPrimaryCluster is not supported here.');
      const snapName = input.FinalSnapshotIdentifier;
      if (snapName && (await ops.store.get(ctx, 'snapshot', snapName))) throw new SnapshotAlreadyExistsFault(`Snapshot ${snapName} already exists.`);
      const ids = memberIds(current);
      const updated = await ops.store.update(
        ctx,
        [{ kind: 'replication-group' as const, id: current.id }, ...ids.map((id) => ({ kind: 'cluster' as const, id })), ...(snapName ? [{ kind: 'snapshot' as const, id: snapName }] : [])],
        (bodies) => {
          const g = bodies[0] as ReplicationGroupRecord | undefined;
          if (!g) throw notFound(input.ReplicationGroupId);
          if (g.status === 'deleting' || g.status === 'creating') throw new InvalidReplicationGroupStateFault(`Replication group ${g.id} is not in a valid state to be deleted (${g.status}).`);
          const primaries = new Set(g.nodeGroups.map((ng) => ng.primaryClusterId));
          const members = bodies.slice(1, 1 + ids.length).map((b) =>
            b ? { ...(b as ClusterRecord), status: 'deleting', finalSnapshotName: snapName && primaries.has((b as ClusterRecord).id) ? snapName : undefined } : b,
          );
          const out: unknown[] = [{ ...g, status: 'deleting', finalSnapshotName: snapName }, ...members];
          if (snapName) {
            const base = members.find((m) => m && primaries.has((m as ClusterRecord).id)) as ClusterRecord;
            const slots = g.clusterMode ? Object.fromEntries(g.nodeGroups.map((ng) => [ng.id, ng.slots ?? ''])) : undefined;
            out.push(newSnapshot(ctx, snapName, { group: { id: g.id, description: g.description, numNodeGroups: g.nodeGroups.length, createdAt: g.createdAt, slots } }, base));
          }
          return { bodies: out, result: { ...g, status: 'deleting' } as ReplicationGroupRecord };
        },
        true,
      );
      const members = await membersOf(ops, ctx, current);
      releasePorts(ops, [current.primaryPort, current.readerPort, ...(current.configurationPort !== undefined ? [current.configurationPort] : []), ...[...members.values()].map((m) => m.port)]);
      await linkUserGroups(ops, ctx, current.id, [], current.userGroupIds);
      return { ReplicationGroup: replicationGroupOutput(updated, members) };
    },
  };
}
