// Function URLs: their configuration API, and the HTTP endpoint that turns a request into the
// payload format version 2.0 event and the function's answer back into a response. A URL is
// served on the edge listener at `/_atoll/lambda-url/<url-id>/<path>`. An AWS_IAM URL asks for a
// SigV4 signature (signing name `lambda`, header or presigned) and lambda:InvokeFunctionUrl on the
// URL's function ARN, allowed by an identity policy or by the function's policy (AddPermission with
// FunctionUrlAuthType, matched through the `lambda:FunctionUrlAuthType` condition key); a refusal
// answers 403 {"Message":"Forbidden"}, as AWS does.
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallerIdentity, RequestContext } from '@atoll/core';
import { isUniqueViolation } from '@atoll/storage';
import type { LambdaContext } from './lambda-context.js';
import type { UrlConfigRecord } from './lambda-records.js';
import type { LambdaReader } from './lambda-store.js';
import { LambdaErrors } from './lambda-errors.js';
import { functionArn, lambdaTimestamp, parseFunctionName } from './function-names.js';
import { page, scopeOf, type FunctionApi } from './function-api.js';
import type { Invoker } from './invoker.js';
import { SYNC_PAYLOAD_LIMIT } from './invoke-api.js';

export const URL_ROUTE = '/_atoll/lambda-url/';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Input = Record<string, any>;

export class FunctionUrlApi {
  constructor(private readonly c: LambdaContext, private readonly functions: FunctionApi, private readonly invoker: Invoker) {}

  async createFunctionUrlConfig(input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    const ref = parseFunctionName(input.FunctionName, scope, input.Qualifier);
    const qualifier = await this.#qualifier(scope, ref.name, ref.qualifier);
    const exists = () =>
      LambdaErrors.resourceConflict(`Failed to create function url config for [functionArn = ${this.#arn(scope, ref.name, qualifier)}]. Error message:  FunctionUrlConfig exists for this Lambda function`);
    const now = lambdaTimestamp();
    const record: UrlConfigRecord = {
      urlId: randomBytes(16).toString('hex'),
      account: scope.account,
      region: scope.region,
      functionName: ref.name,
      qualifier,
      FunctionArn: this.#arn(scope, ref.name, qualifier),
      AuthType: input.AuthType,
      ...(input.Cors ? { Cors: input.Cors } : {}),
      InvokeMode: input.InvokeMode ?? 'BUFFERED',
      CreationTime: now,
      LastModifiedTime: now,
    };
    try {
      await this.c.store.transaction(async (t) => {
        await this.#qualifier(scope, ref.name, ref.qualifier, t);
        if (await t.getUrl(scope, ref.name, qualifier)) throw exists();
        await t.putUrl(record);
      });
    } catch (error) {
      // Another node created the function's URL at the same moment.
      throw isUniqueViolation(error) ? exists() : error;
    }
    const { LastModifiedTime: _l, ...rest } = this.#view(record, ctx.endpoint) as Record<string, unknown>;
    void _l;
    return rest;
  }

  async getFunctionUrlConfig(input: Input, ctx: RequestContext): Promise<unknown> {
    return this.#view(await this.#require(input, ctx), ctx.endpoint);
  }

  async updateFunctionUrlConfig(input: Input, ctx: RequestContext): Promise<unknown> {
    const record = await this.c.store.transaction(async (t) => {
      const record = await this.#require(input, ctx, t);
      if (input.AuthType) record.AuthType = input.AuthType;
      if (input.Cors !== undefined) record.Cors = input.Cors;
      if (input.InvokeMode) record.InvokeMode = input.InvokeMode;
      record.LastModifiedTime = lambdaTimestamp();
      await t.putUrl(record);
      return record;
    });
    return this.#view(record, ctx.endpoint);
  }

  async deleteFunctionUrlConfig(input: Input, ctx: RequestContext): Promise<Record<string, never>> {
    await this.c.store.transaction(async (t) => t.deleteUrl((await this.#require(input, ctx, t)).urlId));
    return {};
  }

  async listFunctionUrlConfigs(input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    const name = parseFunctionName(input.FunctionName, scope).name;
    await this.functions.requireFunction(scope, name);
    const { items, next } = page((await this.c.store.listUrls(scope, name)).map((u) => this.#view(u, ctx.endpoint)), input.Marker, input.MaxItems);
    return { FunctionUrlConfigs: items, ...(next ? { NextMarker: next } : {}) };
  }

  /** Serves a request to a function URL (`${URL_ROUTE}<url-id>/<path>`). */
  async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const rest = url.pathname.slice(URL_ROUTE.length);
    const slash = rest.indexOf('/');
    const urlId = slash < 0 ? rest : rest.slice(0, slash);
    const rawPath = slash < 0 ? '/' : rest.slice(slash);
    const record = /^[0-9a-f]{32}$/.test(urlId) ? await this.c.store.getUrlById(urlId) : undefined;
    if (!record) return sendJson(res, 404, { Message: 'Not Found' });
    const cors = corsHeaders(record, req);
    if (req.method === 'OPTIONS' && record.Cors && req.headers['access-control-request-method']) {
      res.writeHead(200, cors);
      res.end();
      return;
    }
    const body = await readBody(req, SYNC_PAYLOAD_LIMIT).catch(() => undefined);
    if (!body) return sendJson(res, 413, { Message: 'Request Entity Too Large' }, cors);
    let caller: CallerIdentity | undefined;
    if (record.AuthType !== 'NONE') {
      caller = await this.#authorize(req, body, record);
      if (!caller) return sendJson(res, 403, { Message: 'Forbidden' }, cors);
    }
    const scope = { account: record.account, region: record.region };
    const event = toEvent(req, url, rawPath, body, record, caller);
    try {
      const target = await this.invoker.resolve(scope, record.functionName, record.qualifier === '$LATEST' ? undefined : record.qualifier);
      const result = await this.invoker.run(scope, target, { payload: Buffer.from(JSON.stringify(event)) });
      if (result.functionError) return sendJson(res, 502, { Message: 'Internal Server Error' }, cors);
      writeResult(res, result.payload, cors);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'TooManyRequestsException') return sendJson(res, 429, { Message: 'Rate Exceeded.' }, cors);
      if (code === 'ResourceNotFoundException') return sendJson(res, 404, { Message: 'Not Found' }, cors);
      return sendJson(res, 500, { Message: 'Internal Server Error' }, cors);
    }
  }

  /** An AWS_IAM URL's caller, when its signature holds and lambda:InvokeFunctionUrl is allowed; else undefined. */
  async #authorize(req: IncomingMessage, body: Buffer, record: UrlConfigRecord): Promise<CallerIdentity | undefined> {
    const authorizeSigned = this.c.platform.authorizeSignedRequest;
    if (!authorizeSigned) return undefined;
    const request = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body, sourceIp: req.socket.remoteAddress ?? '' };
    try {
      return await authorizeSigned.call(this.c.platform, request, 'lambda', {
        action: 'lambda:InvokeFunctionUrl',
        resources: [record.FunctionArn],
        context: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' },
      });
    } catch (error) {
      if ((error as { status?: number }).status !== undefined && (error as { status: number }).status < 500) return undefined;
      throw error;
    }
  }

  async #qualifier(scope: { account: string; region: string }, name: string, qualifier: string | undefined, r: LambdaReader = this.c.store): Promise<string> {
    await this.functions.requireFunction(scope, name, r);
    if (qualifier === undefined || qualifier === '$LATEST') return '$LATEST';
    if (/^\d+$/.test(qualifier)) throw LambdaErrors.invalidParameter('Function URLs can be created on $LATEST or an alias, not on a version.');
    if (!(await r.getAlias(scope, name, qualifier))) throw LambdaErrors.functionNotFound(`${functionArn(scope, name)}:${qualifier}`);
    return qualifier;
  }

  #arn(scope: { account: string; region: string }, name: string, qualifier: string): string {
    return qualifier === '$LATEST' ? functionArn(scope, name) : `${functionArn(scope, name)}:${qualifier}`;
  }

  async #require(input: Input, ctx: RequestContext, r: LambdaReader = this.c.store): Promise<UrlConfigRecord> {
    const scope = scopeOf(ctx);
    const ref = parseFunctionName(input.FunctionName, scope, input.Qualifier);
    await this.functions.requireFunction(scope, ref.name, r);
    const record = await r.getUrl(scope, ref.name, ref.qualifier ?? '$LATEST');
    if (!record) throw LambdaErrors.resourceNotFound('The resource you requested does not exist.');
    return record;
  }

  #view(u: UrlConfigRecord, endpoint: string): unknown {
    return {
      FunctionUrl: `${this.c.platform.endpoint?.() || endpoint}${URL_ROUTE}${u.urlId}/`,
      FunctionArn: u.FunctionArn,
      AuthType: u.AuthType,
      ...(u.Cors ? { Cors: u.Cors } : {}),
      CreationTime: u.CreationTime,
      LastModifiedTime: u.LastModifiedTime,
      InvokeMode: u.InvokeMode,
    };
  }
}

function toEvent(req: IncomingMessage, url: URL, rawPath: string, body: Buffer, record: UrlConfigRecord, caller?: CallerIdentity): unknown {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name === 'cookie') continue;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const cookies = typeof req.headers.cookie === 'string' ? req.headers.cookie.split(/;\s*/).filter(Boolean) : undefined;
  const contentType = String(req.headers['content-type'] ?? '');
  const textual = body.length === 0 || /^(text\/|application\/(json|xml|x-www-form-urlencoded|javascript))/.test(contentType);
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: url.search.slice(1),
    ...(cookies?.length ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: caller ? caller.accountId : 'anonymous',
      apiId: record.urlId,
      ...(caller
        ? {
            authorizer: {
              iam: {
                accessKey: caller.accessKeyId ?? null,
                accountId: caller.accountId,
                callerId: caller.principalId,
                cognitoIdentity: null,
                principalOrgId: null,
                userArn: caller.arn,
                userId: caller.principalId,
              },
            },
          }
        : {}),
      domainName: String(req.headers.host ?? 'localhost'),
      domainPrefix: record.urlId,
      http: {
        method: req.method ?? 'GET',
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: String(req.headers['user-agent'] ?? ''),
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: clfTime(now),
      timeEpoch: now.getTime(),
    },
    ...(body.length ? { body: textual ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !textual,
  };
}

function writeResult(res: ServerResponse, payload: Buffer, cors: Record<string, string>): void {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    value = payload.toString('utf8');
  }
  const isResponse = value !== null && typeof value === 'object' && !Array.isArray(value) && 'statusCode' in value;
  if (!isResponse) {
    // A result without statusCode is the body of a 200 JSON response, as Lambda infers it.
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    res.writeHead(200, { ...cors, 'content-type': 'application/json' });
    res.end(text);
    return;
  }
  const r = value as { statusCode: number; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean; cookies?: string[] };
  const headers: Record<string, string | string[]> = { ...cors, 'content-type': 'application/json', ...(r.headers ?? {}) };
  if (r.cookies?.length) headers['set-cookie'] = r.cookies;
  const body = r.body === undefined ? Buffer.alloc(0) : r.isBase64Encoded ? Buffer.from(r.body, 'base64') : Buffer.from(typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
  res.writeHead(Number(r.statusCode) || 200, headers);
  res.end(body);
}

function corsHeaders(record: UrlConfigRecord, req: IncomingMessage): Record<string, string> {
  const cors = record.Cors;
  const origin = req.headers.origin;
  if (!cors || typeof origin !== 'string') return {};
  const origins = cors.AllowOrigins ?? [];
  if (!origins.includes('*') && !origins.includes(origin)) return {};
  const headers: Record<string, string> = { 'access-control-allow-origin': origins.includes('*') && !cors.AllowCredentials ? '*' : origin };
  if (cors.AllowMethods?.length) headers['access-control-allow-methods'] = cors.AllowMethods.join(',');
  if (cors.AllowHeaders?.length) headers['access-control-allow-headers'] = cors.AllowHeaders.join(',');
  if (cors.ExposeHeaders?.length) headers['access-control-expose-headers'] = cors.ExposeHeaders.join(',');
  if (cors.MaxAge) headers['access-control-max-age'] = String(cors.MaxAge);
  if (cors.AllowCredentials) headers['access-control-allow-credentials'] = 'true';
  return headers;
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...extra, 'content-type': 'application/json' });
  res.end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.destroy();
        reject(new Error('too large'));
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function clfTime(d: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
