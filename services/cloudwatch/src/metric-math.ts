// Metric math for GetMetricData and metric math alarms: a parser for CloudWatch's expression syntax
// and an evaluator over time series aligned on the query's period grid. Supports arithmetic
// (+ - * / ^), comparisons and AND/OR, the functions SUM, AVG, MIN, MAX, STDDEV, RATE, DIFF, FILL
// (a value, REPEAT or LINEAR), IF, ABS, CEIL, FLOOR, SQRT, LOG, LOG10, PERIOD, METRICS() and SEARCH.
// Known limitations: ANOMALY_DETECTION_BAND, INSIGHT_RULE_METRIC, SERVICE_QUOTA, SORT, SLICE,
// TIME_SERIES, DATAPOINT_COUNT, Metrics Insights SQL and the string functions are refused.

export interface Series {
  label: string;
  /** Epoch ms, ascending. */
  timestamps: number[];
  values: number[];
}

export type MathValue = number | Series | Series[];

export class MathError extends Error {}

export interface MathContext {
  /** Grid the results align on. */
  start: number;
  end: number;
  periodSeconds: number;
  /** The value of another query by id (evaluated on demand). */
  resolve(id: string): Promise<MathValue | undefined>;
  /** Ids of the queries that are metric stats (METRICS()). */
  metricIds: readonly string[];
  search(expression: string, stat: string, periodSeconds: number): Promise<Series[]>;
}

type Node =
  | { t: 'num'; v: number }
  | { t: 'str'; v: string }
  | { t: 'id'; v: string }
  | { t: 'neg'; e: Node }
  | { t: 'bin'; op: string; l: Node; r: Node }
  | { t: 'call'; name: string; args: Node[] };

const TOKEN = /\s*(?:(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(>=|<=|==|!=|&&|\|\||[-+*/^(),<>]))/y;

function tokenize(src: string): { kind: 'num' | 'id' | 'str' | 'op'; text: string; pos: number }[] {
  const out: { kind: 'num' | 'id' | 'str' | 'op'; text: string; pos: number }[] = [];
  let i = 0;
  while (i < src.length) {
    if (/^\s*$/.test(src.slice(i))) break;
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(src);
    if (!m) throw new MathError(`Unrecognized token at position ${i + (src.slice(i).length - src.slice(i).trimStart().length)}`);
    const pos = TOKEN.lastIndex - m[0].trimStart().length;
    if (m[1] !== undefined) out.push({ kind: 'num', text: m[1], pos });
    else if (m[2] !== undefined) out.push({ kind: 'id', text: m[2], pos });
    else if (m[3] !== undefined) out.push({ kind: 'str', text: m[3].slice(1, -1).replace(/\\(.)/g, '$1'), pos });
    else out.push({ kind: 'op', text: m[4]!, pos });
    i = TOKEN.lastIndex;
  }
  return out;
}

export function parseExpression(src: string): Node {
  const tokens = tokenize(src);
  let i = 0;
  const peek = () => tokens[i];
  const expect = (text: string) => {
    const t = tokens[i++];
    if (!t || t.text !== text) throw new MathError(`Expected '${text}' at position ${t?.pos ?? src.length}`);
  };
  const binary = (next: () => Node, ops: string[]) => (): Node => {
    let l = next();
    for (;;) {
      const t = peek();
      const op = t && (t.kind === 'op' || t.kind === 'id') ? (t.text === 'AND' ? '&&' : t.text === 'OR' ? '||' : t.text) : undefined;
      if (!op || !ops.includes(op)) return l;
      i++;
      l = { t: 'bin', op, l, r: next() };
    }
  };
  const primary = (): Node => {
    const t = tokens[i++];
    if (!t) throw new MathError(`Unexpected end of expression at position ${src.length}`);
    if (t.kind === 'num') return { t: 'num', v: Number(t.text) };
    if (t.kind === 'str') return { t: 'str', v: t.text };
    if (t.text === '(') {
      const e = or();
      expect(')');
      return e;
    }
    if (t.text === '-') return { t: 'neg', e: power() };
    if (t.kind === 'id') {
      if (peek()?.text === '(') {
        i++;
        const args: Node[] = [];
        if (peek()?.text !== ')') {
          args.push(or());
          while (peek()?.text === ',') {
            i++;
            args.push(or());
          }
        }
        expect(')');
        return { t: 'call', name: t.text.toUpperCase(), args };
      }
      if (t.text === 'REPEAT' || t.text === 'LINEAR') return { t: 'str', v: t.text };
      return { t: 'id', v: t.text };
    }
    throw new MathError(`Unexpected '${t.text}' at position ${t.pos}`);
  };
  const power = (): Node => {
    const base = primary();
    if (peek()?.text === '^') {
      i++;
      return { t: 'bin', op: '^', l: base, r: power() };
    }
    return base;
  };
  const mul = binary(power, ['*', '/']);
  const add = binary(mul, ['+', '-']);
  const cmp = binary(add, ['>', '<', '>=', '<=', '==', '!=']);
  const and = binary(cmp, ['&&']);
  const or = binary(and, ['||']);
  const node = or();
  if (i < tokens.length) throw new MathError(`Unexpected '${tokens[i]!.text}' at position ${tokens[i]!.pos}`);
  return node;
}

/** The ids an expression references (to order evaluation and to refuse cycles). */
export function references(node: Node, out = new Set<string>()): Set<string> {
  if (node.t === 'id') out.add(node.v);
  else if (node.t === 'neg') references(node.e, out);
  else if (node.t === 'bin') {
    references(node.l, out);
    references(node.r, out);
  } else if (node.t === 'call') for (const a of node.args) references(a, out);
  return out;
}

const isSeries = (v: MathValue): v is Series => typeof v === 'object' && !Array.isArray(v);

function applyOp(op: string, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '^':
      return a ** b;
    case '>':
      return a > b ? 1 : 0;
    case '<':
      return a < b ? 1 : 0;
    case '>=':
      return a >= b ? 1 : 0;
    case '<=':
      return a <= b ? 1 : 0;
    case '==':
      return a === b ? 1 : 0;
    case '!=':
      return a !== b ? 1 : 0;
    case '&&':
      return a !== 0 && b !== 0 ? 1 : 0;
    case '||':
      return a !== 0 || b !== 0 ? 1 : 0;
  }
  throw new MathError(`Unknown operator ${op}`);
}

function clean(s: Series): Series {
  const timestamps: number[] = [];
  const values: number[] = [];
  s.timestamps.forEach((t, i) => {
    const v = s.values[i]!;
    if (Number.isFinite(v)) {
      timestamps.push(t);
      values.push(v);
    }
  });
  return { label: s.label, timestamps, values };
}

function mapSeries(s: Series, f: (v: number, i: number) => number, label = s.label): Series {
  return clean({ label, timestamps: [...s.timestamps], values: s.values.map(f) });
}

function combine(a: MathValue, b: MathValue, f: (x: number, y: number) => number): MathValue {
  if (Array.isArray(a)) return a.map((s) => combine(s, b, f) as Series);
  if (Array.isArray(b)) return b.map((s) => combine(a, s, f) as Series);
  if (typeof a === 'number' && typeof b === 'number') return f(a, b);
  if (typeof a === 'number') return mapSeries(b as Series, (v) => f(a, v));
  if (typeof b === 'number') return mapSeries(a, (v) => f(v, b));
  const right = new Map(b.timestamps.map((t, i) => [t, b.values[i]!]));
  const timestamps: number[] = [];
  const values: number[] = [];
  a.timestamps.forEach((t, i) => {
    const r = right.get(t);
    if (r !== undefined) {
      timestamps.push(t);
      values.push(f(a.values[i]!, r));
    }
  });
  return clean({ label: a.label, timestamps, values });
}

function reduceAcross(list: Series[], f: (vs: number[]) => number, label: string): Series {
  const at = new Map<number, number[]>();
  for (const s of list) s.timestamps.forEach((t, i) => (at.get(t) ?? at.set(t, []).get(t)!).push(s.values[i]!));
  const timestamps = [...at.keys()].sort((x, y) => x - y);
  return clean({ label, timestamps, values: timestamps.map((t) => f(at.get(t)!)) });
}

const REDUCERS: Record<string, (vs: number[]) => number> = {
  SUM: (vs) => vs.reduce((s, v) => s + v, 0),
  AVG: (vs) => vs.reduce((s, v) => s + v, 0) / vs.length,
  MIN: (vs) => Math.min(...vs),
  MAX: (vs) => Math.max(...vs),
  STDDEV: (vs) => {
    const mean = vs.reduce((s, v) => s + v, 0) / vs.length;
    return Math.sqrt(vs.reduce((s, v) => s + (v - mean) ** 2, 0) / vs.length);
  },
};

const UNARY: Record<string, (v: number) => number> = { ABS: Math.abs, CEIL: Math.ceil, FLOOR: Math.floor, SQRT: Math.sqrt, LOG: Math.log, LOG10: Math.log10 };

export async function evaluate(node: Node, ctx: MathContext): Promise<MathValue> {
  switch (node.t) {
    case 'num':
      return node.v;
    case 'str':
      throw new MathError(`A string ('${node.v}') is not a value here`);
    case 'id': {
      const v = await ctx.resolve(node.v);
      if (v === undefined) throw new MathError(`Unknown id '${node.v}'`);
      return v;
    }
    case 'neg':
      return combine(0, await evaluate(node.e, ctx), (a, b) => a - b);
    case 'bin':
      return combine(await evaluate(node.l, ctx), await evaluate(node.r, ctx), (a, b) => applyOp(node.op, a, b));
    case 'call':
      return call(node, ctx);
  }
}

async function call(node: Extract<Node, { t: 'call' }>, ctx: MathContext): Promise<MathValue> {
  const { name, args } = node;
  const arity = (min: number, max = min) => {
    if (args.length < min || args.length > max) throw new MathError(`${name} takes ${min === max ? min : `${min} to ${max}`} argument(s)`);
  };
  if (name === 'METRICS') {
    arity(0, 1);
    const filter = args[0]?.t === 'str' ? args[0].v : undefined;
    const out: Series[] = [];
    for (const id of ctx.metricIds) {
      if (filter !== undefined && !id.includes(filter)) continue;
      const v = await ctx.resolve(id);
      if (v && isSeries(v)) out.push(v);
    }
    return out;
  }
  if (name === 'SEARCH') {
    arity(3);
    if (args[0]!.t !== 'str' || args[1]!.t !== 'str' || args[2]!.t !== 'num') throw new MathError("SEARCH takes a search expression, a statistic and a period: SEARCH('{AWS/EC2} CPUUtilization', 'Average', 300)");
    return ctx.search(args[0]!.v, args[1]!.v, args[2]!.v);
  }
  if (name === 'PERIOD') {
    arity(1);
    return ctx.periodSeconds;
  }
  if (REDUCERS[name]) {
    arity(1);
    const v = await evaluate(args[0]!, ctx);
    const f = REDUCERS[name]!;
    if (typeof v === 'number') return v;
    if (Array.isArray(v)) return reduceAcross(v, f, name);
    return v.values.length > 0 ? f(v.values) : NaN;
  }
  if (UNARY[name]) {
    arity(1);
    return combine(await evaluate(args[0]!, ctx), 0, (a) => UNARY[name]!(a));
  }
  if (name === 'RATE' || name === 'DIFF') {
    arity(1);
    const each = (s: Series): Series => {
      const timestamps: number[] = [];
      const values: number[] = [];
      for (let i = 1; i < s.values.length; i++) {
        timestamps.push(s.timestamps[i]!);
        const d = s.values[i]! - s.values[i - 1]!;
        values.push(name === 'RATE' ? d / ((s.timestamps[i]! - s.timestamps[i - 1]!) / 1000) : d);
      }
      return clean({ label: s.label, timestamps, values });
    };
    const v = await evaluate(args[0]!, ctx);
    if (typeof v === 'number') throw new MathError(`${name} needs a time series`);
    return Array.isArray(v) ? v.map(each) : each(v);
  }
  if (name === 'FILL') {
    arity(2);
    const v = await evaluate(args[0]!, ctx);
    const how = args[1]!.t === 'str' ? args[1]!.v : await evaluate(args[1]!, ctx);
    if (typeof v === 'number') return v;
    const grid: number[] = [];
    const p = ctx.periodSeconds * 1000;
    for (let t = Math.ceil(ctx.start / p) * p; t < ctx.end; t += p) grid.push(t);
    const each = (s: Series): Series => {
      const known = new Map(s.timestamps.map((t, i) => [t, s.values[i]!]));
      const values: number[] = [];
      let last: number | undefined;
      grid.forEach((t, gi) => {
        const k = known.get(t);
        if (k !== undefined) {
          values.push(k);
          last = k;
          return;
        }
        if (how === 'REPEAT') values.push(last ?? NaN);
        else if (how === 'LINEAR') {
          let next: number | undefined;
          let nextAt = 0;
          for (let j = gi + 1; j < grid.length; j++)
            if (known.has(grid[j]!)) {
              next = known.get(grid[j]!)!;
              nextAt = j;
              break;
            }
          const prevAt = [...grid.keys()].slice(0, gi).reverse().find((j) => known.has(grid[j]!));
          values.push(last !== undefined && next !== undefined && prevAt !== undefined ? last + ((next - last) * (gi - prevAt)) / (nextAt - prevAt) : NaN);
        } else if (typeof how === 'number') values.push(how);
        else if (isSeries(how as MathValue)) {
          const hs = how as Series;
          const i = hs.timestamps.indexOf(t);
          values.push(i >= 0 ? hs.values[i]! : NaN);
        } else throw new MathError('FILL takes a value, REPEAT or LINEAR');
      });
      return clean({ label: s.label, timestamps: grid, values });
    };
    return Array.isArray(v) ? v.map(each) : each(v);
  }
  if (name === 'IF') {
    arity(2, 3);
    const cond = await evaluate(args[0]!, ctx);
    const yes = await evaluate(args[1]!, ctx);
    const no = args[2] ? await evaluate(args[2], ctx) : undefined;
    const valueAt = (v: MathValue | undefined, t: number): number | undefined => {
      if (v === undefined) return undefined;
      if (typeof v === 'number') return v;
      if (Array.isArray(v)) throw new MathError('IF takes single time series');
      const i = v.timestamps.indexOf(t);
      return i >= 0 ? v.values[i] : undefined;
    };
    if (typeof cond === 'number') return cond !== 0 ? yes : (no ?? NaN);
    if (Array.isArray(cond)) throw new MathError('IF takes single time series');
    const timestamps: number[] = [];
    const values: number[] = [];
    cond.timestamps.forEach((t, i) => {
      const v = valueAt(cond.values[i] !== 0 ? yes : no, t);
      if (v !== undefined) {
        timestamps.push(t);
        values.push(v);
      }
    });
    return clean({ label: cond.label, timestamps, values });
  }
  throw new MathError(`Unsupported function ${name}`);
}

/** A parsed SEARCH expression: `{Namespace,Dim1,Dim2} MetricName="x" term`. */
export interface SearchQuery {
  schema?: { namespace: string; dimensions: string[] };
  pairs: { key: string; value: string }[];
  terms: string[];
}

export function parseSearch(expression: string): SearchQuery {
  let rest = expression.trim();
  const q: SearchQuery = { pairs: [], terms: [] };
  const schema = /^\{([^}]*)\}/.exec(rest);
  if (schema) {
    const parts = schema[1]!.split(',').map((s) => s.trim().replace(/^"|"$/g, ''));
    q.schema = { namespace: parts[0]!, dimensions: parts.slice(1).filter((d) => d !== '') };
    rest = rest.slice(schema[0].length);
  }
  const token = /\s*(?:([A-Za-z][\w.]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s"]+)|("(?:[^"\\]|\\.)*")|([^\s"]+))/y;
  let i = 0;
  while (i < rest.length && rest.slice(i).trim() !== '') {
    token.lastIndex = i;
    const m = token.exec(rest);
    if (!m) throw new MathError(`Invalid search expression at position ${i}`);
    if (m[1] !== undefined) q.pairs.push({ key: m[1], value: m[2]!.replace(/^"|"$/g, '') });
    else if (m[3] !== undefined) q.terms.push(m[3].slice(1, -1));
    else if (m[4] !== 'AND') q.terms.push(m[4]!);
    i = token.lastIndex;
  }
  return q;
}

/** Whether a metric matches a SEARCH query. */
export function matchesSearch(q: SearchQuery, m: { namespace: string; name: string; dims: { Name: string; Value: string }[] }): boolean {
  if (q.schema) {
    if (m.namespace !== q.schema.namespace) return false;
    const names = m.dims.map((d) => d.Name).sort();
    const want = [...q.schema.dimensions].sort();
    if (names.length !== want.length || names.some((n, i) => n !== want[i])) return false;
  }
  for (const { key, value } of q.pairs) {
    if (key === 'MetricName') {
      if (m.name !== value) return false;
    } else if (key === 'Namespace') {
      if (m.namespace !== value) return false;
    } else if (!m.dims.some((d) => d.Name === key && d.Value === value)) return false;
  }
  const haystack = [m.namespace, m.name, ...m.dims.flatMap((d) => [d.Name, d.Value])];
  return q.terms.every((t) => haystack.some((h) => h.includes(t)));
}
