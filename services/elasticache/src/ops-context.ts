// What the operation modules share: the store, the fleet (data directories, snapshot files), the port
// allocator for engine and endpoint ports, and ARN construction.
import type { PortAllocator } from '@atoll/supervisor';
import type { ElastiCacheFleet } from './elasticache-fleet.js';
import type { ElastiCacheStore, Scope } from './elasticache-store.js';

export interface OpsContext {
  readonly store: ElastiCacheStore;
  readonly fleet: ElastiCacheFleet;
  readonly ports: PortAllocator;
}

/** `arn:aws:elasticache:<region>:<account>:<kind>:<id>` (cluster, replicationgroup, parametergroup, snapshot, user, usergroup). */
export const arnOf = (scope: Scope, kind: string, id: string): string => `arn:aws:elasticache:${scope.region}:${scope.accountId}:${kind}:${id}`;
