// The runtime catalogue at CreateFunction and UpdateFunctionConfiguration: runtimes whose
// interpreter is missing, .NET, deprecated and unknown runtimes are InvalidParameterValueException
// with a message that says what to do.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateFunctionCommand, LambdaClient, UpdateFunctionConfigurationCommand, type Runtime } from '@aws-sdk/client-lambda';
import { findInterpreter } from '@atoll/function-runtime';
import { createLambdaRole, startPlatform, type TestPlatform } from '@atoll/test-support';
import { RUNTIME_CATALOGUE } from '../src/runtimes.js';
import { zip, ROLE } from './helpers.js';

let platform: TestPlatform;
let lambda: LambdaClient;

const create = (name: string, runtime: string, extra: Record<string, unknown> = {}) =>
  lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: runtime as Runtime, Role: ROLE, Handler: 'app.handler', Code: { ZipFile: zip({ 'app.py': 'def handler(e, c):\n    return 1' }) }, ...extra }));

function refused(message: RegExp) {
  return (err: Error & { $metadata: { httpStatusCode: number } }) => {
    assert.equal(err.name, 'InvalidParameterValueException');
    assert.equal(err.$metadata.httpStatusCode, 400);
    assert.match(err.message, message);
    return true;
  };
}

describe('runtime catalogue', () => {
  before(async () => {
    platform = await startPlatform({ services: ['lambda', 'sts', 'iam'] });
    await createLambdaRole(platform);
    lambda = platform.client(LambdaClient);
  });

  after(async () => {
    await platform?.stop();
  });

  test('a runtime whose interpreter this machine lacks is refused, naming what to install', async (t) => {
    const missing = RUNTIME_CATALOGUE.filter((e) => (e.family === 'python' || e.family === 'java' || e.family === 'ruby') && !findInterpreter(e.runtime).ok);
    if (missing.length === 0) return t.skip('every runtime of the catalogue is installed here');
    for (const { runtime, family } of missing) {
      const hint = family === 'python' ? /needs Python 3\.\d+, which is not installed on this machine: install it/ : family === 'java' ? /needs a JDK \d+ .*openjdk-\d+-jdk-headless/ : /needs Ruby 3\.x.*apt-get install ruby/;
      await assert.rejects(create(`missing-${runtime.replace(/\W/g, '')}`, runtime), refused(hint));
    }
  });

  test('.NET runtimes are refused by name, pointing at a custom runtime', async () => {
    await assert.rejects(create('dotnet', 'dotnet8'), refused(/dotnet8 is not supported by Atoll: it has no \.NET bootstrap.*provided\.al2023/));
  });

  test('deprecated runtimes get AWS\'s message, at create and at update', async () => {
    for (const runtime of ['python3.8', 'nodejs16.x', 'java8', 'ruby2.7', 'go1.x']) {
      await assert.rejects(create(`old-${runtime.replace(/\W/g, '')}`, runtime), refused(new RegExp(`^The runtime parameter of ${runtime.replace('.', '\\.')} is no longer supported for creating or updating AWS Lambda functions\\. We recommend you use a supported runtime while creating or updating functions\\.$`)));
    }
    const python = ['3.12', '3.11', '3.13', '3.10', '3.9'].map((v) => `python${v}`).find((r) => findInterpreter(r).ok);
    if (!python) return;
    await create('current', python);
    await assert.rejects(lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'current', Runtime: 'python3.7' })), refused(/python3\.7 is no longer supported/));
  });

  test('a runtime outside the model is a ValidationException, and a managed runtime needs a Handler', async () => {
    // The model's enum is checked at the edge, as AWS does, before the catalogue sees the request.
    await assert.rejects(create('cobol', 'cobol85'), (err: Error) => err.name === 'ValidationException' && /cobol85/.test(err.message));
    const python = ['3.12', '3.11'].map((v) => `python${v}`).find((r) => findInterpreter(r).ok);
    if (!python) return;
    await assert.rejects(lambda.send(new CreateFunctionCommand({ FunctionName: 'nohandler', Runtime: python as Runtime, Role: ROLE, Code: { ZipFile: zip({ 'app.py': '' }) } })), refused(/Handler is required/));
  });
});
