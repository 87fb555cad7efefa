// The STS store's contract, run on every engine (sts-store.test.ts): one sealing key shared by every
// node, and a session token sealed on one node opened on another.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { AuthError } from '@atoll/auth';
import type { CallerIdentity } from '@atoll/core';
import type { EngineContext } from '@atoll/test-support';
import { StsSessionDirectory } from './session-directory.js';
import { StsStore } from './sts-store.js';

const identity: CallerIdentity = {
  type: 'AssumedRole',
  accountId: '000000000000',
  arn: 'arn:aws:sts::000000000000:assumed-role/app/s1',
  principalId: 'AROAEXAMPLEEXAMPLEXX:s1',
  accessKeyId: 'ASIAEXAMPLE000000001',
  session: { roleArn: 'arn:aws:iam::000000000000:role/app', sessionName: 's1', issued: Date.now(), expires: Date.now() + 900_000 },
};

export function stsStoreCases(engine: EngineContext): void {
  const multiNode = engine.engine === 'postgres' ? false : 'SQLite serves one node';

  it('creates one sealing key on first open and keeps it', async () => {
    const store = await StsStore.open(await engine.open());
    const first = await store.sealingKeys();
    assert.equal(first.length, 1);
    assert.equal(Buffer.from(first[0]!.key, 'base64').length, 32);
    assert.deepEqual(await store.sealingKeys(), first);
  });

  it('opens a token sealed by the same directory and refuses it for another key id', async () => {
    const store = await StsStore.open(await engine.open());
    const sessions = await StsSessionDirectory.open(store);
    const token = sessions.seal({ accessKeyId: 'ASIAEXAMPLE000000001', secretAccessKey: 'secret', identity, expires: Date.now() + 60_000 });
    const opened = await sessions.openSession('ASIAEXAMPLE000000001', token);
    assert.equal(opened.secretAccessKey, 'secret');
    assert.equal(opened.identity.arn, identity.arn);
    await assert.rejects(async () => sessions.openSession('ASIAEXAMPLE000000002', token), (e: unknown) => e instanceof AuthError && e.kind === 'invalid-token');
  });

  it('opens on node 2 a token sealed on node 1, both nodes starting at once', { skip: multiNode }, async () => {
    await engine.open();
    const [one, two] = await Promise.all([engine.node().then(StsStore.open), engine.node().then(StsStore.open)]);
    const [a, b] = await Promise.all([StsSessionDirectory.open(one), StsSessionDirectory.open(two)]);
    const token = a.seal({ accessKeyId: 'ASIAEXAMPLE000000001', secretAccessKey: 'secret', identity, expires: Date.now() + 60_000 });
    assert.equal((await b.openSession('ASIAEXAMPLE000000001', token)).identity.principalId, identity.principalId);
  });

  it('opens a token sealed with a key another node added later (rotation)', { skip: multiNode }, async () => {
    await engine.open();
    const one = await StsStore.open(await engine.node());
    const two = await StsStore.open(await engine.node());
    const stale = await StsSessionDirectory.open(two);
    await one.addKey('k2');
    const fresh = await StsSessionDirectory.open(one);
    const token = fresh.seal({ accessKeyId: 'ASIAEXAMPLE000000001', secretAccessKey: 'rotated', identity, expires: Date.now() + 60_000 });
    assert.equal((await stale.openSession('ASIAEXAMPLE000000001', token)).secretAccessKey, 'rotated');
  });
}
