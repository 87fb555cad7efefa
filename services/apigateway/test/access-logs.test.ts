// End-to-end: a stage's access log settings send one line per request, in the stage's format, to
// the CloudWatch Logs group its destination ARN names (REST and HTTP APIs).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  APIGatewayClient,
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  PutIntegrationCommand,
  PutIntegrationResponseCommand,
  PutMethodCommand,
  PutMethodResponseCommand,
  UpdateStageCommand,
} from '@aws-sdk/client-api-gateway';
import { ApiGatewayV2Client, CreateApiCommand, CreateIntegrationCommand, CreateRouteCommand, CreateStageCommand } from '@aws-sdk/client-apigatewayv2';
import { CloudWatchLogsClient, CreateLogGroupCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { call } from './http-call.js';

describe('access logs', () => {
  let platform: TestPlatform;
  let logs: CloudWatchLogsClient;
  const group = '/aws/apigateway/access';

  async function linesOf(stream: string, count: number): Promise<string[]> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const out = await logs.send(new FilterLogEventsCommand({ logGroupName: group, logStreamNames: [stream] }));
      const lines = (out.events ?? []).map((e) => e.message!);
      if (lines.length >= count || Date.now() > deadline) return lines;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  before(async () => {
    platform = await startPlatform({ services: ['apigateway', 'apigatewayv2', 'logs', 'iam', 'sts'] });
    logs = platform.client(CloudWatchLogsClient);
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  });

  after(() => platform?.stop());

  it('writes a REST API stage line per request, in its format', async () => {
    const gw = platform.client(APIGatewayClient);
    const api = await gw.send(new CreateRestApiCommand({ name: 'logged' }));
    const id = api.id!;
    const res = await gw.send(new CreateResourceCommand({ restApiId: id, parentId: api.rootResourceId!, pathPart: 'ping' }));
    await gw.send(new PutMethodCommand({ restApiId: id, resourceId: res.id!, httpMethod: 'GET', authorizationType: 'NONE' }));
    await gw.send(new PutIntegrationCommand({ restApiId: id, resourceId: res.id!, httpMethod: 'GET', type: 'MOCK', requestTemplates: { 'application/json': '{"statusCode": 200}' } }));
    await gw.send(new PutMethodResponseCommand({ restApiId: id, resourceId: res.id!, httpMethod: 'GET', statusCode: '200' }));
    await gw.send(new PutIntegrationResponseCommand({ restApiId: id, resourceId: res.id!, httpMethod: 'GET', statusCode: '200', responseTemplates: { 'application/json': '{"pong":true}' } }));
    await gw.send(new CreateDeploymentCommand({ restApiId: id, stageName: 'prod' }));
    await gw.send(new UpdateStageCommand({
      restApiId: id, stageName: 'prod', patchOperations: [
        { op: 'replace', path: '/accessLogSettings/destinationArn', value: `arn:aws:logs:us-east-1:${platform.accountId}:log-group:${group}` },
        { op: 'replace', path: '/accessLogSettings/format', value: '{"requestId":"$context.requestId","method":"$context.httpMethod","resource":"$context.resourcePath","status":$context.status,"missing":"$context.error.message"}' },
      ],
    }));
    const base = `${platform.endpoint}/_atoll/execute-api/${id}/prod`;
    const ok = await call(`${base}/ping`);
    assert.equal(ok.status, 200);
    await call(`${base}/nowhere`);
    const lines = (await linesOf(`${id}_prod`, 2)).map((l) => JSON.parse(l));
    assert.equal(lines.length, 2);
    assert.deepEqual(lines[0], { requestId: ok.headers['x-amzn-requestid'], method: 'GET', resource: '/ping', status: 200, missing: '-' });
    assert.equal(lines[1].status, 403);
  });

  it('writes an HTTP API stage line per request, in its format', async () => {
    const gw2 = platform.client(ApiGatewayV2Client);
    const id = (await gw2.send(new CreateApiCommand({ Name: 'logged-http', ProtocolType: 'HTTP' }))).ApiId!;
    const integration = await gw2.send(new CreateIntegrationCommand({ ApiId: id, IntegrationType: 'HTTP_PROXY', IntegrationMethod: 'ANY', IntegrationUri: 'http://127.0.0.1:1/unreachable', PayloadFormatVersion: '1.0' }));
    await gw2.send(new CreateRouteCommand({ ApiId: id, RouteKey: 'GET /x', Target: `integrations/${integration.IntegrationId}` }));
    await gw2.send(new CreateStageCommand({
      ApiId: id, StageName: 'live', AutoDeploy: true,
      AccessLogSettings: { DestinationArn: `arn:aws:logs:us-east-1:${platform.accountId}:log-group:${group}`, Format: '$context.routeKey $context.status $context.path' },
    }));
    const reply = await call(`${platform.endpoint}/_atoll/execute-api/${id}/live/x`);
    assert.equal(reply.status, 502);
    assert.deepEqual(await linesOf(`${id}_live`, 1), ['GET /x 502 /live/x']);
  });
});
