// GetRandomPassword: characters drawn with crypto.randomInt from the included sets (lowercase,
// uppercase, digits, punctuation, optionally the space), less ExcludeCharacters; with
// RequireEachIncludedType (the default) at least one of each included type (a type whose every
// character ExcludeCharacters removes is no longer included).
import { randomInt } from 'node:crypto';
import type { GetRandomPasswordRequest } from '@atoll/aws-models/secretsmanager';
import { invalidParameter } from './secrets-errors.js';

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

export function randomPassword(input: GetRandomPasswordRequest): string {
  const length = input.PasswordLength ?? 32;
  if (!Number.isInteger(length) || length < 1 || length > 4096) {
    throw invalidParameter('Password length must be between 1 and 4096.');
  }
  const excluded = new Set(input.ExcludeCharacters ?? '');
  const keep = (set: string) => [...set].filter((c) => !excluded.has(c)).join('');
  const types: string[] = [];
  if (!input.ExcludeLowercase) types.push(keep(LOWER));
  if (!input.ExcludeUppercase) types.push(keep(UPPER));
  if (!input.ExcludeNumbers) types.push(keep(DIGITS));
  if (!input.ExcludePunctuation) types.push(keep(PUNCTUATION));
  if (input.IncludeSpace) types.push(keep(' '));
  const usable = types.filter((t) => t.length > 0);
  const all = usable.join('');
  if (all.length === 0) throw invalidParameter('The password can\'t be generated: every character type is excluded.');
  const requireEach = input.RequireEachIncludedType ?? true;
  if (requireEach && length < usable.length) {
    throw invalidParameter('The password length is too short to include every required character type.');
  }
  const chars = Array.from({ length }, () => all[randomInt(all.length)]!);
  if (requireEach) {
    // Put one character of each type at distinct random positions.
    const positions = new Set<number>();
    while (positions.size < usable.length) positions.add(randomInt(length));
    [...positions].forEach((pos, i) => (chars[pos] = usable[i]![randomInt(usable[i]!.length)]!));
  }
  return chars.join('');
}
