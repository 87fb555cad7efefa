// X-Ray filter expressions (GetTraceSummaries, groups, GetServiceGraph by group), compiled to a
// predicate over a trace's indexed facts (trace-model.ts). Supported: boolean keywords (ok, error,
// fault, throttle, partial), numbers (responsetime, duration, http.status), strings (http.url,
// http.method, http.useragent, http.clientip, user), annotation.<key>, service(…) and edge(…, …)
// with an optional `{ … }` over that node or edge, AND/OR/NOT (&&, ||, !) and parentheses.
import type { EdgeStats, NodeStats, TraceFacts } from './trace-model.js';

export class FilterExpressionError extends Error {}

type Value = string | number | boolean;
type Op = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'CONTAINS' | 'BEGINSWITH' | 'ENDSWITH';
type Scope = { kind: 'trace'; facts: TraceFacts } | { kind: 'stats'; stats: NodeStats | EdgeStats };
type Pred = (s: Scope) => boolean;

interface Token {
  t: 'id' | 'str' | 'num' | 'op' | 'punct';
  v: string;
}

const KEYWORD_OPS = new Set(['CONTAINS', 'BEGINSWITH', 'ENDSWITH']);

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        s += src[j];
        j++;
      }
      if (j >= src.length) throw new FilterExpressionError('unterminated string');
      out.push({ t: 'str', v: s });
      i = j + 1;
    } else if (/[-\d]/.test(c) && /^-?\d/.test(src.slice(i, i + 2))) {
      const m = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(src.slice(i))!;
      out.push({ t: 'num', v: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][\w.:-]*/.exec(src.slice(i))!;
      const up = m[0].toUpperCase();
      out.push(KEYWORD_OPS.has(up) ? { t: 'op', v: up } : { t: 'id', v: m[0] });
      i += m[0].length;
    } else {
      const two = src.slice(i, i + 2);
      if (['!=', '<=', '>=', '&&', '||'].includes(two)) {
        out.push({ t: two === '&&' || two === '||' ? 'punct' : 'op', v: two });
        i += 2;
      } else if ('=<>'.includes(c)) {
        out.push({ t: 'op', v: c });
        i++;
      } else if ('(){},!'.includes(c)) {
        out.push({ t: 'punct', v: c });
        i++;
      } else throw new FilterExpressionError(`unexpected character ${c}`);
    }
  }
  return out;
}

function compare(a: Value | undefined, op: Op, b: Value): boolean {
  if (a === undefined) return op === '!=';
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case 'CONTAINS':
      return String(a).includes(String(b));
    case 'BEGINSWITH':
      return String(a).startsWith(String(b));
    case 'ENDSWITH':
      return String(a).endsWith(String(b));
  }
}

class Parser {
  #i = 0;
  constructor(readonly tokens: Token[]) {}

  peek(): Token | undefined {
    return this.tokens[this.#i];
  }
  next(): Token {
    const t = this.tokens[this.#i++];
    if (!t) throw new FilterExpressionError('unexpected end of expression');
    return t;
  }
  isWord(v: string): boolean {
    const t = this.peek();
    return t !== undefined && (t.t === 'id' || t.t === 'punct') && t.v.toUpperCase() === v;
  }
  expect(v: string): void {
    const t = this.next();
    if (t.v !== v) throw new FilterExpressionError(`expected ${v}, found ${t.v}`);
  }
  done(): boolean {
    return this.#i >= this.tokens.length;
  }

  expr(): Pred {
    let left = this.and();
    while (this.isWord('OR') || this.isWord('||')) {
      this.next();
      const l = left;
      const r = this.and();
      left = (s) => l(s) || r(s);
    }
    return left;
  }

  and(): Pred {
    let left = this.unary();
    while (this.isWord('AND') || this.isWord('&&')) {
      this.next();
      const l = left;
      const r = this.unary();
      left = (s) => l(s) && r(s);
    }
    return left;
  }

  unary(): Pred {
    if (this.isWord('!') || this.isWord('NOT')) {
      this.next();
      const inner = this.unary();
      return (s) => !inner(s);
    }
    const t = this.peek();
    if (t?.t === 'punct' && t.v === '(') {
      this.next();
      const inner = this.expr();
      this.expect(')');
      return inner;
    }
    return this.primary();
  }

  value(): Value {
    const t = this.next();
    if (t.t === 'str') return t.v;
    if (t.t === 'num') return Number(t.v);
    if (t.t === 'id' && (t.v === 'true' || t.v === 'false')) return t.v === 'true';
    throw new FilterExpressionError(`expected a value, found ${t.v}`);
  }

  comparison(): { op: Op; value: Value } | undefined {
    const t = this.peek();
    if (t?.t !== 'op') return undefined;
    this.next();
    return { op: t.v as Op, value: this.value() };
  }

  /** `"name"` or `id(name: "n", type: "t")`. */
  nodeRef(): { name?: string; type?: string } {
    const t = this.next();
    if (t.t === 'str') return { name: t.v };
    if (t.t === 'id' && t.v === 'id') {
      this.expect('(');
      const ref: { name?: string; type?: string } = {};
      while (!(this.peek()?.t === 'punct' && this.peek()?.v === ')')) {
        const key = this.next().v.replace(/:$/, '');
        const v = this.next();
        if (v.t !== 'str') throw new FilterExpressionError('expected a string in id()');
        if (key === 'name') ref.name = v.v;
        else if (key === 'type') ref.type = v.v;
        else if (key !== 'account.id') throw new FilterExpressionError(`unknown id() field ${key}`);
        if (this.peek()?.v === ',') this.next();
      }
      this.expect(')');
      return ref;
    }
    throw new FilterExpressionError(`expected a service name, found ${t.v}`);
  }

  block(): Pred | undefined {
    if (this.peek()?.t === 'punct' && this.peek()?.v === '{') {
      this.next();
      const inner = this.expr();
      this.expect('}');
      return inner;
    }
    return undefined;
  }

  primary(): Pred {
    const t = this.next();
    if (t.t !== 'id') throw new FilterExpressionError(`unexpected ${t.v}`);
    const word = t.v.toLowerCase();
    if (word === 'service' || word === 'edge') {
      this.expect('(');
      const refs: { name?: string; type?: string }[] = [];
      while (!(this.peek()?.t === 'punct' && this.peek()?.v === ')')) {
        refs.push(this.nodeRef());
        if (this.peek()?.v === ',') this.next();
      }
      this.expect(')');
      if (word === 'edge' && refs.length !== 2) throw new FilterExpressionError('edge() takes two services');
      if (word === 'service' && refs.length > 1) throw new FilterExpressionError('service() takes one service');
      const inner = this.block();
      const matches = (n: NodeStats | undefined, r: { name?: string; type?: string } | undefined) =>
        !!n && (!r || ((r.name === undefined || n.name === r.name) && (r.type === undefined || n.type === r.type)));
      if (word === 'service') {
        return (s) => {
          if (s.kind !== 'trace') throw new FilterExpressionError('service() inside a block');
          return Object.values(s.facts.nodes).some((n) => matches(n, refs[0]) && (!inner || inner({ kind: 'stats', stats: n })));
        };
      }
      return (s) => {
        if (s.kind !== 'trace') throw new FilterExpressionError('edge() inside a block');
        return s.facts.edges.some(
          (e) => matches(s.facts.nodes[e.from], refs[0]) && matches(s.facts.nodes[e.to], refs[1]) && (!inner || inner({ kind: 'stats', stats: e })),
        );
      };
    }
    const cmp = this.comparison();
    return keyword(word, t.v, cmp);
  }
}

function keyword(word: string, raw: string, cmp: { op: Op; value: Value } | undefined): Pred {
  const bool = (get: (s: Scope) => boolean): Pred => {
    if (cmp && (typeof cmp.value !== 'boolean' || (cmp.op !== '=' && cmp.op !== '!='))) throw new FilterExpressionError(`${raw} compares to true or false`);
    return (s) => (cmp ? compare(get(s), cmp.op, cmp.value) : get(s));
  };
  const need = (kind: 'number' | 'string'): { op: Op; value: Value } => {
    if (!cmp) throw new FilterExpressionError(`${raw} needs a comparison`);
    if (typeof cmp.value !== kind) throw new FilterExpressionError(`${raw} compares to a ${kind}`);
    if (kind === 'number' && KEYWORD_OPS.has(cmp.op)) throw new FilterExpressionError(`${cmp.op} applies to strings`);
    return cmp;
  };
  const traceOnly = (get: (f: TraceFacts) => Value | undefined, kind: 'number' | 'string'): Pred => {
    const c = need(kind);
    return (s) => s.kind === 'trace' && compare(get(s.facts), c.op, c.value);
  };
  switch (word) {
    case 'ok':
      return bool((s) => (s.kind === 'trace' ? !s.facts.hasError && !s.facts.hasFault && !s.facts.hasThrottle : s.stats.ok > 0));
    case 'error':
      return bool((s) => (s.kind === 'trace' ? s.facts.hasError : s.stats.error > 0));
    case 'fault':
      return bool((s) => (s.kind === 'trace' ? s.facts.hasFault : s.stats.fault > 0));
    case 'throttle':
      return bool((s) => (s.kind === 'trace' ? s.facts.hasThrottle : s.stats.throttle > 0));
    case 'partial':
      return bool((s) => s.kind === 'trace' && s.facts.isPartial);
    case 'responsetime': {
      const c = need('number');
      return (s) =>
        s.kind === 'trace'
          ? compare(s.facts.responseTime, c.op, c.value)
          : Object.keys(s.stats.histogram).some((b) => compare(Number(b), c.op, c.value));
    }
    case 'duration':
      return traceOnly((f) => f.duration, 'number');
    case 'http.status':
      return traceOnly((f) => f.http?.status, 'number');
    case 'http.url':
      return traceOnly((f) => f.http?.url, 'string');
    case 'http.method':
      return traceOnly((f) => f.http?.method, 'string');
    case 'http.useragent':
      return traceOnly((f) => f.http?.userAgent, 'string');
    case 'http.clientip':
      return traceOnly((f) => f.http?.clientIp, 'string');
    case 'user': {
      const c = need('string');
      return (s) => s.kind === 'trace' && s.facts.users.some((u) => compare(u, c.op, c.value));
    }
  }
  if (word.startsWith('annotation.') || word.startsWith('annotation[')) {
    const key = raw.slice('annotation.'.length);
    if (!key) throw new FilterExpressionError('annotation needs a key');
    return (s) => {
      if (s.kind !== 'trace') return false;
      const values = s.facts.annotations[key];
      if (!values) return false;
      return cmp ? values.some((v) => compare(v.value, cmp.op, cmp.value)) : values.some((v) => v.value === true);
    };
  }
  throw new FilterExpressionError(`unknown keyword ${raw}`);
}

/** Compiles an expression; throws FilterExpressionError when it is invalid. */
export function compileFilter(expression: string): (facts: TraceFacts) => boolean {
  const tokens = tokenize(expression);
  if (tokens.length === 0) return () => true;
  const p = new Parser(tokens);
  const pred = p.expr();
  if (!p.done()) throw new FilterExpressionError(`unexpected ${p.peek()!.v}`);
  return (facts) => pred({ kind: 'trace', facts });
}
