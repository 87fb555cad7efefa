// Global secondary indexes with multi-attribute keys (AWS, November 2025: up to four partition and
// four sort key attributes; source: DynamoDB Developer Guide, "Multi-attribute keys pattern",
// GSI.DesignPattern.MultiAttributeKeys): create, backfill, write, query and page through the SDK.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  PutItemCommand,
  QueryCommand,
  UpdateTableCommand,
  type DynamoDBClient,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import type { TestPlatform } from '@atoll/test-support';
import { failure, start } from './helpers.js';

const HASH = (AttributeName: string): KeySchemaElement => ({ AttributeName, KeyType: 'HASH' });
const RANGE = (AttributeName: string): KeySchemaElement => ({ AttributeName, KeyType: 'RANGE' });

describe('DynamoDB multi-attribute GSI keys', () => {
  let platform: TestPlatform;
  let ddb: DynamoDBClient;
  before(async () => {
    ({ platform, ddb } = await start());
    await ddb.send(
      new CreateTableCommand({
        TableName: 'matches',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'id', AttributeType: 'S' },
          { AttributeName: 'tournament', AttributeType: 'S' },
          { AttributeName: 'region', AttributeType: 'S' },
          { AttributeName: 'round', AttributeType: 'S' },
          { AttributeName: 'bracket', AttributeType: 'S' },
          { AttributeName: 'game', AttributeType: 'N' },
        ],
        KeySchema: [HASH('id')],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byTournament',
            KeySchema: [HASH('tournament'), HASH('region'), RANGE('round'), RANGE('bracket'), RANGE('game')],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    const rows: [string, string, string, string, string, number][] = [
      ['m1', 'WINTER', 'NA', 'FINAL', 'UPPER', 1],
      ['m2', 'WINTER', 'NA', 'SEMI', 'UPPER', 2],
      ['m3', 'WINTER', 'NA', 'SEMI', 'UPPER', 10],
      ['m4', 'WINTER', 'NA', 'SEMI', 'LOWER', 3],
      ['m5', 'WINTER', 'EU', 'SEMI', 'UPPER', 1],
      ['m6', 'SUMMER', 'NA', 'SEMI', 'UPPER', 1],
    ];
    for (const [id, tournament, region, round, bracket, game] of rows) {
      await ddb.send(
        new PutItemCommand({
          TableName: 'matches',
          Item: { id: { S: id }, tournament: { S: tournament }, region: { S: region }, round: { S: round }, bracket: { S: bracket }, game: { N: String(game) } },
        }),
      );
    }
    // Sparse: an item without one of the key attributes is not in the index.
    await ddb.send(new PutItemCommand({ TableName: 'matches', Item: { id: { S: 'm7' }, tournament: { S: 'WINTER' }, region: { S: 'NA' }, round: { S: 'SEMI' } } }));
  });
  after(async () => platform.stop());

  const ids = (items: Record<string, { S?: string }>[] | undefined) => (items ?? []).map((i) => i.id!.S);
  const query = (expression: string, values: Record<string, string | number>, extra: Record<string, unknown> = {}) => {
    const names = Object.fromEntries(Object.entries({ '#r': 'round', '#g': 'region' }).filter(([k]) => expression.includes(k)));
    return ddb.send(
      new QueryCommand({
        TableName: 'matches',
        IndexName: 'byTournament',
        KeyConditionExpression: expression,
        ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
        ExpressionAttributeValues: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === 'number' ? { N: String(v) } : { S: v }])),
        ...extra,
      }),
    );
  };

  test('describes the index with its whole key schema', async () => {
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: 'matches' }));
    assert.deepEqual(Table!.GlobalSecondaryIndexes![0]!.KeySchema, [HASH('tournament'), HASH('region'), RANGE('round'), RANGE('bracket'), RANGE('game')]);
  });

  test('queries by every partition attribute, in the order of the sort attributes', async () => {
    const all = await query('tournament = :t AND #g = :r', { ':t': 'WINTER', ':r': 'NA' });
    assert.deepEqual(ids(all.Items), ['m1', 'm4', 'm2', 'm3']);
    const semis = await query('tournament = :t AND #g = :r AND #r = :round', { ':t': 'WINTER', ':r': 'NA', ':round': 'SEMI' });
    assert.deepEqual(ids(semis.Items), ['m4', 'm2', 'm3']);
    const upper = await query('tournament = :t AND #g = :r AND #r = :round AND bracket = :b AND game > :g', {
      ':t': 'WINTER',
      ':r': 'NA',
      ':round': 'SEMI',
      ':b': 'UPPER',
      ':g': 2,
    });
    assert.deepEqual(ids(upper.Items), ['m3'], 'numbers compare as numbers inside the tuple');
    const between = await query('tournament = :t AND #g = :r AND #r BETWEEN :a AND :b', { ':t': 'WINTER', ':r': 'NA', ':a': 'A', ':b': 'G' });
    assert.deepEqual(ids(between.Items), ['m1']);
    const prefix = await query('tournament = :t AND #g = :r AND #r = :round AND begins_with(bracket, :p)', { ':t': 'WINTER', ':r': 'NA', ':round': 'SEMI', ':p': 'UP' });
    assert.deepEqual(ids(prefix.Items), ['m2', 'm3']);
    const before = await query('tournament = :t AND #g = :r AND #r < :round', { ':t': 'WINTER', ':r': 'NA', ':round': 'SEMI' });
    assert.deepEqual(ids(before.Items), ['m1']);
    const backwards = await query('tournament = :t AND #g = :r', { ':t': 'WINTER', ':r': 'NA' }, { ScanIndexForward: false });
    assert.deepEqual(ids(backwards.Items), ['m3', 'm2', 'm4', 'm1']);
  });

  test('pages with LastEvaluatedKey naming every key attribute', async () => {
    const first = await query('tournament = :t AND #g = :r', { ':t': 'WINTER', ':r': 'NA' }, { Limit: 2 });
    assert.deepEqual(ids(first.Items), ['m1', 'm4']);
    assert.deepEqual(Object.keys(first.LastEvaluatedKey!).sort(), ['bracket', 'game', 'id', 'region', 'round', 'tournament']);
    const second = await query('tournament = :t AND #g = :r', { ':t': 'WINTER', ':r': 'NA' }, { ExclusiveStartKey: first.LastEvaluatedKey });
    assert.deepEqual(ids(second.Items), ['m2', 'm3']);
  });

  test('keeps the index in step with deletes and key changes', async () => {
    await ddb.send(new DeleteItemCommand({ TableName: 'matches', Key: { id: { S: 'm1' } } }));
    await ddb.send(
      new PutItemCommand({
        TableName: 'matches',
        Item: { id: { S: 'm6' }, tournament: { S: 'WINTER' }, region: { S: 'NA' }, round: { S: 'AAA' }, bracket: { S: 'UPPER' }, game: { N: '1' } },
      }),
    );
    const all = await query('tournament = :t AND #g = :r', { ':t': 'WINTER', ':r': 'NA' });
    assert.deepEqual(ids(all.Items), ['m6', 'm4', 'm2', 'm3']);
    const summer = await query('tournament = :t AND #g = :r', { ':t': 'SUMMER', ':r': 'NA' });
    assert.deepEqual(ids(summer.Items), []);
  });

  test('refuses a query that leaves out a partition attribute or skips a sort attribute', async () => {
    const partial = await failure(() => query('tournament = :t', { ':t': 'WINTER' }));
    assert.equal(partial.name, 'ValidationException');
    assert.equal(partial.message, 'Query condition missed key schema element: region');
    const skip = await failure(() => query('tournament = :t AND #g = :r AND bracket = :b', { ':t': 'WINTER', ':r': 'NA', ':b': 'UPPER' }));
    assert.equal(skip.message, 'Query key condition not supported');
    const range = await failure(() => query('tournament = :t AND #g = :r AND #r > :round AND bracket = :b', { ':t': 'WINTER', ':r': 'NA', ':round': 'A', ':b': 'UPPER' }));
    assert.equal(range.message, 'Query key condition not supported');
    const type = await failure(() => query('tournament = :t AND #g = :r AND game = :g', { ':t': 'WINTER', ':r': 'NA', ':g': 'one' }));
    assert.equal(type.name, 'ValidationException');
  });

  test('UpdateTable adds a multi-attribute index and backfills it', async () => {
    await ddb.send(
      new UpdateTableCommand({
        TableName: 'matches',
        GlobalSecondaryIndexUpdates: [{ Create: { IndexName: 'byRegion', KeySchema: [HASH('region'), HASH('round')], Projection: { ProjectionType: 'KEYS_ONLY' } } }],
      }),
    );
    const { Items } = await ddb.send(
      new QueryCommand({
        TableName: 'matches',
        IndexName: 'byRegion',
        KeyConditionExpression: '#g = :r AND #r = :round',
        ExpressionAttributeNames: { '#r': 'round', '#g': 'region' },
        ExpressionAttributeValues: { ':r': { S: 'NA' }, ':round': { S: 'SEMI' } },
      }),
    );
    assert.deepEqual(ids(Items).sort(), ['m2', 'm3', 'm4', 'm7']);
    assert.deepEqual(Object.keys(Items![0]!).sort(), ['id', 'region', 'round'], 'KEYS_ONLY projects every key attribute');
  });

  test('refuses more than four attributes per key part, and HASH after RANGE', async () => {
    const five = await failure(() =>
      ddb.send(
        new UpdateTableCommand({
          TableName: 'matches',
          AttributeDefinitions: [{ AttributeName: 'a5', AttributeType: 'S' }],
          GlobalSecondaryIndexUpdates: [
            { Create: { IndexName: 'tooMany', KeySchema: [HASH('tournament'), HASH('region'), HASH('round'), HASH('bracket'), HASH('a5')], Projection: { ProjectionType: 'ALL' } } },
          ],
        }),
      ),
    );
    assert.equal(five.name, 'ValidationException');
    assert.match(five.message, /exceeds the limit of 4 HASH and 4 RANGE key attributes/);
    const order = await failure(() =>
      ddb.send(
        new UpdateTableCommand({
          TableName: 'matches',
          GlobalSecondaryIndexUpdates: [{ Create: { IndexName: 'badOrder', KeySchema: [HASH('tournament'), RANGE('round'), HASH('region')], Projection: { ProjectionType: 'ALL' } } }],
        }),
      ),
    );
    assert.match(order.message, /HASH KeySchemaElements must precede the RANGE KeySchemaElements/);
  });
});
