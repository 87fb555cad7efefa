// CloudWatch Logs filter patterns (FilterLogEvents, metric filters, subscription filters), compiled once
// into a predicate over a log event's message. Three forms, as AWS documents them:
// - terms: `ERROR`, `"quoted phrase"`, `?ERROR ?WARN` (any of), `ERROR -Exiting` (not);
// - JSON: `{ $.level = "error" && ($.ms > 100 || $.user.id NOT EXISTS) }`, wildcards `"err*"`,
//   array indexes `$.a[0]`, `IS NULL`, `IS TRUE`, `IS FALSE`;
// - space-delimited: `[ip, user, ..., status = 5*, bytes > 1000]` over space-separated fields, where
//   `"quoted"` and `[bracketed]` fields count as one.
// Known limitations: terms match as case-sensitive substrings (AWS matches whole tokens); one `...`
// per space-delimited pattern; regular expressions (`%…%`) and `$.*` selectors are refused.

export class FilterPatternError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
  }
}

export interface CompiledPattern {
  readonly source: string;
  /** Whether a message matches. */
  matches(message: string): boolean;
  /**
   * The value a metric filter reads from a matching message: `$.ms` in a JSON pattern, `$bytes` a
   * named field of a space-delimited one. Undefined when the message does not carry it.
   */
  value(message: string, selector: string): string | undefined;
  /** Substrings every matching message contains (a store may search for them before `matches`). */
  readonly required?: readonly string[];
}

type Op = '=' | '!=' | '<' | '>' | '<=' | '>=';
type Literal = { kind: 'string'; text: string } | { kind: 'number'; num: number; text: string };

interface Comparison {
  type: 'cmp';
  selector: string;
  op: Op;
  value: Literal;
}
interface Check {
  type: 'is';
  selector: string;
  what: 'NULL' | 'TRUE' | 'FALSE' | 'NOT EXISTS' | 'EXISTS';
}
type Expr = Comparison | Check | { type: 'and' | 'or'; left: Expr; right: Expr };

const MATCH_ALL: CompiledPattern = { source: '', matches: () => true, value: () => undefined };

export function compileFilterPattern(source: string | undefined): CompiledPattern {
  const text = (source ?? '').trim();
  if (text === '' || text === '""') return MATCH_ALL;
  if (text.startsWith('{')) return jsonPattern(source!);
  if (text.startsWith('[')) return delimitedPattern(source!);
  return termPattern(source!);
}

// ---- lexer shared by the three forms -------------------------------------------------------------

interface Token {
  kind: 'word' | 'string' | 'op' | 'punct';
  text: string;
  pos: number;
}

function tokenize(src: string, start: number, end: number): Token[] {
  const out: Token[] = [];
  let i = start;
  while (i < end) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let value = '';
      while (j < end && src[j] !== '"') {
        if (src[j] === '\\' && j + 1 < end) j++;
        value += src[j];
        j++;
      }
      if (j >= end) throw new FilterPatternError('Unterminated quoted string', i);
      out.push({ kind: 'string', text: value, pos: i });
      i = j + 1;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '&&' || two === '||' || two === '!=' || two === '<=' || two === '>=') {
      out.push({ kind: 'op', text: two, pos: i });
      i += 2;
      continue;
    }
    if (c === '=' || c === '<' || c === '>') {
      out.push({ kind: 'op', text: c, pos: i });
      i++;
      continue;
    }
    if ('(),[]{}'.includes(c)) {
      out.push({ kind: 'punct', text: c, pos: i });
      i++;
      continue;
    }
    const selector = c === '$';
    let j = i;
    while (j < end && !' \t\n\r"=<>!&|(),{}'.includes(src[j]!) && (selector || (src[j] !== '[' && src[j] !== ']'))) j++;
    if (j === i) throw new FilterPatternError(`Unexpected character '${c}'`, i);
    out.push({ kind: 'word', text: src.slice(i, j), pos: i });
    i = j;
  }
  return out;
}

class Cursor {
  i = 0;
  constructor(
    readonly tokens: Token[],
    readonly end: number,
  ) {}
  peek(): Token | undefined {
    return this.tokens[this.i];
  }
  next(what: string): Token {
    const t = this.tokens[this.i++];
    if (!t) throw new FilterPatternError(`Expected ${what}`, this.end);
    return t;
  }
}

function literal(t: Token): Literal {
  if (t.kind === 'string') return { kind: 'string', text: t.text };
  if (t.kind !== 'word') throw new FilterPatternError(`Expected a value, found '${t.text}'`, t.pos);
  const num = Number(t.text);
  return t.text !== '' && Number.isFinite(num) ? { kind: 'number', num, text: t.text } : { kind: 'string', text: t.text };
}

function comparison(c: Cursor, selector: Token): Expr {
  const t = c.next('an operator');
  if (t.kind === 'word' && t.text.toUpperCase() === 'IS') {
    const w = c.next('NULL, TRUE or FALSE');
    const what = w.text.toUpperCase();
    if (what !== 'NULL' && what !== 'TRUE' && what !== 'FALSE') throw new FilterPatternError(`Expected NULL, TRUE or FALSE, found '${w.text}'`, w.pos);
    return { type: 'is', selector: selector.text, what };
  }
  if (t.kind === 'word' && t.text.toUpperCase() === 'NOT') {
    const w = c.next('EXISTS');
    if (w.text.toUpperCase() !== 'EXISTS') throw new FilterPatternError(`Expected EXISTS, found '${w.text}'`, w.pos);
    return { type: 'is', selector: selector.text, what: 'NOT EXISTS' };
  }
  if (t.kind !== 'op' || t.text === '&&' || t.text === '||') throw new FilterPatternError(`Expected a comparison operator, found '${t.text}'`, t.pos);
  const v = c.next('a value');
  const value = literal(v);
  const op = t.text as Op;
  if (value.kind === 'string' && op !== '=' && op !== '!=') throw new FilterPatternError(`Operator ${op} needs a numeric value`, v.pos);
  return { type: 'cmp', selector: selector.text, op, value };
}

/** expr := and ('||' and)*; and := primary ('&&' primary)*; primary := '(' expr ')' | comparison. */
function expression(c: Cursor, primary: (c: Cursor) => Expr): Expr {
  const and = (): Expr => {
    let left = primary(c);
    while (c.peek()?.text === '&&') {
      c.i++;
      left = { type: 'and', left, right: primary(c) };
    }
    return left;
  };
  let left = and();
  while (c.peek()?.text === '||') {
    c.i++;
    left = { type: 'or', left, right: and() };
  }
  return left;
}

function wildcardMatch(pattern: string, text: string): boolean {
  if (!pattern.includes('*')) return pattern === text;
  const re = new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$', 's');
  return re.test(text);
}

function compare(actual: unknown, op: Op, value: Literal): boolean {
  if (actual === undefined || (actual !== null && typeof actual === 'object')) return false;
  if (value.kind === 'number') {
    const n = typeof actual === 'number' ? actual : typeof actual === 'string' && actual.trim() !== '' ? Number(actual) : NaN;
    if (!Number.isFinite(n)) return op === '!=' && actual !== null;
    switch (op) {
      case '=':
        return n === value.num;
      case '!=':
        return n !== value.num;
      case '<':
        return n < value.num;
      case '>':
        return n > value.num;
      case '<=':
        return n <= value.num;
      case '>=':
        return n >= value.num;
    }
  }
  const s = actual === null ? 'null' : String(actual);
  const eq = wildcardMatch(value.text, s);
  return op === '=' ? eq : !eq;
}

function evaluate(e: Expr, lookup: (selector: string) => unknown): boolean {
  switch (e.type) {
    case 'and':
      return evaluate(e.left, lookup) && evaluate(e.right, lookup);
    case 'or':
      return evaluate(e.left, lookup) || evaluate(e.right, lookup);
    case 'is': {
      const v = lookup(e.selector);
      if (e.what === 'NOT EXISTS') return v === undefined;
      if (e.what === 'EXISTS') return v !== undefined;
      if (e.what === 'NULL') return v === null;
      return v === (e.what === 'TRUE');
    }
    case 'cmp':
      return compare(lookup(e.selector), e.op, e.value);
  }
}

// ---- JSON patterns -------------------------------------------------------------------------------

const SELECTOR_PART = /\.([A-Za-z0-9_\-@:$]+)|\[(\d+)\]/y;

function parseSelector(t: Token): (string | number)[] {
  if (t.kind !== 'word' || !t.text.startsWith('$')) throw new FilterPatternError(`Expected a selector starting with $, found '${t.text}'`, t.pos);
  const path: (string | number)[] = [];
  let i = 1;
  while (i < t.text.length) {
    SELECTOR_PART.lastIndex = i;
    const m = SELECTOR_PART.exec(t.text);
    if (!m) throw new FilterPatternError(`Invalid selector '${t.text}'`, t.pos + i);
    path.push(m[1] !== undefined ? m[1] : Number(m[2]));
    i = SELECTOR_PART.lastIndex;
  }
  if (path.length === 0) throw new FilterPatternError(`Invalid selector '${t.text}'`, t.pos);
  return path;
}

function resolve(doc: unknown, path: readonly (string | number)[]): unknown {
  let v = doc;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    if (typeof key === 'number') {
      if (!Array.isArray(v)) return undefined;
      v = v[key];
    } else {
      if (Array.isArray(v) || !Object.prototype.hasOwnProperty.call(v, key)) return undefined;
      v = (v as Record<string, unknown>)[key];
    }
  }
  return v;
}

function parseJson(message: string): unknown {
  const m = message.trimStart();
  if (!m.startsWith('{') && !m.startsWith('[')) return undefined;
  try {
    return JSON.parse(m);
  } catch {
    return undefined;
  }
}

function jsonPattern(source: string): CompiledPattern {
  const open = source.indexOf('{');
  const close = source.lastIndexOf('}');
  if (close <= open || source.slice(close + 1).trim() !== '') throw new FilterPatternError("Expected '}' closing the JSON pattern", source.length);
  const c = new Cursor(tokenize(source, open + 1, close), close);
  const paths = new Map<string, (string | number)[]>();
  const primary = (cur: Cursor): Expr => {
    const t = cur.next('a selector');
    if (t.text === '(' && t.kind === 'punct') {
      const inner = expression(cur, primary);
      const closing = cur.next("')'");
      if (closing.text !== ')') throw new FilterPatternError(`Expected ')', found '${closing.text}'`, closing.pos);
      return inner;
    }
    paths.set(t.text, parseSelector(t));
    return comparison(cur, t);
  };
  const expr = expression(c, primary);
  const rest = c.peek();
  if (rest) throw new FilterPatternError(`Unexpected '${rest.text}'`, rest.pos);
  const lookupIn = (doc: unknown) => (selector: string) => resolve(doc, paths.get(selector) ?? parseSelector({ kind: 'word', text: selector, pos: 0 }));
  return {
    source,
    matches(message) {
      const doc = parseJson(message);
      return doc !== undefined && evaluate(expr, lookupIn(doc));
    },
    value(message, selector) {
      const doc = parseJson(message);
      if (doc === undefined || !selector.startsWith('$')) return undefined;
      const v = resolve(doc, parseSelector({ kind: 'word', text: selector, pos: 0 }));
      return v === undefined || (v !== null && typeof v === 'object') ? undefined : String(v);
    },
  };
}

// ---- space-delimited patterns --------------------------------------------------------------------

interface Field {
  name: string;
  ellipsis: boolean;
  condition?: Expr;
}

/** Splits a line into space-separated fields; `"…"` and `[…]` are one field each (without their delimiters). */
export function splitDelimited(message: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = message.length;
  while (i < n) {
    while (i < n && message[i] === ' ') i++;
    if (i >= n) break;
    const c = message[i];
    if (c === '"' || c === '[') {
      const closing = c === '"' ? '"' : ']';
      const j = message.indexOf(closing, i + 1);
      if (j >= 0) {
        out.push(message.slice(i + 1, j));
        i = j + 1;
        continue;
      }
    }
    let j = i;
    while (j < n && message[j] !== ' ') j++;
    out.push(message.slice(i, j));
    i = j;
  }
  return out;
}

function delimitedPattern(source: string): CompiledPattern {
  const open = source.indexOf('[');
  const close = source.lastIndexOf(']');
  if (close <= open || source.slice(close + 1).trim() !== '') throw new FilterPatternError("Expected ']' closing the space-delimited pattern", source.length);
  const c = new Cursor(tokenize(source, open + 1, close), close);
  const fields: Field[] = [];
  let anonymous = 0;
  while (c.peek()) {
    const t = c.next('a field');
    if (t.kind !== 'word' && t.kind !== 'string') throw new FilterPatternError(`Expected a field name, found '${t.text}'`, t.pos);
    if (t.text === '...') {
      if (fields.some((f) => f.ellipsis)) throw new FilterPatternError('Only one ... is supported', t.pos);
      fields.push({ name: '...', ellipsis: true });
    } else {
      const name = t.text || `$${++anonymous}`;
      const field: Field = { name, ellipsis: false };
      if (c.peek()?.kind === 'op') {
        const self: Token = { kind: 'word', text: name, pos: t.pos };
        const primary = (cur: Cursor): Expr => {
          const s = cur.next('a field name');
          if (s.text !== name) throw new FilterPatternError(`A condition on field '${name}' may only name that field`, s.pos);
          return comparison(cur, self);
        };
        const first = comparison(c, self);
        let expr: Expr = first;
        while (c.peek()?.text === '&&' || c.peek()?.text === '||') {
          const op = c.next('&& or ||').text === '&&' ? 'and' : 'or';
          expr = { type: op, left: expr, right: primary(c) };
        }
        field.condition = expr;
      }
      fields.push(field);
    }
    const sep = c.peek();
    if (!sep) break;
    if (sep.text !== ',') throw new FilterPatternError(`Expected ',', found '${sep.text}'`, sep.pos);
    c.i++;
  }
  const ellipsisAt = fields.findIndex((f) => f.ellipsis);
  const head = ellipsisAt < 0 ? fields : fields.slice(0, ellipsisAt);
  const tail = ellipsisAt < 0 ? [] : fields.slice(ellipsisAt + 1);
  const bind = (message: string): Map<string, string> | undefined => {
    const parts = splitDelimited(message);
    if (ellipsisAt < 0 ? parts.length !== fields.length : parts.length < head.length + tail.length) return undefined;
    const values = new Map<string, string>();
    head.forEach((f, i) => values.set(f.name, parts[i]!));
    tail.forEach((f, i) => values.set(f.name, parts[parts.length - tail.length + i]!));
    return values;
  };
  return {
    source,
    matches(message) {
      const values = bind(message);
      if (!values) return false;
      for (const f of fields) if (f.condition && !evaluate(f.condition, () => values.get(f.name))) return false;
      return true;
    },
    value(message, selector) {
      const values = bind(message);
      return values?.get(selector.startsWith('$') ? selector.slice(1) : selector);
    },
  };
}

// ---- term patterns -------------------------------------------------------------------------------

function termPattern(source: string): CompiledPattern {
  const required: string[] = [];
  const optional: string[] = [];
  const excluded: string[] = [];
  let i = 0;
  while (i < source.length) {
    while (i < source.length && /\s/.test(source[i]!)) i++;
    if (i >= source.length) break;
    let bucket = required;
    if (source[i] === '?') {
      bucket = optional;
      i++;
    } else if (source[i] === '-' && source[i + 1] !== undefined && !/\s/.test(source[i + 1]!)) {
      bucket = excluded;
      i++;
    }
    if (source[i] === '"') {
      const start = i;
      let j = i + 1;
      let value = '';
      while (j < source.length && source[j] !== '"') {
        if (source[j] === '\\' && j + 1 < source.length) j++;
        value += source[j];
        j++;
      }
      if (j >= source.length) throw new FilterPatternError('Unterminated quoted string', start);
      bucket.push(value);
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < source.length && !/\s/.test(source[j]!)) j++;
    const term = source.slice(i, j);
    if (/["{}[\]]/.test(term)) throw new FilterPatternError(`Unexpected character in term '${term}'`, i);
    if (term.startsWith('%')) throw new FilterPatternError('Regular expressions are not supported', i);
    bucket.push(term);
    i = j;
  }
  return {
    source,
    required,
    matches(message) {
      for (const t of required) if (!message.includes(t)) return false;
      for (const t of excluded) if (message.includes(t)) return false;
      return optional.length === 0 || optional.some((t) => message.includes(t));
    },
    value: () => undefined,
  };
}
