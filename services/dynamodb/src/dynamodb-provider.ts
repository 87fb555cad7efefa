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
// - Not implemented (501): backups, global tables, imports/exports, Kinesis destinations, resource
//   policies, contributor insights.
// - Members added to DynamoDB's model since 2023 (botocore 1.43) that are accepted and ignored:
//   WarmThroughput, RecoveryPeriodInDays, ContributorInsightsMode, MultiRegionConsistency,
//   GlobalTableWitnessUpdates, GlobalTableSourceArn and GlobalTableSettingsReplicationMode; DynamoDB
//   Streams' DescribeStream ShardFilter is ignored.
import { loadModel, type ServiceModel } from '@atoll/aws-models';
import type { OperationHandler, PlatformContext, ServiceFactory, ServiceProvider } from '@atoll/core';
import { runEvery } from '@atoll/storage';
import { dynamoDbAuthorization } from './authorization.js';
import { releaseContext, sharedContext, type DynamoDbContext } from './dynamodb-context.js';
import { createItemOperations } from './item-operations.js';
import { Errors } from './errors.js';
import { createPartiqlOperations } from './partiql-operations.js';
import { validateRequest } from './request-validation.js';
import { createQueryOperations } from './query-scan.js';
import { createStreamsOperations } from './streams-operations.js';
import { createTableOperations } from './table-operations.js';
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

  constructor(
    private readonly platform: PlatformContext,
    private readonly ctx: DynamoDbContext,
    model: ServiceModel,
  ) {
    const items = createItemOperations(ctx);
    this.operations = checkedAgainst(model, {
      ...createTableOperations(ctx),
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
        },
        log('housekeeping'),
      ),
    );
  }

  async close(): Promise<void> {
    for (const stop of this.#loops.splice(0)) stop();
    await Promise.all(this.#running);
    await releaseContext(this.platform, this.ctx);
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
