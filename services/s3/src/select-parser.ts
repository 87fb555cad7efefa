// The tokenizer and recursive-descent parser of S3 Select's SQL subset (see select-sql.ts, which
// compiles the syntax tree into closures). Parse errors are S3's ParseUnexpectedToken (400).
import { serviceError, type ServiceError } from '@atoll/core';
import type { Value } from './select-sql.js';

/** An error of S3 Select (400) with its code. */
export const selectError = (code: string, message: string): ServiceError => serviceError(code, 400, message);

// --- tokens ---

export type Token =
  | { kind: 'num'; value: number; text: string; col: number }
  | { kind: 'str'; value: string; text: string; col: number }
  | { kind: 'id'; value: string; quoted: boolean; text: string; col: number }
  | { kind: 'op'; value: string; text: string; col: number }
  | { kind: 'end'; value: ''; text: '<EOF>'; col: number };

const OPERATORS = ['<=', '>=', '<>', '!=', '||', '=', '<', '>', '+', '-', '*', '/', '%', '(', ')', ',', '.', '[', ']'];

export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const col = i + 1;
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const m = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(sql.slice(i))!;
      out.push({ kind: 'num', value: Number(m[0]), text: m[0], col });
      i += m[0].length;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= sql.length) throw selectError('ParseExpectedTokenType', `Unterminated literal at line 1, column ${col}.`);
        if (sql[j] === c) {
          if (sql[j + 1] === c) {
            text += c;
            j += 2;
            continue;
          }
          break;
        }
        text += sql[j];
        j++;
      }
      const raw = sql.slice(i, j + 1);
      if (c === "'") out.push({ kind: 'str', value: text, text: raw, col });
      else out.push({ kind: 'id', value: text, quoted: true, text: raw, col });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i))!;
      out.push({ kind: 'id', value: m[0], quoted: false, text: m[0], col });
      i += m[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => sql.startsWith(o, i));
    if (!op) throw selectError('ParseInvalidTypeParam', `Unexpected character ${c} at line 1, column ${col}.`);
    out.push({ kind: 'op', value: op, text: op, col });
    i += op.length;
  }
  out.push({ kind: 'end', value: '', text: '<EOF>', col: sql.length + 1 });
  return out;
}

// --- syntax tree ---

export type Node =
  | { t: 'lit'; value: Value }
  | { t: 'col'; path: (string | number)[]; quoted: boolean[] }
  | { t: 'star' }
  | { t: 'un'; op: 'NOT' | '-'; arg: Node }
  | { t: 'bin'; op: string; left: Node; right: Node }
  | { t: 'like'; not: boolean; arg: Node; pattern: Node; escape?: Node }
  | { t: 'isnull'; not: boolean; arg: Node }
  | { t: 'between'; not: boolean; arg: Node; low: Node; high: Node }
  | { t: 'in'; not: boolean; arg: Node; list: Node[] }
  | { t: 'cast'; arg: Node; type: string }
  | { t: 'call'; name: string; args: Node[] };

export const AGGREGATES = new Set(['COUNT', 'SUM', 'AVG', 'MIN', 'MAX']);
export const FUNCTIONS = new Set(['LOWER', 'UPPER', 'CHAR_LENGTH', 'CHARACTER_LENGTH', 'TRIM', 'SUBSTRING', 'COALESCE', 'NULLIF']);
export const CAST_TYPES = new Set(['INT', 'INTEGER', 'BIGINT', 'FLOAT', 'REAL', 'DOUBLE', 'DECIMAL', 'NUMERIC', 'STRING', 'VARCHAR', 'CHAR', 'BOOL', 'BOOLEAN', 'TIMESTAMP']);
export const RESERVED = new Set(['SELECT', 'FROM', 'WHERE', 'LIMIT', 'AND', 'OR', 'NOT', 'AS', 'LIKE', 'ESCAPE', 'IS', 'NULL', 'BETWEEN', 'IN']);

export class Parser {
  #pos = 0;
  constructor(private readonly tokens: Token[]) {}

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.#pos + offset, this.tokens.length - 1)]!;
  }
  next(): Token {
    const t = this.peek();
    this.#pos++;
    return t;
  }
  isKeyword(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'id' && !t.quoted && t.value.toUpperCase() === word;
  }
  isOp(op: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.value === op;
  }
  unexpected(t = this.peek()): ServiceError {
    const kind = t.kind === 'end' ? 'EOF' : t.kind === 'id' ? (RESERVED.has(t.value.toUpperCase()) ? 'KEYWORD' : 'IDENTIFIER') : t.kind === 'num' ? 'LITERAL' : t.kind === 'str' ? 'LITERAL' : 'OPERATOR';
    return selectError('ParseUnexpectedToken', `Unexpected token found ${kind}:${t.text} at line 1, column ${t.col}.`);
  }
  keyword(word: string): void {
    if (!this.isKeyword(word)) throw this.unexpected();
    this.#pos++;
  }
  op(op: string): void {
    if (!this.isOp(op)) throw this.unexpected();
    this.#pos++;
  }

  expression(): Node {
    return this.or();
  }
  or(): Node {
    let left = this.and();
    while (this.isKeyword('OR')) {
      this.next();
      left = { t: 'bin', op: 'OR', left, right: this.and() };
    }
    return left;
  }
  and(): Node {
    let left = this.not();
    while (this.isKeyword('AND')) {
      this.next();
      left = { t: 'bin', op: 'AND', left, right: this.not() };
    }
    return left;
  }
  not(): Node {
    if (this.isKeyword('NOT')) {
      this.next();
      return { t: 'un', op: 'NOT', arg: this.not() };
    }
    return this.comparison();
  }
  comparison(): Node {
    const left = this.additive();
    const t = this.peek();
    if (t.kind === 'op' && ['=', '!=', '<>', '<', '<=', '>', '>='].includes(t.value)) {
      this.next();
      return { t: 'bin', op: t.value === '<>' ? '!=' : t.value, left, right: this.additive() };
    }
    if (this.isKeyword('IS')) {
      this.next();
      const not = this.isKeyword('NOT');
      if (not) this.next();
      if (this.isKeyword('NULL') || this.isKeyword('MISSING')) this.next();
      else throw this.unexpected();
      return { t: 'isnull', not, arg: left };
    }
    const not = this.isKeyword('NOT') && (this.isKeyword('LIKE', 1) || this.isKeyword('BETWEEN', 1) || this.isKeyword('IN', 1));
    if (not) this.next();
    if (this.isKeyword('LIKE')) {
      this.next();
      const pattern = this.additive();
      let escape: Node | undefined;
      if (this.isKeyword('ESCAPE')) {
        this.next();
        escape = this.additive();
      }
      return { t: 'like', not, arg: left, pattern, escape };
    }
    if (this.isKeyword('BETWEEN')) {
      this.next();
      const low = this.additive();
      this.keyword('AND');
      return { t: 'between', not, arg: left, low, high: this.additive() };
    }
    if (this.isKeyword('IN')) {
      this.next();
      this.op('(');
      const list = [this.expression()];
      while (this.isOp(',')) {
        this.next();
        list.push(this.expression());
      }
      this.op(')');
      return { t: 'in', not, arg: left, list };
    }
    if (not) throw this.unexpected();
    return left;
  }
  additive(): Node {
    let left = this.multiplicative();
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op' || !['+', '-', '||'].includes(t.value)) return left;
      this.next();
      left = { t: 'bin', op: t.value, left, right: this.multiplicative() };
    }
  }
  multiplicative(): Node {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op' || !['*', '/', '%'].includes(t.value)) return left;
      this.next();
      left = { t: 'bin', op: t.value, left, right: this.unary() };
    }
  }
  unary(): Node {
    if (this.isOp('-')) {
      this.next();
      return { t: 'un', op: '-', arg: this.unary() };
    }
    if (this.isOp('+')) this.next();
    return this.primary();
  }
  primary(): Node {
    const t = this.peek();
    if (t.kind === 'num') {
      this.next();
      return { t: 'lit', value: t.value };
    }
    if (t.kind === 'str') {
      this.next();
      return { t: 'lit', value: t.value };
    }
    if (t.kind === 'op' && t.value === '(') {
      this.next();
      const inner = this.expression();
      this.op(')');
      return inner;
    }
    if (t.kind !== 'id') throw this.unexpected();
    const upper = t.value.toUpperCase();
    if (!t.quoted) {
      if (upper === 'TRUE' || upper === 'FALSE') {
        this.next();
        return { t: 'lit', value: upper === 'TRUE' };
      }
      if (upper === 'NULL' || upper === 'MISSING') {
        this.next();
        return { t: 'lit', value: null };
      }
      if (upper === 'CAST' && this.peek(1).kind === 'op' && this.peek(1).value === '(') {
        this.next();
        this.next();
        const arg = this.expression();
        this.keyword('AS');
        const type = this.next();
        if (type.kind !== 'id' || !CAST_TYPES.has(type.value.toUpperCase())) throw this.unexpected(type);
        this.op(')');
        return { t: 'cast', arg, type: type.value.toUpperCase() };
      }
      if (this.peek(1).kind === 'op' && this.peek(1).value === '(') {
        if (!AGGREGATES.has(upper) && !FUNCTIONS.has(upper)) {
          throw selectError('UnsupportedFunction', `Function ${t.value} is not supported.`);
        }
        this.next();
        this.next();
        const args: Node[] = [];
        if (upper === 'COUNT' && this.isOp('*')) {
          this.next();
          args.push({ t: 'star' });
        } else if (!this.isOp(')')) {
          args.push(this.expression());
          while (this.isOp(',') || (upper === 'SUBSTRING' && (this.isKeyword('FROM') || this.isKeyword('FOR')))) {
            this.next();
            args.push(this.expression());
          }
        }
        this.op(')');
        return { t: 'call', name: upper, args };
      }
      if (RESERVED.has(upper)) throw this.unexpected();
    }
    // A column path: name(.name | [n])*
    this.next();
    const path: (string | number)[] = [t.value];
    const quoted = [t.quoted];
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const part = this.next();
        if (part.kind !== 'id') throw this.unexpected(part);
        path.push(part.value);
        quoted.push(part.quoted);
      } else if (this.isOp('[')) {
        this.next();
        const index = this.next();
        if (index.kind === 'num' && Number.isInteger(index.value)) path.push(index.value);
        else if (index.kind === 'str') path.push(index.value);
        else throw this.unexpected(index);
        quoted.push(true);
        this.op(']');
      } else break;
    }
    return { t: 'col', path, quoted };
  }
}
