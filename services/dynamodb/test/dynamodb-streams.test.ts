import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeleteItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  ExecuteStatementCommand,
  ExecuteTransactionCommand,
  BatchExecuteStatementCommand,
  GetItemCommand,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient, DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, ListStreamsCommand } from '@aws-sdk/client-dynamodb-streams';
import type { TestPlatform } from '@atoll/test-support';
import { createTable, failure, start } from './helpers.js';

describe('DynamoDB Streams, TTL and PartiQL', () => {
  let platform: TestPlatform;
  let ddb: DynamoDBClient;
  let streams: DynamoDBStreamsClient;
  before(async () => {
    ({ platform, ddb } = await start());
    streams = platform.client(DynamoDBStreamsClient);
  });
  after(async () => platform.stop());

  async function records(tableName: string) {
    const { Streams } = await streams.send(new ListStreamsCommand({ TableName: tableName }));
    const arn = Streams![0]!.StreamArn!;
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: arn }));
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({ StreamArn: arn, ShardId: StreamDescription!.Shards![0]!.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    return (await streams.send(new GetRecordsCommand({ ShardIterator }))).Records!;
  }

  test('records inserts, modifications and removals with old and new images', async () => {
    await createTable(ddb, 'streamed', { StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } });
    const key = { pk: { S: 'a' }, sk: { S: '1' } };
    await ddb.send(new PutItemCommand({ TableName: 'streamed', Item: { ...key, v: { N: '1' } } }));
    await ddb.send(new UpdateItemCommand({ TableName: 'streamed', Key: key, UpdateExpression: 'SET v = :two', ExpressionAttributeValues: { ':two': { N: '2' } } }));
    await ddb.send(new DeleteItemCommand({ TableName: 'streamed', Key: key }));
    const list = await records('streamed');
    assert.deepEqual(list.map((r) => r.eventName), ['INSERT', 'MODIFY', 'REMOVE']);
    assert.deepEqual(list[1]!.dynamodb!.OldImage!.v, { N: '1' });
    assert.deepEqual(list[1]!.dynamodb!.NewImage!.v, { N: '2' });
    assert.deepEqual(list[2]!.dynamodb!.Keys, key);
    assert.equal(list[0]!.dynamodb!.StreamViewType, 'NEW_AND_OLD_IMAGES');
    assert.ok(list[0]!.dynamodb!.SequenceNumber! < list[1]!.dynamodb!.SequenceNumber!);
  });

  test('writes no stream record when a put leaves the item unchanged', async () => {
    await createTable(ddb, 'noop', { StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' } });
    const item = { pk: { S: 'a' }, sk: { S: '1' }, v: { N: '1' } };
    await ddb.send(new PutItemCommand({ TableName: 'noop', Item: item }));
    await ddb.send(new PutItemCommand({ TableName: 'noop', Item: item }));
    assert.deepEqual((await records('noop')).map((r) => r.eventName), ['INSERT']);
  });

  test('records only keys for a KEYS_ONLY stream', async () => {
    await createTable(ddb, 'keysonly', { StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' } });
    await ddb.send(new PutItemCommand({ TableName: 'keysonly', Item: { pk: { S: 'a' }, sk: { S: '1' }, v: { N: '1' } } }));
    const [record] = await records('keysonly');
    assert.equal(record!.dynamodb!.NewImage, undefined);
    assert.deepEqual(record!.dynamodb!.Keys, { pk: { S: 'a' }, sk: { S: '1' } });
  });

  test('expires items by TTL as service deletions in the stream', async () => {
    await createTable(ddb, 'expiring', { StreamSpecification: { StreamEnabled: true, StreamViewType: 'OLD_IMAGE' } });
    await ddb.send(new UpdateTimeToLiveCommand({ TableName: 'expiring', TimeToLiveSpecification: { Enabled: true, AttributeName: 'exp' } }));
    await ddb.send(new PutItemCommand({ TableName: 'expiring', Item: { pk: { S: 'old' }, sk: { S: '1' }, exp: { N: String(Math.floor(Date.now() / 1000) - 60) } } }));
    await ddb.send(new PutItemCommand({ TableName: 'expiring', Item: { pk: { S: 'new' }, sk: { S: '1' }, exp: { N: String(Math.floor(Date.now() / 1000) + 3600) } } }));
    let removed: Awaited<ReturnType<typeof records>> = [];
    for (let i = 0; i < 100 && removed.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      removed = (await records('expiring')).filter((r) => r.eventName === 'REMOVE');
    }
    assert.equal(removed.length, 1);
    assert.deepEqual(removed[0]!.userIdentity, { Type: 'Service', PrincipalId: 'dynamodb.amazonaws.com' });
    const { Item } = await ddb.send(new GetItemCommand({ TableName: 'expiring', Key: { pk: { S: 'new' }, sk: { S: '1' } } }));
    assert.ok(Item);
  });

  test('runs PartiQL INSERT, SELECT, UPDATE and DELETE', async () => {
    await createTable(ddb, 'partiql');
    await ddb.send(new ExecuteStatementCommand({ Statement: `INSERT INTO "partiql" VALUE {'pk': 'a', 'sk': '1', 'n': 1}` }));
    const dup = await failure(() => ddb.send(new ExecuteStatementCommand({ Statement: `INSERT INTO "partiql" VALUE {'pk': 'a', 'sk': '1'}` })));
    assert.equal(dup.name, 'DuplicateItemException');
    await ddb.send(new ExecuteStatementCommand({ Statement: `UPDATE "partiql" SET n = n + ? WHERE pk = 'a' AND sk = '1'`, Parameters: [{ N: '2' }] }));
    const { Items } = await ddb.send(new ExecuteStatementCommand({ Statement: `SELECT * FROM "partiql" WHERE pk = ?`, Parameters: [{ S: 'a' }] }));
    assert.deepEqual(Items, [{ pk: { S: 'a' }, sk: { S: '1' }, n: { N: '3' } }]);
    await ddb.send(new ExecuteTransactionCommand({ TransactStatements: [{ Statement: `DELETE FROM "partiql" WHERE pk = 'a' AND sk = '1'` }] }));
    const after = await ddb.send(new ExecuteStatementCommand({ Statement: `SELECT * FROM "partiql" WHERE pk = 'a'` }));
    assert.deepEqual(after.Items, []);
  });

  test('runs PartiQL batches with a per-statement error', async () => {
    await createTable(ddb, 'partiql-batch');
    const { Responses } = await ddb.send(
      new BatchExecuteStatementCommand({
        Statements: [
          { Statement: `INSERT INTO "partiql-batch" VALUE {'pk': 'a', 'sk': '1'}` },
          { Statement: `INSERT INTO "partiql-batch" VALUE {'pk': 'a', 'sk': '1'}` },
          { Statement: `SELECT * FROM "partiql-batch" WHERE pk = 'a' AND sk = '1'` },
        ],
      }),
    );
    assert.equal(Responses![0]!.Error, undefined);
    assert.equal(Responses![1]!.Error!.Code, 'DuplicateItem');
    assert.deepEqual(Responses![2]!.Item, { pk: { S: 'a' }, sk: { S: '1' } });
  });

  test('rejects a malformed PartiQL statement', async () => {
    const err = await failure(() => ddb.send(new ExecuteStatementCommand({ Statement: 'SELEC * FROM "x"' })));
    assert.equal(err.name, 'ValidationException');
    assert.match(err.message, /^Statement wasn't well formed, can't be processed/);
  });
});
