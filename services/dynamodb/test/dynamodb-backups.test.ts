// Deletion protection, on-demand backups and point-in-time recovery through the official SDK.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateBackupCommand,
  DeleteBackupCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeBackupCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  GetItemCommand,
  ListBackupsCommand,
  PutItemCommand,
  QueryCommand,
  RestoreTableFromBackupCommand,
  RestoreTableToPointInTimeCommand,
  ScanCommand,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
  waitUntilTableExists,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { TestPlatform } from '@atoll/test-support';
import { createTable, failure, start } from './helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('DynamoDB deletion protection, backups and point-in-time recovery', () => {
  let platform: TestPlatform;
  let ddb: DynamoDBClient;
  before(async () => ({ platform, ddb } = await start()));
  after(async () => platform.stop());

  const put = (table: string, pk: string, value: string) =>
    ddb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, sk: { S: 'a' }, v: { S: value }, g: { S: 'group' } } }));
  const contents = async (table: string) => {
    const { Items } = await ddb.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
    return Object.fromEntries(Items!.map((i) => [i.pk!.S!, i.v!.S!]));
  };
  const ready = async (table: string) => {
    const result = await waitUntilTableExists({ client: ddb, maxWaitTime: 60, minDelay: 1 }, { TableName: table });
    assert.equal(result.state, 'SUCCESS');
  };

  test('refuses to delete a protected table until protection is turned off', async () => {
    await createTable(ddb, 'protected', { DeletionProtectionEnabled: true });
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: 'protected' }));
    assert.equal(Table!.DeletionProtectionEnabled, true);
    const err = await failure(() => ddb.send(new DeleteTableCommand({ TableName: 'protected' })));
    assert.equal(err.name, 'ValidationException');
    assert.equal(err.$metadata.httpStatusCode, 400);
    assert.match(err.message, /protected against deletion/);
    await ddb.send(new UpdateTableCommand({ TableName: 'protected', DeletionProtectionEnabled: false }));
    await ddb.send(new DeleteTableCommand({ TableName: 'protected' }));
  });

  test('restores a backup into a new table with its items and indexes as of the backup', async () => {
    await createTable(ddb, 'orders', {
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'g', AttributeType: 'S' },
      ],
      GlobalSecondaryIndexes: [{ IndexName: 'byG', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
    });
    await put('orders', 'one', 'v1');
    await put('orders', 'two', 'v1');
    const { BackupDetails } = await ddb.send(new CreateBackupCommand({ TableName: 'orders', BackupName: 'nightly' }));
    assert.equal(BackupDetails!.BackupStatus, 'AVAILABLE');
    assert.equal(BackupDetails!.BackupType, 'USER');
    assert.match(BackupDetails!.BackupArn!, /:table\/orders\/backup\/\d{14}-[0-9a-f]{8}$/);
    await put('orders', 'one', 'v2');
    await put('orders', 'three', 'v2');

    const restored = await ddb.send(new RestoreTableFromBackupCommand({ TargetTableName: 'orders-copy', BackupArn: BackupDetails!.BackupArn! }));
    assert.equal(restored.TableDescription!.TableStatus, 'CREATING');
    assert.equal(restored.TableDescription!.RestoreSummary!.SourceBackupArn, BackupDetails!.BackupArn);
    await ready('orders-copy');
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: 'orders-copy' }));
    assert.equal(Table!.RestoreSummary!.RestoreInProgress, false);
    assert.equal(Table!.ItemCount, 2);
    assert.deepEqual(await contents('orders-copy'), { one: 'v1', two: 'v1' });
    const byIndex = await ddb.send(new QueryCommand({ TableName: 'orders-copy', IndexName: 'byG', KeyConditionExpression: 'g = :g', ExpressionAttributeValues: { ':g': { S: 'group' } } }));
    assert.equal(byIndex.Count, 2);
    assert.deepEqual(await contents('orders'), { one: 'v2', two: 'v1', three: 'v2' });

    const { BackupDescription } = await ddb.send(new DescribeBackupCommand({ BackupArn: BackupDetails!.BackupArn! }));
    assert.equal(BackupDescription!.SourceTableDetails!.ItemCount, 2);
    assert.equal(BackupDescription!.SourceTableFeatureDetails!.GlobalSecondaryIndexes![0]!.IndexName, 'byG');
    const listed = await ddb.send(new ListBackupsCommand({ TableName: 'orders' }));
    assert.deepEqual(listed.BackupSummaries!.map((b) => b.BackupName), ['nightly']);
    assert.equal((await ddb.send(new ListBackupsCommand({ TableName: 'nothing' }))).BackupSummaries!.length, 0);
  });

  test('answers the documented errors of backups and restores', async () => {
    await createTable(ddb, 'source');
    const missing = await failure(() => ddb.send(new CreateBackupCommand({ TableName: 'absent', BackupName: 'first-backup' })));
    assert.equal(missing.name, 'TableNotFoundException');
    const { BackupDetails } = await ddb.send(new CreateBackupCommand({ TableName: 'source', BackupName: 'first-backup' }));
    const taken = await failure(() => ddb.send(new RestoreTableFromBackupCommand({ TargetTableName: 'source', BackupArn: BackupDetails!.BackupArn! })));
    assert.equal(taken.name, 'TableAlreadyExistsException');
    assert.equal(taken.$metadata.httpStatusCode, 400);
    const deleted = await ddb.send(new DeleteBackupCommand({ BackupArn: BackupDetails!.BackupArn! }));
    assert.equal(deleted.BackupDescription!.BackupDetails!.BackupStatus, 'DELETED');
    const gone = await failure(() => ddb.send(new DescribeBackupCommand({ BackupArn: BackupDetails!.BackupArn! })));
    assert.equal(gone.name, 'BackupNotFoundException');
    assert.equal(gone.message, `Backup not found: ${BackupDetails!.BackupArn}`);
    const restoreGone = await failure(() => ddb.send(new RestoreTableFromBackupCommand({ TargetTableName: 'x-copy', BackupArn: BackupDetails!.BackupArn! })));
    assert.equal(restoreGone.name, 'BackupNotFoundException');
  });

  test('restores a table to any moment of its point-in-time window', async () => {
    await createTable(ddb, 'ledger');
    const off = await ddb.send(new DescribeContinuousBackupsCommand({ TableName: 'ledger' }));
    assert.equal(off.ContinuousBackupsDescription!.PointInTimeRecoveryDescription!.PointInTimeRecoveryStatus, 'DISABLED');
    const unavailable = await failure(() =>
      ddb.send(new RestoreTableToPointInTimeCommand({ SourceTableName: 'ledger', TargetTableName: 'ledger-x', UseLatestRestorableTime: true })),
    );
    assert.equal(unavailable.name, 'PointInTimeRecoveryUnavailableException');

    const on = await ddb.send(
      new UpdateContinuousBackupsCommand({ TableName: 'ledger', PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 7 } }),
    );
    const description = on.ContinuousBackupsDescription!.PointInTimeRecoveryDescription!;
    assert.equal(description.PointInTimeRecoveryStatus, 'ENABLED');
    assert.equal(description.RecoveryPeriodInDays, 7);
    await sleep(1200); // the window opens a second after PITR is turned on

    await put('ledger', 'a', 'v1');
    await put('ledger', 'b', 'v1');
    await sleep(20);
    const first = new Date();
    await sleep(20);
    await put('ledger', 'a', 'v2');
    await ddb.send(new DeleteItemCommand({ TableName: 'ledger', Key: { pk: { S: 'b' }, sk: { S: 'a' } } }));
    await put('ledger', 'c', 'v2');
    await put('ledger', 'a', 'v3');

    const window = (await ddb.send(new DescribeContinuousBackupsCommand({ TableName: 'ledger' }))).ContinuousBackupsDescription!.PointInTimeRecoveryDescription!;
    assert.ok(window.EarliestRestorableDateTime! <= first && first <= window.LatestRestorableDateTime!);

    const restored = await ddb.send(new RestoreTableToPointInTimeCommand({ SourceTableName: 'ledger', TargetTableName: 'ledger-then', RestoreDateTime: first }));
    assert.equal(restored.TableDescription!.TableStatus, 'CREATING');
    // A table being restored is not readable yet, or already ACTIVE: either way the waiter sees it through.
    await ready('ledger-then');
    assert.deepEqual(await contents('ledger-then'), { a: 'v1', b: 'v1' });

    await ddb.send(new RestoreTableToPointInTimeCommand({ SourceTableName: 'ledger', TargetTableName: 'ledger-now', UseLatestRestorableTime: true }));
    await ready('ledger-now');
    assert.deepEqual(await contents('ledger-now'), { a: 'v3', c: 'v2' });
    const item = await ddb.send(new GetItemCommand({ TableName: 'ledger-now', Key: { pk: { S: 'a' }, sk: { S: 'a' } } }));
    assert.equal(item.Item!.v!.S, 'v3');

    const early = await failure(() =>
      ddb.send(new RestoreTableToPointInTimeCommand({ SourceTableName: 'ledger', TargetTableName: 'ledger-old', RestoreDateTime: new Date(Date.now() - 3_600_000) })),
    );
    assert.equal(early.name, 'InvalidRestoreTimeException');
    assert.equal(early.$metadata.httpStatusCode, 400);

    await ddb.send(new UpdateContinuousBackupsCommand({ TableName: 'ledger', PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false } }));
    const disabled = await ddb.send(new DescribeContinuousBackupsCommand({ TableName: 'ledger' }));
    assert.equal(disabled.ContinuousBackupsDescription!.PointInTimeRecoveryDescription!.PointInTimeRecoveryStatus, 'DISABLED');
    const missing = await failure(() => ddb.send(new DescribeContinuousBackupsCommand({ TableName: 'absent' })));
    assert.equal(missing.name, 'TableNotFoundException');
  });
});
