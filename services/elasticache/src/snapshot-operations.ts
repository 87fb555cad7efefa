// Snapshots as real RDB files: CreateSnapshot asks the fleet to SAVE on the source node (a replica
// when the group has one) and copy dump.rdb under the service's blob directory; a new cluster or
// group restores from it (SnapshotName) by starting on that file.
// CopySnapshot copies the RDB files under a new name, or with TargetBucket exports them to S3.
// Known limitations: no automatic (daily) snapshots; exports read each RDB file into memory.
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RequestContext } from '@atoll/core';
import type { CopySnapshotRequest, CreateSnapshotRequest, DeleteSnapshotRequest, DescribeSnapshotsRequest } from '@atoll/aws-models/elasticache';
import type { ClusterRecord, ReplicationGroupRecord, SnapshotRecord, TagRecord } from './cache-records.js';
import { findCluster, newSnapshot } from './cluster-operations.js';
import {
  InvalidCacheClusterStateFault,
  InvalidReplicationGroupStateFault,
  InvalidSnapshotStateFault,
  ReplicationGroupNotFoundFault,
  SnapshotAlreadyExistsFault,
  SnapshotNotFoundFault,
  invalidCombination,
} from './elasticache-errors.js';
import { arnOf, exportToS3, type OpsContext } from './ops-context.js';
import { snapshotOutput } from './output.js';
import { checkIdentifier } from './validation.js';

export function snapshotOperations(ops: OpsContext) {
  return {
    CreateSnapshot: async (input: CreateSnapshotRequest, ctx: RequestContext) => {
      const name = checkIdentifier('SnapshotName', input.SnapshotName, 255);
      if (!input.CacheClusterId === !input.ReplicationGroupId) throw invalidCombination('Exactly one of CacheClusterId and ReplicationGroupId must be given.');
      const tags = (input.Tags ?? []) as TagRecord[];
      let snap: SnapshotRecord;
      let keys: { kind: 'cluster' | 'replication-group'; id: string }[];
      if (input.ReplicationGroupId) {
        const g = await ops.store.get<ReplicationGroupRecord>(ctx, 'replication-group', input.ReplicationGroupId.toLowerCase());
        if (!g) throw new ReplicationGroupNotFoundFault(`ReplicationGroup not found: ${input.ReplicationGroupId}`);
        const base = await findCluster(ops, ctx, g.nodeGroups[0]!.primaryClusterId);
        const slots = g.clusterMode ? Object.fromEntries(g.nodeGroups.map((ng) => [ng.id, ng.slots ?? ''])) : undefined;
        snap = newSnapshot(ctx, name, { group: { id: g.id, description: g.description, numNodeGroups: g.nodeGroups.length, createdAt: g.createdAt, slots } }, base, tags);
        keys = [{ kind: 'replication-group', id: g.id }];
      } else {
        const c = await findCluster(ops, ctx, input.CacheClusterId!);
        if (c.replicationGroupId) throw invalidCombination(`Cache cluster ${c.id} belongs to replication group ${c.replicationGroupId}: snapshot the replication group.`);
        snap = newSnapshot(ctx, name, { cluster: c }, c, tags);
        keys = [{ kind: 'cluster', id: c.id }];
      }
      await ops.store.update(
        ctx,
        [...keys, { kind: 'snapshot', id: name }],
        ([source, existing]) => {
          if (existing) throw new SnapshotAlreadyExistsFault(`Snapshot ${name} already exists.`);
          const s = source as { status: string; id: string } | undefined;
          if (!s || s.status !== 'available') {
            throw keys[0]!.kind === 'cluster'
              ? new InvalidCacheClusterStateFault(`Cache cluster ${keys[0]!.id} is not in the available state.`)
              : new InvalidReplicationGroupStateFault(`Replication group ${keys[0]!.id} is not in the available state.`);
          }
          return { bodies: [{ ...s, status: 'snapshotting' }, snap], result: undefined };
        },
        true,
      );
      return { Snapshot: snapshotOutput(snap) };
    },

    DescribeSnapshots: async (input: DescribeSnapshotsRequest, ctx: RequestContext) => {
      let snaps = await ops.store.list<SnapshotRecord>(ctx, 'snapshot');
      if (input.SnapshotName) {
        snaps = snaps.filter((s) => s.name === input.SnapshotName);
        if (snaps.length === 0) throw new SnapshotNotFoundFault(`Snapshot ${input.SnapshotName} not found.`);
      }
      if (input.CacheClusterId) snaps = snaps.filter((s) => s.cacheClusterId === input.CacheClusterId!.toLowerCase());
      if (input.ReplicationGroupId) snaps = snaps.filter((s) => s.replicationGroupId === input.ReplicationGroupId!.toLowerCase());
      if (input.SnapshotSource) snaps = snaps.filter((s) => s.source === input.SnapshotSource);
      return { Snapshots: snaps.map(snapshotOutput) };
    },

    CopySnapshot: async (input: CopySnapshotRequest, ctx: RequestContext) => {
      const source = await ops.store.get<SnapshotRecord>(ctx, 'snapshot', input.SourceSnapshotName);
      if (!source) throw new SnapshotNotFoundFault(`Snapshot ${input.SourceSnapshotName} not found.`);
      const name = checkIdentifier('TargetSnapshotName', input.TargetSnapshotName, 255);
      if (source.status !== 'available') throw new InvalidSnapshotStateFault(`Snapshot ${source.name} is not in the available state.`);
      if (input.TargetBucket) {
        // Export: one object per node group, `<TargetSnapshotName>-<node group>.rdb`; no new snapshot.
        for (const f of source.files) await exportToS3(ops, ctx, input.TargetBucket, `${name}-${f.nodeGroupId}.rdb`, readFileSync(f.file));
        return { Snapshot: snapshotOutput(source) };
      }
      if (await ops.store.get(ctx, 'snapshot', name)) throw new SnapshotAlreadyExistsFault(`Snapshot ${name} already exists.`);
      const now = new Date().toISOString();
      const files = source.files.map((f) => ({ ...f, file: ops.fleet.snapshotFile(ctx, name, f.nodeGroupId) }));
      const copy: SnapshotRecord = { ...source, name, arn: arnOf(ctx, 'snapshot', name), source: 'manual', createdAt: now, files, tags: (input.Tags ?? []) as TagRecord[] };
      if (await ops.store.insert(ctx, [{ kind: 'snapshot', id: name, body: copy }])) throw new SnapshotAlreadyExistsFault(`Snapshot ${name} already exists.`);
      try {
        source.files.forEach((f, i) => {
          mkdirSync(dirname(files[i]!.file), { recursive: true });
          copyFileSync(f.file, files[i]!.file);
        });
      } catch (error) {
        await ops.store.delete(ctx, 'snapshot', name);
        throw error;
      }
      return { Snapshot: snapshotOutput(copy) };
    },

    DeleteSnapshot: async (input: DeleteSnapshotRequest, ctx: RequestContext) => {
      const snap = await ops.store.get<SnapshotRecord>(ctx, 'snapshot', input.SnapshotName);
      if (!snap) throw new SnapshotNotFoundFault(`Snapshot ${input.SnapshotName} not found.`);
      if (snap.status === 'creating') throw new InvalidSnapshotStateFault(`Snapshot ${snap.name} is being created.`);
      const clusters = await ops.store.list<ClusterRecord>(ctx, 'cluster');
      if (clusters.some((c) => c.restoreFrom === snap.name && c.status === 'creating')) throw new InvalidSnapshotStateFault(`Snapshot ${snap.name} is being restored.`);
      await ops.store.delete(ctx, 'snapshot', snap.name);
      if (snap.files[0]) rmSync(dirname(snap.files[0].file), { recursive: true, force: true });
      return { Snapshot: snapshotOutput({ ...snap, status: 'deleting' }) };
    },
  };
}
