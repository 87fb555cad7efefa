// End-to-end: the RDS Data API through @aws-sdk/client-rds-data on an aurora-postgresql cluster:
// the HTTP endpoint switch, credentials from a Secrets Manager secret, typed parameters and records,
// JSON records and column metadata, batches, transactions, ExecuteSql, and AWS's errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { CreateDBClusterCommand, CreateDBInstanceCommand, DescribeDBClustersCommand, EnableHttpEndpointCommand, ModifyDBClusterCommand, RDSClient } from '@aws-sdk/client-rds';
import {
  BadRequestException,
  BatchExecuteStatementCommand,
  BeginTransactionCommand,
  CommitTransactionCommand,
  DatabaseErrorException,
  ExecuteSqlCommand,
  ExecuteStatementCommand,
  HttpEndpointNotEnabledException,
  InvalidSecretException,
  NotFoundException,
  RDSDataClient,
  RollbackTransactionCommand,
  SecretsErrorException,
  StatementTimeoutException,
  TransactionNotFoundException,
} from '@aws-sdk/client-rds-data';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ServiceFactory } from '@atoll/core';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { waitForCluster, waitForInstance } from './rds-helpers.js';

/** A stand-in Secrets Manager (GetSecretValue only), so that this suite does not depend on that service. */
const secrets = new Map<string, string>();
const fakeSecretsManager: ServiceFactory = () => ({
  service: 'secretsmanager',
  operations: {
    GetSecretValue: (input: { SecretId: string }) => {
      const value = secrets.get(input.SecretId);
      if (value === undefined) throw new Error("Secrets Manager can't find the specified secret.");
      return { ARN: input.SecretId, SecretString: value };
    },
  },
});

describe('RDS Data API', () => {
  let platform: TestPlatform;
  let rds: RDSClient;
  let data: RDSDataClient;
  let resourceArn: string;
  let port: number;
  const secretArn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:rds-db-credentials/data-abcdef';
  const savedTimeout = process.env.ATOLL_RDS_DATA_TIMEOUT_MS;

  before(async () => {
    process.env.ATOLL_RDS_DATA_TIMEOUT_MS = '2000';
    platform = await startPlatform({ services: ['rds', 'rdsdata'], extraProviders: [fakeSecretsManager] });
    rds = platform.client(RDSClient);
    data = platform.client(RDSDataClient);
    const cluster = await rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: 'data',
        Engine: 'aurora-postgresql',
        MasterUsername: 'master',
        MasterUserPassword: 'data-api-pw',
        DatabaseName: 'app',
      }),
    );
    resourceArn = cluster.DBCluster!.DBClusterArn!;
    await rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: 'data-1', DBClusterIdentifier: 'data', Engine: 'aurora-postgresql', DBInstanceClass: 'db.r6g.large' }));
    await waitForCluster(rds, 'data', 'available', 90_000);
    await waitForInstance(rds, 'data-1', 'available', 90_000);
    port = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'data' }))).DBClusters![0]!.Port!;
    secrets.set(secretArn, JSON.stringify({ username: 'master', password: 'data-api-pw' }));
    secrets.set(`${secretArn}-plain`, 'not json');
  });
  after(async () => {
    await platform?.stop();
    if (savedTimeout === undefined) delete process.env.ATOLL_RDS_DATA_TIMEOUT_MS;
    else process.env.ATOLL_RDS_DATA_TIMEOUT_MS = savedTimeout;
  });

  const run = (sql: string, extra: Record<string, unknown> = {}) => data.send(new ExecuteStatementCommand({ resourceArn, secretArn, sql, ...extra }));

  test('answers HttpEndpointNotEnabledException until EnableHttpEndpoint, then runs SQL with the secret', { timeout: 60_000 }, async () => {
    await assert.rejects(run('SELECT 1'), HttpEndpointNotEnabledException);
    const enabled = await rds.send(new EnableHttpEndpointCommand({ ResourceArn: resourceArn }));
    assert.equal(enabled.HttpEndpointEnabled, true);
    assert.equal((await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'data' }))).DBClusters![0]!.HttpEndpointEnabled, true);
    const out = await run('SELECT current_user AS who, current_database() AS db');
    assert.deepEqual(out.records, [[{ stringValue: 'master' }, { stringValue: 'app' }]]);
  });

  test('refuses unknown clusters and secrets with the documented errors', async () => {
    await assert.rejects(data.send(new ExecuteStatementCommand({ resourceArn: `${resourceArn}-nope`, secretArn, sql: 'SELECT 1' })), NotFoundException);
    await assert.rejects(data.send(new ExecuteStatementCommand({ resourceArn: 'arn:aws:rds:us-east-1:000000000000:db:data-1', secretArn, sql: 'SELECT 1' })), BadRequestException);
    await assert.rejects(data.send(new ExecuteStatementCommand({ resourceArn, secretArn: `${secretArn}-missing`, sql: 'SELECT 1' })), SecretsErrorException);
    await assert.rejects(data.send(new ExecuteStatementCommand({ resourceArn, secretArn: `${secretArn}-plain`, sql: 'SELECT 1' })), InvalidSecretException);
  });

  test('binds typed named parameters and returns typed records, JSON records and column metadata', async () => {
    await run(`CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, qty int8, price numeric(10,2), ratio float8, ok boolean,
      born date, seen timestamp, ref uuid, doc jsonb, raw bytea, tags text[], note text)`);
    const inserted = await run(
      'INSERT INTO items (name, qty, price, ratio, ok, born, seen, ref, doc, raw, tags, note) VALUES (:name, :qty, :price, :ratio, :ok, :born, :seen, :ref, :doc, :raw, :tags, :note) RETURNING id',
      {
        parameters: [
          { name: 'name', value: { stringValue: "it's :not_a_param" } },
          { name: 'qty', value: { longValue: 9007199254740 } },
          { name: 'price', value: { stringValue: '12.50' }, typeHint: 'DECIMAL' },
          { name: 'ratio', value: { doubleValue: 0.25 } },
          { name: 'ok', value: { booleanValue: true } },
          { name: 'born', value: { stringValue: '2024-02-29' }, typeHint: 'DATE' },
          { name: 'seen', value: { stringValue: '2024-03-01 10:20:30.5' }, typeHint: 'TIMESTAMP' },
          { name: 'ref', value: { stringValue: '6f1c2a4e-8b6d-4a51-9a77-0c2b1d3e4f50' }, typeHint: 'UUID' },
          { name: 'doc', value: { stringValue: '{"a": [1, 2]}' }, typeHint: 'JSON' },
          { name: 'raw', value: { blobValue: new Uint8Array([0, 1, 254, 255]) } },
          { name: 'tags', value: { arrayValue: { stringValues: ['x', 'y z'] } } },
          { name: 'note', value: { isNull: true } },
        ],
      },
    );
    assert.equal(inserted.numberOfRecordsUpdated, 1);
    assert.deepEqual(inserted.records, [[{ longValue: 1 }]]);

    const selected = await run('SELECT name, qty, price, ratio, ok, born, seen, ref, doc, raw, tags, note FROM items WHERE id = :id', {
      parameters: [{ name: 'id', value: { longValue: 1 } }],
      includeResultMetadata: true,
    });
    assert.equal(selected.numberOfRecordsUpdated, 0);
    const [row] = selected.records!;
    assert.deepEqual(row!.slice(0, 9), [
      { stringValue: "it's :not_a_param" },
      { longValue: 9007199254740 },
      { stringValue: '12.50' },
      { doubleValue: 0.25 },
      { booleanValue: true },
      { stringValue: '2024-02-29' },
      { stringValue: '2024-03-01 10:20:30.5' },
      { stringValue: '6f1c2a4e-8b6d-4a51-9a77-0c2b1d3e4f50' },
      { stringValue: '{"a": [1, 2]}' },
    ]);
    assert.deepEqual([...row![9]!.blobValue!], [0, 1, 254, 255]);
    assert.deepEqual(row![10], { arrayValue: { stringValues: ['x', 'y z'] } });
    assert.deepEqual(row![11], { isNull: true });
    const meta = selected.columnMetadata!;
    assert.deepEqual(meta.map((c) => c.typeName), ['text', 'int8', 'numeric', 'float8', 'bool', 'date', 'timestamp', 'uuid', 'jsonb', 'bytea', '_text', 'text']);
    assert.equal(meta[1]!.type, -5);
    assert.equal(meta[2]!.precision, 10);
    assert.equal(meta[2]!.scale, 2);

    const json = await run('SELECT name, qty, price, ok, tags, note FROM items', { formatRecordsAs: 'JSON', resultSetOptions: { decimalReturnType: 'DOUBLE_OR_LONG' } });
    assert.equal(json.records, undefined);
    assert.deepEqual(JSON.parse(json.formattedRecords!), [{ name: "it's :not_a_param", qty: 9007199254740, price: 12.5, ok: true, tags: ['x', 'y z'], note: null }]);
  });

  test('runs a batch over parameter sets atomically', async () => {
    await run('CREATE TABLE batch (n int PRIMARY KEY)');
    const out = await data.send(
      new BatchExecuteStatementCommand({ resourceArn, secretArn, sql: 'INSERT INTO batch VALUES (:n)', parameterSets: [1, 2, 3].map((n) => [{ name: 'n', value: { longValue: n } }]) }),
    );
    assert.equal(out.updateResults?.length, 3);
    // A failing set (a duplicate key) rolls the whole batch back.
    await assert.rejects(
      data.send(new BatchExecuteStatementCommand({ resourceArn, secretArn, sql: 'INSERT INTO batch VALUES (:n)', parameterSets: [4, 1].map((n) => [{ name: 'n', value: { longValue: n } }]) })),
      (error: Error) => error instanceof DatabaseErrorException && /SQLState: 23505/.test(error.message),
    );
    assert.deepEqual((await run('SELECT count(*) FROM batch')).records, [[{ longValue: 3 }]]);
  });

  test('keeps a transaction open across calls until commit or rollback', async () => {
    await run('CREATE TABLE tx (n int)');
    const { transactionId } = await data.send(new BeginTransactionCommand({ resourceArn, secretArn }));
    assert.ok(transactionId);
    await run('INSERT INTO tx VALUES (1)', { transactionId });
    assert.deepEqual((await run('SELECT count(*) FROM tx')).records, [[{ longValue: 0 }]]);
    assert.deepEqual((await run('SELECT count(*) FROM tx', { transactionId })).records, [[{ longValue: 1 }]]);
    const rolledBack = await data.send(new RollbackTransactionCommand({ resourceArn, secretArn, transactionId }));
    assert.equal(rolledBack.transactionStatus, 'Rollback Complete');
    await assert.rejects(run('SELECT 1', { transactionId }), TransactionNotFoundException);

    const second = (await data.send(new BeginTransactionCommand({ resourceArn, secretArn }))).transactionId!;
    await data.send(new BatchExecuteStatementCommand({ resourceArn, secretArn, transactionId: second, sql: 'INSERT INTO tx VALUES (:n)', parameterSets: [[{ name: 'n', value: { longValue: 7 } }]] }));
    const committed = await data.send(new CommitTransactionCommand({ resourceArn, secretArn, transactionId: second }));
    assert.equal(committed.transactionStatus, 'Transaction Committed');
    assert.deepEqual((await run('SELECT n FROM tx')).records, [[{ longValue: 7 }]]);
    await assert.rejects(data.send(new CommitTransactionCommand({ resourceArn, secretArn, transactionId: second })), TransactionNotFoundException);
  });

  test('answers SQL errors, missing parameters and timeouts with the Data API errors', async () => {
    await assert.rejects(run('SELECT * FROM missing_table'), (error: Error) => error instanceof DatabaseErrorException && /missing_table.*SQLState: 42P01/s.test(error.message));
    await assert.rejects(run('SELECT :absent'), (error: Error) => error instanceof BadRequestException && /absent/.test(error.message));
    await assert.rejects(run('SELECT pg_sleep(10)'), StatementTimeoutException);
    // The cancelled statement left the engine usable.
    assert.deepEqual((await run('SELECT 1::int8')).records, [[{ longValue: 1 }]]);
  });

  test('runs several statements with ExecuteSql', async () => {
    const out = await data.send(
      new ExecuteSqlCommand({ dbClusterOrInstanceArn: resourceArn, awsSecretStoreArn: secretArn, sqlStatements: "CREATE TABLE legacy (a int, b text); INSERT INTO legacy VALUES (1, 'one'); SELECT a, b FROM legacy" }),
    );
    const results = out.sqlStatementResults!;
    assert.equal(results.length, 3);
    assert.equal(results[1]!.numberOfRecordsUpdated, 1);
    assert.deepEqual(results[2]!.resultFrame!.records, [{ values: [{ intValue: 1 }, { stringValue: 'one' }] }]);
    assert.equal(results[2]!.resultFrame!.resultSetMetadata!.columnCount, 2);
  });

  test('ModifyDBCluster changes the master password on the engine', { timeout: 60_000 }, async () => {
    await rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: 'data', MasterUserPassword: 'rotated-pw-1', ApplyImmediately: true }));
    await waitForCluster(rds, 'data', 'available', 30_000);
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'master', password: 'rotated-pw-1', database: 'app' });
    await client.connect();
    assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
    await client.end();
    const stale = new pg.Client({ host: '127.0.0.1', port, user: 'master', password: 'data-api-pw', database: 'app' });
    await assert.rejects(stale.connect(), /password authentication failed/);
    // A secret holding a wrong password fails on a new connection with the engine's message.
    secrets.set(`${secretArn}-wrong`, JSON.stringify({ username: 'master', password: 'wrong-password' }));
    await assert.rejects(
      data.send(new ExecuteStatementCommand({ resourceArn, secretArn: `${secretArn}-wrong`, sql: 'SELECT 1' })),
      (error: Error) => error instanceof DatabaseErrorException && /password authentication failed/.test(error.message),
    );
  });
});

describe('RDS Data API with Secrets Manager', () => {
  let platform: TestPlatform;

  before(async () => {
    platform = await startPlatform({ services: ['rds', 'rdsdata', 'secretsmanager'] });
  });
  after(async () => {
    await platform?.stop();
  });

  test('reads the credentials of a Secrets Manager secret', { timeout: 120_000 }, async () => {
    const rds = platform.client(RDSClient);
    const data = platform.client(RDSDataClient);
    const sm = platform.client(SecretsManagerClient);
    const cluster = await rds.send(
      new CreateDBClusterCommand({ DBClusterIdentifier: 'sm', Engine: 'aurora-postgresql', MasterUsername: 'admin_user', MasterUserPassword: 'secret-pw-1', EnableHttpEndpoint: true }),
    );
    await rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: 'sm-1', DBClusterIdentifier: 'sm', Engine: 'aurora-postgresql', DBInstanceClass: 'db.r6g.large' }));
    await waitForInstance(rds, 'sm-1', 'available', 90_000);
    const secret = await sm.send(new CreateSecretCommand({ Name: 'rds-db-credentials/sm', SecretString: JSON.stringify({ username: 'admin_user', password: 'secret-pw-1' }) }));
    const out = await data.send(new ExecuteStatementCommand({ resourceArn: cluster.DBCluster!.DBClusterArn!, secretArn: secret.ARN!, sql: 'SELECT current_user' }));
    assert.deepEqual(out.records, [[{ stringValue: 'admin_user' }]]);
    await assert.rejects(
      data.send(new ExecuteStatementCommand({ resourceArn: cluster.DBCluster!.DBClusterArn!, secretArn: `${secret.ARN}-gone`, sql: 'SELECT 1' })),
      SecretsErrorException,
    );
  });
});
