import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { forEachEngine } from '@atoll/test-support';
import { dynamoDbStoreCases } from './dynamodb-store.case.js';
import { segmentHash } from './dynamodb-store.js';

await forEachEngine('DynamoDbStore', dynamoDbStoreCases);

test('a segment hash is the MD5 of the encoded partition key, first 4 bytes big-endian, as stored rows have it', () => {
  // Values stored by earlier versions (Parallel Scan reads the `seg` column): they must not change.
  assert.equal(segmentHash(Buffer.alloc(0)), 3558706393);
  assert.equal(segmentHash(Buffer.from('k1', 'latin1')), 3057103226);
  assert.equal(segmentHash(Buffer.from('\u0001k1', 'latin1')), 389352441);
  for (let i = 0; i < 200; i++) {
    const pk = Buffer.from(`\u0003${i}:${'é'.repeat(i % 7)}`, 'utf8');
    assert.equal(segmentHash(pk), createHash('md5').update(pk).digest().readUInt32BE(0));
  }
});
