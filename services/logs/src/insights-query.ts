// CloudWatch Logs Insights queries: runs the commands insights-parser.ts reads over records streamed
// to it (filter, parse and fields per record; stats, sort, limit and display at the end).
// Fields: `@timestamp`, `@message`, `@logStream`, `@log`, `@ingestionTime`, and the members of JSON
// messages (`level`, `req.ms`) as Insights discovers them.
// Known limitations: functions are limited to `bin()`, the aggregates count/count_distinct/sum/avg/
// min/max/pct/earliest/latest, and `ispresent`, `strlen`, `tolower`, `toupper`, `abs`, `floor`,
// `ceil`, `concat`.
import { QueryError, type Command, type Expr, type LogRecord, type ParsedQuery, type Value } from './insights-parser.js';

export { QueryError, parseQuery } from './insights-parser.js';
export type { LogRecord, ParsedQuery } from './insights-parser.js';

// ---- evaluation ----------------------------------------------------------------------------------

const DURATIONS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, mo: 2_592_000_000, q: 7_776_000_000, y: 31_536_000_000 };

function toNumber(v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return NaN;
}

function field(r: LogRecord, name: string): Value {
  return Object.prototype.hasOwnProperty.call(r, name) ? r[name] : undefined;
}

function evalExpr(e: Expr, r: LogRecord): Value {
  switch (e.t) {
    case 'lit':
      return e.v;
    case 'field':
      return field(r, e.name);
    case 'regex':
      return e.re.source;
    case 'un': {
      const v = evalExpr(e.e, r);
      return e.op === 'not' ? !truthy(v) : -toNumber(v);
    }
    case 'in': {
      const v = evalExpr(e.e, r);
      const found = e.list.some((x) => looseEquals(v, evalExpr(x, r)));
      return e.negate ? !found : found;
    }
    case 'bin': {
      if (e.op === 'and') return truthy(evalExpr(e.l, r)) && truthy(evalExpr(e.r, r));
      if (e.op === 'or') return truthy(evalExpr(e.l, r)) || truthy(evalExpr(e.r, r));
      const l = evalExpr(e.l, r);
      if (e.op === 'like') {
        if (l === undefined || l === null) return false;
        if (e.r.t === 'regex') return e.r.re.test(String(l));
        return String(l).includes(String(evalExpr(e.r, r)));
      }
      const rv = evalExpr(e.r, r);
      switch (e.op) {
        case '=':
          return looseEquals(l, rv);
        case '!=':
          return l !== undefined && !looseEquals(l, rv);
        case '<':
          return compare(l, rv) < 0;
        case '>':
          return compare(l, rv) > 0;
        case '<=':
          return compare(l, rv) <= 0;
        case '>=':
          return compare(l, rv) >= 0;
        case '+':
          return toNumber(l) + toNumber(rv);
        case '-':
          return toNumber(l) - toNumber(rv);
        case '*':
          return toNumber(l) * toNumber(rv);
        case '/':
          return toNumber(l) / toNumber(rv);
        case '%':
          return toNumber(l) % toNumber(rv);
      }
      return undefined;
    }
    case 'call': {
      const a = e.args.map((x) => evalExpr(x, r));
      switch (e.name) {
        case 'bin': {
          const spec = String(a[0]);
          const m = /^(\d*\.?\d+)(ms|s|m|h|d|w|mo|q|y)$/.exec(spec);
          const size = m ? Number(m[1]) * DURATIONS[m[2]!]! : NaN;
          const ts = toNumber(field(r, '@timestamp'));
          return Number.isFinite(size) && size > 0 ? Math.floor(ts / size) * size : undefined;
        }
        case 'ispresent':
          return a[0] !== undefined && a[0] !== null;
        case 'strlen':
          return a[0] === undefined ? undefined : String(a[0]).length;
        case 'tolower':
          return a[0] === undefined ? undefined : String(a[0]).toLowerCase();
        case 'toupper':
          return a[0] === undefined ? undefined : String(a[0]).toUpperCase();
        case 'abs':
          return Math.abs(toNumber(a[0]));
        case 'floor':
          return Math.floor(toNumber(a[0]));
        case 'ceil':
          return Math.ceil(toNumber(a[0]));
        case 'concat':
          return a.map((x) => (x === undefined || x === null ? '' : String(x))).join('');
      }
      throw new QueryError(`${e.name}() is only allowed in stats`, 0, 0);
    }
  }
}

function truthy(v: Value): boolean {
  return v !== undefined && v !== null && v !== false && v !== 0 && v !== '';
}

function looseEquals(a: Value, b: Value): boolean {
  if (a === undefined || b === undefined) return false;
  if (typeof a === 'number' || typeof b === 'number') {
    const x = toNumber(a);
    const y = toNumber(b);
    if (Number.isFinite(x) && Number.isFinite(y)) return x === y;
  }
  return String(a) === String(b);
}

function compare(a: Value, b: Value): number {
  if (a === undefined || b === undefined) return NaN;
  const x = toNumber(a);
  const y = toNumber(b);
  if (Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/** Flattens a JSON message's members into `a.b.c` fields (as Insights discovers them). */
export function discoverFields(message: string, into: LogRecord): void {
  const trimmed = message.trimStart();
  if (!trimmed.startsWith('{')) return;
  let doc: unknown;
  try {
    doc = JSON.parse(trimmed);
  } catch {
    return;
  }
  const walk = (v: unknown, prefix: string, depth: number) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && depth < 10) {
      for (const [k, x] of Object.entries(v)) walk(x, prefix ? `${prefix}.${k}` : k, depth + 1);
    } else if (prefix && !prefix.startsWith('@')) {
      into[prefix] = v === null || typeof v !== 'object' ? (v as Value) : JSON.stringify(v);
    }
  };
  walk(doc, '', 0);
}

interface Group {
  key: Value[];
  states: { count: number; sum: number; min: number; max: number; values?: number[]; distinct?: Set<string>; first?: { ts: number; v: Value }; last?: { ts: number; v: Value } }[];
}

/** Runs a parsed query over records given one at a time; `result` gives the rows. */
export class QueryRun {
  readonly #commands: Command[];
  /** Commands before the first stats/sort/limit run per record. */
  readonly #streaming: Command[];
  readonly #rest: Command[];
  readonly #stats: Extract<Command, { c: 'stats' }> | undefined;
  readonly #groups = new Map<string, Group>();
  readonly #rows: LogRecord[] = [];
  matched = 0;
  #projected = new Set<string>();

  constructor(
    query: ParsedQuery,
    readonly defaultLimit: number,
  ) {
    this.#commands = query.commands;
    const statsAt = this.#commands.findIndex((c) => c.c === 'stats' || c.c === 'sort' || c.c === 'limit');
    this.#streaming = statsAt < 0 ? this.#commands : this.#commands.slice(0, statsAt);
    this.#rest = statsAt < 0 ? [] : this.#commands.slice(statsAt);
    const stats = this.#rest[0]?.c === 'stats' ? (this.#rest[0] as Extract<Command, { c: 'stats' }>) : undefined;
    this.#stats = stats;
    if (stats) this.#rest = this.#rest.slice(1);
    for (const c of this.#commands) if (c.c === 'fields' || c.c === 'display') for (const it of c.items) this.#projected.add(it.alias);
  }

  /** Whether the query names a field other than the `@` system fields (JSON fields must then be discovered). */
  get needsDiscoveredFields(): boolean {
    let found = false;
    const walk = (e: Expr | undefined): void => {
      if (!e || found) return;
      if (e.t === 'field') found = !e.name.startsWith('@');
      else if (e.t === 'un') walk(e.e);
      else if (e.t === 'bin') {
        walk(e.l);
        walk(e.r);
      } else if (e.t === 'in') {
        walk(e.e);
        e.list.forEach(walk);
      } else if (e.t === 'call') e.args.forEach(walk);
    };
    const parsed = new Set<string>();
    for (const c of this.#commands) {
      if (c.c === 'parse') c.names.forEach((n) => parsed.add(n));
      if (c.c === 'filter') walk(c.e);
      else if (c.c === 'fields' || c.c === 'display') c.items.forEach((i) => (i.e.t === 'field' && parsed.has(i.e.name) ? undefined : walk(i.e)));
      else if (c.c === 'stats') {
        c.aggs.forEach((a) => a.args.forEach(walk));
        c.by.forEach((b) => walk(b.e));
      } else if (c.c === 'sort') c.keys.forEach((k) => walk(k.e));
      else if (c.c === 'parse') walk(c.field);
    }
    // Names a parse command binds are not JSON fields; a query that only reads those needs no discovery.
    if (found && parsed.size > 0) {
      found = false;
      const check = (e: Expr | undefined): void => {
        if (!e || found) return;
        if (e.t === 'field') found = !e.name.startsWith('@') && !parsed.has(e.name);
        else if (e.t === 'un') check(e.e);
        else if (e.t === 'bin') {
          check(e.l);
          check(e.r);
        } else if (e.t === 'in') {
          check(e.e);
          e.list.forEach(check);
        } else if (e.t === 'call') e.args.forEach(check);
      };
      for (const c of this.#commands) {
        if (c.c === 'filter') check(c.e);
        else if (c.c === 'fields' || c.c === 'display') c.items.forEach((i) => check(i.e));
        else if (c.c === 'stats') {
          c.aggs.forEach((a) => a.args.forEach(check));
          c.by.forEach((b) => check(b.e));
        } else if (c.c === 'sort') c.keys.forEach((k) => check(k.e));
      }
    }
    // `fields` without stats shows every field of a record only when it names none; a bare query does too.
    return found || this.#commands.every((c) => c.c === 'limit' || c.c === 'sort' || c.c === 'filter');
  }

  /** Whether rows carry `@ptr` (queries without stats). */
  get rowsHavePointers(): boolean {
    return !this.#stats;
  }

  /**
   * Substrings of @message every matching record holds: from `filter @message like "…"` (joined by
   * `and`) in the filters that open the query, for the store to search before records are built.
   */
  get required(): string[] {
    const out: string[] = [];
    const walk = (e: Expr) => {
      if (e.t === 'bin' && e.op === 'and') {
        walk(e.l);
        walk(e.r);
      } else if (e.t === 'bin' && e.op === 'like' && e.l.t === 'field' && e.l.name === '@message' && e.r.t === 'lit' && typeof e.r.v === 'string' && e.r.v !== '') out.push(e.r.v);
    };
    for (const c of this.#streaming) {
      if (c.c !== 'filter') break;
      walk(c.e);
    }
    return out;
  }

  /** Offers one record; returns false once a streaming-only query (no stats or sort) has enough rows. */
  add(record: LogRecord): boolean {
    let r = record;
    for (const c of this.#streaming) {
      if (c.c === 'filter') {
        if (!truthy(evalExpr(c.e, r))) return true;
      } else if (c.c === 'parse') {
        const m = c.re.exec(String(evalExpr(c.field, r) ?? ''));
        if (m) {
          r = { ...r };
          c.names.forEach((n, i) => (r[n] = m.groups?.[n] ?? m[i + 1]));
        }
      } else if (c.c === 'fields') {
        r = { ...r };
        for (const it of c.items) if (it.e.t !== 'field' || it.alias !== it.e.name) r[it.alias] = evalExpr(it.e, r);
      }
    }
    this.matched++;
    if (this.#stats) {
      const key = this.#stats.by.map((b) => evalExpr(b.e, r));
      const text = JSON.stringify(key);
      let g = this.#groups.get(text);
      if (!g) this.#groups.set(text, (g = { key, states: this.#stats.aggs.map(() => ({ count: 0, sum: 0, min: Infinity, max: -Infinity })) }));
      this.#stats.aggs.forEach((a, i) => {
        const s = g!.states[i]!;
        if (a.star) {
          s.count++;
          return;
        }
        const v = evalExpr(a.args[0]!, r);
        if (v === undefined || v === null) return;
        s.count++;
        const n = toNumber(v);
        const ts = toNumber(field(r, '@timestamp'));
        if (a.fn === 'count_distinct') (s.distinct ??= new Set()).add(String(v));
        else if (a.fn === 'earliest') {
          if (!s.first || ts < s.first.ts) s.first = { ts, v };
        } else if (a.fn === 'latest') {
          if (!s.last || ts >= s.last.ts) s.last = { ts, v };
        } else if (Number.isFinite(n)) {
          s.sum += n;
          s.min = Math.min(s.min, n);
          s.max = Math.max(s.max, n);
          if (a.fn === 'pct') (s.values ??= []).push(n);
        }
      });
      return true;
    }
    this.#rows.push(r);
    const onlyLimit = this.#rest.every((c) => c.c === 'limit' || c.c === 'display' || c.c === 'fields' || c.c === 'filter' || c.c === 'parse');
    const limit = (this.#rest.find((c) => c.c === 'limit') as { n: number } | undefined)?.n ?? this.defaultLimit;
    return !(onlyLimit && this.#rows.length >= limit);
  }

  /** The result rows as ResultField lists, in order. */
  result(): { field: string; value: string }[][] {
    let rows: LogRecord[];
    let columns: string[] | undefined;
    if (this.#stats) {
      const stats = this.#stats;
      rows = [...this.#groups.values()].map((g) => {
        const r: LogRecord = {};
        stats.by.forEach((b, i) => (r[b.alias] = b.e.t === 'call' && b.e.name === 'bin' && typeof g.key[i] === 'number' ? g.key[i] : g.key[i]));
        stats.aggs.forEach((a, i) => {
          const s = g.states[i]!;
          let v: Value;
          switch (a.fn) {
            case 'count':
              v = s.count;
              break;
            case 'count_distinct':
              v = s.distinct?.size ?? 0;
              break;
            case 'sum':
              v = s.sum;
              break;
            case 'avg':
              v = s.count > 0 ? s.sum / s.count : undefined;
              break;
            case 'min':
              v = Number.isFinite(s.min) ? s.min : undefined;
              break;
            case 'max':
              v = Number.isFinite(s.max) ? s.max : undefined;
              break;
            case 'pct': {
              const p = toNumber(evalExpr(a.args[1] ?? { t: 'lit', v: 50 }, {}));
              const sorted = (s.values ?? []).sort((x, y) => x - y);
              v = sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] : undefined;
              break;
            }
            case 'earliest':
              v = s.first?.v;
              break;
            case 'latest':
              v = s.last?.v;
              break;
          }
          r[a.alias] = v;
        });
        return r;
      });
      columns = [...stats.by.map((b) => b.alias), ...stats.aggs.map((a) => a.alias)];
      // A bin() group reads as a timestamp, as Insights shows it.
      stats.by.forEach((b) => {
        if (b.e.t === 'call' && b.e.name === 'bin') for (const r of rows) if (typeof r[b.alias] === 'number') r[b.alias] = formatTimestamp(r[b.alias] as number);
      });
      if (!this.#rest.some((c) => c.c === 'sort') && stats.by.length > 0) rows.sort((x, y) => compare(x[columns![0]!], y[columns![0]!]));
    } else {
      rows = this.#rows;
    }
    let limit = this.defaultLimit;
    for (const c of this.#rest) {
      if (c.c === 'sort') {
        rows = [...rows].sort((x, y) => {
          for (const k of c.keys) {
            const d = compare(evalExpr(k.e, x), evalExpr(k.e, y));
            if (Number.isNaN(d)) {
              const ux = evalExpr(k.e, x) === undefined;
              const uy = evalExpr(k.e, y) === undefined;
              if (ux !== uy) return ux ? 1 : -1;
              continue;
            }
            if (d !== 0) return k.desc ? -d : d;
          }
          return 0;
        });
      } else if (c.c === 'limit') limit = Math.min(limit, c.n);
      else if (c.c === 'filter') rows = rows.filter((r) => truthy(evalExpr(c.e, r)));
      else if (c.c === 'fields' || c.c === 'display') {
        rows = rows.map((r) => {
          const out: LogRecord = { ...r };
          for (const it of c.items) out[it.alias] = evalExpr(it.e, r);
          return out;
        });
      }
    }
    type Projection = Extract<Command, { items: unknown }>;
    const display = [...this.#commands].reverse().find((c) => c.c === 'display') as Projection | undefined;
    const fieldsCmd = this.#commands.filter((c) => c.c === 'fields') as Projection[];
    if (display) columns = display.items.map((i) => i.alias);
    else if (!columns && fieldsCmd.length > 0) columns = [...this.#projected];
    return rows.slice(0, limit).map((r) => {
      const names = columns ?? Object.keys(r).filter((k) => k !== '@ptr');
      const out: { field: string; value: string }[] = [];
      for (const n of names) {
        let v = r[n];
        if (n === '@timestamp' && typeof v === 'number') v = formatTimestamp(v);
        if (v !== undefined && v !== null) out.push({ field: n, value: String(v) });
      }
      if (!this.#stats && r['@ptr'] !== undefined) out.push({ field: '@ptr', value: String(r['@ptr']) });
      return out;
    });
  }
}

/** Insights shows timestamps as `2024-01-02 03:04:05.678`. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}
