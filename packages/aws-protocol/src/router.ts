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
  literalLength: number;
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
  return {
    operation,
    method: operation.http.method.toUpperCase(),
    regex,
    labels,
    queryLiterals,
    requiredQuery,
    requiredHeaders,
    literalLength,
  };
}

export class RestRouter {
  readonly #routes: CompiledRoute[];

  constructor(model: ServiceModel) {
    this.#routes = Object.values(model.operations).map((op) => compile(model, op));
  }

  match(method: string, rawPath: string, query: URLSearchParams, headers: IncomingHttpHeaders): RouteMatch | undefined {
    let best: { route: CompiledRoute; score: number; params: string[] } | undefined;
    const upper = method.toUpperCase();
    for (const route of this.#routes) {
      if (route.method !== upper) continue;
      const m = route.regex.exec(rawPath);
      if (!m) continue;
      if (!route.queryLiterals.every(([k, v]) => query.has(k) && (v === undefined || query.get(k) === v))) continue;
      if (!route.requiredQuery.every((k) => query.has(k))) continue;
      if (!route.requiredHeaders.every((h) => headers[h] !== undefined)) continue;
      const score =
        route.queryLiterals.length * 1000 +
        (route.requiredQuery.length + route.requiredHeaders.length) * 100 +
        route.literalLength -
        route.labels.filter((l) => l.greedy).length -
        // Deprecated operations share their paths with their successors (S3's PutBucketNotification
        // and PutBucketNotificationConfiguration); the successor wins.
        (route.operation.deprecated ? 50 : 0);
      if (!best || score > best.score) best = { route, score, params: m.slice(1) };
    }
    if (!best) return undefined;
    const uriParams: Record<string, string> = {};
    best.route.labels.forEach((label, i) => {
      const raw = best!.params[i]!;
      uriParams[label.name] = safeDecode(raw);
    });
    return { operation: best.route.operation, uriParams };
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
