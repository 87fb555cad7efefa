// The DynamoDB store's contract on both engines: items and index entries under BLOB/BYTEA keys in
// DynamoDB's key order, exact figures, stream records in order, table metadata, and, on PostgreSQL
// with two nodes, conditional updates that lose nothing and tables visible on every node at once.
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestContext, StorageBackend } from '@atoll/core';
import { requestContext, type EngineContext } from '@atoll/test-support';
import { DynamoDbContext } from './dynamodb-context.js';
import { DynamoDbStore, TABLE_CHANGED } from './dynamodb-store.js';
import { createItemOperations } from './item-operations.js';
import { encodeKeyValue } from './key-encoding.js';
import { createTableOperations } from './table-operations.js';
import type { TableInfo } from './table-schema.js';

const req: RequestContext = requestContext();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const n = (value: string) => encodeKeyValue({ N: value });
const s = (value: string) => encodeKeyValue({ S: value });

function tableSpec(name: string): Omit<TableInfo, 'id'> {
  return {
    name,
    accountId: req.accountId,
    region: req.region,
    arn: `arn:aws:dynamodb:${req.region}:${req.accountId}:table/${name}`,
    tableId: name,
    keySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    attributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'N' },
    ],
    hashKey: 'pk',
    rangeKey: 'sk',
    billingMode: 'PAY_PER_REQUEST',
    throughput: { ReadCapacityUnits: 0, WriteCapacityUnits: 0 },
    createdAt: Date.now(),
    indexes: [],
    tags: {},
    deletionProtection: false,
  };
}

const opened: DynamoDbContext[] = [];

/** A node's DynamoDB: its context and its table and item operations. */
async function node(storage: StorageBackend) {
  const ctx = new DynamoDbContext(await DynamoDbStore.open(storage));
  opened.push(ctx);
  return { ctx, store: ctx.store, tables: createTableOperations(ctx), items: createItemOperations(ctx) };
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await sleep(50);
  }
  assert.fail(`timed out waiting until ${what}`);
}

async function errorName(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code?: string; name?: string }).code ?? (error as Error).name;
  }
}

export function dynamoDbStoreCases(engine: EngineContext): void {
  after(async () => {
    for (const ctx of opened.splice(0)) await ctx.close();
  });

  it('puts, gets, replaces and deletes an item under binary keys', async () => {
    const { store } = await node(await engine.open());
    const table = (await store.insertTable(tableSpec('items')))!;
    const pk = Buffer.from([0, 1, 0xff, 0]);
    await store.transaction((items) => items.putItem(table.id, pk, n('1'), 10, '{"a":{"S":"x"}}'));
    assert.deepEqual(await store.items.getItemRow(table.id, pk, n('1')), { item: '{"a":{"S":"x"}}', size: 10 });
    await store.transaction((items) => items.putItem(table.id, pk, n('1'), 12, '{"a":{"S":"yyy"}}'));
    assert.deepEqual(await store.items.getItemRow(table.id, pk, n('1')), { item: '{"a":{"S":"yyy"}}', size: 12 });
    assert.equal(await store.items.getItemRow(table.id, pk, n('2')), undefined);
    await store.transaction((items) => items.deleteItem(table.id, pk, n('1')));
    assert.equal(await store.items.getItemRow(table.id, pk, n('1')), undefined);
  });

  it('returns a partition in DynamoDB key order both ways, in chunks, within a sort key range', async () => {
    const { store } = await node(await engine.open());
    const table = (await store.insertTable(tableSpec('order')))!;
    const values = ['-1000', '-2.5', '-1', '0', '0.001', '1', '2', '10', '1e3', '12345678901234567890'];
    const shuffled = [...values].sort(() => Math.random() - 0.5);
    await store.transaction(async (items) => {
      for (const v of shuffled) await items.putItem(table.id, s('p'), n(v), 1, JSON.stringify({ v }));
      await items.putItem(table.id, s('q'), n('5'), 1, JSON.stringify({ v: 'other partition' }));
    });
    const read = async (cursor: ReturnType<typeof store.items.queryPartition>) => {
      const out: string[] = [];
      for (let chunk = await cursor.next(3); chunk.length > 0; chunk = await cursor.next(3)) out.push(...chunk.map((r) => (JSON.parse(r.item) as { v: string }).v));
      return out;
    };
    assert.deepEqual(await read(store.items.queryPartition(table.id, undefined, s('p'), undefined, true)), values);
    assert.deepEqual(await read(store.items.queryPartition(table.id, undefined, s('p'), undefined, false)), [...values].reverse());
    assert.deepEqual(await read(store.items.queryPartition(table.id, undefined, s('p'), { op: 'between', a: n('-1'), b: n('2') }, true)), ['-1', '0', '0.001', '1', '2']);
    assert.deepEqual(await read(store.items.queryPartition(table.id, undefined, s('p'), { op: '>', a: n('2') }, false, { sk: n('1e3') })), ['10']);
    const all = await store.items.scan(table.id, undefined, undefined).next(100);
    assert.equal(all.length, values.length + 1);
  });

  it('orders index entries by index key, then table key, and pages exactly across equal index keys', async () => {
    const { store } = await node(await engine.open());
    const table = (await store.insertTable(tableSpec('indexed')))!;
    await store.transaction(async (items) => {
      for (let i = 0; i < 6; i++) {
        await items.putIndexEntry(table.id, 'byColor', s('red'), n(String(i % 2)), s(`item${i}`), n('0'), 5, JSON.stringify({ i }));
      }
      await items.putIndexEntry(table.id, 'byColor', s('blue'), n('0'), s('item9'), n('0'), 5, JSON.stringify({ i: 9 }));
    });
    const cursor = store.items.queryPartition(table.id, 'byColor', s('red'), undefined, true);
    const order: number[] = [];
    for (let chunk = await cursor.next(2); chunk.length > 0; chunk = await cursor.next(2)) order.push(...chunk.map((r) => (JSON.parse(r.item) as { i: number }).i));
    assert.deepEqual(order, [0, 2, 4, 1, 3, 5]);
    const scanned = await store.items.scan(table.id, 'byColor', undefined).next(100);
    assert.deepEqual(
      scanned.map((r) => (JSON.parse(r.item) as { i: number }).i),
      [9, 0, 2, 4, 1, 3, 5],
    );
    await store.transaction((items) => items.deleteIndexEntry(table.id, 'byColor', s('blue'), n('0'), s('item9'), n('0')));
    assert.equal((await store.items.scan(table.id, 'byColor', undefined).next(100)).length, 6);
  });

  it('keeps item counts and sizes of a table and its indexes exact through puts, replacements and deletes', async () => {
    const { store } = await node(await engine.open());
    const table = (await store.insertTable(tableSpec('stats')))!;
    await store.transaction(async (items) => {
      await items.putItem(table.id, s('a'), n('1'), 100, '{}');
      await items.putItem(table.id, s('b'), n('1'), 50, '{}');
      await items.putIndexEntry(table.id, 'gsi', s('x'), n('1'), s('a'), n('1'), 30, '{}');
    });
    await store.transaction((items) => items.putItem(table.id, s('a'), n('1'), 70, '{}'));
    let stats = await store.stats(table.id);
    assert.deepEqual(stats.get(''), { count: 2, bytes: 120 });
    assert.deepEqual(stats.get('gsi'), { count: 1, bytes: 30 });
    await store.foldStats();
    await store.transaction((items) => items.deleteItem(table.id, s('b'), n('1')));
    stats = await store.stats(table.id);
    assert.deepEqual(stats.get(''), { count: 1, bytes: 70 });
    await store.foldStats();
    assert.deepEqual((await store.stats(table.id)).get(''), { count: 1, bytes: 70 });
  });

  it('reads stream records in the order they were written, and trims old ones', async () => {
    const { store } = await node(await engine.open());
    const table = (await store.insertTable(tableSpec('streamed')))!;
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.transaction((items) => items.appendStreamRecord(table.id, 'L', JSON.stringify({ i })))));
    const records = await store.streamRecords(table.id, 'L', 0, 100);
    assert.equal(records.length, 10);
    assert.ok(records.every((r, i) => i === 0 || r.seq > records[i - 1]!.seq));
    assert.equal(await store.lastSequence(table.id, 'L'), records[9]!.seq);
    assert.deepEqual(
      (await store.streamRecords(table.id, 'L', records[7]!.seq, 100)).map((r) => r.seq),
      [records[8]!.seq, records[9]!.seq],
    );
    await store.trimStreams(Date.now() + 1);
    assert.deepEqual(await store.streamRecords(table.id, 'L', 0, 100), []);
  });

  it('never lets a reader skip a stream record while every node appends at once', async () => {
    const first = await node(await engine.open());
    const nodes = engine.engine === 'postgres' ? [first, await node(await engine.node())] : [first];
    const table = (await first.store.insertTable(tableSpec('busy-stream')))!;
    let writing = true;
    const seen: number[] = [];
    const reader = (async () => {
      let after = 0;
      for (let more = true; more; ) {
        more = writing;
        const rows = await first.store.streamRecords(table.id, 'L', after, 1000);
        for (const row of rows) seen.push(row.seq);
        if (rows.length > 0) after = rows[rows.length - 1]!.seq;
        // Lets the writers' commits run (SQLite reads resolve without a turn of the event loop).
        await sleep(1);
      }
    })();
    const appender = async (store: DynamoDbStore, w: number) => {
      for (let i = 0; i < 20; i++) {
        await store.transaction(async (items) => {
          await items.putItem(table.id, s(`w${w}`), n(String(i)), 1, '{}');
          await items.appendStreamRecord(table.id, 'L', JSON.stringify({ w, i }));
        });
      }
    };
    await Promise.all(nodes.flatMap((nd, k) => Array.from({ length: 5 }, (_, w) => appender(nd.store, k * 5 + w))));
    writing = false;
    await reader;
    assert.equal(seen.length, nodes.length * 100);
  });

  it('refuses a second table of the same name, signals table changes, and deletes a table with its items', async () => {
    const { store } = await node(await engine.open());
    const signals: string[] = [];
    const stop = store.db.signals.listen(TABLE_CHANGED, (key) => signals.push(key));
    try {
      const table = (await store.insertTable(tableSpec('t1')))!;
      assert.equal(await store.insertTable(tableSpec('t1')), undefined);
      await store.transaction((items) => items.putItem(table.id, s('a'), n('1'), 1, '{}'));
      const changed = await store.updateTable(table.id, (t) => {
        t.tags.k = 'v';
      });
      assert.deepEqual(changed!.table.tags, { k: 'v' });
      assert.deepEqual((await store.loadTable(req.accountId, req.region, 't1'))!.tags, { k: 'v' });
      assert.ok(await store.deleteTable(table.id, () => {}));
      assert.equal(await store.loadTable(req.accountId, req.region, 't1'), undefined);
      assert.equal(await store.items.getItemRow(table.id, s('a'), n('1')), undefined);
      assert.equal((await store.stats(table.id)).size, 0);
      await until('the signals arrived', async () => signals.length >= 3);
      assert.ok(signals.every((k) => k === `${req.accountId}/${req.region}/t1`));
    } finally {
      stop();
    }
  });

  it('loses no conditional increment when workers on every node update one item at once', async () => {
    const first = await node(await engine.open());
    const nodes = engine.engine === 'postgres' ? [first, await node(await engine.node())] : [first];
    await first.tables.CreateTable(
      {
        TableName: 'counter',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      },
      req,
    );
    const key = { pk: { S: 'c' } };
    await first.items.PutItem({ TableName: 'counter', Item: { ...key, n: { N: '0' } } }, req);
    const worker = async (items: (typeof first)['items']) => {
      for (let done = 0; done < 20; ) {
        const { Item } = (await items.GetItem({ TableName: 'counter', Key: key, ConsistentRead: true }, req)) as { Item?: { toJSON?: () => unknown } };
        const current = JSON.parse(JSON.stringify(Item)) as { n: { N: string } };
        const outcome = await errorName(
          items.UpdateItem(
            {
              TableName: 'counter',
              Key: key,
              UpdateExpression: 'SET n = n + :one',
              ConditionExpression: 'n = :old',
              ExpressionAttributeValues: { ':one': { N: '1' }, ':old': current.n },
            },
            req,
          ),
        );
        if (outcome === undefined) done++;
        else assert.equal(outcome, 'ConditionalCheckFailedException');
      }
    };
    await Promise.all(nodes.flatMap((nd) => Array.from({ length: 5 }, () => worker(nd.items))));
    const { Item } = (await first.items.GetItem({ TableName: 'counter', Key: key, ConsistentRead: true }, req)) as { Item: unknown };
    assert.deepEqual(JSON.parse(JSON.stringify(Item)), { ...key, n: { N: String(nodes.length * 100) } });
  });

  it('makes a table created on one node usable on another at once, and its changes visible there', { skip: engine.engine === 'sqlite' && 'SQLite serves one node' }, async () => {
    const one = await node(await engine.open());
    const two = await node(await engine.node());
    await one.tables.CreateTable(
      {
        TableName: 'shared',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      },
      req,
    );
    await two.items.PutItem({ TableName: 'shared', Item: { pk: { S: 'a' }, v: { S: 'from two' } } }, req);
    const { Item } = (await one.items.GetItem({ TableName: 'shared', Key: { pk: { S: 'a' } } }, req)) as { Item: unknown };
    assert.deepEqual(JSON.parse(JSON.stringify(Item)), { pk: { S: 'a' }, v: { S: 'from two' } });
    // Node two has the table cached now; a change on node one reaches it through the signal.
    await one.tables.UpdateTimeToLive({ TableName: 'shared', TimeToLiveSpecification: { Enabled: true, AttributeName: 'exp' } }, req);
    await until('node two sees the TTL setting', async () => {
      const out = (await two.tables.DescribeTimeToLive({ TableName: 'shared' }, req)) as { TimeToLiveDescription: { TimeToLiveStatus: string } };
      return out.TimeToLiveDescription.TimeToLiveStatus === 'ENABLED';
    });
    await one.tables.DeleteTable({ TableName: 'shared' }, req);
    await until('node two sees the table gone', async () => (await errorName(two.items.GetItem({ TableName: 'shared', Key: { pk: { S: 'a' } } }, req))) === 'ResourceNotFoundException');
  });
}
