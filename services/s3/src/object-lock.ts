// Object Lock: the bucket's lock configuration (enabled at creation, or later on a versioned bucket,
// with an optional default retention), per-version retention (GOVERNANCE, COMPLIANCE) and legal
// hold. The store refuses, inside the write transaction, to remove a locked version (see
// `isLocked`); this module validates the requests and computes the lock of new versions.
import type { OperationHandler, RequestContext } from '@atoll/core';
import { S3Errors } from './s3-errors.js';
import type { S3Core } from './s3-core.js';
import { type BucketState, type ObjectLock, type ObjectRecord } from './s3-store.js';
import { findObject } from './object-operations.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Input = Record<string, any>;

/** The stored bucket configuration kind. */
export const LOCK_CONFIG = 'objectLock';

interface LockConfiguration {
  ObjectLockEnabled?: 'Enabled';
  Rule?: { DefaultRetention?: { Mode?: 'GOVERNANCE' | 'COMPLIANCE'; Days?: number; Years?: number } };
}

const MODES = new Set(['GOVERNANCE', 'COMPLIANCE']);
const DAY_MS = 86_400_000;

export const lockEnabled = (bucket: BucketState): boolean => bucket.config<LockConfiguration>(LOCK_CONFIG)?.ObjectLockEnabled === 'Enabled';

const toTime = (value: unknown): number => (value instanceof Date ? value.getTime() : new Date(String(value)).getTime());

/**
 * The lock a new version (PutObject, CopyObject destination, CreateMultipartUpload) gets: the
 * request's x-amz-object-lock-* headers, else the bucket's default retention. Null without either.
 */
export function lockForNewObject(bucket: BucketState, input: Input, now = Date.now()): ObjectLock | null {
  const mode = input.ObjectLockMode as string | undefined;
  const until = input.ObjectLockRetainUntilDate as Date | string | undefined;
  const hold = input.ObjectLockLegalHoldStatus as string | undefined;
  const explicit = mode !== undefined || until !== undefined || hold !== undefined;
  const config = bucket.config<LockConfiguration>(LOCK_CONFIG);
  if (explicit && config?.ObjectLockEnabled !== 'Enabled') throw S3Errors.invalidRequest('Bucket is missing Object Lock Configuration');
  if ((mode === undefined) !== (until === undefined)) {
    throw S3Errors.invalidArgument('x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied', 'x-amz-object-lock-mode', mode ?? '');
  }
  const lock: ObjectLock = {};
  if (mode !== undefined) {
    if (!MODES.has(mode)) throw S3Errors.invalidArgument('Unknown wormMode directive.', 'x-amz-object-lock-mode', mode);
    const time = toTime(until);
    if (!Number.isFinite(time)) throw S3Errors.invalidArgument('The retain until date must be provided in ISO 8601 format', 'x-amz-object-lock-retain-until-date', String(until));
    if (time <= now) throw S3Errors.invalidArgument('The retain until date must be in the future!', 'x-amz-object-lock-retain-until-date', String(until));
    lock.mode = mode as ObjectLock['mode'];
    lock.until = time;
  } else {
    const rule = config?.Rule?.DefaultRetention;
    if (config?.ObjectLockEnabled === 'Enabled' && rule?.Mode) {
      lock.mode = rule.Mode;
      lock.until = rule.Days !== undefined ? now + rule.Days * DAY_MS : addYears(now, rule.Years ?? 0);
    }
  }
  if (hold !== undefined) {
    if (hold !== 'ON' && hold !== 'OFF') throw S3Errors.invalidArgument('Unknown legal hold status.', 'x-amz-object-lock-legal-hold', hold);
    if (hold === 'ON') lock.legalHold = true;
  }
  return lock.mode === undefined && !lock.legalHold ? null : lock;
}

function addYears(time: number, years: number): number {
  const d = new Date(time);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.getTime();
}

/** The GET/HEAD output members for a version's lock. */
export function lockOutput(lock: ObjectLock | null): Record<string, unknown> {
  if (!lock) return {};
  const out: Record<string, unknown> = {};
  if (lock.mode !== undefined && lock.until !== undefined) {
    out.ObjectLockMode = lock.mode;
    out.ObjectLockRetainUntilDate = new Date(lock.until);
  }
  if (lock.legalHold !== undefined) out.ObjectLockLegalHoldStatus = lock.legalHold ? 'ON' : 'OFF';
  return out;
}

/** Validates a PutObjectLockConfiguration document (AWS's errors). */
function validateConfiguration(value: LockConfiguration | undefined): LockConfiguration {
  if (!value || value.ObjectLockEnabled !== 'Enabled') throw S3Errors.malformedXml();
  const rule = value.Rule;
  if (rule === undefined) return { ObjectLockEnabled: 'Enabled' };
  const retention = rule.DefaultRetention;
  if (!retention || !retention.Mode || !MODES.has(retention.Mode)) throw S3Errors.malformedXml();
  const { Days, Years } = retention;
  if ((Days === undefined) === (Years === undefined)) throw S3Errors.malformedXml();
  const period = Days ?? Years!;
  if (!Number.isInteger(period) || period <= 0) throw S3Errors.invalidArgument('Default retention period must be a positive integer value.', Days !== undefined ? 'Days' : 'Years', String(period));
  if ((Days !== undefined && Days > 36500) || (Years !== undefined && Years > 100)) {
    throw S3Errors.invalidArgument('Default retention period is too large.', Days !== undefined ? 'Days' : 'Years', String(period));
  }
  return { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: retention.Mode, ...(Days !== undefined ? { Days } : { Years }) } } };
}

export function objectLockOperations(core: S3Core): Record<string, OperationHandler> {
  const { store } = core;

  /** The bucket of an object-level lock request; refused when Object Lock is not enabled on it. */
  const lockedBucket = async (input: Input, ctx: RequestContext, action: string): Promise<BucketState> => {
    const bucket = await core.bucket(input.Bucket, ctx, action, input.Key);
    if (!lockEnabled(bucket)) throw S3Errors.invalidRequest('Bucket is missing Object Lock Configuration');
    return bucket;
  };

  /** The version a request names, as findObject answers (NoSuchKey, NoSuchVersion, MethodNotAllowed on a delete marker). */
  const version = (bucket: BucketState, input: Input, method: string): Promise<ObjectRecord> =>
    findObject(core, bucket, core.keyBytes(input.Key), input.Key, input.VersionId, method);

  const changeLock = async (bucket: BucketState, input: Input, method: string, change: (current: ObjectLock) => ObjectLock): Promise<ObjectRecord> => {
    const record = await version(bucket, input, method);
    const updated = await store.updateLock(bucket.name, record.key, record.versionId, change);
    // Deleted (or replaced by a delete marker) between the lookup and the update.
    if (!updated || updated.deleteMarker) return version(bucket, input, method);
    return updated;
  };

  return {
    async PutObjectLockConfiguration(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:PutBucketObjectLockConfiguration');
      const value = validateConfiguration(input.ObjectLockConfiguration as LockConfiguration | undefined);
      if (bucket.versioning !== 'Enabled') {
        throw S3Errors.invalidBucketState("Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration");
      }
      await store.putConfig(bucket.name, LOCK_CONFIG, value);
      return {};
    },

    async GetObjectLockConfiguration(input: Input, ctx) {
      const bucket = await core.bucket(input.Bucket, ctx, 's3:GetBucketObjectLockConfiguration');
      const value = bucket.config<LockConfiguration>(LOCK_CONFIG);
      if (!value) throw S3Errors.objectLockConfigurationNotFound(bucket.name);
      return { ObjectLockConfiguration: value };
    },

    async PutObjectRetention(input: Input, ctx) {
      const bucket = await lockedBucket(input, ctx, 's3:PutObjectRetention');
      const retention = (input.Retention ?? {}) as { Mode?: string; RetainUntilDate?: Date | string };
      const now = Date.now();
      let wanted: { mode: 'GOVERNANCE' | 'COMPLIANCE'; until: number } | undefined;
      if (retention.Mode !== undefined || retention.RetainUntilDate !== undefined) {
        if (retention.Mode === undefined || retention.RetainUntilDate === undefined || !MODES.has(retention.Mode)) throw S3Errors.malformedXml();
        const until = toTime(retention.RetainUntilDate);
        if (!Number.isFinite(until)) throw S3Errors.malformedXml();
        if (until <= now) throw S3Errors.invalidArgument('The retain until date must be in the future!', 'RetainUntilDate', String(retention.RetainUntilDate));
        wanted = { mode: retention.Mode as 'GOVERNANCE' | 'COMPLIANCE', until };
      }
      const bypass = input.BypassGovernanceRetention === true;
      await changeLock(bucket, input, 'PUT', (current) => {
        const active = current.mode !== undefined && current.until !== undefined && current.until > now;
        if (active) {
          // Extending, or GOVERNANCE → COMPLIANCE, is always allowed; anything weaker needs bypass
          // (GOVERNANCE) or is refused (COMPLIANCE).
          const weaker =
            !wanted || wanted.until < current.until! || (current.mode === 'COMPLIANCE' && wanted.mode === 'GOVERNANCE');
          if (weaker && (current.mode === 'COMPLIANCE' || !bypass)) throw S3Errors.objectLocked();
        }
        const next: ObjectLock = { ...(current.legalHold !== undefined ? { legalHold: current.legalHold } : {}) };
        if (wanted) Object.assign(next, wanted);
        return next;
      });
      return {};
    },

    async GetObjectRetention(input: Input, ctx) {
      const bucket = await lockedBucket(input, ctx, 's3:GetObjectRetention');
      const record = await version(bucket, input, 'GET');
      const lock = record.lock;
      if (!lock || lock.mode === undefined || lock.until === undefined) throw S3Errors.noSuchObjectLockConfiguration();
      return { Retention: { Mode: lock.mode, RetainUntilDate: new Date(lock.until) } };
    },

    async PutObjectLegalHold(input: Input, ctx) {
      const bucket = await lockedBucket(input, ctx, 's3:PutObjectLegalHold');
      const status = input.LegalHold?.Status as string | undefined;
      if (status !== 'ON' && status !== 'OFF') throw S3Errors.malformedXml();
      await changeLock(bucket, input, 'PUT', (current) => ({ ...current, legalHold: status === 'ON' }));
      return {};
    },

    async GetObjectLegalHold(input: Input, ctx) {
      const bucket = await lockedBucket(input, ctx, 's3:GetObjectLegalHold');
      const record = await version(bucket, input, 'GET');
      if (record.lock?.legalHold === undefined) throw S3Errors.noSuchObjectLockConfiguration();
      return { LegalHold: { Status: record.lock.legalHold ? 'ON' : 'OFF' } };
    },
  };
}

