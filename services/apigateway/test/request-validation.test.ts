// End-to-end: REST APIs' models, request validators and gateway responses through
// @aws-sdk/client-api-gateway, and the data plane's 400s and custom refusals.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  APIGatewayClient,
  BadRequestException,
  ConflictException,
  CreateDeploymentCommand,
  CreateModelCommand,
  CreateRequestValidatorCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  DeleteModelCommand,
  GetGatewayResponseCommand,
  GetGatewayResponsesCommand,
  GetModelsCommand,
  GetResourcesCommand,
  NotFoundException,
  PutGatewayResponseCommand,
  PutIntegrationCommand,
  PutIntegrationResponseCommand,
  PutMethodCommand,
  PutMethodResponseCommand,
} from '@aws-sdk/client-api-gateway';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { call } from './http-call.js';

const PET = JSON.stringify({
  $schema: 'http://json-schema.org/draft-04/schema#',
  type: 'object',
  required: ['name', 'price'],
  properties: { name: { type: 'string' }, price: { type: 'number', minimum: 0 } },
});

describe('request validation and gateway responses', () => {
  let platform: TestPlatform;
  let gw: APIGatewayClient;
  let apiId: string;
  let base: string;

  before(async () => {
    platform = await startPlatform({ services: ['apigateway', 'iam', 'sts'] });
    gw = platform.client(APIGatewayClient);
    const api = await gw.send(new CreateRestApiCommand({ name: 'pets' }));
    apiId = api.id!;
    base = `${platform.endpoint}/_atoll/execute-api/${apiId}/prod`;
    await gw.send(new CreateModelCommand({ restApiId: apiId, name: 'Pet', contentType: 'application/json', schema: PET }));
    const all = await gw.send(new CreateRequestValidatorCommand({ restApiId: apiId, name: 'all', validateRequestBody: true, validateRequestParameters: true }));
    const pets = await gw.send(new CreateResourceCommand({ restApiId: apiId, parentId: api.rootResourceId!, pathPart: 'pets' }));
    await gw.send(new PutMethodCommand({
      restApiId: apiId, resourceId: pets.id!, httpMethod: 'POST', authorizationType: 'NONE', requestValidatorId: all.id!,
      requestModels: { 'application/json': 'Pet' },
      requestParameters: { 'method.request.querystring.store': true, 'method.request.header.x-trace': true, 'method.request.querystring.optional': false },
    }));
    await gw.send(new PutIntegrationCommand({ restApiId: apiId, resourceId: pets.id!, httpMethod: 'POST', type: 'MOCK', requestTemplates: { 'application/json': '{"statusCode": 201}' } }));
    await gw.send(new PutMethodResponseCommand({ restApiId: apiId, resourceId: pets.id!, httpMethod: 'POST', statusCode: '201' }));
    await gw.send(new PutIntegrationResponseCommand({ restApiId: apiId, resourceId: pets.id!, httpMethod: 'POST', statusCode: '201', responseTemplates: { 'application/json': '{"created":true}' } }));
    await gw.send(new CreateDeploymentCommand({ restApiId: apiId, stageName: 'prod' }));
  });

  after(() => platform?.stop());

  it('checks models and validators at the control plane', async () => {
    await assert.rejects(gw.send(new CreateModelCommand({ restApiId: apiId, name: 'Pet', contentType: 'application/json', schema: PET })), ConflictException);
    await assert.rejects(gw.send(new CreateModelCommand({ restApiId: apiId, name: 'Bad', contentType: 'application/json', schema: '{nope' })), BadRequestException);
    await assert.rejects(gw.send(new CreateModelCommand({ restApiId: apiId, name: 'has-dash', contentType: 'application/json', schema: '{}' })), BadRequestException);
    await assert.rejects(gw.send(new DeleteModelCommand({ restApiId: apiId, modelName: 'Pet' })), ConflictException, 'a method uses it');
    const root = (await gw.send(new GetResourcesCommand({ restApiId: apiId }))).items!.find((r) => r.path === '/')!;
    await assert.rejects(gw.send(new PutMethodCommand({ restApiId: apiId, resourceId: root.id!, httpMethod: 'GET', authorizationType: 'NONE', requestValidatorId: 'nope12' })), NotFoundException);
    assert.deepEqual((await gw.send(new GetModelsCommand({ restApiId: apiId }))).items?.map((m) => m.name), ['Pet']);
  });

  it('answers missing required parameters and an invalid body with 400, and lets a valid request through', async () => {
    const good = { method: 'POST', body: JSON.stringify({ name: 'rex', price: 3 }), headers: { 'content-type': 'application/json', 'x-trace': 't' } };
    const missing = await call(`${base}/pets`, good);
    assert.equal(missing.status, 400);
    assert.deepEqual(JSON.parse(missing.body), { message: 'Missing required request parameters: [store]' });
    assert.equal(missing.headers['x-amzn-errortype'], 'BadRequestException');
    const noHeader = await call(`${base}/pets?store=1`, { ...good, headers: { 'content-type': 'application/json' } });
    assert.deepEqual(JSON.parse(noHeader.body), { message: 'Missing required request parameters: [x-trace]' });
    const badBody = await call(`${base}/pets?store=1`, { ...good, body: JSON.stringify({ name: 'rex', price: -1 }) });
    assert.deepEqual([badBody.status, JSON.parse(badBody.body)], [400, { message: 'Invalid request body' }]);
    const notJson = await call(`${base}/pets?store=1`, { ...good, body: '{' });
    assert.equal(notJson.status, 400);
    const ok = await call(`${base}/pets?store=1`, good);
    assert.deepEqual([ok.status, JSON.parse(ok.body)], [201, { created: true }]);
  });

  it('serves the default gateway responses until the API sets its own, which apply once deployed', async () => {
    const throttled = await gw.send(new GetGatewayResponseCommand({ restApiId: apiId, responseType: 'THROTTLED' }));
    assert.deepEqual([throttled.statusCode, throttled.defaultResponse], ['429', true]);
    assert.equal((await gw.send(new GetGatewayResponsesCommand({ restApiId: apiId, limit: 500 }))).items?.length, 21);
    await gw.send(new PutGatewayResponseCommand({
      restApiId: apiId, responseType: 'BAD_REQUEST_BODY', statusCode: '422',
      responseParameters: { 'gatewayresponse.header.x-reason': "'schema'", 'gatewayresponse.header.x-trace-back': 'method.request.header.x-trace' },
      responseTemplates: { 'application/json': '{"error":$context.error.messageString,"details":"$util.escapeJavaScript($context.error.validationErrorString)","type":"$context.error.responseType"}' },
    }));
    await gw.send(new PutGatewayResponseCommand({ restApiId: apiId, responseType: 'DEFAULT_4XX', responseTemplates: { 'application/json': '{"oops":$context.error.messageString}' } }));
    const before = await call(`${base}/pets?store=1`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', 'x-trace': 't' } });
    assert.equal(before.status, 400, 'not deployed yet');
    await gw.send(new CreateDeploymentCommand({ restApiId: apiId, stageName: 'prod' }));
    const custom = await call(`${base}/pets?store=1`, { method: 'POST', body: '{"name":"rex"}', headers: { 'content-type': 'application/json', 'x-trace': 't-9' } });
    assert.equal(custom.status, 422);
    assert.equal(custom.headers['x-reason'], 'schema');
    assert.equal(custom.headers['x-trace-back'], 't-9');
    const parsed = JSON.parse(custom.body);
    assert.equal(parsed.error, 'Invalid request body');
    assert.equal(parsed.type, 'BAD_REQUEST_BODY');
    assert.match(parsed.details, /missing required properties \(\[\\?"price\\?"\]\)/);
    const unknown = await call(`${base}/nowhere`);
    assert.deepEqual([unknown.status, JSON.parse(unknown.body)], [403, { oops: 'Missing Authentication Token' }], 'DEFAULT_4XX covers the other 4xx types');
  });
});
