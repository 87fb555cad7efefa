import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConsoleSessions, readCookie, sameToken, sessionCookie } from './console-session.js';

const keys = { accessKeyId: 'AKIAEXAMPLEEXAMPLE', secretAccessKey: 'secret-secret-secret' };

describe('console sessions', () => {
  it('finds a session by id until it expires after twelve hours', () => {
    let now = 1_000;
    const sessions = new ConsoleSessions(() => now);
    const s = sessions.create(keys, 'arn:aws:iam::000000000000:root', '000000000000');
    assert.equal(sessions.get(s.id)?.arn, 'arn:aws:iam::000000000000:root');
    assert.notEqual(s.id, s.csrf, 'the CSRF token is not the session id');
    now += 12 * 60 * 60 * 1000;
    assert.equal(sessions.get(s.id), undefined);
    assert.equal(sessions.get(undefined), undefined);
  });

  it('redeems a sign-in token once and not after ten minutes', () => {
    let now = 0;
    const sessions = new ConsoleSessions(() => now);
    const once = sessions.issueSignInToken();
    assert.equal(sessions.redeemSignInToken(once), true);
    assert.equal(sessions.redeemSignInToken(once), false);
    const late = sessions.issueSignInToken();
    now += 10 * 60 * 1000 + 1;
    assert.equal(sessions.redeemSignInToken(late), false);
    assert.equal(sessions.redeemSignInToken('made-up'), false);
  });

  it('reads its cookie among others and writes it HttpOnly and SameSite=Strict', () => {
    assert.equal(readCookie('a=1; atoll_console=abc; b=2', 'atoll_console'), 'abc');
    assert.equal(readCookie('a=1', 'atoll_console'), undefined);
    const cookie = sessionCookie('abc', false);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.doesNotMatch(cookie, /Secure/);
    assert.match(sessionCookie('abc', true), /; Secure/);
  });

  it('compares tokens exactly', () => {
    assert.equal(sameToken('abc', 'abc'), true);
    assert.equal(sameToken('abd', 'abc'), false);
    assert.equal(sameToken('ab', 'abc'), false);
    assert.equal(sameToken(undefined, 'abc'), false);
  });
});
