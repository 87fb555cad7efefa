// Bucket operations: create, head, delete, list, location, versioning, and the stored bucket
// configurations (tagging, CORS, policy, lifecycle, encryption, notifications, ACL).
import type { OperationHandler, RequestContext } from '@atoll/core';
import { isValidBucketName } from './bucket-name.js';
import { policyError } from './bucket-policy.js';
import { destinationsOf, type DestinationKind, type NotificationConfiguration } from './notifications.js';
import { S3Errors } from './s3-errors.js';
import { ownerOf, type S3Core } from './s3-core.js';
import { ownerFullControl } from './object-operations.js';
import { LOCK_CONFIG, lockEnabled } from './object-lock.js';
import type { Versioning } from './s3-store.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Input = Record<string, any>;

const DEFAULT_ENCRYPTION = {
  Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false }],
};

export function bucketOperations(core: S3Core): Record<string, OperationHandler> {
  const { store } = core;

  /** get/put/delete of one stored configuration document. */
  const config = (kind: string, action: string) => ({
    get: async (input: Input, ctx: RequestContext) => {
      const bucket = await core.bucket(input.Bucket, ctx, `s3:Get${action}`);
      return bucket.config<Record<string, unknown>>(kind);
    },
    put: async (input: Input, ctx: RequestContext, value: unknown) => {
      await core.bucket(input.Bucket, ctx, `s3:Put${action}`);
      await store.putConfig(input.Bucket, kind, value);
      return {};
    },
    delete: async (input: Input, ctx: RequestContext) => {
      await core.bucket(input.Bucket, ctx, `s3:Put${action}`);
      await store.deleteConfig(input.Bucket, kind);
      return {};
    },
  });
  const tagging = config('tagging', 'BucketTagging');
  const cors = config('cors', 'BucketCORS');
  const policy = config('policy', 'BucketPolicy');
  const lifecycle = config('lifecycle', 'LifecycleConfiguration');
  const encryption = config('encryption', 'EncryptionConfiguration');
  const notification = config('notification', 'BucketNotification');

  return {
    async CreateBucket(input: Input, ctx) {
      const name = input.Bucket as string;
      if (!isValidBucketName(name)) throw S3Errors.invalidBucketName(name);
      const constraint = input.CreateBucketConfiguration?.LocationConstraint as string | undefined;
      let region = ctx.region;
      if (constraint !== undefined && constraint !== '') {
        if (constraint === 'us-east-1') throw S3Errors.invalidLocationConstraint();
        if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(constraint) && constraint !== 'EU') throw S3Errors.invalidLocationConstraint();
        region = constraint === 'EU' ? 'eu-west-1' : constraint;
        // Only the us-east-1 (global) endpoint creates buckets in other regions.
        if (ctx.region !== 'us-east-1' && region !== ctx.region) throw S3Errors.illegalLocationConstraint(constraint);
      } else if (ctx.region !== 'us-east-1') {
        throw S3Errors.illegalLocationConstraint();
      }
      // A bucket created with Object Lock has versioning Enabled (for good) and the lock enabled.
      const locked = input.ObjectLockEnabledForBucket === true;
      const existing = await store.createBucket(
        { name, account: ctx.accountId, region, createdAt: Date.now(), versioning: locked ? 'Enabled' : '' },
        locked ? { [LOCK_CONFIG]: { ObjectLockEnabled: 'Enabled' } } : {},
      );
      if (existing) {
        if (existing.account === ctx.accountId) throw S3Errors.bucketAlreadyOwnedByYou(name);
        throw S3Errors.bucketAlreadyExists(name);
      }
      return { Location: `/${name}` };
    },

    async HeadBucket(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:ListBucket');
      return { BucketRegion: bucket.region, AccessPointAlias: false };
    },

    async DeleteBucket(input: Input, ctx) {
      await core.bucket(input.Bucket, ctx, 's3:DeleteBucket');
      const { deleted, obsoleteBlobs } = await store.deleteBucket(input.Bucket);
      if (!deleted) throw S3Errors.bucketNotEmpty(input.Bucket);
      core.dropBlobs(obsoleteBlobs);
      return {};
    },

    async ListBuckets(input: Input, ctx) {
      const max = input.MaxBuckets !== undefined ? Number(input.MaxBuckets) : 10000;
      if (!Number.isInteger(max) || max < 1 || max > 10000) {
        throw S3Errors.invalidArgument('Argument max-buckets must be an integer between 1 and 10000.', 'max-buckets', String(input.MaxBuckets));
      }
      let after: string | undefined;
      if (input.ContinuationToken) {
        after = Buffer.from(String(input.ContinuationToken), 'base64url').toString('utf8');
      }
      const rows = (await store.listBuckets(ctx.accountId, { after, prefix: input.Prefix, limit: max + 1 })).filter((b) => !input.BucketRegion || b.region === input.BucketRegion);
      const page = rows.slice(0, max);
      const out: Record<string, unknown> = {
        Buckets: page.map((b) => ({ Name: b.name, CreationDate: new Date(b.createdAt), BucketRegion: b.region })),
        Owner: ownerOf(ctx.accountId),
      };
      if (input.Prefix !== undefined) out.Prefix = input.Prefix;
      if (rows.length > max) out.ContinuationToken = Buffer.from(page[page.length - 1]!.name).toString('base64url');
      return out;
    },

    async GetBucketLocation(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:GetBucketLocation');
      return bucket.region === 'us-east-1' ? {} : { LocationConstraint: bucket.region };
    },

    async PutBucketVersioning(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:PutBucketVersioning');
      const status = input.VersioningConfiguration?.Status as string | undefined;
      if (status !== 'Enabled' && status !== 'Suspended') throw S3Errors.malformedXml();
      if (status === 'Suspended' && lockEnabled(bucket)) {
        throw S3Errors.invalidBucketState('An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.');
      }
      await store.setVersioning(bucket.name, status as Versioning);
      return {};
    },

    async GetBucketVersioning(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:GetBucketVersioning');
      return bucket.versioning === '' ? {} : { Status: bucket.versioning };
    },

    async GetBucketTagging(input: Input, ctx) {
      const value = await tagging.get(input, ctx);
      if (!value) throw S3Errors.noSuchTagSet(input.Bucket);
      return value;
    },
    PutBucketTagging(input: Input, ctx) {
      const tags = (input.Tagging?.TagSet ?? []) as { Key: string; Value: string }[];
      const seen = new Set<string>();
      for (const t of tags) {
        if (seen.has(t.Key)) throw S3Errors.invalidTag('Cannot provide multiple Tags with the same key');
        seen.add(t.Key);
        if (t.Key.length === 0 || t.Key.length > 128 || (t.Value ?? '').length > 256) throw S3Errors.invalidTag('The TagKey you have provided is invalid');
        if (t.Key.toLowerCase().startsWith('aws:')) throw S3Errors.invalidTag('System tags cannot be added/updated by requester');
      }
      if (tags.length > 50) throw S3Errors.invalidTag('Bucket tag count cannot be greater than 50');
      return tagging.put(input, ctx, { TagSet: tags });
    },
    DeleteBucketTagging: (input: Input, ctx) => tagging.delete(input, ctx),

    async GetBucketCors(input: Input, ctx) {
      const value = await cors.get(input, ctx);
      if (!value) throw S3Errors.noSuchConfiguration('NoSuchCORSConfiguration', 'The CORS configuration does not exist', input.Bucket);
      return value;
    },
    PutBucketCors(input: Input, ctx) {
      const rules = (input.CORSConfiguration?.CORSRules ?? []) as { AllowedMethods?: string[]; AllowedOrigins?: string[] }[];
      if (rules.length === 0 || rules.length > 100) throw S3Errors.malformedXml();
      for (const rule of rules) {
        if (!rule.AllowedMethods?.length || !rule.AllowedOrigins?.length) throw S3Errors.malformedXml();
        for (const m of rule.AllowedMethods) {
          if (!['GET', 'PUT', 'HEAD', 'POST', 'DELETE'].includes(m)) {
            throw S3Errors.invalidRequest(`Found unsupported HTTP method in CORS config. Unsupported method is ${m}`);
          }
        }
      }
      return cors.put(input, ctx, { CORSRules: rules });
    },
    DeleteBucketCors: (input: Input, ctx) => cors.delete(input, ctx),

    async GetBucketPolicy(input: Input, ctx) {
      const value = (await policy.get(input, ctx)) as unknown as string | undefined;
      if (value === undefined) throw S3Errors.noSuchConfiguration('NoSuchBucketPolicy', 'The bucket policy does not exist', input.Bucket);
      return { Policy: value };
    },
    PutBucketPolicy(input: Input, ctx) {
      const text = typeof input.Policy === 'string' ? input.Policy : Buffer.isBuffer(input.Policy) ? input.Policy.toString('utf8') : '';
      const problem = policyError(text);
      if (problem) throw S3Errors.invalidPolicy(problem);
      return policy.put(input, ctx, text);
    },
    DeleteBucketPolicy: (input: Input, ctx) => policy.delete(input, ctx),
    async GetBucketPolicyStatus(input: Input, ctx) {
      const value = (await policy.get(input, ctx)) as unknown as string | undefined;
      if (value === undefined) throw S3Errors.noSuchConfiguration('NoSuchBucketPolicy', 'The bucket policy does not exist', input.Bucket);
      const isPublic = /"Principal"\s*:\s*("\*"|\{\s*"AWS"\s*:\s*"\*")/.test(value) && /"Effect"\s*:\s*"Allow"/.test(value);
      return { PolicyStatus: { IsPublic: isPublic } };
    },

    async GetBucketLifecycleConfiguration(input: Input, ctx) {
      const value = await lifecycle.get(input, ctx);
      if (!value) throw S3Errors.noSuchConfiguration('NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist', input.Bucket);
      return value;
    },
    PutBucketLifecycleConfiguration(input: Input, ctx) {
      const rules = (input.LifecycleConfiguration?.Rules ?? []) as Record<string, unknown>[];
      if (rules.length === 0 || rules.length > 1000) throw S3Errors.malformedXml();
      const ids = new Set<string>();
      for (const rule of rules) {
        if (rule.Status !== 'Enabled' && rule.Status !== 'Disabled') throw S3Errors.malformedXml();
        if (typeof rule.ID === 'string') {
          if (ids.has(rule.ID)) throw S3Errors.invalidArgument('Rule ID must be unique. Found same ID for more than one rule', 'ID', rule.ID);
          ids.add(rule.ID);
        }
        if (!rule.Expiration && !rule.NoncurrentVersionExpiration && !rule.AbortIncompleteMultipartUpload && !rule.Transitions && !rule.NoncurrentVersionTransitions) {
          throw S3Errors.malformedXml();
        }
      }
      return lifecycle.put(input, ctx, { Rules: rules });
    },
    DeleteBucketLifecycle: (input: Input, ctx) => lifecycle.delete(input, ctx),

    async GetBucketEncryption(input: Input, ctx) {
      return { ServerSideEncryptionConfiguration: (await encryption.get(input, ctx)) ?? DEFAULT_ENCRYPTION };
    },
    PutBucketEncryption(input: Input, ctx) {
      const value = input.ServerSideEncryptionConfiguration as { Rules?: unknown[] } | undefined;
      if (!value?.Rules?.length) throw S3Errors.malformedXml();
      return encryption.put(input, ctx, value);
    },
    DeleteBucketEncryption: (input: Input, ctx) => encryption.delete(input, ctx),

    async GetBucketNotificationConfiguration(input: Input, ctx) {
      return (await notification.get(input, ctx)) ?? {};
    },
    async PutBucketNotificationConfiguration(input: Input, ctx) {
      const owner = (await core.bucket(input.Bucket, ctx, 's3:PutBucketNotification')).account;
      const value = (input.NotificationConfiguration ?? {}) as NotificationConfiguration;
      const destinations = destinationsOf(value);
      for (const [config] of destinations) {
        const events = config.Events;
        if (!events?.length) throw S3Errors.malformedXml();
        for (const e of events) {
          if (!/^s3:(ObjectCreated|ObjectRemoved|ObjectRestore|ReducedRedundancyLostObject|Replication|LifecycleExpiration|LifecycleTransition|IntelligentTiering|ObjectTagging|ObjectAcl)(:[A-Za-z*]+)?$/.test(e)) {
            throw S3Errors.invalidArgument('The event is not supported for notifications', e, e);
          }
        }
        for (const rule of config.Filter?.Key?.FilterRules ?? []) {
          if (!['prefix', 'suffix'].includes((rule.Name ?? '').toLowerCase())) {
            throw S3Errors.invalidArgument('filter rule name must be either prefix or suffix', 'FilterRule.Name', rule.Name ?? '');
          }
        }
      }
      if (input.SkipDestinationValidation !== true) {
        // S3 sends a test event (or, for a function, checks its permission) as its service principal.
        const failed: [DestinationKind, string][] = [];
        await Promise.all(
          destinations.map(async ([, kind, arn]) => {
            try {
              await core.notifier.sendTestEvent(kind, arn, input.Bucket, owner, ctx.requestId);
            } catch {
              failed.push([kind, arn]);
            }
          }),
        );
        if (failed.length > 0) {
          const [kind, arn] = failed[0]!;
          const reason = kind === 'function'
            ? `Not authorized to invoke function [${arn}]`
            : `Permissions on the destination ${kind} do not allow S3 to publish notifications from this bucket`;
          throw S3Errors.invalidArgument('Unable to validate the following destination configurations', arn, reason);
        }
      }
      return notification.put(input, ctx, value);
    },

    async GetBucketAcl(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:GetBucketAcl');
      return ownerFullControl(bucket.account);
    },
    async PutBucketAcl(input: Input, ctx) {
      await core.bucket(input.Bucket, ctx, 's3:PutBucketAcl');
      return {};
    },
  };
}
