// The fleet's part for serverless caches (called at the start of each reconcile pass): a serverless
// cache follows its hidden node `serverless:<name>` (creating/modifying → available once the node
// is), snapshots are SAVEd from that node into their own RDB files, and a deleting cache takes its
// final snapshot before it marks its node deleting (the cluster pass then stops the process).
import type { Logger } from '@atoll/core';
import type { ClusterRecord, ServerlessCacheRecord, ServerlessSnapshotRecord } from './cache-records.js';
import type { ElastiCacheStore, Scope, StoredRecord } from './elasticache-store.js';

/** The id of the hidden cluster record that runs a serverless cache's engine. */
export const serverlessNodeId = (name: string) => `serverless:${name}`;

export interface ServerlessFleetHost {
  serverlessSnapshotFile(scope: Scope, snapshotName: string): string;
  saveNode(scope: Scope, clusterId: string, file: string): Promise<number | undefined>;
}

/** One pass; resolves true while something serverless is still transitional. */
export async function reconcileServerless(host: ServerlessFleetHost, store: ElastiCacheStore, logger: Logger): Promise<boolean> {
  let unsettled = false;
  const caches = await store.listEverywhere<ServerlessCacheRecord>('serverless-cache');
  const snapshots = await store.listEverywhere<ServerlessSnapshotRecord>('serverless-snapshot');
  const cacheOf = (s: StoredRecord<ServerlessSnapshotRecord>) => caches.find((c) => c.accountId === s.accountId && c.region === s.region && c.id === s.body.cacheName);

  for (const snap of snapshots) {
    if (snap.body.status !== 'creating') continue;
    const cache = cacheOf(snap);
    try {
      const size = cache ? await host.saveNode(snap, serverlessNodeId(cache.id), host.serverlessSnapshotFile(snap, snap.id)) : undefined;
      if (size === undefined) {
        // The node is not running yet (a cache still creating) or no longer exists.
        if (cache) {
          unsettled = true;
          continue;
        }
        throw new Error(`serverless cache ${snap.body.cacheName} is gone`);
      }
      await store.update(snap, [{ kind: 'serverless-snapshot', id: snap.id }], ([b]) => {
        const body = b as ServerlessSnapshotRecord | undefined;
        return { bodies: [body ? { ...body, status: 'available', file: host.serverlessSnapshotFile(snap, snap.id), sizeBytes: size } : body], result: undefined };
      });
    } catch (error) {
      logger.error({ err: error, snapshot: snap.id }, 'elasticache: serverless snapshot failed');
      await store.update(snap, [{ kind: 'serverless-snapshot', id: snap.id }], ([b]) => ({ bodies: [b ? { ...(b as ServerlessSnapshotRecord), status: 'failed' } : b], result: undefined }));
    }
  }

  for (const rec of caches) {
    const cache = rec.body;
    const nodeId = serverlessNodeId(cache.name);
    if (cache.status === 'deleting') {
      const final = cache.finalSnapshotName ? snapshots.find((s) => s.accountId === rec.accountId && s.region === rec.region && s.id === cache.finalSnapshotName) : undefined;
      if (final && final.body.status === 'creating') {
        unsettled = true; // taken above once the node answers; delete on a later pass
        continue;
      }
      await store.update(rec, [{ kind: 'cluster', id: nodeId }], ([b]) => ({ bodies: [b ? { ...(b as ClusterRecord), status: 'deleting' } : b], result: undefined }));
      await store.delete(rec, 'serverless-cache', cache.name);
      unsettled = true;
      continue;
    }
    if (cache.status !== 'creating' && cache.status !== 'modifying') continue;
    const node = await store.get<ClusterRecord>(rec, 'cluster', nodeId);
    if (node?.status !== 'available') {
      unsettled = true;
      continue;
    }
    await store.update(rec, [{ kind: 'serverless-cache', id: cache.name }], ([b]) => {
      const body = b as ServerlessCacheRecord | undefined;
      const ready = body && (body.status === 'creating' || body.status === 'modifying');
      return { bodies: [ready ? { ...body, status: 'available' } : body], result: undefined };
    });
  }
  return unsettled;
}
