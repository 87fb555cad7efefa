// Lifecycle rules applied by a background sweep: expiration of current versions (by age or date),
// of noncurrent versions, of expired delete markers, and aborting incomplete multipart uploads.
// Transitions are accepted and stored but change nothing (there is only one storage tier). The
// sweep runs on one node at a time (the provider runs it under leadership); each change is
// conditional on the version it looked at still being there, so that a write made meanwhile (on
// any node) is never expired by a decision about an older version.
import type { S3Core } from './s3-core.js';
import { BucketGoneError, ConditionFailedError, ObjectLockedError, type BucketState, type ObjectRecord } from './s3-store.js';

interface Tag {
  Key: string;
  Value: string;
}

export interface LifecycleRule {
  ID?: string;
  Status: 'Enabled' | 'Disabled';
  Prefix?: string;
  Filter?: {
    Prefix?: string;
    Tag?: Tag;
    ObjectSizeGreaterThan?: number;
    ObjectSizeLessThan?: number;
    And?: { Prefix?: string; Tags?: Tag[]; ObjectSizeGreaterThan?: number; ObjectSizeLessThan?: number };
  };
  Expiration?: { Days?: number; Date?: Date; ExpiredObjectDeleteMarker?: boolean };
  NoncurrentVersionExpiration?: { NoncurrentDays?: number; NewerNoncurrentVersions?: number };
  AbortIncompleteMultipartUpload?: { DaysAfterInitiation?: number };
}

export function ruleApplies(rule: LifecycleRule, key: string, size: number, tags: Record<string, string>): boolean {
  const f = rule.Filter ?? {};
  const and = f.And ?? {};
  const prefix = f.Prefix ?? and.Prefix ?? rule.Prefix ?? '';
  if (!key.startsWith(prefix)) return false;
  const wantTags = [...(f.Tag ? [f.Tag] : []), ...(and.Tags ?? [])];
  if (!wantTags.every((t) => tags[t.Key] === t.Value)) return false;
  const gt = f.ObjectSizeGreaterThan ?? and.ObjectSizeGreaterThan;
  const lt = f.ObjectSizeLessThan ?? and.ObjectSizeLessThan;
  if (gt !== undefined && !(size > gt)) return false;
  if (lt !== undefined && !(size < lt)) return false;
  return true;
}

export interface SweepResult {
  expired: number;
  noncurrentExpired: number;
  markersRemoved: number;
  uploadsAborted: number;
}

/**
 * Applies every bucket's enabled lifecycle rules as of `now`. `dayMs` is the length of a lifecycle
 * "day" (86 400 000 in production; tests shorten it).
 */
export async function sweepLifecycle(core: S3Core, now = Date.now(), dayMs = 86_400_000): Promise<SweepResult> {
  const result: SweepResult = { expired: 0, noncurrentExpired: 0, markersRemoved: 0, uploadsAborted: 0 };
  for (const bucket of await core.store.allBuckets()) {
    const config = bucket.config<{ Rules?: LifecycleRule[] }>('lifecycle');
    const rules = (config?.Rules ?? []).filter((r) => r.Status === 'Enabled');
    if (rules.length === 0) continue;
    await sweepBucket(core, bucket, rules, now, dayMs, result);
  }
  return result;
}

async function sweepBucket(core: S3Core, bucket: BucketState, rules: LifecycleRule[], now: number, dayMs: number, result: SweepResult): Promise<void> {
  const { store } = core;
  // Group versions per key (newest last, as the store yields them in insertion order).
  const byKey = new Map<string, ObjectRecord[]>();
  for await (const record of store.allObjects(bucket.name)) {
    const k = record.key.toString('hex');
    let list = byKey.get(k);
    if (!list) byKey.set(k, (list = []));
    list.push(record);
  }
  for (const versions of byKey.values()) {
    const keyBytes = versions[0]!.key;
    const key = keyBytes.toString('utf8');
    const current = versions.find((v) => v.isLatest);
    for (const rule of rules) {
      // Current version expiration.
      if (current && !current.deleteMarker && rule.Expiration && (rule.Expiration.Days !== undefined || rule.Expiration.Date)) {
        if (!ruleApplies(rule, key, current.size, current.tags)) continue;
        const due =
          rule.Expiration.Date !== undefined
            ? new Date(rule.Expiration.Date).getTime() <= now
            : current.lastModified + rule.Expiration.Days! * dayMs <= now;
        if (due) {
          // Without versioning the version goes; with it a delete marker becomes current.
          const deleted = await unlessChanged(() => store.deleteObject(bucket.name, keyBytes, now, { currentSeq: current.seq }));
          if (deleted) {
            core.dropBlobs(deleted.obsoleteBlobs);
            notify(core, bucket, deleted.marker ? 'LifecycleExpiration:DeleteMarkerCreated' : 'LifecycleExpiration:Delete', key);
            result.expired++;
          }
          break;
        }
      }
      // Noncurrent versions: noncurrent since the next newer version was written.
      const days = rule.NoncurrentVersionExpiration?.NoncurrentDays;
      if (days !== undefined) {
        const keep = rule.NoncurrentVersionExpiration?.NewerNoncurrentVersions ?? 0;
        let newerNoncurrent = 0;
        for (let i = versions.length - 2; i >= 0; i--) {
          const v = versions[i]!;
          if (v.isLatest) continue;
          if (!ruleApplies(rule, key, v.size, v.tags)) continue;
          const since = versions[i + 1]!.lastModified;
          newerNoncurrent++;
          if (newerNoncurrent <= keep) continue;
          if (since + days * dayMs <= now) {
            // A version under Object Lock is kept (the store refuses, atomically): S3 skips it.
            const deleted = await unlessLocked(() => store.deleteVersion(bucket.name, keyBytes, v.versionId, v.seq));
            if (!deleted) continue;
            core.dropBlobs(deleted.obsoleteBlobs);
            if (deleted.removed) result.noncurrentExpired++;
          }
        }
      }
      // A delete marker that is the only remaining version.
      if (rule.Expiration?.ExpiredObjectDeleteMarker && ruleApplies(rule, key, 0, {})) {
        const remaining = (await store.listVersions(bucket.name, { key: keyBytes, inclusive: true }, 2)).filter((v) => v.key.equals(keyBytes));
        if (remaining.length === 1 && remaining[0]!.deleteMarker) {
          const { removed } = await store.deleteVersion(bucket.name, keyBytes, remaining[0]!.versionId, remaining[0]!.seq);
          if (removed) result.markersRemoved++;
        }
      }
    }
  }
  for (const upload of await store.listUploads(bucket.name)) {
    const key = upload.key.toString('utf8');
    for (const rule of rules) {
      const days = rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation;
      if (days === undefined || !ruleApplies(rule, key, 0, {})) continue;
      if (upload.initiated + days * dayMs <= now) {
        core.dropBlobs(await store.deleteUpload(upload.uploadId));
        result.uploadsAborted++;
        break;
      }
    }
  }
}

/** The result of a deletion, or undefined when Object Lock protects the version. */
async function unlessLocked<T>(write: () => Promise<T>): Promise<T | undefined> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof ObjectLockedError) return undefined;
    throw error;
  }
}

/** The result of a write, or undefined when the version it was conditional on changed (or the bucket went). */
async function unlessChanged<T>(write: () => Promise<T>): Promise<T | undefined> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof ConditionFailedError || error instanceof BucketGoneError || error instanceof ObjectLockedError) return undefined;
    throw error;
  }
}

function notify(core: S3Core, bucket: BucketState, eventName: string, key: string): void {
  core.notifier.publish(bucket.config('notification'), {
    eventName,
    bucket: bucket.name,
    bucketOwner: bucket.account,
    bucketAccount: bucket.account,
    region: bucket.region,
    key,
    requestId: 'lifecycle',
    sourceIp: 's3.amazonaws.com',
    principalId: 's3.amazonaws.com',
  });
}
