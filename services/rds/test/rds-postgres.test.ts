// End-to-end: RDS for PostgreSQL through @aws-sdk/client-rds against a real platform, each instance a
// real PostgreSQL server (skipped where none is installed), reached with `pg` on the endpoint that
// DescribeDBInstances reports: master user and password, DBName, password change, reboot, stop and
// start, snapshot and restore with the data, final snapshot on delete, an engine that dies restarted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  CreateDBInstanceCommand,
  CreateDBParameterGroupCommand,
  CreateDBSnapshotCommand,
  ModifyDBParameterGroupCommand,
  DeleteDBInstanceCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RebootDBInstanceCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  StartDBInstanceCommand,
  StopDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { waitForInstance, waitForSnapshot } from './rds-helpers.js';

const installed = existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`));

async function query(port: number, password: string, sql: string, database = 'appdb'): Promise<pg.QueryResult> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'master', password, database });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('RDS for PostgreSQL on a real server', { skip: installed ? false : 'no PostgreSQL server installed' }, () => {
  let platform: TestPlatform;
  let rds: RDSClient;

  const dataDir = mkdtempSync(join(tmpdir(), 'atoll-rds-test-'));

  before(async () => {
    platform = await startPlatform({ services: ['rds'], dataDir });
    rds = platform.client(RDSClient);
  });
  after(async () => {
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('creates an instance that pg reaches with the master user, keeps data across reboot, stop/start and a password change', async () => {
    await rds.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: 'orders-params', DBParameterGroupFamily: 'postgres15', Description: 'orders' }));
    await rds.send(
      new ModifyDBParameterGroupCommand({
        DBParameterGroupName: 'orders-params',
        Parameters: [{ ParameterName: 'work_mem', ParameterValue: '8MB', ApplyMethod: 'pending-reboot' }],
      }),
    );
    await assert.rejects(
      rds.send(
        new ModifyDBParameterGroupCommand({
          DBParameterGroupName: 'orders-params',
          Parameters: [{ ParameterName: 'archive_command', ParameterValue: 'touch /tmp/x', ApplyMethod: 'pending-reboot' }],
        }),
      ),
      { name: 'InvalidParameterValue', message: 'The parameter archive_command cannot be modified.' },
    );
    const created = await rds.send(
      new CreateDBInstanceCommand({
        DBParameterGroupName: 'orders-params',
        DBInstanceIdentifier: 'Orders-DB',
        Engine: 'postgres',
        DBInstanceClass: 'db.t3.micro',
        MasterUsername: 'master',
        MasterUserPassword: 'first-secret',
        DBName: 'appdb',
        AllocatedStorage: 20,
        Tags: [{ Key: 'team', Value: 'orders' }],
      }),
    );
    assert.equal(created.DBInstance?.DBInstanceIdentifier, 'orders-db');
    assert.equal(created.DBInstance?.DBInstanceStatus, 'creating');
    const instance = await waitForInstance(rds, 'orders-db');
    const port = instance.Endpoint!.Port!;
    assert.equal(instance.Endpoint?.Address, '127.0.0.1');
    assert.notEqual(port, 5432);
    assert.match(instance.EngineVersion!, /^\d+\.\d+/);

    await query(port, 'first-secret', 'CREATE TABLE orders (id serial primary key, item text)');
    await query(port, 'first-secret', "INSERT INTO orders (item) VALUES ('apple'), ('pear')");
    await assert.rejects(query(port, 'wrong-password', 'SELECT 1'), /password authentication failed/);

    await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'orders-db', MasterUserPassword: 'second-secret', ApplyImmediately: true }));
    await waitForInstance(rds, 'orders-db');
    assert.equal((await query(port, 'second-secret', 'SELECT count(*)::int AS n FROM orders')).rows[0].n, 2);
    await assert.rejects(query(port, 'first-secret', 'SELECT 1'), /password authentication failed/);

    assert.equal((await query(port, 'second-secret', 'SHOW work_mem')).rows[0].work_mem, '8MB');
    await rds.send(
      new ModifyDBParameterGroupCommand({
        DBParameterGroupName: 'orders-params',
        Parameters: [{ ParameterName: 'work_mem', ParameterValue: '16MB', ApplyMethod: 'pending-reboot' }],
      }),
    );
    await rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: 'orders-db' }));
    await waitForInstance(rds, 'orders-db');
    assert.equal((await query(port, 'second-secret', 'SELECT count(*)::int AS n FROM orders')).rows[0].n, 2);
    assert.equal((await query(port, 'second-secret', 'SHOW work_mem')).rows[0].work_mem, '16MB');

    await rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: 'orders-db' }));
    await waitForInstance(rds, 'orders-db', 'stopped');
    await assert.rejects(query(port, 'second-secret', 'SELECT 1'), /ECONNREFUSED/);
    await assert.rejects(rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: 'orders-db' })), { name: 'InvalidDBInstanceStateFault' });
    await rds.send(new StartDBInstanceCommand({ DBInstanceIdentifier: 'orders-db' }));
    await waitForInstance(rds, 'orders-db');
    assert.equal((await query(port, 'second-secret', 'SELECT count(*)::int AS n FROM orders')).rows[0].n, 2);
  });

  test('restarts an engine whose process died', async () => {
    const instance = await waitForInstance(rds, 'orders-db');
    const port = instance.Endpoint!.Port!;
    // Kill the postmaster (the parent of this connection's backend, read while it lives).
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'master', password: 'second-secret', database: 'appdb' });
    await client.connect();
    const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
    const stat = readFileSync(`/proc/${rows[0].pid}/stat`, 'utf8');
    const postmaster = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    client.on('error', () => undefined);
    process.kill(postmaster, 'SIGKILL');
    await client.end().catch(() => undefined);
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        assert.equal((await query(port, 'second-secret', 'SELECT count(*)::int AS n FROM orders')).rows[0].n, 2);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  });

  test('snapshots an instance and restores the data into a new instance; deleting takes the final snapshot', async () => {
    await rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'orders-db', DBSnapshotIdentifier: 'orders-snap' }));
    await waitForSnapshot(rds, 'orders-snap');
    await waitForInstance(rds, 'orders-db');
    await assert.rejects(rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'orders-db', DBSnapshotIdentifier: 'orders-snap' })), {
      name: 'DBSnapshotAlreadyExistsFault',
    });

    await rds.send(new RestoreDBInstanceFromDBSnapshotCommand({ DBInstanceIdentifier: 'orders-copy', DBSnapshotIdentifier: 'orders-snap' }));
    const copy = await waitForInstance(rds, 'orders-copy');
    const original = await waitForInstance(rds, 'orders-db');
    assert.notEqual(copy.Endpoint!.Port, original.Endpoint!.Port);
    const { rows } = await query(copy.Endpoint!.Port!, 'second-secret', 'SELECT item FROM orders ORDER BY id');
    assert.deepEqual(
      rows.map((r) => r.item),
      ['apple', 'pear'],
    );

    await assert.rejects(rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'orders-copy' })), { name: 'InvalidParameterCombination' });
    await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'orders-copy', FinalDBSnapshotIdentifier: 'orders-final' }));
    await waitForInstance(rds, 'orders-copy', 'deleted');
    await waitForSnapshot(rds, 'orders-final');
    const snapshots = await rds.send(new DescribeDBSnapshotsCommand({}));
    assert.deepEqual(snapshots.DBSnapshots?.map((s) => s.DBSnapshotIdentifier).sort(), ['orders-final', 'orders-snap']);
    await assert.rejects(query(copy.Endpoint!.Port!, 'second-secret', 'SELECT 1'), /ECONNREFUSED/);
  });

  test('starts the instances again with their data after a platform restart', async () => {
    const port = (await waitForInstance(rds, 'orders-db')).Endpoint!.Port!;
    await platform.stop();
    await assert.rejects(query(port, 'second-secret', 'SELECT 1'), /ECONNREFUSED/);
    platform = await startPlatform({ services: ['rds'], dataDir });
    rds = platform.client(RDSClient);
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        assert.equal((await query(port, 'second-secret', 'SELECT count(*)::int AS n FROM orders')).rows[0].n, 2);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  });
});
