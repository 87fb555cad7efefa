// DynamoDB attribute values: validation with DynamoDB's messages, canonical numbers, item size as
// DynamoDB computes it (400 KB limit), ordering, equality, and the JSON form kept in storage.
import { compareNumbers, NumberError, normalizeNumber, parseNumber } from './number.js';

export type AttributeValue =
  | { S: string }
  | { N: string }
  | { B: Buffer }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: Buffer[] }
  | { M: Record<string, AttributeValue> }
  | { L: AttributeValue[] }
  | { NULL: true }
  | { BOOL: boolean };

export type Item = Record<string, AttributeValue>;
export type AttrType = 'S' | 'N' | 'B' | 'SS' | 'NS' | 'BS' | 'M' | 'L' | 'NULL' | 'BOOL';

export const MAX_ITEM_SIZE = 400 * 1024;
const TYPES: readonly AttrType[] = ['S', 'N', 'B', 'SS', 'NS', 'BS', 'M', 'L', 'NULL', 'BOOL'];

/** A validation failure carrying DynamoDB's exact ValidationException message. */
export class ValidationError extends Error {
  override name = 'ValidationError';
}

export function typeOf(value: AttributeValue): AttrType {
  for (const key in value) {
    if ((value as Record<string, unknown>)[key] !== undefined) return key as AttrType;
  }
  return 'NULL';
}

/** The single value inside an AttributeValue. */
export function inner(value: AttributeValue): unknown {
  return (value as Record<string, unknown>)[typeOf(value)];
}

function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  return Buffer.alloc(0);
}

/**
 * Validates one attribute value in place (numbers become canonical, blobs become Buffers).
 * Throws ValidationError with DynamoDB's message.
 */
export function validateValue(value: AttributeValue): AttributeValue {
  if (value === null || typeof value !== 'object') {
    throw new ValidationError('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
  }
  const v = value as Record<string, unknown>;
  const present = Object.keys(v).filter((k) => v[k] !== undefined && v[k] !== null);
  if (present.length === 0) {
    throw new ValidationError('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
  }
  if (present.length > 1) {
    throw new ValidationError('Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes');
  }
  const type = present[0] as AttrType;
  if (!TYPES.includes(type)) {
    throw new ValidationError('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
  }
  try {
    switch (type) {
      case 'S':
        if (typeof v.S !== 'string') throw new ValidationError('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
        return value;
      case 'N':
        return { N: normalizeNumber(String(v.N)) };
      case 'B':
        return { B: toBuffer(v.B) };
      case 'BOOL':
        return { BOOL: Boolean(v.BOOL) };
      case 'NULL':
        if (v.NULL !== true) throw new ValidationError('One or more parameter values were invalid: Null attribute value types must have the value of true');
        return { NULL: true };
      case 'SS': {
        const list = v.SS as string[];
        if (list.length === 0) throw new ValidationError('One or more parameter values were invalid: An string set  may not be empty');
        if (new Set(list).size !== list.length) {
          throw new ValidationError(`One or more parameter values were invalid: Input collection [${list.join(', ')}] contains duplicates.`);
        }
        return value;
      }
      case 'NS': {
        const list = (v.NS as string[]).map((n) => normalizeNumber(String(n)));
        if (list.length === 0) throw new ValidationError('One or more parameter values were invalid: An number set  may not be empty');
        if (new Set(list).size !== list.length) throw new ValidationError('Input collection contains duplicates');
        return { NS: list };
      }
      case 'BS': {
        const list = (v.BS as unknown[]).map(toBuffer);
        if (list.length === 0) throw new ValidationError('One or more parameter values were invalid: Binary sets should not be empty');
        const seen = new Set(list.map((b) => b.toString('base64')));
        if (seen.size !== list.length) {
          throw new ValidationError(
            `One or more parameter values were invalid: Input collection [${list.map((b) => b.toString('base64')).join(', ')}]of type BS contains duplicates.`,
          );
        }
        return { BS: list };
      }
      case 'M': {
        const m = v.M as Record<string, AttributeValue>;
        const out: Record<string, AttributeValue> = {};
        for (const k of Object.keys(m)) out[k] = validateValue(m[k]!);
        return { M: out };
      }
      case 'L':
        return { L: (v.L as AttributeValue[]).map(validateValue) };
    }
  } catch (error) {
    if (error instanceof NumberError) throw new ValidationError(error.message);
    throw error;
  }
  return value;
}

/** Validates every attribute of an item (in place copy). */
export function validateItem(item: Record<string, AttributeValue>): Item {
  const out: Item = {};
  for (const name of Object.keys(item)) out[name] = validateValue(item[name]!);
  return out;
}

function numberSize(n: string): number {
  const d = parseNumber(n);
  return Math.ceil(d.digits.length / 2) + 1;
}

/** Size of a value in bytes, by DynamoDB's published rules. */
export function valueSize(value: AttributeValue): number {
  const type = typeOf(value);
  const v = inner(value);
  switch (type) {
    case 'S':
      return Buffer.byteLength(v as string, 'utf8');
    case 'N':
      return numberSize(v as string);
    case 'B':
      return (v as Buffer).length;
    case 'SS':
      return (v as string[]).reduce((s, x) => s + Buffer.byteLength(x, 'utf8'), 0);
    case 'NS':
      return (v as string[]).reduce((s, x) => s + numberSize(x), 0);
    case 'BS':
      return (v as Buffer[]).reduce((s, x) => s + x.length, 0);
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'L':
      return 3 + (v as AttributeValue[]).reduce((s, x) => s + 1 + valueSize(x), 0);
    case 'M': {
      const m = v as Record<string, AttributeValue>;
      let size = 3;
      for (const k of Object.keys(m)) size += 1 + Buffer.byteLength(k, 'utf8') + valueSize(m[k]!);
      return size;
    }
  }
}

export function itemSize(item: Item): number {
  let size = 0;
  for (const name of Object.keys(item)) size += Buffer.byteLength(name, 'utf8') + valueSize(item[name]!);
  return size;
}

/** Compares two scalar values of the same type (S, N or B); undefined when not comparable. */
export function compareScalars(a: AttributeValue, b: AttributeValue): number | undefined {
  const ta = typeOf(a);
  if (ta !== typeOf(b)) return undefined;
  if (ta === 'N') return compareNumbers((a as { N: string }).N, (b as { N: string }).N);
  if (ta === 'S') return Buffer.compare(Buffer.from((a as { S: string }).S), Buffer.from((b as { S: string }).S));
  if (ta === 'B') return Buffer.compare((a as { B: Buffer }).B, (b as { B: Buffer }).B);
  return undefined;
}

export function valuesEqual(a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const ta = typeOf(a);
  if (ta !== typeOf(b)) return false;
  const va = inner(a);
  const vb = inner(b);
  switch (ta) {
    case 'S':
    case 'BOOL':
    case 'NULL':
      return va === vb;
    case 'N':
      return compareNumbers(va as string, vb as string) === 0;
    case 'B':
      return (va as Buffer).equals(vb as Buffer);
    case 'SS':
    case 'NS': {
      const x = va as string[];
      const y = vb as string[];
      if (x.length !== y.length) return false;
      if (ta === 'SS') {
        const s = new Set(y);
        return x.every((e) => s.has(e));
      }
      return x.every((e) => y.some((f) => compareNumbers(e, f) === 0));
    }
    case 'BS': {
      const x = va as Buffer[];
      const y = vb as Buffer[];
      return x.length === y.length && x.every((e) => y.some((f) => e.equals(f)));
    }
    case 'L': {
      const x = va as AttributeValue[];
      const y = vb as AttributeValue[];
      return x.length === y.length && x.every((e, i) => valuesEqual(e, y[i]));
    }
    case 'M': {
      const x = va as Record<string, AttributeValue>;
      const y = vb as Record<string, AttributeValue>;
      const kx = Object.keys(x);
      if (kx.length !== Object.keys(y).length) return false;
      return kx.every((k) => valuesEqual(x[k], y[k]));
    }
  }
}

// Storage form: JSON with binaries as base64 strings (the type tag tells them apart).
function toJsonValue(value: AttributeValue): unknown {
  const type = typeOf(value);
  const v = inner(value);
  switch (type) {
    case 'B':
      return { B: (v as Buffer).toString('base64') };
    case 'BS':
      return { BS: (v as Buffer[]).map((b) => b.toString('base64')) };
    case 'L':
      return { L: (v as AttributeValue[]).map(toJsonValue) };
    case 'M': {
      const out: Record<string, unknown> = {};
      const m = v as Record<string, AttributeValue>;
      for (const k of Object.keys(m)) out[k] = toJsonValue(m[k]!);
      return { M: out };
    }
    default:
      return value;
  }
}

function fromJsonValue(value: Record<string, unknown>): AttributeValue {
  if ('B' in value) return { B: Buffer.from(value.B as string, 'base64') };
  if ('BS' in value) return { BS: (value.BS as string[]).map((b) => Buffer.from(b, 'base64')) };
  if ('L' in value) return { L: (value.L as Record<string, unknown>[]).map(fromJsonValue) };
  if ('M' in value) {
    const out: Record<string, AttributeValue> = {};
    const m = value.M as Record<string, Record<string, unknown>>;
    for (const k of Object.keys(m)) out[k] = fromJsonValue(m[k]!);
    return { M: out };
  }
  return value as AttributeValue;
}

export function serializeItem(item: Item): string {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(item)) out[k] = toJsonValue(item[k]!);
  return JSON.stringify(out);
}

export function deserializeItem(text: string): Item {
  const raw = JSON.parse(text) as Record<string, Record<string, unknown>>;
  const out: Item = {};
  for (const k of Object.keys(raw)) out[k] = fromJsonValue(raw[k]!);
  return out;
}

/** Deep copy (Buffers are shared; they are never mutated). */
export function cloneValue(value: AttributeValue): AttributeValue {
  const type = typeOf(value);
  const v = inner(value);
  if (type === 'L') return { L: (v as AttributeValue[]).map(cloneValue) };
  if (type === 'M') {
    const out: Record<string, AttributeValue> = {};
    const m = v as Record<string, AttributeValue>;
    for (const k of Object.keys(m)) out[k] = cloneValue(m[k]!);
    return { M: out };
  }
  if (type === 'SS' || type === 'NS' || type === 'BS') return { [type]: [...(v as unknown[])] } as AttributeValue;
  return value;
}

export function cloneItem(item: Item): Item {
  const out: Item = {};
  for (const k of Object.keys(item)) out[k] = cloneValue(item[k]!);
  return out;
}
