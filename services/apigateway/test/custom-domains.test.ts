// End-to-end: custom domain names through both SDKs (REST APIs' base path mappings, HTTP APIs' API
// mappings, one resource seen twice) and the data plane choosing the API and stage from the Host
// header and the longest mapping key.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  APIGatewayClient,
  BadRequestException,
  ConflictException as ConflictV1,
  CreateBasePathMappingCommand,
  CreateDeploymentCommand,
  CreateDomainNameCommand as CreateDomainNameV1,
  CreateResourceCommand,
  CreateRestApiCommand,
  DeleteBasePathMappingCommand,
  GetBasePathMappingsCommand,
  GetDomainNameCommand as GetDomainNameV1,
  NotFoundException as NotFoundV1,
  PutIntegrationCommand,
  PutIntegrationResponseCommand,
  PutMethodCommand,
  PutMethodResponseCommand,
  UpdateBasePathMappingCommand,
} from '@aws-sdk/client-api-gateway';
import {
  ApiGatewayV2Client,
  ConflictException,
  CreateApiCommand,
  CreateApiMappingCommand,
  CreateDomainNameCommand,
  DeleteDomainNameCommand,
  GetApiMappingsCommand,
  GetDomainNameCommand,
  GetDomainNamesCommand,
  NotFoundException,
  UpdateApiCommand,
} from '@aws-sdk/client-apigatewayv2';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { call } from './http-call.js';

describe('custom domain names', () => {
  let platform: TestPlatform;
  let gw: APIGatewayClient;
  let gw2: ApiGatewayV2Client;
  let upstream: Server;
  let port: string;
  let restId: string;
  let httpId: string;

  before(async () => {
    platform = await startPlatform({ services: ['apigateway', 'apigatewayv2', 'iam', 'sts'] });
    gw = platform.client(APIGatewayClient);
    gw2 = platform.client(ApiGatewayV2Client);
    port = new URL(platform.endpoint).port;
    upstream = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ upstream: true, url: req.url }));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    // A REST API whose MOCK method answers with its stage and resource path.
    const api = await gw.send(new CreateRestApiCommand({ name: 'orders' }));
    restId = api.id!;
    const hello = await gw.send(new CreateResourceCommand({ restApiId: restId, parentId: api.rootResourceId!, pathPart: 'hello' }));
    await gw.send(new PutMethodCommand({ restApiId: restId, resourceId: hello.id!, httpMethod: 'GET', authorizationType: 'NONE' }));
    await gw.send(new PutIntegrationCommand({ restApiId: restId, resourceId: hello.id!, httpMethod: 'GET', type: 'MOCK', requestTemplates: { 'application/json': '{"statusCode": 200}' } }));
    await gw.send(new PutMethodResponseCommand({ restApiId: restId, resourceId: hello.id!, httpMethod: 'GET', statusCode: '200' }));
    await gw.send(new PutIntegrationResponseCommand({
      restApiId: restId, resourceId: hello.id!, httpMethod: 'GET', statusCode: '200',
      responseTemplates: { 'application/json': '{"api":"rest","stage":"$context.stage","resource":"$context.resourcePath"}' },
    }));
    await gw.send(new CreateDeploymentCommand({ restApiId: restId, stageName: 'prod' }));
    await gw.send(new CreateDeploymentCommand({ restApiId: restId, stageName: 'beta' }));
    const http = await gw2.send(new CreateApiCommand({ Name: 'catalog', ProtocolType: 'HTTP', Target: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` }));
    httpId = http.ApiId!;
  });

  after(async () => {
    upstream?.close();
    await platform?.stop();
  });

  it('creates a domain name once, and shows it through both models', async () => {
    const created = await gw.send(new CreateDomainNameV1({ domainName: 'API.Shop.localhost', endpointConfiguration: { types: ['REGIONAL'] }, regionalCertificateArn: 'arn:aws:acm:us-east-1:000000000000:certificate/x' }));
    assert.equal(created.domainName, 'api.shop.localhost');
    assert.equal(created.domainNameStatus, 'AVAILABLE');
    assert.match(created.regionalDomainName!, /^d-[a-z0-9]+\.execute-api\.us-east-1\.amazonaws\.com$/);
    await assert.rejects(gw.send(new CreateDomainNameV1({ domainName: 'api.shop.localhost' })), ConflictV1);
    await assert.rejects(gw2.send(new CreateDomainNameCommand({ DomainName: 'api.shop.localhost' })), ConflictException);
    await assert.rejects(gw.send(new CreateDomainNameV1({ domainName: 'not a name' })), BadRequestException);
    await assert.rejects(gw.send(new CreateDomainNameV1({ domainName: '127.0.0.1' })), BadRequestException, 'the platform answers on its own address');
    await assert.rejects(gw2.send(new CreateDomainNameCommand({ DomainName: 'abc123.execute-api.localhost' })), /Invalid domain name/);
    const seen = await gw2.send(new GetDomainNameCommand({ DomainName: 'api.shop.localhost' }));
    assert.equal(seen.DomainNameConfigurations?.[0]?.EndpointType, 'REGIONAL');
    assert.equal(seen.DomainNameConfigurations?.[0]?.CertificateArn, 'arn:aws:acm:us-east-1:000000000000:certificate/x');
    await assert.rejects(gw.send(new GetDomainNameV1({ domainName: 'missing.localhost' })), NotFoundV1);
  });

  it('routes on the Host header to the mapping with the longest base path, and answers 403 where none maps', async () => {
    const domain = 'api.shop.localhost';
    await gw.send(new CreateBasePathMappingCommand({ domainName: domain, restApiId: restId, stage: 'prod', basePath: 'orders' }));
    await gw.send(new CreateBasePathMappingCommand({ domainName: domain, restApiId: restId, basePath: 'any' }));
    await gw2.send(new CreateApiMappingCommand({ DomainName: domain, ApiId: httpId, Stage: '$default', ApiMappingKey: 'catalog/v1' }));
    await assert.rejects(gw.send(new CreateBasePathMappingCommand({ domainName: domain, restApiId: restId, stage: 'prod', basePath: 'orders' })), ConflictV1);
    await assert.rejects(gw.send(new CreateBasePathMappingCommand({ domainName: domain, restApiId: restId, stage: 'nope', basePath: 'x' })), BadRequestException);
    await assert.rejects(gw2.send(new CreateApiMappingCommand({ DomainName: domain, ApiId: 'missing123', Stage: 'prod' })), NotFoundException);

    const rest = await call(`${platform.endpoint}/orders/hello`, { host: `${domain}:${port}` });
    assert.equal(rest.status, 200, rest.body);
    assert.deepEqual(JSON.parse(rest.body), { api: 'rest', stage: 'prod', resource: '/hello' });
    // A mapping without a stage takes the stage from the next segment.
    const beta = await call(`${platform.endpoint}/any/beta/hello`, { host: domain.toUpperCase() });
    assert.deepEqual(JSON.parse(beta.body), { api: 'rest', stage: 'beta', resource: '/hello' });
    const http = await call(`${platform.endpoint}/catalog/v1/items/3?x=1`, { host: `${domain}:${port}` });
    assert.equal(http.status, 200, http.body);
    assert.deepEqual(JSON.parse(http.body), { upstream: true, url: '/items/3?x=1' });
    const unmapped = await call(`${platform.endpoint}/elsewhere`, { host: domain });
    assert.deepEqual([unmapped.status, JSON.parse(unmapped.body)], [403, { message: 'Forbidden' }]);

    const listed = await gw.send(new GetBasePathMappingsCommand({ domainName: domain }));
    assert.deepEqual(listed.items?.map((m) => m.basePath).sort(), ['any', 'catalog/v1', 'orders']);
    const v2 = await gw2.send(new GetApiMappingsCommand({ DomainName: domain, MaxResults: '2' }));
    assert.equal(v2.Items?.length, 2);
    assert.ok(v2.NextToken);
  });

  it('serves an API whose execute-api endpoint is disabled on its custom domain only', async () => {
    const gw2c = gw2;
    await gw2c.send(new UpdateApiCommand({ ApiId: httpId, DisableExecuteApiEndpoint: true }));
    const direct = await call(`${platform.endpoint}/_atoll/execute-api/${httpId}/items/1`);
    assert.deepEqual([direct.status, JSON.parse(direct.body)], [403, { message: 'Forbidden' }]);
    const viaDomain = await call(`${platform.endpoint}/catalog/v1/items/1`, { host: 'api.shop.localhost' });
    assert.equal(viaDomain.status, 200);
    await gw2c.send(new UpdateApiCommand({ ApiId: httpId, DisableExecuteApiEndpoint: false }));
    assert.equal((await call(`${platform.endpoint}/_atoll/execute-api/${httpId}/items/1`)).status, 200);
  });

  it('follows a changed or deleted mapping at once, and forgets a deleted domain', async () => {
    const domain = 'api.shop.localhost';
    await gw.send(new UpdateBasePathMappingCommand({ domainName: domain, basePath: 'orders', patchOperations: [{ op: 'replace', path: '/stage', value: 'beta' }] }));
    const moved = await call(`${platform.endpoint}/orders/hello`, { host: domain });
    assert.equal(JSON.parse(moved.body).stage, 'beta');
    await gw.send(new DeleteBasePathMappingCommand({ domainName: domain, basePath: 'orders' }));
    assert.equal((await call(`${platform.endpoint}/orders/hello`, { host: domain })).status, 403);
    await gw.send(new CreateBasePathMappingCommand({ domainName: domain, restApiId: restId, stage: 'prod' }));
    const root = await call(`${platform.endpoint}/hello`, { host: domain });
    assert.deepEqual(JSON.parse(root.body), { api: 'rest', stage: 'prod', resource: '/hello' });
    assert.equal((await gw2.send(new GetDomainNamesCommand({}))).Items?.length, 1);
    await gw2.send(new DeleteDomainNameCommand({ DomainName: domain }));
    await assert.rejects(gw2.send(new GetApiMappingsCommand({ DomainName: domain })), NotFoundException);
    // The host is no longer the gateway's: the request goes to the AWS API edge instead.
    const gone = await call(`${platform.endpoint}/hello`, { host: domain });
    assert.notEqual(gone.status, 200);
  });
});
