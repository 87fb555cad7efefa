// The Logs Insights query language (CWLI): lexer and parser for the commands `fields`, `filter`,
// `stats … by …`, `sort`, `limit`, `parse` and `display`, into the commands insights-query.ts runs.
// Errors carry the offending character range (MalformedQueryException's queryCompileError).
// Known limitations: `dedup`, `unmask`, `pattern`, `diff`, `anomaly`, SQL and PPL are refused.

export class QueryError extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly end: number,
  ) {
    super(message);
  }
}

export type Value = string | number | boolean | null | undefined;
export type LogRecord = Record<string, Value>;

export type Expr =
  | { t: 'lit'; v: Value }
  | { t: 'field'; name: string }
  | { t: 'regex'; re: RegExp }
  | { t: 'un'; op: 'not' | '-'; e: Expr }
  | { t: 'bin'; op: string; l: Expr; r: Expr }
  | { t: 'in'; e: Expr; list: Expr[]; negate: boolean }
  | { t: 'call'; name: string; args: Expr[]; star?: boolean };

export interface Aggregate {
  fn: string;
  args: Expr[];
  star: boolean;
  alias: string;
}

export type Command =
  | { c: 'fields' | 'display'; items: { e: Expr; alias: string }[] }
  | { c: 'filter'; e: Expr }
  | { c: 'stats'; aggs: Aggregate[]; by: { e: Expr; alias: string }[] }
  | { c: 'sort'; keys: { e: Expr; desc: boolean }[] }
  | { c: 'limit'; n: number }
  | { c: 'parse'; field: Expr; re: RegExp; names: string[] };

// ---- lexer ---------------------------------------------------------------------------------------

interface Tok {
  k: 'id' | 'num' | 'str' | 'regex' | 'op' | 'pipe';
  v: string;
  s: number;
  e: number;
}

const OPS = ['!=', '<=', '>=', '=', '<', '>', '(', ')', ',', '+', '-', '*', '/', '%', '[', ']'];

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const s = i;
    if (c === '|') {
      out.push({ k: 'pipe', v: '|', s, e: ++i });
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      let v = '';
      i++;
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\' && i + 1 < src.length) i++;
        v += src[i++];
      }
      if (i >= src.length) throw new QueryError('unterminated string', s, src.length);
      i++;
      out.push({ k: c === '`' ? 'id' : 'str', v, s, e: i });
      continue;
    }
    if (c === '/' && isRegexContext(out)) {
      let j = i + 1;
      let body = '';
      while (j < src.length && src[j] !== '/') {
        if (src[j] === '\\' && j + 1 < src.length) body += src[j++];
        body += src[j++];
      }
      if (j >= src.length) throw new QueryError('unterminated regular expression', s, src.length);
      j++;
      let flags = '';
      while (j < src.length && /[a-z]/.test(src[j]!)) flags += src[j++];
      out.push({ k: 'regex', v: `${flags}/${body}`, s, e: j });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^\d*\.?\d+(?:[eE][-+]?\d+)?[a-z]*/.exec(src.slice(i))!;
      i += m[0].length;
      out.push({ k: 'num', v: m[0], s, e: i });
      continue;
    }
    if (/[A-Za-z_@$]/.test(c)) {
      const m = /^[A-Za-z_@$][\w.@$-]*/.exec(src.slice(i))!;
      let v = m[0];
      // A trailing '-' belongs to the next token (`a-b` stays a name: AWS field names hold dashes rarely; keep it simple).
      while (v.endsWith('-') || v.endsWith('.')) v = v.slice(0, -1);
      i += v.length;
      out.push({ k: 'id', v, s, e: i });
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new QueryError(`unexpected character '${c}'`, s, s + 1);
    i += op.length;
    out.push({ k: 'op', v: op, s, e: i });
  }
  return out;
}

function isRegexContext(out: Tok[]): boolean {
  const last = out[out.length - 1];
  if (!last) return false;
  if (last.k === 'id' && ['like', 'parse'].includes(last.v.toLowerCase())) return true;
  if (last.k === 'op' && (last.v === '=' || last.v === '(' || last.v === ',')) return true;
  const before = out[out.length - 2];
  return last.k === 'id' && before?.k === 'id' && before.v.toLowerCase() === 'parse';
}

function regexOf(tok: Tok): RegExp {
  const slash = tok.v.indexOf('/');
  const flags = tok.v.slice(0, slash);
  try {
    return new RegExp(tok.v.slice(slash + 1), flags.replace(/[^imsu]/g, ''));
  } catch (error) {
    throw new QueryError(`invalid regular expression: ${(error as Error).message}`, tok.s, tok.e);
  }
}

// ---- parser --------------------------------------------------------------------------------------

const AGGREGATES = new Set(['count', 'count_distinct', 'sum', 'avg', 'min', 'max', 'pct', 'earliest', 'latest']);
const FUNCTIONS = new Set(['bin', 'ispresent', 'strlen', 'tolower', 'toupper', 'abs', 'floor', 'ceil', 'concat']);

export interface ParsedQuery {
  commands: Command[];
}

export function parseQuery(src: string): ParsedQuery {
  const toks = lex(src);
  let i = 0;
  const peek = () => toks[i];
  const at = (v: string) => toks[i]?.v.toLowerCase() === v && toks[i]?.k !== 'str';
  const fail = (msg: string, t = toks[i]): never => {
    throw new QueryError(msg, t?.s ?? src.length, t?.e ?? src.length);
  };
  const take = (v?: string): Tok => {
    const t = toks[i];
    if (!t) fail(v ? `expected '${v}'` : 'unexpected end of query');
    if (v !== undefined && t!.v.toLowerCase() !== v) fail(`expected '${v}' but found '${t!.v}'`, t);
    i++;
    return t!;
  };
  const endOfCommand = () => !peek() || peek()!.k === 'pipe';

  const primary = (): Expr => {
    const t = take();
    if (t.k === 'num') {
      const m = /^(\d*\.?\d+(?:[eE][-+]?\d+)?)(ms|s|m|h|d|w|mo|q|y)?$/.exec(t.v);
      if (!m) fail(`invalid number '${t.v}'`, t);
      if (m![2]) return { t: 'lit', v: `${m![1]}${m![2]}` };
      return { t: 'lit', v: Number(m![1]) };
    }
    if (t.k === 'str') return { t: 'lit', v: t.v };
    if (t.k === 'regex') return { t: 'regex', re: regexOf(t) };
    if (t.v === '(' && t.k === 'op') {
      const e = or();
      take(')');
      return e;
    }
    if (t.v === '[' && t.k === 'op') fail('a list is only allowed after in', t);
    if (t.k === 'id') {
      const lower = t.v.toLowerCase();
      if (peek()?.v === '(' && (AGGREGATES.has(lower) || FUNCTIONS.has(lower))) {
        take('(');
        const args: Expr[] = [];
        let star = false;
        if (peek()?.v === '*' && peek()?.k === 'op') {
          take();
          star = true;
        } else if (peek()?.v !== ')') {
          args.push(or());
          while (peek()?.v === ',') {
            take();
            args.push(or());
          }
        }
        take(')');
        return { t: 'call', name: lower, args, star };
      }
      if (peek()?.v === '(' ) fail(`unknown function '${t.v}'`, t);
      if (lower === 'true' || lower === 'false') return { t: 'lit', v: lower === 'true' };
      if (lower === 'null') return { t: 'lit', v: null };
      return { t: 'field', name: t.v };
    }
    return fail(`unexpected '${t.v}'`, t);
  };
  const unary = (): Expr => {
    if (peek()?.v === '-' && peek()?.k === 'op') {
      take();
      return { t: 'un', op: '-', e: unary() };
    }
    if (at('not')) {
      take();
      return { t: 'un', op: 'not', e: unary() };
    }
    return primary();
  };
  const mul = (): Expr => {
    let l = unary();
    while (peek()?.k === 'op' && ['*', '/', '%'].includes(peek()!.v)) l = { t: 'bin', op: take().v, l, r: unary() };
    return l;
  };
  const add = (): Expr => {
    let l = mul();
    while (peek()?.k === 'op' && ['+', '-'].includes(peek()!.v)) l = { t: 'bin', op: take().v, l, r: mul() };
    return l;
  };
  const cmp = (): Expr => {
    const l = add();
    const t = peek();
    if (!t) return l;
    if (t.k === 'op' && ['=', '!=', '<', '>', '<=', '>='].includes(t.v)) {
      take();
      return { t: 'bin', op: t.v, l, r: add() };
    }
    const negate = at('not');
    const next = toks[i + (negate ? 1 : 0)];
    if (next && next.k === 'id' && ['like', 'in'].includes(next.v.toLowerCase())) {
      if (negate) take();
      const kw = take().v.toLowerCase();
      if (kw === 'like') {
        const r = add();
        return negate ? { t: 'un', op: 'not', e: { t: 'bin', op: 'like', l, r } } : { t: 'bin', op: 'like', l, r };
      }
      take('[');
      const list: Expr[] = [];
      if (peek()?.v !== ']') {
        list.push(add());
        while (peek()?.v === ',') {
          take();
          list.push(add());
        }
      }
      take(']');
      return { t: 'in', e: l, list, negate };
    }
    return l;
  };
  const and = (): Expr => {
    let l = cmp();
    while (at('and')) {
      take();
      l = { t: 'bin', op: 'and', l, r: cmp() };
    }
    return l;
  };
  const or = (): Expr => {
    let l = and();
    while (at('or')) {
      take();
      l = { t: 'bin', op: 'or', l, r: and() };
    }
    return l;
  };
  const aliasFor = (e: Expr, start: number): string => {
    if (at('as')) {
      take();
      const t = take();
      if (t.k !== 'id' && t.k !== 'str') fail('expected a name after as', t);
      return t.v;
    }
    return e.t === 'field' ? e.name : src.slice(toks[start]!.s, toks[i - 1]!.e);
  };
  const list = (): { e: Expr; alias: string }[] => {
    const items: { e: Expr; alias: string }[] = [];
    do {
      if (peek()?.v === ',') take();
      const start = i;
      const e = or();
      items.push({ e, alias: aliasFor(e, start) });
    } while (peek()?.v === ',');
    return items;
  };

  const commands: Command[] = [];
  while (i < toks.length) {
    if (peek()!.k === 'pipe') {
      take();
      continue;
    }
    const t = take();
    const name = t.v.toLowerCase();
    switch (name) {
      case 'fields':
      case 'display':
        commands.push({ c: name, items: list() });
        break;
      case 'filter':
        commands.push({ c: 'filter', e: or() });
        break;
      case 'stats': {
        const aggs: Aggregate[] = [];
        do {
          if (peek()?.v === ',') take();
          const start = i;
          const e = primary();
          if (e.t !== 'call' || !AGGREGATES.has(e.name)) fail('stats needs an aggregate function (count, sum, avg, min, max, pct, count_distinct, earliest, latest)', toks[start]);
          const call = e as Extract<Expr, { t: 'call' }>;
          aggs.push({ fn: call.name, args: call.args, star: call.star ?? false, alias: aliasFor(e, start) });
        } while (peek()?.v === ',');
        let by: { e: Expr; alias: string }[] = [];
        if (at('by')) {
          take();
          by = list();
        }
        commands.push({ c: 'stats', aggs, by });
        break;
      }
      case 'sort': {
        const keys: { e: Expr; desc: boolean }[] = [];
        do {
          if (peek()?.v === ',') take();
          const e = add();
          let desc = false;
          if (at('desc') || at('asc')) desc = take().v.toLowerCase() === 'desc';
          keys.push({ e, desc });
        } while (peek()?.v === ',');
        commands.push({ c: 'sort', keys });
        break;
      }
      case 'limit': {
        const n = take();
        if (n.k !== 'num' || !/^\d+$/.test(n.v) || Number(n.v) < 1 || Number(n.v) > 10_000) fail('limit takes a number from 1 to 10000', n);
        commands.push({ c: 'limit', n: Number(n.v) });
        break;
      }
      case 'parse': {
        const field = primary();
        const p = take();
        if (p.k === 'regex') {
          const re = regexOf(p);
          const names = [...re.source.matchAll(/\(\?<([A-Za-z_]\w*)>/g)].map((m) => m[1]!);
          if (names.length === 0) fail('a parse regular expression needs named groups (?<name>…)', p);
          commands.push({ c: 'parse', field, re, names });
        } else if (p.k === 'str') {
          take('as');
          const names: string[] = [];
          do {
            if (peek()?.v === ',') take();
            names.push(take().v);
          } while (peek()?.v === ',');
          const parts = p.v.split('*');
          if (parts.length - 1 !== names.length) fail(`the parse pattern has ${parts.length - 1} wildcards for ${names.length} names`, p);
          const escaped = parts.map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
          // Wildcards match lazily, the last one greedily when the pattern ends with it.
          let body = escaped[0]!;
          for (let k = 1; k < escaped.length; k++) body += (k === escaped.length - 1 && escaped[k] === '' ? '(.*)' : '(.*?)') + escaped[k];
          const re = new RegExp(body, 's');
          commands.push({ c: 'parse', field, re, names });
        } else fail('parse takes a glob string or a regular expression', p);
        break;
      }
      default:
        fail(`unknown command '${t.v}'`, t);
    }
    if (!endOfCommand()) fail(`unexpected '${peek()!.v}'`);
  }
  if (commands.length === 0) throw new QueryError('the query is empty', 0, src.length);
  return { commands };
}

