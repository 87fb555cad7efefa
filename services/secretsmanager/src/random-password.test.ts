import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomPassword } from './random-password.js';

describe('GetRandomPassword', () => {
  it('is 32 characters of every type by default', () => {
    const p = randomPassword({});
    assert.equal(p.length, 32);
    assert.match(p, /[a-z]/);
    assert.match(p, /[A-Z]/);
    assert.match(p, /[0-9]/);
    assert.match(p, /[^A-Za-z0-9]/);
    assert.doesNotMatch(p, / /);
  });

  it('honours every exclusion, the space, and the length', () => {
    for (let i = 0; i < 50; i++) {
      assert.match(randomPassword({ PasswordLength: 20, ExcludePunctuation: true, ExcludeNumbers: true }), /^[A-Za-z]{20}$/);
      assert.match(randomPassword({ PasswordLength: 8, ExcludeUppercase: true, ExcludeLowercase: true, ExcludePunctuation: true }), /^[0-9]{8}$/);
      assert.match(randomPassword({ PasswordLength: 30, ExcludeCharacters: 'abcdefghijklmnopqrstuvwxyz0123456789' }), /^[^a-z0-9]{30}$/);
      const spaced = randomPassword({ PasswordLength: 5, ExcludeLowercase: true, ExcludeUppercase: true, ExcludeNumbers: true, ExcludePunctuation: true, IncludeSpace: true });
      assert.equal(spaced, '     ');
    }
    assert.equal(randomPassword({ PasswordLength: 4096 }).length, 4096);
  });

  it('puts one of each included type in even a short password', () => {
    for (let i = 0; i < 200; i++) {
      const p = randomPassword({ PasswordLength: 4 });
      assert.match(p, /[a-z]/);
      assert.match(p, /[A-Z]/);
      assert.match(p, /[0-9]/);
      assert.match(p, /[^A-Za-z0-9]/);
    }
    assert.match(randomPassword({ PasswordLength: 3, RequireEachIncludedType: false }), /^.{3}$/);
  });

  it('refuses impossible requests with InvalidParameterException', () => {
    const refuses = (input: Parameters<typeof randomPassword>[0]) =>
      assert.throws(() => randomPassword(input), (e: Error) => e.name === 'InvalidParameterException');
    refuses({ PasswordLength: 0 });
    refuses({ PasswordLength: 4097 });
    refuses({ PasswordLength: 3 });
    refuses({ ExcludeLowercase: true, ExcludeUppercase: true, ExcludeNumbers: true, ExcludePunctuation: true });
  });
});
