import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  ListTablesCommand,
  ListTagsOfResourceCommand,
  TagResourceCommand,
  UpdateTableCommand,
  waitUntilTableExists,
  DescribeTimeToLiveCommand,
  UpdateTimeToLiveCommand,
  DescribeLimitsCommand,
  PutItemCommand,
  QueryCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { TestPlatform } from '@atoll/test-support';
import { createTable, failure, start } from './helpers.js';

describe('DynamoDB tables', () => {
  let platform: TestPlatform;
  let ddb: DynamoDBClient;
  before(async () => ({ platform, ddb } = await start()));
  after(async () => platform.stop());

  test('creates a table that the SDK waiter sees become ACTIVE', async () => {
    await createTable(ddb, 'lifecycle');
    const result = await waitUntilTableExists({ client: ddb, maxWaitTime: 20, minDelay: 1 }, { TableName: 'lifecycle' });
    assert.equal(result.state, 'SUCCESS');
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: 'lifecycle' }));
    assert.equal(Table!.TableStatus, 'ACTIVE');
    assert.equal(Table!.TableArn, `arn:aws:dynamodb:${platform.region}:${platform.accountId}:table/lifecycle`);
    assert.equal(Table!.BillingModeSummary!.BillingMode, 'PAY_PER_REQUEST');
  });

  test('returns ResourceInUseException for a table that exists', async () => {
    await createTable(ddb, 'twice');
    const err = await failure(() => createTable(ddb, 'twice'));
    assert.equal(err.name, 'ResourceInUseException');
    assert.equal(err.message, 'Table already exists: twice');
  });

  test('validates key schemas with DynamoDB messages', async () => {
    let err = await failure(() =>
      ddb.send(
        new CreateTableCommand({
          TableName: 'badkeys',
          AttributeDefinitions: [{ AttributeName: 'a', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'b', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      ),
    );
    assert.equal(err.name, 'ValidationException');
    assert.equal(err.message, 'One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [b], AttributeDefinitions: [a]');
    err = await failure(() =>
      ddb.send(
        new CreateTableCommand({
          TableName: 'badkeys',
          AttributeDefinitions: [{ AttributeName: 'a', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'a', KeyType: 'HASH' }],
        }),
      ),
    );
    assert.equal(err.message, 'One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED');
    err = await failure(() =>
      ddb.send(
        new CreateTableCommand({
          TableName: 'badkeys',
          AttributeDefinitions: [{ AttributeName: 'a', AttributeType: 'S' }, { AttributeName: 'b', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'a', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      ),
    );
    assert.equal(
      err.message,
      'One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions',
    );
  });

  test('lists tables with pagination', async () => {
    for (const n of ['page-a', 'page-b', 'page-c']) await createTable(ddb, n);
    const first = await ddb.send(new ListTablesCommand({ Limit: 2, ExclusiveStartTableName: 'page' }));
    assert.deepEqual(first.TableNames, ['page-a', 'page-b']);
    assert.equal(first.LastEvaluatedTableName, 'page-b');
    const second = await ddb.send(new ListTablesCommand({ Limit: 2, ExclusiveStartTableName: first.LastEvaluatedTableName }));
    assert.equal(second.TableNames![0], 'page-c');
  });

  test('deletes a table and then reports ResourceNotFoundException', async () => {
    await createTable(ddb, 'doomed');
    const { TableDescription } = await ddb.send(new DeleteTableCommand({ TableName: 'doomed' }));
    assert.equal(TableDescription!.TableStatus, 'DELETING');
    const err = await failure(() => ddb.send(new DescribeTableCommand({ TableName: 'doomed' })));
    assert.equal(err.name, 'ResourceNotFoundException');
    assert.equal(err.$metadata.httpStatusCode, 400);
    assert.equal(err.message, 'Requested resource not found: Table: doomed not found');
  });

  test('tags a table by ARN', async () => {
    await createTable(ddb, 'tagged');
    const arn = `arn:aws:dynamodb:${platform.region}:${platform.accountId}:table/tagged`;
    await ddb.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'team', Value: 'atoll' }] }));
    const { Tags } = await ddb.send(new ListTagsOfResourceCommand({ ResourceArn: arn }));
    assert.deepEqual(Tags, [{ Key: 'team', Value: 'atoll' }]);
  });

  test('adds a global secondary index with a backfill of existing items', async () => {
    await createTable(ddb, 'gsi-add');
    await ddb.send(new PutItemCommand({ TableName: 'gsi-add', Item: { pk: { S: 'p' }, sk: { S: '1' }, g: { S: 'G' } } }));
    await ddb.send(
      new UpdateTableCommand({
        TableName: 'gsi-add',
        AttributeDefinitions: [{ AttributeName: 'g', AttributeType: 'S' }],
        GlobalSecondaryIndexUpdates: [{ Create: { IndexName: 'byG', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } } }],
      }),
    );
    const { Items } = await ddb.send(
      new QueryCommand({ TableName: 'gsi-add', IndexName: 'byG', KeyConditionExpression: 'g = :g', ExpressionAttributeValues: { ':g': { S: 'G' } } }),
    );
    assert.equal(Items!.length, 1);
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: 'gsi-add' }));
    assert.equal(Table!.GlobalSecondaryIndexes![0]!.IndexStatus, 'ACTIVE');
    assert.equal(Table!.GlobalSecondaryIndexes![0]!.ItemCount, 1);
    assert.equal(Table!.ItemCount, 1);
    await ddb.send(new PutItemCommand({ TableName: 'gsi-add', Item: { pk: { S: 'p' }, sk: { S: '1' }, g: { S: 'G2' }, more: { S: 'x' } } }));
    await ddb.send(new PutItemCommand({ TableName: 'gsi-add', Item: { pk: { S: 'p' }, sk: { S: '2' } } }));
    const after = (await ddb.send(new DescribeTableCommand({ TableName: 'gsi-add' }))).Table!;
    assert.equal(after.ItemCount, 2);
    // names and values in bytes: (pk p)(sk 1)(g G2)(more x) + (pk p)(sk 2)
    assert.equal(after.TableSizeBytes, 3 + 3 + 3 + 5 + 3 + 3);
    assert.equal(after.GlobalSecondaryIndexes![0]!.ItemCount, 1);
  });

  test('enables time to live once', async () => {
    await createTable(ddb, 'ttl-cfg');
    await ddb.send(new UpdateTimeToLiveCommand({ TableName: 'ttl-cfg', TimeToLiveSpecification: { Enabled: true, AttributeName: 'exp' } }));
    const { TimeToLiveDescription } = await ddb.send(new DescribeTimeToLiveCommand({ TableName: 'ttl-cfg' }));
    assert.deepEqual(TimeToLiveDescription, { TimeToLiveStatus: 'ENABLED', AttributeName: 'exp' });
    const err = await failure(() =>
      ddb.send(new UpdateTimeToLiveCommand({ TableName: 'ttl-cfg', TimeToLiveSpecification: { Enabled: true, AttributeName: 'exp' } })),
    );
    assert.equal(err.name, 'ValidationException');
    assert.equal(err.message, 'TimeToLive is already enabled');
  });

  test('describes account limits', async () => {
    const limits = await ddb.send(new DescribeLimitsCommand({}));
    assert.equal(limits.TableMaxReadCapacityUnits, 40000);
  });
});
