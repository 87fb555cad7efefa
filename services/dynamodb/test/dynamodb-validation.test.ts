// DynamoDB's exact validation through the SDK: messages, the check that wins, batch and transaction
// limits, UpdateTable's conflicts, tagging ARNs, ItemCollectionMetrics and PartiQL paths. Each case
// names the source of the message it expects.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  ExecuteStatementCommand,
  ListTagsOfResourceCommand,
  PutItemCommand,
  QueryCommand,
  TagResourceCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  UpdateTableCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { TestPlatform } from '@atoll/test-support';
import { createTable, failure, start } from './helpers.js';

describe('DynamoDB validation', () => {
  let platform: TestPlatform;
  let ddb: DynamoDBClient;
  before(async () => {
    ({ platform, ddb } = await start());
    await createTable(ddb, 'plain');
  });
  after(async () => platform.stop());

  // Source: dynalite test/createTable.js and test/describeTable.js.
  test('a missing or short TableName is answered before every other fault', async () => {
    const missing = await failure(() => ddb.send(new DescribeTableCommand({} as never)));
    assert.equal(missing.name, 'ValidationException');
    assert.equal(missing.message, "The parameter 'TableName' is required but was not present in the request");
    const short = await failure(() => ddb.send(new CreateTableCommand({ TableName: 'a;', BillingMode: 'FREE' as never } as never)));
    assert.equal(short.message, 'TableName must be at least 3 characters long and at most 255 characters long');
    const many = await failure(() => ddb.send(new CreateTableCommand({ TableName: 'abc;' } as never)));
    assert.equal(many.$metadata.httpStatusCode, 400);
    assert.match(many.message, /^3 validation errors detected: /);
    assert.match(many.message, /Value 'abc;' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: \[a-zA-Z0-9_.-\]\+/);
  });

  // Source: dynalite test/query.js ("… for Limit of 0"); the constraint errors win over the table lookup.
  test('Limit and Select are reported together, before the table is looked up', async () => {
    const err = await failure(() => ddb.send(new QueryCommand({ TableName: 'nope-no-table', Limit: 0, Select: 'SOME' as never, KeyConditionExpression: 'pk = :p' })));
    assert.equal(err.name, 'ValidationException');
    assert.match(err.message, /^2 validation errors detected: /);
    assert.match(err.message, /Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1/);
    assert.match(err.message, /Value 'SOME' at 'select' failed to satisfy constraint: Member must satisfy enum value set: \[SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES\]/);
  });

  // Sources: dynalite test/batchWriteItem.js, test/batchGetItem.js; DynamoDB's answer quoted in boto/boto3#483.
  test('batch limits answer DynamoDB messages', async () => {
    const empty = await failure(() => ddb.send(new BatchWriteItemCommand({ RequestItems: {} })));
    assert.equal(empty.message, "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1");
    const put = (i: number) => ({ PutRequest: { Item: { pk: { S: `k${i}` }, sk: { S: 's' } } } });
    const over = await failure(() => ddb.send(new BatchWriteItemCommand({ RequestItems: { plain: Array.from({ length: 26 }, (_, i) => put(i)) } })));
    assert.match(
      over.message,
      /^1 validation error detected: Value '\{plain=\[com\.amazonaws\.dynamodb\.v20120810\.WriteRequest@[0-9a-f]+, .*\]\}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: \[Member must have length less than or equal to 25, Member must have length greater than or equal to 1\]$/,
    );
    await createTable(ddb, 'plain2');
    const split = await failure(() =>
      ddb.send(new BatchWriteItemCommand({ RequestItems: { plain: Array.from({ length: 13 }, (_, i) => put(i)), plain2: Array.from({ length: 13 }, (_, i) => put(i)) } })),
    );
    assert.equal(split.message, 'Too many items requested for the BatchWriteItem call');
    const key = (i: number) => ({ pk: { S: `k${i}` }, sk: { S: 's' } });
    const keys = await failure(() => ddb.send(new BatchGetItemCommand({ RequestItems: { plain: { Keys: Array.from({ length: 101 }, (_, i) => key(i)) } } })));
    assert.match(keys.message, /^1 validation error detected: Value '\[.+\]' at 'requestItems\.plain\.member\.keys' failed to satisfy constraint: Member must have length less than or equal to 100$/);
    const total = await failure(() =>
      ddb.send(
        new BatchGetItemCommand({
          RequestItems: { plain: { Keys: Array.from({ length: 60 }, (_, i) => key(i)) }, plain2: { Keys: Array.from({ length: 60 }, (_, i) => key(i)) } },
        }),
      ),
    );
    assert.equal(total.message, 'Too many items requested for the BatchGetItem call');
  });

  // Sources: AWS TransactGetItems/TransactWriteItems API reference (no two actions on one item; item
  // faults cancel the transaction with reasons); ExtendDB/extenddb#21 (4 MB message).
  test('transactions: duplicate keys, item-level faults as cancellation reasons, the 4 MB limit', async () => {
    const get = (pk: string) => ({ Get: { TableName: 'plain', Key: { pk: { S: pk }, sk: { S: 's' } } } });
    const dup = await failure(() => ddb.send(new TransactGetItemsCommand({ TransactItems: [get('a'), get('a')] })));
    assert.equal(dup.name, 'ValidationException');
    assert.equal(dup.message, 'Transaction request cannot include multiple operations on one item');
    const bad = await failure(() =>
      ddb.send(new TransactGetItemsCommand({ TransactItems: [get('a'), { Get: { TableName: 'plain', Key: { pk: { N: '1' }, sk: { S: 's' } } } }] })),
    );
    assert.equal(bad.name, 'TransactionCanceledException');
    assert.deepEqual(
      (bad.CancellationReasons as { Code: string; Message?: string }[]).map((r) => [r.Code, r.Message]),
      [
        ['None', undefined],
        ['ValidationError', 'The provided key element does not match the schema'],
      ],
    );
    const write = await failure(() =>
      ddb.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: 'plain', Item: { pk: { S: 'x' }, sk: { S: 's' } } } },
            { Put: { TableName: 'plain', Item: { pk: { S: 'y' } } } },
          ],
        }),
      ),
    );
    assert.equal(write.name, 'TransactionCanceledException');
    assert.match(write.message, /\[None, ValidationError\]$/);
    const big = 'x'.repeat(390 * 1024);
    const huge = await failure(() =>
      ddb.send(
        new TransactWriteItemsCommand({
          TransactItems: Array.from({ length: 11 }, (_, i) => ({ Put: { TableName: 'plain', Item: { pk: { S: `big${i}` }, sk: { S: 's' }, v: { S: big } } } })),
        }),
      ),
    );
    assert.equal(huge.name, 'ValidationException');
    assert.equal(huge.message, 'Transaction item size has exceeded the 4 MB limit');
  });

  // Source: dynalite validations/updateTable.js and actions/updateTable.js.
  test('UpdateTable: nothing to change, billing and throughput conflicts', async () => {
    const nothing = await failure(() => ddb.send(new UpdateTableCommand({ TableName: 'plain', GlobalSecondaryIndexUpdates: [] })));
    assert.equal(
      nothing.message,
      'At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required',
    );
    const provisioned = await failure(() => ddb.send(new UpdateTableCommand({ TableName: 'plain', BillingMode: 'PROVISIONED' })));
    assert.equal(provisioned.message, 'One or more parameter values were invalid: ProvisionedThroughput must be specified when BillingMode is PROVISIONED');
    const onDemand = await failure(() => ddb.send(new UpdateTableCommand({ TableName: 'plain', ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } })));
    assert.equal(onDemand.message, 'One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST');
    await createTable(ddb, 'fixed', { BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } });
    const same = await failure(() => ddb.send(new UpdateTableCommand({ TableName: 'fixed', ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } })));
    assert.match(same.message, /^The provisioned throughput for the table will not change\. The requested value equals the current value\. Current ReadCapacityUnits provisioned for the table: 5\. Requested ReadCapacityUnits: 5\./);
    const { TableDescription } = await ddb.send(new UpdateTableCommand({ TableName: 'fixed', ProvisionedThroughput: { ReadCapacityUnits: 6, WriteCapacityUnits: 5 } }));
    assert.equal(TableDescription!.ProvisionedThroughput!.ReadCapacityUnits, 6);
    const twice = await failure(() =>
      ddb.send(new UpdateTableCommand({ TableName: 'plain', GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'idx' } }, { Delete: { IndexName: 'idx' } }] })),
    );
    assert.equal(twice.message, 'One or more parameter values were invalid: Only one global secondary index update per index is allowed simultaneously. Index: idx');
  });

  // Source: dynalite test/tagResource.js and test/listTagsOfResource.js.
  test('tagging: a malformed ARN, a non-table ARN, no tags, an unknown table', async () => {
    const denied = await failure(() => ddb.send(new ListTagsOfResourceCommand({ ResourceArn: 'abcd' })));
    assert.equal(denied.name, 'AccessDeniedException');
    assert.match(denied.message, /is not authorized to perform: dynamodb:ListTagsOfResource on resource: abcd$/);
    const invalid = await failure(() => ddb.send(new ListTagsOfResourceCommand({ ResourceArn: 'a:b:c:d:e:f/g' })));
    assert.equal(invalid.name, 'ValidationException');
    assert.equal(invalid.message, 'Invalid TableArn: Invalid ResourceArn provided as input a:b:c:d:e:f/g');
    const arn = `arn:aws:dynamodb:${platform.region}:${platform.accountId}:table/plain`;
    const none = await failure(() => ddb.send(new TagResourceCommand({ ResourceArn: arn, Tags: [] })));
    assert.equal(none.message, 'Atleast one Tag needs to be provided as Input.');
    const unknown = `arn:aws:dynamodb:${platform.region}:${platform.accountId}:table/unknown`;
    const missing = await failure(() => ddb.send(new TagResourceCommand({ ResourceArn: unknown, Tags: [{ Key: 'a', Value: 'b' }] })));
    assert.equal(missing.name, 'ResourceNotFoundException');
    assert.equal(missing.message, `Requested resource not found: ResourcArn: ${unknown} not found`);
  });

  // Source: AWS API reference, PutItem/UpdateItem/DeleteItem "ItemCollectionMetrics … only returned if
  // the ReturnItemCollectionMetrics parameter was specified. If the table does not have any local
  // secondary indexes, this information is not returned in the response."
  test('ReturnItemCollectionMetrics SIZE answers for tables with local secondary indexes only', async () => {
    await createTable(ddb, 'withlsi', {
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'alt', AttributeType: 'S' },
      ],
      LocalSecondaryIndexes: [
        {
          IndexName: 'byAlt',
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'alt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
    const item = { pk: { S: 'p' }, sk: { S: 's' }, alt: { S: 'a' } };
    const put = await ddb.send(new PutItemCommand({ TableName: 'withlsi', Item: item, ReturnItemCollectionMetrics: 'SIZE' }));
    assert.deepEqual(put.ItemCollectionMetrics, { ItemCollectionKey: { pk: { S: 'p' } }, SizeEstimateRangeGB: [0, 1] });
    const update = await ddb.send(
      new UpdateItemCommand({ TableName: 'withlsi', Key: { pk: { S: 'p' }, sk: { S: 's' } }, UpdateExpression: 'SET v = :v', ExpressionAttributeValues: { ':v': { N: '1' } }, ReturnItemCollectionMetrics: 'SIZE' }),
    );
    assert.deepEqual(update.ItemCollectionMetrics?.ItemCollectionKey, { pk: { S: 'p' } });
    const del = await ddb.send(new DeleteItemCommand({ TableName: 'withlsi', Key: { pk: { S: 'p' }, sk: { S: 's' } }, ReturnItemCollectionMetrics: 'SIZE' }));
    assert.deepEqual(del.ItemCollectionMetrics?.SizeEstimateRangeGB, [0, 1]);
    const plain = await ddb.send(new PutItemCommand({ TableName: 'plain', Item: { pk: { S: 'p' }, sk: { S: 's' } }, ReturnItemCollectionMetrics: 'SIZE' }));
    assert.equal(plain.ItemCollectionMetrics, undefined);
  });

  // Source: AWS PartiQL select statements for DynamoDB (nested map and list paths in SELECT and WHERE).
  test('PartiQL SELECT reads nested map and list paths in the projection and the WHERE clause', async () => {
    await ddb.send(
      new PutItemCommand({
        TableName: 'plain',
        Item: {
          pk: { S: 'nest' },
          sk: { S: '1' },
          info: { M: { city: { S: 'Oslo' }, tags: { L: [{ S: 'x' }, { S: 'y' }] } } },
          list: { L: [{ N: '1' }, { M: { deep: { S: 'd' } } }] },
        },
      }),
    );
    const { Items } = await ddb.send(
      new ExecuteStatementCommand({
        Statement: `SELECT info.city, info.tags[1], list[1].deep FROM plain WHERE pk = 'nest' AND info.city = 'Oslo' AND list[0] = 1`,
      }),
    );
    assert.deepEqual(Items, [{ info: { M: { city: { S: 'Oslo' }, tags: { L: [{ S: 'y' }] } } }, list: { L: [{ M: { deep: { S: 'd' } } }] } }]);
    const none = await ddb.send(new ExecuteStatementCommand({ Statement: `SELECT * FROM plain WHERE pk = 'nest' AND info.tags[0] = 'y'` }));
    assert.deepEqual(none.Items, []);
  });
});
