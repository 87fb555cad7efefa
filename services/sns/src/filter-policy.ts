// SNS subscription filter policies: validation of a policy document and matching of a message
// against it, on message attributes or on the (JSON) message body. Supports exact strings and
// numbers, prefix, suffix, equals-ignore-case, anything-but, numeric ranges, exists, cidr, $or and
// nested keys (body scope).
import { isIP } from 'node:net';

export type FilterScope = 'MessageAttributes' | 'MessageBody';

/** An SNS message attribute as Publish receives it. */
export interface SnsAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: Buffer | Uint8Array;
}

export class FilterPolicyError extends Error {}

const MAX_COMBINATIONS = 150;
const MAX_KEYS = 5;
const OPERATORS = new Set(['prefix', 'suffix', 'anything-but', 'numeric', 'exists', 'cidr', 'equals-ignore-case']);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Policy = { [key: string]: Json };

/** Validates a policy document; throws FilterPolicyError with the reason. Returns the parsed policy. */
export function parseFilterPolicy(text: string, scope: FilterScope): Policy {
  let policy: unknown;
  try {
    policy = JSON.parse(text);
  } catch {
    throw new FilterPolicyError('failed to parse JSON.');
  }
  if (!isObject(policy)) throw new FilterPolicyError('Filter policy must be a JSON object.');
  let keys = 0;
  const combinations = checkNode(policy, scope, 0, (n) => (keys += n));
  if (keys > MAX_KEYS && scope === 'MessageAttributes') {
    throw new FilterPolicyError(`Filter policy can not have more than ${MAX_KEYS} keys`);
  }
  if (combinations > MAX_COMBINATIONS) {
    throw new FilterPolicyError(`Filter policy is too complex (${combinations} combinations; the limit is ${MAX_COMBINATIONS}).`);
  }
  return policy as Policy;
}

function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks a policy (sub)object and returns its number of value combinations. */
function checkNode(node: Record<string, Json>, scope: FilterScope, depth: number, countKeys: (n: number) => void): number {
  if (depth > 5) throw new FilterPolicyError('Filter policy is nested too deeply.');
  let product = 1;
  let ors = 0;
  const names = Object.keys(node);
  if (names.length === 0) throw new FilterPolicyError('Filter policy can not be empty.');
  for (const name of names) {
    const value = node[name]!;
    if (name === '$or') {
      if (!Array.isArray(value) || value.length < 2) throw new FilterPolicyError('$or must be an array of at least two filter policies.');
      let sum = 0;
      for (const branch of value) {
        if (!isObject(branch)) throw new FilterPolicyError('$or branches must be JSON objects.');
        sum += checkNode(branch, scope, depth + 1, countKeys);
      }
      ors += sum;
      continue;
    }
    if (isObject(value)) {
      if (scope !== 'MessageBody') throw new FilterPolicyError(`"${name}" must be an array of conditions; nested keys need FilterPolicyScope MessageBody.`);
      product *= checkNode(value, scope, depth + 1, countKeys);
      continue;
    }
    if (!Array.isArray(value)) throw new FilterPolicyError(`"${name}" must be an object or an array.`);
    if (value.length === 0) throw new FilterPolicyError(`"${name}" must not be an empty array.`);
    countKeys(1);
    for (const condition of value) checkCondition(name, condition);
    product *= value.length;
  }
  return ors > 0 ? product * ors : product;
}

function checkCondition(name: string, condition: Json): void {
  if (condition === null || typeof condition === 'string' || typeof condition === 'number') return;
  if (typeof condition === 'boolean') throw new FilterPolicyError(`Match value must be String, number, true, false, or null`);
  if (Array.isArray(condition)) throw new FilterPolicyError(`"${name}": nested arrays are not supported.`);
  const ops = Object.keys(condition);
  if (ops.length !== 1 || !OPERATORS.has(ops[0]!)) throw new FilterPolicyError(`Unrecognized match type ${ops.join(', ')}`);
  const op = ops[0]!;
  const arg = condition[op]!;
  switch (op) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
      if (typeof arg !== 'string') throw new FilterPolicyError(`${op} match pattern must be a string`);
      return;
    case 'exists':
      if (typeof arg !== 'boolean') throw new FilterPolicyError('exists match pattern must be either true or false.');
      return;
    case 'cidr':
      if (typeof arg !== 'string' || !parseCidr(arg)) throw new FilterPolicyError('Malformed CIDR, one slash required');
      return;
    case 'numeric':
      parseNumericRange(arg);
      return;
    case 'anything-but':
      if (typeof arg === 'string' || typeof arg === 'number') return;
      if (Array.isArray(arg)) {
        if (arg.some((a) => typeof a !== 'string' && typeof a !== 'number')) throw new FilterPolicyError('anything-but list must contain only strings or numbers');
        return;
      }
      if (isObject(arg)) {
        const inner = Object.keys(arg);
        if (inner.length !== 1 || !['prefix', 'suffix', 'equals-ignore-case'].includes(inner[0]!) || typeof arg[inner[0]!] !== 'string') {
          throw new FilterPolicyError('Unsupported anything-but pattern');
        }
        return;
      }
      throw new FilterPolicyError('Unsupported anything-but pattern');
  }
}

interface NumericRange {
  checks: [string, number][];
}

function parseNumericRange(arg: Json): NumericRange {
  if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4)) throw new FilterPolicyError('Value of numeric operator must be an array of 2 or 4 elements');
  const checks: [string, number][] = [];
  for (let i = 0; i < arg.length; i += 2) {
    const op = arg[i];
    const n = arg[i + 1];
    if (typeof op !== 'string' || !['=', '<', '<=', '>', '>='].includes(op)) throw new FilterPolicyError(`Unrecognized numeric range operator: ${String(op)}`);
    if (typeof n !== 'number' || !Number.isFinite(n)) throw new FilterPolicyError('Value of numeric operator must be numeric');
    if (Math.abs(n) > 1e9) throw new FilterPolicyError('Value of numeric operator must be between -1e9 and 1e9');
    checks.push([op, n]);
  }
  if (checks.length === 2) {
    const [a, b] = checks as [[string, number], [string, number]];
    if (!a[0].startsWith('>') || !b[0].startsWith('<')) throw new FilterPolicyError('Too many elements in numeric expression; a range needs a lower then an upper bound');
    if (a[1] >= b[1]) throw new FilterPolicyError('Bottom must be less than top');
  }
  return { checks };
}

function parseCidr(text: string): { bytes: Buffer; bits: number } | undefined {
  const slash = text.indexOf('/');
  if (slash === -1 || slash !== text.lastIndexOf('/')) return undefined;
  const address = text.slice(0, slash);
  const bits = Number(text.slice(slash + 1));
  const family = isIP(address);
  if (family === 0 || !Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) return undefined;
  return { bytes: ipBytes(address)!, bits };
}

function ipBytes(address: string): Buffer | undefined {
  const family = isIP(address);
  if (family === 4) return Buffer.from(address.split('.').map(Number));
  if (family !== 6) return undefined;
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let tail: number[] = [];
  if (v4) {
    tail = v4[1]!.split('.').map(Number);
    text = text.slice(0, -v4[1]!.length) + '0:0';
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = rest !== undefined ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g || '0', 16), i * 2));
  if (tail.length) Buffer.from(tail).copy(out, 12);
  return out;
}

function inCidr(value: string, cidr: string): boolean {
  const range = parseCidr(cidr);
  const ip = ipBytes(value);
  if (!range || !ip || ip.length !== range.bytes.length) return false;
  for (let bit = 0; bit < range.bits; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if ((ip[byte]! & mask) !== (range.bytes[byte]! & mask)) return false;
  }
  return true;
}

// ---- matching -----------------------------------------------------------------------------------

/** A value the policy is compared with: strings and numbers; `absent` when the key is missing. */
type Candidate = string | number | null | boolean;

/**
 * True when the message matches the policy. `attributes` are the message attributes; `body` the
 * message text (parsed as JSON for the MessageBody scope; a body that is not a JSON object matches
 * nothing there).
 */
export function matchesFilterPolicy(
  policy: Policy,
  scope: FilterScope,
  attributes: Record<string, SnsAttributeValue> | undefined,
  body: string,
): boolean {
  if (scope === 'MessageBody') {
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch {
      return false;
    }
    if (!isObject(doc)) return false;
    return matchBody(policy, doc);
  }
  return matchAttributes(policy, attributes ?? {});
}

function matchAttributes(policy: Policy, attributes: Record<string, SnsAttributeValue>): boolean {
  for (const [name, conditions] of Object.entries(policy)) {
    if (name === '$or') {
      if (!(conditions as Policy[]).some((branch) => matchAttributes(branch, attributes))) return false;
      continue;
    }
    // Own properties only: a policy key such as `toString` must not find Object.prototype's.
    const attribute = Object.hasOwn(attributes, name) ? attributes[name] : undefined;
    const values = attribute ? attributeCandidates(attribute) : undefined;
    if (!matchConditions(conditions as Json[], values)) return false;
  }
  return true;
}

function attributeCandidates(attribute: SnsAttributeValue): Candidate[] {
  const type = attribute.DataType;
  if (type.startsWith('Binary')) return [];
  const text = attribute.StringValue ?? '';
  if (type.startsWith('Number')) {
    const n = Number(text);
    return Number.isFinite(n) ? [n] : [];
  }
  if (type.startsWith('String.Array')) {
    try {
      const list = JSON.parse(text) as unknown;
      if (Array.isArray(list)) return list.filter((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v)) as Candidate[];
    } catch {
      return [];
    }
    return [];
  }
  return [text];
}

function matchBody(policy: Policy, doc: Record<string, unknown>): boolean {
  for (const [name, conditions] of Object.entries(policy)) {
    if (name === '$or') {
      if (!(conditions as Policy[]).some((branch) => matchBody(branch, doc))) return false;
      continue;
    }
    const value = Object.hasOwn(doc, name) ? doc[name] : undefined;
    if (isObject(conditions)) {
      // Nested key: the body's value must be an object (or an array of objects) matching the sub-policy.
      const objects = (Array.isArray(value) ? value : [value]).filter((v): v is Record<string, unknown> => isObject(v));
      if (!objects.some((o) => matchBody(conditions as Policy, o))) {
        if (value === undefined && onlyAbsenceChecks(conditions as Policy)) continue;
        return false;
      }
      continue;
    }
    const values = value === undefined ? undefined : (Array.isArray(value) ? value : [value]).filter((v) => !isObject(v) && !Array.isArray(v)) as Candidate[];
    if (!matchConditions(conditions as Json[], values)) return false;
  }
  return true;
}

function onlyAbsenceChecks(policy: Policy): boolean {
  return Object.entries(policy).every(
    ([, c]) => Array.isArray(c) && c.every((x) => isObject(x) && (x as Record<string, Json>).exists === false),
  );
}

/** True when any condition matches any of the values (`undefined` values: the key is absent). */
function matchConditions(conditions: Json[], values: Candidate[] | undefined): boolean {
  return conditions.some((condition) => {
    if (isObject(condition) && 'exists' in condition) return condition.exists === (values !== undefined);
    if (values === undefined) return false;
    return values.some((v) => matchOne(condition, v));
  });
}

function matchOne(condition: Json, value: Candidate): boolean {
  if (condition === null) return value === null;
  if (typeof condition === 'string') return value === condition;
  if (typeof condition === 'number') return typeof value === 'number' && value === condition;
  if (!isObject(condition)) return false;
  const [op, arg] = Object.entries(condition)[0]!;
  switch (op) {
    case 'prefix':
      return typeof value === 'string' && value.startsWith(arg as string);
    case 'suffix':
      return typeof value === 'string' && value.endsWith(arg as string);
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === (arg as string).toLowerCase();
    case 'cidr':
      return typeof value === 'string' && inCidr(value, arg as string);
    case 'numeric': {
      if (typeof value !== 'number') return false;
      return parseNumericRange(arg).checks.every(([o, n]) =>
        o === '=' ? value === n : o === '<' ? value < n : o === '<=' ? value <= n : o === '>' ? value > n : value >= n,
      );
    }
    case 'anything-but': {
      if (value === null) return false;
      if (Array.isArray(arg)) return !arg.some((a) => a === value);
      if (isObject(arg)) {
        if (typeof value !== 'string') return true;
        const [inner, text] = Object.entries(arg)[0]! as [string, string];
        if (inner === 'prefix') return !value.startsWith(text);
        if (inner === 'suffix') return !value.endsWith(text);
        return value.toLowerCase() !== text.toLowerCase();
      }
      return arg !== value;
    }
    default:
      return false;
  }
}
