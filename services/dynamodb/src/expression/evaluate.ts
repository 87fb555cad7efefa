// Evaluates resolved expressions against items: conditions and filters, update actions (applied to
// a copy of the item, reading operands from the item as it was), and projections.
import {
  cloneItem,
  cloneValue,
  compareScalars,
  inner,
  typeOf,
  ValidationError,
  valuesEqual,
  type AttributeValue,
  type Item,
} from '../attribute-value.js';
import { addNumbers, NumberError } from '../number.js';
import type { Condition, Operand, PathElement, UpdateAction } from './ast.js';

export function getPath(item: Item, path: readonly PathElement[]): AttributeValue | undefined {
  let current: AttributeValue | undefined = typeof path[0] === 'string' ? item[path[0]] : undefined;
  for (let i = 1; i < path.length && current !== undefined; i++) {
    const el = path[i]!;
    if (typeof el === 'number') current = 'L' in current ? current.L[el] : undefined;
    else current = 'M' in current ? current.M[el] : undefined;
  }
  return current;
}

function evalOperand(op: Operand, item: Item): AttributeValue | undefined {
  switch (op.k) {
    case 'path':
      return getPath(item, op.path);
    case 'value':
      return op.value;
    case 'fn':
      if (op.name === 'size') {
        const v = evalOperand(op.args[0]!, item);
        if (v === undefined) return undefined;
        const t = typeOf(v);
        const x = inner(v);
        if (t === 'S') return { N: String(Buffer.byteLength(x as string, 'utf8')) };
        if (t === 'B') return { N: String((x as Buffer).length) };
        if (t === 'SS' || t === 'NS' || t === 'BS' || t === 'L') return { N: String((x as unknown[]).length) };
        if (t === 'M') return { N: String(Object.keys(x as object).length) };
        return undefined;
      }
      return undefined;
    case 'arith':
      return undefined;
  }
}

function contains(haystack: AttributeValue, needle: AttributeValue): boolean {
  const t = typeOf(haystack);
  const nt = typeOf(needle);
  if (t === 'S') return nt === 'S' && (haystack as { S: string }).S.includes((needle as { S: string }).S);
  if (t === 'B') return nt === 'B' && (haystack as { B: Buffer }).B.includes((needle as { B: Buffer }).B);
  if (t === 'SS') return nt === 'S' && (haystack as { SS: string[] }).SS.includes((needle as { S: string }).S);
  if (t === 'NS') return nt === 'N' && (haystack as { NS: string[] }).NS.some((n) => valuesEqual({ N: n }, needle));
  if (t === 'BS') return nt === 'B' && (haystack as { BS: Buffer[] }).BS.some((b) => b.equals((needle as { B: Buffer }).B));
  if (t === 'L') return (haystack as { L: AttributeValue[] }).L.some((e) => valuesEqual(e, needle));
  return false;
}

function compare(op: string, a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  if (op === '=') return valuesEqual(a, b);
  if (op === '<>') return !valuesEqual(a, b);
  if (a === undefined || b === undefined) return false;
  const c = compareScalars(a, b);
  if (c === undefined) return false;
  switch (op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    default:
      return c >= 0;
  }
}

export function evaluateCondition(cond: Condition, item: Item): boolean {
  switch (cond.k) {
    case 'and':
      return evaluateCondition(cond.a, item) && evaluateCondition(cond.b, item);
    case 'or':
      return evaluateCondition(cond.a, item) || evaluateCondition(cond.b, item);
    case 'not':
      return !evaluateCondition(cond.a, item);
    case 'cmp':
      return compare(cond.op, evalOperand(cond.a, item), evalOperand(cond.b, item));
    case 'between': {
      const v = evalOperand(cond.a, item);
      return compare('>=', v, evalOperand(cond.lo, item)) && compare('<=', v, evalOperand(cond.hi, item));
    }
    case 'in': {
      const v = evalOperand(cond.a, item);
      return v !== undefined && cond.list.some((op) => valuesEqual(v, evalOperand(op, item)));
    }
    case 'fn': {
      const fn = cond.fn;
      const [a0, a1] = fn.args;
      switch (fn.name) {
        case 'attribute_exists':
          return evalOperand(a0!, item) !== undefined;
        case 'attribute_not_exists':
          return evalOperand(a0!, item) === undefined;
        case 'attribute_type': {
          const v = evalOperand(a0!, item);
          const t = evalOperand(a1!, item);
          return v !== undefined && t !== undefined && 'S' in t && typeOf(v) === t.S;
        }
        case 'begins_with': {
          const v = evalOperand(a0!, item);
          const p = evalOperand(a1!, item);
          if (!v || !p) return false;
          if ('S' in v && 'S' in p) return v.S.startsWith(p.S);
          if ('B' in v && 'B' in p) return v.B.subarray(0, p.B.length).equals(p.B);
          return false;
        }
        case 'contains': {
          const v = evalOperand(a0!, item);
          const n = evalOperand(a1!, item);
          return v !== undefined && n !== undefined && contains(v, n);
        }
      }
      return false;
    }
  }
}

// ---- updates ----

const MISSING = 'The provided expression refers to an attribute that does not exist in the item';
const BAD_TYPE = 'An operand in the update expression has an incorrect data type';
const BAD_PATH = 'The document path provided in the update expression is invalid for update';

function updateValue(op: Operand, item: Item): AttributeValue {
  switch (op.k) {
    case 'path': {
      const v = getPath(item, op.path);
      if (v === undefined) throw new ValidationError(MISSING);
      return cloneValue(v);
    }
    case 'value':
      return op.value!;
    case 'arith': {
      const a = updateValue(op.a, item);
      const b = updateValue(op.b, item);
      if (!('N' in a) || !('N' in b)) throw new ValidationError(BAD_TYPE);
      try {
        return { N: addNumbers(a.N, b.N, op.op === '-') };
      } catch (error) {
        if (error instanceof NumberError) throw new ValidationError(error.message);
        throw error;
      }
    }
    case 'fn':
      if (op.name === 'if_not_exists') {
        const existing = getPath(item, (op.args[0] as { path: PathElement[] }).path);
        return existing !== undefined ? cloneValue(existing) : updateValue(op.args[1]!, item);
      }
      if (op.name === 'list_append') {
        const a = updateValue(op.args[0]!, item);
        const b = updateValue(op.args[1]!, item);
        if (!('L' in a) || !('L' in b)) throw new ValidationError(BAD_TYPE);
        return { L: [...a.L, ...b.L] };
      }
      throw new ValidationError(BAD_TYPE);
  }
}

/** The container holding the last element of `path`, creating nothing; throws when the parent is missing. */
function parentOf(item: Item, path: readonly PathElement[]): AttributeValue | Item | undefined {
  if (path.length === 1) return item;
  const parent = getPath(item, path.slice(0, -1));
  return parent;
}

function setPath(item: Item, path: readonly PathElement[], value: AttributeValue): void {
  if (path.length === 1) {
    item[path[0] as string] = value;
    return;
  }
  const parent = parentOf(item, path) as AttributeValue | undefined;
  const last = path[path.length - 1]!;
  if (parent === undefined) throw new ValidationError(BAD_PATH);
  if (typeof last === 'number') {
    if (!('L' in parent)) throw new ValidationError(BAD_PATH);
    if (last >= parent.L.length) parent.L.push(value);
    else parent.L[last] = value;
  } else {
    if (!('M' in parent)) throw new ValidationError(BAD_PATH);
    parent.M[last] = value;
  }
}

function removePath(item: Item, path: readonly PathElement[]): void {
  if (path.length === 1) {
    delete item[path[0] as string];
    return;
  }
  const parent = parentOf(item, path) as AttributeValue | undefined;
  const last = path[path.length - 1]!;
  if (parent === undefined) return;
  if (typeof last === 'number') {
    if ('L' in parent && last < parent.L.length) parent.L.splice(last, 1);
  } else if ('M' in parent) delete parent.M[last];
}

function addToValue(existing: AttributeValue | undefined, value: AttributeValue): AttributeValue {
  if (existing === undefined) return value;
  const te = typeOf(existing);
  const tv = typeOf(value);
  if (te !== tv) throw new ValidationError(BAD_TYPE);
  if (te === 'N') {
    try {
      return { N: addNumbers((existing as { N: string }).N, (value as { N: string }).N) };
    } catch (error) {
      if (error instanceof NumberError) throw new ValidationError(error.message);
      throw error;
    }
  }
  if (te === 'SS' || te === 'NS') {
    const out = [...(inner(existing) as string[])];
    for (const e of inner(value) as string[]) if (!out.some((x) => valuesEqual({ [te[0]!]: x } as AttributeValue, { [te[0]!]: e } as AttributeValue))) out.push(e);
    return { [te]: out } as AttributeValue;
  }
  if (te === 'BS') {
    const out = [...(existing as { BS: Buffer[] }).BS];
    for (const e of (value as { BS: Buffer[] }).BS) if (!out.some((x) => x.equals(e))) out.push(e);
    return { BS: out };
  }
  throw new ValidationError(BAD_TYPE);
}

function deleteFromValue(existing: AttributeValue, value: AttributeValue): AttributeValue | undefined {
  const te = typeOf(existing);
  if (te !== typeOf(value)) throw new ValidationError(BAD_TYPE);
  let out: unknown[];
  if (te === 'SS') out = (existing as { SS: string[] }).SS.filter((x) => !(value as { SS: string[] }).SS.includes(x));
  else if (te === 'NS') out = (existing as { NS: string[] }).NS.filter((x) => !(value as { NS: string[] }).NS.some((y) => valuesEqual({ N: x }, { N: y })));
  else if (te === 'BS') out = (existing as { BS: Buffer[] }).BS.filter((x) => !(value as { BS: Buffer[] }).BS.some((y) => y.equals(x)));
  else throw new ValidationError(BAD_TYPE);
  return out.length === 0 ? undefined : ({ [te]: out } as AttributeValue);
}

/** Applies update actions to a copy of `item`; every operand reads the item as it was. */
export function applyUpdate(actions: readonly UpdateAction[], original: Item): Item {
  const item = cloneItem(original);
  const values = actions.map((a) => (a.k === 'SET' ? updateValue(a.value, original) : undefined));
  actions.forEach((action, i) => {
    if (action.k === 'SET') setPath(item, action.path.path, values[i]!);
  });
  for (const action of actions) {
    const path = action.path.path;
    if (action.k === 'ADD') {
      const existing = getPath(item, path);
      if (existing === undefined && path.length > 1 && parentOf(item, path) === undefined) throw new ValidationError(BAD_PATH);
      setPath(item, path, addToValue(existing, action.value.value!));
    } else if (action.k === 'DELETE') {
      const existing = getPath(item, path);
      if (existing === undefined) continue;
      const next = deleteFromValue(existing, action.value.value!);
      if (next === undefined) removePath(item, path);
      else setPath(item, path, next);
    }
  }
  // Removals last, list indexes from the highest down so that each index means the original element.
  const removals = actions.filter((a) => a.k === 'REMOVE').map((a) => a.path.path);
  removals.sort((a, b) => {
    const x = a[a.length - 1];
    const y = b[b.length - 1];
    return typeof x === 'number' && typeof y === 'number' ? y - x : 0;
  });
  for (const path of removals) removePath(item, path);
  return item;
}

// ---- projection ----

type Tree = { value?: AttributeValue; children?: Map<PathElement, Tree> };

/** Keeps only the given document paths; list elements keep their relative order. */
export function project(item: Item, paths: readonly PathElement[][]): Item {
  const root = new Map<PathElement, Tree>();
  for (const path of paths) {
    const value = getPath(item, path);
    if (value === undefined) continue;
    let level = root;
    for (let i = 0; i < path.length; i++) {
      const key = path[i]!;
      let node = level.get(key);
      if (!node) {
        node = {};
        level.set(key, node);
      }
      if (i === path.length - 1) node.value = value;
      else {
        node.children ??= new Map();
        level = node.children;
      }
    }
  }
  const build = (node: Tree): AttributeValue => {
    if (node.value !== undefined) return node.value;
    const entries = [...node.children!.entries()];
    if (typeof entries[0]![0] === 'number') {
      entries.sort((a, b) => (a[0] as number) - (b[0] as number));
      return { L: entries.map(([, n]) => build(n)) };
    }
    const m: Record<string, AttributeValue> = {};
    for (const [k, n] of entries) m[k as string] = build(n);
    return { M: m };
  };
  const out: Item = {};
  for (const [k, node] of root) out[k as string] = build(node);
  return out;
}
