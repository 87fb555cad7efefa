// End-to-end through @aws-sdk/client-ecr: image scanning without a vulnerability database (FAILED
// with a reason, on demand and on push, the registry scanning configuration) and registry
// replication (images copied to another region, statuses, filters, cross-account refusal).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImageReplicationStatusCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  DescribeRegistryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetRegistryScanningConfigurationCommand,
  PutRegistryScanningConfigurationCommand,
  PutReplicationConfigurationCommand,
  StartImageScanCommand,
  type ReplicationStatus,
} from '@aws-sdk/client-ecr';
import type { TestPlatform } from '@atoll/test-support';
import { Registry, basicAuth, sha256, startEcrPlatform, tinyImage, type TinyImage } from './registry-client.js';

let platform: TestPlatform;
let ecr: ECRClient;
let registry: Registry;

async function rejectsWith(promise: Promise<unknown>, name: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(err.name, name);
    assert.equal(err.$metadata?.httpStatusCode, 400);
    if (message) assert.match(err.message, message);
    return true;
  });
}

async function push(repositoryName: string, tag: string, image: TinyImage = tinyImage()): Promise<TinyImage> {
  const r = await registry.pushImage(repositoryName, image, tag);
  assert.equal(r.status, 201, await r.text());
  return image;
}

async function replicationStatuses(repositoryName: string, imageTag: string, until: (s: ReplicationStatus[]) => boolean) {
  let out: { region?: string; registryId?: string; status?: ReplicationStatus; failureCode?: string }[] = [];
  for (let i = 0; i < 100; i++) {
    out = (await ecr.send(new DescribeImageReplicationStatusCommand({ repositoryName, imageId: { imageTag } }))).replicationStatuses ?? [];
    if (until(out.map((s) => s.status!))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return out;
}

describe('ECR image scanning', () => {
  before(async () => {
    ({ platform, ecr } = await startEcrPlatform());
    registry = new Registry(platform.endpoint, await basicAuth(ecr));
  });
  after(() => platform.stop());

  test('StartImageScan completes as FAILED because there is no vulnerability database', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'scan/manual' }));
    const image = await push('scan/manual', 'v1');
    await rejectsWith(ecr.send(new DescribeImageScanFindingsCommand({ repositoryName: 'scan/manual', imageId: { imageTag: 'v1' } })), 'ScanNotFoundException', /Image scan does not exist/);
    const started = await ecr.send(new StartImageScanCommand({ repositoryName: 'scan/manual', imageId: { imageTag: 'v1' } }));
    assert.deepEqual(started.imageId, { imageDigest: image.digest, imageTag: 'v1' });
    assert.equal(started.imageScanStatus!.status, 'FAILED');
    assert.match(started.imageScanStatus!.description!, /no vulnerability database is available/);
    const findings = await ecr.send(new DescribeImageScanFindingsCommand({ repositoryName: 'scan/manual', imageId: { imageDigest: image.digest } }));
    assert.equal(findings.imageScanStatus!.status, 'FAILED');
    assert.equal(findings.imageScanFindings, undefined);
    const described = await ecr.send(new DescribeImagesCommand({ repositoryName: 'scan/manual' }));
    assert.equal(described.imageDetails![0]!.imageScanStatus!.status, 'FAILED');
    await rejectsWith(ecr.send(new StartImageScanCommand({ repositoryName: 'scan/manual', imageId: { imageTag: 'nope' } })), 'ImageNotFoundException');
  });

  test('scanOnPush scans every pushed image', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'scan/onpush', imageScanningConfiguration: { scanOnPush: true } }));
    await push('scan/onpush', 'v1');
    const findings = await ecr.send(new DescribeImageScanFindingsCommand({ repositoryName: 'scan/onpush', imageId: { imageTag: 'v1' } }));
    assert.equal(findings.imageScanStatus!.status, 'FAILED');
  });

  test('the registry scanning configuration is recorded and its scan-on-push rules apply', async () => {
    const initial = await ecr.send(new GetRegistryScanningConfigurationCommand({}));
    assert.deepEqual(initial.scanningConfiguration, { scanType: 'BASIC', rules: [] });
    const rules = [{ scanFrequency: 'SCAN_ON_PUSH' as const, repositoryFilters: [{ filter: 'auto/*', filterType: 'WILDCARD' as const }] }];
    const put = await ecr.send(new PutRegistryScanningConfigurationCommand({ scanType: 'BASIC', rules }));
    assert.deepEqual(put.registryScanningConfiguration, { scanType: 'BASIC', rules });
    assert.deepEqual((await ecr.send(new GetRegistryScanningConfigurationCommand({}))).scanningConfiguration, { scanType: 'BASIC', rules });
    await rejectsWith(
      ecr.send(new PutRegistryScanningConfigurationCommand({ scanType: 'BASIC', rules: [{ scanFrequency: 'CONTINUOUS_SCAN', repositoryFilters: [{ filter: '*', filterType: 'WILDCARD' }] }] })),
      'InvalidParameterException',
    );
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'auto/app' }));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'manual/app' }));
    await push('auto/app', 'v1');
    await push('manual/app', 'v1');
    assert.equal((await ecr.send(new DescribeImageScanFindingsCommand({ repositoryName: 'auto/app', imageId: { imageTag: 'v1' } }))).imageScanStatus!.status, 'FAILED');
    await rejectsWith(ecr.send(new DescribeImageScanFindingsCommand({ repositoryName: 'manual/app', imageId: { imageTag: 'v1' } })), 'ScanNotFoundException');
  });
});

describe('ECR replication', () => {
  let west: ECRClient;

  before(async () => {
    process.env.ATOLL_ECR_SWEEP_MS = '100';
    ({ platform, ecr } = await startEcrPlatform());
    registry = new Registry(platform.endpoint, await basicAuth(ecr));
    west = platform.client(ECRClient, { region: 'us-west-2' });
  });
  after(() => {
    delete process.env.ATOLL_ECR_SWEEP_MS;
    return platform.stop();
  });

  test('refuses a configuration whose destination is the source registry', async () => {
    await rejectsWith(
      ecr.send(new PutReplicationConfigurationCommand({ replicationConfiguration: { rules: [{ destinations: [{ region: 'us-east-1', registryId: platform.accountId }] }] } })),
      'InvalidParameterException',
      /cannot be the source registry/,
    );
  });

  test('copies pushed images with their tags into the destination region, creating the repository', async () => {
    const replicationConfiguration = {
      rules: [
        { destinations: [{ region: 'us-west-2', registryId: platform.accountId }], repositoryFilters: [{ filter: 'app/', filterType: 'PREFIX_MATCH' as const }] },
        { destinations: [{ region: 'eu-west-1', registryId: '111111111111' }], repositoryFilters: [{ filter: 'app/web', filterType: 'PREFIX_MATCH' as const }] },
      ],
    };
    await ecr.send(new PutReplicationConfigurationCommand({ replicationConfiguration }));
    assert.deepEqual((await ecr.send(new DescribeRegistryCommand({}))).replicationConfiguration, replicationConfiguration);
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'app/web' }));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'other/web' }));
    const image = await push('app/web', 'v1');
    await push('other/web', 'v1');
    const statuses = await replicationStatuses('app/web', 'v1', (s) => s.length === 2 && !s.includes('IN_PROGRESS'));
    assert.deepEqual(statuses, [
      { region: 'eu-west-1', registryId: '111111111111', status: 'FAILED', failureCode: 'REGISTRY_POLICY_DENIED' },
      { region: 'us-west-2', registryId: platform.accountId, status: 'COMPLETE' },
    ]);
    const repos = await west.send(new DescribeRepositoriesCommand({}));
    assert.deepEqual(repos.repositories!.map((r) => r.repositoryName), ['app/web']);
    const got = await west.send(new BatchGetImageCommand({ repositoryName: 'app/web', imageIds: [{ imageTag: 'v1' }] }));
    assert.equal(got.images![0]!.imageManifest, image.manifest);
    assert.equal(got.images![0]!.imageId!.imageDigest, image.digest);
    // The layer is pullable from the destination registry.
    const westRegistry = new Registry(platform.endpoint, await basicAuth(west));
    const blob = await westRegistry.fetch('GET', `/v2/app/web/blobs/${sha256(image.layer)}`);
    assert.equal(blob.status, 200);
    assert.deepEqual(Buffer.from(await blob.arrayBuffer()), image.layer);
    assert.deepEqual(await replicationStatuses('other/web', 'v1', () => true), []);
  });

  test('a new tag on a replicated image is replicated too', async () => {
    const image = await push('app/web', 'v1-copy', tinyImage());
    await push('app/web', 'v2', image);
    await replicationStatuses('app/web', 'v2', (s) => s.includes('COMPLETE'));
    const tags = (await west.send(new DescribeImagesCommand({ repositoryName: 'app/web', imageIds: [{ imageDigest: image.digest }] }))).imageDetails![0]!.imageTags;
    assert.deepEqual(tags, ['v1-copy', 'v2']);
  });
});
