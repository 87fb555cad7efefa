// End-to-end: IAM database authentication on RDS for PostgreSQL (system server): a user granted
// rds_iam logs in with a generate-db-auth-token token (SigV4-presigned rds-db connect), checked by the
// platform through PostgreSQL's LDAP method; tampered, wrong-user and other-instance tokens are refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import pg from 'pg';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { CreateDBInstanceCommand, ModifyDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { waitForInstance } from './rds-helpers.js';

const postgresInstalled = existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`));

const bytes = (data: string | ArrayBuffer | ArrayBufferView): string | Buffer =>
  typeof data === 'string' ? data : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);

/** SHA-256 (HMAC with a secret) for the signer, from node:crypto. */
class Sha256 {
  readonly #hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

/** What `aws rds generate-db-auth-token` (and @aws-sdk/rds-signer) makes. */
async function authToken(platform: TestPlatform, host: string, port: number, user: string): Promise<string> {
  const signer = new SignatureV4({ service: 'rds-db', region: platform.region, credentials: platform.credentials, sha256: Sha256 });
  const signed = await signer.presign(
    { method: 'GET', protocol: 'https:', hostname: host, port, path: '/', query: { Action: 'connect', DBUser: user }, headers: { host: `${host}:${port}` } },
    { expiresIn: 900 },
  );
  const query = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  return `${host}:${port}/?${query}`;
}

describe('RDS IAM database authentication', { skip: postgresInstalled ? false : 'PostgreSQL server binaries are not installed' }, () => {
  let platform: TestPlatform;
  let rds: RDSClient;

  before(async () => {
    platform = await startPlatform({ services: ['rds'] });
    rds = platform.client(RDSClient);
  });
  after(async () => {
    await platform?.stop();
  });

  test('accepts a token for an rds_iam user and refuses bad tokens', { timeout: 120_000 }, async () => {
    for (const [id, iam] of [['iam-db', true], ['plain-db', false]] as const) {
      await rds.send(
        new CreateDBInstanceCommand({ DBInstanceIdentifier: id, Engine: 'postgres', DBInstanceClass: 'db.t3.micro', MasterUsername: 'master', MasterUserPassword: 'master-pw-1', EnableIAMDatabaseAuthentication: iam }),
      );
    }
    const instance = await waitForInstance(rds, 'iam-db', 'available', 90_000);
    const plain = await waitForInstance(rds, 'plain-db', 'available', 90_000);
    assert.equal(instance.IAMDatabaseAuthenticationEnabled, true);
    const port = instance.Endpoint!.Port!;
    const master = new pg.Client({ host: '127.0.0.1', port, user: 'master', password: 'master-pw-1', database: 'postgres' });
    await master.connect();
    await master.query('CREATE USER app_user; GRANT rds_iam TO app_user');
    await master.end();

    const connect = async (password: string, user = 'app_user', to = port) => {
      const client = new pg.Client({ host: '127.0.0.1', port: to, user, password, database: 'postgres' });
      await client.connect();
      const who = (await client.query('SELECT current_user AS who')).rows[0].who as string;
      await client.end();
      return who;
    };
    assert.equal(await connect(await authToken(platform, '127.0.0.1', port, 'app_user')), 'app_user');
    // The master user still logs in with its password.
    assert.equal(await connect('master-pw-1', 'master'), 'master');

    const good = await authToken(platform, '127.0.0.1', port, 'app_user');
    const tampered = good.replace(/X-Amz-Signature=([0-9a-f])/, (_, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`);
    await assert.rejects(connect(tampered), /LDAP authentication failed/);
    await assert.rejects(connect(await authToken(platform, '127.0.0.1', port, 'someone_else')), /LDAP authentication failed/);
    await assert.rejects(connect('not-a-token'), /LDAP authentication failed/);
    // A token made for another instance's endpoint is refused; an instance without IAM auth takes none.
    await assert.rejects(connect(await authToken(platform, '127.0.0.1', plain.Endpoint!.Port!, 'app_user')), /LDAP authentication failed/);
    await assert.rejects(connect(await authToken(platform, '127.0.0.1', plain.Endpoint!.Port!, 'master'), 'master', plain.Endpoint!.Port!), /password authentication failed/);

    // Switching it on with ModifyDBInstance applies without a restart.
    const plainPort = plain.Endpoint!.Port!;
    const admin = new pg.Client({ host: '127.0.0.1', port: plainPort, user: 'master', password: 'master-pw-1', database: 'postgres' });
    await admin.connect();
    await admin.query('CREATE USER late_user; GRANT rds_iam TO late_user');
    await assert.rejects(connect(await authToken(platform, '127.0.0.1', plainPort, 'late_user'), 'late_user', plainPort), /password authentication failed/);
    await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'plain-db', EnableIAMDatabaseAuthentication: true, ApplyImmediately: true }));
    const deadline = Date.now() + 30_000;
    let who: string | undefined;
    while (!who && Date.now() < deadline) {
      who = await connect(await authToken(platform, '127.0.0.1', plainPort, 'late_user'), 'late_user', plainPort).catch(() => undefined);
      if (!who) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(who, 'late_user');
    // The session opened before the switch was not cut.
    assert.equal((await admin.query('SELECT 1 AS one')).rows[0].one, 1);
    await admin.end();
  });
});
