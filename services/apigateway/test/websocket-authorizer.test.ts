// End-to-end: a WebSocket API whose $connect route has a Lambda REQUEST authorizer (identity
// source in the query string): no token is 401, a denying policy is 403, and an allowed
// connection carries the authorizer's context to its routes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import AdmZip from 'adm-zip';
import WebSocket from 'ws';
import { AddPermissionCommand, CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ApiGatewayV2Client, CreateApiCommand, CreateAuthorizerCommand, CreateIntegrationCommand, CreateRouteCommand, CreateStageCommand } from '@aws-sdk/client-apigatewayv2';
import { createLambdaRole, startPlatform, type TestPlatform } from '@atoll/test-support';

const AUTHORIZER = `exports.handler = async (event) => {
  const token = event.queryStringParameters.token;
  const effect = token === 'good' ? 'Allow' : 'Deny';
  return { principalId: 'ann', policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: event.methodArn }] }, context: { tier: 'gold' } };
};`;

const FUNCTION = `exports.handler = async (event) => {
  if (event.requestContext.eventType === 'CONNECT') return { statusCode: 200 };
  return { statusCode: 200, body: JSON.stringify(event.requestContext.authorizer ?? null) };
};`;

function zip(source: string): Buffer {
  const archive = new AdmZip();
  archive.addFile('index.js', Buffer.from(source));
  return archive.toBuffer();
}

/** The handshake's outcome: 'open', or the HTTP status that refused it. */
function connect(url: string): Promise<{ ws?: WebSocket; status: number | 'open' }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve({ ws, status: 'open' }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
    });
    ws.once('error', (error) => reject(error));
  });
}

describe('WebSocket $connect authorizers', () => {
  let platform: TestPlatform;
  let url: string;

  before(async () => {
    platform = await startPlatform({ services: ['apigatewayv2', 'lambda', 'iam', 'sts'] });
    const lambda = platform.client(LambdaClient);
    const role = await createLambdaRole(platform, 'ws-auth-fn', {});
    const fn = await lambda.send(new CreateFunctionCommand({ FunctionName: 'ws-handler', Runtime: 'nodejs22.x', Role: role, Handler: 'index.handler', Code: { ZipFile: zip(FUNCTION) } }));
    const auth = await lambda.send(new CreateFunctionCommand({ FunctionName: 'ws-authorizer', Runtime: 'nodejs22.x', Role: role, Handler: 'index.handler', Code: { ZipFile: zip(AUTHORIZER) } }));
    for (const name of ['ws-handler', 'ws-authorizer']) {
      await lambda.send(new AddPermissionCommand({ FunctionName: name, StatementId: 'apigw', Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' }));
    }
    const v2 = platform.client(ApiGatewayV2Client);
    const apiId = (await v2.send(new CreateApiCommand({ Name: 'secure-chat', ProtocolType: 'WEBSOCKET', RouteSelectionExpression: '$request.body.action' }))).ApiId!;
    const authorizer = await v2.send(new CreateAuthorizerCommand({
      ApiId: apiId, Name: 'token', AuthorizerType: 'REQUEST', IdentitySource: ['route.request.querystring.token'],
      AuthorizerUri: `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${auth.FunctionArn}/invocations`,
    }));
    const integration = await v2.send(new CreateIntegrationCommand({ ApiId: apiId, IntegrationType: 'AWS_PROXY', IntegrationUri: fn.FunctionArn }));
    await v2.send(new CreateRouteCommand({ ApiId: apiId, RouteKey: '$connect', AuthorizationType: 'CUSTOM', AuthorizerId: authorizer.AuthorizerId, Target: `integrations/${integration.IntegrationId}` }));
    await v2.send(new CreateRouteCommand({ ApiId: apiId, RouteKey: 'whoami', Target: `integrations/${integration.IntegrationId}`, RouteResponseSelectionExpression: '$default' }));
    await v2.send(new CreateStageCommand({ ApiId: apiId, StageName: 'prod', AutoDeploy: true }));
    url = `${platform.endpoint.replace(/^http/, 'ws')}/_atoll/execute-api/${apiId}/prod`;
  });

  after(() => platform?.stop());

  it('refuses the handshake without the identity source (401) and on a denying policy (403)', async () => {
    assert.equal((await connect(url)).status, 401);
    assert.equal((await connect(`${url}?token=bad`)).status, 403);
  });

  it('opens an allowed connection, and its routes see the authorizer context', async () => {
    const { ws, status } = await connect(`${url}?token=good`);
    assert.equal(status, 'open');
    try {
      const reply = new Promise<string>((resolve) => ws!.once('message', (data) => resolve(String(data))));
      ws!.send(JSON.stringify({ action: 'whoami' }));
      assert.deepEqual(JSON.parse(await reply), { tier: 'gold', principalId: 'ann' });
    } finally {
      ws!.close();
    }
  });
});
