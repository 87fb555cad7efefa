// The MobileStore contract, run on every engine (mobile-store.test.ts): platform applications and
// their endpoints (one per token), SMS attributes, sandbox numbers with one-time passwords, opt-outs,
// and the delivery sink; on PostgreSQL, a second node sees what the first recorded.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineContext } from '@atoll/test-support';
import { MobileStore, type PlatformApplicationRecord, type PlatformEndpointRecord } from './mobile-store.js';
import { SnsStore } from './sns-store.js';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

function app(name: string): PlatformApplicationRecord {
  return { arn: `arn:aws:sns:${REGION}:${ACCOUNT}:app/GCM/${name}`, accountId: ACCOUNT, region: REGION, name, platform: 'GCM', attributes: { Enabled: 'true', PlatformCredential: 'k' }, createdAt: Date.now() };
}

let endpoints = 0;
function endpoint(a: PlatformApplicationRecord, token: string, attributes: Record<string, string> = {}): PlatformEndpointRecord {
  return {
    arn: `arn:aws:sns:${REGION}:${ACCOUNT}:endpoint/GCM/${a.name}/e-${++endpoints}`,
    applicationArn: a.arn,
    accountId: ACCOUNT,
    region: REGION,
    token,
    attributes: { Enabled: 'true', Token: token, ...attributes },
    createdAt: Date.now(),
  };
}

export function mobileStoreCases(engine: EngineContext): void {
  const open = async (storage?: Awaited<ReturnType<EngineContext['open']>>): Promise<{ sns: SnsStore; mobile: MobileStore }> => {
    const sns = new SnsStore(storage ?? (await engine.open()));
    await sns.open();
    return { sns, mobile: new MobileStore(() => sns.db) };
  };

  it('stores an application, replaces its attributes on a second put, lists it and updates it', async () => {
    const { mobile } = await open();
    const a = app('orders');
    await mobile.putApplication(a);
    await mobile.putApplication({ ...a, attributes: { Enabled: 'true', PlatformCredential: 'k2' } });
    assert.equal((await mobile.getApplication(a.arn))?.attributes.PlatformCredential, 'k2');
    await mobile.putApplication(app('other'));
    const listed = await mobile.listApplications(ACCOUNT, REGION, '', 10);
    assert.deepEqual(listed.map((x) => x.name), ['orders', 'other']);
    assert.deepEqual((await mobile.listApplications(ACCOUNT, REGION, listed[0]!.arn, 10)).map((x) => x.name), ['other']);
    const updated = await mobile.updateApplication(a.arn, (s) => {
      s.attributes.Enabled = 'false';
    });
    assert.equal(updated?.attributes.Enabled, 'false');
    assert.equal((await mobile.getApplication(a.arn))?.attributes.Enabled, 'false');
    assert.equal(await mobile.updateApplication(`${a.arn}-gone`, () => {}), undefined);
  });

  it('creates one endpoint per token and answers a second create with the stored endpoint', async () => {
    const { mobile } = await open();
    const a = app('devices');
    await mobile.putApplication(a);
    const first = await mobile.createEndpoint(endpoint(a, 'tok', { CustomUserData: 'alice' }));
    assert.equal(first?.created, true);
    const second = await mobile.createEndpoint(endpoint(a, 'tok', { CustomUserData: 'bob' }));
    assert.equal(second?.created, false);
    assert.equal(second?.endpoint.arn, first?.endpoint.arn);
    assert.equal(second?.endpoint.attributes.CustomUserData, 'alice');
    assert.equal(await mobile.createEndpoint(endpoint(app('missing'), 'tok')), undefined);
  });

  it('changes an endpoint token through its attributes and deletes endpoints with their application', async () => {
    const { mobile } = await open();
    const a = app('cascade');
    await mobile.putApplication(a);
    const e = (await mobile.createEndpoint(endpoint(a, 'old')))!.endpoint;
    await mobile.updateEndpoint(e.arn, (s) => {
      s.attributes.Token = 'new';
    });
    assert.equal((await mobile.getEndpoint(e.arn))?.token, 'new');
    // The new token now finds the endpoint; the old one makes a new endpoint.
    assert.equal((await mobile.createEndpoint(endpoint(a, 'new')))?.created, false);
    assert.equal((await mobile.createEndpoint(endpoint(a, 'old')))?.created, true);
    assert.equal((await mobile.listEndpoints(a.arn, '', 10)).length, 2);
    await mobile.deleteApplication(a.arn);
    assert.equal(await mobile.getEndpoint(e.arn), undefined);
    assert.equal((await mobile.listEndpoints(a.arn, '', 10)).length, 0);
  });

  it('merges SMS attributes, an empty value removing one', async () => {
    const { mobile } = await open();
    await mobile.setSmsAttributes(ACCOUNT, REGION, { DefaultSMSType: 'Transactional', MonthlySpendLimit: '3' });
    await mobile.setSmsAttributes(ACCOUNT, REGION, { MonthlySpendLimit: '', DefaultSenderID: 'Me' });
    assert.deepEqual(await mobile.smsAttributes(ACCOUNT, REGION), { DefaultSMSType: 'Transactional', DefaultSenderID: 'Me' });
    assert.deepEqual(await mobile.smsAttributes('111111111111', REGION), {});
  });

  it('keeps a sandbox number Pending until its one-time password, recorded in the sink, verifies it', async () => {
    const { mobile } = await open();
    await mobile.addSandboxNumber(ACCOUNT, REGION, { phoneNumber: '+15550001', status: 'Pending', otp: '123456', languageCode: 'en-US', createdAt: Date.now() }, 'm1');
    const [sent] = await mobile.readSink(ACCOUNT, REGION, { kind: 'sms-otp' });
    assert.equal(sent?.payload.otp, '123456');
    assert.equal(await mobile.verifySandboxNumber(ACCOUNT, REGION, '+15550001', '654321'), 'mismatch');
    assert.equal((await mobile.getSandboxNumber(ACCOUNT, REGION, '+15550001'))?.status, 'Pending');
    assert.equal(await mobile.verifySandboxNumber(ACCOUNT, REGION, '+15550001', '123456'), 'verified');
    assert.equal((await mobile.listSandboxNumbers(ACCOUNT, REGION, '', 10))[0]?.status, 'Verified');
    assert.equal(await mobile.verifySandboxNumber(ACCOUNT, REGION, '+15550002', '123456'), 'missing');
    assert.equal(await mobile.deleteSandboxNumber(ACCOUNT, REGION, '+15550001'), true);
    assert.equal(await mobile.deleteSandboxNumber(ACCOUNT, REGION, '+15550001'), false);
  });

  it('records opt-outs once and lists them in number order', async () => {
    const { mobile } = await open();
    await mobile.setOptedOut(ACCOUNT, REGION, '+15550009', true);
    await mobile.setOptedOut(ACCOUNT, REGION, '+15550003', true);
    await mobile.setOptedOut(ACCOUNT, REGION, '+15550003', true);
    assert.deepEqual(await mobile.listOptedOut(ACCOUNT, REGION, '', 10), ['+15550003', '+15550009']);
    assert.deepEqual(await mobile.listOptedOut(ACCOUNT, REGION, '+15550003', 10), ['+15550009']);
    await mobile.setOptedOut(ACCOUNT, REGION, '+15550003', false);
    assert.equal(await mobile.isOptedOut(ACCOUNT, REGION, '+15550003'), false);
    assert.equal(await mobile.isOptedOut(ACCOUNT, REGION, '+15550009'), true);
  });

  it('reads the sink by account, kind and target, oldest first, paging after an id', async () => {
    const { mobile } = await open();
    const base = { accountId: ACCOUNT, region: REGION, createdAt: Date.now() };
    await mobile.record([
      { ...base, kind: 'push', target: 'arn:e1', messageId: 'a', payload: { message: 'one' } },
      { ...base, kind: 'sms', target: '+1555', messageId: 'b', payload: { message: 'two' } },
      { ...base, kind: 'push', target: 'arn:e1', messageId: 'c', payload: { message: 'three' } },
      { ...base, accountId: '111111111111', kind: 'push', target: 'arn:e1', messageId: 'd', payload: {} },
    ]);
    const pushes = await mobile.readSink(ACCOUNT, REGION, { kind: 'push', target: 'arn:e1' });
    assert.deepEqual(pushes.map((p) => p.messageId), ['a', 'c']);
    assert.deepEqual((await mobile.readSink(ACCOUNT, REGION, { afterId: pushes[0]!.id })).map((p) => p.messageId), ['b', 'c']);
    assert.deepEqual((await mobile.readSink(ACCOUNT, REGION, { limit: 1 })).map((p) => p.messageId), ['a']);
  });

  it('shows a second node what the first recorded', { skip: engine.engine !== 'postgres' && 'several nodes need PostgreSQL' }, async () => {
    const first = await open();
    const second = await open(await engine.node());
    const a = app('shared');
    await first.mobile.putApplication(a);
    const e = (await first.mobile.createEndpoint(endpoint(a, 'tok')))!.endpoint;
    assert.equal((await second.mobile.createEndpoint(endpoint(a, 'tok')))?.endpoint.arn, e.arn);
    await first.mobile.record([{ accountId: ACCOUNT, region: REGION, kind: 'push', target: e.arn, messageId: 'x', payload: {}, createdAt: Date.now() }]);
    assert.equal((await second.mobile.readSink(ACCOUNT, REGION, { target: e.arn })).length, 1);
  });
}
