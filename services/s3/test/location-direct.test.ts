// CreateBucket's location-constraint rules per endpoint region, as AWS documents them: only the
// us-east-1 endpoint creates buckets elsewhere; a regional endpoint needs its own region named.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { errorOf, harness } from './direct-harness.js';

const h = harness();
after(() => h.close());

describe('S3 CreateBucket location constraints', () => {
  it('creates a bucket in the endpoint region only when the constraint names it', async () => {
    const eu = { region: 'eu-west-1' };
    assert.equal(await errorOf(h.op('CreateBucket', { Bucket: 'loc-a' }, eu)), 'IllegalLocationConstraintException/400');
    assert.equal(
      await errorOf(h.op('CreateBucket', { Bucket: 'loc-a', CreateBucketConfiguration: { LocationConstraint: 'us-west-2' } }, eu)),
      'IllegalLocationConstraintException/400',
    );
    await assert.rejects(
      h.op('CreateBucket', { Bucket: 'loc-a', CreateBucketConfiguration: { LocationConstraint: 'us-west-2' } }, eu),
      (e: any) => e.message === 'The us-west-2 location constraint is incompatible for the region specific endpoint this request was sent to.',
    );
    await h.op('CreateBucket', { Bucket: 'loc-a', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }, eu);
    assert.deepEqual(await h.op('GetBucketLocation', { Bucket: 'loc-a' }), { LocationConstraint: 'eu-west-1' });
  });

  it('lets the us-east-1 endpoint create a bucket in another region, and refuses malformed constraints', async () => {
    await h.op('CreateBucket', { Bucket: 'loc-b', CreateBucketConfiguration: { LocationConstraint: 'ap-southeast-2' } });
    assert.deepEqual(await h.op('GetBucketLocation', { Bucket: 'loc-b' }), { LocationConstraint: 'ap-southeast-2' });
    assert.equal(
      await errorOf(h.op('CreateBucket', { Bucket: 'loc-c', CreateBucketConfiguration: { LocationConstraint: 'moon-base' } })),
      'InvalidLocationConstraint/400',
    );
    await h.op('CreateBucket', { Bucket: 'loc-d' });
    assert.deepEqual(await h.op('GetBucketLocation', { Bucket: 'loc-d' }), {});
  });
});
