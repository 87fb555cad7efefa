import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  TransactWriteItemsCommand,
  TransactGetItemsCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { TestPlatform } from '@atoll/test-support';
import { createTable, failure, start } from './helpers.js';

describe('DynamoDB items', () => {
  let platform: TestPlatform;
  let ddb: DynamoDBClient;
  before(async () => {
    ({ platform, ddb } = await start());
    await createTable(ddb, 'items');
  });
  after(async () => platform.stop());

  test('puts and gets an item of every type', async () => {
    const item = {
      pk: { S: 'all' },
      sk: { S: 'types' },
      s: { S: '' },
      n: { N: '1.50' },
      b: { B: new Uint8Array([1, 2, 3]) },
      ss: { SS: ['a', 'b'] },
      ns: { NS: ['1', '2'] },
      bs: { BS: [new Uint8Array([9])] },
      m: { M: { x: { BOOL: true } } },
      l: { L: [{ NULL: true }, { S: 'x' }] },
    };
    await ddb.send(new PutItemCommand({ TableName: 'items', Item: item }));
    const { Item } = await ddb.send(new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'all' }, sk: { S: 'types' } }, ConsistentRead: true }));
    assert.equal(Item!.n!.N, '1.5');
    assert.deepEqual(Buffer.from(Item!.b!.B!), Buffer.from([1, 2, 3]));
    assert.deepEqual(Item!.ss!.SS, ['a', 'b']);
    assert.deepEqual(Item!.l!.L, [{ NULL: true }, { S: 'x' }]);
    assert.equal(Item!.s!.S, '');
  });

  test('rejects items without their key with DynamoDB message', async () => {
    const err = await failure(() => ddb.send(new PutItemCommand({ TableName: 'items', Item: { pk: { S: 'x' } } })));
    assert.equal(err.name, 'ValidationException');
    assert.equal(err.message, 'One or more parameter values were invalid: Missing the key sk in the item');
  });

  test('rejects a key that does not match the schema', async () => {
    const err = await failure(() => ddb.send(new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'x' } } })));
    assert.equal(err.name, 'ValidationException');
    assert.equal(err.message, 'The provided key element does not match the schema');
  });

  test('rejects an empty string key', async () => {
    const err = await failure(() => ddb.send(new PutItemCommand({ TableName: 'items', Item: { pk: { S: '' }, sk: { S: 'a' } } })));
    assert.equal(err.message, 'One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk');
  });

  test('rejects items over 400 KB', async () => {
    const err = await failure(() =>
      ddb.send(new PutItemCommand({ TableName: 'items', Item: { pk: { S: 'big' }, sk: { S: 'a' }, v: { S: 'x'.repeat(400 * 1024) } } })),
    );
    assert.equal(err.name, 'ValidationException');
    assert.equal(err.message, 'Item size has exceeded the maximum allowed size');
  });

  test('returns ResourceNotFoundException for a missing table', async () => {
    const err = await failure(() => ddb.send(new GetItemCommand({ TableName: 'missing', Key: { pk: { S: 'x' }, sk: { S: 'y' } } })));
    assert.equal(err.name, 'ResourceNotFoundException');
    assert.equal(err.message, 'Requested resource not found');
  });

  test('fails a condition with ConditionalCheckFailedException and the old item when asked', async () => {
    await ddb.send(new PutItemCommand({ TableName: 'items', Item: { pk: { S: 'c' }, sk: { S: '1' }, v: { N: '1' } } }));
    const err = await failure(() =>
      ddb.send(
        new PutItemCommand({
          TableName: 'items',
          Item: { pk: { S: 'c' }, sk: { S: '1' } },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    assert.equal(err.name, 'ConditionalCheckFailedException');
    assert.equal(err.message, 'The conditional request failed');
    assert.deepEqual((err as unknown as { Item: unknown }).Item, { pk: { S: 'c' }, sk: { S: '1' }, v: { N: '1' } });
  });

  test('updates with SET, REMOVE, ADD and DELETE and returns UPDATED_NEW', async () => {
    await ddb.send(new PutItemCommand({ TableName: 'items', Item: { pk: { S: 'u' }, sk: { S: '1' }, gone: { S: 'x' }, tags: { SS: ['a', 'b'] } } }));
    const { Attributes } = await ddb.send(
      new UpdateItemCommand({
        TableName: 'items',
        Key: { pk: { S: 'u' }, sk: { S: '1' } },
        UpdateExpression: 'SET #c = if_not_exists(#c, :zero) + :one REMOVE gone ADD hits :one DELETE tags :a',
        ExpressionAttributeNames: { '#c': 'count' },
        ExpressionAttributeValues: { ':zero': { N: '0' }, ':one': { N: '1' }, ':a': { SS: ['a'] } },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    assert.deepEqual(Attributes, { count: { N: '1' }, hits: { N: '1' }, tags: { SS: ['b'] } });
  });

  test('rejects updating a key attribute', async () => {
    const err = await failure(() =>
      ddb.send(
        new UpdateItemCommand({ TableName: 'items', Key: { pk: { S: 'u' }, sk: { S: '1' } }, UpdateExpression: 'SET pk = :v', ExpressionAttributeValues: { ':v': { S: 'z' } } }),
      ),
    );
    assert.equal(err.message, 'One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key');
  });

  test('reports unused expression attribute values', async () => {
    const err = await failure(() =>
      ddb.send(
        new UpdateItemCommand({
          TableName: 'items',
          Key: { pk: { S: 'u' }, sk: { S: '1' } },
          UpdateExpression: 'SET a = :v',
          ExpressionAttributeValues: { ':v': { S: 'z' }, ':unused': { S: 'q' } },
        }),
      ),
    );
    assert.equal(err.message, 'Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}');
  });

  test('supports the legacy Expected and AttributeUpdates parameters', async () => {
    await ddb.send(
      new UpdateItemCommand({
        TableName: 'items',
        Key: { pk: { S: 'legacy' }, sk: { S: '1' } },
        AttributeUpdates: { v: { Action: 'PUT', Value: { N: '1' } } },
        Expected: { v: { Exists: false } },
      }),
    );
    const err = await failure(() =>
      ddb.send(
        new UpdateItemCommand({
          TableName: 'items',
          Key: { pk: { S: 'legacy' }, sk: { S: '1' } },
          AttributeUpdates: { v: { Action: 'ADD', Value: { N: '1' } } },
          Expected: { v: { Value: { N: '5' } } },
        }),
      ),
    );
    assert.equal(err.name, 'ConditionalCheckFailedException');
    const mixed = await failure(() =>
      ddb.send(
        new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'legacy' }, sk: { S: '1' } }, AttributesToGet: ['v'], ProjectionExpression: 'v' }),
      ),
    );
    assert.equal(
      mixed.message,
      'Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}',
    );
  });

  test('deletes an item and returns the old one', async () => {
    await ddb.send(new PutItemCommand({ TableName: 'items', Item: { pk: { S: 'd' }, sk: { S: '1' }, v: { S: 'x' } } }));
    const { Attributes, ConsumedCapacity } = await ddb.send(
      new DeleteItemCommand({ TableName: 'items', Key: { pk: { S: 'd' }, sk: { S: '1' } }, ReturnValues: 'ALL_OLD', ReturnConsumedCapacity: 'TOTAL' }),
    );
    assert.deepEqual(Attributes!.v, { S: 'x' });
    assert.equal(ConsumedCapacity!.CapacityUnits, 1);
    const { Item } = await ddb.send(new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'd' }, sk: { S: '1' } } }));
    assert.equal(Item, undefined);
  });

  test('writes and reads in batches and rejects duplicate keys', async () => {
    await ddb.send(
      new BatchWriteItemCommand({
        RequestItems: { items: Array.from({ length: 25 }, (_, i) => ({ PutRequest: { Item: { pk: { S: 'batch' }, sk: { S: String(i) } } } })) },
      }),
    );
    const { Responses } = await ddb.send(
      new BatchGetItemCommand({ RequestItems: { items: { Keys: [0, 1, 2].map((i) => ({ pk: { S: 'batch' }, sk: { S: String(i) } })) } } }),
    );
    assert.equal(Responses!.items!.length, 3);
    const err = await failure(() =>
      ddb.send(
        new BatchWriteItemCommand({
          RequestItems: { items: [0, 0].map(() => ({ PutRequest: { Item: { pk: { S: 'batch' }, sk: { S: 'dup' } } } })) },
        }),
      ),
    );
    assert.equal(err.message, 'Provided list of item keys contains duplicates');
  });

  test('runs transactions all-or-nothing with cancellation reasons', async () => {
    await ddb.send(new PutItemCommand({ TableName: 'items', Item: { pk: { S: 'tx' }, sk: { S: 'guard' }, ok: { BOOL: false } } }));
    const err = await failure(() =>
      ddb.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: 'items', Item: { pk: { S: 'tx' }, sk: { S: 'new' } } } },
            {
              ConditionCheck: {
                TableName: 'items',
                Key: { pk: { S: 'tx' }, sk: { S: 'guard' } },
                ConditionExpression: 'ok = :t',
                ExpressionAttributeValues: { ':t': { BOOL: true } },
              },
            },
          ],
        }),
      ),
    );
    assert.equal(err.name, 'TransactionCanceledException');
    assert.deepEqual(
      (err as unknown as { CancellationReasons: { Code: string }[] }).CancellationReasons.map((r) => r.Code),
      ['None', 'ConditionalCheckFailed'],
    );
    const { Responses } = await ddb.send(
      new TransactGetItemsCommand({ TransactItems: [{ Get: { TableName: 'items', Key: { pk: { S: 'tx' }, sk: { S: 'new' } } } }] }),
    );
    assert.equal(Responses![0]!.Item, undefined);
  });

  test('cancels a transaction whose update cannot apply, with a ValidationError reason', async () => {
    await ddb.send(new PutItemCommand({ TableName: 'items', Item: { pk: { S: 'tx' }, sk: { S: 'str' }, s: { S: 'text' } } }));
    const err = await failure(() =>
      ddb.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: 'items', Item: { pk: { S: 'tx' }, sk: { S: 'other' } } } },
            { Update: { TableName: 'items', Key: { pk: { S: 'tx' }, sk: { S: 'str' } }, UpdateExpression: 'SET s = s + :one', ExpressionAttributeValues: { ':one': { N: '1' } } } },
          ],
        }),
      ),
    );
    assert.equal(err.name, 'TransactionCanceledException');
    assert.deepEqual(
      (err as unknown as { CancellationReasons: { Code: string }[] }).CancellationReasons.map((r) => r.Code),
      ['None', 'ValidationError'],
    );
    const { Item } = await ddb.send(new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'tx' }, sk: { S: 'other' } } }));
    assert.equal(Item, undefined);
  });

  test('treats a repeated ClientRequestToken as the same transaction', async () => {
    const input = {
      ClientRequestToken: 'token-1',
      TransactItems: [{ Update: { TableName: 'items', Key: { pk: { S: 'tx' }, sk: { S: 'ctr' } }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': { N: '1' } } } }],
    };
    await ddb.send(new TransactWriteItemsCommand(input));
    await ddb.send(new TransactWriteItemsCommand(input));
    const { Item } = await ddb.send(new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'tx' }, sk: { S: 'ctr' } } }));
    assert.equal(Item!.n!.N, '1');
    const err = await failure(() =>
      ddb.send(new TransactWriteItemsCommand({ ...input, TransactItems: [{ ...input.TransactItems[0]!, Update: { ...input.TransactItems[0]!.Update, UpdateExpression: 'ADD m :one' } }] })),
    );
    assert.equal(err.name, 'IdempotentParameterMismatchException');
  });

  test('works through the document client', async () => {
    const doc = DynamoDBDocumentClient.from(ddb);
    await doc.send(new PutCommand({ TableName: 'items', Item: { pk: 'doc', sk: '1', list: [1, 'two', { three: 3 }], flag: true } }));
    await doc.send(
      new UpdateCommand({
        TableName: 'items',
        Key: { pk: 'doc', sk: '1' },
        UpdateExpression: 'SET #l[1] = :v',
        ExpressionAttributeNames: { '#l': 'list' },
        ExpressionAttributeValues: { ':v': 'TWO' },
      }),
    );
    const { Item } = await doc.send(new GetCommand({ TableName: 'items', Key: { pk: 'doc', sk: '1' } }));
    assert.deepEqual(Item, { pk: 'doc', sk: '1', list: [1, 'TWO', { three: 3 }], flag: true });
  });
});
