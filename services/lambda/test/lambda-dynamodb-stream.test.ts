import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LambdaClient, CreateFunctionCommand, CreateEventSourceMappingCommand, GetEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { DynamoDBClient, CreateTableCommand, PutItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createLambdaRole, startPlatform, type TestPlatform } from '@atoll/test-support';
import { zip, ROLE } from './helpers.js';

let platform: TestPlatform;
let lambda: LambdaClient;
let dynamodb: DynamoDBClient;

before(async () => {
  platform = await startPlatform({ services: ['lambda', 'dynamodb', 'dynamodbstreams', 'iam', 'sts'] });
  // The execution role the functions name (ROLE): Lambda assumes it as lambda.amazonaws.com.
  await createLambdaRole(platform);
  lambda = platform.client(LambdaClient);
  dynamodb = platform.client(DynamoDBClient);
});

after(async () => {
  await platform.stop();
});

test('items written to a table reach a function through its stream, which writes them on with its own credentials', async () => {
  const source = await dynamodb.send(new CreateTableCommand({
    TableName: 'orders',
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
  }));
  await dynamodb.send(new CreateTableCommand({
    TableName: 'seen',
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  }));
  await lambda.send(new CreateFunctionCommand({
    FunctionName: 'order-copier',
    Runtime: 'nodejs20.x',
    Role: ROLE,
    Handler: 'index.handler',
    Timeout: 10,
    Code: { ZipFile: zip({ 'index.js': `const { DynamoDBClient, PutItemCommand } = require('@aws-sdk/client-dynamodb');
const db = new DynamoDBClient({});
exports.handler = async (event) => { for (const r of event.Records) await db.send(new PutItemCommand({ TableName: 'seen', Item: { id: r.dynamodb.Keys.id, source: { S: r.eventSource } } })); };` }) },
  }));
  const mapping = await lambda.send(new CreateEventSourceMappingCommand({
    FunctionName: 'order-copier',
    EventSourceArn: source.TableDescription!.LatestStreamArn!,
    StartingPosition: 'TRIM_HORIZON',
    BatchSize: 10,
  }));
  assert.equal(mapping.State, 'Creating');
  await dynamodb.send(new PutItemCommand({ TableName: 'orders', Item: { id: { S: 'o-1' } } }));
  let seen;
  for (let i = 0; i < 200 && !seen; i++) {
    seen = (await dynamodb.send(new GetItemCommand({ TableName: 'seen', Key: { id: { S: 'o-1' } } }))).Item;
    if (!seen) await new Promise((r) => setTimeout(r, 50));
  }
  assert.deepEqual(seen, { id: { S: 'o-1' }, source: { S: 'aws:dynamodb' } });
  const got = await lambda.send(new GetEventSourceMappingCommand({ UUID: mapping.UUID }));
  assert.equal(got.State, 'Enabled');
});
