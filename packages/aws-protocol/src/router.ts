// Finds the operation of a rest-json or rest-xml service from the method, path, query and headers,
// by matching the model's `requestUri` templates. Among several matches (S3's PutObject, CopyObject
// and UploadPart share one path), the one whose required query and header members are present and
// whose literals are most specific wins.
import type { OperationModel, ServiceModel } from '@atoll/aws-models';
import type { IncomingHttpHeaders } from 'node:http';
import { shapeOf } from './shapes.js';

interface CompiledRoute {
  operation: OperationModel;
  method: string;
  regex: RegExp;
  labels: { name: string; greedy: boolean }[];
  queryLiterals: [string, string | undefined][];
  requiredQuery: string[];
  requiredHeaders: string[];
  /** How specific the route is; among the routes that match a request, the highest wins. */
  score: number;
}

export interface RouteMatch {
  operation: OperationModel;
  uriParams: Record<string, string>;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compile(model: ServiceModel, operation: OperationModel): CompiledRoute {
  const [pathTemplate, queryTemplate = ''] = (operation.http.requestUri || '/').split('?');
  const labels: CompiledRoute['labels'] = [];
  let pattern = '';
  let literalLength = 0;
  let last = 0;
  const labelRe = /\{([^}]+)\}/g;
  let m: RegExpExecArray | null;
  while ((m = labelRe.exec(pathTemplate!)) !== null) {
    const literal = pathTemplate!.slice(last, m.index);
    pattern += escapeRegex(literal);
    literalLength += literal.length;
    const greedy = m[1]!.endsWith('+');
    labels.push({ name: greedy ? m[1]!.slice(0, -1) : m[1]!, greedy });
    pattern += greedy ? '(.+)' : '([^/]+)';
    last = m.index + m[0].length;
  }
  let tail = pathTemplate!.slice(last);
  literalLength += tail.length;
  const endsGreedy = labels.length > 0 && labels[labels.length - 1]!.greedy && tail === '';
  // A trailing slash is optional either way (`/2015-03-31/functions/` is sent as `…/functions`).
  if (tail.length > 1 && tail.endsWith('/')) tail = tail.slice(0, -1);
  pattern += escapeRegex(tail);
  const regex = new RegExp(`^${pattern}${endsGreedy || pattern === '/' ? '' : '/?'}$`);
  const queryLiterals: [string, string | undefined][] = [];
  for (const part of queryTemplate.split('&')) {
    if (!part) continue;
    const [key, value] = part.split('=');
    if (value !== undefined && value.startsWith('{')) continue;
    queryLiterals.push([decodeURIComponent(key!), value === undefined ? undefined : decodeURIComponent(value)]);
  }
  const requiredQuery: string[] = [];
  const requiredHeaders: string[] = [];
  if (operation.input) {
    const input = shapeOf(model, operation.input);
    for (const name of input.required ?? []) {
      const member = input.members?.[name];
      if (member?.location === 'querystring') requiredQuery.push(member.locationName ?? name);
      if (member?.location === 'header') requiredHeaders.push((member.locationName ?? name).toLowerCase());
    }
  }
  const score =
    queryLiterals.length * 1000 +
    (requiredQuery.length + requiredHeaders.length) * 100 +
    literalLength -
    labels.filter((l) => l.greedy).length -
    // Deprecated operations share their paths with their successors (S3's PutBucketNotification
    // and PutBucketNotificationConfiguration); the successor wins.
    (operation.deprecated ? 50 : 0);
  return { operation, method: operation.http.method.toUpperCase(), regex, labels, queryLiterals, requiredQuery, requiredHeaders, score };
}

/** Whether the request has every query literal, required query member and required header of the route. */
function accepts(route: CompiledRoute, query: URLSearchParams, keys: ReadonlySet<string>, headers: IncomingHttpHeaders): boolean {
  for (const [k, v] of route.queryLiterals) {
    if (!keys.has(k) || (v !== undefined && query.get(k) !== v)) return false;
  }
  for (const k of route.requiredQuery) if (!keys.has(k)) return false;
  for (const h of route.requiredHeaders) if (headers[h] === undefined) return false;
  return true;
}

export class RestRouter {
  readonly #routes: CompiledRoute[];
  /** The routes of each method, most specific first: the first one that matches wins. */
  readonly #byMethod = new Map<string, CompiledRoute[]>();

  constructor(model: ServiceModel) {
    this.#routes = Object.values(model.operations).map((op) => compile(model, op));
    // A stable sort keeps model order among equal scores, as the scan it replaces did.
    for (const route of [...this.#routes].sort((a, b) => b.score - a.score)) {
      const routes = this.#byMethod.get(route.method);
      if (routes) routes.push(route);
      else this.#byMethod.set(route.method, [route]);
    }
  }

  match(method: string, rawPath: string, query: URLSearchParams, headers: IncomingHttpHeaders): RouteMatch | undefined {
    const routes = this.#byMethod.get(method) ?? this.#byMethod.get(method.toUpperCase());
    if (!routes) return undefined;
    // The query's names, read once: URLSearchParams.has scans every parameter, and S3 has dozens
    // of routes per method to try.
    const keys = new Set<string>();
    for (const key of query.keys()) keys.add(key);
    for (const route of routes) {
      if (!accepts(route, query, keys, headers)) continue;
      const m = route.regex.exec(rawPath);
      if (!m) continue;
      const uriParams: Record<string, string> = {};
      for (let i = 0; i < route.labels.length; i++) uriParams[route.labels[i]!.name] = safeDecode(m[i + 1]!);
      return { operation: route.operation, uriParams };
    }
    return undefined;
  }

  /** True when some operation is served on this path with another method (for 405 answers). */
  pathExists(rawPath: string): boolean {
    return this.#routes.some((r) => r.regex.test(rawPath));
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
