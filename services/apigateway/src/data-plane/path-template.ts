// Path templates of routes (HTTP APIs) and resources (REST APIs): literal segments, `{name}` for
// one segment and a trailing greedy `{name+}` for the rest of the path. When several templates match
// a path, the most specific wins, as API Gateway documents it: literal segments before variables,
// variables before a greedy variable, compared segment by segment from the left.

export interface PathTemplate {
  readonly template: string;
  readonly segments: readonly Segment[];
  /** One rank per segment (2 literal, 1 variable, 0 greedy): larger wins, compared left to right. */
  readonly rank: readonly number[];
}

type Segment = { kind: 'literal'; text: string } | { kind: 'var'; name: string } | { kind: 'greedy'; name: string };

export function compileTemplate(template: string): PathTemplate {
  const parts = template === '/' ? [] : template.replace(/^\//, '').split('/');
  const segments: Segment[] = parts.map((part) => {
    const greedy = /^\{([^}]+)\+\}$/.exec(part);
    if (greedy) return { kind: 'greedy', name: greedy[1]! };
    const variable = /^\{([^}]+)\}$/.exec(part);
    if (variable) return { kind: 'var', name: variable[1]! };
    return { kind: 'literal', text: part };
  });
  return { template, segments, rank: segments.map((s) => (s.kind === 'literal' ? 2 : s.kind === 'var' ? 1 : 0)) };
}

/**
 * The path parameters when `path` (already split into decoded segments) matches the template,
 * else undefined. A greedy variable takes one segment or more.
 */
export function matchTemplate(t: PathTemplate, parts: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  const segs = t.segments;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    if (seg.kind === 'greedy') {
      if (i >= parts.length) return undefined;
      params[seg.name] = parts.slice(i).join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (seg.kind === 'literal') {
      if (seg.text !== part) return undefined;
    } else {
      if (part === '') return undefined;
      params[seg.name] = part;
    }
  }
  return parts.length === segs.length ? params : undefined;
}

/** Positive when `a` is more specific than `b`. */
export function compareSpecificity(a: PathTemplate, b: PathTemplate): number {
  const n = Math.max(a.rank.length, b.rank.length);
  for (let i = 0; i < n; i++) {
    const x = a.rank[i] ?? -1;
    const y = b.rank[i] ?? -1;
    if (x !== y) return x - y;
  }
  return 0;
}

/** A request path as decoded segments (`/a/b%20c` → ['a', 'b c']); the root is [], a trailing slash is dropped. */
export function splitPath(path: string): string[] {
  if (path === '' || path === '/') return [];
  return path
    .replace(/^\//, '')
    .replace(/\/$/, '')
    .split('/')
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    });
}
