// The backup store's contract on both engines: a backup is the table's rows at the moment it is
// taken; a restore (from a backup, or to a time from the PITR write history) gives exactly the rows
// of that moment, run once or twice; history is trimmed and dropped with its table.
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineContext } from '@atoll/test-support';
import { requestContext } from '@atoll/test-support';
import type { Item } from './attribute-value.js';
import { BackupStore } from './backup-store.js';
import { DynamoDbStore } from './dynamodb-store.js';
import { encodeItemKey, readItem, writeItem } from './table-engine.js';
import type { TableInfo } from './table-schema.js';

const req = requestContext();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function tableSpec(name: string, pitr: boolean): Omit<TableInfo, 'id'> {
  return {
    name,
    accountId: req.accountId,
    region: req.region,
    arn: `arn:aws:dynamodb:${req.region}:${req.accountId}:table/${name}`,
    tableId: name,
    keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    hashKey: 'pk',
    billingMode: 'PAY_PER_REQUEST',
    throughput: { ReadCapacityUnits: 0, WriteCapacityUnits: 0 },
    createdAt: Date.now(),
    indexes: [],
    tags: {},
    deletionProtection: false,
    ...(pitr ? { pitr: { enabled: true, since: Date.now(), days: 35 } } : {}),
  };
}

const item = (pk: string, v: string): Item => ({ pk: { S: pk }, v: { S: v } });

/** Writes (or deletes, when `v` is undefined) one item as the item operations do. */
async function write(store: DynamoDbStore, table: TableInfo, pk: string, v: string | undefined): Promise<void> {
  const key = encodeItemKey(table, item(pk, 'x'));
  await store.transaction(async (items) => {
    const old = await readItem(items, table, key);
    await writeItem(items, table, key, old, v === undefined ? undefined : item(pk, v));
  });
}

async function contents(store: DynamoDbStore, table: TableInfo): Promise<Record<string, string>> {
  const rows = await store.items.scan(table.id, undefined, undefined).next(1000);
  return Object.fromEntries(rows.map((r) => JSON.parse(r.item) as Item).map((i) => [(i.pk as { S: string }).S, (i.v as { S: string }).S]));
}

export function backupStoreCases(engine: EngineContext): void {
  const opened: DynamoDbStore[] = [];
  after(async () => {
    for (const store of opened.splice(0)) await store.close();
  });
  const open = async () => {
    const store = await DynamoDbStore.open(await engine.open());
    opened.push(store);
    return store;
  };

  it('keeps a backup of the rows at the moment it was taken, restores it idempotently and deletes it', async () => {
    const store = await open();
    const table = (await store.insertTable(tableSpec('src', false)))!;
    await write(store, table, 'a', '1');
    await write(store, table, 'b', '1');
    const backup = await store.backups.createBackup(
      { arn: `${table.arn}/backup/1`, name: 'b', accountId: req.accountId, region: req.region, tableName: 'src', createdAt: Date.now(), status: 'CREATING', sizeBytes: 0, itemCount: 0, table: {} },
      table.id,
    );
    assert.equal(backup.status, 'AVAILABLE');
    assert.equal(backup.itemCount, 2);
    assert.ok(backup.sizeBytes > 0);
    await write(store, table, 'a', '2');
    await write(store, table, 'c', '2');
    assert.deepEqual((await store.backups.listBackups(req.accountId, req.region)).map((b) => b.arn), [backup.arn]);

    const target = (await store.insertTable(tableSpec('copy', false)))!;
    await store.backups.restoreRows(target.id, { backupArn: backup.arn });
    await store.backups.restoreRows(target.id, { backupArn: backup.arn });
    assert.deepEqual(await contents(store, target), { a: '1', b: '1' });
    assert.equal((await store.stats(target.id)).get('')!.count, 2, 'a second run adds nothing');

    assert.equal((await store.backups.deleteBackup(backup.arn))!.arn, backup.arn);
    assert.equal(await store.backups.getBackup(backup.arn), undefined);
    assert.equal(await store.backups.deleteBackup(backup.arn), undefined);
  });

  it('rebuilds a table as it was at any moment from the write history', async () => {
    const store = await open();
    const table = (await store.insertTable(tableSpec('pitr', true)))!;
    await write(store, table, 'a', '1');
    await write(store, table, 'b', '1');
    await sleep(5);
    const t1 = Date.now();
    await sleep(5);
    await write(store, table, 'a', '2');
    await write(store, table, 'b', undefined);
    await write(store, table, 'c', '2');
    await sleep(5);
    const t2 = Date.now();
    await sleep(5);
    await write(store, table, 'a', '3');
    await write(store, table, 'b', '3');
    assert.equal((await store.backups.historyFigures(table.id)).rows, 7);

    const cases: [number, Record<string, string>][] = [
      [t1, { a: '1', b: '1' }],
      [t2, { a: '2', c: '2' }],
      [Date.now(), { a: '3', b: '3', c: '2' }],
    ];
    for (const [i, [at, expected]] of cases.entries()) {
      const target = (await store.insertTable(tableSpec(`at${i}`, false)))!;
      await store.backups.restoreRows(target.id, { sourceTableId: table.id, at });
      assert.deepEqual(await contents(store, target), expected);
    }

    const backup = await store.backups.createBackup(
      { arn: `${table.arn}/backup/2`, name: 'b', accountId: req.accountId, region: req.region, tableName: 'pitr', createdAt: t2, status: 'CREATING', sizeBytes: 0, itemCount: 0, table: {} },
      table.id,
      t2,
    );
    assert.equal(backup.itemCount, 2, 'a backup of a PITR table is its state at the given time');
    const fromBackup = (await store.insertTable(tableSpec('from-backup', false)))!;
    await store.backups.restoreRows(fromBackup.id, { backupArn: backup.arn });
    assert.deepEqual(await contents(store, fromBackup), { a: '2', c: '2' });

    assert.equal(await store.backups.trimHistory(table.id, t2), 5);
    const after = (await store.insertTable(tableSpec('after-trim', false)))!;
    await store.backups.restoreRows(after.id, { sourceTableId: table.id, at: t2 });
    assert.deepEqual(await contents(store, after), { a: '2', c: '2' }, 'the window after the trim point is intact');

    await store.deleteTable(table.id, () => undefined);
    assert.equal((await store.backups.historyFigures(table.id)).rows, 0);
  });

  it('copies in key ranges of a few keys each and still gives the exact state, while writes go on between ranges', async () => {
    const store = await open();
    const small = new BackupStore(store.db, 3);
    const table = (await store.insertTable(tableSpec('chunked', true)))!;
    for (let i = 0; i < 10; i++) await write(store, table, `k${i}`, 'old');
    await sleep(5);
    const at = Date.now();
    await sleep(5);
    for (let i = 0; i < 10; i += 2) await write(store, table, `k${i}`, 'new');
    await write(store, table, 'k1', undefined);
    await write(store, table, 'late', 'new');
    const expected = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'old']));
    const target = (await store.insertTable(tableSpec('chunked-copy', false)))!;
    // Writes while the ranges are copied (interleaved as they fall) change nothing in the result.
    const writer = (async () => {
      for (let i = 9; i >= 0; i--) await write(store, table, `k${i}`, i % 3 === 0 ? undefined : 'during');
    })();
    await Promise.all([small.restoreRows(target.id, { sourceTableId: table.id, at }), writer]);
    assert.deepEqual(await contents(store, target), expected);
    await small.snapshotAt('snap', table.id, at);
    const snapshot = await small.snapshotPage('snap', 100);
    assert.equal(snapshot.length, 10);
    assert.ok(snapshot.every((r) => (JSON.parse(r.item) as { v: { S: string } }).v.S === 'old'));
    await small.dropSnapshot('snap');
    assert.equal((await small.snapshotPage('snap', 100)).length, 0);
  });

  it('writes no history for a table without point-in-time recovery', async () => {
    const store = await open();
    const table = (await store.insertTable(tableSpec('plain', false)))!;
    await write(store, table, 'a', '1');
    await write(store, table, 'a', '2');
    assert.equal((await store.backups.historyFigures(table.id)).rows, 0);
  });
}
