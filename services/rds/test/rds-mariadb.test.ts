// End-to-end: RDS for MySQL/MariaDB through @aws-sdk/client-rds, each instance a real MariaDB server
// (skipped where none is installed), reached with mysql2 on the reported endpoint; snapshot and
// restore replay the data into a new server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { CreateDBInstanceCommand, CreateDBSnapshotCommand, DeleteDBInstanceCommand, RDSClient, RestoreDBInstanceFromDBSnapshotCommand } from '@aws-sdk/client-rds';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { waitForInstance, waitForSnapshot } from './rds-helpers.js';

const installed = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'].some((path) => existsSync(path));

describe('RDS for MySQL on a real MariaDB server', { skip: installed ? false : 'no MariaDB server installed' }, () => {
  let platform: TestPlatform;
  let rds: RDSClient;

  before(async () => {
    platform = await startPlatform({ services: ['rds'] });
    rds = platform.client(RDSClient);
  });
  after(async () => {
    await platform?.stop();
  });

  test('creates an instance mysql2 reaches as the master user; a snapshot restores the data', async () => {
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'shop',
        Engine: 'mysql',
        EngineVersion: '8.0.40',
        DBInstanceClass: 'db.t3.micro',
        MasterUsername: 'admin',
        MasterUserPassword: "it's-a-secret\\",
        DBName: 'shop',
      }),
    );
    const instance = await waitForInstance(rds, 'shop');
    assert.equal(instance.EngineVersion, '8.0.40');
    const port = instance.Endpoint!.Port!;
    const connection = await mysql.createConnection({ host: '127.0.0.1', port, user: 'admin', password: "it's-a-secret\\", database: 'shop' });
    await connection.query('CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20))');
    await connection.execute('INSERT INTO items VALUES (?, ?), (?, ?)', [1, 'lamp', 2, 'desk']);
    await connection.end();
    await assert.rejects(mysql.createConnection({ host: '127.0.0.1', port, user: 'admin', password: 'wrong-one' }), /Access denied/);
    await assert.rejects(mysql.createConnection({ host: '127.0.0.1', port, user: 'root', password: '' }), /Access denied|not allowed/);

    await rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'shop', DBSnapshotIdentifier: 'shop-snap' }));
    await waitForSnapshot(rds, 'shop-snap');
    await rds.send(new RestoreDBInstanceFromDBSnapshotCommand({ DBInstanceIdentifier: 'shop-copy', DBSnapshotIdentifier: 'shop-snap' }));
    const copy = await waitForInstance(rds, 'shop-copy');
    const restored = await mysql.createConnection({ host: '127.0.0.1', port: copy.Endpoint!.Port!, user: 'admin', password: "it's-a-secret\\", database: 'shop' });
    const [rows] = await restored.query('SELECT name FROM items ORDER BY id');
    assert.deepEqual((rows as { name: string }[]).map((r) => r.name), ['lamp', 'desk']);
    await restored.end();
    await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'shop-copy', SkipFinalSnapshot: true }));
    await waitForInstance(rds, 'shop-copy', 'deleted');
  });
});
