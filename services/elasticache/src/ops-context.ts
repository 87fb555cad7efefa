// What the operation modules share: the store, the fleet (data directories, snapshot files), the port
// allocator for engine and endpoint ports, the platform (S3 exports), and ARN construction.
import type { PlatformContext } from '@atoll/core';
import type { PortAllocator } from '@atoll/supervisor';
import type { ElastiCacheFleet } from './elasticache-fleet.js';
import type { ElastiCacheStore, Scope } from './elasticache-store.js';
import { invalidValue } from './elasticache-errors.js';

export interface OpsContext {
  readonly store: ElastiCacheStore;
  readonly fleet: ElastiCacheFleet;
  readonly ports: PortAllocator;
  /** For exports to S3 (PutObject through the platform, in-process). */
  readonly platform: PlatformContext;
}

/** Writes an RDB file to an S3 bucket of the caller; a bucket that is missing or refuses answers InvalidParameterValue, as ElastiCache does. */
export async function exportToS3(ops: OpsContext, scope: Scope, bucket: string, key: string, body: Buffer): Promise<void> {
  try {
    await ops.platform.call('s3', 'PutObject', { Bucket: bucket, Key: key, Body: body, ContentLength: body.length }, { accountId: scope.accountId, region: scope.region });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw invalidValue(`The S3 bucket ${bucket} cannot be written by ElastiCache: ${reason}`);
  }
}

/** `arn:aws:elasticache:<region>:<account>:<kind>:<id>` (cluster, replicationgroup, parametergroup, snapshot, user, usergroup). */
export const arnOf = (scope: Scope, kind: string, id: string): string => `arn:aws:elasticache:${scope.region}:${scope.accountId}:${kind}:${id}`;
