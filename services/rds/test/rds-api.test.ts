// End-to-end: RDS's bad-input answers (identifiers, passwords, engines, versions, taken names and
// ports), Aurora clusters whose instances share the cluster's engine, tags, and garbage on an engine port.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import pg from 'pg';
import {
  AddTagsToResourceCommand,
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ListTagsForResourceCommand,
  RDSClient,
  RemoveTagsFromResourceCommand,
} from '@aws-sdk/client-rds';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { waitForCluster, waitForInstance } from './rds-helpers.js';

const postgresInstalled = existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`));

describe('RDS API', () => {
  let platform: TestPlatform;
  let rds: RDSClient;
  let blocker: Server;
  let blockedPort: number;

  before(async () => {
    platform = await startPlatform({ services: ['rds'] });
    rds = platform.client(RDSClient);
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    blockedPort = (blocker.address() as { port: number }).port;
  });
  after(async () => {
    blocker?.close();
    await platform?.stop();
  });

  const base = { DBInstanceClass: 'db.t3.micro', Engine: 'postgres', MasterUsername: 'master', MasterUserPassword: 'password1' };

  test('refuses bad input with the documented errors', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ DBInstanceIdentifier: '1abc' }, 'InvalidParameterValue', /not a valid identifier/],
      [{ DBInstanceIdentifier: 'a--b' }, 'InvalidParameterValue', /not a valid identifier/],
      [{ DBInstanceIdentifier: 'ends-' }, 'InvalidParameterValue', /not a valid identifier/],
      [{ DBInstanceIdentifier: 'short-pw', MasterUserPassword: 'short' }, 'InvalidParameterValue', /shorter than 8 characters/],
      [{ DBInstanceIdentifier: 'bad-engine', Engine: 'oracle-ee' }, 'InvalidParameterValue', /Invalid DB engine/],
      [{ DBInstanceIdentifier: 'bad-version', EngineVersion: '9.6.1' }, 'InvalidParameterCombination', /Cannot find version 9.6.1 for postgres/],
      [{ DBInstanceIdentifier: 'port-taken', Port: -1 }, 'InvalidParameterValue', /port/],
      [{ DBInstanceIdentifier: 'no-user', MasterUsername: undefined }, 'MissingParameter', /MasterUsername/],
      [{ DBInstanceIdentifier: 'aurora-alone', Engine: 'aurora-postgresql' }, 'InvalidParameterCombination', /DB cluster/],
    ];
    for (const [input, code, message] of cases) {
      await assert.rejects(rds.send(new CreateDBInstanceCommand({ ...base, ...input } as never)), (error: Error & { Code?: string }) => {
        assert.equal(error.name, code, `${JSON.stringify(input)}: ${error.message}`);
        assert.match(error.message, message);
        return true;
      });
    }
    await assert.rejects(rds.send(new CreateDBInstanceCommand({ ...base, DBInstanceIdentifier: 'port-in-use', Port: blockedPort })), {
      name: 'InvalidParameterValue',
      message: `The port ${blockedPort} is already in use on this host.`,
    });
    await assert.rejects(rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'absent' })), { name: 'DBInstanceNotFoundFault', message: 'DBInstance absent not found.' });
    await assert.rejects(rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'absent', SkipFinalSnapshot: true })), { name: 'DBInstanceNotFoundFault' });
    await assert.rejects(rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'absent' })), { name: 'DBClusterNotFoundFault' });
  });

  test('serves an Aurora PostgreSQL cluster whose instances share its engine, with tags', { skip: postgresInstalled ? false : 'no PostgreSQL server installed' }, async () => {
    const created = await rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: 'ledger',
        Engine: 'aurora-postgresql',
        MasterUsername: 'ledger_admin',
        MasterUserPassword: 'ledger-password',
        DatabaseName: 'ledger',
        EnableHttpEndpoint: true,
      }),
    );
    assert.equal(created.DBCluster?.Status, 'creating');
    await assert.rejects(rds.send(new CreateDBClusterCommand({ DBClusterIdentifier: 'ledger', Engine: 'aurora-postgresql', MasterUsername: 'x', MasterUserPassword: 'password1' })), {
      name: 'DBClusterAlreadyExistsFault',
    });
    await rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: 'ledger-1', DBClusterIdentifier: 'ledger', Engine: 'aurora-postgresql', DBInstanceClass: 'db.r6g.large' }));
    await rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: 'ledger-2', DBClusterIdentifier: 'ledger', Engine: 'aurora-postgresql', DBInstanceClass: 'db.r6g.large' }));
    await assert.rejects(
      rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: 'ledger-2', DBClusterIdentifier: 'ledger', Engine: 'aurora-postgresql', DBInstanceClass: 'db.r6g.large' })),
      { name: 'DBInstanceAlreadyExistsFault', message: 'DB instance already exists' },
    );
    await waitForCluster(rds, 'ledger');
    const reader = await waitForInstance(rds, 'ledger-2');
    const cluster = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'ledger' }))).DBClusters![0]!;
    assert.deepEqual(
      cluster.DBClusterMembers?.map((m) => [m.DBInstanceIdentifier, m.IsClusterWriter]),
      [
        ['ledger-1', true],
        ['ledger-2', false],
      ],
    );
    assert.equal(reader.Endpoint?.Port, cluster.Port);
    const client = new pg.Client({ host: cluster.Endpoint, port: cluster.Port, user: 'ledger_admin', password: 'ledger-password', database: 'ledger' });
    await client.connect();
    assert.equal((await client.query('SELECT current_database() AS db')).rows[0].db, 'ledger');
    await client.end();

    // Garbage on the engine's port gets the engine's own error; the engine and the platform stay up.
    const reply = await new Promise<string>((resolve) => {
      // A startup packet of an unknown protocol version (0x1234.0x5678).
      const socket = connect(cluster.Port!, '127.0.0.1', () => socket.write(Buffer.from([0, 0, 0, 8, 0x12, 0x34, 0x56, 0x78])));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString('latin1')));
      socket.on('close', () => resolve(text));
      socket.on('error', () => resolve(text));
    });
    assert.match(reply, /unsupported frontend protocol/);
    const again = new pg.Client({ host: cluster.Endpoint, port: cluster.Port, user: 'ledger_admin', password: 'ledger-password', database: 'ledger' });
    await again.connect();
    await again.end();

    await rds.send(new AddTagsToResourceCommand({ ResourceName: cluster.DBClusterArn, Tags: [{ Key: 'env', Value: 'test' }, { Key: 'owner', Value: 'ledger' }] }));
    await rds.send(new RemoveTagsFromResourceCommand({ ResourceName: cluster.DBClusterArn, TagKeys: ['owner'] }));
    assert.deepEqual((await rds.send(new ListTagsForResourceCommand({ ResourceName: cluster.DBClusterArn }))).TagList, [{ Key: 'env', Value: 'test' }]);

    await assert.rejects(rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: 'ledger', SkipFinalSnapshot: true })), { name: 'InvalidDBClusterStateFault' });
    await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'ledger-1' }));
    await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'ledger-2' }));
    await rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: 'ledger', SkipFinalSnapshot: true }));
    const deadline = Date.now() + 20_000;
    while ((await rds.send(new DescribeDBClustersCommand({}))).DBClusters!.length > 0) {
      assert.ok(Date.now() < deadline, 'the cluster was not deleted');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
});
