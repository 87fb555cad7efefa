// End-to-end: a WebSocket API with $connect, a custom route picked by `$request.body.action` and a
// $default route on Lambda, reached by a `ws` client, and the @connections API through
// @aws-sdk/client-apigatewaymanagementapi.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import AdmZip from 'adm-zip';
import WebSocket from 'ws';
import { AddPermissionCommand, CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ApiGatewayV2Client, CreateApiCommand, CreateIntegrationCommand, CreateRouteCommand, CreateStageCommand } from '@aws-sdk/client-apigatewayv2';
import { ApiGatewayManagementApiClient, DeleteConnectionCommand, GetConnectionCommand, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { createLambdaRole, startPlatform, type TestPlatform } from '@atoll/test-support';

const FUNCTION = `exports.handler = async (event) => {
  const ctx = event.requestContext;
  if (ctx.eventType === 'CONNECT') return { statusCode: event.queryStringParameters && event.queryStringParameters.deny ? 403 : 200 };
  if (ctx.routeKey === 'echo') return { statusCode: 200, body: 'echo:' + JSON.parse(event.body).text };
  return { statusCode: 200, body: JSON.stringify({ route: ctx.routeKey, connectionId: ctx.connectionId }) };
};`;

function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => resolve(String(data)));
    ws.once('error', reject);
  });
}

describe('WebSocket APIs', () => {
  let platform: TestPlatform;
  let apiId: string;

  before(async () => {
    platform = await startPlatform({ services: ['apigateway', 'apigatewayv2', 'lambda', 'iam', 'sts'] });
    const lambda = platform.client(LambdaClient);
    const role = await createLambdaRole(platform, 'ws-fn', {});
    const archive = new AdmZip();
    archive.addFile('index.js', Buffer.from(FUNCTION));
    const fn = await lambda.send(new CreateFunctionCommand({ FunctionName: 'ws-fn', Runtime: 'nodejs22.x', Role: role, Handler: 'index.handler', Code: { ZipFile: archive.toBuffer() } }));
    await lambda.send(new AddPermissionCommand({ FunctionName: 'ws-fn', StatementId: 'apigw', Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' }));
    const v2 = platform.client(ApiGatewayV2Client);
    const api = await v2.send(new CreateApiCommand({ Name: 'chat', ProtocolType: 'WEBSOCKET', RouteSelectionExpression: '$request.body.action' }));
    apiId = api.ApiId!;
    assert.match(api.ApiEndpoint!, /^ws:\/\//);
    const integration = await v2.send(new CreateIntegrationCommand({ ApiId: apiId, IntegrationType: 'AWS_PROXY', IntegrationUri: fn.FunctionArn }));
    for (const key of ['$connect', 'echo', '$default']) {
      await v2.send(new CreateRouteCommand({ ApiId: apiId, RouteKey: key, Target: `integrations/${integration.IntegrationId}`, ...(key === '$connect' ? {} : { RouteResponseSelectionExpression: '$default' }) }));
    }
    await v2.send(new CreateStageCommand({ ApiId: apiId, StageName: 'prod', AutoDeploy: true }));
  });

  after(async () => {
    await platform?.stop();
  });

  it('connects, routes messages by action, and posts to the connection through @connections', async () => {
    const url = `${platform.endpoint.replace(/^http/, 'ws')}/_atoll/execute-api/${apiId}/prod`;
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    try {
      ws.send(JSON.stringify({ action: 'echo', text: 'hi' }));
      assert.equal(await nextMessage(ws), 'echo:hi');
      ws.send('not json');
      const fallback = JSON.parse(await nextMessage(ws));
      assert.equal(fallback.route, '$default');
      const connectionId = fallback.connectionId as string;
      const management = platform.client(ApiGatewayManagementApiClient, { endpoint: `${platform.endpoint}/_atoll/execute-api/${apiId}/prod` });
      const pushed = nextMessage(ws);
      await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('server says hello') }));
      assert.equal(await pushed, 'server says hello');
      const described = await management.send(new GetConnectionCommand({ ConnectionId: connectionId }));
      assert.equal(described.Identity?.SourceIp, '127.0.0.1');
      assert.ok(described.ConnectedAt instanceof Date);
      const closed = new Promise((resolve) => ws.once('close', resolve));
      await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
      await closed;
      await assert.rejects(management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('x') })), GoneException);
    } finally {
      ws.terminate();
    }
  });

  it('refuses the handshake when $connect answers 403, or the stage does not exist', async () => {
    const base = `${platform.endpoint.replace(/^http/, 'ws')}/_atoll/execute-api/${apiId}`;
    for (const url of [`${base}/prod?deny=1`, `${base}/nostage`]) {
      const ws = new WebSocket(url);
      const status = await new Promise<number>((resolve) => {
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('open', () => resolve(101));
        ws.once('error', () => resolve(-1));
      });
      ws.terminate();
      assert.equal(status, 403, url);
    }
  });
});
