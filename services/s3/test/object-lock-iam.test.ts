// Bypassing GOVERNANCE retention needs s3:BypassGovernanceRetention of its own: an IAM user allowed
// to delete object versions cannot bypass without it, and can once a policy grants it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

let p: TestPlatform;
let s3: S3Client;
let iam: IAMClient;

before(async () => {
  p = await startPlatform({ services: ['s3', 'iam', 'sts'] });
  s3 = p.client(S3Client, { forcePathStyle: true });
  iam = p.client(IAMClient);
  await s3.send(new CreateBucketCommand({ Bucket: 'governed', ObjectLockEnabledForBucket: true }));
});
after(async () => {
  await p.stop();
});

const policy = (actions: string[]) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: ['arn:aws:s3:::governed', 'arn:aws:s3:::governed/*'] }] });

describe('S3 Object Lock governance bypass under IAM', () => {
  it('needs s3:BypassGovernanceRetention besides s3:DeleteObjectVersion', async () => {
    const put = await s3.send(
      new PutObjectCommand({ Bucket: 'governed', Key: 'g', Body: 'x', ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: new Date(Date.now() + 86_400_000) }),
    );
    await iam.send(new CreateUserCommand({ UserName: 'cleaner' }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'cleaner', PolicyName: 'delete', PolicyDocument: policy(['s3:DeleteObject', 's3:DeleteObjectVersion']) }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'cleaner' }))).AccessKey!;
    const asCleaner = p.client(S3Client, { forcePathStyle: true, credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } });
    const bypass = () => asCleaner.send(new DeleteObjectCommand({ Bucket: 'governed', Key: 'g', VersionId: put.VersionId, BypassGovernanceRetention: true }));
    await assert.rejects(bypass(), (e: any) => e.name === 'AccessDenied' && e.$metadata.httpStatusCode === 403);
    await iam.send(
      new PutUserPolicyCommand({ UserName: 'cleaner', PolicyName: 'delete', PolicyDocument: policy(['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:BypassGovernanceRetention']) }),
    );
    // IAM changes apply to the next request (poll generously rather than assume a delay).
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await bypass();
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  });
});
