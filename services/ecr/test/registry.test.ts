// End-to-end: the OCI Distribution registry on a real platform, driven by raw HTTP (what docker,
// skopeo and crane send): the Basic challenge and ECR tokens, monolithic and chunked uploads,
// digests verified, manifests by tag and digest, ranges, tag paging, catalog, referrers, deletes,
// and a repository policy enforced on registry access for an IAM user.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateRepositoryCommand, DescribeImagesCommand, ECRClient, SetRepositoryPolicyCommand } from '@aws-sdk/client-ecr';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import type { TestPlatform } from '@atoll/test-support';
import { Registry, basicAuth, sha256, startEcrPlatform, tinyImage } from './registry-client.js';

let platform: TestPlatform;
let ecr: ECRClient;
let registry: Registry;
let n = 0;

async function repository(): Promise<string> {
  const repositoryName = `team/app-${++n}`;
  await ecr.send(new CreateRepositoryCommand({ repositoryName }));
  return repositoryName;
}

async function errorCode(r: Response): Promise<string> {
  const body = (await r.json()) as { errors: { code: string }[] };
  return body.errors[0]!.code;
}

describe('OCI registry', () => {
  before(async () => {
    ({ platform, ecr } = await startEcrPlatform());
    registry = new Registry(platform.endpoint, await basicAuth(ecr));
  });
  after(() => platform.stop());

  test('GET /v2/ challenges without credentials and accepts an ECR token', async () => {
    const anonymous = await new Registry(platform.endpoint, undefined).fetch('GET', '/v2/');
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate')!, /^Basic realm=/);
    assert.equal(await errorCode(anonymous), 'UNAUTHORIZED');
    const forged = await new Registry(platform.endpoint, `Basic ${Buffer.from('AWS:bm90LWEtdG9rZW4=').toString('base64')}`).fetch('GET', '/v2/');
    assert.equal(forged.status, 401);
    const ok = await registry.fetch('GET', '/v2/');
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('docker-distribution-api-version'), 'registry/2.0');
  });

  test('pushes and pulls an image by tag and by digest, with ranges', async () => {
    const repo = await repository();
    const image = tinyImage(4096);
    const put = await registry.pushImage(repo, image, 'v1');
    assert.equal(put.status, 201, await put.text());
    assert.equal(put.headers.get('docker-content-digest'), image.digest);
    for (const ref of ['v1', image.digest]) {
      const got = await registry.fetch('GET', `/v2/${repo}/manifests/${ref}`, undefined, { accept: 'application/vnd.oci.image.manifest.v1+json' });
      assert.equal(got.status, 200);
      assert.equal(got.headers.get('content-type'), 'application/vnd.oci.image.manifest.v1+json');
      assert.equal(got.headers.get('docker-content-digest'), image.digest);
      assert.equal(await got.text(), image.manifest);
    }
    const head = await registry.fetch('HEAD', `/v2/${repo}/blobs/${sha256(image.layer)}`);
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(image.layer.length));
    const blob = Buffer.from(await (await registry.fetch('GET', `/v2/${repo}/blobs/${sha256(image.layer)}`)).arrayBuffer());
    assert.ok(blob.equals(image.layer));
    const ranged = await registry.fetch('GET', `/v2/${repo}/blobs/${sha256(image.layer)}`, undefined, { range: 'bytes=100-199' });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get('content-range'), `bytes 100-199/${image.layer.length}`);
    assert.ok(Buffer.from(await ranged.arrayBuffer()).equals(image.layer.subarray(100, 200)));
    const { imageDetails } = await ecr.send(new DescribeImagesCommand({ repositoryName: repo }));
    assert.equal(imageDetails?.length, 1);
    assert.deepEqual(imageDetails![0]!.imageTags, ['v1']);
    assert.equal(imageDetails![0]!.imageSizeInBytes, image.layer.length + image.config.length);
    assert.ok(imageDetails![0]!.imagePushedAt instanceof Date);
  });

  test('a chunked upload (POST, PATCH with Content-Range, PUT ?digest=) assembles the blob', async () => {
    const repo = await repository();
    const bytes = Buffer.alloc(300_000, 7);
    const start = await registry.fetch('POST', `/v2/${repo}/blobs/uploads/`);
    assert.equal(start.status, 202);
    let location = start.headers.get('location')!;
    const first = await registry.fetch('PATCH', location, bytes.subarray(0, 100_000), { 'content-range': '0-99999', 'content-type': 'application/octet-stream' });
    assert.equal(first.status, 202);
    assert.equal(first.headers.get('range'), '0-99999');
    location = first.headers.get('location')!;
    const wrong = await registry.fetch('PATCH', location, bytes.subarray(0, 10), { 'content-range': '5-14' });
    assert.equal(wrong.status, 416);
    const second = await registry.fetch('PATCH', location, bytes.subarray(100_000, 250_000), { 'content-range': '100000-249999' });
    assert.equal(second.status, 202);
    const status = await registry.fetch('GET', location);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), '0-249999');
    const done = await registry.fetch('PUT', `${location}?digest=${sha256(bytes)}`, bytes.subarray(250_000));
    assert.equal(done.status, 201, await done.text());
    const blob = Buffer.from(await (await registry.fetch('GET', `/v2/${repo}/blobs/${sha256(bytes)}`)).arrayBuffer());
    assert.ok(blob.equals(bytes));
    const ranged = await registry.fetch('GET', `/v2/${repo}/blobs/${sha256(bytes)}`, undefined, { range: 'bytes=99990-100009' });
    assert.ok(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(99_990, 100_010)));
  });

  test('a wrong digest is refused with DIGEST_INVALID and stores nothing', async () => {
    const repo = await repository();
    const bytes = Buffer.from('some layer bytes');
    const wrongDigest = sha256('other bytes');
    const r = await registry.fetch('POST', `/v2/${repo}/blobs/uploads/?digest=${wrongDigest}`, bytes);
    assert.equal(r.status, 400);
    assert.equal(await errorCode(r), 'DIGEST_INVALID');
    for (const digest of [wrongDigest, sha256(bytes)]) {
      const head = await registry.fetch('HEAD', `/v2/${repo}/blobs/${digest}`);
      assert.equal(head.status, 404);
    }
  });

  test('a manifest referencing missing blobs is refused; unknown names and manifests answer the spec codes', async () => {
    const repo = await repository();
    const image = tinyImage();
    const put = await registry.fetch('PUT', `/v2/${repo}/manifests/v1`, image.manifest, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
    assert.equal(put.status, 400);
    assert.equal(await errorCode(put), 'MANIFEST_BLOB_UNKNOWN');
    const invalid = await registry.fetch('PUT', `/v2/${repo}/manifests/v1`, '{not json', { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
    assert.equal(await errorCode(invalid), 'MANIFEST_INVALID');
    const unknownTag = await registry.fetch('GET', `/v2/${repo}/manifests/nope`);
    assert.equal(unknownTag.status, 404);
    assert.equal(await errorCode(unknownTag), 'MANIFEST_UNKNOWN');
    const unknownRepo = await registry.fetch('GET', '/v2/no/such-repo/manifests/v1');
    assert.equal(unknownRepo.status, 404);
    assert.equal(await errorCode(unknownRepo), 'NAME_UNKNOWN');
    const unknownBlob = await registry.fetch('GET', `/v2/${repo}/blobs/${sha256('x')}`);
    assert.equal(unknownBlob.status, 404);
    assert.equal(await errorCode(unknownBlob), 'BLOB_UNKNOWN');
  });

  test('tags list pages with n and last; catalog lists repositories; delete removes a tag', async () => {
    const repo = await repository();
    const image = tinyImage();
    for (const tag of ['c', 'a', 'b']) assert.equal((await registry.pushImage(repo, image, tag)).status, 201);
    const all = (await (await registry.fetch('GET', `/v2/${repo}/tags/list`)).json()) as { tags: string[] };
    assert.deepEqual(all.tags, ['a', 'b', 'c']);
    const first = await registry.fetch('GET', `/v2/${repo}/tags/list?n=2`);
    assert.deepEqual(((await first.json()) as { tags: string[] }).tags, ['a', 'b']);
    assert.match(first.headers.get('link')!, /last=b/);
    const next = (await (await registry.fetch('GET', `/v2/${repo}/tags/list?n=2&last=b`)).json()) as { tags: string[] };
    assert.deepEqual(next.tags, ['c']);
    const catalog = (await (await registry.fetch('GET', '/v2/_catalog')).json()) as { repositories: string[] };
    assert.ok(catalog.repositories.includes(repo));
    assert.equal((await registry.fetch('DELETE', `/v2/${repo}/manifests/a`)).status, 202);
    const after = (await (await registry.fetch('GET', `/v2/${repo}/tags/list`)).json()) as { tags: string[] };
    assert.deepEqual(after.tags, ['b', 'c']);
    assert.equal((await registry.fetch('DELETE', `/v2/${repo}/manifests/${image.digest}`)).status, 202);
    assert.equal((await registry.fetch('GET', `/v2/${repo}/manifests/b`)).status, 404);
  });

  test('cross-repository mount links an existing blob; the referrers API lists manifests by subject', async () => {
    const source = await repository();
    const target = await repository();
    const image = tinyImage();
    assert.equal((await registry.pushImage(source, image, 'v1')).status, 201);
    const mount = await registry.fetch('POST', `/v2/${target}/blobs/uploads/?mount=${sha256(image.layer)}&from=${source}`);
    assert.equal(mount.status, 201);
    assert.equal((await registry.fetch('HEAD', `/v2/${target}/blobs/${sha256(image.layer)}`)).status, 200);
    // An artifact whose subject is the image.
    const empty = Buffer.from('{}');
    assert.equal((await registry.pushBlob(source, empty)).status, 201);
    const artifact = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.example.sbom',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 },
      layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 }],
      subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: image.digest, size: image.manifest.length },
    });
    const put = await registry.fetch('PUT', `/v2/${source}/manifests/${sha256(artifact)}`, artifact, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
    assert.equal(put.status, 201);
    assert.equal(put.headers.get('oci-subject'), image.digest);
    const referrers = (await (await registry.fetch('GET', `/v2/${source}/referrers/${image.digest}`)).json()) as { manifests: { digest: string; artifactType: string }[] };
    assert.deepEqual(referrers.manifests.map((m) => [m.digest, m.artifactType]), [[sha256(artifact), 'application/vnd.example.sbom']]);
    const filtered = await registry.fetch('GET', `/v2/${source}/referrers/${image.digest}?artifactType=other`);
    assert.equal(filtered.headers.get('oci-filters-applied'), 'artifactType');
    assert.deepEqual(((await filtered.json()) as { manifests: unknown[] }).manifests, []);
  });

  test("an IAM user's token is authorized by IAM and the repository policy", async () => {
    const repo = await repository();
    const image = tinyImage();
    assert.equal((await registry.pushImage(repo, image, 'v1')).status, 201);
    const iam = platform.client(IAMClient);
    await iam.send(new CreateUserCommand({ UserName: 'puller' }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'puller',
        PolicyName: 'token',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' }] }),
      }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'puller' }))).AccessKey!;
    const userEcr = platform.client(ECRClient, { credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } });
    const user = new Registry(platform.endpoint, await basicAuth(userEcr));
    const denied = await user.fetch('GET', `/v2/${repo}/manifests/v1`);
    assert.equal(denied.status, 403);
    assert.equal(await errorCode(denied), 'DENIED');
    await ecr.send(
      new SetRepositoryPolicyCommand({
        repositoryName: repo,
        policyText: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${platform.accountId}:user/puller` }, Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'] }],
        }),
      }),
    );
    const allowed = await user.fetch('GET', `/v2/${repo}/manifests/v1`);
    assert.equal(allowed.status, 200);
    const push = await user.fetch('POST', `/v2/${repo}/blobs/uploads/`);
    assert.equal(push.status, 403);
  });
});
