// End-to-end: REST APIs made with @aws-sdk/client-api-gateway (resources, methods, integrations,
// deployments, stages, API keys and usage plans) and called over HTTP on both invoke forms.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import AdmZip from 'adm-zip';
import { AddPermissionCommand, CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  APIGatewayClient,
  BadRequestException,
  ConflictException,
  CreateApiKeyCommand,
  CreateAuthorizerCommand,
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  GetResourcesCommand,
  GetStageCommand,
  NotFoundException,
  PutIntegrationCommand,
  PutIntegrationResponseCommand,
  PutMethodCommand,
  UpdateStageCommand,
} from '@aws-sdk/client-api-gateway';
import { createLambdaRole, startPlatform, type TestPlatform } from '@atoll/test-support';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; host?: string } = {}): Promise<Reply> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: u.port, path: `${u.pathname}${u.search}`, method: options.method ?? 'GET', headers: { ...(options.host ? { host: options.host } : {}), ...options.headers } },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const AUTHORIZER = `exports.handler = async (event) => {
  if (event.authorizationToken === 'boom') throw new Error('Unauthorized');
  const effect = event.authorizationToken === 'allow' ? 'Allow' : 'Deny';
  return { principalId: 'user-7', policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: event.methodArn }] }, context: { tier: 'gold' } };
};`;

const FUNCTION = `exports.handler = async (event) => {
  if (event.path.endsWith('/broken')) return { body: 'no status code' };
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, multiValueHeaders: { 'x-multi': ['a', 'b'] }, body: JSON.stringify(event) };
};`;

describe('REST APIs', () => {
  let platform: TestPlatform;
  let gw: APIGatewayClient;
  let upstream: Server;
  let upstreamUrl: string;
  let fnArn: string;
  let authArn: string;

  before(async () => {
    platform = await startPlatform({ services: ['apigateway', 'apigatewayv2', 'lambda', 'iam', 'sts'] });
    gw = platform.client(APIGatewayClient);
    const lambda = platform.client(LambdaClient);
    upstream = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, url: req.url }));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const role = await createLambdaRole(platform, 'rest-fn', {});
    const archive = new AdmZip();
    archive.addFile('index.js', Buffer.from(FUNCTION));
    fnArn = (await lambda.send(new CreateFunctionCommand({ FunctionName: 'rest-echo', Runtime: 'nodejs22.x', Role: role, Handler: 'index.handler', Code: { ZipFile: archive.toBuffer() } }))).FunctionArn!;
    const authZip = new AdmZip();
    authZip.addFile('index.js', Buffer.from(AUTHORIZER));
    authArn = (await lambda.send(new CreateFunctionCommand({ FunctionName: 'rest-auth', Runtime: 'nodejs22.x', Role: role, Handler: 'index.handler', Code: { ZipFile: authZip.toBuffer() } }))).FunctionArn!;
    await lambda.send(new AddPermissionCommand({ FunctionName: 'rest-auth', StatementId: 'apigw', Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' }));
  });

  after(async () => {
    upstream?.close();
    await platform?.stop();
  });

  async function restApi(name: string) {
    const api = await gw.send(new CreateRestApiCommand({ name }));
    return { id: api.id!, root: api.rootResourceId! };
  }

  it('serves Lambda proxy and HTTP proxy resources with path parameters and {proxy+}', async () => {
    const { id, root } = await restApi('shop');
    const items = await gw.send(new CreateResourceCommand({ restApiId: id, parentId: root, pathPart: 'items' }));
    const item = await gw.send(new CreateResourceCommand({ restApiId: id, parentId: items.id!, pathPart: '{id}' }));
    assert.equal(item.path, '/items/{id}');
    await assert.rejects(gw.send(new CreateResourceCommand({ restApiId: id, parentId: root, pathPart: 'items' })), ConflictException);
    const proxy = await gw.send(new CreateResourceCommand({ restApiId: id, parentId: root, pathPart: '{proxy+}' }));
    await gw.send(new PutMethodCommand({ restApiId: id, resourceId: item.id!, httpMethod: 'GET', authorizationType: 'NONE' }));
    await gw.send(new PutIntegrationCommand({ restApiId: id, resourceId: item.id!, httpMethod: 'GET', type: 'AWS_PROXY', integrationHttpMethod: 'POST', uri: `arn:aws:apigateway:${platform.region}:lambda:path/2015-03-31/functions/${fnArn}/invocations` }));
    await gw.send(new PutMethodCommand({ restApiId: id, resourceId: proxy.id!, httpMethod: 'ANY', authorizationType: 'NONE' }));
    await gw.send(new PutIntegrationCommand({ restApiId: id, resourceId: proxy.id!, httpMethod: 'ANY', type: 'HTTP_PROXY', integrationHttpMethod: 'ANY', uri: `${upstreamUrl}/{proxy}` }));
    await gw.send(new CreateDeploymentCommand({ restApiId: id, stageName: 'prod', variables: { tier: 'gold' } }));
    const resources = await gw.send(new GetResourcesCommand({ restApiId: id }));
    assert.equal(resources.items!.length, 4);
    const host = `${id}.execute-api.localhost:${new URL(platform.endpoint).port}`;

    // Without the permission, API Gateway may not invoke the function.
    const refused = await call(`${platform.endpoint}/prod/items/9`, { host });
    assert.deepEqual([refused.status, JSON.parse(refused.body)], [500, { message: 'Internal server error' }]);
    await platform.client(LambdaClient).send(new AddPermissionCommand({ FunctionName: 'rest-echo', StatementId: 'apigw', Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com', SourceArn: `arn:aws:execute-api:${platform.region}:${platform.accountId}:${id}/*/GET/items/{id}` }));

    const reply = await call(`${platform.endpoint}/prod/items/9?q=1&q=2`, { host });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-multi'], 'a, b');
    const event = JSON.parse(reply.body);
    assert.equal(event.resource, '/items/{id}');
    assert.equal(event.path, '/items/9');
    assert.deepEqual(event.pathParameters, { id: '9' });
    assert.deepEqual(event.multiValueQueryStringParameters, { q: ['1', '2'] });
    assert.deepEqual(event.queryStringParameters, { q: '2' });
    assert.deepEqual(event.stageVariables, { tier: 'gold' });
    assert.equal(event.requestContext.stage, 'prod');
    assert.equal(event.requestContext.path, '/prod/items/9');

    const broken = await call(`${platform.endpoint}/_atoll/execute-api/${id}/prod/items/broken`);
    assert.deepEqual([broken.status, JSON.parse(broken.body)], [502, { message: 'Internal server error' }]);

    const proxied = await call(`${platform.endpoint}/_atoll/execute-api/${id}/prod/a/b?c=d`, { method: 'DELETE' });
    assert.equal(proxied.status, 200);
    assert.deepEqual(JSON.parse(proxied.body), { method: 'DELETE', url: '/a/b?c=d' });

    const unknownStage = await call(`${platform.endpoint}/_atoll/execute-api/${id}/dev/items/1`);
    assert.deepEqual([unknownStage.status, JSON.parse(unknownStage.body)], [403, { message: 'Missing Authentication Token' }]);
    const noMethod = await call(`${platform.endpoint}/_atoll/execute-api/${id}/prod/items/1`, { method: 'POST' });
    assert.deepEqual([noMethod.status, JSON.parse(noMethod.body)], [403, { message: 'Missing Authentication Token' }]);
    const stage = await gw.send(new GetStageCommand({ restApiId: id, stageName: 'prod' }));
    assert.deepEqual(stage.variables, { tier: 'gold' });
    await gw.send(new UpdateStageCommand({ restApiId: id, stageName: 'prod', patchOperations: [{ op: 'replace', path: '/variables/tier', value: 'silver' }] }));
    assert.equal(JSON.parse((await call(`${platform.endpoint}/prod/items/3`, { host })).body).stageVariables.tier, 'silver');
  });

  it('answers a MOCK integration from its integration response', async () => {
    const { id, root } = await restApi('mock');
    await gw.send(new PutMethodCommand({ restApiId: id, resourceId: root, httpMethod: 'OPTIONS', authorizationType: 'NONE' }));
    await gw.send(new PutIntegrationCommand({ restApiId: id, resourceId: root, httpMethod: 'OPTIONS', type: 'MOCK', requestTemplates: { 'application/json': '{"statusCode": 200}' } }));
    await gw.send(new PutIntegrationResponseCommand({ restApiId: id, resourceId: root, httpMethod: 'OPTIONS', statusCode: '200', responseParameters: { 'method.response.header.Access-Control-Allow-Origin': "'*'" }, responseTemplates: { 'application/json': '{"ok":true}' } }));
    await gw.send(new CreateDeploymentCommand({ restApiId: id, stageName: 'test' }));
    const reply = await call(`${platform.endpoint}/_atoll/execute-api/${id}/test/`, { method: 'OPTIONS' });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['access-control-allow-origin'], '*');
    assert.deepEqual(JSON.parse(reply.body), { ok: true });
  });

  it('requires an API key in a usage plan, and throttles and counts it', async () => {
    const { id, root } = await restApi('keys');
    await gw.send(new PutMethodCommand({ restApiId: id, resourceId: root, httpMethod: 'GET', authorizationType: 'NONE', apiKeyRequired: true }));
    await gw.send(new PutIntegrationCommand({ restApiId: id, resourceId: root, httpMethod: 'GET', type: 'HTTP_PROXY', integrationHttpMethod: 'GET', uri: upstreamUrl }));
    await gw.send(new CreateDeploymentCommand({ restApiId: id, stageName: 'prod' }));
    await assert.rejects(gw.send(new CreateUsagePlanCommand({ name: 'bad', apiStages: [{ apiId: id, stage: 'nope' }] })), BadRequestException);
    const plan = await gw.send(new CreateUsagePlanCommand({ name: 'gold', apiStages: [{ apiId: id, stage: 'prod' }], throttle: { rateLimit: 1, burstLimit: 3 }, quota: { limit: 4, period: 'DAY' } }));
    const key = await gw.send(new CreateApiKeyCommand({ name: 'k', enabled: true }));
    const disabled = await gw.send(new CreateApiKeyCommand({ name: 'off', enabled: false }));
    const url = `${platform.endpoint}/_atoll/execute-api/${id}/prod/`;
    assert.deepEqual(JSON.parse((await call(url)).body), { message: 'Forbidden' });
    assert.equal((await call(url, { headers: { 'x-api-key': key.value! } })).status, 403, 'the key is in no plan yet');
    await gw.send(new CreateUsagePlanKeyCommand({ usagePlanId: plan.id!, keyId: key.id!, keyType: 'API_KEY' }));
    await gw.send(new CreateUsagePlanKeyCommand({ usagePlanId: plan.id!, keyId: disabled.id!, keyType: 'API_KEY' }));
    assert.equal((await call(url, { headers: { 'x-api-key': disabled.value! } })).status, 403);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(url, { headers: { 'x-api-key': key.value! } })).status);
    assert.deepEqual(statuses, [200, 200, 200, 429], 'a burst of 3, then throttled');
    const throttled = await call(url, { headers: { 'x-api-key': key.value! } });
    assert.deepEqual(JSON.parse(throttled.body), { message: 'Too Many Requests' });
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await call(url, { headers: { 'x-api-key': key.value! } })).status, 200);
    await new Promise((r) => setTimeout(r, 1100));
    const overQuota = await call(url, { headers: { 'x-api-key': key.value! } });
    assert.deepEqual([overQuota.status, JSON.parse(overQuota.body)], [429, { message: 'Limit Exceeded' }]);
  });

  it('asks a Lambda TOKEN authorizer and throttles by the stage\'s method settings', async () => {
    const { id, root } = await restApi('authorized');
    const auth = await gw.send(new CreateAuthorizerCommand({ restApiId: id, name: 'token', type: 'TOKEN', authorizerUri: `arn:aws:apigateway:${platform.region}:lambda:path/2015-03-31/functions/${authArn}/invocations`, identitySource: 'method.request.header.Authorization', authorizerResultTtlInSeconds: 0 }));
    await gw.send(new PutMethodCommand({ restApiId: id, resourceId: root, httpMethod: 'GET', authorizationType: 'CUSTOM', authorizerId: auth.id }));
    await gw.send(new PutIntegrationCommand({ restApiId: id, resourceId: root, httpMethod: 'GET', type: 'HTTP_PROXY', integrationHttpMethod: 'GET', uri: upstreamUrl }));
    await gw.send(new CreateDeploymentCommand({ restApiId: id, stageName: 'prod' }));
    const url = `${platform.endpoint}/_atoll/execute-api/${id}/prod/`;
    assert.equal((await call(url, { headers: { authorization: 'allow' } })).status, 200);
    const denied = await call(url, { headers: { authorization: 'deny' } });
    assert.deepEqual([denied.status, JSON.parse(denied.body)], [403, { Message: 'User is not authorized to access this resource with an explicit deny' }]);
    assert.deepEqual([(await call(url)).status, JSON.parse((await call(url)).body)], [401, { message: 'Unauthorized' }]);
    assert.equal((await call(url, { headers: { authorization: 'boom' } })).status, 401);
    await gw.send(new UpdateStageCommand({ restApiId: id, stageName: 'prod', patchOperations: [
      { op: 'replace', path: '/*/*/throttling/rateLimit', value: '1' },
      { op: 'replace', path: '/*/*/throttling/burstLimit', value: '2' },
    ] }));
    const stage = await gw.send(new GetStageCommand({ restApiId: id, stageName: 'prod' }));
    assert.deepEqual(stage.methodSettings?.['*/*'], { throttlingRateLimit: 1, throttlingBurstLimit: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(url, { headers: { authorization: 'allow' } })).status);
    assert.deepEqual(statuses, [200, 200, 429]);
  });

  it('maps requests and responses with VTL templates for AWS (Lambda) and HTTP integrations', async () => {
    const { id, root } = await restApi('mapped');
    const mapped = await gw.send(new CreateResourceCommand({ restApiId: id, parentId: root, pathPart: 'mapped' }));
    const failing = await gw.send(new CreateResourceCommand({ restApiId: id, parentId: root, pathPart: 'failing' }));
    const http = await gw.send(new CreateResourceCommand({ restApiId: id, parentId: root, pathPart: 'http' }));
    const lambdaUri = `arn:aws:apigateway:${platform.region}:lambda:path/2015-03-31/functions/${fnArn}/invocations`;
    await gw.send(new PutMethodCommand({ restApiId: id, resourceId: mapped.id!, httpMethod: 'POST', authorizationType: 'NONE' }));
    await gw.send(new PutIntegrationCommand({
      restApiId: id, resourceId: mapped.id!, httpMethod: 'POST', type: 'AWS', integrationHttpMethod: 'POST', uri: lambdaUri,
      requestTemplates: { 'application/json': `{"path": "$context.resourcePath", "name": "$input.params('name')", "tier": "$stageVariables.tier", "note": "$util.escapeJavaScript($input.path('$.note'))", "n": $input.json('$.n')}` },
    }));
    await gw.send(new PutIntegrationResponseCommand({ restApiId: id, resourceId: mapped.id!, httpMethod: 'POST', statusCode: '200',
      responseTemplates: { 'application/json': `#set($event = $util.parseJson($input.path('$.body')))
{"name": "$event.name", "tier": "$event.tier", "note": "$util.escapeJavaScript($event.note)", "n": $event.n}` } }));
    await gw.send(new PutMethodCommand({ restApiId: id, resourceId: failing.id!, httpMethod: 'GET', authorizationType: 'NONE' }));
    await gw.send(new PutIntegrationCommand({ restApiId: id, resourceId: failing.id!, httpMethod: 'GET', type: 'AWS', integrationHttpMethod: 'POST', uri: lambdaUri, requestTemplates: { 'application/json': '{}' } }));
    await gw.send(new PutIntegrationResponseCommand({ restApiId: id, resourceId: failing.id!, httpMethod: 'GET', statusCode: '200' }));
    await gw.send(new PutIntegrationResponseCommand({ restApiId: id, resourceId: failing.id!, httpMethod: 'GET', statusCode: '400', selectionPattern: '.*endsWith.*',
      // Not escapeJavaScript: it escapes single quotes (as AWS's does), which JSON does not allow.
      responseTemplates: { 'application/json': `{"error": "$input.path('$.errorMessage')"}` } }));
    await gw.send(new PutMethodCommand({ restApiId: id, resourceId: http.id!, httpMethod: 'GET', authorizationType: 'NONE' }));
    await gw.send(new PutIntegrationCommand({ restApiId: id, resourceId: http.id!, httpMethod: 'GET', type: 'HTTP', integrationHttpMethod: 'GET', uri: `${upstreamUrl}/backend` }));
    await gw.send(new PutIntegrationResponseCommand({ restApiId: id, resourceId: http.id!, httpMethod: 'GET', statusCode: '202', responseParameters: { 'method.response.header.X-Backend': 'integration.response.header.content-type' },
      responseTemplates: { 'application/json': `{"seen": "$input.path('$.url')", "method": "$context.httpMethod"}` } }));
    await gw.send(new CreateDeploymentCommand({ restApiId: id, stageName: 'prod', variables: { tier: 'gold' } }));
    await platform.client(LambdaClient).send(new AddPermissionCommand({ FunctionName: 'rest-echo', StatementId: `apigw-${id}`, Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com', SourceArn: `arn:aws:execute-api:${platform.region}:${platform.accountId}:${id}/*` }));
    const base = `${platform.endpoint}/_atoll/execute-api/${id}/prod`;
    const reply = await call(`${base}/mapped?name=ada`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ note: 'say "hi"\nnow', n: [1, 2] }) });
    assert.equal(reply.status, 200, reply.body);
    assert.deepEqual(JSON.parse(reply.body), { name: 'ada', tier: 'gold', note: 'say "hi"\nnow', n: [1, 2] });
    const failed = await call(`${base}/failing`);
    assert.equal(failed.status, 400);
    assert.match(JSON.parse(failed.body).error, /endsWith/);
    const backend = await call(`${base}/http`);
    assert.deepEqual([backend.status, JSON.parse(backend.body), backend.headers['x-backend']], [202, { seen: '/backend', method: 'GET' }, 'application/json']);
  });

  it('answers the documented errors of the control plane', async () => {
    await assert.rejects(gw.send(new GetResourcesCommand({ restApiId: 'nosuchapi0' })), (e: unknown) => e instanceof NotFoundException && /Invalid API identifier specified/.test((e as Error).message));
    const { id } = await restApi('empty');
    await assert.rejects(gw.send(new CreateDeploymentCommand({ restApiId: id, stageName: 'x' })), (e: unknown) => e instanceof BadRequestException && /doesn't contain any methods/.test((e as Error).message));
  });
});
