// The S3 store's contract, run on every engine (s3-store.test.ts): buckets and their configurations,
// object versions in binary key order, versioning chains and delete markers, conditional writes,
// multipart records, and on PostgreSQL the atomicity of writes to one key from two nodes.
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import type { StorageBackend } from '@atoll/core';
import type { EngineContext } from '@atoll/test-support';
import { BucketGoneError, ConditionFailedError, ObjectLockedError, S3Store, type NewObject, type ObjectRecord } from './s3-store.js';

const ACCOUNT = '000000000000';

const bucket = (name: string, account = ACCOUNT) => ({ name, account, region: 'us-east-1', createdAt: Date.now(), versioning: '' as const });

let blobSeq = 0;
/** A new object version: inline bytes, or a (pretend) blob key when `blob` is set. */
function object(etag: string, options: { data?: string; blob?: boolean } = {}): NewObject {
  const blob = options.blob ? (++blobSeq).toString(16).padStart(32, '0') : null;
  const data = options.blob ? null : Buffer.from(options.data ?? etag);
  return { blob, data, size: data?.length ?? 10, etag: `"${etag}"`, lastModified: Date.now(), storageClass: 'STANDARD', meta: { ContentType: 'text/plain' }, tags: {} };
}

const key = (text: string): Buffer => Buffer.from(text, 'utf8');

async function rejectsWith<E>(promise: Promise<unknown>, type: new (...args: never[]) => E, check?: (error: E) => void): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    check?.(error as E);
    return true;
  });
}

export function s3StoreCases(engine: EngineContext): void {
  const multiNode = engine.engine === 'postgres' ? false : 'SQLite serves one node';
  // Each case's stores and nodes are closed when the next case opens its own, so that the run
  // holds a few PostgreSQL connections rather than a pool per case.
  let opened: { store: S3Store; storage: StorageBackend }[] = [];
  const closeOpened = async (): Promise<void> => {
    for (const { store, storage } of opened) {
      await store.close().catch(() => undefined);
      await storage.close().catch(() => undefined);
    }
    opened = [];
  };
  after(closeOpened);
  const track = (storage: StorageBackend): S3Store => {
    const store = S3Store.open(storage);
    opened.push({ store, storage });
    return store;
  };
  const open = async (): Promise<S3Store> => {
    await closeOpened();
    return track(await engine.open());
  };
  const otherNode = async (): Promise<S3Store> => track(await engine.node());

  it('creates a bucket once and answers the existing bucket to a second create', async () => {
    const store = await open();
    assert.equal(await store.createBucket(bucket('alpha')), undefined);
    const existing = await store.createBucket(bucket('alpha', '111111111111'));
    assert.equal(existing?.account, ACCOUNT);
    const state = await store.getBucket('alpha');
    assert.equal(state?.name, 'alpha');
    assert.equal(state?.versioning, '');
    assert.equal(await store.getBucket('missing'), undefined);
  });

  it('lists an account’s buckets in name order after a name and under a prefix', async () => {
    const store = await open();
    for (const name of ['b-2', 'a-1', 'b-1', 'b.3', 'c']) await store.createBucket(bucket(name));
    await store.createBucket(bucket('b-other', '111111111111'));
    assert.deepEqual((await store.listBuckets(ACCOUNT, { limit: 10 })).map((b) => b.name), ['a-1', 'b-1', 'b-2', 'b.3', 'c']);
    assert.deepEqual((await store.listBuckets(ACCOUNT, { prefix: 'b', after: 'b-1', limit: 10 })).map((b) => b.name), ['b-2', 'b.3']);
    assert.deepEqual((await store.listBuckets(ACCOUNT, { limit: 2 })).map((b) => b.name), ['a-1', 'b-1']);
    assert.deepEqual((await store.allBuckets()).map((b) => b.name), ['a-1', 'b-1', 'b-2', 'b-other', 'b.3', 'c']);
  });

  it('keeps bucket configurations as documents with their dates, and forgets deleted ones', async () => {
    const store = await open();
    await store.createBucket(bucket('configs'));
    const date = new Date('2030-01-02T00:00:00.000Z');
    await store.putConfig('configs', 'lifecycle', { Rules: [{ ID: 'r', Expiration: { Date: date } }] });
    await store.putConfig('configs', 'policy', '{"Statement":[]}');
    const state = await store.getBucket('configs');
    const rules = state?.config<{ Rules: { Expiration: { Date: Date } }[] }>('lifecycle')?.Rules;
    assert.ok(rules?.[0]?.Expiration.Date instanceof Date);
    assert.equal(rules[0].Expiration.Date.getTime(), date.getTime());
    assert.equal(await store.getConfig('configs', 'policy'), '{"Statement":[]}');
    await store.putConfig('configs', 'policy', '{"Statement":[1]}');
    assert.equal(await store.getConfig('configs', 'policy'), '{"Statement":[1]}');
    await store.deleteConfig('configs', 'policy');
    assert.equal(await store.getConfig('configs', 'policy'), undefined);
    await store.setVersioning('configs', 'Enabled');
    assert.equal((await store.getBucket('configs'))?.versioning, 'Enabled');
    assert.equal((await store.allBuckets())[0]?.config('policy'), undefined);
  });

  it('stores an object and reads it back with its inline bytes', async () => {
    const store = await open();
    await store.createBucket(bucket('objects'));
    const { record, obsoleteBlobs } = await store.putObject('objects', key('a/b.txt'), object('e1', { data: 'hello' }));
    assert.deepEqual(obsoleteBlobs, []);
    assert.equal(record.versionId, 'null');
    const latest = await store.getLatest('objects', key('a/b.txt'));
    assert.equal(latest?.etag, '"e1"');
    assert.equal(latest?.seq, record.seq);
    assert.deepEqual(latest?.meta, { ContentType: 'text/plain' });
    assert.equal((await store.inlineData(latest!)).toString(), 'hello');
    assert.equal((await store.getVersion('objects', key('a/b.txt'), 'null'))?.seq, record.seq);
    assert.equal(await store.getLatest('objects', key('a/b.txt/')), undefined);
  });

  it('replaces the null version on an overwrite without versioning and reports its blob as obsolete', async () => {
    const store = await open();
    await store.createBucket(bucket('overwrite'));
    const first = await store.putObject('overwrite', key('k'), object('e1', { blob: true }));
    const second = await store.putObject('overwrite', key('k'), object('e2'));
    assert.deepEqual(second.obsoleteBlobs, [first.record.blob]);
    assert.equal((await store.getLatest('overwrite', key('k')))?.etag, '"e2"');
    assert.equal((await store.listVersions('overwrite', { key: Buffer.alloc(0), inclusive: true }, 10)).length, 1);
    const gone = await store.deleteObject('overwrite', key('k'), Date.now());
    assert.equal(gone.removed?.etag, '"e2"');
    assert.equal(gone.marker, undefined);
    assert.equal(await store.getLatest('overwrite', key('k')), undefined);
  });

  it('lists current objects in binary key order from a cursor, without delete markers', async () => {
    const store = await open();
    await store.createBucket(bucket('order'));
    const keys = ['b', 'a', 'é', 'z', 'B', 'a/1', '~'];
    for (const k of keys) await store.putObject('order', key(k), object(k));
    const expected = keys.map(key).sort(Buffer.compare).map((k) => k.toString());
    const all = await store.listLatest('order', { key: Buffer.alloc(0), inclusive: true }, 100);
    assert.deepEqual(all.map((r) => r.key.toString()), expected);
    const afterA = await store.listLatest('order', { key: key('a'), inclusive: false }, 2);
    assert.deepEqual(afterA.map((r) => r.key.toString()), ['a/1', 'b']);
    const fromA = await store.listLatest('order', { key: key('a'), inclusive: true }, 1);
    assert.deepEqual(fromA.map((r) => r.key.toString()), ['a']);
    await store.setVersioning('order', 'Enabled');
    await store.deleteObject('order', key('b'), Date.now());
    const visible = await store.listLatest('order', { key: Buffer.alloc(0), inclusive: true }, 100);
    assert.equal(visible.some((r) => r.key.toString() === 'b'), false);
  });

  it('keeps every version with versioning Enabled and lists them newest first per key', async () => {
    const store = await open();
    await store.createBucket(bucket('versions'));
    await store.putObject('versions', key('k'), object('before'));
    await store.setVersioning('versions', 'Enabled');
    const v1 = await store.putObject('versions', key('k'), object('v1'));
    const v2 = await store.putObject('versions', key('k'), object('v2'));
    await store.putObject('versions', key('l'), object('l1'));
    assert.notEqual(v1.record.versionId, 'null');
    assert.notEqual(v1.record.versionId, v2.record.versionId);
    assert.deepEqual(v2.obsoleteBlobs, []);
    const listed = await store.listVersions('versions', { key: Buffer.alloc(0), inclusive: true }, 10);
    assert.deepEqual(
      listed.map((r) => [r.key.toString(), r.etag, r.isLatest]),
      [['k', '"v2"', true], ['k', '"v1"', false], ['k', '"before"', false], ['l', '"l1"', true]],
    );
    const below = await store.listVersions('versions', { key: key('k'), inclusive: false, seq: v2.record.seq }, 10);
    assert.deepEqual(below.map((r) => r.etag), ['"v1"', '"before"', '"l1"']);
    assert.equal((await store.getVersion('versions', key('k'), 'null'))?.etag, '"before"');
  });

  it('adds a delete marker on delete with versioning and makes the previous version current when the marker goes', async () => {
    const store = await open();
    await store.createBucket(bucket('markers'));
    await store.setVersioning('markers', 'Enabled');
    const v1 = await store.putObject('markers', key('k'), object('v1', { blob: true }));
    const deleted = await store.deleteObject('markers', key('k'), Date.now());
    assert.equal(deleted.marker?.deleteMarker, true);
    assert.deepEqual(deleted.obsoleteBlobs, []);
    const current = await store.getLatest('markers', key('k'));
    assert.equal(current?.deleteMarker, true);
    assert.equal(current?.versionId, deleted.marker?.versionId);
    const removed = await store.deleteVersion('markers', key('k'), deleted.marker!.versionId);
    assert.equal(removed.removed?.deleteMarker, true);
    assert.equal((await store.getLatest('markers', key('k')))?.versionId, v1.record.versionId);
    const gone = await store.deleteVersion('markers', key('k'), v1.record.versionId);
    assert.deepEqual(gone.obsoleteBlobs, [v1.record.blob]);
    assert.equal(await store.getLatest('markers', key('k')), undefined);
    assert.deepEqual(await store.deleteVersion('markers', key('k'), v1.record.versionId), { obsoleteBlobs: [] });
  });

  it('writes the null version with versioning Suspended, a delete marker replacing it', async () => {
    const store = await open();
    await store.createBucket(bucket('suspended'));
    await store.setVersioning('suspended', 'Enabled');
    const kept = await store.putObject('suspended', key('k'), object('kept'));
    await store.setVersioning('suspended', 'Suspended');
    const nullVersion = await store.putObject('suspended', key('k'), object('null', { blob: true }));
    assert.equal(nullVersion.record.versionId, 'null');
    const deleted = await store.deleteObject('suspended', key('k'), Date.now());
    assert.equal(deleted.marker?.versionId, 'null');
    assert.deepEqual(deleted.obsoleteBlobs, [nullVersion.record.blob]);
    const versions = await store.listVersions('suspended', { key: Buffer.alloc(0), inclusive: true }, 10);
    assert.deepEqual(versions.map((v) => [v.versionId === 'null', v.deleteMarker]), [[true, true], [false, false]]);
    assert.equal(versions[1]?.versionId, kept.record.versionId);
  });

  it('checks If-None-Match and If-Match against the current version inside the write', async () => {
    const store = await open();
    await store.createBucket(bucket('conditions'));
    await store.putObject('conditions', key('new'), object('n1'), { ifNoneMatch: '*' });
    await rejectsWith(store.putObject('conditions', key('new'), object('n2'), { ifNoneMatch: '*' }), ConditionFailedError, (e) => {
      assert.equal(e.condition, 'If-None-Match');
    });
    await store.putObject('conditions', key('new'), object('n3'), { ifMatch: '"n1"' });
    await rejectsWith(store.putObject('conditions', key('new'), object('n4'), { ifMatch: '"n1"' }), ConditionFailedError, (e) => {
      assert.equal(e.condition, 'If-Match');
      assert.equal(e.missing, false);
    });
    await rejectsWith(store.putObject('conditions', key('absent'), object('a'), { ifMatch: '*' }), ConditionFailedError, (e) => assert.equal(e.missing, true));
    assert.equal((await store.getLatest('conditions', key('new')))?.etag, '"n3"');
    assert.equal(await store.getLatest('conditions', key('absent')), undefined);
    // A delete marker is no live version: If-None-Match passes over it.
    await store.setVersioning('conditions', 'Enabled');
    await store.deleteObject('conditions', key('new'), Date.now());
    await store.putObject('conditions', key('new'), object('n5'), { ifNoneMatch: '*' });
    // A delete conditional on the ETag, and a write conditional on the version a sweep looked at.
    await rejectsWith(store.deleteObject('conditions', key('new'), Date.now(), { ifMatch: '"other"' }), ConditionFailedError);
    const current = (await store.getLatest('conditions', key('new')))!;
    await rejectsWith(store.deleteObject('conditions', key('new'), Date.now(), { currentSeq: current.seq - 1 }), ConditionFailedError);
    const marker = await store.deleteObject('conditions', key('new'), Date.now(), { currentSeq: current.seq });
    assert.equal(marker.marker?.deleteMarker, true);
  });

  it('refuses an object write into a bucket deleted meanwhile, and deletes only empty buckets', async () => {
    const store = await open();
    await store.createBucket(bucket('doomed'));
    await store.putObject('doomed', key('k'), object('e'));
    assert.deepEqual(await store.deleteBucket('doomed'), { deleted: false, obsoleteBlobs: [] });
    await store.deleteObject('doomed', key('k'), Date.now());
    await store.createUpload({ uploadId: 'u-doomed', bucket: 'doomed', key: key('m'), initiated: Date.now(), storageClass: 'STANDARD', meta: {}, tags: {}, checksumAlgorithm: null, checksumType: null });
    await store.putPart({ uploadId: 'u-doomed', partNumber: 1, blob: 'p'.repeat(32), size: 1, etag: '"p"', lastModified: Date.now(), checksum: null });
    await store.putConfig('doomed', 'cors', { CORSRules: [] });
    assert.deepEqual(await store.deleteBucket('doomed'), { deleted: true, obsoleteBlobs: ['p'.repeat(32)] });
    assert.equal(await store.getBucket('doomed'), undefined);
    assert.equal(await store.getUpload('u-doomed'), undefined);
    await rejectsWith(store.putObject('doomed', key('k'), object('late')), BucketGoneError);
    await store.createBucket(bucket('doomed'));
    assert.equal((await store.getBucket('doomed'))?.config('cors'), undefined);
  });

  it('records multipart uploads and their parts, replacing a part uploaded again', async () => {
    const store = await open();
    await store.createBucket(bucket('multi'));
    const upload = { uploadId: 'u1', bucket: 'multi', key: key('big'), initiated: Date.now(), storageClass: 'STANDARD', meta: { ContentType: 'a/b' }, tags: { t: 'v' }, checksumAlgorithm: 'CRC32', checksumType: 'COMPOSITE' };
    await store.createUpload(upload);
    const got = await store.getUpload('u1');
    assert.deepEqual({ ...got, key: got?.key.toString() }, { ...upload, key: 'big' });
    const part = (n: number, blob: string) => ({ uploadId: 'u1', partNumber: n, blob, size: n * 10, etag: `"${blob}"`, lastModified: Date.now(), checksum: 'AAAAAA==' });
    assert.deepEqual(await store.putPart(part(2, 'b'.repeat(32))), { ok: true, obsoleteBlobs: [] });
    assert.deepEqual(await store.putPart(part(1, 'a'.repeat(32))), { ok: true, obsoleteBlobs: [] });
    assert.deepEqual(await store.putPart(part(1, 'c'.repeat(32))), { ok: true, obsoleteBlobs: ['a'.repeat(32)] });
    assert.deepEqual((await store.allParts('u1')).map((p) => [p.partNumber, p.blob[0]]), [[1, 'c'], [2, 'b']]);
    assert.deepEqual((await store.listParts('u1', 1, 10)).map((p) => p.partNumber), [2]);
    assert.deepEqual((await store.listUploads('multi')).map((u) => u.uploadId), ['u1']);
    assert.deepEqual(await store.putPart({ ...part(3, 'd'.repeat(32)), uploadId: 'gone' }), { ok: false, obsoleteBlobs: ['d'.repeat(32)] });
    assert.deepEqual(new Set(await store.referencedBlobs()), new Set(['b'.repeat(32), 'c'.repeat(32)]));
  });

  it('completes an upload in one write: the object becomes current and the upload and its parts go', async () => {
    const store = await open();
    await store.createBucket(bucket('complete'));
    const upload = { uploadId: 'u2', bucket: 'complete', key: key('big'), initiated: Date.now(), storageClass: 'STANDARD', meta: {}, tags: {}, checksumAlgorithm: null, checksumType: null };
    await store.createUpload(upload);
    const blobs = ['1'.repeat(32), '2'.repeat(32)];
    for (const [i, blob] of blobs.entries()) {
      await store.putPart({ uploadId: 'u2', partNumber: i + 1, blob, size: 5, etag: '"x"', lastModified: Date.now(), checksum: null });
    }
    const previous = await store.putObject('complete', key('big'), object('old', { blob: true }));
    assert.equal(await store.completeUpload('u2', 'complete', key('big'), object('whole', { blob: true }), ['9'.repeat(32)]), 'parts-changed');
    const done = await store.completeUpload('u2', 'complete', key('big'), object('whole', { blob: true }), blobs);
    assert.ok(typeof done === 'object');
    assert.deepEqual(new Set(done.obsoleteBlobs), new Set([previous.record.blob, ...blobs]));
    assert.equal((await store.getLatest('complete', key('big')))?.etag, '"whole"');
    assert.equal(await store.getUpload('u2'), undefined);
    assert.deepEqual(await store.allParts('u2'), []);
    assert.equal(await store.completeUpload('u2', 'complete', key('big'), object('again', { blob: true }), blobs), 'no-such-upload');
    await store.createUpload({ ...upload, uploadId: 'u3' });
    await store.putPart({ uploadId: 'u3', partNumber: 1, blob: '3'.repeat(32), size: 5, etag: '"x"', lastModified: Date.now(), checksum: null });
    assert.deepEqual(await store.deleteUpload('u3'), ['3'.repeat(32)]);
    assert.deepEqual(await store.deleteUpload('u3'), []);
  });

  it('sees a bucket and its configuration created on one node at once on another', { skip: multiNode }, async () => {
    const one = await open();
    const two = await otherNode();
    assert.equal(await two.getBucket('shared'), undefined);
    await one.createBucket(bucket('shared'));
    assert.equal((await two.getBucket('shared'))?.account, ACCOUNT);
    await one.putConfig('shared', 'policy', 'p1');
    assert.equal(await two.getConfig('shared', 'policy'), 'p1');
    await one.setVersioning('shared', 'Enabled');
    assert.equal((await two.getBucket('shared'))?.versioning, 'Enabled');
    // Node 2's writes follow the versioning node 1 set, whatever node 2 read before.
    const written = await two.putObject('shared', key('k'), object('e'));
    assert.notEqual(written.record.versionId, 'null');
  });

  it('answers on one node an overwrite another node acknowledged', { skip: multiNode }, async () => {
    const one = await open();
    const two = await otherNode();
    await one.createBucket(bucket('read-after-write'));
    await one.putObject('read-after-write', key('k'), object('first', { data: 'first' }));
    const seen = await two.getLatest('read-after-write', key('k'));
    assert.equal((await two.inlineData(seen!)).toString(), 'first');
    await one.putObject('read-after-write', key('k'), object('second', { data: 'second' }));
    const now = await two.getLatest('read-after-write', key('k'));
    assert.equal(now?.etag, '"second"');
    assert.equal((await two.inlineData(now!)).toString(), 'second');
    await one.deleteObject('read-after-write', key('k'), Date.now());
    assert.equal(await two.getLatest('read-after-write', key('k')), undefined);
  });

  it('leaves exactly one current version, the last committed, after concurrent overwrites from two nodes', { skip: multiNode }, async () => {
    const one = await open();
    const two = await otherNode();
    await one.createBucket(bucket('race'));
    await one.createBucket(bucket('race-versioned'));
    await one.setVersioning('race-versioned', 'Enabled');
    for (const name of ['race', 'race-versioned']) {
      const writes: Promise<{ record: ObjectRecord; obsoleteBlobs: string[] }>[] = [];
      for (let i = 0; i < 12; i++) writes.push((i % 2 ? two : one).putObject(name, key('hot'), object(`w${i}`, { blob: true })));
      const results = await Promise.all(writes);
      const last = results.reduce((a, b) => (b.record.seq > a.record.seq ? b : a));
      const versions = await one.listVersions(name, { key: Buffer.alloc(0), inclusive: true }, 100);
      assert.equal(versions.filter((v) => v.isLatest).length, 1, `${name}: one current version`);
      assert.equal((await two.getLatest(name, key('hot')))?.etag, last.record.etag, `${name}: the last committed is current`);
      if (name === 'race') {
        assert.equal(versions.length, 1);
        // Every replaced blob is reported obsolete exactly once; the current one by none.
        const obsolete = results.flatMap((r) => r.obsoleteBlobs).sort();
        assert.deepEqual(obsolete, results.map((r) => r.record.blob!).filter((b) => b !== last.record.blob).sort());
      } else {
        assert.equal(versions.length, 12);
      }
    }
  });

  it('lets exactly one of two nodes create a key with If-None-Match *', { skip: multiNode }, async () => {
    const one = await open();
    const two = await otherNode();
    await one.createBucket(bucket('exclusive'));
    for (let round = 0; round < 5; round++) {
      const k = key(`lock-${round}`);
      const outcomes = await Promise.allSettled([
        one.putObject('exclusive', k, object(`one-${round}`), { ifNoneMatch: '*' }),
        two.putObject('exclusive', k, object(`two-${round}`), { ifNoneMatch: '*' }),
        one.putObject('exclusive', k, object(`one-b-${round}`), { ifNoneMatch: '*' }),
        two.putObject('exclusive', k, object(`two-b-${round}`), { ifNoneMatch: '*' }),
      ]);
      const won = outcomes.filter((o) => o.status === 'fulfilled') as PromiseFulfilledResult<{ record: ObjectRecord }>[];
      assert.equal(won.length, 1, `round ${round}: one winner`);
      for (const o of outcomes) if (o.status === 'rejected') assert.ok(o.reason instanceof ConditionFailedError, String(o.reason));
      assert.equal((await one.getLatest('exclusive', k))?.etag, won[0]!.value.record.etag);
    }
  });

  it('refuses to remove a version under retention or legal hold, letting GOVERNANCE give way to bypass', async () => {
    const store = await open();
    await store.createBucket({ ...bucket('locked'), versioning: 'Enabled' }, { objectLock: { ObjectLockEnabled: 'Enabled' } });
    assert.deepEqual((await store.getBucket('locked'))?.config('objectLock'), { ObjectLockEnabled: 'Enabled' });
    const future = Date.now() + 3_600_000;
    const governed = await store.putObject('locked', key('g'), { ...object('g'), lock: { mode: 'GOVERNANCE', until: future } });
    const compliant = await store.putObject('locked', key('c'), { ...object('c'), lock: { mode: 'COMPLIANCE', until: future } });
    const held = await store.putObject('locked', key('h'), { ...object('h'), lock: { legalHold: true } });
    const expired = await store.putObject('locked', key('e'), { ...object('e'), lock: { mode: 'COMPLIANCE', until: Date.now() - 1 } });
    assert.deepEqual((await store.getVersion('locked', key('g'), governed.record.versionId))?.lock, { mode: 'GOVERNANCE', until: future });
    await rejectsWith(store.deleteVersion('locked', key('g'), governed.record.versionId), ObjectLockedError);
    await rejectsWith(store.deleteVersion('locked', key('c'), compliant.record.versionId, undefined, { bypassGovernance: true }), ObjectLockedError);
    await rejectsWith(store.deleteVersion('locked', key('h'), held.record.versionId, undefined, { bypassGovernance: true }), ObjectLockedError);
    assert.ok((await store.getVersion('locked', key('c'), compliant.record.versionId)) !== undefined, 'the refused deletion changed nothing');
    assert.ok((await store.deleteVersion('locked', key('g'), governed.record.versionId, undefined, { bypassGovernance: true })).removed);
    assert.ok((await store.deleteVersion('locked', key('e'), expired.record.versionId)).removed);
    // A newer version or a delete marker leaves the locked version in place.
    await store.putObject('locked', key('c'), object('c2'));
    await store.deleteObject('locked', key('c'), Date.now());
    assert.equal((await store.getVersion('locked', key('c'), compliant.record.versionId))?.etag, '"c"');
    // Lifting the legal hold (in one transaction) makes the version removable.
    const lifted = await store.updateLock('locked', key('h'), held.record.versionId, (current) => ({ ...current, legalHold: false }));
    assert.deepEqual(lifted?.lock, { legalHold: false });
    assert.ok((await store.deleteVersion('locked', key('h'), held.record.versionId)).removed);
  });

  it('refuses to replace a locked null version', async () => {
    const store = await open();
    await store.createBucket(bucket('null-locked'));
    await store.putObject('null-locked', key('k'), { ...object('v1'), lock: { legalHold: true } });
    await rejectsWith(store.putObject('null-locked', key('k'), object('v2')), ObjectLockedError);
    assert.equal((await store.getLatest('null-locked', key('k')))?.etag, '"v1"');
  });

  it('lets exactly one of concurrent If-Match writers replace the version it matched', { skip: multiNode }, async () => {
    const one = await open();
    const two = await otherNode();
    await one.createBucket(bucket('swap'));
    await one.putObject('swap', key('k'), object('base'));
    const outcomes = await Promise.allSettled([
      one.putObject('swap', key('k'), object('a'), { ifMatch: '"base"' }),
      two.putObject('swap', key('k'), object('b'), { ifMatch: '"base"' }),
      one.putObject('swap', key('k'), object('c'), { ifMatch: '"base"' }),
    ]);
    const won = outcomes.filter((o) => o.status === 'fulfilled') as PromiseFulfilledResult<{ record: ObjectRecord }>[];
    assert.equal(won.length, 1);
    for (const o of outcomes) if (o.status === 'rejected') assert.ok(o.reason instanceof ConditionFailedError && !o.reason.missing, String(o.reason));
    assert.equal((await two.getLatest('swap', key('k')))?.etag, won[0]!.value.record.etag);
  });
}
