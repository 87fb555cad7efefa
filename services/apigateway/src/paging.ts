// List paging as each API Gateway model does it: REST APIs (`limit`, 25 by default and 500 at most,
// with the opaque `position` of the next page) and HTTP APIs (`MaxResults` and `NextToken`, every
// item when MaxResults is absent). A token is the offset of the next item in the list's creation
// order, so a page stays stable while items are appended; it is not signed (any offset is harmless).
import type { OperationHandler } from '@atoll/core';

const V1_DEFAULT = 25;
const V1_MAX = 500;

function encode(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

function decode(token: string): number | undefined {
  try {
    const o = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown }).o;
    return typeof o === 'number' && Number.isInteger(o) && o >= 0 ? o : undefined;
  } catch {
    return undefined;
  }
}

type Fail = (message: string) => Error;

/** One page of a REST API list: `limit` items from `position`. */
export function pageV1<T>(items: readonly T[], input: { limit?: unknown; position?: unknown }, fail: Fail): { items: T[]; position?: string } {
  const limit = input.limit === undefined ? V1_DEFAULT : Number(input.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > V1_MAX) throw fail(`Invalid limit ${String(input.limit)}: it must be between 1 and ${V1_MAX}.`);
  const start = input.position === undefined ? 0 : decode(String(input.position));
  if (start === undefined) throw fail('Invalid position parameter');
  const page = items.slice(start, start + limit);
  return start + limit < items.length ? { items: page, position: encode(start + limit) } : { items: page };
}

/** One page of an HTTP API list: `MaxResults` items (all when absent) from `NextToken`. */
export function pageV2<T>(items: readonly T[], input: { MaxResults?: unknown; NextToken?: unknown }, fail: Fail): { Items: T[]; NextToken?: string } {
  const max = input.MaxResults === undefined ? Infinity : Number(input.MaxResults);
  if (max !== Infinity && (!Number.isInteger(max) || max < 1)) throw fail(`Invalid MaxResults ${String(input.MaxResults)}: it must be a positive integer.`);
  const start = input.NextToken === undefined ? 0 : decode(String(input.NextToken));
  if (start === undefined) throw fail('Invalid NextToken');
  const page = items.slice(start, start + max);
  return start + max < items.length ? { Items: page, NextToken: encode(start + max) } : { Items: page };
}

/** Pages every list operation of a provider: its output's `items` (REST) or `Items` (HTTP). */
export function withPaging(ops: Record<string, OperationHandler>, style: 'v1' | 'v2', fail: Fail): Record<string, OperationHandler> {
  for (const [name, handler] of Object.entries(ops)) {
    if (!/^Get.*s$/.test(name)) continue;
    ops[name] = async (input, ctx) => {
      const out = (await handler(input, ctx)) as Record<string, unknown> | undefined;
      const args = input as Record<string, unknown>;
      if (style === 'v1' && out && Array.isArray(out.items)) return { ...out, ...pageV1(out.items, args, fail) };
      if (style === 'v2' && out && Array.isArray(out.Items)) return { ...out, ...pageV2(out.Items, args, fail) };
      return out;
    };
  }
  return ops;
}
