import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '@atoll/aws-models';
import { RestRouter } from './router.js';

const q = (s: string) => new URLSearchParams(s);

test('S3 operations that share a path are told apart by their query and required headers', async () => {
  const router = new RestRouter(await loadModel('s3'));
  const op = (method: string, path: string, query = '', headers: Record<string, string> = {}) =>
    router.match(method, path, q(query), headers)?.operation.name;
  assert.equal(op('PUT', '/b/k'), 'PutObject');
  assert.equal(op('PUT', '/b/k', '', { 'x-amz-copy-source': '/a/b' }), 'CopyObject');
  assert.equal(op('PUT', '/b/k', 'partNumber=1&uploadId=u'), 'UploadPart');
  assert.equal(op('PUT', '/b/k', 'partNumber=1&uploadId=u', { 'x-amz-copy-source': '/a/b' }), 'UploadPartCopy');
  assert.equal(op('GET', '/b'), 'ListObjects');
  assert.equal(op('GET', '/b', 'list-type=2'), 'ListObjectsV2');
  assert.equal(op('GET', '/b/k', 'tagging'), 'GetObjectTagging');
  assert.equal(op('DELETE', '/b/k', 'uploadId=u'), 'AbortMultipartUpload');
  assert.equal(op('GET', '/'), 'ListBuckets');
  assert.equal(op('PUT', '/b'), 'CreateBucket');
  assert.equal(op('HEAD', '/b/a/deep/key'), 'HeadObject');
  assert.equal(op('PUT', '/b', 'notification'), 'PutBucketNotificationConfiguration');
  assert.equal(op('GET', '/b', 'lifecycle'), 'GetBucketLifecycleConfiguration');
});

test('greedy labels keep slashes and are percent-decoded', async () => {
  const router = new RestRouter(await loadModel('s3'));
  const match = router.match('GET', '/my-bucket/dir/a%20b%2Bc.txt', q(''), {});
  assert.deepEqual(match?.uriParams, { Bucket: 'my-bucket', Key: 'dir/a b+c.txt' });
});

test('a trailing slash in the template or the request is optional', async () => {
  const router = new RestRouter(await loadModel('lambda'));
  assert.equal(router.match('GET', '/2015-03-31/functions', q(''), {})?.operation.name, 'ListFunctions');
  assert.equal(router.match('GET', '/2015-03-31/functions/', q(''), {})?.operation.name, 'ListFunctions');
  assert.equal(router.match('POST', '/2015-03-31/functions', q(''), {})?.operation.name, 'CreateFunction');
  assert.equal(router.match('PATCH', '/2015-03-31/functions', q(''), {}), undefined);
  assert.equal(router.pathExists('/2015-03-31/functions'), true);
});
