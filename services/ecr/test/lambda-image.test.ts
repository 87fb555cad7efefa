// Lambda container image functions (PackageType Image) whose images live in this platform's ECR:
// the URI checks, the stored shapes (ImageConfigResponse, Code.ImageUri/ResolvedImageUri, no
// Runtime/Handler), and the Failed state with its reason when no container engine answers. The
// engine path runs only where Docker or Podman answers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { CreateRepositoryCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  InvokeCommand,
  LambdaClient,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { createLambdaRole, startPlatform, type TestPlatform } from '@atoll/test-support';
import { createEcrService } from '../src/index.js';
import { Registry, basicAuth, tinyImage } from './registry-client.js';

const ROLE = 'arn:aws:iam::000000000000:role/lambda-role';

function engineAnswers(): boolean {
  for (const cli of ['docker', 'podman']) {
    try {
      execFileSync(cli, ['info', '--format', '{{.ID}}'], { timeout: 5000, stdio: 'ignore' });
      return true;
    } catch {
      // not installed, or no engine behind the client
    }
  }
  return false;
}

async function rejectsWith(promise: Promise<unknown>, name: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(err.name, name);
    assert.match(err.message, message);
    return true;
  });
}

describe('Lambda container image functions', () => {
  let platform: TestPlatform;
  let ecr: ECRClient;
  let lambda: LambdaClient;
  let repositoryUri: string;
  let digest: string;
  let otherDigest: string;
  const hasEngine = engineAnswers();

  before(async () => {
    platform = await startPlatform({ services: ['iam', 'sts', 'lambda'], extraProviders: [createEcrService] });
    await createLambdaRole(platform);
    ecr = platform.client(ECRClient);
    // The first call activates ECR (its registry routes go live with it).
    await ecr.send(new GetAuthorizationTokenCommand({}));
    lambda = platform.client(LambdaClient);
    const { repository } = await ecr.send(new CreateRepositoryCommand({ repositoryName: 'fn/app' }));
    repositoryUri = repository!.repositoryUri!;
    const registry = new Registry(platform.endpoint, await basicAuth(ecr));
    const image = tinyImage();
    const pushed = await registry.pushImage('fn/app', image, 'v1');
    assert.equal(pushed.status, 201);
    digest = image.digest;
    const other = tinyImage();
    assert.equal((await registry.pushImage('fn/app', other, 'v2')).status, 201);
    otherDigest = other.digest;
  });
  after(() => platform.stop());

  test('refuses image URIs that are malformed or name no image, with Lambda errors', async () => {
    const create = (ImageUri: string, extra: Record<string, unknown> = {}) =>
      lambda.send(new CreateFunctionCommand({ FunctionName: 'bad', Role: ROLE, PackageType: 'Image', Code: { ImageUri }, ...extra }));
    await rejectsWith(create('docker.io/library/alpine:3'), 'InvalidParameterValueException', /^Source image docker\.io\/library\/alpine:3 is not valid/);
    await rejectsWith(create(`${repositoryUri}:missing`), 'InvalidParameterValueException', /^Source image .*fn\/app:missing does not exist\. Provide a valid source image\.$/);
    await rejectsWith(create(`${repositoryUri.replace('fn/app', 'fn/none')}:v1`), 'InvalidParameterValueException', /does not exist/);
    await rejectsWith(
      create(`${platform.accountId}.dkr.ecr.eu-west-1.amazonaws.com/fn/app:v1`),
      'InvalidParameterValueException',
      /is not valid/,
    );
    await rejectsWith(create(`${repositoryUri}:v1`, { Runtime: 'nodejs20.x', Handler: 'index.handler' }), 'InvalidParameterValueException', /Handler or Runtime or Layer/);
    await rejectsWith(
      lambda.send(new CreateFunctionCommand({ FunctionName: 'zip', Role: ROLE, Runtime: 'nodejs20.x', Handler: 'index.handler', Code: { ImageUri: `${repositoryUri}:v1` } })),
      'InvalidParameterValueException',
      /PackageType is Zip/,
    );
  });

  test('stores the image and ImageConfig and returns them as Lambda does', async () => {
    const created = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'img',
        Role: ROLE,
        PackageType: 'Image',
        Code: { ImageUri: `${repositoryUri}:v1` },
        ImageConfig: { EntryPoint: ['/lambda-entrypoint.sh'], Command: ['app.handler'], WorkingDirectory: '/var/task' },
        Environment: { Variables: { MODE: 'test' } },
      }),
    );
    assert.equal(created.PackageType, 'Image');
    assert.equal(created.Runtime, undefined);
    assert.equal(created.Handler, undefined);
    assert.equal(created.CodeSha256, digest.slice('sha256:'.length));
    assert.deepEqual(created.ImageConfigResponse, { ImageConfig: { EntryPoint: ['/lambda-entrypoint.sh'], Command: ['app.handler'], WorkingDirectory: '/var/task' } });
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: 'img' }));
    assert.deepEqual(got.Code, { RepositoryType: 'ECR', ImageUri: `${repositoryUri}:v1`, ResolvedImageUri: `${repositoryUri}@${digest}` });
    assert.equal(got.Configuration!.PackageType, 'Image');
    assert.equal(got.Configuration!.Layers, undefined);
    await rejectsWith(
      lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'img', Handler: 'other.handler' })),
      'InvalidParameterValueException',
      /Handler or Runtime or Layer/,
    );
    const updated = await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'img', ImageConfig: { Command: ['other.handler'] } }));
    assert.deepEqual(updated.ImageConfigResponse, { ImageConfig: { Command: ['other.handler'] } });
  });

  test('UpdateFunctionCode moves the function to another image and refuses a zip', async () => {
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'img2', Role: ROLE, PackageType: 'Image', Code: { ImageUri: `${repositoryUri}:v1` } }));
    await rejectsWith(
      lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'img2', ZipFile: Buffer.from('PK') })),
      'InvalidParameterValueException',
      /Please provide ImageUri/,
    );
    await rejectsWith(lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'img2', ImageUri: `${repositoryUri}:nope` })), 'InvalidParameterValueException', /does not exist/);
    const updated = await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'img2', ImageUri: `${repositoryUri}@${otherDigest}` }));
    assert.equal(updated.CodeSha256, otherDigest.slice('sha256:'.length));
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: 'img2' }));
    assert.equal(got.Code!.ImageUri, `${repositoryUri}@${otherDigest}`);
    assert.equal(got.Code!.ResolvedImageUri, `${repositoryUri}@${otherDigest}`);
  });

  test('without a container engine the function is Failed and Invoke is refused', { skip: hasEngine ? 'a container engine answers on this machine' : false }, async () => {
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'img3', Role: ROLE, PackageType: 'Image', Code: { ImageUri: `${repositoryUri}:v1` } }));
    const config = (await lambda.send(new GetFunctionCommand({ FunctionName: 'img3' }))).Configuration!;
    assert.equal(config.State, 'Failed');
    assert.equal(config.StateReasonCode, 'InvalidImage');
    assert.match(config.StateReason!, /no container engine \(Docker or Podman\) answers on this machine/);
    await rejectsWith(
      lambda.send(new InvokeCommand({ FunctionName: 'img3', Payload: Buffer.from('{}') })),
      'ResourceConflictException',
      /currently in the following state: Failed/,
    );
    const version = await lambda.send(new PublishVersionCommand({ FunctionName: 'img3' }));
    assert.equal(version.State, 'Failed');
    const updated = await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'img3', ImageUri: `${repositoryUri}:v2` }));
    assert.equal(updated.CodeSha256, otherDigest.slice('sha256:'.length));
    const after = (await lambda.send(new GetFunctionCommand({ FunctionName: 'img3' }))).Configuration!;
    assert.equal(after.State, 'Failed');
    assert.equal(after.LastUpdateStatus, 'Failed');
    assert.equal(after.LastUpdateStatusReasonCode, 'InvalidImage');
  });

  test('with a container engine the function is Active', { skip: hasEngine ? false : 'no container engine (Docker or Podman) answers on this machine' }, async () => {
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'img4', Role: ROLE, PackageType: 'Image', Code: { ImageUri: `${repositoryUri}:v1` } }));
    const config = (await lambda.send(new GetFunctionCommand({ FunctionName: 'img4' }))).Configuration!;
    assert.equal(config.State, 'Active');
  });
});
