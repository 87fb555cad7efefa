// End-to-end: REST API methods with `AWS` integrations to SQS (a queue path, form body) and
// DynamoDB (action URIs, JSON bodies), mapped with VTL templates, with the backend's error status
// selecting an integration response.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  APIGatewayClient,
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  PutIntegrationCommand,
  PutIntegrationResponseCommand,
  PutMethodCommand,
} from '@aws-sdk/client-api-gateway';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

function call(url: string, method = 'GET', body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('AWS service integrations', () => {
  let platform: TestPlatform;

  before(async () => {
    platform = await startPlatform({ services: ['apigateway', 'apigatewayv2', 'sqs', 'dynamodb'] });
  });

  after(async () => {
    await platform?.stop();
  });

  it('sends to a queue and reads and writes a table through mapping templates', async () => {
    const gw = platform.client(APIGatewayClient);
    const sqs = platform.client(SQSClient);
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: 'from-api' }));
    await platform.client(DynamoDBClient).send(new CreateTableCommand({ TableName: 'things', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }));
    const api = await gw.send(new CreateRestApiCommand({ name: 'aws' }));
    const id = api.id!;
    const send = await gw.send(new CreateResourceCommand({ restApiId: id, parentId: api.rootResourceId!, pathPart: 'send' }));
    const things = await gw.send(new CreateResourceCommand({ restApiId: id, parentId: api.rootResourceId!, pathPart: 'things' }));
    const thing = await gw.send(new CreateResourceCommand({ restApiId: id, parentId: things.id!, pathPart: '{id}' }));
    const region = platform.region;

    await gw.send(new PutMethodCommand({ restApiId: id, resourceId: send.id!, httpMethod: 'POST', authorizationType: 'NONE' }));
    await gw.send(new PutIntegrationCommand({
      restApiId: id, resourceId: send.id!, httpMethod: 'POST', type: 'AWS', integrationHttpMethod: 'POST',
      uri: `arn:aws:apigateway:${region}:sqs:path/${platform.accountId}/from-api`,
      requestTemplates: { 'application/json': 'Action=SendMessage&MessageBody=$util.urlEncode($input.body)' },
    }));
    await gw.send(new PutIntegrationResponseCommand({ restApiId: id, resourceId: send.id!, httpMethod: 'POST', statusCode: '200', responseTemplates: { 'application/json': `{"sent": "$input.path('$.MessageId')"}` } }));

    await gw.send(new PutMethodCommand({ restApiId: id, resourceId: thing.id!, httpMethod: 'PUT', authorizationType: 'NONE' }));
    await gw.send(new PutIntegrationCommand({
      restApiId: id, resourceId: thing.id!, httpMethod: 'PUT', type: 'AWS', integrationHttpMethod: 'POST', uri: `arn:aws:apigateway:${region}:dynamodb:action/PutItem`,
      requestTemplates: { 'application/json': `{"TableName": "$stageVariables.table", "Item": {"id": {"S": "$input.params('id')"}, "v": {"S": "$util.escapeJavaScript($input.path('$.v'))"}}}` },
    }));
    await gw.send(new PutIntegrationResponseCommand({ restApiId: id, resourceId: thing.id!, httpMethod: 'PUT', statusCode: '204', responseTemplates: { 'application/json': '' } }));
    await gw.send(new PutIntegrationResponseCommand({ restApiId: id, resourceId: thing.id!, httpMethod: 'PUT', statusCode: '404', selectionPattern: '4\\d{2}', responseTemplates: { 'application/json': `{"error": "$input.path('$.__type')"}` } }));
    await gw.send(new PutMethodCommand({ restApiId: id, resourceId: thing.id!, httpMethod: 'GET', authorizationType: 'NONE' }));
    await gw.send(new PutIntegrationCommand({
      restApiId: id, resourceId: thing.id!, httpMethod: 'GET', type: 'AWS', integrationHttpMethod: 'POST', uri: `arn:aws:apigateway:${region}:dynamodb:action/GetItem`,
      requestTemplates: { 'application/json': `{"TableName": "$stageVariables.table", "Key": {"id": {"S": "$input.params('id')"}}}` },
    }));
    await gw.send(new PutIntegrationResponseCommand({ restApiId: id, resourceId: thing.id!, httpMethod: 'GET', statusCode: '200', responseTemplates: { 'application/json': `{"v": "$util.escapeJavaScript($input.path('$.Item.v.S'))"}` } }));
    await gw.send(new CreateDeploymentCommand({ restApiId: id, stageName: 'prod', variables: { table: 'things' } }));
    await gw.send(new CreateDeploymentCommand({ restApiId: id, stageName: 'broken', variables: { table: 'missing' } }));

    const base = `${platform.endpoint}/_atoll/execute-api/${id}`;
    const sent = await call(`${base}/prod/send`, 'POST', '{"hello":"queue & co"}');
    assert.equal(sent.status, 200, sent.body);
    assert.match(JSON.parse(sent.body).sent, /^[0-9a-f-]{36}$/);
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl!, WaitTimeSeconds: 1 }));
    assert.equal(received.Messages?.[0]?.Body, '{"hello":"queue & co"}');

    const put = await call(`${base}/prod/things/a1`, 'PUT', '{"v":"first \\"value\\""}');
    assert.equal(put.status, 204, put.body);
    const got = await call(`${base}/prod/things/a1`);
    assert.deepEqual(JSON.parse(got.body), { v: 'first "value"' });
    const missing = await call(`${base}/broken/things/a1`, 'PUT', '{"v":"x"}');
    assert.deepEqual([missing.status, JSON.parse(missing.body)], [404, { error: 'ResourceNotFoundException' }]);
  });
});
