// Versioning and listings through the provider's operations, without the edge.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { errorOf, harness, type Harness } from './direct-harness.js';

let h: Harness;
before(() => {
  h = harness();
});
after(() => h.close());

describe('versioning', () => {
  before(async () => {
    await h.op('CreateBucket', { Bucket: 'ver' });
  });

  test('keeps every version, answers the newest and reads an older one by id', async () => {
    await h.op('PutBucketVersioning', { Bucket: 'ver', VersioningConfiguration: { Status: 'Enabled' } });
    assert.deepEqual(await h.op('GetBucketVersioning', { Bucket: 'ver' }), { Status: 'Enabled' });
    const v1 = await h.op('PutObject', { Bucket: 'ver', Key: 'doc', Body: h.body('v1') });
    const v2 = await h.op('PutObject', { Bucket: 'ver', Key: 'doc', Body: h.body('v2') });
    assert.notEqual(v1.VersionId, v2.VersionId);
    assert.equal((await h.read((await h.op('GetObject', { Bucket: 'ver', Key: 'doc' })).Body)).toString(), 'v2');
    assert.equal((await h.read((await h.op('GetObject', { Bucket: 'ver', Key: 'doc', VersionId: v1.VersionId })).Body)).toString(), 'v1');
  });

  test('a delete without a version id adds a delete marker; GET then answers NoSuchKey with x-amz-delete-marker', async () => {
    const del = await h.op('DeleteObject', { Bucket: 'ver', Key: 'doc' });
    assert.equal(del.DeleteMarker, true);
    assert.ok(del.VersionId);
    try {
      await h.op('GetObject', { Bucket: 'ver', Key: 'doc' });
      assert.fail('expected NoSuchKey');
    } catch (error) {
      assert.equal((error as { code: string }).code, 'NoSuchKey');
      assert.equal((error as { headers: Record<string, string> }).headers['x-amz-delete-marker'], 'true');
    }
    assert.equal(await errorOf(h.op('GetObject', { Bucket: 'ver', Key: 'doc', VersionId: del.VersionId })), 'MethodNotAllowed/405');
    // Removing the marker brings the previous version back.
    const removed = await h.op('DeleteObject', { Bucket: 'ver', Key: 'doc', VersionId: del.VersionId });
    assert.equal(removed.DeleteMarker, true);
    assert.equal((await h.read((await h.op('GetObject', { Bucket: 'ver', Key: 'doc' })).Body)).toString(), 'v2');
  });

  test('answers NoSuchVersion for an unknown version id', async () => {
    assert.equal(await errorOf(h.op('GetObject', { Bucket: 'ver', Key: 'doc', VersionId: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })), 'NoSuchVersion/404');
  });

  test('with versioning suspended, writes replace the null version', async () => {
    await h.op('CreateBucket', { Bucket: 'ver-susp' });
    await h.op('PutBucketVersioning', { Bucket: 'ver-susp', VersioningConfiguration: { Status: 'Enabled' } });
    const kept = await h.op('PutObject', { Bucket: 'ver-susp', Key: 'k', Body: h.body('kept') });
    await h.op('PutBucketVersioning', { Bucket: 'ver-susp', VersioningConfiguration: { Status: 'Suspended' } });
    const n1 = await h.op('PutObject', { Bucket: 'ver-susp', Key: 'k', Body: h.body('null-1') });
    const n2 = await h.op('PutObject', { Bucket: 'ver-susp', Key: 'k', Body: h.body('null-2') });
    assert.equal(n1.VersionId, 'null');
    assert.equal(n2.VersionId, 'null');
    const versions = await h.op('ListObjectVersions', { Bucket: 'ver-susp' });
    assert.deepEqual(
      versions.Versions.map((v: { VersionId: string; IsLatest: boolean }) => [v.VersionId, v.IsLatest]),
      [['null', true], [kept.VersionId, false]],
    );
  });

  test('lists versions and delete markers newest first, page by page with key and version markers', async () => {
    await h.op('CreateBucket', { Bucket: 'ver-list' });
    await h.op('PutBucketVersioning', { Bucket: 'ver-list', VersioningConfiguration: { Status: 'Enabled' } });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await h.op('PutObject', { Bucket: 'ver-list', Key: 'a', Body: h.body(`a${i}`) })).VersionId);
    await h.op('PutObject', { Bucket: 'ver-list', Key: 'b', Body: h.body('b') });
    const marker = await h.op('DeleteObject', { Bucket: 'ver-list', Key: 'b' });
    const page1 = await h.op('ListObjectVersions', { Bucket: 'ver-list', MaxKeys: 2 });
    assert.equal(page1.IsTruncated, true);
    assert.deepEqual(page1.Versions.map((v: { VersionId: string }) => v.VersionId), [ids[2], ids[1]]);
    assert.equal(page1.NextKeyMarker, 'a');
    assert.equal(page1.NextVersionIdMarker, ids[1]);
    const page2 = await h.op('ListObjectVersions', { Bucket: 'ver-list', MaxKeys: 2, KeyMarker: page1.NextKeyMarker, VersionIdMarker: page1.NextVersionIdMarker });
    assert.deepEqual(page2.Versions.map((v: { VersionId: string }) => v.VersionId), [ids[0]]);
    assert.deepEqual(page2.DeleteMarkers.map((v: { VersionId: string }) => v.VersionId), [marker.VersionId]);
    const page3 = await h.op('ListObjectVersions', { Bucket: 'ver-list', MaxKeys: 2, KeyMarker: page2.NextKeyMarker, VersionIdMarker: page2.NextVersionIdMarker });
    assert.equal(page3.IsTruncated, false);
    assert.equal(page3.Versions.length, 1);
    // b's delete marker hides it from ListObjectsV2.
    const current = await h.op('ListObjectsV2', { Bucket: 'ver-list' });
    assert.deepEqual(current.Contents.map((c: { Key: string }) => c.Key), ['a']);
  });
});

describe('listing', () => {
  const keys = ['a', 'a/b', 'a/c/d', 'b', 'b+c', 'b/c', 'c#d#e', 'c#f', 'é', 'z', '\u{1F600}', 'ｚ'];

  before(async () => {
    await h.op('CreateBucket', { Bucket: 'list' });
    for (const key of [...keys].reverse()) await h.op('PutObject', { Bucket: 'list', Key: key, Body: h.body(key) });
  });

  test('lists keys in UTF-8 binary order', async () => {
    const out = await h.op('ListObjectsV2', { Bucket: 'list' });
    const expected = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    assert.deepEqual(out.Contents.map((c: { Key: string }) => c.Key), expected);
    assert.equal(out.KeyCount, keys.length);
    assert.equal(out.IsTruncated, false);
  });

  test('rolls keys up into common prefixes with "/" and with a multi-character delimiter', async () => {
    const out = await h.op('ListObjectsV2', { Bucket: 'list', Delimiter: '/' });
    assert.deepEqual(out.CommonPrefixes.map((p: { Prefix: string }) => p.Prefix), ['a/', 'b/']);
    assert.ok(!out.Contents.some((c: { Key: string }) => c.Key.includes('/')));
    const hash = await h.op('ListObjectsV2', { Bucket: 'list', Delimiter: '#e', Prefix: 'c' });
    assert.deepEqual(hash.CommonPrefixes.map((p: { Prefix: string }) => p.Prefix), ['c#d#e']);
    assert.deepEqual(hash.Contents.map((c: { Key: string }) => c.Key), ['c#f']);
    const nested = await h.op('ListObjectsV2', { Bucket: 'list', Delimiter: '/', Prefix: 'a/' });
    assert.deepEqual(nested.Contents.map((c: { Key: string }) => c.Key), ['a/b']);
    assert.deepEqual(nested.CommonPrefixes.map((p: { Prefix: string }) => p.Prefix), ['a/c/']);
  });

  test('pages with continuation tokens, counting common prefixes against max-keys', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await h.op('ListObjectsV2', { Bucket: 'list', Delimiter: '/', MaxKeys: 2, ContinuationToken: token });
      assert.ok(out.KeyCount <= 2);
      seen.push(...out.Contents.map((c: { Key: string }) => c.Key), ...out.CommonPrefixes.map((p: { Prefix: string }) => p.Prefix));
      token = out.NextContinuationToken;
      pages++;
    } while (token);
    const all = await h.op('ListObjectsV2', { Bucket: 'list', Delimiter: '/' });
    assert.equal(seen.length, all.KeyCount);
    assert.equal(new Set(seen).size, seen.length);
    assert.equal(pages, Math.ceil(all.KeyCount / 2));
  });

  test('starts after a key with start-after and v1 markers', async () => {
    const out = await h.op('ListObjectsV2', { Bucket: 'list', StartAfter: 'b/c', MaxKeys: 2 });
    assert.deepEqual(out.Contents.map((c: { Key: string }) => c.Key), ['c#d#e', 'c#f']);
    const v1 = await h.op('ListObjects', { Bucket: 'list', Marker: 'b/c', MaxKeys: 2, Delimiter: '#' });
    assert.deepEqual(v1.CommonPrefixes.map((p: { Prefix: string }) => p.Prefix), ['c#']);
    assert.equal(v1.IsTruncated, true);
    assert.deepEqual(v1.Contents.map((c: { Key: string }) => c.Key), ['z']);
    assert.equal(v1.NextMarker, 'z');
  });

  test('URL-encodes keys and prefixes with encoding-type=url', async () => {
    const out = await h.op('ListObjectsV2', { Bucket: 'list', Prefix: 'b', EncodingType: 'url' });
    assert.deepEqual(out.Contents.map((c: { Key: string }) => c.Key), ['b', 'b%2Bc', 'b/c']);
  });

  test('refuses a malformed continuation token with InvalidArgument', async () => {
    assert.equal(await errorOf(h.op('ListObjectsV2', { Bucket: 'list', ContinuationToken: 'garbage!' })), 'InvalidArgument/400');
  });

  test('lists over many keys return exact pages', async () => {
    await h.op('CreateBucket', { Bucket: 'list-many' });
    for (let i = 0; i < 2500; i += 250) {
      await Promise.all(
        Array.from({ length: 250 }, (_, j) => h.op('PutObject', { Bucket: 'list-many', Key: `k/${String(i + j).padStart(5, '0')}`, Body: h.body('') })),
      );
    }
    const first = await h.op('ListObjectsV2', { Bucket: 'list-many' });
    assert.equal(first.KeyCount, 1000);
    assert.equal(first.Contents[999].Key, 'k/00999');
    const second = await h.op('ListObjectsV2', { Bucket: 'list-many', ContinuationToken: first.NextContinuationToken });
    assert.equal(second.Contents[0].Key, 'k/01000');
    const folders = await h.op('ListObjectsV2', { Bucket: 'list-many', Delimiter: '/' });
    assert.deepEqual(folders.CommonPrefixes, [{ Prefix: 'k/' }]);
    assert.equal(folders.KeyCount, 1);
  });
});
