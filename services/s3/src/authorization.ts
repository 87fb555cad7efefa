// What an S3 call asks of IAM: S3's action names differ from its operation names (ListObjectsV2 is
// s3:ListBucket, UploadPart is s3:PutObject, HeadObject is s3:GetObject), and the resource is the
// bucket (`arn:aws:s3:::bucket`) or the object (`arn:aws:s3:::bucket/key`). CopyObject and
// UploadPartCopy also need s3:GetObject on their source, and a request that bypasses GOVERNANCE
// retention s3:BypassGovernanceRetention on its objects.
import type { IamRequest } from '@atoll/core';
import { parseCopySource } from './object-operations.js';

const ACTIONS: Record<string, string> = {
  ListBuckets: 's3:ListAllMyBuckets',
  HeadBucket: 's3:ListBucket',
  ListObjects: 's3:ListBucket',
  ListObjectsV2: 's3:ListBucket',
  ListObjectVersions: 's3:ListBucketVersions',
  ListMultipartUploads: 's3:ListBucketMultipartUploads',
  ListParts: 's3:ListMultipartUploadParts',
  HeadObject: 's3:GetObject',
  CopyObject: 's3:PutObject',
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  UploadPartCopy: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  DeleteObjects: 's3:DeleteObject',
  GetBucketCors: 's3:GetBucketCORS',
  PutBucketCors: 's3:PutBucketCORS',
  DeleteBucketCors: 's3:PutBucketCORS',
  GetBucketLifecycleConfiguration: 's3:GetLifecycleConfiguration',
  PutBucketLifecycleConfiguration: 's3:PutLifecycleConfiguration',
  DeleteBucketLifecycle: 's3:PutLifecycleConfiguration',
  GetBucketNotificationConfiguration: 's3:GetBucketNotification',
  PutBucketNotificationConfiguration: 's3:PutBucketNotification',
  GetBucketEncryption: 's3:GetEncryptionConfiguration',
  PutBucketEncryption: 's3:PutEncryptionConfiguration',
  DeleteBucketEncryption: 's3:PutEncryptionConfiguration',
  DeleteBucketTagging: 's3:PutBucketTagging',
  SelectObjectContent: 's3:GetObject',
  PutObjectLockConfiguration: 's3:PutBucketObjectLockConfiguration',
  GetObjectLockConfiguration: 's3:GetBucketObjectLockConfiguration',
  PutBucketAccelerateConfiguration: 's3:PutAccelerateConfiguration',
  GetBucketAccelerateConfiguration: 's3:GetAccelerateConfiguration',
  PutBucketInventoryConfiguration: 's3:PutInventoryConfiguration',
  GetBucketInventoryConfiguration: 's3:GetInventoryConfiguration',
  DeleteBucketInventoryConfiguration: 's3:PutInventoryConfiguration',
  ListBucketInventoryConfigurations: 's3:GetInventoryConfiguration',
  PutBucketAnalyticsConfiguration: 's3:PutAnalyticsConfiguration',
  GetBucketAnalyticsConfiguration: 's3:GetAnalyticsConfiguration',
  DeleteBucketAnalyticsConfiguration: 's3:PutAnalyticsConfiguration',
  ListBucketAnalyticsConfigurations: 's3:GetAnalyticsConfiguration',
};

export function s3Authorization(operation: string, input: Record<string, unknown>): IamRequest {
  const action = ACTIONS[operation];
  const bucket = typeof input.Bucket === 'string' ? input.Bucket : undefined;
  if (!bucket) return { action };
  const objects = (input.Delete as { Objects?: { Key?: string }[] } | undefined)?.Objects;
  // Bypassing GOVERNANCE retention is a permission of its own, on the objects concerned.
  const bypass = input.BypassGovernanceRetention === true;
  if (operation === 'DeleteObjects' && objects) {
    const resources = objects.map((o) => `arn:aws:s3:::${bucket}/${o.Key ?? ''}`);
    return { action, resources, also: bypass ? resources.map((resource) => ({ action: 's3:BypassGovernanceRetention', resource })) : undefined };
  }
  const resources = [typeof input.Key === 'string' ? `arn:aws:s3:::${bucket}/${input.Key}` : `arn:aws:s3:::${bucket}`];
  if (bypass) return { action, resources, also: [{ action: 's3:BypassGovernanceRetention', resource: resources[0]! }] };
  return { action, resources, also: copySource(input.CopySource) };
}

/** The source a copy reads, as a check of its own; none when the header does not parse (the call then fails). */
function copySource(value: unknown): IamRequest['also'] {
  if (typeof value !== 'string') return undefined;
  try {
    const source = parseCopySource(value);
    return [{ action: 's3:GetObject', resource: `arn:aws:s3:::${source.bucket}/${source.key}` }];
  } catch {
    return undefined;
  }
}
