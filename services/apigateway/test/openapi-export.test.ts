// End-to-end: GetExport (OpenAPI 3 and Swagger 2, JSON and YAML, with API Gateway's extensions)
// that imports back to a working API, PutRestApi in overwrite and merge modes, and ExportApi and
// ReimportApi for HTTP APIs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import {
  APIGatewayClient,
  BadRequestException,
  CreateDeploymentCommand,
  GetExportCommand,
  GetResourcesCommand,
  GetRestApiCommand,
  ImportRestApiCommand,
  NotFoundException,
  PutRestApiCommand,
} from '@aws-sdk/client-api-gateway';
import { ApiGatewayV2Client, CreateApiCommand, CreateIntegrationCommand, CreateRouteCommand, ExportApiCommand, GetRoutesCommand, ReimportApiCommand } from '@aws-sdk/client-apigatewayv2';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { call } from './http-call.js';

const mock = (body: string) => ({
  type: 'mock',
  requestTemplates: { 'application/json': '{"statusCode": 200}' },
  responses: { default: { statusCode: '200', responseTemplates: { 'application/json': body } } },
});

const DEFINITION = {
  openapi: '3.0.1',
  info: { title: 'petstore', version: '1' },
  'x-amazon-apigateway-binary-media-types': ['image/png'],
  'x-amazon-apigateway-request-validators': { body: { validateRequestBody: true, validateRequestParameters: false } },
  'x-amazon-apigateway-gateway-responses': { BAD_REQUEST_BODY: { statusCode: '422', responseTemplates: { 'application/json': '{"bad":$context.error.messageString}' } } },
  paths: {
    '/pets': {
      post: {
        'x-amazon-apigateway-request-validator': 'body',
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Pet' } } } },
        responses: { '200': { description: 'ok' } },
        'x-amazon-apigateway-integration': mock('{"created":true}'),
      },
    },
    '/pets/{id}': {
      get: { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': { description: 'ok' } }, 'x-amazon-apigateway-integration': mock('{"id":"$input.params(\'id\')"}') },
    },
  },
  components: { schemas: { Pet: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } },
};

describe('OpenAPI export, PutRestApi and ReimportApi', () => {
  let platform: TestPlatform;
  let gw: APIGatewayClient;
  let apiId: string;

  before(async () => {
    platform = await startPlatform({ services: ['apigateway', 'apigatewayv2', 'iam', 'sts'] });
    gw = platform.client(APIGatewayClient);
    const api = await gw.send(new ImportRestApiCommand({ body: Buffer.from(JSON.stringify(DEFINITION)) }));
    apiId = api.id!;
    assert.deepEqual(api.binaryMediaTypes, ['image/png']);
    await gw.send(new CreateDeploymentCommand({ restApiId: apiId, stageName: 'prod' }));
  });

  after(() => platform?.stop());

  it('imports models, validators and gateway responses that the data plane applies', async () => {
    const base = `${platform.endpoint}/_atoll/execute-api/${apiId}/prod`;
    const bad = await call(`${base}/pets`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.deepEqual([bad.status, JSON.parse(bad.body)], [422, { bad: 'Invalid request body' }]);
    const good = await call(`${base}/pets`, { method: 'POST', body: '{"name":"rex"}', headers: { 'content-type': 'application/json' } });
    assert.deepEqual([good.status, JSON.parse(good.body)], [200, { created: true }]);
  });

  it('exports a stage as OpenAPI 3 or Swagger 2, JSON or YAML, and the export imports back to a working API', async () => {
    const out = await gw.send(new GetExportCommand({ restApiId: apiId, stageName: 'prod', exportType: 'oas30', parameters: { extensions: 'apigateway' } }));
    assert.equal(out.contentType, 'application/json');
    const doc = JSON.parse(Buffer.from(out.body!).toString('utf8'));
    assert.equal(doc.openapi, '3.0.1');
    assert.deepEqual(Object.keys(doc.paths).sort(), ['/pets', '/pets/{id}']);
    assert.equal(doc.paths['/pets'].post['x-amazon-apigateway-integration'].type, 'mock');
    assert.equal(doc.paths['/pets'].post['x-amazon-apigateway-request-validator'], 'body');
    assert.deepEqual(doc.components.schemas.Pet.required, ['name']);
    assert.equal(doc['x-amazon-apigateway-gateway-responses'].BAD_REQUEST_BODY.statusCode, '422');
    assert.deepEqual(doc['x-amazon-apigateway-binary-media-types'], ['image/png']);

    const plain = JSON.parse(Buffer.from((await gw.send(new GetExportCommand({ restApiId: apiId, stageName: 'prod', exportType: 'oas30' }))).body!).toString('utf8'));
    assert.equal(plain.paths['/pets'].post['x-amazon-apigateway-integration'], undefined, 'no extensions unless asked for');
    const swagger = await gw.send(new GetExportCommand({ restApiId: apiId, stageName: 'prod', exportType: 'swagger', accepts: 'application/yaml', parameters: { extensions: 'integrations' } }));
    assert.equal(swagger.contentType, 'application/yaml');
    const sdoc = parseYaml(Buffer.from(swagger.body!).toString('utf8'));
    assert.equal(sdoc.swagger, '2.0');
    assert.equal(sdoc.basePath, '/prod');
    await assert.rejects(gw.send(new GetExportCommand({ restApiId: apiId, stageName: 'prod', exportType: 'raml' })), BadRequestException);
    await assert.rejects(gw.send(new GetExportCommand({ restApiId: apiId, stageName: 'nope', exportType: 'oas30' })), NotFoundException);

    const copy = await gw.send(new ImportRestApiCommand({ body: out.body! }));
    await gw.send(new CreateDeploymentCommand({ restApiId: copy.id!, stageName: 'v1' }));
    const reply = await call(`${platform.endpoint}/_atoll/execute-api/${copy.id}/v1/pets/7`);
    assert.deepEqual([reply.status, JSON.parse(reply.body)], [200, { id: '7' }]);
    const invalid = await call(`${platform.endpoint}/_atoll/execute-api/${copy.id}/v1/pets`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(invalid.status, 422, 'the validator, model and gateway response came along');
  });

  it('puts a definition into an existing API: merge adds, overwrite replaces', async () => {
    const extra = { openapi: '3.0.1', info: { title: 'petstore', version: '2' }, paths: { '/health': { get: { responses: { '200': { description: 'ok' } }, 'x-amazon-apigateway-integration': mock('{"ok":true}') } } } };
    await gw.send(new PutRestApiCommand({ restApiId: apiId, mode: 'merge', body: Buffer.from(JSON.stringify(extra)) }));
    const merged = (await gw.send(new GetResourcesCommand({ restApiId: apiId }))).items!.map((r) => r.path).sort();
    assert.deepEqual(merged, ['/', '/health', '/pets', '/pets/{id}']);
    await gw.send(new PutRestApiCommand({ restApiId: apiId, mode: 'overwrite', body: Buffer.from(JSON.stringify({ ...extra, info: { title: 'health-only', version: '3' } })) }));
    const replaced = (await gw.send(new GetResourcesCommand({ restApiId: apiId }))).items!.map((r) => r.path).sort();
    assert.deepEqual(replaced, ['/', '/health']);
    assert.equal((await gw.send(new GetRestApiCommand({ restApiId: apiId }))).name, 'health-only');
    await gw.send(new CreateDeploymentCommand({ restApiId: apiId, stageName: 'prod' }));
    assert.equal((await call(`${platform.endpoint}/_atoll/execute-api/${apiId}/prod/pets/1`)).status, 403);
    assert.deepEqual(JSON.parse((await call(`${platform.endpoint}/_atoll/execute-api/${apiId}/prod/health`)).body), { ok: true });
    await assert.rejects(gw.send(new PutRestApiCommand({ restApiId: apiId, body: Buffer.from('{"openapi":"3.0.1","paths":{}}') })), BadRequestException, 'info.title is required');
  });

  it('exports an HTTP API and reimports a definition over its routes', async () => {
    const gw2 = platform.client(ApiGatewayV2Client);
    const id = (await gw2.send(new CreateApiCommand({ Name: 'orders', ProtocolType: 'HTTP', CorsConfiguration: { AllowOrigins: ['*'] } }))).ApiId!;
    const integration = await gw2.send(new CreateIntegrationCommand({ ApiId: id, IntegrationType: 'HTTP_PROXY', IntegrationMethod: 'GET', IntegrationUri: 'http://127.0.0.1:9/orders', PayloadFormatVersion: '1.0' }));
    await gw2.send(new CreateRouteCommand({ ApiId: id, RouteKey: 'GET /orders/{id}', Target: `integrations/${integration.IntegrationId}` }));
    const exported = await gw2.send(new ExportApiCommand({ ApiId: id, Specification: 'OAS30', OutputType: 'YAML' }));
    const doc = parseYaml(Buffer.from(exported.body!).toString('utf8'));
    assert.equal(doc.info.title, 'orders');
    assert.equal(doc.paths['/orders/{id}'].get['x-amazon-apigateway-integration'].uri, 'http://127.0.0.1:9/orders');
    assert.deepEqual(doc['x-amazon-apigateway-cors'].allowOrigins, ['*']);
    doc.paths = { '/items': { post: doc.paths['/orders/{id}'].get } };
    await gw2.send(new ReimportApiCommand({ ApiId: id, Body: JSON.stringify(doc) }));
    assert.deepEqual((await gw2.send(new GetRoutesCommand({ ApiId: id }))).Items?.map((r) => r.RouteKey), ['POST /items']);
  });
});
