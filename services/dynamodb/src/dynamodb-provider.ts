// DynamoDB (`dynamodb`, DynamoDB_20120810) and DynamoDB Streams (`dynamodbstreams`) providers.
// Both share one store: SQLite under <dataDir>/dynamodb, or the `dynamodb` schema on PostgreSQL, where
// several nodes serve the same tables. The TTL sweep (`dynamodb:ttl`) and the housekeeping
// (`dynamodb:housekeeping`: stream trimming, folding PostgreSQL's figure deltas) run on one node.
//
// Known limitations:
// - Tables and GSIs become ACTIVE at once (CreateTable answers CREATING, the next DescribeTable ACTIVE);
//   DeleteTable removes the data synchronously. A GSI added by UpdateTable is backfilled synchronously
//   (in 1,000-item chunks) before UpdateTable answers.
// - Scan returns items in encoded-key order, not in DynamoDB's hash order; parallel Scan segments
//   split an MD5 hash of the partition key, so each item is in exactly one segment.
// - No throttling: ProvisionedThroughput is recorded and reported, never enforced. BatchGetItem and
//   BatchWriteItem never return unprocessed items; the 16 MB BatchGetItem response limit is not applied.
// - ConsumedCapacity reports the table total (INDEXES adds the table's own share, not per-index units).
// - ReturnItemCollectionMetrics (SIZE) is answered by PutItem, UpdateItem and DeleteItem on tables with
//   local secondary indexes, as a whole-gigabyte range ([0, 1] under 1 GB); BatchWriteItem and
//   TransactWriteItems do not return it.
// - Input validation follows DynamoDB (request-validation.ts): the parts of a multi-error message are
//   in the model's order, where DynamoDB's order varies between calls.
// - GSIs with multi-attribute keys (up to four HASH and four RANGE attributes) are served; AWS's wording
//   for refusals specific to them (key schema shape, a query skipping a sort attribute) is not
//   published, and Atoll's is used. The 4 MB transaction limit counts the items and keys sent.
// - DescribeTable's ItemCount and TableSizeBytes are exact at every call (DynamoDB refreshes them ~6-hourly).
// - Item sizes follow DynamoDB's published rules; the number size (1 byte per two significant digits
//   plus 1) is DynamoDB's documented approximation.
// - Expression checks: operand-type checks that need the item are made
//   at evaluation time (a comparison of mismatched types is false, as in DynamoDB).
// - Streams have a single shard per stream; records are kept 24 hours; streams of a deleted table go away
//   with the table, and a stream replaced by disabling and re-enabling is no longer readable; shard
//   iterators do not expire.
// - ClientRequestToken idempotency is kept in memory, per node (lost on restart; a retry that reaches
//   another node runs the transaction again).
// - PostgreSQL (several nodes): table metadata is cached per node and dropped by a signal when any node
//   changes it; a write that starts in the moment before the signal arrives (milliseconds) uses the old
//   settings (e.g. writes no entry for a GSI being added, or no record for a stream just enabled).
// - TTL sweeps 2,000 items per table every 2 seconds, so a large table's expired items go within minutes.
// - Durability: writes are acknowledged after their commit (on SQLite, a group commit's fdatasync of the WAL);
//   on SQLite a reader may see a write a moment before its writer's acknowledgement.
// - PartiQL covers SELECT (with WHERE, projection, index), INSERT … VALUE, UPDATE … SET/REMOVE … WHERE and
//   DELETE … WHERE with the key in the WHERE clause; no nested SELECTs, EXISTS, or RETURNING.
// - Deletion protection: DeleteTable is refused with ValidationException, as in DynamoDB.
// - On-demand backups are consistent copies of the table's rows made before CreateBackup answers
//   (AVAILABLE at once): with PITR on, the state at the call from the write history, in key ranges;
//   without, in one transaction, during which SQLite's other writers wait (~10 s per 100 MB on the
//   bench machine). A backup keeps the table's schema; a restore makes a new table without stream, TTL,
//   tags, policies or PITR, as DynamoDB does. SSE and on-demand throughput overrides are ignored;
//   index overrides are not validated beyond the key schema. BackupType is always USER (no SYSTEM
//   backups are made when a table is deleted).
// - Restores (from a backup or a point in time) answer CREATING; the rows are copied in key ranges of
//   5,000 per transaction, the index entries built, then the table is ACTIVE. A restore whose node
//   died is run again by the housekeeping leader after a minute.
// - Point-in-time recovery keeps, while enabled, the item as it was before each write (a history
//   row per write: see bench/dynamodb-pitr for its cost); restore works to any millisecond from one
//   second after PITR was turned on (or the start of the RecoveryPeriodInDays window) up to now
//   (DynamoDB's LatestRestorableDateTime lags ~5 minutes; Atoll's is the present). Turning PITR off
//   drops the history. Restoring a deleted table's point in time is not possible (no history kept
//   after DeleteTable), and a restore uses the source table's current indexes. InvalidRestoreTime
//   and resource policy validation messages are Atoll's wording (DynamoDB's are not published).
// - Resource-based policies (tables and streams; an index follows its table's) are enforced by the
//   edge's authorize step with the IAM evaluator; ConfirmRemoveSelfResourceAccess is accepted and not
//   checked (a policy that locks its writer out is not refused). Policy checks are JSON, size
//   (20 KB), and each statement's Effect, Principal and Action.
// - Contributor insights are recorded (status, mode, rule names) but no CloudWatch rules or
//   contributor figures exist.
// - Exports and imports reach S3 through S3's typed operations in-process, as the account's own
//   service (the caller's s3: permissions and S3BucketOwner are not checked). Exports are full
//   exports (INCREMENTAL_EXPORT: 501) in DYNAMODB_JSON or ION, gzip data files of up to 10,000 items
//   (not one per partition); S3SseAlgorithm is recorded only. Imports read CSV or DYNAMODB_JSON,
//   gzip or none (ION input and ZSTD: 501), every object under S3KeyPrefix; a bad line or item
//   counts in ErrorCount (no CloudWatch log group is written); a failed import (an S3 error)
//   deletes its table. ClientToken idempotency of imports is not kept.
// - Not implemented (501): global tables, Kinesis destinations.
// - Members added to DynamoDB's model since 2023 (botocore 1.43) that are accepted and ignored:
//   WarmThroughput, MultiRegionConsistency, GlobalTableWitnessUpdates, GlobalTableSourceArn and
//   GlobalTableSettingsReplicationMode; DynamoDB Streams' DescribeStream ShardFilter is ignored.
import { loadModel, type ServiceModel } from '@atoll/aws-models';
import type { OperationHandler, PlatformContext, ServiceFactory, ServiceProvider } from '@atoll/core';
import { runEvery } from '@atoll/storage';
import { dynamoDbAuthorization } from './authorization.js';
import { releaseContext, sharedContext, type DynamoDbContext } from './dynamodb-context.js';
import { createBackupOperations } from './backup-operations.js';
import { createItemOperations } from './item-operations.js';
import { createPolicyOperations, resourcePolicyOf } from './policy-operations.js';
import { Errors } from './errors.js';
import { createPartiqlOperations } from './partiql-operations.js';
import { validateRequest } from './request-validation.js';
import { createQueryOperations } from './query-scan.js';
import { createStreamsOperations } from './streams-operations.js';
import { createTableOperations } from './table-operations.js';
import { createTransferOperations } from './transfer-operations.js';
import { TtlSweeper } from './ttl-sweeper.js';

const STREAM_RETENTION_MS = 24 * 60 * 60 * 1000;
const TRIM_INTERVAL_MS = 60_000;
const FOLD_INTERVAL_MS = 5_000;

export class DynamoDbProvider implements ServiceProvider {
  readonly service = 'dynamodb';
  readonly operations;
  readonly authorization = dynamoDbAuthorization;
  readonly #loops: (() => void)[] = [];
  /** The leader loops running on this node, awaited on close so that none uses a closed store. */
  readonly #running = new Set<Promise<void>>();
  readonly #backups;
  readonly #transfers;

  constructor(
    private readonly platform: PlatformContext,
    private readonly ctx: DynamoDbContext,
    model: ServiceModel,
  ) {
    const items = createItemOperations(ctx);
    this.#backups = createBackupOperations(ctx);
    this.#transfers = createTransferOperations(ctx, platform);
    this.operations = checkedAgainst(model, {
      ...createTableOperations(ctx),
      ...this.#backups.operations,
      ...this.#transfers.operations,
      ...createPolicyOperations(ctx),
      ...items,
      ...createQueryOperations(ctx),
      ...createPartiqlOperations(ctx, items),
    });
  }

  /** Runs a loop while this node leads `name`. */
  #lead(name: string, loop: (signal: AbortSignal) => Promise<void>): void {
    this.#loops.push(
      this.platform.storage.leadership.lead(name, (signal) => {
        const running = loop(signal).finally(() => this.#running.delete(running));
        this.#running.add(running);
        return running;
      }),
    );
  }

  start(): void {
    const log = (what: string) => (error: unknown) => this.platform.logger.warn({ err: error }, `dynamodb ${what} failed`);
    const sweeper = new TtlSweeper(this.ctx);
    this.#lead('dynamodb:ttl', (signal) => runEvery(signal, sweeper.intervalMs, () => sweeper.sweep(), log('TTL sweep')));
    let trimmed = 0;
    this.#lead('dynamodb:housekeeping', (signal) =>
      runEvery(
        signal,
        FOLD_INTERVAL_MS,
        async () => {
          await this.ctx.store.foldStats();
          if (Date.now() - trimmed < TRIM_INTERVAL_MS) return;
          trimmed = Date.now();
          await this.ctx.store.trimStreams(trimmed - STREAM_RETENTION_MS);
          await this.#backups.housekeeping(trimmed);
          await this.#transfers.housekeeping(trimmed);
        },
        log('housekeeping'),
      ),
    );
  }

  async close(): Promise<void> {
    for (const stop of this.#loops.splice(0)) stop();
    await Promise.all(this.#running);
    await this.#backups.settled();
    await this.#transfers.settled();
    await releaseContext(this.platform, this.ctx);
  }

  /** A table's (or its index's) or a stream's resource-based policy, for the edge's authorize step. */
  resourcePolicy(resourceArn: string): string | undefined | Promise<string | undefined> {
    return resourcePolicyOf(this.ctx, resourceArn);
  }
}

export class DynamoDbStreamsProvider implements ServiceProvider {
  readonly service = 'dynamodbstreams';
  readonly operations;
  readonly authorization = dynamoDbAuthorization;

  constructor(
    private readonly platform: PlatformContext,
    private readonly ctx: DynamoDbContext,
  ) {
    this.operations = createStreamsOperations(ctx);
  }

  async close(): Promise<void> {
    await releaseContext(this.platform, this.ctx);
  }

  resourcePolicy(resourceArn: string): string | undefined | Promise<string | undefined> {
    return resourcePolicyOf(this.ctx, resourceArn);
  }
}

/**
 * Each operation checks its input against the model first, in DynamoDB's words and order (the edge
 * leaves DynamoDB's inputs to the service); in-process calls are checked the same way.
 */
function checkedAgainst<T extends Record<string, OperationHandler>>(model: ServiceModel, operations: T): T {
  const out: Record<string, OperationHandler> = {};
  for (const [name, handler] of Object.entries(operations)) {
    out[name] = (input, req) => {
      const invalid = validateRequest(model, name, (input ?? {}) as Record<string, unknown>);
      if (invalid) throw Errors.validation(invalid);
      return handler(input, req);
    };
  }
  return out as T;
}

export const createDynamoDbService: ServiceFactory = async (platform) =>
  new DynamoDbProvider(platform, await sharedContext(platform), await loadModel('dynamodb'));
export const createDynamoDbStreamsService: ServiceFactory = async (platform) => new DynamoDbStreamsProvider(platform, await sharedContext(platform));
