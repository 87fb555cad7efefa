// Lifecycle rules applied by a background sweep: expiration of current versions (by age or date),
// of noncurrent versions, of expired delete markers, and aborting incomplete multipart uploads.
// Transitions are accepted and stored but change nothing (there is only one storage tier).
import type { S3Core } from './s3-core.js';
import { newVersionId } from './s3-core.js';
import type { BucketRecord, ObjectRecord } from './s3-store.js';

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
  for (const bucket of core.store.allBuckets()) {
    const config = core.store.getConfig<{ Rules?: LifecycleRule[] }>(bucket.name, 'lifecycle');
    const rules = (config?.Rules ?? []).filter((r) => r.Status === 'Enabled');
    if (rules.length === 0) continue;
    await sweepBucket(core, bucket, rules, now, dayMs, result);
  }
  return result;
}

async function sweepBucket(core: S3Core, bucket: BucketRecord, rules: LifecycleRule[], now: number, dayMs: number, result: SweepResult): Promise<void> {
  const { store } = core;
  // Group versions per key (newest last, as the store yields them in insertion order).
  const byKey = new Map<string, ObjectRecord[]>();
  for (const record of store.allObjects(bucket.name)) {
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
          if (bucket.versioning === '') {
            const { obsoleteBlobs } = await store.write(() => store.deleteVersionSync(bucket.name, keyBytes, 'null'));
            core.dropBlobs(obsoleteBlobs);
            notify(core, bucket, 'LifecycleExpiration:Delete', key);
          } else {
            const written = await store.putObject(
              bucket.name,
              keyBytes,
              { blob: null, size: 0, etag: '', lastModified: now, storageClass: 'STANDARD', meta: {}, tags: {}, deleteMarker: true },
              bucket.versioning,
              newVersionId(),
            );
            core.dropBlobs(written.obsoleteBlobs);
            notify(core, bucket, 'LifecycleExpiration:DeleteMarkerCreated', key);
          }
          result.expired++;
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
            const { obsoleteBlobs } = await store.write(() => store.deleteVersionSync(bucket.name, keyBytes, v.versionId));
            core.dropBlobs(obsoleteBlobs);
            result.noncurrentExpired++;
          }
        }
      }
      // A delete marker that is the only remaining version.
      if (rule.Expiration?.ExpiredObjectDeleteMarker && ruleApplies(rule, key, 0, {})) {
        const remaining = store.listVersions(bucket.name, { key: keyBytes, inclusive: true }, 2).filter((v) => v.key.equals(keyBytes));
        if (remaining.length === 1 && remaining[0]!.deleteMarker) {
          await store.write(() => store.deleteVersionSync(bucket.name, keyBytes, remaining[0]!.versionId));
          result.markersRemoved++;
        }
      }
    }
  }
  for (const upload of store.listUploads(bucket.name)) {
    const key = upload.key.toString('utf8');
    for (const rule of rules) {
      const days = rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation;
      if (days === undefined || !ruleApplies(rule, key, 0, {})) continue;
      if (upload.initiated + days * dayMs <= now) {
        const blobs = await store.write(() => store.deleteUploadSync(upload.uploadId));
        core.dropBlobs(blobs);
        result.uploadsAborted++;
        break;
      }
    }
  }
}

function notify(core: S3Core, bucket: BucketRecord, eventName: string, key: string): void {
  core.notifier.publish(core.store.getConfig(bucket.name, 'notification'), {
    eventName,
    bucket: bucket.name,
    bucketOwner: bucket.account,
    region: bucket.region,
    key,
    requestId: 'lifecycle',
    sourceIp: 's3.amazonaws.com',
    principalId: 's3.amazonaws.com',
  });
}
