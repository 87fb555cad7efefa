// End-to-end: AWS_IAM on REST API methods and HTTP API routes. The request carries a SigV4
// signature for `execute-api`, and the caller needs execute-api:Invoke on the method ARN from the
// platform's IAM policies (or the REST API's resource policy).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  APIGatewayClient,
  BadRequestException,
  CreateAuthorizerCommand,
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  PutIntegrationCommand,
  PutIntegrationResponseCommand,
  PutMethodCommand,
  PutMethodResponseCommand,
  UpdateRestApiCommand,
} from '@aws-sdk/client-api-gateway';
import { ApiGatewayV2Client, CreateApiCommand, CreateIntegrationCommand, CreateRouteCommand, CreateStageCommand } from '@aws-sdk/client-apigatewayv2';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { signedFetch, startPlatform, type TestPlatform } from '@atoll/test-support';

type Keys = { accessKeyId: string; secretAccessKey: string };

describe('AWS_IAM authorization on the data plane', () => {
  let platform: TestPlatform;
  let gw: APIGatewayClient;
  let iam: IAMClient;
  let upstream: Server;
  let restId: string;
  let httpId: string;

  async function user(name: string, statements?: object[]): Promise<Keys> {
    await iam.send(new CreateUserCommand({ UserName: name }));
    if (statements) await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    return { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
  }

  const rest = (keys: Keys, service = 'execute-api') => signedFetch(platform.endpoint, keys, { service, method: 'GET', path: `/_atoll/execute-api/${restId}/prod/secure`, query: { a: '1' } });
  const http = (keys: Keys) => signedFetch(platform.endpoint, keys, { service: 'execute-api', method: 'POST', path: `/_atoll/execute-api/${httpId}/live/orders`, body: '{"n":1}', headers: { 'content-type': 'application/json' } });

  before(async () => {
    platform = await startPlatform({ services: ['apigateway', 'apigatewayv2', 'iam', 'sts'] });
    gw = platform.client(APIGatewayClient);
    iam = platform.client(IAMClient);
    upstream = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: req.url }));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const api = await gw.send(new CreateRestApiCommand({ name: 'secured' }));
    restId = api.id!;
    const secure = await gw.send(new CreateResourceCommand({ restApiId: restId, parentId: api.rootResourceId!, pathPart: 'secure' }));
    await gw.send(new PutMethodCommand({ restApiId: restId, resourceId: secure.id!, httpMethod: 'GET', authorizationType: 'AWS_IAM' }));
    await gw.send(new PutIntegrationCommand({ restApiId: restId, resourceId: secure.id!, httpMethod: 'GET', type: 'MOCK', requestTemplates: { 'application/json': '{"statusCode": 200}' } }));
    await gw.send(new PutMethodResponseCommand({ restApiId: restId, resourceId: secure.id!, httpMethod: 'GET', statusCode: '200' }));
    await gw.send(new PutIntegrationResponseCommand({
      restApiId: restId, resourceId: secure.id!, httpMethod: 'GET', statusCode: '200',
      responseTemplates: { 'application/json': '{"caller":"$context.identity.userArn","account":"$context.identity.accountId"}' },
    }));
    await gw.send(new CreateDeploymentCommand({ restApiId: restId, stageName: 'prod' }));

    const gw2 = platform.client(ApiGatewayV2Client);
    httpId = (await gw2.send(new CreateApiCommand({ Name: 'secured-http', ProtocolType: 'HTTP' }))).ApiId!;
    const integration = await gw2.send(new CreateIntegrationCommand({ ApiId: httpId, IntegrationType: 'HTTP_PROXY', IntegrationMethod: 'ANY', IntegrationUri: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/upstream`, PayloadFormatVersion: '1.0' }));
    await gw2.send(new CreateRouteCommand({ ApiId: httpId, RouteKey: 'POST /orders', AuthorizationType: 'AWS_IAM', Target: `integrations/${integration.IntegrationId}` }));
    await gw2.send(new CreateStageCommand({ ApiId: httpId, StageName: 'live', AutoDeploy: true }));
  });

  after(async () => {
    upstream?.close();
    await platform?.stop();
  });

  it('answers an unsigned request 403 Missing Authentication Token, and a bad signature 403 with its reason', async () => {
    const unsigned = await fetch(`${platform.endpoint}/_atoll/execute-api/${restId}/prod/secure`);
    assert.equal(unsigned.status, 403);
    assert.deepEqual(await unsigned.json(), { message: 'Missing Authentication Token' });
    const badSecret = await rest({ accessKeyId: platform.credentials.accessKeyId, secretAccessKey: 'x'.repeat(40) });
    assert.equal(badSecret.status, 403);
    assert.match(JSON.parse(badSecret.text).message, /signature/i);
    assert.equal((await rest(platform.credentials, 'lambda')).status, 403, 'another signing name is refused');
    const unsignedHttp = await fetch(`${platform.endpoint}/_atoll/execute-api/${httpId}/live/orders`, { method: 'POST' });
    assert.deepEqual([unsignedHttp.status, await unsignedHttp.json()], [403, { message: 'Forbidden' }]);
  });

  it('lets the caller in only with execute-api:Invoke on the method ARN, and shows the caller to the integration', async () => {
    const root = await rest(platform.credentials);
    assert.equal(root.status, 200, root.text);
    assert.equal(JSON.parse(root.text).caller, `arn:aws:iam::${platform.accountId}:root`);

    const nobody = await rest(await user('nobody'));
    assert.equal(nobody.status, 403);
    assert.match(JSON.parse(nobody.text).Message, /user\/nobody is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:\d{12}:[a-z0-9]+\/prod\/GET\/secure/);
    const wrongMethod = await rest(await user('poster', [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `arn:aws:execute-api:*:*:${restId}/prod/POST/*` }]));
    assert.equal(wrongMethod.status, 403);
    const allowed = await rest(await user('reader', [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `arn:aws:execute-api:*:*:${restId}/*/GET/secure` }]));
    assert.equal(allowed.status, 200, allowed.text);
    assert.deepEqual(JSON.parse(allowed.text), { caller: `arn:aws:iam::${platform.accountId}:user/reader`, account: platform.accountId });
  });

  it('lets a caller in through the REST API resource policy alone', async () => {
    const guest = await user('guest');
    assert.equal((await rest(guest)).status, 403);
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${platform.accountId}:user/guest` }, Action: 'execute-api:Invoke', Resource: `arn:aws:execute-api:us-east-1:${platform.accountId}:${restId}/*` }] };
    await gw.send(new UpdateRestApiCommand({ restApiId: restId, patchOperations: [{ op: 'replace', path: '/policy', value: JSON.stringify(policy) }] }));
    const deadline = Date.now() + 5000;
    let status = 0;
    while (Date.now() < deadline && (status = (await rest(guest)).status) !== 200) await new Promise((r) => setTimeout(r, 100));
    assert.equal(status, 200);
  });

  it('authorizes HTTP API routes with AWS_IAM the same way', async () => {
    assert.equal((await http(await user('http-nobody'))).status, 403);
    const ok = await http(await user('http-writer', [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `arn:aws:execute-api:us-east-1:*:${httpId}/live/POST/orders` }]));
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(JSON.parse(ok.text), { url: '/upstream' });
  });

  it('refuses Cognito user pool authorizers with a clear BadRequestException', async () => {
    await assert.rejects(
      gw.send(new CreateAuthorizerCommand({ restApiId: restId, name: 'pool', type: 'COGNITO_USER_POOLS', providerARNs: ['arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_x'] })),
      (error: Error) => error instanceof BadRequestException && /does not serve Amazon Cognito/.test(error.message),
    );
  });
});
