// ModifyReplicationGroupShardConfiguration: adds or removes shards of a cluster-mode replication
// group. The operation records the target layout (new shards' nodes, every staying shard's new slot
// range, the shards to remove) and the fleet moves the slots for real (resharding.ts).
// Known limitations: slots are spread evenly over the resulting shards in node-group order (AWS
// balances them too); ReshardingConfiguration's availability zones are recorded as the new nodes'
// zones only; ApplyImmediately must be true (as on AWS).
import type { RequestContext } from '@atoll/core';
import type { ModifyReplicationGroupShardConfigurationRequest } from '@atoll/aws-models/elasticache';
import type { ClusterRecord, NodeGroupRecord, ReplicationGroupRecord } from './cache-records.js';
import { allocatePorts, releasePorts } from './cluster-operations.js';
import { slotRanges } from './elasticache-fleet.js';
import {
  InvalidReplicationGroupStateFault,
  NodeGroupNotFoundFault,
  NodeGroupsPerReplicationGroupQuotaExceededFault,
  ReplicationGroupNotFoundFault,
  invalidCombination,
  invalidValue,
} from './elasticache-errors.js';
import { arnOf, type OpsContext } from './ops-context.js';
import { replicationGroupOutput } from './output.js';

const MAX_NODE_GROUPS = 90;

export function shardOperations(ops: OpsContext) {
  return {
    ModifyReplicationGroupShardConfiguration: async (input: ModifyReplicationGroupShardConfigurationRequest, ctx: RequestContext) => {
      const id = input.ReplicationGroupId.toLowerCase();
      const current = await ops.store.get<ReplicationGroupRecord>(ctx, 'replication-group', id);
      if (!current) throw new ReplicationGroupNotFoundFault(`ReplicationGroup not found: ${input.ReplicationGroupId}`);
      if (!current.clusterMode) throw invalidCombination(`Replication group ${current.id} does not have cluster mode enabled: its shard configuration cannot be modified.`);
      if (input.ApplyImmediately !== true) throw invalidValue('ApplyImmediately must be true: the shard configuration is only changed immediately.');
      const count = input.NodeGroupCount;
      if (!Number.isInteger(count) || count < 1) throw invalidValue('NodeGroupCount must be at least 1.');
      if (count > MAX_NODE_GROUPS) throw new NodeGroupsPerReplicationGroupQuotaExceededFault(`The request cannot be processed because it would exceed the maximum of ${MAX_NODE_GROUPS} node groups (shards) per replication group.`);
      const have = current.nodeGroups.length;
      if (count === have) throw invalidValue(`NodeGroupCount ${count} is the current number of node groups.`);
      if (input.NodeGroupsToRemove?.length && input.NodeGroupsToRetain?.length) throw invalidCombination('NodeGroupsToRemove and NodeGroupsToRetain cannot be used together.');
      for (const ngId of [...(input.NodeGroupsToRemove ?? []), ...(input.NodeGroupsToRetain ?? [])]) {
        if (!current.nodeGroups.some((ng) => ng.id === ngId)) throw new NodeGroupNotFoundFault(`NodeGroup ${ngId} not found in replication group ${current.id}.`);
      }

      let remove: string[] = [];
      const added: { ng: NodeGroupRecord; clusters: ClusterRecord[] }[] = [];
      let ports: number[] = [];
      if (count < have) {
        if (input.NodeGroupsToRetain?.length) remove = current.nodeGroups.map((ng) => ng.id).filter((ngId) => !input.NodeGroupsToRetain!.includes(ngId));
        else if (input.NodeGroupsToRemove?.length) remove = [...new Set(input.NodeGroupsToRemove)];
        else throw invalidCombination('Decreasing the number of node groups requires NodeGroupsToRemove or NodeGroupsToRetain.');
        if (have - remove.length !== count) throw invalidValue(`NodeGroupCount ${count} does not match the ${have - remove.length} node groups that would remain.`);
      } else {
        if (input.NodeGroupsToRemove?.length || input.NodeGroupsToRetain?.length) throw invalidCombination('NodeGroupsToRemove and NodeGroupsToRetain apply only when decreasing the number of node groups.');
        const base = await ops.store.get<ClusterRecord>(ctx, 'cluster', current.nodeGroups[0]!.primaryClusterId);
        if (!base) throw new InvalidReplicationGroupStateFault(`Replication group ${current.id} is not in the available state.`);
        const replicas = current.nodeGroups[0]!.replicaClusterIds.length;
        const taken = new Set(current.nodeGroups.map((ng) => ng.id));
        const newIds: string[] = [];
        for (let n = 1; newIds.length < count - have; n++) {
          const ngId = String(n).padStart(4, '0');
          if (!taken.has(ngId)) newIds.push(ngId);
        }
        ports = await allocatePorts(ops, newIds.length * (1 + replicas));
        let p = 0;
        const now = new Date().toISOString();
        newIds.forEach((ngId, i) => {
          const zones = input.ReshardingConfiguration?.[have + i]?.PreferredAvailabilityZones ?? [];
          const ids = Array.from({ length: 1 + replicas }, (_, m) => `${current.id}-${ngId}-${String(m + 1).padStart(3, '0')}`);
          const clusters = ids.map((cid, m): ClusterRecord => ({
            ...base,
            id: cid,
            arn: arnOf(ctx, 'cluster', cid),
            port: ports[p++]!,
            status: 'creating',
            createdAt: now,
            nodeGroupId: ngId,
            role: m === 0 ? 'primary' : 'replica',
            primaryClusterId: undefined,
            restoreFrom: undefined,
            restoreFile: undefined,
            finalSnapshotName: undefined,
            availabilityZone: zones[m] ?? `${ctx.region}${String.fromCharCode(97 + (m % 3))}`,
          }));
          added.push({ ng: { id: ngId, primaryClusterId: ids[0]!, replicaClusterIds: ids.slice(1) }, clusters });
        });
      }

      const newClusters = added.flatMap((a) => a.clusters);
      const updated = await ops.store
        .update(
          ctx,
          [{ kind: 'replication-group', id: current.id }, ...newClusters.map((c) => ({ kind: 'cluster' as const, id: c.id }))],
          ([gb, ...existing]) => {
            const g = gb as ReplicationGroupRecord | undefined;
            if (!g) throw new ReplicationGroupNotFoundFault(`ReplicationGroup not found: ${input.ReplicationGroupId}`);
            if (g.status !== 'available') throw new InvalidReplicationGroupStateFault(`Replication group ${g.id} is not in the available state (${g.status}).`);
            if (g.nodeGroups.length !== have) throw new InvalidReplicationGroupStateFault(`Replication group ${g.id} changed while the request was prepared; retry.`);
            if (existing.some((c) => c !== undefined)) throw invalidCombination('A cache cluster with a new node id already exists.');
            // Staying shards (in order) then new ones share the slots evenly.
            const staying = [...g.nodeGroups.filter((ng) => !remove.includes(ng.id)), ...added.map((a) => a.ng)];
            const ranges = slotRanges(staying.length);
            const bySlots = new Map(staying.map((ng, i) => [ng.id, ranges[i]!]));
            const nodeGroups = [...g.nodeGroups, ...added.map((a) => a.ng)].map((ng) => ({ ...ng, slots: bySlots.get(ng.id) ?? '' }));
            const next: ReplicationGroupRecord = { ...g, status: 'modifying', nodeGroups, resharding: { removeNodeGroupIds: remove } };
            return { bodies: [next, ...newClusters], result: next };
          },
          true,
        )
        .catch((error: unknown) => {
          releasePorts(ops, ports);
          throw error;
        });
      const members = new Map<string, ClusterRecord>();
      for (const cid of updated.nodeGroups.flatMap((ng) => [ng.primaryClusterId, ...ng.replicaClusterIds])) {
        const c = newClusters.find((n) => n.id === cid) ?? (await ops.store.get<ClusterRecord>(ctx, 'cluster', cid));
        if (c) members.set(cid, c);
      }
      return { ReplicationGroup: replicationGroupOutput(updated, members) };
    },
  };
}

const MAX_REPLICAS = 5;

/**
 * IncreaseReplicaCount / DecreaseReplicaCount on a cluster-mode group: per shard (ReplicaConfiguration),
 * for every shard (NewReplicaCount), or named replicas (ReplicasToRemove). New replicas join with
 * CLUSTER MEET and REPLICATE, removed ones are forgotten by the others, through the resharding pass.
 */
export async function scaleClusterReplicas(
  ops: OpsContext,
  ctx: RequestContext,
  current: ReplicationGroupRecord,
  input: { NewReplicaCount?: number; ReplicaConfiguration?: { NodeGroupId: string; NewReplicaCount: number }[]; ReplicasToRemove?: string[] },
  direction: 'increase' | 'decrease',
) {
  const targets = new Map<string, number>();
  const removeIds = new Set<string>();
  if (input.ReplicaConfiguration?.length) {
    for (const conf of input.ReplicaConfiguration) {
      if (!current.nodeGroups.some((ng) => ng.id === conf.NodeGroupId)) throw new NodeGroupNotFoundFault(`NodeGroup ${conf.NodeGroupId} not found in replication group ${current.id}.`);
      targets.set(conf.NodeGroupId, conf.NewReplicaCount);
    }
  } else if (input.NewReplicaCount !== undefined) {
    for (const ng of current.nodeGroups) targets.set(ng.id, input.NewReplicaCount);
  } else if (direction === 'decrease' && input.ReplicasToRemove?.length) {
    for (const rid of input.ReplicasToRemove) {
      if (!current.nodeGroups.some((ng) => ng.replicaClusterIds.includes(rid))) throw invalidValue(`Cache cluster ${rid} is not a replica of replication group ${current.id}.`);
      removeIds.add(rid);
    }
  } else {
    throw invalidCombination(`NewReplicaCount, ReplicaConfiguration${direction === 'decrease' ? ' or ReplicasToRemove' : ''} is required.`);
  }
  const added: ClusterRecord[] = [];
  const addedTo = new Map<string, string[]>();
  const now = new Date().toISOString();
  const newIds: { ng: NodeGroupRecord; id: string }[] = [];
  for (const ng of current.nodeGroups) {
    const have = ng.replicaClusterIds.length;
    const want = targets.get(ng.id);
    if (want === undefined) continue;
    if (want < 0 || want > MAX_REPLICAS) throw invalidValue(`The number of replicas per node group must be between 0 and ${MAX_REPLICAS}.`);
    if (direction === 'increase' && want < have) throw invalidValue(`NewReplicaCount for node group ${ng.id} must not be less than its current replica count (${have}).`);
    if (direction === 'decrease' && want > have) throw invalidValue(`NewReplicaCount for node group ${ng.id} must not be greater than its current replica count (${have}).`);
    if (direction === 'decrease') for (const rid of ng.replicaClusterIds.slice(want)) removeIds.add(rid);
    const taken = new Set([ng.primaryClusterId, ...ng.replicaClusterIds]);
    for (let n = 1; newIds.filter((x) => x.ng === ng).length < want - have; n++) {
      const cid = `${current.id}-${ng.id}-${String(n).padStart(3, '0')}`;
      if (!taken.has(cid)) newIds.push({ ng, id: cid });
    }
  }
  if (newIds.length === 0 && removeIds.size === 0) throw invalidValue(`The requested replica counts are the current ones.`);
  const ports = await allocatePorts(ops, newIds.length);
  for (const [i, { ng, id }] of newIds.entries()) {
    const base = await ops.store.get<ClusterRecord>(ctx, 'cluster', ng.primaryClusterId);
    if (!base) throw new InvalidReplicationGroupStateFault(`Replication group ${current.id} is not in the available state.`);
    added.push({ ...base, id, arn: arnOf(ctx, 'cluster', id), port: ports[i]!, status: 'creating', createdAt: now, role: 'replica', primaryClusterId: undefined, restoreFrom: undefined, restoreFile: undefined, finalSnapshotName: undefined });
    addedTo.set(ng.id, [...(addedTo.get(ng.id) ?? []), id]);
  }
  const updated = await ops.store
    .update(
      ctx,
      [{ kind: 'replication-group', id: current.id }, ...added.map((c) => ({ kind: 'cluster' as const, id: c.id }))],
      ([gb, ...existing]) => {
        const g = gb as ReplicationGroupRecord | undefined;
        if (!g) throw new ReplicationGroupNotFoundFault(`ReplicationGroup not found: ${current.id}`);
        if (g.status !== 'available') throw new InvalidReplicationGroupStateFault(`Replication group ${g.id} is not in the available state (${g.status}).`);
        if (existing.some((c) => c !== undefined)) throw invalidCombination('A cache cluster with a new node id already exists.');
        const nodeGroups = g.nodeGroups.map((ng) => ({ ...ng, replicaClusterIds: [...ng.replicaClusterIds, ...(addedTo.get(ng.id) ?? [])] }));
        const next: ReplicationGroupRecord = { ...g, status: 'modifying', nodeGroups, resharding: { removeNodeGroupIds: [], removeClusterIds: [...removeIds] } };
        return { bodies: [next, ...added], result: next };
      },
      true,
    )
    .catch((error: unknown) => {
      releasePorts(ops, ports);
      throw error;
    });
  const members = new Map<string, ClusterRecord>();
  for (const cid of updated.nodeGroups.flatMap((ng) => [ng.primaryClusterId, ...ng.replicaClusterIds])) {
    const c = added.find((n) => n.id === cid) ?? (await ops.store.get<ClusterRecord>(ctx, 'cluster', cid));
    if (c) members.set(cid, c);
  }
  return { ReplicationGroup: replicationGroupOutput(updated, members) };
}
