// Event filtering for event source mappings (FilterCriteria): a record is delivered when it matches
// any of the filters' patterns. Patterns use Lambda's subset of the EventBridge syntax: value lists,
// prefix, suffix, anything-but, numeric ranges, exists and equals-ignore-case.

type Pattern = Record<string, unknown>;

export class EventFilter {
  readonly #patterns: Pattern[];

  constructor(filters: { Pattern?: string }[] | undefined) {
    this.#patterns = [];
    for (const f of filters ?? []) {
      if (!f.Pattern) continue;
      this.#patterns.push(JSON.parse(f.Pattern) as Pattern);
    }
  }

  get empty(): boolean {
    return this.#patterns.length === 0;
  }

  matches(record: unknown): boolean {
    return this.#patterns.length === 0 || this.#patterns.some((p) => matchObject(p, record));
  }
}

/** Checks that each filter's Pattern is JSON with a pattern's shape; returns an error message or undefined. */
export function checkFilters(filters: { Pattern?: string }[] | undefined): string | undefined {
  for (const f of filters ?? []) {
    try {
      const p = JSON.parse(f.Pattern ?? '{}');
      if (p === null || typeof p !== 'object' || Array.isArray(p)) return `Invalid filter pattern definition.`;
    } catch {
      return `Invalid filter pattern definition.`;
    }
  }
  return undefined;
}

/** An SQS record as filters see it: the body parsed when it is JSON. */
export function sqsFilterView(record: { body: string } & Record<string, unknown>): unknown {
  try {
    return { ...record, body: JSON.parse(record.body) };
  } catch {
    return record;
  }
}

function matchObject(pattern: Pattern, value: unknown): boolean {
  for (const [key, rule] of Object.entries(pattern)) {
    const field = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(rule)) {
      if (!matchValues(rule, field)) return false;
    } else if (rule !== null && typeof rule === 'object') {
      if (field === undefined || !matchObject(rule as Pattern, field)) return false;
    } else {
      return false;
    }
  }
  return true;
}

function matchValues(rules: unknown[], field: unknown): boolean {
  const candidates = Array.isArray(field) ? field : [field];
  return rules.some((rule) => {
    if (rule !== null && typeof rule === 'object') {
      const [op, arg] = Object.entries(rule as Record<string, unknown>)[0] ?? [];
      if (op === 'exists') return (field !== undefined) === Boolean(arg);
      return candidates.some((c) => c !== undefined && matchOperator(op!, arg, c));
    }
    return candidates.some((c) => c === rule);
  });
}

function matchOperator(op: string, arg: unknown, value: unknown): boolean {
  switch (op) {
    case 'prefix':
      return typeof value === 'string' && typeof arg === 'string' && value.startsWith(arg);
    case 'suffix':
      return typeof value === 'string' && typeof arg === 'string' && value.endsWith(arg);
    case 'equals-ignore-case':
      return typeof value === 'string' && typeof arg === 'string' && value.toLowerCase() === arg.toLowerCase();
    case 'anything-but': {
      if (arg !== null && typeof arg === 'object' && !Array.isArray(arg)) {
        const prefix = (arg as { prefix?: string }).prefix;
        return typeof value === 'string' && prefix !== undefined && !value.startsWith(prefix);
      }
      const list = Array.isArray(arg) ? arg : [arg];
      return !list.includes(value);
    }
    case 'numeric': {
      if (typeof value !== 'number' || !Array.isArray(arg)) return false;
      for (let i = 0; i + 1 < arg.length; i += 2) {
        const bound = Number(arg[i + 1]);
        const ok = { '=': value === bound, '<': value < bound, '<=': value <= bound, '>': value > bound, '>=': value >= bound }[String(arg[i])];
        if (!ok) return false;
      }
      return true;
    }
    default:
      return false;
  }
}
