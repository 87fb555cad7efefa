// Object Lock end to end through the SDK: lock configuration and default retention, retention and
// legal hold per version, and every path that could remove or replace a locked version (DeleteObject
// and DeleteObjects with a version id, multipart completion, copy) refused with AWS's errors.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectLockConfigurationCommand,
  PutObjectRetentionCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

let p: TestPlatform;
let s3: S3Client;

const DAY = 86_400_000;
const inDays = (days: number) => new Date(Date.now() + days * DAY);

before(async () => {
  p = await startPlatform({ services: ['s3'] });
  s3 = p.client(S3Client, { forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: 'vault', ObjectLockEnabledForBucket: true }));
  await s3.send(new CreateBucketCommand({ Bucket: 'plain' }));
});
after(async () => {
  await p.stop();
});

/** Asserts the SDK error's name (code), HTTP status and, when given, message. */
async function rejects(promise: Promise<unknown>, code: string, status: number, message?: string | RegExp): Promise<void> {
  await assert.rejects(promise, (e: any) => {
    assert.equal(e.name, code, e.message);
    assert.equal(e.$metadata?.httpStatusCode, status);
    if (typeof message === 'string') assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    return true;
  });
}

const LOCKED = 'Access Denied because object protected by object lock.';

describe('S3 Object Lock', () => {
  it('creates a lock-enabled bucket with versioning that cannot be suspended', async () => {
    const config = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'vault' }));
    assert.deepEqual(config.ObjectLockConfiguration, { ObjectLockEnabled: 'Enabled' });
    await rejects(
      s3.send(new PutBucketVersioningCommand({ Bucket: 'vault', VersioningConfiguration: { Status: 'Suspended' } })),
      'InvalidBucketState',
      409,
    );
    await rejects(s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'plain' })), 'ObjectLockConfigurationNotFoundError', 404);
  });

  it('refuses a lock configuration on a bucket without versioning, and lock headers on a bucket without lock', async () => {
    await rejects(
      s3.send(new PutObjectLockConfigurationCommand({ Bucket: 'plain', ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } })),
      'InvalidBucketState',
      409,
    );
    await rejects(
      s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'k', Body: 'x', ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: inDays(1) })),
      'InvalidRequest',
      400,
      'Bucket is missing Object Lock Configuration',
    );
    await rejects(
      s3.send(new PutObjectRetentionCommand({ Bucket: 'plain', Key: 'k', Retention: { Mode: 'GOVERNANCE', RetainUntilDate: inDays(1) } })),
      'InvalidRequest',
      400,
    );
  });

  it('validates lock headers: both mode and date, a date in the future', async () => {
    await rejects(s3.send(new PutObjectCommand({ Bucket: 'vault', Key: 'bad', Body: 'x', ObjectLockMode: 'GOVERNANCE' })), 'InvalidArgument', 400);
    await rejects(
      s3.send(new PutObjectCommand({ Bucket: 'vault', Key: 'bad', Body: 'x', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: new Date(Date.now() - DAY) })),
      'InvalidArgument',
      400,
      'The retain until date must be in the future!',
    );
  });

  it('applies the default retention to new versions and shows it on GET and HEAD', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'vault-default', ObjectLockEnabledForBucket: true }));
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: 'vault-default',
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 2 } } },
      }),
    );
    const stored = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'vault-default' }));
    assert.deepEqual(stored.ObjectLockConfiguration?.Rule, { DefaultRetention: { Mode: 'GOVERNANCE', Days: 2 } });
    const before = Date.now();
    await s3.send(new PutObjectCommand({ Bucket: 'vault-default', Key: 'doc', Body: 'kept' }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'vault-default', Key: 'doc' }));
    assert.equal(head.ObjectLockMode, 'GOVERNANCE');
    const until = head.ObjectLockRetainUntilDate!.getTime();
    assert.ok(until >= before + 2 * DAY - 1000 && until <= Date.now() + 2 * DAY + 1000, `retain until ${head.ObjectLockRetainUntilDate?.toISOString()}`);
    const retention = await s3.send(new GetObjectRetentionCommand({ Bucket: 'vault-default', Key: 'doc' }));
    assert.equal(retention.Retention?.Mode, 'GOVERNANCE');
    await rejects(
      s3.send(
        new PutObjectLockConfigurationCommand({
          Bucket: 'vault-default',
          ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1, Years: 1 } } },
        }),
      ),
      'MalformedXML',
      400,
    );
  });

  it('protects a GOVERNANCE version from deletion unless the caller bypasses governance retention', async () => {
    const put = await s3.send(
      new PutObjectCommand({ Bucket: 'vault', Key: 'gov', Body: 'g', ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: inDays(1) }),
    );
    await rejects(s3.send(new DeleteObjectCommand({ Bucket: 'vault', Key: 'gov', VersionId: put.VersionId })), 'AccessDenied', 403, LOCKED);
    // Shortening needs the bypass too.
    await rejects(
      s3.send(new PutObjectRetentionCommand({ Bucket: 'vault', Key: 'gov', VersionId: put.VersionId, Retention: { Mode: 'GOVERNANCE', RetainUntilDate: new Date(Date.now() + 3_600_000) } })),
      'AccessDenied',
      403,
    );
    // A delete without a version id only adds a delete marker.
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: 'vault', Key: 'gov' }));
    assert.equal(marker.DeleteMarker, true);
    assert.equal((await s3.send(new GetObjectCommand({ Bucket: 'vault', Key: 'gov', VersionId: put.VersionId }))).ObjectLockMode, 'GOVERNANCE');
    await s3.send(new DeleteObjectCommand({ Bucket: 'vault', Key: 'gov', VersionId: put.VersionId, BypassGovernanceRetention: true }));
    await rejects(s3.send(new GetObjectCommand({ Bucket: 'vault', Key: 'gov', VersionId: put.VersionId })), 'NoSuchVersion', 404);
  });

  it('never lets a COMPLIANCE version be deleted or its retention shortened, even with bypass', async () => {
    const put = await s3.send(
      new PutObjectCommand({ Bucket: 'vault', Key: 'comp', Body: 'c', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: inDays(1) }),
    );
    await rejects(
      s3.send(new DeleteObjectCommand({ Bucket: 'vault', Key: 'comp', VersionId: put.VersionId, BypassGovernanceRetention: true })),
      'AccessDenied',
      403,
      LOCKED,
    );
    await rejects(
      s3.send(
        new PutObjectRetentionCommand({
          Bucket: 'vault', Key: 'comp', VersionId: put.VersionId, BypassGovernanceRetention: true,
          Retention: { Mode: 'GOVERNANCE', RetainUntilDate: inDays(2) },
        }),
      ),
      'AccessDenied',
      403,
    );
    // Extending is allowed.
    const later = inDays(3);
    await s3.send(new PutObjectRetentionCommand({ Bucket: 'vault', Key: 'comp', VersionId: put.VersionId, Retention: { Mode: 'COMPLIANCE', RetainUntilDate: later } }));
    const retention = await s3.send(new GetObjectRetentionCommand({ Bucket: 'vault', Key: 'comp', VersionId: put.VersionId }));
    assert.equal(retention.Retention?.RetainUntilDate?.getTime(), later.getTime());

    const batch = await s3.send(
      new DeleteObjectsCommand({ Bucket: 'vault', BypassGovernanceRetention: true, Delete: { Objects: [{ Key: 'comp', VersionId: put.VersionId }] } }),
    );
    assert.deepEqual(batch.Errors?.map((e) => [e.Key, e.Code, e.Message]), [['comp', 'AccessDenied', LOCKED]]);
    assert.equal(batch.Deleted?.length ?? 0, 0);
  });

  it('keeps a version under legal hold until the hold is lifted', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: 'vault', Key: 'held', Body: 'h' }));
    await rejects(s3.send(new GetObjectLegalHoldCommand({ Bucket: 'vault', Key: 'held' })), 'NoSuchObjectLockConfiguration', 404);
    await rejects(s3.send(new GetObjectRetentionCommand({ Bucket: 'vault', Key: 'held' })), 'NoSuchObjectLockConfiguration', 404);
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: 'vault', Key: 'held', LegalHold: { Status: 'ON' } }));
    assert.equal((await s3.send(new GetObjectLegalHoldCommand({ Bucket: 'vault', Key: 'held' }))).LegalHold?.Status, 'ON');
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: 'vault', Key: 'held' }))).ObjectLockLegalHoldStatus, 'ON');
    await rejects(
      s3.send(new DeleteObjectCommand({ Bucket: 'vault', Key: 'held', VersionId: put.VersionId, BypassGovernanceRetention: true })),
      'AccessDenied',
      403,
      LOCKED,
    );
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: 'vault', Key: 'held', LegalHold: { Status: 'OFF' } }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'vault', Key: 'held', VersionId: put.VersionId }));
  });

  it('keeps the locked version when a multipart upload completes or a copy lands on its key', async () => {
    const put = await s3.send(
      new PutObjectCommand({ Bucket: 'vault', Key: 'target', Body: 'original', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: inDays(1) }),
    );
    const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'vault', Key: 'target', ObjectLockLegalHoldStatus: 'ON' }));
    const part = await s3.send(new UploadPartCommand({ Bucket: 'vault', Key: 'target', UploadId: upload.UploadId, PartNumber: 1, Body: 'from parts' }));
    const completed = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: 'vault', Key: 'target', UploadId: upload.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }),
    );
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: 'vault', Key: 'target', VersionId: completed.VersionId }))).ObjectLockLegalHoldStatus, 'ON');
    const copied = await s3.send(new CopyObjectCommand({ Bucket: 'vault', Key: 'target', CopySource: `vault/target?versionId=${put.VersionId}` }));
    assert.ok(copied.VersionId);
    // The copy does not carry the source's lock; the original is still there and still locked.
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: 'vault', Key: 'target', VersionId: copied.VersionId }))).ObjectLockMode, undefined);
    const original = await s3.send(new GetObjectCommand({ Bucket: 'vault', Key: 'target', VersionId: put.VersionId }));
    assert.equal(await original.Body!.transformToString(), 'original');
    assert.equal(original.ObjectLockMode, 'COMPLIANCE');
    await rejects(s3.send(new DeleteObjectCommand({ Bucket: 'vault', Key: 'target', VersionId: put.VersionId })), 'AccessDenied', 403, LOCKED);
    await rejects(s3.send(new DeleteObjectCommand({ Bucket: 'vault', Key: 'target', VersionId: completed.VersionId })), 'AccessDenied', 403, LOCKED);
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: 'vault', Prefix: 'target' }));
    assert.equal(versions.Versions?.length, 3);
  });
});
