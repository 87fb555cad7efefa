// End-to-end: a REST API's binary media types decide which request bodies are binary;
// CONVERT_TO_TEXT hands them to a mapped integration base64-encoded, and an integration response
// with CONVERT_TO_BINARY answers bytes decoded from its base64 body.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  APIGatewayClient,
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  GetRestApiCommand,
  PutIntegrationCommand,
  PutIntegrationResponseCommand,
  PutMethodCommand,
  PutMethodResponseCommand,
  UpdateRestApiCommand,
} from '@aws-sdk/client-api-gateway';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);

describe('binary media types', () => {
  let platform: TestPlatform;
  let upstream: Server;
  let base: string;

  before(async () => {
    platform = await startPlatform({ services: ['apigateway', 'iam', 'sts'] });
    const gw = platform.client(APIGatewayClient);
    upstream = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ received: body }));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const api = await gw.send(new CreateRestApiCommand({ name: 'images', binaryMediaTypes: ['image/png'] }));
    const id = api.id!;
    await gw.send(new UpdateRestApiCommand({ restApiId: id, patchOperations: [{ op: 'add', path: '/binaryMediaTypes/application~1octet-stream' }] }));
    assert.deepEqual((await gw.send(new GetRestApiCommand({ restApiId: id }))).binaryMediaTypes, ['image/png', 'application/octet-stream']);
    const upload = await gw.send(new CreateResourceCommand({ restApiId: id, parentId: api.rootResourceId!, pathPart: 'upload' }));
    await gw.send(new PutMethodCommand({ restApiId: id, resourceId: upload.id!, httpMethod: 'POST', authorizationType: 'NONE' }));
    await gw.send(new PutIntegrationCommand({
      restApiId: id, resourceId: upload.id!, httpMethod: 'POST', type: 'HTTP', integrationHttpMethod: 'POST',
      uri: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/store`, contentHandling: 'CONVERT_TO_TEXT',
    }));
    await gw.send(new PutMethodResponseCommand({ restApiId: id, resourceId: upload.id!, httpMethod: 'POST', statusCode: '200' }));
    await gw.send(new PutIntegrationResponseCommand({ restApiId: id, resourceId: upload.id!, httpMethod: 'POST', statusCode: '200' }));
    const image = await gw.send(new CreateResourceCommand({ restApiId: id, parentId: api.rootResourceId!, pathPart: 'image' }));
    await gw.send(new PutMethodCommand({ restApiId: id, resourceId: image.id!, httpMethod: 'GET', authorizationType: 'NONE' }));
    await gw.send(new PutIntegrationCommand({ restApiId: id, resourceId: image.id!, httpMethod: 'GET', type: 'MOCK', requestTemplates: { 'application/json': '{"statusCode": 200}' } }));
    await gw.send(new PutMethodResponseCommand({ restApiId: id, resourceId: image.id!, httpMethod: 'GET', statusCode: '200' }));
    await gw.send(new PutIntegrationResponseCommand({
      restApiId: id, resourceId: image.id!, httpMethod: 'GET', statusCode: '200', contentHandling: 'CONVERT_TO_BINARY',
      responseParameters: { 'method.response.header.Content-Type': "'image/png'" },
      responseTemplates: { 'application/json': PNG.toString('base64') },
    }));
    await gw.send(new CreateDeploymentCommand({ restApiId: id, stageName: 'prod' }));
    base = `${platform.endpoint}/_atoll/execute-api/${id}/prod`;
  });

  after(async () => {
    upstream?.close();
    await platform?.stop();
  });

  it('hands a binary body to the integration base64-encoded with CONVERT_TO_TEXT', async () => {
    const reply = await fetch(`${base}/upload`, { method: 'POST', body: PNG, headers: { 'content-type': 'image/png' } });
    assert.equal(reply.status, 200);
    assert.deepEqual(await reply.json(), { received: PNG.toString('base64') });
    const text = await fetch(`${base}/upload`, { method: 'POST', body: 'plain words', headers: { 'content-type': 'text/plain' } });
    assert.deepEqual(await text.json(), { received: 'plain words' }, 'a type outside the list stays text');
  });

  it('answers bytes with CONVERT_TO_BINARY', async () => {
    const reply = await fetch(`${base}/image`);
    assert.equal(reply.status, 200);
    assert.equal(reply.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await reply.arrayBuffer()), PNG);
  });
});
