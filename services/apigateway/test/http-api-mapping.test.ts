// End-to-end: HTTP APIs' parameter mapping on HTTP_PROXY integrations (request headers, query
// and path; response status and headers) and the SQS first-class integration (SQS-SendMessage).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiGatewayV2Client, BadRequestException, CreateApiCommand, CreateIntegrationCommand, CreateRouteCommand, CreateStageCommand } from '@aws-sdk/client-apigatewayv2';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createServiceRole, startPlatform, type TestPlatform } from '@atoll/test-support';
import { call } from './http-call.js';

describe('HTTP API parameter mapping and AWS service integrations', () => {
  let platform: TestPlatform;
  let gw: ApiGatewayV2Client;
  let upstream: Server;
  let apiId: string;
  let base: string;

  before(async () => {
    platform = await startPlatform({ services: ['apigatewayv2', 'sqs', 'iam', 'sts'] });
    gw = platform.client(ApiGatewayV2Client);
    upstream = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'u1' });
      res.end(JSON.stringify({ url: req.url, from: req.headers['x-from'] ?? null, stage: req.headers['x-stage'] ?? null, dropped: req.headers['x-drop'] ?? null }));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    apiId = (await gw.send(new CreateApiCommand({ Name: 'mapped', ProtocolType: 'HTTP' }))).ApiId!;
    await gw.send(new CreateStageCommand({ ApiId: apiId, StageName: 'live', AutoDeploy: true }));
    base = `${platform.endpoint}/_atoll/execute-api/${apiId}/live`;
  });

  after(async () => {
    upstream?.close();
    await platform?.stop();
  });

  it('rewrites the request and the answer as the integration maps them', async () => {
    const integration = await gw.send(new CreateIntegrationCommand({
      ApiId: apiId, IntegrationType: 'HTTP_PROXY', IntegrationMethod: 'GET', PayloadFormatVersion: '1.0',
      IntegrationUri: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/ignored`,
      RequestParameters: {
        'overwrite:path': '/v2/items/$request.path.id',
        'append:header.x-from': 'user-$request.querystring.who',
        'overwrite:header.x-stage': '$context.stage',
        'remove:header.x-drop': "''",
        'remove:querystring.secret': "''",
      },
      ResponseParameters: { '200': { 'overwrite:statuscode': '202', 'append:header.x-mapped': 'seen-$response.header.x-upstream', 'remove:header.x-upstream': "''" } },
    }));
    await gw.send(new CreateRouteCommand({ ApiId: apiId, RouteKey: 'GET /items/{id}', Target: `integrations/${integration.IntegrationId}` }));
    const reply = await call(`${base}/items/42?who=ann&secret=s&keep=1`, { headers: { 'x-drop': 'gone' } });
    assert.equal(reply.status, 202);
    assert.equal(reply.headers['x-upstream'], undefined);
    assert.equal(reply.headers['x-mapped'], 'seen-u1');
    assert.deepEqual(JSON.parse(reply.body), { url: '/v2/items/42?who=ann&keep=1', from: 'user-ann', stage: 'live', dropped: null });
  });

  it('sends a message to SQS with the SQS-SendMessage integration', async () => {
    const sqs = platform.client(SQSClient);
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'orders' }))).QueueUrl!;
    await assert.rejects(
      gw.send(new CreateIntegrationCommand({ ApiId: apiId, IntegrationType: 'AWS_PROXY', IntegrationSubtype: 'SQS-SendMessage', PayloadFormatVersion: '1.0', RequestParameters: { QueueUrl: queueUrl } })),
      BadRequestException,
    );
    const integration = await gw.send(new CreateIntegrationCommand({
      ApiId: apiId, IntegrationType: 'AWS_PROXY', IntegrationSubtype: 'SQS-SendMessage', PayloadFormatVersion: '1.0',
      CredentialsArn: await createServiceRole(platform, 'apigw-sqs', { service: 'apigateway.amazonaws.com', policies: { send: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }] } }),
      RequestParameters: { QueueUrl: queueUrl, MessageBody: '$request.body.order', DelaySeconds: '0' },
    }));
    await gw.send(new CreateRouteCommand({ ApiId: apiId, RouteKey: 'POST /orders', Target: `integrations/${integration.IntegrationId}` }));
    const reply = await call(`${base}/orders`, { method: 'POST', body: JSON.stringify({ order: 'two coffees' }), headers: { 'content-type': 'application/json' } });
    assert.equal(reply.status, 200, reply.body);
    assert.match(JSON.parse(reply.body).MessageId, /^[0-9a-f-]{36}$/);
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
    assert.equal(received.Messages?.[0]?.Body, 'two coffees');

    // The call runs as the role: one without sqs:SendMessage is refused by SQS, one that does not trust API Gateway is a 500.
    const weak = await createServiceRole(platform, 'apigw-weak', { service: 'apigateway.amazonaws.com', policies: { none: [{ Effect: 'Allow', Action: 'sqs:GetQueueUrl', Resource: '*' }] } });
    const stranger = await createServiceRole(platform, 'lambda-only', { service: 'lambda.amazonaws.com' });
    for (const [path, role] of [['weak', weak], ['stranger', stranger]] as const) {
      const i = await gw.send(new CreateIntegrationCommand({
        ApiId: apiId, IntegrationType: 'AWS_PROXY', IntegrationSubtype: 'SQS-SendMessage', PayloadFormatVersion: '1.0', CredentialsArn: role,
        RequestParameters: { QueueUrl: queueUrl, MessageBody: 'x' },
      }));
      await gw.send(new CreateRouteCommand({ ApiId: apiId, RouteKey: `POST /${path}`, Target: `integrations/${i.IntegrationId}` }));
    }
    const denied = await call(`${base}/weak`, { method: 'POST' });
    assert.ok(denied.status === 403 || denied.status === 400, `${denied.status} ${denied.body}`);
    assert.match(JSON.parse(denied.body).__type, /AccessDenied/);
    const untrusted = await call(`${base}/stranger`, { method: 'POST' });
    assert.deepEqual([untrusted.status, JSON.parse(untrusted.body)], [500, { message: 'Internal Server Error' }]);
  });
});
