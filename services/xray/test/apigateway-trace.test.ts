// API Gateway in the trace: a traced request records the stage segment (`AWS::ApiGateway::Stage`,
// `<apiId>/<stage>`), and its integrations get the trace with that segment as parent: a Lambda
// proxy function sees it as its event's X-Amzn-Trace-Id header and as _X_AMZN_TRACE_ID, an
// HTTP_PROXY upstream as its request's X-Amzn-Trace-Id. A stage with tracing enabled starts a
// trace for a request that carries none; a request without a trace on a plain stage records nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import AdmZip from 'adm-zip';
import { AddPermissionCommand, CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  APIGatewayClient,
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  CreateStageCommand,
  PutIntegrationCommand,
  PutMethodCommand,
} from '@aws-sdk/client-api-gateway';
import { BatchGetTracesCommand, GetGroupsCommand, GetServiceGraphCommand, GetTraceSummariesCommand, XRayClient } from '@aws-sdk/client-xray';
import { createLambdaRole, startPlatform, type TestPlatform } from '@atoll/test-support';

async function until<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: u.port, path: `${u.pathname}${u.search}`, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const newRoot = () => `1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
type Doc = { id: string; name: string; origin?: string; parent_id?: string; http?: { response?: { status?: number } } };

describe('API Gateway stages in the trace', () => {
  let p: TestPlatform;
  let xray: XRayClient;
  let gw: APIGatewayClient;
  let upstream: Server;
  let upstreamUrl: string;
  let apiId: string;
  const seen: IncomingHttpHeaders[] = [];
  before(async () => {
    p = await startPlatform({ services: ['xray', 'apigateway', 'lambda', 'iam', 'sts'] });
    xray = p.client(XRayClient);
    gw = p.client(APIGatewayClient);
    await xray.send(new GetGroupsCommand({}));
    upstream = createServer((req, res) => {
      seen.push(req.headers);
      res.end('upstream');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
    const role = await createLambdaRole(p, 'api-trace-role');
    const zip = new AdmZip();
    zip.addFile('index.js', Buffer.from(`exports.handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ header: event.headers['X-Amzn-Trace-Id'] ?? event.headers['x-amzn-trace-id'], env: process.env._X_AMZN_TRACE_ID }) });`));
    const lambda = p.client(LambdaClient);
    const fn = await lambda.send(new CreateFunctionCommand({ FunctionName: 'api-fn', Runtime: 'nodejs20.x', Role: role, Handler: 'index.handler', Code: { ZipFile: zip.toBuffer() } }));
    const api = await gw.send(new CreateRestApiCommand({ name: 'traced-api' }));
    apiId = api.id!;
    const fnRes = await gw.send(new CreateResourceCommand({ restApiId: apiId, parentId: api.rootResourceId!, pathPart: 'fn' }));
    await gw.send(new PutMethodCommand({ restApiId: apiId, resourceId: fnRes.id!, httpMethod: 'GET', authorizationType: 'NONE' }));
    await gw.send(new PutIntegrationCommand({ restApiId: apiId, resourceId: fnRes.id!, httpMethod: 'GET', type: 'AWS_PROXY', integrationHttpMethod: 'POST', uri: `arn:aws:apigateway:${p.region}:lambda:path/2015-03-31/functions/${fn.FunctionArn}/invocations` }));
    const upRes = await gw.send(new CreateResourceCommand({ restApiId: apiId, parentId: api.rootResourceId!, pathPart: 'up' }));
    await gw.send(new PutMethodCommand({ restApiId: apiId, resourceId: upRes.id!, httpMethod: 'GET', authorizationType: 'NONE' }));
    await gw.send(new PutIntegrationCommand({ restApiId: apiId, resourceId: upRes.id!, httpMethod: 'GET', type: 'HTTP_PROXY', integrationHttpMethod: 'GET', uri: `${upstreamUrl}/up` }));
    const deployment = await gw.send(new CreateDeploymentCommand({ restApiId: apiId, stageName: 'prod' }));
    await gw.send(new CreateStageCommand({ restApiId: apiId, stageName: 'traced', deploymentId: deployment.id!, tracingEnabled: true }));
    await lambda.send(new AddPermissionCommand({ FunctionName: 'api-fn', StatementId: 'apigw', Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com', SourceArn: `arn:aws:execute-api:${p.region}:${p.accountId}:${apiId}/*/GET/fn` }));
  });
  after(async () => {
    await p.stop();
    await new Promise((resolve) => upstream.close(resolve));
  });

  const url = (stage: string, path: string) => `${p.endpoint}/_atoll/execute-api/${apiId}/${stage}/${path}`;
  const segments = (root: string, ok: (docs: Doc[]) => boolean) =>
    until(async () => {
      const t = (await xray.send(new BatchGetTracesCommand({ TraceIds: [root] }))).Traces?.[0];
      const docs = (t?.Segments ?? []).map((s) => JSON.parse(s.Document!) as Doc);
      return ok(docs) && docs;
    }, `the segments of ${root}`);

  it('records the stage segment and hands the trace to a Lambda proxy function, shown as stage → function in GetServiceGraph', async () => {
    const started = new Date(Date.now() - 5_000);
    const root = newRoot();
    const caller = randomBytes(8).toString('hex');
    const reply = await get(url('prod', 'fn'), { 'x-amzn-trace-id': `Root=${root};Parent=${caller};Sampled=1` });
    assert.equal(reply.status, 200);
    const seenByFn = JSON.parse(reply.body) as { header: string; env: string };
    const docs = await segments(root, (d) => ['AWS::ApiGateway::Stage', 'AWS::Lambda', 'AWS::Lambda::Function'].every((o) => d.some((s) => s.origin === o)));
    const stage = docs.find((s) => s.origin === 'AWS::ApiGateway::Stage')!;
    const service = docs.find((s) => s.origin === 'AWS::Lambda')!;
    const fnSeg = docs.find((s) => s.origin === 'AWS::Lambda::Function')!;
    assert.equal(stage.name, `${apiId}/prod`);
    assert.equal(stage.parent_id, caller);
    assert.equal(stage.http!.response!.status, 200);
    assert.equal(seenByFn.header, `Root=${root};Parent=${stage.id};Sampled=1`);
    assert.equal(service.parent_id, stage.id);
    assert.equal(fnSeg.parent_id, service.id);
    assert.equal(seenByFn.env, `Root=${root};Parent=${fnSeg.id};Sampled=1`);
    const graph = await xray.send(new GetServiceGraphCommand({ StartTime: started, EndTime: new Date(Date.now() + 5_000) }));
    const stageNode = graph.Services!.find((s) => s.Type === 'AWS::ApiGateway::Stage')!;
    assert.equal(stageNode.Name, `${apiId}/prod`);
    const fnNode = graph.Services!.find((s) => s.Name === 'api-fn' && s.Type === 'AWS::Lambda')!;
    assert.deepEqual(stageNode.Edges!.map((e) => e.ReferenceId), [fnNode.ReferenceId]);
  });

  it('forwards the trace to an HTTP_PROXY upstream, and records nothing for an untraced request on a plain stage', async () => {
    const root = newRoot();
    assert.equal((await get(url('prod', 'up'), { 'x-amzn-trace-id': `Root=${root};Sampled=1` })).status, 200);
    const [stage] = await segments(root, (d) => d.length >= 1);
    assert.equal(seen.at(-1)!['x-amzn-trace-id'], `Root=${root};Parent=${stage!.id};Sampled=1`);
    const before = (await xray.send(new GetTraceSummariesCommand({ StartTime: new Date(Date.now() - 60_000), EndTime: new Date(Date.now() + 60_000) }))).TraceSummaries!.length;
    assert.equal((await get(url('prod', 'up'))).status, 200);
    assert.equal(seen.at(-1)!['x-amzn-trace-id'], undefined);
    // A traced marker request after the untraced one: once it is stored, the untraced one would be too.
    const marker = newRoot();
    await get(url('prod', 'up'), { 'x-amzn-trace-id': `Root=${marker};Sampled=1` });
    await segments(marker, (d) => d.length >= 1);
    const afterCount = (await xray.send(new GetTraceSummariesCommand({ StartTime: new Date(Date.now() - 60_000), EndTime: new Date(Date.now() + 60_000) }))).TraceSummaries!.length;
    assert.equal(afterCount, before + 1);
  });

  it('takes a W3C traceparent (whose trace id carries no time) as the caller\'s trace', async () => {
    const hex = randomBytes(16).toString('hex');
    const span = randomBytes(8).toString('hex');
    assert.equal((await get(url('prod', 'up'), { traceparent: `00-${hex}-${span}-01` })).status, 200);
    const root = `1-${hex.slice(0, 8)}-${hex.slice(8)}`;
    const [stage] = await segments(root, (d) => d.length >= 1);
    assert.equal(stage!.parent_id, span);
    assert.equal(seen.at(-1)!['x-amzn-trace-id'], `Root=${root};Parent=${stage!.id};Sampled=1`);
  });

  it('starts a trace on a stage with tracing enabled for a request that carries none', async () => {
    const since = new Date(Date.now() - 1_000);
    assert.equal((await get(url('traced', 'up'))).status, 200);
    const header = String(seen.at(-1)!['x-amzn-trace-id'] ?? '');
    const m = /^Root=(1-[0-9a-f]{8}-[0-9a-f]{24});Parent=([0-9a-f]{16});Sampled=1$/.exec(header);
    assert.ok(m, `the upstream got a new trace: ${header}`);
    const [stage] = await segments(m[1]!, (d) => d.length >= 1);
    assert.equal(stage!.name, `${apiId}/traced`);
    assert.equal(stage!.id, m[2]);
    assert.equal(stage!.parent_id, undefined);
    const summaries = await xray.send(new GetTraceSummariesCommand({ StartTime: since, EndTime: new Date(Date.now() + 60_000), FilterExpression: `service("${apiId}/traced")` }));
    assert.deepEqual(summaries.TraceSummaries!.map((s) => s.Id), [m[1]]);
  });
});
