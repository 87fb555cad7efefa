import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@atoll/test-support';
import { SecretCipher } from './secret-cipher.js';

describe('SecretCipher', () => {
  it('opens what it sealed, and refuses another context or an altered value', () => {
    const cipher = new SecretCipher(Buffer.alloc(32, 7));
    const sealed = cipher.seal(Buffer.from('hunter2'), 'arn\nv1');
    assert.ok(!sealed.includes('hunter2'));
    assert.equal(cipher.open(sealed, 'arn\nv1').toString(), 'hunter2');
    assert.throws(() => cipher.open(sealed, 'arn\nv2'));
    const flipped = Buffer.from(sealed.slice(3), 'base64');
    flipped[flipped.length - 1]! ^= 1;
    assert.throws(() => cipher.open(`v1:${flipped.toString('base64')}`, 'arn\nv1'));
  });

  it('keeps one key file per data directory, readable by its owner only', () => {
    const dir = tempDir();
    const a = SecretCipher.forDataDir(dir, {});
    const b = SecretCipher.forDataDir(dir, {});
    assert.equal(b.open(a.seal(Buffer.from('x'), 'c'), 'c').toString(), 'x');
    const file = join(dir, 'secretsmanager', 'secrets.key');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(readFileSync(file, 'utf8'), /^[0-9a-f]{64}\n$/);
    const fromEnv = SecretCipher.forDataDir(dir, { ATOLL_SECRETS_KEY: 'ab'.repeat(32) });
    assert.throws(() => fromEnv.open(a.seal(Buffer.from('x'), 'c'), 'c'));
  });
});
