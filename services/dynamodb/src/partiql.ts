// A PartiQL subset for DynamoDB: SELECT, INSERT, UPDATE and DELETE statements parsed into the same
// condition and update trees the expression language uses. Parameters (`?`) bind in order.
import { validateValue, ValidationError, type AttributeValue } from './attribute-value.js';
import type { Comparator, Condition, Operand, PathElement, UpdateAction } from './expression/ast.js';
import { normalizeNumber } from './number.js';

type Tok = { t: 'id' | 'qid' | 'str' | 'num' | 'p' | 'eof'; v: string };

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= src.length) throw new ValidationError(`Statement wasn't well formed, can't be processed: Unexpected end of statement`);
        if (src[j] === c) {
          if (src[j + 1] === c) {
            text += c;
            j += 2;
            continue;
          }
          break;
        }
        text += src[j++];
      }
      out.push({ t: c === '"' ? 'qid' : 'str', v: text });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < src.length && /[A-Za-z0-9_]/.test(src[j]!)) j++;
      out.push({ t: 'id', v: src.slice(i, j) });
      i = j;
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9.]/.test(src[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < src.length && /[0-9.eE+-]/.test(src[j]!) && !(/[+-]/.test(src[j]!) && !/[eE]/.test(src[j - 1]!))) j++;
      out.push({ t: 'num', v: src.slice(i, j) });
      i = j;
    } else {
      const two = src.slice(i, i + 2);
      if (['<=', '>=', '<>', '!=', '<<', '>>'].includes(two)) {
        out.push({ t: 'p', v: two });
        i += 2;
      } else {
        out.push({ t: 'p', v: c });
        i++;
      }
    }
  }
  out.push({ t: 'eof', v: '' });
  return out;
}

export type Statement =
  | { kind: 'SELECT'; table: string; index?: string; projection?: PathElement[][]; where?: Condition }
  | { kind: 'INSERT'; table: string; item: Record<string, AttributeValue> }
  | { kind: 'UPDATE'; table: string; actions: UpdateAction[]; where?: Condition }
  | { kind: 'DELETE'; table: string; where?: Condition };

class P {
  i = 0;
  param = 0;
  constructor(readonly toks: Tok[], readonly params: AttributeValue[]) {}
  peek(): Tok {
    return this.toks[this.i]!;
  }
  next(): Tok {
    return this.toks[this.i++]!;
  }
  kw(word: string): boolean {
    const t = this.peek();
    if (t.t === 'id' && t.v.toUpperCase() === word) {
      this.i++;
      return true;
    }
    return false;
  }
  expectKw(word: string): void {
    if (!this.kw(word)) this.fail();
  }
  punct(v: string): boolean {
    const t = this.peek();
    if (t.t === 'p' && t.v === v) {
      this.i++;
      return true;
    }
    return false;
  }
  expect(v: string): void {
    if (!this.punct(v)) this.fail();
  }
  fail(): never {
    const t = this.peek();
    if (t.t === 'eof') throw new ValidationError(`Statement wasn't well formed, can't be processed: Unexpected end of statement`);
    throw new ValidationError(`Statement wasn't well formed, can't be processed: Unexpected token received: ${t.v}`);
  }
  name(): string {
    const t = this.next();
    if (t.t === 'id' || t.t === 'qid') return t.v;
    this.i--;
    this.fail();
  }
  path(): Operand & { k: 'path' } {
    const path: PathElement[] = [this.name()];
    for (;;) {
      if (this.punct('.')) path.push(this.name());
      else if (this.punct('[')) {
        const t = this.next();
        if (t.t === 'num') path.push(Number(t.v));
        else if (t.t === 'str') path.push(t.v);
        else this.fail();
        this.expect(']');
      } else break;
    }
    return { k: 'path', raw: [], path };
  }
  literal(): AttributeValue {
    const t = this.next();
    if (t.t === 'str') return { S: t.v };
    if (t.t === 'num') return { N: normalizeNumber(t.v) };
    if (t.t === 'p' && t.v === '?') {
      const v = this.params[this.param++];
      if (v === undefined) throw new ValidationError('Number of parameters in request and statement don\'t match.');
      return validateValue(v);
    }
    if (t.t === 'id') {
      const w = t.v.toUpperCase();
      if (w === 'TRUE') return { BOOL: true };
      if (w === 'FALSE') return { BOOL: false };
      if (w === 'NULL') return { NULL: true };
    }
    if (t.t === 'p' && t.v === '{') {
      const m: Record<string, AttributeValue> = {};
      if (!this.punct('}')) {
        do {
          const k = this.next();
          if (k.t !== 'str' && k.t !== 'qid') this.fail();
          this.expect(':');
          m[k.v] = this.literal();
        } while (this.punct(','));
        this.expect('}');
      }
      return { M: m };
    }
    if (t.t === 'p' && t.v === '[') {
      const l: AttributeValue[] = [];
      if (!this.punct(']')) {
        do l.push(this.literal());
        while (this.punct(','));
        this.expect(']');
      }
      return { L: l };
    }
    if (t.t === 'p' && t.v === '<<') {
      const l: AttributeValue[] = [];
      do l.push(this.literal());
      while (this.punct(','));
      this.expect('>>');
      if (l.every((x) => 'S' in x)) return validateValue({ SS: l.map((x) => (x as { S: string }).S) });
      if (l.every((x) => 'N' in x)) return validateValue({ NS: l.map((x) => (x as { N: string }).N) });
      if (l.every((x) => 'B' in x)) return validateValue({ BS: l.map((x) => (x as { B: Buffer }).B) });
      throw new ValidationError('Set elements must all be of the same scalar type');
    }
    this.i--;
    this.fail();
  }
  operand(): Operand {
    const t = this.peek();
    if (t.t === 'id' && !['TRUE', 'FALSE', 'NULL'].includes(t.v.toUpperCase())) return this.path();
    if (t.t === 'qid') return this.path();
    return { k: 'value', name: '', value: this.literal() };
  }
  or(): Condition {
    let c = this.and();
    while (this.kw('OR')) c = { k: 'or', a: c, b: this.and() };
    return c;
  }
  and(): Condition {
    let c = this.not();
    while (this.kw('AND')) c = { k: 'and', a: c, b: this.not() };
    return c;
  }
  not(): Condition {
    if (this.kw('NOT')) return { k: 'not', a: this.not() };
    if (this.punct('(')) {
      const c = this.or();
      this.expect(')');
      return c;
    }
    const t = this.peek();
    if (t.t === 'id' && this.toks[this.i + 1]?.v === '(') {
      const name = this.next().v.toLowerCase();
      this.expect('(');
      const args: Operand[] = [this.operand()];
      while (this.punct(',')) args.push(this.operand());
      this.expect(')');
      return { k: 'fn', fn: { k: 'fn', name, args } };
    }
    const a = this.operand();
    if (this.kw('IS')) {
      const negate = this.kw('NOT');
      let cond: Condition;
      if (this.kw('MISSING')) cond = { k: 'fn', fn: { k: 'fn', name: 'attribute_not_exists', args: [a] } };
      else {
        this.expectKw('NULL');
        cond = { k: 'fn', fn: { k: 'fn', name: 'attribute_type', args: [a, { k: 'value', name: '', value: { S: 'NULL' } }] } };
      }
      return negate ? { k: 'not', a: cond } : cond;
    }
    if (this.kw('BETWEEN')) {
      const lo = this.operand();
      this.expectKw('AND');
      return { k: 'between', a, lo, hi: this.operand() };
    }
    if (this.kw('IN')) {
      const open = this.punct('[') ? ']' : (this.expect('('), ')');
      const list: Operand[] = [this.operand()];
      while (this.punct(',')) list.push(this.operand());
      this.expect(open);
      return { k: 'in', a, list };
    }
    const op = this.next();
    if (op.t !== 'p' || !['=', '<>', '!=', '<', '<=', '>', '>='].includes(op.v)) {
      this.i--;
      this.fail();
    }
    return { k: 'cmp', op: (op.v === '!=' ? '<>' : op.v) as Comparator, a, b: this.operand() };
  }
  end(): void {
    this.punct(';');
    if (this.peek().t !== 'eof') this.fail();
  }
}

/** How deep brackets (`(`, `[`, `{`, `<<`) may nest in a statement. */
const MAX_NESTING = 100;

export function parseStatement(text: string, params: AttributeValue[] = []): Statement {
  const toks = lex(text);
  // Nesting past MAX_NESTING is refused up front: the descent would exhaust the stack (a 500
  // found by test/fuzz).
  let depth = 0;
  for (const t of toks) {
    // NOT nests one level and never closes.
    if (t.t === 'id' && t.v.toUpperCase() === 'NOT' && ++depth > MAX_NESTING) throw new ValidationError(`Statement wasn't well formed, can't be processed: Unexpected token received: ${t.v}`);
    if (t.t !== 'p') continue;
    if (t.v === '(' || t.v === '[' || t.v === '{' || t.v === '<<') {
      if (++depth > MAX_NESTING) throw new ValidationError(`Statement wasn't well formed, can't be processed: Unexpected token received: ${t.v}`);
    } else if (t.v === ')' || t.v === ']' || t.v === '}' || t.v === '>>') depth--;
  }
  const p = new P(toks, params);
  let st: Statement | undefined;
  if (p.kw('SELECT')) {
    let projection: PathElement[][] | undefined;
    if (!p.punct('*')) {
      projection = [p.path().path];
      while (p.punct(',')) projection.push(p.path().path);
    }
    p.expectKw('FROM');
    const table = p.name();
    let index: string | undefined;
    if (p.punct('.')) index = p.name();
    const where = p.kw('WHERE') ? p.or() : undefined;
    st = { kind: 'SELECT', table, ...(index ? { index } : {}), ...(projection ? { projection } : {}), ...(where ? { where } : {}) };
  } else if (p.kw('INSERT')) {
    p.expectKw('INTO');
    const table = p.name();
    p.expectKw('VALUE');
    const v = p.literal();
    if (!('M' in v)) throw new ValidationError('Unsupported operation: Inserting a non-tuple value is not supported');
    st = { kind: 'INSERT', table, item: v.M };
  } else if (p.kw('UPDATE')) {
    const table = p.name();
    const actions: UpdateAction[] = [];
    for (;;) {
      if (p.kw('SET')) {
        do {
          const path = p.path();
          p.expect('=');
          let value = p.operand();
          if (p.punct('+')) value = { k: 'arith', op: '+', a: value, b: p.operand() };
          else if (p.punct('-')) value = { k: 'arith', op: '-', a: value, b: p.operand() };
          actions.push({ k: 'SET', path, value });
        } while (p.punct(','));
      } else if (p.kw('REMOVE')) {
        do actions.push({ k: 'REMOVE', path: p.path() });
        while (p.punct(','));
      } else break;
    }
    if (actions.length === 0) p.fail();
    const where = p.kw('WHERE') ? p.or() : undefined;
    st = { kind: 'UPDATE', table, actions, ...(where ? { where } : {}) };
  } else if (p.kw('DELETE')) {
    p.expectKw('FROM');
    const table = p.name();
    const where = p.kw('WHERE') ? p.or() : undefined;
    st = { kind: 'DELETE', table, ...(where ? { where } : {}) };
  }
  if (!st) p.fail();
  p.end();
  if (p.param !== params.length) throw new ValidationError("Number of parameters in request and statement don't match.");
  return st!;
}

/** The equality conditions on top-level attributes joined by AND at the root of a WHERE clause. */
export function equalities(where: Condition | undefined): Map<string, AttributeValue> {
  const out = new Map<string, AttributeValue>();
  const walk = (c: Condition) => {
    if (c.k === 'and') {
      walk(c.a);
      walk(c.b);
    } else if (c.k === 'cmp' && c.op === '=' && c.a.k === 'path' && c.a.path.length === 1 && c.b.k === 'value' && c.b.value) {
      out.set(c.a.path[0] as string, c.b.value);
    }
  };
  if (where) walk(where);
  return out;
}
