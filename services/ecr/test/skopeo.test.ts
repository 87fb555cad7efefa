// skopeo (a real OCI client) pushes an image from an OCI layout directory to the registry with an
// ECR token, and pulls it back. Skipped when skopeo is not installed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateRepositoryCommand, DescribeImagesCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import type { TestPlatform } from '@atoll/test-support';
import { startEcrPlatform } from './registry-client.js';
import { writeOciLayout } from './oci-layout.js';

const run = promisify(execFile);
const skopeo = ['/usr/bin/skopeo', '/usr/local/bin/skopeo'].find((p) => existsSync(p));

describe('skopeo against the registry', { skip: skopeo ? false : 'skopeo is not installed' }, () => {
  let platform: TestPlatform;
  let ecr: ECRClient;
  let dir: string;
  before(async () => {
    ({ platform, ecr } = await startEcrPlatform());
    dir = mkdtempSync(join(tmpdir(), 'ecr-skopeo-'));
  });
  after(async () => {
    await platform.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('copies an OCI layout to a repository and back, by the repository URI and the token', async () => {
    const { repository } = await ecr.send(new CreateRepositoryCommand({ repositoryName: 'tools/skopeo' }));
    const uri = repository!.repositoryUri!;
    assert.match(uri, /^\d{12}\.dkr\.ecr\.us-east-1\.localhost:\d+\/tools\/skopeo$/);
    const token = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData![0]!.authorizationToken!;
    const creds = Buffer.from(token, 'base64').toString();
    const source = join(dir, 'source');
    const image = await writeOciLayout(source, 3 * 1024 * 1024 + 17, 'v1');
    // The plain 127.0.0.1:<port> path form reaches the same repository.
    const port = new URL(platform.endpoint).port;
    await run(skopeo!, ['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${source}:v1`, `docker://127.0.0.1:${port}/tools/skopeo:v1`]);
    const { imageDetails } = await ecr.send(new DescribeImagesCommand({ repositoryName: 'tools/skopeo' }));
    assert.deepEqual(imageDetails!.map((d) => d.imageTags), [['v1']]);
    const back = join(dir, 'back');
    await run(skopeo!, ['copy', '--src-tls-verify=false', '--src-creds', creds, `docker://127.0.0.1:${port}/tools/skopeo:v1`, `oci:${back}:v1`]);
    const hex = image.layerDigest.slice('sha256:'.length);
    assert.ok(readFileSync(join(back, 'blobs', 'sha256', hex)).equals(readFileSync(join(source, 'blobs', 'sha256', hex))));
    const inspect = await run(skopeo!, ['inspect', '--tls-verify=false', '--creds', creds, `docker://127.0.0.1:${port}/tools/skopeo:v1`]);
    assert.equal((JSON.parse(inspect.stdout) as { Digest: string }).Digest, image.manifestDigest);
  });
});
