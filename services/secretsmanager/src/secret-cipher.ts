// Encryption at rest of secret values: AES-256-GCM under one key kept in the data directory
// (`<dataDir>/secretsmanager/secrets.key`, created on first start with mode 0600), or given as 64 hex
// digits in ATOLL_SECRETS_KEY (nodes sharing a PostgreSQL database must share the key). There is no
// KMS: a secret's KmsKeyId is recorded, never used. Each value is bound to its secret and version
// (authenticated data), so a sealed value copied onto another version does not open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FORMAT = 'v1';

export class SecretCipher {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('the Secrets Manager key must be 32 bytes');
    this.#key = key;
  }

  /** The key from ATOLL_SECRETS_KEY, or the data directory's key file (made when absent). */
  static forDataDir(dataDir: string, env: NodeJS.ProcessEnv = process.env): SecretCipher {
    const fromEnv = env.ATOLL_SECRETS_KEY;
    if (fromEnv) {
      if (!/^[0-9a-fA-F]{64}$/.test(fromEnv)) throw new Error('ATOLL_SECRETS_KEY must be 64 hex digits (32 bytes)');
      return new SecretCipher(Buffer.from(fromEnv, 'hex'));
    }
    const dir = join(dataDir, 'secretsmanager');
    const file = join(dir, 'secrets.key');
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true });
      try {
        // `wx`: two processes starting at once keep the first key written.
        writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    chmodSync(file, 0o600);
    const text = readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(text)) throw new Error(`the Secrets Manager key file ${file} is damaged`);
    return new SecretCipher(Buffer.from(text, 'hex'));
  }

  /** `v1:<base64 of iv(12) | tag(16) | ciphertext>`. */
  seal(plain: Buffer, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return `${FORMAT}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  /** Throws when the value was sealed under another key or context, or was altered. */
  open(sealed: string, context: string): Buffer {
    if (!sealed.startsWith(`${FORMAT}:`)) throw new Error('unknown sealed value format');
    const raw = Buffer.from(sealed.slice(FORMAT.length + 1), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
  }
}
