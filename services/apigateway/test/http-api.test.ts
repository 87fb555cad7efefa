// End-to-end: HTTP APIs made with @aws-sdk/client-apigatewayv2 and called over HTTP on the host
// form and the path form: HTTP_PROXY to a local upstream, Lambda proxy (payload 2.0 and 1.0), JWT
// authorizers against a JWKS served on this machine, Lambda REQUEST authorizers, CORS, and the
// documented answers for unknown stages and routes and broken functions.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import AdmZip from 'adm-zip';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { AddPermissionCommand, CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  ApiGatewayV2Client,
  CreateApiCommand,
  CreateAuthorizerCommand,
  CreateDeploymentCommand,
  CreateIntegrationCommand,
  CreateRouteCommand,
  CreateStageCommand,
  DeleteApiCommand,
  GetApiCommand,
  GetRoutesCommand,
  NotFoundException,
  ConflictException,
  UpdateStageCommand,
} from '@aws-sdk/client-apigatewayv2';
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

const FUNCTION = `exports.handler = async (event) => {
  if (event.rawPath && event.rawPath.endsWith('/broken')) return 'not a proxy result';
  if (event.path && event.path.endsWith('/broken')) return 'not a proxy result';
  if ((event.rawPath || event.path || '').endsWith('/throws')) throw new Error('boom');
  return { statusCode: 201, headers: { 'x-from': 'lambda' }, body: JSON.stringify(event) };
};`;

const AUTHORIZER = `exports.handler = async (event) => ({ isAuthorized: event.identitySource[0] === 'let-me-in', context: { who: 'tester' } });`;

describe('HTTP APIs', () => {
  let platform: TestPlatform;
  let v2: ApiGatewayV2Client;
  let lambda: LambdaClient;
  let upstream: Server;
  let upstreamUrl: string;
  let jwks: Server;
  let issuer: string;
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let fnArn: string;
  let authArn: string;
  const port = () => new URL(platform.endpoint).port;

  before(async () => {
    platform = await startPlatform({ services: ['apigateway', 'apigatewayv2', 'lambda', 'iam', 'sts'] });
    v2 = platform.client(ApiGatewayV2Client);
    lambda = platform.client(LambdaClient);
    upstream = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
        res.end(JSON.stringify({ method: req.method, url: req.url, body, forwardedFor: req.headers['x-forwarded-for'] }));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const keys = await generateKeyPair('RS256');
    privateKey = keys.privateKey;
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/.well-known/openid-configuration') res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/keys` }));
      else res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    issuer = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
    const role = await createLambdaRole(platform, 'apigw-fn', {});
    const zip = (code: string) => {
      const archive = new AdmZip();
      archive.addFile('index.js', Buffer.from(code));
      return archive.toBuffer();
    };
    fnArn = (await lambda.send(new CreateFunctionCommand({ FunctionName: 'apigw-echo', Runtime: 'nodejs22.x', Role: role, Handler: 'index.handler', Code: { ZipFile: zip(FUNCTION) } }))).FunctionArn!;
    authArn = (await lambda.send(new CreateFunctionCommand({ FunctionName: 'apigw-auth', Runtime: 'nodejs22.x', Role: role, Handler: 'index.handler', Code: { ZipFile: zip(AUTHORIZER) } }))).FunctionArn!;
    for (const name of ['apigw-echo', 'apigw-auth']) {
      await lambda.send(new AddPermissionCommand({ FunctionName: name, StatementId: 'apigw', Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com', SourceArn: `arn:aws:execute-api:${platform.region}:${platform.accountId}:*` }));
    }
  });

  after(async () => {
    upstream?.close();
    jwks?.close();
    await platform?.stop();
  });

  it('quick-creates an HTTP_PROXY API served at $default on the host form and the path form', async () => {
    const api = await v2.send(new CreateApiCommand({ Name: 'proxy', ProtocolType: 'HTTP', Target: upstreamUrl }));
    assert.match(api.ApiId!, /^[a-z0-9]{10}$/);
    assert.equal(api.ApiEndpoint, `http://${api.ApiId}.execute-api.${platform.region}.localhost:${port()}`);
    const byHost = await call(`${platform.endpoint}/items/7?x=1`, { method: 'POST', body: 'hello', host: `${api.ApiId}.execute-api.localhost:${port()}` });
    assert.equal(byHost.status, 200);
    assert.equal(byHost.headers['x-upstream'], 'yes');
    const seen = JSON.parse(byHost.body);
    assert.deepEqual([seen.method, seen.url, seen.body], ['POST', '/items/7?x=1', 'hello']);
    assert.equal(seen.forwardedFor, '127.0.0.1');
    const byPath = await call(`${platform.endpoint}/_atoll/execute-api/${api.ApiId}/other`);
    assert.equal(byPath.status, 200);
    assert.equal(JSON.parse(byPath.body).url, '/other');
    const routes = await v2.send(new GetRoutesCommand({ ApiId: api.ApiId! }));
    assert.equal(routes.Items![0]!.RouteKey, '$default');
  });

  it('routes to Lambda with payload 2.0 and 1.0, picking the most specific route', async () => {
    const api = await v2.send(new CreateApiCommand({ Name: 'fn', ProtocolType: 'HTTP' }));
    const id = api.ApiId!;
    const v2i = await v2.send(new CreateIntegrationCommand({ ApiId: id, IntegrationType: 'AWS_PROXY', IntegrationUri: fnArn, PayloadFormatVersion: '2.0' }));
    const v1i = await v2.send(new CreateIntegrationCommand({ ApiId: id, IntegrationType: 'AWS_PROXY', IntegrationUri: `arn:aws:apigateway:${platform.region}:lambda:path/2015-03-31/functions/${fnArn}/invocations`, PayloadFormatVersion: '1.0' }));
    await v2.send(new CreateRouteCommand({ ApiId: id, RouteKey: 'GET /items/{id}', Target: `integrations/${v2i.IntegrationId}` }));
    await v2.send(new CreateRouteCommand({ ApiId: id, RouteKey: 'ANY /{proxy+}', Target: `integrations/${v1i.IntegrationId}` }));
    await assert.rejects(v2.send(new CreateRouteCommand({ ApiId: id, RouteKey: 'GET /items/{id}', Target: `integrations/${v2i.IntegrationId}` })), ConflictException);
    await v2.send(new CreateStageCommand({ ApiId: id, StageName: 'prod', AutoDeploy: true, StageVariables: { color: 'blue' } }));
    const host = `${id}.execute-api.${platform.region}.localhost:${port()}`;
    const one = await call(`${platform.endpoint}/prod/items/42?a=1&a=2`, { host, headers: { cookie: 'c1=v1; c2=v2' } });
    assert.equal(one.status, 201);
    assert.equal(one.headers['x-from'], 'lambda');
    const event = JSON.parse(one.body);
    assert.equal(event.version, '2.0');
    assert.equal(event.routeKey, 'GET /items/{id}');
    assert.equal(event.rawPath, '/prod/items/42');
    assert.deepEqual(event.pathParameters, { id: '42' });
    assert.deepEqual(event.queryStringParameters, { a: '1,2' });
    assert.deepEqual(event.cookies, ['c1=v1', 'c2=v2']);
    assert.deepEqual(event.stageVariables, { color: 'blue' });
    assert.equal(event.requestContext.stage, 'prod');
    assert.equal(event.requestContext.http.method, 'GET');
    const other = await call(`${platform.endpoint}/prod/things/a/b`, { host, method: 'PUT', body: '{"k":1}', headers: { 'content-type': 'application/json' } });
    const v1event = JSON.parse(other.body);
    assert.equal(v1event.version, '1.0');
    assert.equal(v1event.resource, '/{proxy+}');
    assert.deepEqual(v1event.pathParameters, { proxy: 'things/a/b' });
    assert.equal(v1event.body, '{"k":1}');
    assert.equal(v1event.httpMethod, 'PUT');
    const missingStage = await call(`${platform.endpoint}/dev/items/1`, { host });
    assert.deepEqual([missingStage.status, JSON.parse(missingStage.body)], [404, { message: 'Not Found' }]);
    const broken = await call(`${platform.endpoint}/prod/items/broken`, { host });
    assert.equal(broken.status, 200, 'a 2.0 result without statusCode is a 200 JSON body');
    assert.equal(broken.body, 'not a proxy result');
    const throws = await call(`${platform.endpoint}/prod/x/throws`, { host });
    assert.deepEqual([throws.status, JSON.parse(throws.body)], [500, { message: 'Internal Server Error' }]);
    const got = await v2.send(new GetApiCommand({ ApiId: id }));
    assert.equal(got.Name, 'fn');
  });

  it('serves a stage from its deployment until it is deployed again', async () => {
    const api = await v2.send(new CreateApiCommand({ Name: 'deployed', ProtocolType: 'HTTP' }));
    const id = api.ApiId!;
    const integration = await v2.send(new CreateIntegrationCommand({ ApiId: id, IntegrationType: 'HTTP_PROXY', IntegrationUri: `${upstreamUrl}/fixed`, IntegrationMethod: 'GET' }));
    await v2.send(new CreateRouteCommand({ ApiId: id, RouteKey: 'GET /a', Target: `integrations/${integration.IntegrationId}` }));
    await v2.send(new CreateStageCommand({ ApiId: id, StageName: 'v1' }));
    const path = `${platform.endpoint}/_atoll/execute-api/${id}/v1/a`;
    assert.equal((await call(path)).status, 404, 'nothing is deployed yet');
    await v2.send(new CreateDeploymentCommand({ ApiId: id, StageName: 'v1' }));
    const reply = await call(path);
    assert.equal(reply.status, 200);
    assert.equal(JSON.parse(reply.body).url, '/fixed');
    await v2.send(new CreateRouteCommand({ ApiId: id, RouteKey: 'GET /b', Target: `integrations/${integration.IntegrationId}` }));
    assert.equal((await call(`${platform.endpoint}/_atoll/execute-api/${id}/v1/b`)).status, 404, 'a new route waits for a deployment');
  });

  it('checks JWTs against the issuer\'s JWKS, with audience and scopes', async () => {
    const api = await v2.send(new CreateApiCommand({ Name: 'jwt', ProtocolType: 'HTTP' }));
    const id = api.ApiId!;
    const authorizer = await v2.send(new CreateAuthorizerCommand({ ApiId: id, Name: 'jwt', AuthorizerType: 'JWT', IdentitySource: ['$request.header.Authorization'], JwtConfiguration: { Issuer: issuer, Audience: ['my-app'] } }));
    const integration = await v2.send(new CreateIntegrationCommand({ ApiId: id, IntegrationType: 'AWS_PROXY', IntegrationUri: fnArn, PayloadFormatVersion: '2.0' }));
    await v2.send(new CreateRouteCommand({ ApiId: id, RouteKey: 'GET /me', Target: `integrations/${integration.IntegrationId}`, AuthorizationType: 'JWT', AuthorizerId: authorizer.AuthorizerId }));
    await v2.send(new CreateRouteCommand({ ApiId: id, RouteKey: 'GET /admin', Target: `integrations/${integration.IntegrationId}`, AuthorizationType: 'JWT', AuthorizerId: authorizer.AuthorizerId, AuthorizationScopes: ['admin'] }));
    await v2.send(new CreateStageCommand({ ApiId: id, StageName: '$default', AutoDeploy: true }));
    const sign = (claims: Record<string, unknown>, aud = 'my-app', iss = issuer) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(iss).setAudience(aud).setSubject('user-1').setIssuedAt().setExpirationTime('5m').sign(privateKey);
    const url = `${platform.endpoint}/_atoll/execute-api/${id}`;
    const good = await call(`${url}/me`, { headers: { authorization: `Bearer ${await sign({ scope: 'read' })}` } });
    assert.equal(good.status, 201);
    const claims = JSON.parse(good.body).requestContext.authorizer.jwt.claims;
    assert.equal(claims.sub, 'user-1');
    const none = await call(`${url}/me`);
    assert.deepEqual([none.status, JSON.parse(none.body)], [401, { message: 'Unauthorized' }]);
    assert.equal((await call(`${url}/me`, { headers: { authorization: await sign({}, 'other-app') } })).status, 401);
    assert.equal((await call(`${url}/me`, { headers: { authorization: await sign({}, 'my-app', 'http://elsewhere') } })).status, 401);
    const scoped = await call(`${url}/admin`, { headers: { authorization: await sign({ scope: 'read' }) } });
    assert.deepEqual([scoped.status, JSON.parse(scoped.body)], [403, { message: 'Forbidden' }]);
    assert.equal((await call(`${url}/admin`, { headers: { authorization: await sign({ scope: 'read admin' }) } })).status, 201);
  });

  it('asks a Lambda REQUEST authorizer (simple responses) and answers CORS preflights', async () => {
    const api = await v2.send(new CreateApiCommand({ Name: 'lambda-auth', ProtocolType: 'HTTP', CorsConfiguration: { AllowOrigins: ['https://app.example'], AllowMethods: ['GET', 'POST'], AllowHeaders: ['authorization'], MaxAge: 60 } }));
    const id = api.ApiId!;
    const authorizer = await v2.send(new CreateAuthorizerCommand({ ApiId: id, Name: 'fn', AuthorizerType: 'REQUEST', AuthorizerUri: authArn, AuthorizerPayloadFormatVersion: '2.0', EnableSimpleResponses: true, IdentitySource: ['$request.header.x-token'], AuthorizerResultTtlInSeconds: 60 }));
    const integration = await v2.send(new CreateIntegrationCommand({ ApiId: id, IntegrationType: 'AWS_PROXY', IntegrationUri: fnArn, PayloadFormatVersion: '2.0' }));
    await v2.send(new CreateRouteCommand({ ApiId: id, RouteKey: 'GET /secret', Target: `integrations/${integration.IntegrationId}`, AuthorizationType: 'CUSTOM', AuthorizerId: authorizer.AuthorizerId }));
    await v2.send(new CreateStageCommand({ ApiId: id, StageName: '$default', AutoDeploy: true }));
    const url = `${platform.endpoint}/_atoll/execute-api/${id}/secret`;
    const allowed = await call(url, { headers: { 'x-token': 'let-me-in', origin: 'https://app.example' } });
    assert.equal(allowed.status, 201);
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://app.example');
    assert.deepEqual(JSON.parse(allowed.body).requestContext.authorizer, { lambda: { who: 'tester' } });
    assert.equal((await call(url, { headers: { 'x-token': 'nope' } })).status, 403);
    assert.equal((await call(url)).status, 401);
    const preflight = await call(url, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-methods'], 'GET,POST');
    assert.equal(preflight.headers['access-control-max-age'], '60');
  });

  it('throttles a route by the stage\'s route settings', async () => {
    const api = await v2.send(new CreateApiCommand({ Name: 'throttled', ProtocolType: 'HTTP', Target: upstreamUrl }));
    await v2.send(new UpdateStageCommand({ ApiId: api.ApiId!, StageName: '$default', DefaultRouteSettings: { ThrottlingRateLimit: 1, ThrottlingBurstLimit: 2 } }));
    const url = `${platform.endpoint}/_atoll/execute-api/${api.ApiId}/t`;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(url)).status);
    assert.deepEqual(statuses, [200, 200, 429]);
    assert.deepEqual(JSON.parse((await call(url)).body), { message: 'Too Many Requests' });
  });

  it('answers NotFoundException for an unknown API, and a deleted API stops serving', async () => {
    await assert.rejects(v2.send(new GetApiCommand({ ApiId: 'nosuchapi0' })), (e: unknown) => e instanceof NotFoundException && /Invalid API identifier/.test((e as Error).message));
    const api = await v2.send(new CreateApiCommand({ Name: 'gone', ProtocolType: 'HTTP', Target: upstreamUrl }));
    const url = `${platform.endpoint}/_atoll/execute-api/${api.ApiId}/x`;
    assert.equal((await call(url)).status, 200);
    await v2.send(new DeleteApiCommand({ ApiId: api.ApiId! }));
    assert.equal((await call(url)).status, 403);
  });
});
