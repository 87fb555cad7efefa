// End-to-end through @aws-sdk/client-ecr: repositories and their errors, images pushed with the
// layer-upload operations and PutImage, immutable tags, deletes, policies, and lifecycle policies
// (preview, and images really expired by the sweep).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeImageScanFindingsCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetLifecyclePolicyPreviewCommand,
  GetRepositoryPolicyCommand,
  InitiateLayerUploadCommand,
  ListImagesCommand,
  PutImageCommand,
  PutLifecyclePolicyCommand,
  StartLifecyclePolicyPreviewCommand,
  UploadLayerPartCommand,
} from '@aws-sdk/client-ecr';
import type { TestPlatform } from '@atoll/test-support';
import { sha256, startEcrPlatform, tinyImage, type TinyImage } from './registry-client.js';

let platform: TestPlatform;
let ecr: ECRClient;

async function rejectsWith(promise: Promise<unknown>, name: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(err.name, name);
    assert.equal(err.$metadata?.httpStatusCode, 400);
    if (message) assert.match(err.message, message);
    return true;
  });
}

async function uploadLayer(repositoryName: string, bytes: Buffer): Promise<void> {
  const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
  const half = Math.floor(bytes.length / 2);
  await ecr.send(new UploadLayerPartCommand({ repositoryName, uploadId, partFirstByte: 0, partLastByte: half - 1, layerPartBlob: bytes.subarray(0, half) }));
  const last = await ecr.send(
    new UploadLayerPartCommand({ repositoryName, uploadId, partFirstByte: half, partLastByte: bytes.length - 1, layerPartBlob: bytes.subarray(half) }),
  );
  assert.equal(last.lastByteReceived, bytes.length - 1);
  const done = await ecr.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [sha256(bytes)] }));
  assert.equal(done.layerDigest, sha256(bytes));
}

async function pushImage(repositoryName: string, tag: string, image: TinyImage = tinyImage()): Promise<TinyImage> {
  await uploadLayer(repositoryName, image.config);
  await uploadLayer(repositoryName, image.layer);
  await ecr.send(new PutImageCommand({ repositoryName, imageManifest: image.manifest, imageTag: tag }));
  return image;
}

describe('ECR API', () => {
  before(async () => {
    process.env.ATOLL_ECR_SWEEP_MS = '100';
    process.env.ATOLL_ECR_LIFECYCLE_MS = '100';
    ({ platform, ecr } = await startEcrPlatform());
  });
  after(() => platform.stop());

  test('creates, describes and deletes repositories with AWS errors', async () => {
    const { repository } = await ecr.send(new CreateRepositoryCommand({ repositoryName: 'api/one', tags: [{ Key: 'team', Value: 'a' }] }));
    assert.equal(repository!.repositoryArn, `arn:aws:ecr:us-east-1:${platform.accountId}:repository/api/one`);
    assert.equal(repository!.imageTagMutability, 'MUTABLE');
    assert.deepEqual(repository!.encryptionConfiguration, { encryptionType: 'AES256' });
    await rejectsWith(ecr.send(new CreateRepositoryCommand({ repositoryName: 'api/one' })), 'RepositoryAlreadyExistsException', /already exists in the registry with id/);
    await rejectsWith(ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['api/none'] })), 'RepositoryNotFoundException', /'api\/none' does not exist/);
    await pushImage('api/one', 'v1');
    await rejectsWith(ecr.send(new DeleteRepositoryCommand({ repositoryName: 'api/one' })), 'RepositoryNotEmptyException');
    await ecr.send(new DeleteRepositoryCommand({ repositoryName: 'api/one', force: true }));
    await rejectsWith(ecr.send(new ListImagesCommand({ repositoryName: 'api/one' })), 'RepositoryNotFoundException');
  });

  test('images pushed through the layer operations are listed, fetched and deleted', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'api/two' }));
    const image = await pushImage('api/two', 'v1');
    await ecr.send(new PutImageCommand({ repositoryName: 'api/two', imageManifest: image.manifest, imageTag: 'v2' }));
    await rejectsWith(ecr.send(new PutImageCommand({ repositoryName: 'api/two', imageManifest: image.manifest, imageTag: 'v2' })), 'ImageAlreadyExistsException');
    const listed = await ecr.send(new ListImagesCommand({ repositoryName: 'api/two' }));
    assert.deepEqual(listed.imageIds!.map((i) => i.imageTag).sort(), ['v1', 'v2']);
    const got = await ecr.send(new BatchGetImageCommand({ repositoryName: 'api/two', imageIds: [{ imageTag: 'v1' }, { imageTag: 'nope' }] }));
    assert.equal(got.images![0]!.imageManifest, image.manifest);
    assert.equal(got.images![0]!.imageId!.imageDigest, image.digest);
    assert.equal(got.failures![0]!.failureCode, 'ImageNotFound');
    await rejectsWith(ecr.send(new DescribeImageScanFindingsCommand({ repositoryName: 'api/two', imageId: { imageTag: 'v1' } })), 'ScanNotFoundException', /Image scan does not exist/);
    const missing = tinyImage();
    await rejectsWith(ecr.send(new PutImageCommand({ repositoryName: 'api/two', imageManifest: missing.manifest, imageTag: 'x' })), 'LayersNotFoundException');
    const deleted = await ecr.send(new BatchDeleteImageCommand({ repositoryName: 'api/two', imageIds: [{ imageDigest: image.digest }] }));
    assert.deepEqual(deleted.imageIds!.map((i) => i.imageTag).sort(), ['v1', 'v2']);
  });

  test('an immutable repository refuses to move a tag', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'api/frozen', imageTagMutability: 'IMMUTABLE' }));
    await pushImage('api/frozen', 'v1');
    await rejectsWith(pushImage('api/frozen', 'v1'), 'ImageTagAlreadyExistsException', /cannot be overwritten because the repository is immutable/);
  });

  test('a wrong layer digest is refused', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'api/digest' }));
    const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'api/digest' }));
    await ecr.send(new UploadLayerPartCommand({ repositoryName: 'api/digest', uploadId, partFirstByte: 0, partLastByte: 2, layerPartBlob: Buffer.from('abc') }));
    await rejectsWith(ecr.send(new CompleteLayerUploadCommand({ repositoryName: 'api/digest', uploadId, layerDigests: [sha256('abd')] })), 'InvalidLayerException');
    await rejectsWith(ecr.send(new GetRepositoryPolicyCommand({ repositoryName: 'api/digest' })), 'RepositoryPolicyNotFoundException');
  });

  test('lifecycle policies preview and expire images', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'api/life' }));
    for (const tag of ['a', 'b', 'c']) await pushImage('api/life', tag);
    const policy = JSON.stringify({
      rules: [{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }],
    });
    await rejectsWith(ecr.send(new PutLifecyclePolicyCommand({ repositoryName: 'api/life', lifecyclePolicyText: policy.replace('"any"', '"some"') })), 'InvalidParameterException', /Lifecycle policy validation failure/);
    await ecr.send(new StartLifecyclePolicyPreviewCommand({ repositoryName: 'api/life', lifecyclePolicyText: policy }));
    const preview = await ecr.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: 'api/life' }));
    assert.equal(preview.status, 'COMPLETE');
    assert.deepEqual(preview.previewResults!.map((r) => r.imageTags).flat().sort(), ['a', 'b']);
    await ecr.send(new PutLifecyclePolicyCommand({ repositoryName: 'api/life', lifecyclePolicyText: policy }));
    // The sweep runs every ATOLL_ECR_SWEEP_MS (set low for this test run).
    let tags: string[] = [];
    for (let i = 0; i < 50; i++) {
      tags = ((await ecr.send(new ListImagesCommand({ repositoryName: 'api/life' }))).imageIds ?? []).map((id) => id.imageTag!);
      if (tags.length === 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(tags, ['c']);
  });
});
