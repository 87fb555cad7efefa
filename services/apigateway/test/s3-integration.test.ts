// End-to-end: a REST API in front of S3 by path (`arn:aws:apigateway:…:s3:path/{bucket}/{object}`),
// with integration request parameters mapping the method's path to the bucket and key, binary
// bodies passing through both ways, S3's errors selecting an integration response, and the calls
// running as the integration's credentials role.
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
} from '@aws-sdk/client-api-gateway';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createServiceRole, startPlatform, type TestPlatform } from '@atoll/test-support';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0x10]);

describe('REST API AWS integrations to S3 by path', () => {
  let platform: TestPlatform;
  let base: string;

  before(async () => {
    platform = await startPlatform({ services: ['apigateway', 's3', 'iam', 'sts'] });
    await platform.client(S3Client, { forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: 'photos' }));
    const role = await createServiceRole(platform, 'apigw-s3', { service: 'apigateway.amazonaws.com', policies: { s3: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::photos/*' }] } });
    const gw = platform.client(APIGatewayClient);
    const api = await gw.send(new CreateRestApiCommand({ name: 's3-proxy', binaryMediaTypes: ['image/png'] }));
    const id = api.id!;
    const folder = await gw.send(new CreateResourceCommand({ restApiId: id, parentId: api.rootResourceId!, pathPart: '{folder}' }));
    const item = await gw.send(new CreateResourceCommand({ restApiId: id, parentId: folder.id!, pathPart: '{item}' }));
    for (const verb of ['GET', 'PUT']) {
      await gw.send(new PutMethodCommand({ restApiId: id, resourceId: item.id!, httpMethod: verb, authorizationType: 'NONE', requestParameters: { 'method.request.path.folder': true, 'method.request.path.item': true } }));
      await gw.send(new PutIntegrationCommand({
        restApiId: id, resourceId: item.id!, httpMethod: verb, type: 'AWS', integrationHttpMethod: verb,
        uri: 'arn:aws:apigateway:us-east-1:s3:path/{bucket}/{object}',
        credentials: role,
        requestParameters: { 'integration.request.path.bucket': 'method.request.path.folder', 'integration.request.path.object': 'method.request.path.item' },
      }));
      await gw.send(new PutMethodResponseCommand({ restApiId: id, resourceId: item.id!, httpMethod: verb, statusCode: '200', responseParameters: { 'method.response.header.Content-Type': true } }));
      await gw.send(new PutMethodResponseCommand({ restApiId: id, resourceId: item.id!, httpMethod: verb, statusCode: '404' }));
      await gw.send(new PutIntegrationResponseCommand({
        restApiId: id, resourceId: item.id!, httpMethod: verb, statusCode: '200',
        responseParameters: { 'method.response.header.Content-Type': 'integration.response.header.Content-Type' },
      }));
      await gw.send(new PutIntegrationResponseCommand({
        restApiId: id, resourceId: item.id!, httpMethod: verb, statusCode: '404', selectionPattern: '404',
        responseTemplates: { 'application/json': '{"missing":"$input.params(\'item\')"}' },
      }));
    }
    await gw.send(new CreateDeploymentCommand({ restApiId: id, stageName: 'prod' }));
    base = `${platform.endpoint}/_atoll/execute-api/${id}/prod`;
  });

  after(() => platform?.stop());

  it('writes and reads an object through the mapped bucket and key, bytes intact', async () => {
    const put = await fetch(`${base}/photos/cat.png`, { method: 'PUT', body: PNG, headers: { 'content-type': 'image/png' } });
    assert.equal(put.status, 200, await put.text());
    const stored = await platform.client(S3Client, { forcePathStyle: true }).send(new GetObjectCommand({ Bucket: 'photos', Key: 'cat.png' }));
    assert.deepEqual(Buffer.from(await stored.Body!.transformToByteArray()), PNG);
    assert.equal(stored.ContentType, 'image/png');
    const got = await fetch(`${base}/photos/cat.png`);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), PNG);
  });

  it('selects the integration response by S3 error status', async () => {
    const missing = await fetch(`${base}/photos/dog.png`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { missing: 'dog.png' });
  });

  it('acts as the credentials role: a bucket its policy does not name is refused by S3', async () => {
    await platform.client(S3Client, { forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: 'private' }));
    const refused = await fetch(`${base}/private/secret.txt`, { method: 'PUT', body: 'x', headers: { 'content-type': 'text/plain' } });
    assert.equal(refused.status, 200, 'the default integration response answers');
    assert.equal(JSON.parse(await refused.text()).__type, 'AccessDenied');
  });
});
