import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  LambdaClient,
  CreateFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  DeleteFunctionCommand,
  ListFunctionsCommand,
  PublishVersionCommand,
  ListVersionsByFunctionCommand,
  CreateAliasCommand,
  UpdateAliasCommand,
  GetAliasCommand,
  AddPermissionCommand,
  GetPolicyCommand,
  RemovePermissionCommand,
  TagResourceCommand,
  ListTagsCommand,
  UntagResourceCommand,
  PutFunctionConcurrencyCommand,
  GetFunctionConcurrencyCommand,
  GetAccountSettingsCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { createLambdaRole, startPlatform, type TestPlatform } from '@atoll/test-support';
import { zip, ROLE, decode } from './helpers.js';

let platform: TestPlatform;
let lambda: LambdaClient;

const handlerZip = (body: string, file = 'index.js') => zip({ [file]: body });

async function createFunction(name: string, code: Buffer, extra: Record<string, unknown> = {}) {
  return lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: code }, ...extra }));
}

before(async () => {
  platform = await startPlatform({ services: ['lambda', 'sts', 'iam'] });
  // The execution role the functions name (ROLE): Lambda assumes it as lambda.amazonaws.com.
  await createLambdaRole(platform);
  lambda = platform.client(LambdaClient);
});

after(async () => {
  await platform.stop();
});

describe('function lifecycle', () => {
  test('a created function goes from Pending to Active and answers an invocation', async () => {
    const created = await createFunction('hello', handlerZip(`exports.handler = async (event) => ({ hello: event.name, region: process.env.AWS_REGION });`));
    assert.equal(created.State, 'Pending');
    assert.equal(created.FunctionArn, `arn:aws:lambda:${platform.region}:${platform.accountId}:function:hello`);
    assert.equal(created.Runtime, 'nodejs20.x');
    assert.equal(created.MemorySize, 128);
    assert.equal(created.Timeout, 3);
    assert.ok(created.CodeSha256);
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 30, minDelay: 1 }, { FunctionName: 'hello' });
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'hello', Payload: Buffer.from(JSON.stringify({ name: 'atoll' })), LogType: 'Tail' }));
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, undefined);
    assert.equal(out.ExecutedVersion, '$LATEST');
    assert.deepEqual(decode(out.Payload), { hello: 'atoll', region: platform.region });
    const log = Buffer.from(out.LogResult!, 'base64').toString('utf8');
    assert.match(log, /START RequestId: /);
    assert.match(log, /REPORT RequestId: .*Init Duration/);
  });

  test('creating a function twice is ResourceConflictException', async () => {
    await assert.rejects(createFunction('hello', handlerZip('exports.handler = async () => 1;')), (err: Error & { $metadata: { httpStatusCode: number } }) => {
      assert.equal(err.name, 'ResourceConflictException');
      assert.equal(err.$metadata.httpStatusCode, 409);
      return true;
    });
  });

  test('a corrupt zip is InvalidZipFileException and an unknown runtime is InvalidParameterValueException', async () => {
    await assert.rejects(createFunction('corrupt', Buffer.from('this is not a zip')), (err: Error & { $metadata: { httpStatusCode: number } }) => {
      assert.equal(err.name, 'InvalidZipFileException');
      assert.equal(err.$metadata.httpStatusCode, 502);
      return true;
    });
    await assert.rejects(createFunction('python', handlerZip('x'), { Runtime: 'python3.7' }), (err: Error & { $metadata: { httpStatusCode: number } }) => {
      assert.equal(err.name, 'InvalidParameterValueException');
      assert.equal(err.$metadata.httpStatusCode, 400);
      return true;
    });
  });

  test('an unknown function is ResourceNotFoundException', async () => {
    await assert.rejects(lambda.send(new GetFunctionCommand({ FunctionName: 'nope' })), (err: Error & { $metadata: { httpStatusCode: number } }) => {
      assert.equal(err.name, 'ResourceNotFoundException');
      assert.equal(err.$metadata.httpStatusCode, 404);
      return true;
    });
    await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: 'nope' })), { name: 'ResourceNotFoundException' });
  });

  test('GetFunction returns a code location that downloads the zip', async () => {
    const out = await lambda.send(new GetFunctionCommand({ FunctionName: 'hello' }));
    assert.equal(out.Configuration?.State, 'Active');
    assert.equal(out.Code?.RepositoryType, 'S3');
    const response = await fetch(out.Code!.Location!);
    assert.equal(response.status, 200);
    const bytes = Buffer.from(await response.arrayBuffer());
    assert.equal(bytes.subarray(0, 2).toString(), 'PK');
    const tampered = await fetch(out.Code!.Location!.replace(/.$/, (c) => (c === '0' ? '1' : '0')));
    assert.equal(tampered.status, 403);
  });

  test('updating code and configuration passes through InProgress to Successful and takes effect', async () => {
    await createFunction('changing', handlerZip(`exports.handler = async () => ({ v: 1, greeting: process.env.GREETING ?? null });`));
    const code = await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'changing', ZipFile: handlerZip(`exports.handler = async () => ({ v: 2, greeting: process.env.GREETING ?? null });`) }));
    assert.equal(code.LastUpdateStatus, 'InProgress');
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 30, minDelay: 1 }, { FunctionName: 'changing' });
    assert.deepEqual(decode((await lambda.send(new InvokeCommand({ FunctionName: 'changing' }))).Payload), { v: 2, greeting: null });
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'changing', Environment: { Variables: { GREETING: 'hi' } }, MemorySize: 256 }));
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'changing' }));
    assert.equal(config.LastUpdateStatus, 'Successful');
    assert.equal(config.MemorySize, 256);
    assert.deepEqual(decode((await lambda.send(new InvokeCommand({ FunctionName: 'changing' }))).Payload), { v: 2, greeting: 'hi' });
    await assert.rejects(
      lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'changing', Environment: { Variables: { AWS_REGION: 'x' } } })),
      { name: 'InvalidParameterValueException' },
    );
  });

  test('ListFunctions lists the functions and DeleteFunction removes one', async () => {
    await createFunction('doomed', handlerZip('exports.handler = async () => 1;'));
    const listed = await lambda.send(new ListFunctionsCommand({}));
    assert.ok(listed.Functions?.some((f) => f.FunctionName === 'doomed'));
    // The 2025 model binds DeleteFunction's StatusCode to the HTTP status: 204 for a function deleted at once.
    const deleted = await lambda.send(new DeleteFunctionCommand({ FunctionName: 'doomed' }));
    assert.equal(deleted.$metadata.httpStatusCode, 204);
    assert.equal(deleted.StatusCode, 204);
    await assert.rejects(lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'doomed' })), { name: 'ResourceNotFoundException' });
  });
});

describe('versions and aliases', () => {
  test('published versions keep their code and an alias routes between two versions by weight', async () => {
    await createFunction('versioned', handlerZip(`exports.handler = async () => 'one';`));
    const v1 = await lambda.send(new PublishVersionCommand({ FunctionName: 'versioned' }));
    assert.equal(v1.Version, '1');
    const again = await lambda.send(new PublishVersionCommand({ FunctionName: 'versioned' }));
    assert.equal(again.Version, '1');
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'versioned', ZipFile: handlerZip(`exports.handler = async () => 'two';`), Publish: true }));
    const versions = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: 'versioned' }));
    assert.deepEqual(versions.Versions?.map((v) => v.Version), ['$LATEST', '1', '2']);
    const one = await lambda.send(new InvokeCommand({ FunctionName: 'versioned', Qualifier: '1' }));
    assert.equal(decode(one.Payload), 'one');
    assert.equal(one.ExecutedVersion, '1');

    const alias = await lambda.send(new CreateAliasCommand({ FunctionName: 'versioned', Name: 'live', FunctionVersion: '1' }));
    assert.equal(alias.AliasArn, `arn:aws:lambda:${platform.region}:${platform.accountId}:function:versioned:live`);
    assert.equal(decode((await lambda.send(new InvokeCommand({ FunctionName: 'versioned:live' }))).Payload), 'one');
    await lambda.send(new UpdateAliasCommand({ FunctionName: 'versioned', Name: 'live', RoutingConfig: { AdditionalVersionWeights: { '2': 1 } } }));
    const routed = await lambda.send(new InvokeCommand({ FunctionName: 'versioned', Qualifier: 'live' }));
    assert.equal(decode(routed.Payload), 'two');
    assert.equal(routed.ExecutedVersion, '2');
    const got = await lambda.send(new GetAliasCommand({ FunctionName: 'versioned', Name: 'live' }));
    assert.deepEqual(got.RoutingConfig?.AdditionalVersionWeights, { '2': 1 });
    await assert.rejects(lambda.send(new CreateAliasCommand({ FunctionName: 'versioned', Name: 'live', FunctionVersion: '1' })), { name: 'ResourceConflictException' });
    await assert.rejects(lambda.send(new DeleteFunctionCommand({ FunctionName: 'versioned', Qualifier: '1' })), { name: 'ResourceConflictException' });
  });
});

describe('policies, tags and concurrency', () => {
  test('permissions are added, read as a policy document and removed', async () => {
    await createFunction('guarded', handlerZip('exports.handler = async () => 1;'));
    const added = await lambda.send(new AddPermissionCommand({ FunctionName: 'guarded', StatementId: 's3-invoke', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com', SourceArn: 'arn:aws:s3:::bucket' }));
    assert.equal(JSON.parse(added.Statement!).Principal.Service, 's3.amazonaws.com');
    await assert.rejects(lambda.send(new AddPermissionCommand({ FunctionName: 'guarded', StatementId: 's3-invoke', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com' })), { name: 'ResourceConflictException' });
    const policy = JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: 'guarded' }))).Policy!);
    assert.equal(policy.Statement[0].Sid, 's3-invoke');
    assert.equal(policy.Statement[0].Condition.ArnLike['AWS:SourceArn'], 'arn:aws:s3:::bucket');
    await lambda.send(new RemovePermissionCommand({ FunctionName: 'guarded', StatementId: 's3-invoke' }));
    await assert.rejects(lambda.send(new GetPolicyCommand({ FunctionName: 'guarded' })), { name: 'ResourceNotFoundException' });
  });

  test('tags are added, listed and removed', async () => {
    const arn = `arn:aws:lambda:${platform.region}:${platform.accountId}:function:guarded`;
    await lambda.send(new TagResourceCommand({ Resource: arn, Tags: { team: 'atoll', env: 'test' } }));
    assert.deepEqual((await lambda.send(new ListTagsCommand({ Resource: arn }))).Tags, { team: 'atoll', env: 'test' });
    await lambda.send(new UntagResourceCommand({ Resource: arn, TagKeys: ['env'] }));
    assert.deepEqual((await lambda.send(new ListTagsCommand({ Resource: arn }))).Tags, { team: 'atoll' });
  });

  test('reserved concurrency of zero throttles with TooManyRequestsException', async () => {
    await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'guarded', ReservedConcurrentExecutions: 0 }));
    assert.equal((await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'guarded' }))).ReservedConcurrentExecutions, 0);
    await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: 'guarded' })), (err: Error & { Reason?: string; $metadata: { httpStatusCode: number } }) => {
      assert.equal(err.name, 'TooManyRequestsException');
      assert.equal(err.$metadata.httpStatusCode, 429);
      assert.equal(err.Reason, 'ReservedFunctionConcurrentInvocationLimitExceeded');
      return true;
    });
    await assert.rejects(lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'guarded', ReservedConcurrentExecutions: 950 })), { name: 'InvalidParameterValueException' });
  });
});

test('GetAccountSettings reports the concurrency limit and the unreserved rest', async () => {
  const settings = await lambda.send(new GetAccountSettingsCommand({}));
  assert.equal(settings.AccountLimit?.ConcurrentExecutions, 1000);
});
