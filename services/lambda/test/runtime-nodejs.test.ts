// The nodejs runtimes expose the platform's AWS SDK for JavaScript v3 (as Lambda ships it in
// /var/runtime/node_modules) to CommonJS and ES module handlers alike, after the package's own
// node_modules and the layers'.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateFunctionCommand, InvokeCommand, LambdaClient, PublishLayerVersionCommand } from '@aws-sdk/client-lambda';
import { createLambdaRole, startPlatform, type TestPlatform } from '@atoll/test-support';
import { zip, ROLE, decode } from './helpers.js';

let platform: TestPlatform;
let lambda: LambdaClient;

describe('nodejs runtime and the AWS SDK', () => {
  before(async () => {
    platform = await startPlatform({ services: ['lambda', 'sts', 'iam'] });
    await createLambdaRole(platform);
    lambda = platform.client(LambdaClient);
  });

  after(async () => {
    await platform?.stop();
  });

  test('an ES module handler imports @aws-sdk/* without bundling it, and calls the platform', async () => {
    await lambda.send(new CreateFunctionCommand({
      FunctionName: 'esm-sdk', Runtime: 'nodejs22.x', Role: ROLE, Handler: 'index.handler', Timeout: 10,
      Code: { ZipFile: zip({ 'index.mjs': `import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
export const handler = async () => { const out = await new STSClient({}).send(new GetCallerIdentityCommand({})); return out.Arn; };` }) },
    }));
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'esm-sdk' }));
    assert.equal(out.FunctionError, undefined, Buffer.from(out.Payload ?? []).toString());
    assert.equal(decode(out.Payload), `arn:aws:sts::${platform.accountId}:assumed-role/lambda-role/esm-sdk`);
  });

  test('an ES module handler imports a package from a layer\'s nodejs/node_modules; a missing one is still an import error', async () => {
    const layer = await lambda.send(new PublishLayerVersionCommand({
      LayerName: 'esm-lib',
      Content: { ZipFile: zip({ 'nodejs/node_modules/shared-lib/package.json': '{"name":"shared-lib","type":"module","exports":"./index.js"}', 'nodejs/node_modules/shared-lib/index.js': 'export const word = "from the layer";' }) },
    }));
    await lambda.send(new CreateFunctionCommand({
      FunctionName: 'esm-layer', Runtime: 'nodejs22.x', Role: ROLE, Handler: 'index.handler', Layers: [layer.LayerVersionArn!],
      Code: { ZipFile: zip({ 'index.mjs': `import { word } from 'shared-lib';\nexport const handler = async () => word;` }) },
    }));
    assert.equal(decode((await lambda.send(new InvokeCommand({ FunctionName: 'esm-layer' }))).Payload), 'from the layer');
    await lambda.send(new CreateFunctionCommand({
      FunctionName: 'esm-missing', Runtime: 'nodejs22.x', Role: ROLE, Handler: 'index.handler',
      Code: { ZipFile: zip({ 'index.mjs': `import nothing from 'no-such-package-anywhere';\nexport const handler = async () => nothing;` }) },
    }));
    const doc = decode((await lambda.send(new InvokeCommand({ FunctionName: 'esm-missing' }))).Payload) as { errorType: string; errorMessage: string };
    assert.equal(doc.errorType, 'Runtime.ImportModuleError');
    assert.match(doc.errorMessage, /no-such-package-anywhere/);
  });
});
