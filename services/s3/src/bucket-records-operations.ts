// Bucket configurations that Atoll records and answers but does not act on (beyond logging, whose
// access logs access-log.ts writes): logging status, request payment, transfer acceleration, and
// inventory and analytics configurations (one stored document per configuration id).
import type { OperationHandler, RequestContext } from '@atoll/core';
import { S3Errors } from './s3-errors.js';
import type { S3Core } from './s3-core.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Input = Record<string, any>;

/** The stored configuration kind of bucket logging. */
export const LOGGING_CONFIG = 'logging';

/** At most this many inventory (or analytics) configurations per bucket, as in AWS. */
const MAX_CONFIGURATIONS = 1000;
/** List pages of inventory and analytics configurations. */
const PAGE = 100;

const noSuchConfiguration = (bucket: string) =>
  S3Errors.noSuchConfiguration('NoSuchConfiguration', 'The specified configuration does not exist.', bucket);

export function bucketRecordOperations(core: S3Core): Record<string, OperationHandler> {
  const { store } = core;

  /** Put/Get/Delete/List of configurations stored by id (`<kind>/<id>`), for inventory and analytics. */
  const byId = (kind: string, member: string, action: string) => {
    const validId = (id: unknown): string => {
      if (typeof id !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(id)) {
        throw S3Errors.invalidArgument('The configuration ID is not valid.', 'id', String(id ?? ''));
      }
      return id;
    };
    return {
      put: async (input: Input, ctx: RequestContext) => {
        const bucket = await core.bucket(input.Bucket, ctx, `s3:Put${action}`);
        const id = validId(input.Id);
        const config = input[member] as Record<string, unknown> | undefined;
        if (!config) throw S3Errors.malformedXml();
        if (config.Id !== id) throw S3Errors.invalidArgument('The configuration ID does not match the ID in the request.', 'id', id);
        const existing = bucket.configKinds(`${kind}/`);
        if (!existing.includes(`${kind}/${id}`) && existing.length >= MAX_CONFIGURATIONS) {
          throw S3Errors.tooManyConfigurations(kind);
        }
        await store.putConfig(bucket.name, `${kind}/${id}`, config);
        return {};
      },
      get: async (input: Input, ctx: RequestContext) => {
        const bucket = await core.bucket(input.Bucket, ctx, `s3:Get${action}`);
        const config = bucket.config(`${kind}/${validId(input.Id)}`);
        if (!config) throw noSuchConfiguration(bucket.name);
        return { [member]: config };
      },
      delete: async (input: Input, ctx: RequestContext) => {
        const bucket = await core.bucket(input.Bucket, ctx, `s3:Put${action}`);
        const id = validId(input.Id);
        if (!bucket.config(`${kind}/${id}`)) throw noSuchConfiguration(bucket.name);
        await store.deleteConfig(bucket.name, `${kind}/${id}`);
        return {};
      },
      list: async (input: Input, ctx: RequestContext, listMember: string) => {
        const bucket = await core.bucket(input.Bucket, ctx, `s3:Get${action}`);
        const kinds = bucket.configKinds(`${kind}/`).sort();
        let after = '';
        if (input.ContinuationToken !== undefined) {
          after = Buffer.from(String(input.ContinuationToken), 'base64url').toString('utf8');
          if (!after.startsWith(`${kind}/`)) throw S3Errors.invalidArgument('The continuation token provided is incorrect', 'continuation-token', String(input.ContinuationToken));
        }
        const rest = kinds.filter((k) => k > after);
        const page = rest.slice(0, PAGE);
        const out: Record<string, unknown> = { IsTruncated: rest.length > PAGE, [listMember]: page.map((k) => bucket.config(k)) };
        if (input.ContinuationToken !== undefined) out.ContinuationToken = input.ContinuationToken;
        if (rest.length > PAGE) out.NextContinuationToken = Buffer.from(page[page.length - 1]!).toString('base64url');
        return out;
      },
    };
  };
  const inventory = byId('inventory', 'InventoryConfiguration', 'InventoryConfiguration');
  const analytics = byId('analytics', 'AnalyticsConfiguration', 'AnalyticsConfiguration');

  return {
    async PutBucketLogging(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:PutBucketLogging');
      const status = input.BucketLoggingStatus as { LoggingEnabled?: Record<string, unknown> } | undefined;
      if (!status) throw S3Errors.malformedXml();
      const enabled = status.LoggingEnabled;
      if (!enabled) {
        await store.deleteConfig(bucket.name, LOGGING_CONFIG);
        return {};
      }
      if (typeof enabled.TargetBucket !== 'string' || typeof enabled.TargetPrefix !== 'string') throw S3Errors.malformedXml();
      const target = await store.getBucket(enabled.TargetBucket);
      if (!target) throw S3Errors.invalidTargetBucketForLogging('The target bucket for logging does not exist', enabled.TargetBucket);
      if (target.account !== bucket.account) {
        throw S3Errors.invalidTargetBucketForLogging('The owner for the bucket to be logged and the target bucket must be the same.', enabled.TargetBucket);
      }
      if (target.region !== bucket.region) {
        throw S3Errors.crossLocationLoggingProhibited(bucket.region, target.region);
      }
      const format = enabled.TargetObjectKeyFormat as { SimplePrefix?: unknown; PartitionedPrefix?: { PartitionDateSource?: string } } | undefined;
      if (format && format.SimplePrefix !== undefined && format.PartitionedPrefix !== undefined) throw S3Errors.malformedXml();
      const source = format?.PartitionedPrefix?.PartitionDateSource;
      if (source !== undefined && source !== 'EventTime' && source !== 'DeliveryTime') throw S3Errors.malformedXml();
      await store.putConfig(bucket.name, LOGGING_CONFIG, { LoggingEnabled: enabled });
      return {};
    },

    async GetBucketLogging(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:GetBucketLogging');
      return bucket.config<Record<string, unknown>>(LOGGING_CONFIG) ?? {};
    },

    async PutBucketRequestPayment(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:PutBucketRequestPayment');
      const payer = input.RequestPaymentConfiguration?.Payer as string | undefined;
      if (payer !== 'Requester' && payer !== 'BucketOwner') throw S3Errors.malformedXml();
      await store.putConfig(bucket.name, 'requestPayment', { Payer: payer });
      return {};
    },

    async GetBucketRequestPayment(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:GetBucketRequestPayment');
      return bucket.config<{ Payer: string }>('requestPayment') ?? { Payer: 'BucketOwner' };
    },

    async PutBucketAccelerateConfiguration(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:PutAccelerateConfiguration');
      const status = input.AccelerateConfiguration?.Status as string | undefined;
      if (status !== 'Enabled' && status !== 'Suspended') throw S3Errors.malformedXml();
      if (bucket.name.includes('.')) throw S3Errors.invalidRequest('S3 Transfer Acceleration is not supported for buckets with periods (.) in their names');
      await store.putConfig(bucket.name, 'accelerate', { Status: status });
      return {};
    },

    async GetBucketAccelerateConfiguration(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:GetAccelerateConfiguration');
      return bucket.config<{ Status: string }>('accelerate') ?? {};
    },

    PutBucketInventoryConfiguration: (input: Input, ctx) => inventory.put(input, ctx),
    GetBucketInventoryConfiguration: (input: Input, ctx) => inventory.get(input, ctx),
    DeleteBucketInventoryConfiguration: (input: Input, ctx) => inventory.delete(input, ctx),
    ListBucketInventoryConfigurations: (input: Input, ctx) => inventory.list(input, ctx, 'InventoryConfigurationList'),
    PutBucketAnalyticsConfiguration: (input: Input, ctx) => analytics.put(input, ctx),
    GetBucketAnalyticsConfiguration: (input: Input, ctx) => analytics.get(input, ctx),
    DeleteBucketAnalyticsConfiguration: (input: Input, ctx) => analytics.delete(input, ctx),
    ListBucketAnalyticsConfigurations: (input: Input, ctx) => analytics.list(input, ctx, 'AnalyticsConfigurationList'),
  };
}
