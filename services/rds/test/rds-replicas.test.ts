// End-to-end: read replicas of RDS for PostgreSQL on the system server: a real streaming standby
// (reads follow the source, writes are refused), the ReplicaLag sample, PromoteReadReplica, and the
// documented refusals.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import pg from 'pg';
import {
  CreateDBInstanceCommand,
  CreateDBInstanceReadReplicaCommand,
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  InvalidDBInstanceStateFault,
  ModifyDBInstanceCommand,
  PromoteReadReplicaCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import type { PlatformEvent, ServiceFactory } from '@atoll/core';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { RdsDataProvider } from '../src/data-api/rds-data-provider.js';
import { waitForInstance } from './rds-helpers.js';

const postgresInstalled = existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`));

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('RDS for PostgreSQL read replicas', { skip: postgresInstalled ? false : 'PostgreSQL server binaries are not installed' }, () => {
  let platform: TestPlatform;
  let rds: RDSClient;
  const events: PlatformEvent[] = [];
  /** Serves the Data API as an extra provider, to reach the platform's bus (the ReplicaLag samples). */
  const listener: ServiceFactory = (context) => {
    context.bus.on('rds.ReplicaLag', (event) => void events.push(event));
    return new RdsDataProvider(context);
  };
  const saved = process.env.ATOLL_RDS_METRICS_INTERVAL_MS;

  before(async () => {
    process.env.ATOLL_RDS_METRICS_INTERVAL_MS = '300';
    platform = await startPlatform({ services: ['rds'], extraProviders: [listener] });
    rds = platform.client(RDSClient);
  });
  after(async () => {
    await platform?.stop();
    if (saved === undefined) delete process.env.ATOLL_RDS_METRICS_INTERVAL_MS;
    else process.env.ATOLL_RDS_METRICS_INTERVAL_MS = saved;
  });

  test('streams the source to a read-only replica, samples its lag and promotes it', { timeout: 180_000 }, async () => {
    await rds.send(
      new CreateDBInstanceCommand({ DBInstanceIdentifier: 'primary', Engine: 'postgres', DBInstanceClass: 'db.t3.micro', MasterUsername: 'master', MasterUserPassword: 'primary-pw', DBName: 'app' }),
    );
    const primary = await waitForInstance(rds, 'primary', 'available', 90_000);
    const config = { host: '127.0.0.1', user: 'master', password: 'primary-pw', database: 'app' };
    const source = new pg.Client({ ...config, port: primary.Endpoint!.Port });
    await source.connect();
    await source.query('CREATE TABLE notes (id int PRIMARY KEY, body text)');
    await source.query("INSERT INTO notes VALUES (1, 'before the replica')");

    await assert.rejects(rds.send(new CreateDBInstanceReadReplicaCommand({ DBInstanceIdentifier: 'r-x', SourceDBInstanceIdentifier: 'no-such-db' })), DBInstanceNotFoundFault);
    await assert.rejects(rds.send(new CreateDBInstanceReadReplicaCommand({ DBInstanceIdentifier: 'primary', SourceDBInstanceIdentifier: 'primary' })), DBInstanceAlreadyExistsFault);
    await assert.rejects(rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: 'primary' })), InvalidDBInstanceStateFault);

    const created = await rds.send(new CreateDBInstanceReadReplicaCommand({ DBInstanceIdentifier: 'replica-1', SourceDBInstanceIdentifier: primary.DBInstanceArn }));
    assert.equal(created.DBInstance?.ReadReplicaSourceDBInstanceIdentifier, 'primary');
    const replica = await waitForInstance(rds, 'replica-1', 'available', 90_000);
    assert.notEqual(replica.Endpoint!.Port, primary.Endpoint!.Port);
    assert.deepEqual(replica.StatusInfos, [{ StatusType: 'read replication', Normal: true, Status: 'replicating' }]);
    assert.deepEqual((await waitForInstance(rds, 'primary')).ReadReplicaDBInstanceIdentifiers, ['replica-1']);

    const reader = new pg.Client({ ...config, port: replica.Endpoint!.Port });
    await reader.connect();
    assert.deepEqual((await reader.query('SELECT body FROM notes ORDER BY id')).rows, [{ body: 'before the replica' }]);
    await assert.rejects(reader.query("INSERT INTO notes VALUES (9, 'no')"), /read-only transaction/);
    await source.query("INSERT INTO notes VALUES (2, 'streamed')");
    await eventually(async () => ((await reader.query('SELECT count(*)::int AS n FROM notes')).rows[0].n === 2 ? true : undefined));

    const lag = await eventually(async () => events.find((e) => (e.detail.dimensions as Record<string, string>).DBInstanceIdentifier === 'replica-1'));
    assert.equal(lag.detail.metricName, 'ReplicaLag');
    assert.ok(typeof lag.detail.value === 'number' && lag.detail.value >= 0);

    await assert.rejects(
      rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'replica-1', MasterUserPassword: 'another-pw', ApplyImmediately: true })),
      (error: Error) => error.name === 'InvalidParameterCombination',
    );

    await rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: 'replica-1' }));
    const promoted = await waitForInstance(rds, 'replica-1', 'available', 60_000);
    assert.equal(promoted.ReadReplicaSourceDBInstanceIdentifier, undefined);
    assert.equal(promoted.StatusInfos, undefined);
    assert.deepEqual((await waitForInstance(rds, 'primary')).ReadReplicaDBInstanceIdentifiers, []);
    await reader.end();
    const writer = new pg.Client({ ...config, port: replica.Endpoint!.Port });
    await writer.connect();
    await writer.query("INSERT INTO notes VALUES (3, 'after promotion')");
    assert.equal((await writer.query('SELECT count(*)::int AS n FROM notes')).rows[0].n, 3);
    await writer.end();
    await source.end();
  });
});
