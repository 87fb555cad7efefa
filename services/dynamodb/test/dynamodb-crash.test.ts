import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, CreateTableCommand, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { spawnPlatform } from '@atoll/test-support';

test('every acknowledged write survives kill -9 during a write load', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'atoll-ddb-crash-'));
  const services = ['dynamodb', 'dynamodbstreams'];
  try {
    const first = await spawnPlatform({ dataDir, services });
    const client = (endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }) =>
      new DynamoDBClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    const ddb = client(first.endpoint, first.credentials);
    await ddb.send(
      new CreateTableCommand({
        TableName: 'crash',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const acknowledged: string[] = [];
    let counterAcked = 0;
    let stop = false;
    const writers = Array.from({ length: 16 }, async (_, w) => {
      for (let i = 0; !stop && i < 100_000; i++) {
        const pk = `w${w}-${i}`;
        try {
          await ddb.send(new PutItemCommand({ TableName: 'crash', Item: { pk: { S: pk }, v: { N: String(i) } } }));
          acknowledged.push(pk);
          if (w === 0) {
            await ddb.send(new UpdateItemCommand({ TableName: 'crash', Key: { pk: { S: 'counter' } }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': { N: '1' } } }));
            counterAcked++;
          }
        } catch {
          return;
        }
      }
    });
    while (acknowledged.length < 500) await new Promise((r) => setTimeout(r, 20));
    await first.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    ddb.destroy();

    const second = await spawnPlatform({ dataDir, services });
    const again = client(second.endpoint, second.credentials);
    try {
      for (let i = 0; i < acknowledged.length; i += 1) {
        const { Item } = await again.send(new GetItemCommand({ TableName: 'crash', Key: { pk: { S: acknowledged[i]! } }, ConsistentRead: true }));
        assert.ok(Item, `acknowledged item ${acknowledged[i]} is missing after the crash`);
      }
      const { Item } = await again.send(new GetItemCommand({ TableName: 'crash', Key: { pk: { S: 'counter' } }, ConsistentRead: true }));
      assert.ok(Number(Item!.n!.N) >= counterAcked);
    } finally {
      again.destroy();
      await second.kill('SIGTERM');
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
