// The SQL subset of S3 Select: SELECT (*, expressions with AS, or aggregates COUNT/SUM/AVG/MIN/MAX)
// FROM S3Object[ [*] ][ path ] [AS] [alias] [WHERE …] [LIMIT n]. Expressions: literals, column
// references (_1, header names, "quoted" names, alias.field.sub[0] paths for JSON), comparisons,
// AND/OR/NOT, LIKE (with ESCAPE), IS [NOT] NULL, BETWEEN, IN, + - * / %, ||, CAST, and the scalar
// functions LOWER, UPPER, CHAR_LENGTH, TRIM, SUBSTRING, COALESCE, NULLIF. A query is parsed once and
// compiled into closures over a record accessor, so that scanning a large object stays cheap.
import { AGGREGATES, Parser, selectError, tokenize, type Node } from './select-parser.js';

/** A value during evaluation: null stands for SQL NULL and MISSING alike. */
export type Value = null | boolean | number | string | Date | Value[] | { [key: string]: Value };

/** Reads a column path from the current record: `path` has the alias already removed. */
export type Accessor = (path: readonly (string | number)[], caseSensitive: readonly boolean[]) => Value;

type Compiled = (get: Accessor) => Value;

export interface Projection {
  /** The output name (AS alias, the last path segment of a column, or `_N` by position). */
  name: string;
  evaluate: Compiled;
}

export interface Aggregate {
  name: string;
  fn: 'COUNT' | 'SUM' | 'AVG' | 'MIN' | 'MAX';
  /** Undefined for COUNT(*). */
  argument?: Compiled;
}

export interface SelectQuery {
  /** SELECT *: the record itself. */
  star: boolean;
  projections: Projection[];
  /** Non-empty when the list is made of aggregates (one output row). */
  aggregates: Aggregate[];
  where?: Compiled;
  limit?: number;
  /** FROM S3Object[*].path: the path under the root to iterate (JSON), after `[*]`. */
  fromPath: (string | number)[];
  /** FROM S3Object[*]: iterate over the root array's elements (JSON DOCUMENT). */
  fromWildcard: boolean;
  alias: string;
}

export { selectError };

// --- compilation ---

/** A number for arithmetic and numeric comparison: numbers, and strings that read as one (CSV fields). */
function toNumber(v: Value): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = Number(v);
    // Number('') and Number('  ') are 0: only a blank string is not a number.
    return Number.isFinite(n) && (n !== 0 || v.trim() !== '') ? n : null;
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  return null;
}

const castFailed = () => selectError('CastFailed', 'Attempt to convert from one data type to another using CAST failed in the SQL expression.');

function compare(a: Value, b: Value): number | null {
  if (a === null || b === null) return null;
  if (typeof a === 'number' || typeof b === 'number') {
    const x = toNumber(a);
    const y = toNumber(b);
    if (x === null || y === null) return null;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a instanceof Date || b instanceof Date) {
    const x = a instanceof Date ? a.getTime() : new Date(String(a)).getTime();
    const y = b instanceof Date ? b.getTime() : new Date(String(b)).getTime();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'boolean' || typeof b === 'boolean') return String(a) === String(b) ? 0 : 1;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function likeToRegExp(pattern: string, escape: string | undefined): RegExp {
  let out = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (escape !== undefined && c === escape && i + 1 < pattern.length) {
      out += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else if (c === '%') out += '[\\s\\S]*';
    else if (c === '_') out += '[\\s\\S]';
    else out += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`${out}$`);
}

export function castValue(v: Value, type: string): Value {
  if (v === null) return null;
  const fail = castFailed;
  switch (type) {
    case 'INT':
    case 'INTEGER':
    case 'BIGINT': {
      const n = toNumber(v);
      if (n === null) throw fail();
      return Math.trunc(n);
    }
    case 'FLOAT':
    case 'REAL':
    case 'DOUBLE':
    case 'DECIMAL':
    case 'NUMERIC': {
      const n = toNumber(v);
      if (n === null) throw fail();
      return n;
    }
    case 'STRING':
    case 'VARCHAR':
    case 'CHAR':
      return v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
    case 'BOOL':
    case 'BOOLEAN': {
      if (typeof v === 'boolean') return v;
      if (typeof v === 'number') return v !== 0;
      const s = String(v).trim().toLowerCase();
      if (s === 'true') return true;
      if (s === 'false') return false;
      throw fail();
    }
    case 'TIMESTAMP': {
      const d = v instanceof Date ? v : new Date(String(v));
      if (Number.isNaN(d.getTime())) throw fail();
      return d;
    }
    default:
      throw fail();
  }
}

function truth(v: Value): boolean | null {
  if (v === null) return null;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (s === 'true') return true;
    if (s === 'false') return false;
  }
  throw selectError('InvalidDataType', 'The SQL expression contains an invalid data type.');
}

function compile(node: Node, alias: string): Compiled {
  switch (node.t) {
    case 'lit': {
      const value = node.value;
      return () => value;
    }
    case 'star':
      return () => 1;
    case 'col': {
      // The FROM alias is optional in paths: `s.name`, `S3Object.name` or `name`.
      let path = node.path;
      let quoted = node.quoted;
      const head = path[0];
      if (path.length > 1 && typeof head === 'string' && !quoted[0] && (head.toLowerCase() === alias.toLowerCase() || head.toLowerCase() === 's3object')) {
        path = path.slice(1);
        quoted = quoted.slice(1);
      }
      return (get) => get(path, quoted);
    }
    case 'un': {
      const arg = compile(node.arg, alias);
      if (node.op === 'NOT') {
        return (get) => {
          const v = truth(arg(get));
          return v === null ? null : !v;
        };
      }
      return (get) => {
        const n = toNumber(arg(get));
        return n === null ? null : -n;
      };
    }
    case 'bin': {
      const left = compile(node.left, alias);
      const right = compile(node.right, alias);
      switch (node.op) {
        case 'AND':
          return (get) => {
            const a = truth(left(get));
            if (a === false) return false;
            const b = truth(right(get));
            if (b === false) return false;
            return a === null || b === null ? null : true;
          };
        case 'OR':
          return (get) => {
            const a = truth(left(get));
            if (a === true) return true;
            const b = truth(right(get));
            if (b === true) return true;
            return a === null || b === null ? null : false;
          };
        case '=':
          return (get) => {
            const c = compare(left(get), right(get));
            return c === null ? null : c === 0;
          };
        case '!=':
          return (get) => {
            const c = compare(left(get), right(get));
            return c === null ? null : c !== 0;
          };
        case '<':
          return (get) => {
            const c = compare(left(get), right(get));
            return c === null ? null : c < 0;
          };
        case '<=':
          return (get) => {
            const c = compare(left(get), right(get));
            return c === null ? null : c <= 0;
          };
        case '>':
          return (get) => {
            const c = compare(left(get), right(get));
            return c === null ? null : c > 0;
          };
        case '>=':
          return (get) => {
            const c = compare(left(get), right(get));
            return c === null ? null : c >= 0;
          };
        case '||':
          return (get) => {
            const a = left(get);
            const b = right(get);
            return a === null || b === null ? null : `${castValue(a, 'STRING') as string}${castValue(b, 'STRING') as string}`;
          };
        default: {
          const op = node.op;
          return (get) => {
            const a = toNumber(left(get));
            const b = toNumber(right(get));
            if (a === null || b === null) return null;
            switch (op) {
              case '+':
                return a + b;
              case '-':
                return a - b;
              case '*':
                return a * b;
              case '/':
                if (b === 0) throw selectError('DivisionByZero', 'Division by zero is not allowed.');
                return a / b;
              default:
                if (b === 0) throw selectError('DivisionByZero', 'Division by zero is not allowed.');
                return a % b;
            }
          };
        }
      }
    }
    case 'like': {
      const arg = compile(node.arg, alias);
      const not = node.not;
      // A constant pattern (the usual case) is turned into a RegExp once.
      if (node.pattern.t === 'lit' && (!node.escape || node.escape.t === 'lit')) {
        const re = likeToRegExp(String(node.pattern.value), node.escape && node.escape.t === 'lit' ? String(node.escape.value) : undefined);
        return (get) => {
          const v = arg(get);
          if (v === null) return null;
          return re.test(String(v)) !== not;
        };
      }
      const pattern = compile(node.pattern, alias);
      const escape = node.escape ? compile(node.escape, alias) : undefined;
      return (get) => {
        const v = arg(get);
        const p = pattern(get);
        if (v === null || p === null) return null;
        const e = escape?.(get);
        return likeToRegExp(String(p), e === null || e === undefined ? undefined : String(e)).test(String(v)) !== not;
      };
    }
    case 'isnull': {
      const arg = compile(node.arg, alias);
      const not = node.not;
      return (get) => (arg(get) === null) !== not;
    }
    case 'between': {
      const arg = compile(node.arg, alias);
      const low = compile(node.low, alias);
      const high = compile(node.high, alias);
      const not = node.not;
      return (get) => {
        const v = arg(get);
        const a = compare(v, low(get));
        const b = compare(v, high(get));
        if (a === null || b === null) return null;
        return (a >= 0 && b <= 0) !== not;
      };
    }
    case 'in': {
      const arg = compile(node.arg, alias);
      const list = node.list.map((n) => compile(n, alias));
      const not = node.not;
      return (get) => {
        const v = arg(get);
        if (v === null) return null;
        return list.some((item) => compare(v, item(get)) === 0) !== not;
      };
    }
    case 'cast': {
      const arg = compile(node.arg, alias);
      const type = node.type;
      return (get) => castValue(arg(get), type);
    }
    case 'call': {
      if (AGGREGATES.has(node.name)) throw selectError('InvalidAggregateUsage', `Aggregate function ${node.name} is not allowed here.`);
      const args = node.args.map((n) => compile(n, alias));
      const arity = (min: number, max = min) => {
        if (args.length < min || args.length > max) throw selectError('IncorrectSqlFunctionArgumentType', `Incorrect number of arguments to ${node.name}.`);
      };
      switch (node.name) {
        case 'LOWER':
          arity(1);
          return (get) => {
            const v = args[0]!(get);
            return v === null ? null : String(v).toLowerCase();
          };
        case 'UPPER':
          arity(1);
          return (get) => {
            const v = args[0]!(get);
            return v === null ? null : String(v).toUpperCase();
          };
        case 'CHAR_LENGTH':
        case 'CHARACTER_LENGTH':
          arity(1);
          return (get) => {
            const v = args[0]!(get);
            return v === null ? null : [...String(v)].length;
          };
        case 'TRIM':
          arity(1);
          return (get) => {
            const v = args[0]!(get);
            return v === null ? null : String(v).trim();
          };
        case 'SUBSTRING':
          arity(2, 3);
          return (get) => {
            const v = args[0]!(get);
            const start = toNumber(args[1]!(get));
            const length = args[2] ? toNumber(args[2](get)) : null;
            if (v === null || start === null) return null;
            const chars = [...String(v)];
            // SQL positions count from 1; a start before 1 shortens the length.
            const from = Math.max(start, 1);
            const end = length === null ? chars.length : start + length - 1;
            return chars.slice(from - 1, Math.max(from - 1, end)).join('');
          };
        case 'COALESCE':
          arity(1, 100);
          return (get) => {
            for (const a of args) {
              const v = a(get);
              if (v !== null) return v;
            }
            return null;
          };
        default:
          arity(2);
          return (get) => {
            const a = args[0]!(get);
            return compare(a, args[1]!(get)) === 0 ? null : a;
          };
      }
    }
  }
}

/** Parses and compiles a query; throws S3 Select's parse errors (400). */
export function parseSelect(sql: string): SelectQuery {
  if (sql.length > 256 * 1024) throw selectError('ExpressionTooLong', 'The SQL expression is too long: The maximum byte-length for the SQL expression is 256 KB.');
  const p = new Parser(tokenize(sql));
  p.keyword('SELECT');
  let star = false;
  const items: { node: Node; as?: string }[] = [];
  if (p.isOp('*')) {
    p.next();
    star = true;
  } else {
    for (;;) {
      const node = p.expression();
      let as: string | undefined;
      if (p.isKeyword('AS')) {
        p.next();
        const name = p.next();
        if (name.kind !== 'id') throw p.unexpected(name);
        as = name.value;
      } else if (p.peek().kind === 'id' && !p.isKeyword('FROM')) {
        as = String(p.next().value);
      }
      items.push({ node, as });
      if (!p.isOp(',')) break;
      p.next();
    }
  }
  p.keyword('FROM');
  const source = p.next();
  if (source.kind !== 'id' || source.value.toLowerCase() !== 's3object') throw p.unexpected(source);
  let fromWildcard = false;
  const fromPath: (string | number)[] = [];
  for (;;) {
    if (p.isOp('[')) {
      p.next();
      if (p.isOp('*')) {
        p.next();
        fromWildcard = true;
      } else {
        const index = p.next();
        if (index.kind !== 'num') throw p.unexpected(index);
        fromPath.push(index.value);
      }
      p.op(']');
    } else if (p.isOp('.')) {
      p.next();
      const part = p.next();
      if (part.kind !== 'id') throw p.unexpected(part);
      fromPath.push(part.value);
    } else break;
  }
  let alias = 'S3Object';
  if (p.isKeyword('AS')) {
    p.next();
    const name = p.next();
    if (name.kind !== 'id') throw p.unexpected(name);
    alias = name.value;
  } else if (p.peek().kind === 'id' && !p.isKeyword('WHERE') && !p.isKeyword('LIMIT')) {
    alias = String(p.next().value);
  }
  let where: Compiled | undefined;
  if (p.isKeyword('WHERE')) {
    p.next();
    const node = p.expression();
    if (containsAggregate(node)) throw selectError('InvalidAggregateUsage', 'Aggregate functions are not allowed in the WHERE clause.');
    where = compile(node, alias);
  }
  let limit: number | undefined;
  if (p.isKeyword('LIMIT')) {
    p.next();
    const n = p.next();
    if (n.kind !== 'num' || !Number.isInteger(n.value) || n.value < 0) throw p.unexpected(n);
    limit = n.value;
  }
  if (p.peek().kind !== 'end') throw p.unexpected();

  const aggregates: Aggregate[] = [];
  const projections: Projection[] = [];
  items.forEach((item, i) => {
    const name = item.as ?? (item.node.t === 'col' ? String(item.node.path[item.node.path.length - 1]) : `_${i + 1}`);
    const node = item.node;
    if (node.t === 'call' && AGGREGATES.has(node.name)) {
      if (node.args.length !== 1) throw selectError('IncorrectSqlFunctionArgumentType', `Incorrect number of arguments to ${node.name}.`);
      const arg = node.args[0]!;
      if (containsAggregate(arg)) throw selectError('InvalidAggregateUsage', 'Aggregate functions cannot be nested.');
      aggregates.push({ name: item.as ?? `_${i + 1}`, fn: node.name as Aggregate['fn'], argument: arg.t === 'star' ? undefined : compile(arg, alias) });
    } else {
      if (containsAggregate(node)) throw selectError('UnsupportedSqlOperation', 'Aggregates inside expressions are not supported.');
      projections.push({ name, evaluate: compile(node, alias) });
    }
  });
  if (aggregates.length > 0 && projections.length > 0) {
    throw selectError('UnsupportedSqlStructure', 'Aggregate and non-aggregate expressions cannot be mixed in the SELECT list without GROUP BY, which is not supported.');
  }
  return { star, projections, aggregates, where, limit, fromPath, fromWildcard, alias };
}

function containsAggregate(node: Node): boolean {
  switch (node.t) {
    case 'call':
      return AGGREGATES.has(node.name) || node.args.some(containsAggregate);
    case 'un':
    case 'isnull':
    case 'cast':
      return containsAggregate(node.arg);
    case 'bin':
      return containsAggregate(node.left) || containsAggregate(node.right);
    case 'like':
      return containsAggregate(node.arg) || containsAggregate(node.pattern);
    case 'between':
      return containsAggregate(node.arg) || containsAggregate(node.low) || containsAggregate(node.high);
    case 'in':
      return containsAggregate(node.arg) || node.list.some(containsAggregate);
    default:
      return false;
  }
}

/** Running state of the aggregates of one query. */
export class AggregateState {
  readonly #values: { count: number; sum: number; min: Value; max: Value }[];
  constructor(readonly aggregates: Aggregate[]) {
    this.#values = aggregates.map(() => ({ count: 0, sum: 0, min: null, max: null }));
  }

  add(get: Accessor): void {
    this.aggregates.forEach((a, i) => {
      const state = this.#values[i]!;
      if (!a.argument) {
        state.count++;
        return;
      }
      const v = a.argument(get);
      if (v === null) return;
      state.count++;
      if (a.fn === 'SUM' || a.fn === 'AVG') {
        const n = toNumber(v);
        if (n === null) throw selectError('InvalidDataType', `The ${a.fn} function needs numbers: use CAST.`);
        state.sum += n;
      } else if (a.fn === 'MIN') {
        if (state.min === null || (compare(v, state.min) ?? 0) < 0) state.min = v;
      } else if (a.fn === 'MAX') {
        if (state.max === null || (compare(v, state.max) ?? 0) > 0) state.max = v;
      }
    });
  }

  /** The one output row: name → value. */
  result(): [string, Value][] {
    return this.aggregates.map((a, i) => {
      const s = this.#values[i]!;
      switch (a.fn) {
        case 'COUNT':
          return [a.name, s.count];
        case 'SUM':
          return [a.name, s.count === 0 ? null : s.sum];
        case 'AVG':
          return [a.name, s.count === 0 ? null : s.sum / s.count];
        case 'MIN':
          return [a.name, s.min];
        default:
          return [a.name, s.max];
      }
    });
  }
}

/** Whether a WHERE result keeps the record (NULL and false do not). */
export const keeps = (v: Value): boolean => truth(v) === true;
