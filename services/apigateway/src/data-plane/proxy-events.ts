// The Lambda proxy integration's wire formats: the event a function receives (payload format 1.0,
// which REST APIs also use, and 2.0) and how its result becomes the HTTP answer, with the rules
// AWS documents (2.0: a result without `statusCode` that is valid JSON is a 200 JSON body).
import type { IncomingHttpHeaders } from 'node:http';

/** One request as the data plane has read it. */
export interface ApiRequest {
  method: string;
  /** The path as the client sent it, stage included (`/prod/items/1`), without the query. */
  rawPath: string;
  /** The path after the stage (`/items/1`). */
  path: string;
  /**
   * The path routing starts from: `rawPath` on the execute-api forms, the path after the mapping's
   * key on a custom domain (with the stage first unless `mappedStage` names it).
   */
  routePath?: string;
  /** The stage a custom domain's mapping names. */
  mappedStage?: string;
  /** The request target as received (signatures cover it). */
  url?: string;
  /** A REST API's binary media types (when it has any): they alone decide what is binary. */
  binaryMediaTypes?: readonly string[];
  /** What the handler matched, for access logs: REST APIs' resource path, HTTP APIs' route key. */
  resourcePath?: string;
  routeKey?: string;
  /** The AWS_IAM caller (`$context.identity`'s accessKey, accountId, caller, user, userArn). */
  caller?: Record<string, string | null>;
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  sourceIp: string;
  requestId: string;
  time: Date;
  apiId: string;
  accountId: string;
  region: string;
  stage: string;
  domainName: string;
  /** A traced request's stage segment and the header its integrations get (stage-trace.ts). */
  trace?: { root: string; parent?: string; id: string; header: string };
  /** The headers as received, when `headers` was given the stage's trace header (SigV4 checks these). */
  receivedHeaders?: IncomingHttpHeaders;
}

export interface ProxyResult {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

const TEXT_TYPE = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded|graphql)|[^;]*\+(json|xml))/i;

/** Whether a body goes to the function base64-encoded (binary content types). */
export function isBinaryBody(headers: IncomingHttpHeaders, body: Buffer): boolean {
  if (body.length === 0) return false;
  const type = String(headers['content-type'] ?? '');
  return type !== '' && !TEXT_TYPE.test(type);
}

/** Whether a Content-Type matches one of a REST API's binary media types (an exact type, `image/` with a star, or any). */
export function matchesMediaType(contentType: unknown, types: readonly string[]): boolean {
  const type = String(contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === '') return types.includes('*/*');
  return types.some((t) => {
    const want = t.toLowerCase();
    return want === '*/*' || want === type || (want.endsWith('/*') && type.startsWith(want.slice(0, -1)));
  });
}

/** Whether a request's body goes on base64-encoded: by the API's binary media types, else by its content. */
export function isBinaryRequest(req: ApiRequest): boolean {
  if (req.body.length === 0) return false;
  return req.binaryMediaTypes ? matchesMediaType(req.headers['content-type'], req.binaryMediaTypes) : isBinaryBody(req.headers, req.body);
}

function bodyField(req: ApiRequest): { body: string | null; isBase64Encoded: boolean } {
  if (req.body.length === 0) return { body: null, isBase64Encoded: false };
  const binary = isBinaryRequest(req);
  return { body: binary ? req.body.toString('base64') : req.body.toString('utf8'), isBase64Encoded: binary };
}

/** `12/Mar/2020:19:03:58 +0000`, API Gateway's request time. */
export function requestTime(time: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(time.getUTCDate())}/${months[time.getUTCMonth()]}/${time.getUTCFullYear()}:${p(time.getUTCHours())}:${p(time.getUTCMinutes())}:${p(time.getUTCSeconds())} +0000`;
}

function queryPairs(rawQuery: string): [string, string][] {
  if (!rawQuery) return [];
  return [...new URLSearchParams(rawQuery)];
}

/** Payload format 2.0 (HTTP APIs). */
export function eventV2(req: ApiRequest, routeKey: string, pathParameters: Record<string, string>, stageVariables: Record<string, string>, authorizer?: unknown): Record<string, unknown> {
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (name === 'cookie') {
      cookies = String(value).split(/;\s*/).filter(Boolean);
      continue;
    }
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of queryPairs(req.rawQuery)) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey,
    rawPath: req.rawPath,
    rawQueryString: req.rawQuery,
    ...(cookies ? { cookies } : {}),
    headers,
    ...(req.rawQuery ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: req.accountId,
      apiId: req.apiId,
      ...(authorizer !== undefined ? { authorizer } : {}),
      domainName: req.domainName,
      domainPrefix: req.domainName.split('.')[0],
      http: { method: req.method, path: req.rawPath, protocol: 'HTTP/1.1', sourceIp: req.sourceIp, userAgent: String(req.headers['user-agent'] ?? '') },
      requestId: req.requestId,
      routeKey,
      stage: req.stage,
      time: requestTime(req.time),
      timeEpoch: req.time.getTime(),
    },
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    ...(Object.keys(stageVariables).length > 0 ? { stageVariables } : {}),
  };
  const { body, isBase64Encoded } = bodyField(req);
  if (body !== null) event.body = body;
  event.isBase64Encoded = isBase64Encoded;
  return event;
}

/** Payload format 1.0: REST APIs' proxy event, and HTTP APIs' with `version: '1.0'`. */
export function eventV1(
  req: ApiRequest,
  resource: { path: string; id: string },
  pathParameters: Record<string, string>,
  stageVariables: Record<string, string>,
  extra: { version?: boolean; authorizer?: unknown; apiKey?: string; apiKeyId?: string; caller?: Record<string, string | null> } = {},
): Record<string, unknown> {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    headers[name] = values[values.length - 1]!;
    multiValueHeaders[name] = values;
  }
  const pairs = queryPairs(req.rawQuery);
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of pairs) {
    query[k] = v;
    (multiQuery[k] ??= []).push(v);
  }
  const { body, isBase64Encoded } = bodyField(req);
  return {
    ...(extra.version ? { version: '1.0' } : {}),
    resource: resource.path,
    path: req.path,
    httpMethod: req.method,
    headers,
    multiValueHeaders,
    queryStringParameters: pairs.length > 0 ? query : null,
    multiValueQueryStringParameters: pairs.length > 0 ? multiQuery : null,
    requestContext: {
      accountId: req.accountId,
      apiId: req.apiId,
      ...(extra.authorizer !== undefined ? { authorizer: extra.authorizer } : {}),
      domainName: req.domainName,
      domainPrefix: req.domainName.split('.')[0],
      extendedRequestId: req.requestId,
      httpMethod: req.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: extra.apiKey ?? null,
        apiKeyId: extra.apiKeyId ?? null,
        caller: null,
        sourceIp: req.sourceIp,
        user: null,
        userAgent: String(req.headers['user-agent'] ?? ''),
        userArn: null,
        ...extra.caller,
      },
      path: req.rawPath,
      protocol: 'HTTP/1.1',
      requestId: req.requestId,
      requestTime: requestTime(req.time),
      requestTimeEpoch: req.time.getTime(),
      resourceId: resource.id,
      resourcePath: resource.path,
      stage: req.stage,
    },
    pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : null,
    stageVariables: Object.keys(stageVariables).length > 0 ? stageVariables : null,
    body,
    isBase64Encoded,
  };
}

function headersOf(result: Record<string, unknown>): Record<string, string | string[]> | undefined {
  const out: Record<string, string | string[]> = {};
  const single = result.headers;
  const multi = result.multiValueHeaders;
  if (single !== undefined && single !== null && (typeof single !== 'object' || Array.isArray(single))) return undefined;
  if (multi !== undefined && multi !== null && (typeof multi !== 'object' || Array.isArray(multi))) return undefined;
  for (const [k, v] of Object.entries((multi as Record<string, unknown>) ?? {})) out[k.toLowerCase()] = (Array.isArray(v) ? v : [v]).map(String);
  for (const [k, v] of Object.entries((single as Record<string, unknown>) ?? {})) out[k.toLowerCase()] = String(v);
  return out;
}

function bodyOf(result: Record<string, unknown>): Buffer | undefined {
  const body = result.body;
  if (body === undefined || body === null) return Buffer.alloc(0);
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  if (result.isBase64Encoded === true) return Buffer.from(text, 'base64');
  return Buffer.from(text, 'utf8');
}

/** A 1.0 result (`statusCode`, `headers`, `multiValueHeaders`, `body`, `isBase64Encoded`); undefined when malformed. */
export function resultV1(payload: string): ProxyResult | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const result = parsed as Record<string, unknown>;
  const status = Number(result.statusCode);
  if (!Number.isInteger(status) || status < 100 || status > 599) return undefined;
  if (result.body !== undefined && result.body !== null && typeof result.body !== 'string') return undefined;
  const headers = headersOf(result);
  const body = bodyOf(result);
  if (!headers || !body) return undefined;
  return { status, headers, body };
}

/** A 2.0 result: as 1.0 (with `cookies`), or any other JSON value as a 200 JSON body; undefined when malformed. */
export function resultV2(payload: string): ProxyResult | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && 'statusCode' in parsed) {
    const result = parsed as Record<string, unknown>;
    const status = Number(result.statusCode);
    if (!Number.isInteger(status) || status < 100 || status > 599) return undefined;
    const headers = headersOf(result);
    if (!headers) return undefined;
    if (Array.isArray(result.cookies)) headers['set-cookie'] = result.cookies.map(String);
    const body = bodyOf(result);
    if (!body) return undefined;
    return { status, headers, body };
  }
  const body = typeof parsed === 'string' ? parsed : payload;
  return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body, 'utf8') };
}
