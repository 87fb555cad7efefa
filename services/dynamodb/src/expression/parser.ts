// Recursive-descent parser for condition, filter, key condition, update and projection
// expressions. Precedence: NOT binds tighter than AND, which binds tighter than OR.
import type { Comparator, Condition, Operand, RawPathElement, UpdateAction } from './ast.js';
import { ExpressionSyntaxError, nearText, tokenize, type Token } from './tokenizer.js';

const COMPARATORS = new Set(['=', '<>', '<', '<=', '>', '>=']);

/** How deep parentheses may nest in an expression. */
const MAX_NESTING = 100;

class Parser {
  readonly tokens: Token[];
  pos = 0;
  readonly sections: string[] = [];
  /** Arithmetic (`a + b`) is only part of update expressions. */
  arith = false;
  /** Nodes that were written inside parentheses, to detect `((…))`. */
  readonly #parenthesized = new WeakSet<object>();
  /** Set when a node is wrapped in two pairs of parentheses (DynamoDB rejects that). */
  redundantParentheses = false;

  #wrap<T extends object>(node: T): T {
    if (this.#parenthesized.has(node)) this.redundantParentheses = true;
    this.#parenthesized.add(node);
    return node;
  }

  constructor(readonly source: string) {
    this.tokens = tokenize(source);
    // Parentheses nested past MAX_NESTING are refused up front: the descent would exhaust the stack
    // (a 500 found by test/fuzz). Expressions of up to 4 KB could otherwise nest two thousand deep.
    // Each NOT nests one level too, and never closes.
    let depth = 0;
    let nots = 0;
    for (let i = 0; i < this.tokens.length; i++) {
      const t = this.tokens[i]!;
      if (t.kind === 'ident' && t.text.toUpperCase() === 'NOT' && ++nots + depth > MAX_NESTING) this.fail(i);
      if (t.kind !== 'punct') continue;
      if (t.text === '(' && ++depth + nots > MAX_NESTING) this.fail(i);
      else if (t.text === ')') depth--;
    }
  }

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)]!;
  }

  next(): Token {
    const t = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }

  fail(index = this.pos): never {
    const tok = this.tokens[Math.min(index, this.tokens.length - 1)]!;
    throw new ExpressionSyntaxError(tok.text, nearText(this.source, this.tokens, Math.min(index, this.tokens.length - 1)));
  }

  isKeyword(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'ident' && t.text.toUpperCase() === word;
  }

  expectPunct(text: string): Token {
    const t = this.peek();
    if (t.kind !== 'punct' || t.text !== text) this.fail();
    return this.next();
  }

  isPunct(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'punct' && t.text === text;
  }

  expectEnd(): void {
    if (this.peek().kind !== 'eof') this.fail();
  }

  // ---- operands ----
  path(): Operand & { k: 'path' } {
    const raw: RawPathElement[] = [];
    raw.push(this.pathName());
    for (;;) {
      if (this.isPunct('.')) {
        this.next();
        raw.push(this.pathName());
      } else if (this.isPunct('[')) {
        this.next();
        const t = this.peek();
        if (t.kind !== 'number') this.fail();
        this.next();
        raw.push({ index: Number(t.text) });
        this.expectPunct(']');
      } else break;
    }
    return { k: 'path', raw, path: [] };
  }

  pathName(): RawPathElement {
    const t = this.peek();
    if (t.kind === 'ident' && !isConditionKeyword(t.text)) {
      this.next();
      return { ident: t.text };
    }
    if (t.kind === 'name') {
      this.next();
      return { placeholder: t.text };
    }
    this.fail();
  }

  operand(allowArith = false): Operand {
    let left = this.simpleOperand();
    if (allowArith && this.arith && (this.isPunct('+') || this.isPunct('-'))) {
      const op = this.next().text as '+' | '-';
      const right = this.simpleOperand();
      left = { k: 'arith', op, a: left, b: right };
    }
    return left;
  }

  simpleOperand(): Operand {
    const t = this.peek();
    if (t.kind === 'punct' && t.text === '(') {
      this.next();
      const inner = this.operand(true);
      this.expectPunct(')');
      return this.#wrap(inner);
    }
    if (t.kind === 'value') {
      this.next();
      return { k: 'value', name: t.text };
    }
    if (t.kind === 'ident' && this.isPunct('(', 1)) return this.func();
    return this.path();
  }

  func(): Operand & { k: 'fn' } {
    const name = this.next().text;
    this.expectPunct('(');
    const args: Operand[] = [this.operand(true)];
    while (this.isPunct(',')) {
      this.next();
      args.push(this.operand(true));
    }
    this.expectPunct(')');
    return { k: 'fn', name, args };
  }

  // ---- conditions ----
  or(): Condition {
    let left = this.and();
    while (this.isKeyword('OR')) {
      this.next();
      left = { k: 'or', a: left, b: this.and() };
    }
    return left;
  }

  and(): Condition {
    let left = this.not();
    while (this.isKeyword('AND')) {
      this.next();
      left = { k: 'and', a: left, b: this.not() };
    }
    return left;
  }

  not(): Condition {
    if (this.isKeyword('NOT')) {
      this.next();
      return { k: 'not', a: this.not() };
    }
    return this.primary();
  }

  primary(): Condition {
    if (this.isPunct('(')) {
      const save = this.pos;
      try {
        this.next();
        const inner = this.or();
        this.expectPunct(')');
        if (!this.startsComparison()) return this.#wrap(inner);
      } catch (error) {
        if (!(error instanceof ExpressionSyntaxError)) throw error;
      }
      this.pos = save;
    }
    return this.comparison();
  }

  startsComparison(): boolean {
    const t = this.peek();
    return (t.kind === 'punct' && COMPARATORS.has(t.text)) || this.isKeyword('BETWEEN') || this.isKeyword('IN');
  }

  comparison(): Condition {
    const a = this.operand(false);
    const t = this.peek();
    if (t.kind === 'punct' && COMPARATORS.has(t.text)) {
      this.next();
      return { k: 'cmp', op: t.text as Comparator, a, b: this.operand(false) };
    }
    if (this.isKeyword('BETWEEN')) {
      this.next();
      const lo = this.operand(false);
      if (!this.isKeyword('AND')) this.fail();
      this.next();
      return { k: 'between', a, lo, hi: this.operand(false) };
    }
    if (this.isKeyword('IN')) {
      this.next();
      this.expectPunct('(');
      const list = [this.operand(false)];
      while (this.isPunct(',')) {
        this.next();
        list.push(this.operand(false));
      }
      this.expectPunct(')');
      return { k: 'in', a, list };
    }
    if (a.k === 'fn') return { k: 'fn', fn: a };
    this.fail();
  }

  // ---- update ----
  update(): UpdateAction[] {
    const actions: UpdateAction[] = [];
    if (this.peek().kind === 'eof') this.fail();
    while (this.peek().kind !== 'eof') {
      const t = this.peek();
      const word = t.kind === 'ident' ? t.text.toUpperCase() : '';
      if (word !== 'SET' && word !== 'REMOVE' && word !== 'ADD' && word !== 'DELETE') this.fail();
      this.next();
      for (let first = true; first || this.isPunct(','); first = false) {
        if (!first) this.next();
        const path = this.path();
        if (word === 'SET') {
          this.expectPunct('=');
          actions.push({ k: 'SET', path, value: this.operand(true) });
        } else if (word === 'REMOVE') {
          actions.push({ k: 'REMOVE', path });
        } else {
          const v = this.peek();
          if (v.kind !== 'value') this.fail();
          this.next();
          actions.push({ k: word as 'ADD' | 'DELETE', path, value: { k: 'value', name: v.text } });
        }
      }
      this.sections.push(word);
    }
    return actions;
  }
}

function isConditionKeyword(word: string): boolean {
  const w = word.toUpperCase();
  return w === 'AND' || w === 'OR' || w === 'NOT' || w === 'BETWEEN' || w === 'IN';
}

export function parseCondition(source: string): { condition: Condition; redundantParentheses: boolean } {
  const p = new Parser(source);
  const condition = p.or();
  p.expectEnd();
  return { condition, redundantParentheses: p.redundantParentheses };
}

/** Parses an update expression; also returns the section keywords in order (for duplicate checks). */
export function parseUpdate(source: string): { actions: UpdateAction[]; sections: string[] } {
  const p = new Parser(source);
  p.arith = true;
  const actions = p.update();
  return { actions, sections: p.sections };
}

export function parseProjection(source: string): (Operand & { k: 'path' })[] {
  const p = new Parser(source);
  const paths = [p.path()];
  while (p.isPunct(',')) {
    p.next();
    paths.push(p.path());
  }
  p.expectEnd();
  return paths;
}
