import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidBucketName } from './bucket-name.js';

test('accepts lower-case names with digits, dots and hyphens', () => {
  for (const name of ['abc', 'my-bucket', 'my.bucket.2', 'a'.repeat(63)]) assert.equal(isValidBucketName(name), true, name);
});

test('refuses names that break S3 naming rules', () => {
  for (const name of ['ab', 'a'.repeat(64), 'My-Bucket', '-abc', 'abc-', 'a..b', 'a.-b', '192.168.1.1', 'xn--abc', 'bucket-s3alias', 'a_b']) {
    assert.equal(isValidBucketName(name), false, name);
  }
});
