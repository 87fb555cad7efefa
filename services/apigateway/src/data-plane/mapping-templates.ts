// REST APIs' mapping templates in Velocity (VTL, rendered by velocityjs) with API Gateway's
// variables: `$input` (`body`, `json(path)`, `path(path)`, `params()`/`params(name)`), `$util`
// (`escapeJavaScript`, `base64Encode`/`base64Decode`, `urlEncode`/`urlDecode`, `parseJson`),
// `$context` and `$stageVariables`; the choice of a request template by Content-Type with the
// passthrough behaviours; and the choice of an integration response by its selection pattern.
// Known limitations: JSONPath covers `$`, `.name`, `['name']`, `[index]` and `[*]`; `$util.escapeJavaScript`
// follows AWS's documented escapes, not every quirk.
import { render } from 'velocityjs';
import type { IntegrationDoc } from '../v1/rest-api-records.js';
import type { ApiRequest } from './proxy-events.js';
import { requestTime } from './proxy-events.js';

/** Reads a JSONPath (`$`, `$.a.b`, `$.a[0]`, `$['a']`, `$.items[*].id`) out of a value. */
export function jsonPath(value: unknown, path: string): unknown {
  const p = path.trim();
  if (p === '$' || p === '') return value;
  if (!p.startsWith('$')) return undefined;
  const steps: (string | number | '*')[] = [];
  const re = /\.([A-Za-z0-9_$-]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]|\[\*\]|\.\*/g;
  let m: RegExpExecArray | null;
  let consumed = 1;
  while ((m = re.exec(p)) !== null) {
    if (m.index !== consumed) return undefined;
    consumed = m.index + m[0].length;
    if (m[1] !== undefined) steps.push(m[1]);
    else if (m[2] !== undefined) steps.push(Number(m[2]));
    else if (m[3] !== undefined) steps.push(m[3]);
    else if (m[4] !== undefined) steps.push(m[4]);
    else steps.push('*');
  }
  if (consumed !== p.length) return undefined;
  let current: unknown[] = [value];
  let many = false;
  for (const step of steps) {
    const next: unknown[] = [];
    for (const item of current) {
      if (item === null || typeof item !== 'object') continue;
      if (step === '*') {
        many = true;
        next.push(...(Array.isArray(item) ? item : Object.values(item)));
      } else {
        const v = (item as Record<string | number, unknown>)[step];
        if (v !== undefined) next.push(v);
      }
    }
    current = next;
  }
  return many ? current : current[0];
}

/** `$util.escapeJavaScript`: escapes for a JavaScript (and JSON) string literal. */
export function escapeJavaScript(text: unknown): string {
  return String(text ?? '')
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/'/g, "\\'")
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    .replace(/[\u0000-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export interface TemplateScope {
  req: ApiRequest;
  /** The body `$input` reads: the request's for request templates, the integration's for response templates. */
  body: string;
  pathParameters: Record<string, string>;
  stageVariables: Record<string, string>;
  resourcePath: string;
  resourceId: string;
  authorizer?: Record<string, unknown>;
  /** Gateway responses: `$context.error` (message, messageString, responseType, validationErrorString). */
  error?: Record<string, string>;
}

export function renderTemplate(template: string, scope: TemplateScope): string {
  const { req } = scope;
  let parsed: unknown;
  let parsedOnce = false;
  const json = () => {
    if (!parsedOnce) {
      parsedOnce = true;
      try {
        parsed = scope.body === '' ? {} : JSON.parse(scope.body);
      } catch {
        parsed = undefined;
      }
    }
    return parsed;
  };
  const query = Object.fromEntries(new URLSearchParams(req.rawQuery));
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  const headerOf = (name: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  const input = {
    body: scope.body,
    json: (path = '$') => JSON.stringify(jsonPath(json(), path) ?? null),
    path: (path = '$') => jsonPath(json(), path),
    params: (name?: string) => {
      if (name === undefined) return { path: scope.pathParameters, querystring: query, header: headers };
      return scope.pathParameters[name] ?? query[name] ?? headerOf(name) ?? '';
    },
  };
  const util = {
    escapeJavaScript,
    base64Encode: (s: unknown) => Buffer.from(String(s ?? ''), 'utf8').toString('base64'),
    base64Decode: (s: unknown) => Buffer.from(String(s ?? ''), 'base64').toString('utf8'),
    urlEncode: (s: unknown) => encodeURIComponent(String(s ?? '')),
    urlDecode: (s: unknown) => decodeURIComponent(String(s ?? '')),
    parseJson: (s: unknown) => JSON.parse(String(s)),
  };
  const context = {
    accountId: req.accountId,
    apiId: req.apiId,
    domainName: req.domainName,
    domainPrefix: req.domainName.split('.')[0],
    extendedRequestId: req.requestId,
    httpMethod: req.method,
    identity: { sourceIp: req.sourceIp, userAgent: String(req.headers['user-agent'] ?? ''), ...req.caller },
    path: req.rawPath,
    protocol: 'HTTP/1.1',
    requestId: req.requestId,
    requestTime: requestTime(req.time),
    requestTimeEpoch: req.time.getTime(),
    resourceId: scope.resourceId,
    resourcePath: scope.resourcePath,
    stage: req.stage,
    authorizer: scope.authorizer ?? {},
    ...(scope.error ? { error: scope.error } : {}),
  };
  return render(template, { input, util, context, stageVariables: scope.stageVariables });
}

export type RequestMapping = { ok: true; body: string } | { ok: false };

/**
 * The integration request body: the request template for the request's Content-Type (default
 * `application/json`), or the body as it came when the passthrough behaviour allows it; not ok
 * is 415 Unsupported Media Type.
 */
export function mapRequest(integration: IntegrationDoc, scope: TemplateScope): RequestMapping {
  const templates = integration.requestTemplates ?? {};
  const type = String(scope.req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  const template = templates[type];
  if (template !== undefined) return { ok: true, body: template === '' ? scope.body : renderTemplate(template, scope) };
  const behaviour = String(integration.passthroughBehavior ?? 'WHEN_NO_MATCH').toUpperCase();
  const hasTemplates = Object.keys(templates).length > 0;
  if (behaviour === 'WHEN_NO_MATCH' || (behaviour === 'WHEN_NO_TEMPLATES' && !hasTemplates)) return { ok: true, body: scope.body };
  return { ok: false };
}

export interface IntegrationResponseDoc {
  statusCode: string;
  selectionPattern?: string;
  responseTemplates?: Record<string, string>;
  responseParameters?: Record<string, string>;
  /** CONVERT_TO_BINARY: the mapped body is base64 text to decode; CONVERT_TO_TEXT: binary to encode. */
  contentHandling?: string;
}

/** The integration response whose selection pattern matches `selector` (whole match), else the default one. */
export function selectIntegrationResponse(integration: IntegrationDoc, selector: string): IntegrationResponseDoc | undefined {
  const responses = Object.values(integration.integrationResponses ?? {}) as IntegrationResponseDoc[];
  for (const r of responses) {
    if (!r.selectionPattern) continue;
    try {
      if (new RegExp(`^(?:${r.selectionPattern})$`, 's').test(selector)) return r;
    } catch {
      // An invalid pattern never matches.
    }
  }
  return responses.find((r) => !r.selectionPattern);
}

/** The method response: its status, its headers (literals and `integration.response.header.*`), its body through the template. */
export function mapResponse(
  chosen: IntegrationResponseDoc,
  scope: TemplateScope,
  backendHeaders: Record<string, string>,
): { status: number; headers: Record<string, string>; body: Buffer } {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [target, source] of Object.entries(chosen.responseParameters ?? {})) {
    const name = /^method\.response\.header\.(.+)$/.exec(target)?.[1];
    if (!name) continue;
    const literal = /^'(.*)'$/s.exec(source)?.[1];
    const fromHeader = /^integration\.response\.header\.(.+)$/.exec(source)?.[1];
    const value = literal ?? (fromHeader ? backendHeaders[fromHeader.toLowerCase()] : undefined);
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const templates = chosen.responseTemplates ?? {};
  const template = templates['application/json'] ?? Object.values(templates)[0];
  const body = template === undefined || template === '' ? scope.body : renderTemplate(template, scope);
  return { status: Number(chosen.statusCode), headers, body: Buffer.from(body, chosen.contentHandling === 'CONVERT_TO_BINARY' ? 'base64' : 'utf8') };
}
