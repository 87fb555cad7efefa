// A secret's value between the API and the store: a SecretString or a SecretBinary, sealed with the
// secret's ARN and version id as context, and compared (an idempotent retry carries the same value).
import type { SecretCipher } from './secret-cipher.js';
import type { SealedValue } from './secrets-store.js';
import { invalidParameter, invalidRequest } from './secrets-errors.js';

export interface PlainValue {
  SecretString?: string;
  SecretBinary?: Uint8Array;
}

/** What the audit trail shows in place of a value (CloudTrail's wording). */
export const HIDDEN = 'HIDDEN_DUE_TO_SECURITY_REASONS';

/**
 * The value a request carries (undefined when it carries none), taken out of the request: the
 * request's own members are replaced by HIDDEN, because the edge's audit step records a request's
 * parameters after the operation and must not keep secret values in plain text.
 */
export function valueOf(input: PlainValue, required: boolean): PlainValue | undefined {
  if (input.SecretString !== undefined && input.SecretBinary !== undefined) {
    throw invalidParameter("You can't specify both a binary secret value and a string secret value in the same secret.");
  }
  let value: PlainValue | undefined;
  if (input.SecretString !== undefined) value = { SecretString: input.SecretString };
  else if (input.SecretBinary !== undefined) value = { SecretBinary: Buffer.from(input.SecretBinary) };
  else if (required) throw invalidRequest('You must provide either SecretString or SecretBinary.');
  if (input.SecretString !== undefined) input.SecretString = HIDDEN;
  if (input.SecretBinary !== undefined) delete input.SecretBinary;
  return value;
}

const context = (arn: string, versionId: string) => `${arn}\n${versionId}`;

export function sealValue(cipher: SecretCipher, arn: string, versionId: string, value: PlainValue): SealedValue {
  if (value.SecretBinary !== undefined) return { sealed: cipher.seal(Buffer.from(value.SecretBinary), context(arn, versionId)), kind: 'binary' };
  return { sealed: cipher.seal(Buffer.from(value.SecretString ?? '', 'utf8'), context(arn, versionId)), kind: 'string' };
}

export function openValue(cipher: SecretCipher, arn: string, versionId: string, value: SealedValue): PlainValue {
  const plain = cipher.open(value.sealed, context(arn, versionId));
  return value.kind === 'binary' ? { SecretBinary: new Uint8Array(plain) } : { SecretString: plain.toString('utf8') };
}

export function sameValue(a: PlainValue, b: PlainValue): boolean {
  if (a.SecretString !== undefined || b.SecretString !== undefined) return a.SecretString === b.SecretString;
  return a.SecretBinary !== undefined && b.SecretBinary !== undefined && Buffer.from(a.SecretBinary).equals(Buffer.from(b.SecretBinary));
}
