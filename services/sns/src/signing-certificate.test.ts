import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createSign, createVerify, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateSigningIdentity, selfSignedCertificate } from './signing-certificate.js';

test('the self-signed certificate parses, names its subject and verifies with its own key', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = new X509Certificate(selfSignedCertificate(privateKey, publicKey, 'sns.amazonaws.com'));
  assert.match(cert.subject, /CN=sns\.amazonaws\.com/);
  assert.equal(cert.verify(publicKey), true);
  assert.ok(new Date(cert.validTo).getTime() > Date.now());
});

test('the signing identity is created once and reloaded unchanged, and signatures verify with the certificate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-sns-key-'));
  try {
    const first = loadOrCreateSigningIdentity(dir);
    const second = loadOrCreateSigningIdentity(dir);
    assert.equal(second.certificatePem, first.certificatePem);
    const signature = createVerify('RSA-SHA1');
    const signed = sign(second.privateKey, 'hello');
    signature.update('hello');
    assert.equal(signature.verify(new X509Certificate(first.certificatePem).publicKey, signed, 'base64'), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function sign(key: KeyObject, text: string): string {
  return createSign('RSA-SHA1').update(text).sign(key, 'base64');
}
