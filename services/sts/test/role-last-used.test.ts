// RoleLastUsed through the SDKs: a session issued for a role shows on GetRole as LastUsedDate and
// Region (STS reports it on the platform bus, IAM records it), at most once a minute per role.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

const ACCOUNT = '000000000000';
const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] });

describe('RoleLastUsed', () => {
  let p: TestPlatform;
  let iam: IAMClient;
  before(async () => {
    p = await startPlatform({ services: ['iam', 'sts'] });
    iam = p.client(IAMClient);
  });
  after(() => p.stop());

  async function lastUsed(roleName: string, until: (date?: Date) => boolean): Promise<{ LastUsedDate?: Date; Region?: string }> {
    for (let i = 0; ; i++) {
      const used = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role!.RoleLastUsed ?? {};
      if (until(used.LastUsedDate) || i === 50) return used;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  test('a role never assumed has no last use; AssumeRole records its date and region, not again within a minute', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'used', AssumeRolePolicyDocument: trust }));
    await iam.send(new CreateRoleCommand({ RoleName: 'idle', AssumeRolePolicyDocument: trust }));
    const before = Date.now();
    await p.client(STSClient).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/used`, RoleSessionName: 's1' }));
    const first = await lastUsed('used', (d) => d !== undefined);
    assert.ok(first.LastUsedDate, 'LastUsedDate recorded');
    assert.equal(first.Region, 'us-east-1');
    // Second precision on the wire: within the second of the call, not before it.
    assert.ok(first.LastUsedDate.getTime() >= Math.floor(before / 1000) * 1000 && first.LastUsedDate.getTime() <= Date.now());
    await new Promise((r) => setTimeout(r, 1100));
    await p.client(STSClient).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/used`, RoleSessionName: 's2' }));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await lastUsed('used', () => true)).LastUsedDate!.getTime(), first.LastUsedDate.getTime());
    assert.deepEqual((await iam.send(new GetRoleCommand({ RoleName: 'idle' }))).Role!.RoleLastUsed, {});
  });
});
