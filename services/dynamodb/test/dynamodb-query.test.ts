import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BatchWriteItemCommand, DeleteItemCommand, PutItemCommand, QueryCommand, ScanCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TestPlatform } from '@atoll/test-support';
import { createTable, failure, start } from './helpers.js';

describe('DynamoDB Query and Scan', () => {
  let platform: TestPlatform;
  let ddb: DynamoDBClient;
  const numbers = ['-100', '-1.5', '-1', '0', '0.25', '2', '10', '100', '1e20'];
  before(async () => {
    ({ platform, ddb } = await start());
    await createTable(
      ddb,
      'qtab',
      {
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'N' },
          { AttributeName: 'g', AttributeType: 'S' },
          { AttributeName: 'l', AttributeType: 'S' },
        ],
        GlobalSecondaryIndexes: [{ IndexName: 'byG', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } }],
        LocalSecondaryIndexes: [{ IndexName: 'byL', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'l', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } }],
      },
      'N',
    );
    const shuffled = [...numbers].reverse();
    for (const n of shuffled) {
      await ddb.send(new PutItemCommand({ TableName: 'qtab', Item: { pk: { S: 'p' }, sk: { N: n }, g: { S: Number(n) >= 0 ? 'pos' : 'neg' }, l: { S: `l${n}` }, odd: { BOOL: shuffled.indexOf(n) % 2 === 1 } } }));
    }
  });
  after(async () => platform.stop());

  test('returns a partition in numeric key order, both directions', async () => {
    const asc = await ddb.send(new QueryCommand({ TableName: 'qtab', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } } }));
    assert.deepEqual(asc.Items!.map((i) => i.sk!.N), ['-100', '-1.5', '-1', '0', '0.25', '2', '10', '100', '100000000000000000000']);
    const desc = await ddb.send(new QueryCommand({ TableName: 'qtab', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } }, ScanIndexForward: false }));
    assert.equal(desc.Items![0]!.sk!.N, '100000000000000000000');
  });

  test('applies sort key conditions', async () => {
    const between = await ddb.send(
      new QueryCommand({ TableName: 'qtab', KeyConditionExpression: 'pk = :p AND sk BETWEEN :a AND :b', ExpressionAttributeValues: { ':p': { S: 'p' }, ':a': { N: '-1' }, ':b': { N: '2' } } }),
    );
    assert.deepEqual(between.Items!.map((i) => i.sk!.N), ['-1', '0', '0.25', '2']);
    const lt = await ddb.send(new QueryCommand({ TableName: 'qtab', KeyConditionExpression: 'pk = :p AND sk < :a', ExpressionAttributeValues: { ':p': { S: 'p' }, ':a': { N: '-1' } } }));
    assert.equal(lt.Count, 2);
  });

  test('pages with Limit and ExclusiveStartKey and counts filtered items', async () => {
    const seen: string[] = [];
    let start: Record<string, never> | undefined;
    do {
      const page = await ddb.send(
        new QueryCommand({ TableName: 'qtab', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } }, Limit: 4, ExclusiveStartKey: start }),
      );
      seen.push(...page.Items!.map((i) => i.sk!.N!));
      start = page.LastEvaluatedKey as typeof start;
    } while (start);
    assert.equal(seen.length, numbers.length);
    const counted = await ddb.send(
      new QueryCommand({ TableName: 'qtab', KeyConditionExpression: 'pk = :p', FilterExpression: 'odd = :t', ExpressionAttributeValues: { ':p': { S: 'p' }, ':t': { BOOL: true } }, Select: 'COUNT' }),
    );
    assert.equal(counted.Count, 4);
    assert.equal(counted.ScannedCount, numbers.length);
    assert.equal(counted.Items, undefined);
  });

  test('queries global and local secondary indexes with their projections', async () => {
    const gsi = await ddb.send(new QueryCommand({ TableName: 'qtab', IndexName: 'byG', KeyConditionExpression: 'g = :g', ExpressionAttributeValues: { ':g': { S: 'neg' } } }));
    assert.deepEqual(gsi.Items!.map((i) => i.sk!.N), ['-100', '-1.5', '-1']);
    assert.deepEqual(Object.keys(gsi.Items![0]!).sort(), ['g', 'pk', 'sk']);
    const lsi = await ddb.send(
      new QueryCommand({ TableName: 'qtab', IndexName: 'byL', KeyConditionExpression: 'pk = :p AND begins_with(l, :pre)', ExpressionAttributeValues: { ':p': { S: 'p' }, ':pre': { S: 'l1' } } }),
    );
    assert.deepEqual(lsi.Items!.map((i) => i.l!.S), ['l10', 'l100', 'l1e20']);
  });

  test('keeps a global index in step with updates and deletes, and leaves out items without its key', async () => {
    const key = { pk: { S: 'moving' }, sk: { N: '1' } };
    const byG = async (g: string) =>
      (await ddb.send(new QueryCommand({ TableName: 'qtab', IndexName: 'byG', KeyConditionExpression: 'g = :g', ExpressionAttributeValues: { ':g': { S: g } } }))).Items!.filter(
        (i) => i.pk!.S === 'moving',
      ).length;
    await ddb.send(new PutItemCommand({ TableName: 'qtab', Item: { ...key, g: { S: 'first' } } }));
    assert.equal(await byG('first'), 1);
    await ddb.send(new UpdateItemCommand({ TableName: 'qtab', Key: key, UpdateExpression: 'SET g = :g', ExpressionAttributeValues: { ':g': { S: 'second' } } }));
    assert.equal(await byG('first'), 0);
    assert.equal(await byG('second'), 1);
    await ddb.send(new UpdateItemCommand({ TableName: 'qtab', Key: key, UpdateExpression: 'REMOVE g' }));
    assert.equal(await byG('second'), 0);
    await ddb.send(new UpdateItemCommand({ TableName: 'qtab', Key: key, UpdateExpression: 'SET g = :g', ExpressionAttributeValues: { ':g': { S: 'third' } } }));
    await ddb.send(new DeleteItemCommand({ TableName: 'qtab', Key: key }));
    assert.equal(await byG('third'), 0);
  });

  test('rejects an index key of the wrong type', async () => {
    const err = await failure(() => ddb.send(new PutItemCommand({ TableName: 'qtab', Item: { pk: { S: 'bad' }, sk: { N: '1' }, g: { N: '5' } } })));
    assert.equal(err.name, 'ValidationException');
    assert.equal(err.message, 'One or more parameter values were invalid: Type mismatch for Index Key g Expected: S Actual: N IndexName: byG');
  });

  test('rejects invalid key conditions with DynamoDB messages', async () => {
    let err = await failure(() => ddb.send(new QueryCommand({ TableName: 'qtab', KeyConditionExpression: 'sk = :a', ExpressionAttributeValues: { ':a': { N: '1' } } })));
    assert.equal(err.name, 'ValidationException');
    assert.equal(err.message, 'Query condition missed key schema element: pk');
    err = await failure(() =>
      ddb.send(new QueryCommand({ TableName: 'qtab', KeyConditionExpression: 'pk = :p OR sk = :a', ExpressionAttributeValues: { ':p': { S: 'p' }, ':a': { N: '1' } } })),
    );
    assert.equal(err.message, 'Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: OR');
    err = await failure(() => ddb.send(new QueryCommand({ TableName: 'qtab', IndexName: 'nope', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } } })));
    assert.equal(err.message, 'The table does not have the specified index: nope');
    err = await failure(() =>
      ddb.send(new QueryCommand({ TableName: 'qtab', IndexName: 'byG', ConsistentRead: true, KeyConditionExpression: 'g = :g', ExpressionAttributeValues: { ':g': { S: 'neg' } } })),
    );
    assert.equal(err.message, 'Consistent reads are not supported on global secondary indexes');
  });

  test('supports legacy KeyConditions and QueryFilter', async () => {
    const out = await ddb.send(
      new QueryCommand({
        TableName: 'qtab',
        KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: [{ S: 'p' }] }, sk: { ComparisonOperator: 'GE', AttributeValueList: [{ N: '100' }] } },
      }),
    );
    assert.equal(out.Count, 2);
  });

  test('scans in parallel segments that cover every item exactly once', async () => {
    await ddb.send(
      new BatchWriteItemCommand({
        RequestItems: { qtab: Array.from({ length: 20 }, (_, i) => ({ PutRequest: { Item: { pk: { S: `scan${i}` }, sk: { N: '1' } } } })) },
      }),
    );
    const all = await ddb.send(new ScanCommand({ TableName: 'qtab' }));
    const total = 4;
    let sum = 0;
    for (let segment = 0; segment < total; segment++) sum += (await ddb.send(new ScanCommand({ TableName: 'qtab', Segment: segment, TotalSegments: total }))).Count!;
    assert.equal(sum, all.Count);
    const err = await failure(() => ddb.send(new ScanCommand({ TableName: 'qtab', Segment: 4, TotalSegments: 4 })));
    assert.equal(err.message, 'The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 4 is not less than TotalSegments: 4');
  });

  test('stops a page at 1 MB and resumes from LastEvaluatedKey', async () => {
    await createTable(ddb, 'big');
    const value = 'x'.repeat(300 * 1024);
    for (let i = 0; i < 5; i++) await ddb.send(new PutItemCommand({ TableName: 'big', Item: { pk: { S: 'p' }, sk: { S: String(i) }, v: { S: value } } }));
    const first = await ddb.send(new QueryCommand({ TableName: 'big', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } }, Select: 'COUNT' }));
    assert.ok(first.Count! < 5);
    assert.ok(first.LastEvaluatedKey);
    const rest = await ddb.send(
      new QueryCommand({ TableName: 'big', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } }, Select: 'COUNT', ExclusiveStartKey: first.LastEvaluatedKey }),
    );
    assert.equal(first.Count! + rest.Count!, 5);
  });
});
