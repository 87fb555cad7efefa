// The EcrStore contract, run on every storage engine (ecr-store.test.ts): repositories, images and
// tags (immutable tags, delete by tag), blobs shared by digest and linked per repository, uploads,
// the garbage sweep of blobs no image references, and the per-image statuses (scans, replications
// queued with a push) of ImageStatusStore.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { StorageBackend } from '@atoll/core';
import type { EngineContext } from '@atoll/test-support';
import { EcrStore, type NewImage, type RepositoryRecord } from './ecr-store.js';
import { ImageStatusStore } from './image-status-store.js';

const repoFields = (name: string) => ({
  accountId: '000000000000',
  region: 'us-east-1',
  name,
  tagMutability: 'MUTABLE',
  scanOnPush: false,
  encryption: { encryptionType: 'AES256' },
  tags: [],
  policy: null,
  lifecyclePolicy: null,
});

const image = (digest: string, blobs: string[]): NewImage => ({
  digest,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  artifactType: null,
  manifest: '{}',
  size: 10,
  subject: null,
  annotations: null,
  refs: blobs.map((d) => ({ digest: d, kind: 'blob' as const })),
});

export function ecrStoreCases(engine: EngineContext): void {
  async function withStore(body: (store: EcrStore) => Promise<void>): Promise<void> {
    const backend: StorageBackend = await engine.open();
    const store = await EcrStore.open(backend);
    try {
      await body(store);
    } finally {
      await store.close();
      await backend.close();
    }
  }

  async function pushBlob(store: EcrStore, repo: RepositoryRecord, digest: string, key: string) {
    const upload = await store.createUpload(repo.id, 'me');
    const next = await store.appendPart(upload, { key, size: 5, sha256: digest.slice(7) });
    assert.ok(next);
    return store.completeUpload(next, digest);
  }

  it('a repository name is unique per account and region', () =>
    withStore(async (store) => {
      assert.ok(await store.createRepository(repoFields('a')));
      assert.equal(await store.createRepository(repoFields('a')), undefined);
      assert.equal((await store.getRepository('000000000000', 'us-east-1', 'a'))?.name, 'a');
    }));

  it('an image needs its blobs linked; tags move unless immutable; a blob pushed twice keeps one copy', () =>
    withStore(async (store) => {
      const repo = (await store.createRepository(repoFields('img')))!;
      assert.deepEqual(await store.putImage(repo.id, image('sha256:m1', ['sha256:b1']), 'v1', false), { outcome: 'missing-blobs', digests: ['sha256:b1'] });
      assert.deepEqual(await pushBlob(store, repo, 'sha256:b1', 'k1'), { unused: [] });
      const again = await pushBlob(store, repo, 'sha256:b1', 'k2');
      assert.deepEqual(again, { unused: [{ key: 'k2', size: 5, sha256: 'b1' }] });
      assert.equal((await store.putImage(repo.id, image('sha256:m1', ['sha256:b1']), 'v1', false)).outcome, 'stored');
      assert.equal((await store.putImage(repo.id, image('sha256:m1', ['sha256:b1']), 'v1', false)).outcome, 'exists');
      assert.equal((await store.putImage(repo.id, image('sha256:m2', ['sha256:b1']), 'v1', true)).outcome, 'tag-immutable');
      assert.equal((await store.putImage(repo.id, image('sha256:m2', ['sha256:b1']), 'v1', false)).outcome, 'stored');
      assert.equal((await store.getImageByTag(repo.id, 'v1'))?.digest, 'sha256:m2');
      await store.putImage(repo.id, image('sha256:m2', ['sha256:b1']), 'v2', false);
      assert.deepEqual(await store.deleteImage(repo.id, { tag: 'v1' }), { digest: 'sha256:m2', tags: ['v1'] });
      assert.deepEqual(await store.deleteImage(repo.id, { tag: 'v2' }), { digest: 'sha256:m2', tags: ['v2'] });
      assert.equal(await store.getImage(repo.id, 'sha256:m2'), undefined);
    }));

  it('the sweep removes blobs no image references once past the grace period', () =>
    withStore(async (store) => {
      const repo = (await store.createRepository(repoFields('gc')))!;
      await pushBlob(store, repo, 'sha256:used', 'k1');
      await pushBlob(store, repo, 'sha256:loose', 'k2');
      await store.putImage(repo.id, image('sha256:m', ['sha256:used']), 't', false);
      assert.deepEqual(await store.sweepBlobs(Date.now() - 60_000), []);
      assert.deepEqual(await store.sweepBlobs(Date.now() + 1000), [{ key: 'k2', size: 5, sha256: 'loose' }]);
      assert.equal(await store.getLinkedBlob(repo.id, 'sha256:loose'), undefined);
      assert.ok(await store.getLinkedBlob(repo.id, 'sha256:used'));
    }));

  it('an upload takes a part only at its current size, and abandoned uploads are swept', () =>
    withStore(async (store) => {
      const repo = (await store.createRepository(repoFields('up')))!;
      const upload = await store.createUpload(repo.id, 'me', 1000);
      assert.ok(await store.appendPart(upload, { key: 'a', size: 3, sha256: 'x' }, 1000));
      assert.equal(await store.appendPart(upload, { key: 'b', size: 3, sha256: 'y' }, 1000), undefined);
      assert.deepEqual(await store.sweepUploads(2000), [{ key: 'a', size: 3, sha256: 'x' }]);
      assert.equal(await store.getUpload(upload.id), undefined);
    }));

  it('a push queues its replications in its transaction; a newer push queues them again', () =>
    withStore(async (store) => {
      const statuses = new ImageStatusStore(store.db);
      const repo = (await store.createRepository(repoFields('rep')))!;
      await pushBlob(store, repo, 'sha256:b1', 'k1');
      const west = { region: 'us-west-2', registryId: '000000000000' };
      assert.equal((await store.putImage(repo.id, image('sha256:r1', ['sha256:b1']), 'v1', false, 1000, [west])).outcome, 'stored');
      const [job, ...rest] = await statuses.pendingReplications();
      assert.equal(rest.length, 0);
      assert.deepEqual({ ...job, repositoryId: undefined }, {
        repositoryId: undefined, digest: 'sha256:r1', region: 'us-west-2', registryId: '000000000000', updatedAt: 1000, accountId: '000000000000', sourceRegion: 'us-east-1', repositoryName: 'rep',
      });
      // Pushed again (a new tag) before the first copy finished: that copy must not close the new job.
      await store.putImage(repo.id, image('sha256:r1', ['sha256:b1']), 'v2', false, 2000, [west]);
      assert.equal(await statuses.finishReplication(job!, 'COMPLETE', null, 3000), false);
      const [again] = await statuses.pendingReplications();
      assert.equal(await statuses.finishReplication(again!, 'FAILED', 'REGISTRY_POLICY_DENIED', 3000), true);
      assert.deepEqual(await statuses.replications(repo.id, 'sha256:r1'), [{ ...west, status: 'FAILED', failureCode: 'REGISTRY_POLICY_DENIED' }]);
      assert.deepEqual(await statuses.pendingReplications(), []);
      await store.deleteImage(repo.id, { digest: 'sha256:r1' });
      assert.deepEqual(await statuses.replications(repo.id, 'sha256:r1'), []);
    }));

  it('keeps the last scan of an image and the registry scanning configuration', () =>
    withStore(async (store) => {
      const statuses = new ImageStatusStore(store.db);
      const repo = (await store.createRepository(repoFields('scan')))!;
      await statuses.putScan(repo.id, 'sha256:s1', { status: 'FAILED', description: 'first', completedAt: 1 });
      await statuses.putScan(repo.id, 'sha256:s1', { status: 'FAILED', description: 'second', completedAt: 2 });
      assert.deepEqual(await statuses.getScan(repo.id, 'sha256:s1'), { status: 'FAILED', description: 'second', completedAt: 2 });
      assert.equal((await statuses.scans(repo.id)).size, 1);
      assert.equal(await statuses.getScanningConfiguration('000000000000', 'us-east-1'), null);
      await store.putRegistrySettings('000000000000', 'us-east-1', { policy: '{}' });
      await statuses.putScanningConfiguration('000000000000', 'us-east-1', '{"scanType":"BASIC"}');
      await statuses.putScanningConfiguration('000000000000', 'eu-west-1', '{"scanType":"ENHANCED"}');
      assert.equal(await statuses.getScanningConfiguration('000000000000', 'us-east-1'), '{"scanType":"BASIC"}');
      assert.equal(await statuses.getScanningConfiguration('000000000000', 'eu-west-1'), '{"scanType":"ENHANCED"}');
      assert.equal((await store.getRegistrySettings('000000000000', 'us-east-1')).policy, '{}');
    }));
}
