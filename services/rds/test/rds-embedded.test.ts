// End-to-end: RDS for PostgreSQL on the embedded engine (PGlite behind the wire-protocol server), as
// on hosts without PostgreSQL: pg connects with the master user; a pool of 10 connections running
// named prepared statements at once gets correct results; a connection idle inside a transaction
// makes the others wait and then fail with a clear error, not hang; a snapshot restores the data.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { CreateDBInstanceCommand, CreateDBSnapshotCommand, RDSClient, RestoreDBInstanceFromDBSnapshotCommand } from '@aws-sdk/client-rds';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { waitForInstance, waitForSnapshot } from './rds-helpers.js';

describe('RDS for PostgreSQL on the embedded engine', () => {
  let platform: TestPlatform;
  let rds: RDSClient;
  const saved = { mode: process.env.ATOLL_RDS_POSTGRES, wait: process.env.ATOLL_RDS_EMBEDDED_WAIT_MS };

  before(async () => {
    process.env.ATOLL_RDS_POSTGRES = 'embedded';
    process.env.ATOLL_RDS_EMBEDDED_WAIT_MS = '1500';
    platform = await startPlatform({ services: ['rds'] });
    rds = platform.client(RDSClient);
  });
  after(async () => {
    await platform?.stop();
    for (const [key, value] of [['ATOLL_RDS_POSTGRES', saved.mode], ['ATOLL_RDS_EMBEDDED_WAIT_MS', saved.wait]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  test('serves pg clients: a pool of 10 with prepared statements, an idle transaction that times the others out, snapshot and restore', { timeout: 120_000 }, async () => {
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'embedded',
        Engine: 'postgres',
        DBInstanceClass: 'db.t3.micro',
        MasterUsername: 'master',
        MasterUserPassword: 'embedded-pw',
        DBName: 'app',
      }),
    );
    const instance = await waitForInstance(rds, 'embedded', 'available', 90_000);
    assert.match(instance.EngineVersion!, /^18\./);
    const port = instance.Endpoint!.Port!;
    const config = { host: '127.0.0.1', port, user: 'master', password: 'embedded-pw', database: 'app' };

    const wrong = new pg.Client({ ...config, password: 'nope-nope' });
    await assert.rejects(wrong.connect(), /password authentication failed/);

    const pool = new pg.Pool({ ...config, max: 10 });
    await pool.query('CREATE TABLE numbers (n int primary key, square int)');
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => pool.query({ name: 'insert-number', text: 'INSERT INTO numbers VALUES ($1, $2)', values: [i, i * i] })),
    );
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => pool.query({ name: 'square-of', text: 'SELECT square FROM numbers WHERE n = $1', values: [i] })),
    );
    assert.deepEqual(
      results.map((r) => r.rows[0].square),
      Array.from({ length: 40 }, (_, i) => i * i),
    );
    // Transactions on different connections do not mix.
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await client.query('UPDATE numbers SET square = square + 1 WHERE n = $1', [i]);
          await client.query(i % 2 === 0 ? 'COMMIT' : 'ROLLBACK');
        } finally {
          client.release();
        }
      }),
    );
    const { rows } = await pool.query('SELECT n, square FROM numbers WHERE n < 10 ORDER BY n');
    assert.deepEqual(
      rows.map((r) => r.square),
      Array.from({ length: 10 }, (_, i) => i * i + (i % 2 === 0 ? 1 : 0)),
    );

    const idle = new pg.Client(config);
    await idle.connect();
    await idle.query('BEGIN');
    await idle.query('SELECT 1');
    const started = Date.now();
    await assert.rejects(pool.query('SELECT 1'), (error: Error & { code?: string }) => {
      assert.equal(error.code, '55P03');
      assert.match(error.message, /another connection has kept a transaction open/);
      return true;
    });
    assert.ok(Date.now() - started >= 1400);
    await idle.query('ROLLBACK');
    assert.equal((await pool.query('SELECT count(*)::int AS c FROM numbers')).rows[0].c, 40);
    await idle.end();

    await rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'embedded', DBSnapshotIdentifier: 'embedded-snap' }));
    await waitForSnapshot(rds, 'embedded-snap');
    await pool.end();
    await rds.send(new RestoreDBInstanceFromDBSnapshotCommand({ DBInstanceIdentifier: 'embedded-copy', DBSnapshotIdentifier: 'embedded-snap' }));
    const copy = await waitForInstance(rds, 'embedded-copy', 'available', 60_000);
    const restored = new pg.Client({ ...config, port: copy.Endpoint!.Port! });
    await restored.connect();
    assert.equal((await restored.query('SELECT square FROM numbers WHERE n = 7')).rows[0].square, 49);
    await restored.end();
  });
});
