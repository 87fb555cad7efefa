// Identifiers in API Gateway's formats: API ids of 10 lower-case letters and digits (they are host
// names: `<id>.execute-api.<region>.amazonaws.com`), 6–7 character ids for an API's children, and
// the 20-character ids of API keys.
import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function randomId(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[bytes[i]! % ALPHABET.length];
  return out;
}

export const apiId = (): string => randomId(10);
export const childId = (): string => randomId(7);
export const resourceId = (): string => randomId(6);
export const apiKeyId = (): string => randomId(10);

/** An API key's value: 40 characters as AWS generates them. */
export function apiKeyValue(): string {
  return randomBytes(30).toString('base64').replace(/[+/=]/g, 'x').slice(0, 40);
}
