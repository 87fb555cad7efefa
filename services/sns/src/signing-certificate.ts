// The platform's SNS signing identity: an RSA key and a self-signed X.509 certificate, created on
// first start and kept in the (shared) blob directory, so that the certificate served at
// SigningCertURL stays valid across restarts and is the same on every node. The certificate is
// built here in DER (a handful of ASN.1 types).
import { createPrivateKey, createPublicKey, createSign, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};
const sequence = (...c: Buffer[]) => tlv(0x30, ...c);
const set = (...c: Buffer[]) => tlv(0x31, ...c);
const nullValue = () => Buffer.from([0x05, 0x00]);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const integer = (bytes: Buffer) => tlv(0x02, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
const bitString = (bytes: Buffer) => tlv(0x03, Buffer.from([0]), bytes);

function oid(text: string): Buffer {
  const parts = text.split('.').map(Number);
  const out: number[] = [parts[0]! * 40 + parts[1]!];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [];
    let v = part;
    do {
      chunk.unshift(v & 0x7f);
      v >>= 7;
    } while (v > 0);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80;
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function utcTime(date: Date): Buffer {
  const p = (n: number) => String(n).padStart(2, '0');
  const text = `${p(date.getUTCFullYear() % 100)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}Z`;
  return tlv(0x17, Buffer.from(text, 'ascii'));
}

const name = (commonName: string) =>
  sequence(set(sequence(oid('2.5.4.10'), utf8('Atoll'))), set(sequence(oid('2.5.4.3'), utf8(commonName))));

/** Builds a self-signed certificate (sha256WithRSAEncryption) for the key pair, valid for `days`. */
export function selfSignedCertificate(privateKey: KeyObject, publicKey: KeyObject, commonName: string, days = 3650): string {
  const algorithm = sequence(oid('1.2.840.113549.1.1.11'), nullValue());
  const now = new Date(Date.now() - 60_000);
  const tbs = sequence(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(randomBytes(16)),
    algorithm,
    name(commonName),
    sequence(utcTime(now), utcTime(new Date(now.getTime() + days * 86_400_000))),
    name(commonName),
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = createSign('sha256').update(tbs).sign(privateKey);
  const der = sequence(tbs, algorithm, bitString(signature));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

export interface SigningIdentity {
  privateKey: KeyObject;
  certificatePem: string;
}

/**
 * Loads the signing key and certificate from `dir`, creating them on first use. Nodes that share
 * `dir` may start together: the key is linked into place only if no key is there yet (a link never
 * replaces a file), every node then uses the key that is there, and the certificate is made from
 * that key, so every node signs with the same key.
 */
export function loadOrCreateSigningIdentity(dir: string): SigningIdentity {
  const keyPath = join(dir, 'signing-key.pem');
  const certPath = join(dir, 'signing-cert.pem');
  if (existsSync(keyPath) && existsSync(certPath)) {
    return { privateKey: createPrivateKey(readFileSync(keyPath)), certificatePem: readFileSync(certPath, 'utf8') };
  }
  mkdirSync(dir, { recursive: true });
  if (!existsSync(keyPath)) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    publishOnce(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 0o600);
  }
  const privateKey = createPrivateKey(readFileSync(keyPath));
  if (!existsSync(certPath)) publishOnce(certPath, selfSignedCertificate(privateKey, createPublicKey(privateKey), 'sns.amazonaws.com'), 0o644);
  return { privateKey, certificatePem: readFileSync(certPath, 'utf8') };
}

/** Writes `data` to `path` whole (a temporary file, then a link), unless a file is there already. */
function publishOnce(path: string, data: string, mode: number): void {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, data, { mode });
  try {
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
}
