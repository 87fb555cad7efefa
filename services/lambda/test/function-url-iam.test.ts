// AWS_IAM function URLs: the request must carry a SigV4 signature for the signing name `lambda`,
// and the caller needs lambda:InvokeFunctionUrl on the function, from an identity policy or from the
// function's policy (AddPermission with FunctionUrlAuthType); anything else answers 403 Forbidden.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AddPermissionCommand, CreateFunctionCommand, CreateFunctionUrlConfigCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { createLambdaRole, signedFetch, startPlatform, type TestPlatform } from '@atoll/test-support';
import { zip, ROLE } from './helpers.js';

const ACCOUNT = '000000000000';
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:secure`;

describe('AWS_IAM function URLs', () => {
  let p: TestPlatform;
  let iam: IAMClient;
  let urlPath: string;

  async function user(name: string, statements?: object[]): Promise<{ accessKeyId: string; secretAccessKey: string }> {
    await iam.send(new CreateUserCommand({ UserName: name }));
    if (statements) await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    return { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
  }

  const call = (credentials: { accessKeyId: string; secretAccessKey: string }, service = 'lambda') =>
    signedFetch(p.endpoint, credentials, { service, method: 'POST', path: `${urlPath}hello`, query: { a: '1' }, headers: { 'content-type': 'text/plain' }, body: 'ping' });

  before(async () => {
    p = await startPlatform({ services: ['lambda', 'sts', 'iam'] });
    await createLambdaRole(p);
    iam = p.client(IAMClient);
    const lambda = p.client(LambdaClient);
    await lambda.send(new CreateFunctionCommand({
      FunctionName: 'secure',
      Runtime: 'nodejs22.x',
      Role: ROLE,
      Handler: 'index.handler',
      Code: { ZipFile: zip({ 'index.js': `exports.handler = async (e) => ({ statusCode: 200, body: JSON.stringify({ caller: e.requestContext.authorizer?.iam?.userArn ?? null, account: e.requestContext.accountId, body: e.body, path: e.rawPath }) });` }) },
    }));
    const created = await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'secure', AuthType: 'AWS_IAM' }));
    urlPath = new URL(created.FunctionUrl!).pathname;
  });
  after(() => p.stop());

  test('an unsigned request, a bad signature or another signing name answer 403 Forbidden', async () => {
    const unsigned = await fetch(`${p.endpoint}${urlPath}hello`, { method: 'POST', body: 'ping' });
    assert.equal(unsigned.status, 403);
    assert.deepEqual(await unsigned.json(), { Message: 'Forbidden' });
    const wrongSecret = await call({ accessKeyId: p.credentials.accessKeyId, secretAccessKey: 'x'.repeat(40) });
    assert.equal(wrongSecret.status, 403);
    assert.equal((await call(p.credentials, 'execute-api')).status, 403);
  });

  test('the root key invokes it, and the event names the caller', async () => {
    const response = await call(p.credentials);
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(JSON.parse(response.text), { caller: `arn:aws:iam::${ACCOUNT}:root`, account: ACCOUNT, body: 'ping', path: '/hello' });
  });

  test('a user needs lambda:InvokeFunctionUrl from an identity policy, with lambda:FunctionUrlAuthType filled', async () => {
    assert.equal((await call(await user('nobody'))).status, 403);
    const allowed = await user('caller', [{ Effect: 'Allow', Action: 'lambda:InvokeFunctionUrl', Resource: FUNCTION_ARN, Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } } }]);
    const response = await call(allowed);
    assert.equal(response.status, 200, response.text);
    assert.equal(JSON.parse(response.text).caller, `arn:aws:iam::${ACCOUNT}:user/caller`);
    const wrongType = await user('none-only', [{ Effect: 'Allow', Action: 'lambda:InvokeFunctionUrl', Resource: FUNCTION_ARN, Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'NONE' } } }]);
    assert.equal((await call(wrongType)).status, 403);
    const otherAction = await user('invoker', [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: FUNCTION_ARN }]);
    assert.equal((await call(otherAction)).status, 403);
  });

  test('the function policy (AddPermission with FunctionUrlAuthType) lets a user without identity policies in', async () => {
    const credentials = await user('guest');
    assert.equal((await call(credentials)).status, 403);
    await p.client(LambdaClient).send(new AddPermissionCommand({
      FunctionName: 'secure',
      StatementId: 'guest-url',
      Action: 'lambda:InvokeFunctionUrl',
      Principal: `arn:aws:iam::${ACCOUNT}:user/guest`,
      FunctionUrlAuthType: 'AWS_IAM',
    }));
    const response = await call(credentials);
    assert.equal(response.status, 200, response.text);
    assert.equal(JSON.parse(response.text).caller, `arn:aws:iam::${ACCOUNT}:user/guest`);
  });
});
