// Paths the SDK cannot time: a conditional write whose key is deleted while its body is still
// arriving (409 ConditionalRequestConflict), and lifecycle expiry, which must skip versions under
// Object Lock. Operations are called directly on the provider (see direct-harness.ts).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { errorOf, harness } from './direct-harness.js';

const h = harness();
after(() => h.close());

/** Resolves once something reads `stream` (the operation has passed its early checks). */
async function readStarted(stream: PassThrough): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (stream.listenerCount('data') === 0 && stream.readableFlowing !== true) {
    if (Date.now() > deadline) throw new Error('the body was never read');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('S3 conditional write conflicts and Object Lock under lifecycle', () => {
  it('answers 409 ConditionalRequestConflict when the key is deleted while an If-Match write runs', async () => {
    await h.op('CreateBucket', { Bucket: 'conflict' });
    const put = await h.op('PutObject', { Bucket: 'conflict', Key: 'k', Body: h.body('v1') });
    const body = new PassThrough();
    const pending = errorOf(h.op('PutObject', { Bucket: 'conflict', Key: 'k', Body: body, IfMatch: put.ETag }));
    await readStarted(body);
    await h.op('DeleteObject', { Bucket: 'conflict', Key: 'k' });
    body.end(Buffer.alloc(100 * 1024, 'x'));
    assert.equal(await pending, 'ConditionalRequestConflict/409');
    assert.equal(await errorOf(h.op('HeadObject', { Bucket: 'conflict', Key: 'k' })), 'NoSuchKey/404');
  });

  it('answers 412 to the second If-None-Match writer of a key created while its body arrived', async () => {
    const body = new PassThrough();
    const pending = errorOf(h.op('PutObject', { Bucket: 'conflict', Key: 'new', Body: body, IfNoneMatch: '*' }));
    await readStarted(body);
    await h.op('PutObject', { Bucket: 'conflict', Key: 'new', Body: h.body('first'), IfNoneMatch: '*' });
    body.end(Buffer.alloc(100 * 1024, 'y'));
    assert.equal(await pending, 'PreconditionFailed/412');
    assert.equal((await h.read((await h.op('GetObject', { Bucket: 'conflict', Key: 'new' })).Body)).toString(), 'first');
  });

  it('leaves noncurrent versions under retention or legal hold to lifecycle expiry, expiring the others', async () => {
    await h.op('CreateBucket', { Bucket: 'vault-life', ObjectLockEnabledForBucket: true });
    const until = new Date(Date.now() + 365 * 86_400_000);
    const locked = await h.op('PutObject', { Bucket: 'vault-life', Key: 'k', Body: h.body('locked'), ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: until });
    const held = await h.op('PutObject', { Bucket: 'vault-life', Key: 'k', Body: h.body('held'), ObjectLockLegalHoldStatus: 'ON' });
    const free = await h.op('PutObject', { Bucket: 'vault-life', Key: 'k', Body: h.body('free') });
    await h.op('PutObject', { Bucket: 'vault-life', Key: 'k', Body: h.body('current') });
    await h.op('PutBucketLifecycleConfiguration', {
      Bucket: 'vault-life',
      LifecycleConfiguration: { Rules: [{ ID: 'old', Status: 'Enabled', Filter: { Prefix: '' }, NoncurrentVersionExpiration: { NoncurrentDays: 1 } }] },
    });
    const result = await h.provider.runLifecycle(Date.now() + 3 * 86_400_000);
    assert.equal(result.noncurrentExpired, 1);
    const versions = await h.op('ListObjectVersions', { Bucket: 'vault-life' });
    const ids = (versions.Versions ?? []).map((v: { VersionId: string }) => v.VersionId);
    assert.ok(ids.includes(locked.VersionId), 'the COMPLIANCE version is kept');
    assert.ok(ids.includes(held.VersionId), 'the version under legal hold is kept');
    assert.ok(!ids.includes(free.VersionId), 'the unlocked noncurrent version expired');
    assert.equal((await h.read((await h.op('GetObject', { Bucket: 'vault-life', Key: 'k', VersionId: locked.VersionId })).Body)).toString(), 'locked');
  });
});
