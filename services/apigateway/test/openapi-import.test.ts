// End-to-end: ImportApi (HTTP APIs, OpenAPI 3 in YAML) and ImportRestApi (REST APIs, Swagger 2 in
// JSON) with API Gateway's extensions, then the imported APIs serving requests; invalid input
// answers BadRequestException naming the problem and leaves no API behind.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiGatewayV2Client, BadRequestException as V2BadRequest, CreateStageCommand, GetApisCommand, GetRoutesCommand, ImportApiCommand } from '@aws-sdk/client-apigatewayv2';
import { APIGatewayClient, BadRequestException, CreateDeploymentCommand, GetResourcesCommand, ImportRestApiCommand } from '@aws-sdk/client-api-gateway';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('OpenAPI import', () => {
  let platform: TestPlatform;
  let upstream: Server;
  let upstreamUrl: string;

  before(async () => {
    platform = await startPlatform({ services: ['apigateway', 'apigatewayv2'] });
    upstream = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: req.url }));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });

  after(async () => {
    upstream?.close();
    await platform?.stop();
  });

  it('imports an HTTP API from OpenAPI 3 YAML and serves its routes', async () => {
    const v2 = platform.client(ApiGatewayV2Client);
    const body = `openapi: "3.0.1"
info:
  title: imported-http
  version: "1.0"
x-amazon-apigateway-cors:
  allowOrigins: ["*"]
paths:
  /pets/{id}:
    get:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: ${upstreamUrl}/animals/{id}
        payloadFormatVersion: "1.0"
  /health:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: ${upstreamUrl}/ok
        payloadFormatVersion: "1.0"
`;
    const api = await v2.send(new ImportApiCommand({ Body: body }));
    assert.equal(api.Name, 'imported-http');
    assert.deepEqual(api.CorsConfiguration?.AllowOrigins, ['*']);
    const routes = await v2.send(new GetRoutesCommand({ ApiId: api.ApiId! }));
    assert.deepEqual(routes.Items!.map((r) => r.RouteKey).sort(), ['ANY /health', 'GET /pets/{id}']);
    await v2.send(new CreateStageCommand({ ApiId: api.ApiId!, StageName: '$default', AutoDeploy: true }));
    const reply = await get(`${platform.endpoint}/_atoll/execute-api/${api.ApiId}/pets/7`, { origin: 'https://x.example' });
    assert.equal(reply.status, 200);
    assert.deepEqual(JSON.parse(reply.body), { url: '/animals/7' });
    assert.equal(reply.headers['access-control-allow-origin'], '*');
  });

  it('imports a REST API from Swagger 2 JSON with a MOCK and an HTTP_PROXY method', async () => {
    const gw = platform.client(APIGatewayClient);
    const swagger = {
      swagger: '2.0',
      info: { title: 'imported-rest', version: '1' },
      paths: {
        '/items/{id}': { get: { 'x-amazon-apigateway-integration': { type: 'http_proxy', httpMethod: 'GET', uri: `${upstreamUrl}/things/{id}` } } },
        '/ping': {
          get: {
            'x-amazon-apigateway-integration': {
              type: 'mock',
              requestTemplates: { 'application/json': '{"statusCode": 200}' },
              responses: { default: { statusCode: '200', responseTemplates: { 'application/json': '{"pong":true}' } } },
            },
          },
        },
      },
    };
    const api = await gw.send(new ImportRestApiCommand({ body: Buffer.from(JSON.stringify(swagger)) }));
    assert.equal(api.name, 'imported-rest');
    const resources = await gw.send(new GetResourcesCommand({ restApiId: api.id! }));
    assert.deepEqual(resources.items!.map((r) => r.path).sort(), ['/', '/items', '/items/{id}', '/ping']);
    await gw.send(new CreateDeploymentCommand({ restApiId: api.id!, stageName: 'v1' }));
    assert.deepEqual(JSON.parse((await get(`${platform.endpoint}/_atoll/execute-api/${api.id}/v1/ping`)).body), { pong: true });
    assert.deepEqual(JSON.parse((await get(`${platform.endpoint}/_atoll/execute-api/${api.id}/v1/items/3`)).body), { url: '/things/3' });
  });

  it('refuses invalid definitions with BadRequestException and keeps nothing of them', async () => {
    const v2 = platform.client(ApiGatewayV2Client);
    const before = (await v2.send(new GetApisCommand({}))).Items!.length;
    await assert.rejects(v2.send(new ImportApiCommand({ Body: 'openapi: [unclosed' })), (e: unknown) => e instanceof V2BadRequest && /Invalid OpenAPI input/.test((e as Error).message));
    await assert.rejects(v2.send(new ImportApiCommand({ Body: '{"openapi":"3.0.1","paths":{}}' })), (e: unknown) => e instanceof V2BadRequest && /info.title/.test((e as Error).message));
    const badRoute = JSON.stringify({ openapi: '3.0.1', info: { title: 'bad' }, paths: { '/a': { get: { 'x-amazon-apigateway-integration': { type: 'aws_proxy' } } } } });
    await assert.rejects(v2.send(new ImportApiCommand({ Body: badRoute })), V2BadRequest);
    assert.equal((await v2.send(new GetApisCommand({}))).Items!.length, before, 'a failed import leaves no API');
    const gw = platform.client(APIGatewayClient);
    await assert.rejects(gw.send(new ImportRestApiCommand({ body: Buffer.from('{"swagger":"1.2"}') })), (e: unknown) => e instanceof BadRequestException && /swagger/.test((e as Error).message));
  });
});
