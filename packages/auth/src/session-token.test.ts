import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CallerIdentity } from '@atoll/core';
import { AuthError, AuthErrors } from './auth-errors.js';
import { SessionTokenSealer, UnknownSealingKey, type SessionTokenClaims } from './session-token.js';

const identity: CallerIdentity = {
  type: 'AssumedRole',
  accountId: '000000000000',
  arn: 'arn:aws:sts::000000000000:assumed-role/app/s1',
  principalId: 'AROAEXAMPLEEXAMPLEXX:s1',
  accessKeyId: 'ASIAEXAMPLE000000001',
  session: { roleArn: 'arn:aws:iam::000000000000:role/app', sessionName: 's1', issued: 1_000, expires: 901_000, tags: { team: 'a' } },
};

function claims(expires = 901_000): SessionTokenClaims {
  return { accessKeyId: 'ASIAEXAMPLE000000001', secretAccessKey: 'secret', identity, expires };
}

const rejectsKind = (fn: () => unknown, kind: string) =>
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AuthError);
    assert.equal(e.kind, kind);
    return true;
  });

describe('SessionTokenSealer', () => {
  it('opens a token it sealed, giving back the key, secret and identity with its session', () => {
    let now = 1_000;
    const sealer = new SessionTokenSealer([SessionTokenSealer.newKey('k1')], { now: () => now });
    const token = sealer.seal(claims());
    const opened = sealer.open('ASIAEXAMPLE000000001', token);
    assert.equal(opened.secretAccessKey, 'secret');
    assert.deepEqual(opened.identity, identity);
    now = 900_999;
    assert.equal(sealer.open('ASIAEXAMPLE000000001', token).expires, 901_000);
  });

  it('answers expired-token once the expiry has passed, from the cache too', () => {
    let now = 1_000;
    const sealer = new SessionTokenSealer([SessionTokenSealer.newKey('k1')], { now: () => now });
    const token = sealer.seal(claims());
    sealer.open('ASIAEXAMPLE000000001', token);
    now = 901_000;
    rejectsKind(() => sealer.open('ASIAEXAMPLE000000001', token), 'expired-token');
    // Not cached as valid afterwards either.
    rejectsKind(() => sealer.open('ASIAEXAMPLE000000001', token), 'expired-token');
  });

  it('answers invalid-token for a tampered token, another key id, and junk', () => {
    const sealer = new SessionTokenSealer([SessionTokenSealer.newKey('k1')], { now: () => 1_000 });
    const token = sealer.seal(claims());
    const raw = Buffer.from(token, 'base64');
    raw[raw.length - 3] = raw[raw.length - 3]! ^ 0x01;
    rejectsKind(() => sealer.open('ASIAEXAMPLE000000001', raw.toString('base64')), 'invalid-token');
    rejectsKind(() => sealer.open('ASIAOTHER00000000001', token), 'invalid-token');
    rejectsKind(() => sealer.open('ASIAEXAMPLE000000001', 'not-a-token'), 'invalid-token');
    rejectsKind(() => sealer.open('ASIAEXAMPLE000000001', ''), 'invalid-token');
  });

  it('refuses a token sealed with another key of the same id (the AEAD fails)', () => {
    const a = new SessionTokenSealer([SessionTokenSealer.newKey('k1')], { now: () => 1_000 });
    const b = new SessionTokenSealer([SessionTokenSealer.newKey('k1')], { now: () => 1_000 });
    rejectsKind(() => b.open('ASIAEXAMPLE000000001', a.seal(claims())), 'invalid-token');
  });

  it('names an unknown key id so that the caller can reload its keys, and opens once it has the key', () => {
    const k2 = SessionTokenSealer.newKey('k2');
    const newer = new SessionTokenSealer([k2, SessionTokenSealer.newKey('k1')], { now: () => 1_000 });
    const older = new SessionTokenSealer([SessionTokenSealer.newKey('k1')], { now: () => 1_000 });
    const token = newer.seal(claims());
    assert.throws(() => older.open('ASIAEXAMPLE000000001', token), (e: unknown) => e instanceof UnknownSealingKey && e.keyId === 'k2');
    older.addKey(k2);
    assert.equal(older.open('ASIAEXAMPLE000000001', token).secretAccessKey, 'secret');
  });

  it('serves repeated opens from a bounded LRU cache', () => {
    const sealer = new SessionTokenSealer([SessionTokenSealer.newKey('k1')], { now: () => 1_000, cacheSize: 2 });
    const tokens = [sealer.seal(claims()), sealer.seal(claims()), sealer.seal(claims())];
    sealer.open('ASIAEXAMPLE000000001', tokens[0]!);
    sealer.open('ASIAEXAMPLE000000001', tokens[0]!);
    sealer.open('ASIAEXAMPLE000000001', tokens[1]!);
    sealer.open('ASIAEXAMPLE000000001', tokens[0]!); // tokens[0] most recent
    sealer.open('ASIAEXAMPLE000000001', tokens[2]!); // evicts tokens[1]
    assert.deepEqual(sealer.stats(), { hits: 2, misses: 3, size: 2 });
    sealer.open('ASIAEXAMPLE000000001', tokens[0]!);
    assert.equal(sealer.stats().hits, 3);
    sealer.open('ASIAEXAMPLE000000001', tokens[1]!);
    assert.equal(sealer.stats().misses, 4);
  });
});

describe('token errors by dialect', () => {
  it('answers each protocol with the code and status AWS uses', () => {
    const cases: [Parameters<typeof AuthErrors.expiredToken>[0], string, number, string, number][] = [
      ['query', 'ExpiredToken', 403, 'InvalidClientTokenId', 403],
      ['json', 'ExpiredTokenException', 400, 'UnrecognizedClientException', 400],
      ['rest-json', 'ExpiredTokenException', 403, 'UnrecognizedClientException', 403],
      ['s3', 'ExpiredToken', 400, 'InvalidToken', 400],
    ];
    for (const [dialect, expiredCode, expiredStatus, invalidCode, invalidStatus] of cases) {
      const expired = AuthErrors.inDialect(AuthErrors.expiredToken('query'), dialect);
      const invalid = AuthErrors.inDialect(AuthErrors.invalidToken('query'), dialect);
      assert.deepEqual([expired.code, expired.status, invalid.code, invalid.status], [expiredCode, expiredStatus, invalidCode, invalidStatus], dialect);
    }
    assert.equal(AuthErrors.expiredToken('query').message, 'The security token included in the request is expired');
    assert.equal(AuthErrors.invalidToken('query').message, 'The security token included in the request is invalid.');
  });
});
