// Shapes stored documents for the wire: ISO timestamps become Dates (the protocol layer writes
// epoch seconds), and tags appear only when the caller asked for them with `include: ['TAGS']`.

const TIMESTAMPS = new Set([
  'createdAt',
  'startedAt',
  'stoppedAt',
  'stoppingAt',
  'executionStoppedAt',
  'pullStartedAt',
  'pullStoppedAt',
  'connectivityAt',
  'updatedAt',
  'registeredAt',
  'deregisteredAt',
  'deleteRequestedAt',
]);

export function toWire<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => toWire(v)) as T;
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    out[key] = TIMESTAMPS.has(key) && typeof v === 'string' ? new Date(v) : toWire(v);
  }
  return out as T;
}

export function withTags<T extends { tags?: unknown }>(doc: T, include: readonly string[] | undefined): T {
  if (include?.includes('TAGS')) return doc;
  const { tags: _tags, ...rest } = doc;
  return rest as T;
}

/** Pages a list with an opaque token (the offset, base64). */
export function page<T>(items: readonly T[], nextToken: string | undefined, maxResults: number | undefined, limit = 100): { items: T[]; nextToken?: string } {
  const start = nextToken ? Number(Buffer.from(nextToken, 'base64').toString('utf8')) || 0 : 0;
  const size = Math.min(maxResults ?? limit, limit);
  const slice = items.slice(start, start + size);
  const end = start + slice.length;
  return end < items.length ? { items: slice, nextToken: Buffer.from(String(end)).toString('base64') } : { items: slice };
}
