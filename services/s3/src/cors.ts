// CORS for buckets: matching a request against the bucket's CORS rules, the response headers a
// matching rule grants, and the preflight (`OPTIONS`) route that browsers send before a request.
import type { HttpRoute, IncomingHttpHeaders } from './http-types.js';
import type { S3Store } from './s3-store.js';

export interface CorsRule {
  ID?: string;
  AllowedHeaders?: string[];
  AllowedMethods?: string[];
  AllowedOrigins?: string[];
  ExposeHeaders?: string[];
  MaxAgeSeconds?: number;
}

function wildcard(pattern: string, value: string): boolean {
  const star = pattern.indexOf('*');
  if (star < 0) return pattern === value;
  return value.length >= pattern.length - 1 && value.startsWith(pattern.slice(0, star)) && value.endsWith(pattern.slice(star + 1));
}

/** The first rule that allows `origin` to use `method` with `requestHeaders`, as S3 picks it. */
export function findCorsRule(
  rules: readonly CorsRule[],
  origin: string,
  method: string,
  requestHeaders: readonly string[] = [],
): CorsRule | undefined {
  return rules.find((rule) => {
    if (!(rule.AllowedOrigins ?? []).some((o) => wildcard(o, origin))) return false;
    if (!(rule.AllowedMethods ?? []).includes(method.toUpperCase())) return false;
    const allowed = (rule.AllowedHeaders ?? []).map((h) => h.toLowerCase());
    return requestHeaders.every((h) => allowed.some((a) => wildcard(a, h.toLowerCase())));
  });
}

/** The Access-Control-* headers a matching rule grants. */
export function corsResponseHeaders(rule: CorsRule, origin: string, preflight?: { requestHeaders: string[] }): Record<string, string> {
  const any = (rule.AllowedOrigins ?? []).includes('*');
  const headers: Record<string, string> = {
    'access-control-allow-origin': any ? '*' : origin,
    'access-control-allow-methods': (rule.AllowedMethods ?? []).join(', '),
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
  if (!any) headers['access-control-allow-credentials'] = 'true';
  if (rule.ExposeHeaders?.length) headers['access-control-expose-headers'] = rule.ExposeHeaders.join(', ');
  if (preflight) {
    if (preflight.requestHeaders.length > 0) headers['access-control-allow-headers'] = preflight.requestHeaders.join(', ');
    if (rule.MaxAgeSeconds !== undefined) headers['access-control-max-age'] = String(rule.MaxAgeSeconds);
  }
  return headers;
}

const VIRTUAL_HOST = [/^(.+)\.s3\.localhost$/, /^(.+)\.s3[.-][a-z0-9-]+\.amazonaws\.com$/, /^(.+)\.s3\.amazonaws\.com$/, /^(.+)\.localhost$/];

/** The bucket and key a raw request addresses, in virtual-host or path style. */
export function addressedObject(headers: IncomingHttpHeaders, url: string): { bucket?: string; key?: string } {
  const host = (headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  const path = url.split('?')[0] ?? '/';
  const segments = path.replace(/^\//, '');
  for (const re of VIRTUAL_HOST) {
    const m = re.exec(host);
    if (m && m[1] !== 's3') return { bucket: m[1], key: decodeURIComponent(segments) || undefined };
  }
  const slash = segments.indexOf('/');
  if (slash < 0) return { bucket: segments ? decodeURIComponent(segments) : undefined };
  return { bucket: decodeURIComponent(segments.slice(0, slash)), key: decodeURIComponent(segments.slice(slash + 1)) || undefined };
}

const xmlEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The route that answers CORS preflight requests for every bucket. */
export function corsPreflightRoute(store: S3Store): HttpRoute {
  return {
    method: 'OPTIONS',
    path: /^\/(?!_atoll\/)/,
    async handle(req, res, ctx) {
      const fail = (status: number, code: string, message: string): void => {
        const body =
          `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>` +
          `<Method>OPTIONS</Method><ResourceType>OBJECT</ResourceType><RequestId>${ctx.requestId}</RequestId>` +
          `<HostId>${ctx.requestId}</HostId></Error>`;
        res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), 'x-amz-request-id': ctx.requestId });
        res.end(body);
      };
      const origin = req.headers.origin;
      const method = req.headers['access-control-request-method'];
      if (typeof origin !== 'string' || typeof method !== 'string') {
        fail(400, 'BadRequest', 'Insufficient information. Origin request header needed.');
        return;
      }
      const { bucket } = addressedObject(req.headers, req.url ?? '/');
      const record = bucket ? await store.getBucket(bucket) : undefined;
      if (!bucket || !record) {
        fail(403, 'AccessForbidden', 'CORSResponse: Bucket not found');
        return;
      }
      const rules = record.config<{ CORSRules?: CorsRule[] }>('cors')?.CORSRules;
      if (!rules) {
        fail(403, 'AccessForbidden', 'CORSResponse: CORS is not enabled for this bucket.');
        return;
      }
      const requested = String(req.headers['access-control-request-headers'] ?? '')
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean);
      const rule = findCorsRule(rules, origin, method, requested);
      if (!rule) {
        fail(
          403,
          'AccessForbidden',
          "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
        );
        return;
      }
      res.writeHead(200, { ...corsResponseHeaders(rule, origin, { requestHeaders: requested }), 'x-amz-request-id': ctx.requestId, 'content-length': 0 });
      res.end();
    },
  };
}
