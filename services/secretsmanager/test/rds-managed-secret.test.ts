// RDS's ManageMasterUserPassword keeps the master password in a real Secrets Manager secret (named
// `rds!…`, owned by RDS): the password read from the secret opens the database.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { CreateDBInstanceCommand, DeleteDBInstanceCommand, DescribeDBInstancesCommand, RDSClient, type DBInstance } from '@aws-sdk/client-rds';
import { CreateSecretCommand, DeleteSecretCommand, DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

async function waitForAvailable(rds: RDSClient, id: string, timeoutMs = 90_000): Promise<DBInstance> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const instance = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances![0]!;
    if (instance.DBInstanceStatus === 'available') return instance;
    if (instance.DBInstanceStatus === 'failed' || Date.now() > deadline) throw new Error(`instance ${id} is ${instance.DBInstanceStatus}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('RDS managed master passwords in Secrets Manager', () => {
  let platform: TestPlatform;
  let rds: RDSClient;
  let sm: SecretsManagerClient;
  const saved = process.env.ATOLL_RDS_POSTGRES;

  before(async () => {
    process.env.ATOLL_RDS_POSTGRES = 'embedded';
    platform = await startPlatform({ services: ['rds', 'secretsmanager', 'iam', 'sts'] });
    rds = platform.client(RDSClient);
    sm = platform.client(SecretsManagerClient);
  });

  after(async () => {
    await platform?.stop();
    if (saved === undefined) delete process.env.ATOLL_RDS_POSTGRES;
    else process.env.ATOLL_RDS_POSTGRES = saved;
  });

  it('creates the secret with the master credentials, and its password opens the database', { timeout: 120_000 }, async () => {
    const created = await rds.send(new CreateDBInstanceCommand({
      DBInstanceIdentifier: 'managed', Engine: 'postgres', DBInstanceClass: 'db.t3.micro', MasterUsername: 'master', ManageMasterUserPassword: true,
    }));
    const secretArn = created.DBInstance!.MasterUserSecret?.SecretArn;
    assert.match(secretArn ?? '', /^arn:aws:secretsmanager:[a-z0-9-]+:\d{12}:secret:rds!/);
    const secret = await sm.send(new DescribeSecretCommand({ SecretId: secretArn }));
    assert.equal(secret.OwningService, 'rds');
    const value = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString!) as { username: string; password: string };
    assert.equal(value.username, 'master');
    // The secret is RDS's: callers cannot change or delete it.
    await assert.rejects(sm.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: 'mine' })), { name: 'InvalidRequestException' });
    await assert.rejects(sm.send(new DeleteSecretCommand({ SecretId: secretArn, ForceDeleteWithoutRecovery: true })), { name: 'InvalidRequestException' });
    const instance = await waitForAvailable(rds, 'managed');
    const client = new pg.Client({ host: instance.Endpoint!.Address, port: instance.Endpoint!.Port, user: value.username, password: value.password, database: 'postgres' });
    await client.connect();
    try {
      assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
    } finally {
      await client.end();
    }
    await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'managed', SkipFinalSnapshot: true }));
  });

  it('keeps names with `!` for the services: a caller cannot create one', async () => {
    await assert.rejects(sm.send(new CreateSecretCommand({ Name: 'rds!db-mine', SecretString: 'x' })), { name: 'InvalidParameterException' });
  });
});
