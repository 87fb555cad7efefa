// DynamoDB (`dynamodb`, DynamoDB_20120810) and DynamoDB Streams (`dynamodbstreams`) providers.
// Both share one SQLite database under <dataDir>/dynamodb.
//
// Known limitations:
// - Tables and GSIs become ACTIVE at once (CreateTable answers CREATING, the next DescribeTable ACTIVE);
//   DeleteTable removes the data synchronously. A GSI added by UpdateTable is backfilled synchronously
//   (in 1,000-item chunks) before UpdateTable answers.
// - Scan returns items in encoded-key order, not in DynamoDB's hash order; parallel Scan segments
//   split an MD5 hash of the partition key, so each item is in exactly one segment.
// - No throttling: ProvisionedThroughput is recorded and reported, never enforced. BatchGetItem and
//   BatchWriteItem never return unprocessed items; the 16 MB BatchGetItem response limit is not applied.
// - ConsumedCapacity reports the table total (INDEXES adds the table's own share, not per-index units);
//   ReturnItemCollectionMetrics is ignored.
// - DescribeTable's ItemCount and TableSizeBytes are exact at every call (DynamoDB refreshes them ~6-hourly).
// - Item sizes follow DynamoDB's published rules; the number size (1 byte per two significant digits
//   plus 1) is DynamoDB's documented approximation.
// - Expression checks: operand-type checks that need the item are made
//   at evaluation time (a comparison of mismatched types is false, as in DynamoDB).
// - Streams have a single shard per stream; records are kept 24 hours; streams of a deleted table go away
//   with the table, and a stream replaced by disabling and re-enabling is no longer readable; shard
//   iterators do not expire.
// - ClientRequestToken idempotency is kept in memory (lost on restart).
// - TTL sweeps 2,000 items per table every 2 seconds, so a large table's expired items go within minutes.
// - Durability: writes are acknowledged after an fdatasync of the WAL (GroupCommit in @atoll/storage); a reader may
//   see a write a moment before its writer's acknowledgement.
// - PartiQL covers SELECT (with WHERE, projection, index), INSERT … VALUE, UPDATE … SET/REMOVE … WHERE and
//   DELETE … WHERE with the key in the WHERE clause; no nested SELECTs, EXISTS, or RETURNING.
// - Not implemented (501): backups, global tables, imports/exports, Kinesis destinations, resource
//   policies, contributor insights.
import type { PlatformContext, ServiceFactory, ServiceProvider } from '@atoll/core';
import { dynamoDbAuthorization } from './authorization.js';
import { releaseContext, sharedContext } from './dynamodb-context.js';
import { createItemOperations } from './item-operations.js';
import { createPartiqlOperations } from './partiql-operations.js';
import { createQueryOperations } from './query-scan.js';
import { createStreamsOperations } from './streams-operations.js';
import { createTableOperations } from './table-operations.js';
import { TtlSweeper } from './ttl-sweeper.js';

const STREAM_RETENTION_MS = 24 * 60 * 60 * 1000;

export class DynamoDbProvider implements ServiceProvider {
  readonly service = 'dynamodb';
  readonly operations;
  readonly authorization = dynamoDbAuthorization;
  readonly #ctx;
  readonly #sweeper;
  #trim: NodeJS.Timeout | undefined;

  constructor(platform: PlatformContext) {
    this.#ctx = sharedContext(platform);
    this.#sweeper = new TtlSweeper(this.#ctx);
    const items = createItemOperations(this.#ctx);
    this.operations = {
      ...createTableOperations(this.#ctx),
      ...items,
      ...createQueryOperations(this.#ctx),
      ...createPartiqlOperations(this.#ctx, items),
    };
  }

  start(): void {
    this.#sweeper.start();
    this.#trim = setInterval(() => this.#ctx.store.trimStreams(Date.now() - STREAM_RETENTION_MS), 60_000);
    this.#trim.unref();
  }

  close(): void {
    this.#sweeper.stop();
    if (this.#trim) clearInterval(this.#trim);
    releaseContext(this.#ctx);
  }
}

export class DynamoDbStreamsProvider implements ServiceProvider {
  readonly service = 'dynamodbstreams';
  readonly operations;
  readonly authorization = dynamoDbAuthorization;
  readonly #ctx;

  constructor(platform: PlatformContext) {
    this.#ctx = sharedContext(platform);
    this.operations = createStreamsOperations(this.#ctx);
  }

  close(): void {
    releaseContext(this.#ctx);
  }
}

export const createDynamoDbService: ServiceFactory = (platform) => new DynamoDbProvider(platform);
export const createDynamoDbStreamsService: ServiceFactory = (platform) => new DynamoDbStreamsProvider(platform);
