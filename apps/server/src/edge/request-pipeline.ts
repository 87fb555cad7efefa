// The edge: every AWS-compatible request passes these named steps in order (DESIGN.md):
//   1 identify (request id, trace)   2 route (service, operation)   3 authenticate (SigV4)
//   4 parse + validate (model)       5 authorize (IAM policies)     6 dispatch (provider)
//   7 serialize                      8 finalize (audit, metrics, log)
// Authorization follows parsing (DESIGN.md has it before): the resource ARNs that identity
// policies name come from the typed input (a queue URL, a table name, a bucket and key).
// Cross-cutting work lives here and only here; providers see typed input and return typed output.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { OperationModel, ServiceModel } from '@atoll/aws-models';
import {
  jsonProtocol,
  queryParams,
  queryProtocol,
  restJsonProtocol,
  restXmlProtocol,
  validateInput,
  type ProtocolCodec,
  type ProtocolRequest,
  type ProtocolResponse,
} from '@atoll/aws-protocol';
import {
  AuthError,
  AwsChunkedDecoder,
  accessDeniedError,
  authorize as authorizeRequest,
  compilePolicies,
  ConditionContext,
  PayloadHashVerifier,
  STREAMING_SIGNED,
  STREAMING_SIGNED_TRAILER,
  STREAMING_UNSIGNED_TRAILER,
  authenticationKind,
  needsBodyHash,
  peekCredentialScope,
  sha256Hex,
  verifySigV4,
  AuthErrors,
  type AuthDialect,
} from '@atoll/auth';
import {
  API_CALL_COMPLETED,
  API_CALL_TRACED,
  AtollError,
  CommonErrors,
  ServiceError,
  newRequestId,
  serviceError,
  type AtollConfig,
  type CallerIdentity,
  type EventBus,
  type IamRequest,
  type Logger,
  type RequestContext,
  type ServiceProvider,
  type SignedHttpRequest,
} from '@atoll/core';
import type { AuditLog, RequestMetrics } from '@atoll/telemetry';
import { traceFromHeaders } from '@atoll/telemetry';
import { apiCallDetail } from './api-call-event.js';
import { encodeAuditEvent } from './audit-event.js';
import { redactionPlan } from './audit-redaction.js';
import { decodedBody } from './content-encoding.js';
import { writeResponse } from './respond.js';
import { resolveService, virtualHostBucket } from './resolve-service.js';
import type { ServedService, ServiceDirectory } from './service-directory.js';
import type { IdentityResolver } from '../identity/identity-resolver.js';
import { rootIdentity } from '../identity/identity-resolver.js';

const DEFAULT_MAX_BODY = 20 * 1024 * 1024;
const MAX_BODY: Record<string, number> = { lambda: 80 * 1024 * 1024, ecr: 80 * 1024 * 1024 };
const IAM_NAMESPACE: Record<string, string> = { monitoring: 'cloudwatch' };
/** STS operations that are called unsigned (the token in the input is the credential). */
const UNSIGNED_STS = new Set(['AssumeRoleWithWebIdentity', 'AssumeRoleWithSAML']);
/** Operations every authenticated principal may call, as in AWS. */
const ALWAYS_ALLOWED = new Set(['sts:GetCallerIdentity', 'sts:GetSessionToken']);

export interface PipelineDeps {
  config: AtollConfig;
  directory: ServiceDirectory;
  identities: IdentityResolver;
  logger: Logger;
  metrics: RequestMetrics;
  audit: AuditLog;
  /** Aborted when the platform shuts down. */
  shutdown: AbortSignal;
  /** The edge's base URL once bound. */
  endpoint: () => string;
  /** The platform bus, for `edge.ApiCallCompleted` (published only while subscribed). */
  bus?: EventBus;
}

/** Everything one request accumulates on its way through the chain. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  started: number;
  time: Date;
  requestId: string;
  traceHeader: string;
  traceId: string;
  rawPath: string;
  rawQuery: string;
  query: URLSearchParams;
  service?: ServedService;
  provider?: ServiceProvider;
  model?: ServiceModel;
  codec?: ProtocolCodec;
  operation?: OperationModel;
  uriParams: Record<string, string>;
  body?: Buffer;
  bodyStream?: Readable;
  trailers?: () => Record<string, string>;
  identity?: CallerIdentity;
  /** The SigV4 credential scope named by the request (read once, verified in authenticate). */
  scope: ReturnType<typeof peekCredentialScope>;
  region: string;
  input?: Record<string, unknown>;
  output?: unknown;
  error?: ServiceError;
  status?: number;
}

/** The service that authorizes a data plane's SigV4 requests, by signing name. */
const DATA_PLANE_OWNERS: Record<string, string> = { 'execute-api': 'apigateway', 'rds-db': 'rds' };

class BodyTooLarge extends Error {}

const EMPTY_BODY = Buffer.alloc(0);

/**
 * A request with neither Content-Length (or 0) nor Transfer-Encoding has no body (RFC 9112 §6.3):
 * there is nothing to wait for, and Node discards the empty message once the response is sent.
 */
function hasNoBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function codecFor(service: ServedService, ex: Exchange, form: URLSearchParams | undefined): ProtocolCodec {
  const protocols = service.entry.protocols;
  if (protocols.includes('json') && ex.req.headers['x-amz-target'] !== undefined) return jsonProtocol;
  if (protocols.includes('query') && (form?.has('Action') || ex.query.has('Action'))) return queryProtocol;
  switch (service.entry.protocol) {
    case 'json':
      return jsonProtocol;
    case 'query':
      return queryProtocol;
    case 'rest-json':
      return restJsonProtocol;
    default:
      return restXmlProtocol;
  }
}

function dialectFor(service: ServedService | undefined, codec: ProtocolCodec | undefined): AuthDialect {
  if (service?.name === 's3') return 's3';
  if (!codec) return 'query';
  return codec.name === 'rest-xml' ? 'query' : codec.name;
}

/**
 * The (action, resource) pairs a call is authorized on: the action on each resource the provider
 * names, or on `*` when it names none, then its further checks. A provider that names no resources
 * but further checks (a batch of PartiQL statements) is authorized on those alone.
 */
function iamChecks(action: string, asked: IamRequest | undefined): { action: string; resource: string }[] {
  const also = asked?.also ?? [];
  const resources = asked?.resources ?? [];
  if (resources.length === 0 && also.length > 0 && asked?.resources !== undefined) return [...also];
  return [...(resources.length > 0 ? resources : ['*']).map((resource) => ({ action, resource })), ...also];
}

/** The request's session token: the `X-Amz-Security-Token` header, or the presigned URL's parameter. */
function sessionTokenOf(ex: Exchange): string | undefined {
  const header = ex.req.headers['x-amz-security-token'];
  if (typeof header === 'string') return header;
  return ex.rawQuery.includes('X-Amz-Security-Token') ? (ex.query.get('X-Amz-Security-Token') ?? undefined) : undefined;
}

function isFormRequest(req: IncomingMessage): boolean {
  return req.method === 'POST' && String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
}

/**
 * What a provider's operation sees of its request. The abort signal is made on first use: most
 * operations never look at it.
 */
class EdgeRequestContext implements RequestContext {
  readonly requestId: string;
  readonly traceId: string;
  readonly service: string;
  readonly operation: string;
  readonly accountId: string;
  readonly region: string;
  readonly identity: CallerIdentity;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly endpoint: string;
  readonly headers: IncomingMessage['headers'];
  readonly trailers: (() => Record<string, string>) | undefined;
  readonly #res: ServerResponse;
  readonly #socket: IncomingMessage['socket'];
  readonly #shutdown: AbortSignal;
  #abort: AbortController | undefined;
  #onShutdown: (() => void) | undefined;

  constructor(ex: Exchange, shutdown: AbortSignal, accountId: string, endpoint: () => string) {
    const headers = ex.req.headers;
    this.requestId = ex.requestId;
    this.traceId = ex.traceId;
    this.service = ex.service!.name;
    this.operation = ex.operation!.name;
    this.accountId = accountId;
    this.region = ex.region;
    this.identity = ex.identity!;
    this.sourceIp = ex.req.socket.remoteAddress ?? '';
    this.userAgent = String(headers['user-agent'] ?? '');
    this.endpoint = headers.host ? `http://${headers.host}` : endpoint();
    this.headers = headers;
    this.trailers = ex.trailers;
    this.#res = ex.res;
    this.#socket = ex.req.socket;
    this.#shutdown = shutdown;
  }

  get signal(): AbortSignal {
    if (this.#abort) return this.#abort.signal;
    const controller = (this.#abort = new AbortController());
    const res = this.#res;
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    this.#onShutdown = () => controller.abort();
    this.#shutdown.addEventListener('abort', this.#onShutdown, { once: true });
    // The request stream is destroyed once its body is read; the socket tells whether the client left.
    if (this.#socket.destroyed && !res.writableFinished) controller.abort();
    return controller.signal;
  }

  /** Lets go of the platform's shutdown signal once the operation has returned. */
  release(): void {
    if (this.#onShutdown) this.#shutdown.removeEventListener('abort', this.#onShutdown);
  }
}

export class RequestPipeline {
  readonly #deps: PipelineDeps;

  constructor(deps: PipelineDeps) {
    this.#deps = deps;
  }

  /** Handles one AWS API request end to end; never throws. */
  async handle(req: IncomingMessage, res: ServerResponse, rawPath: string, rawQuery: string): Promise<void> {
    const trace = traceFromHeaders(req.headers);
    const ex: Exchange = {
      req,
      res,
      started: performance.now(),
      time: new Date(),
      requestId: newRequestId(),
      traceHeader: trace.header,
      traceId: trace.traceId,
      rawPath,
      rawQuery,
      query: new URLSearchParams(rawQuery),
      uriParams: {},
      scope: peekCredentialScope({ headers: req.headers, query: rawQuery }),
      region: this.#deps.config.region,
    };
    try {
      await this.route(ex);
      await this.authenticate(ex);
      this.parse(ex);
      await this.authorize(ex);
      await this.dispatch(ex);
      await this.serialize(ex);
    } catch (error) {
      await this.fail(ex, error);
    } finally {
      this.finalize(ex);
    }
  }

  /** Step 2: the service, its protocol, the operation, and the body when it is not streamed. */
  private async route(ex: Exchange): Promise<void> {
    const { directory } = this.#deps;
    const req = ex.req;
    let form: URLSearchParams | undefined;
    if (isFormRequest(req)) {
      ex.body = await this.readLimitedBody(ex, ex.scope?.service ?? '');
      form = new URLSearchParams(decodedBody(ex.body, req).toString('utf8'));
    }
    const service = await resolveService(directory, { headers: req.headers, rawQuery: ex.rawQuery, rawPath: ex.rawPath, method: req.method ?? 'GET', form, scope: ex.scope });
    if (!service) {
      throw serviceError('UnknownService', 400, 'The request does not name a service that Atoll serves (no X-Amz-Target, Action or SigV4 credential scope matched).');
    }
    ex.service = service;
    ex.codec = codecFor(service, ex, form);
    // Activated services and loaded models are used as they are, without a turn of the event loop.
    ex.provider = service.provider ?? (await service.activate());
    const model = (ex.model = directory.loadedModel(service.name) ?? (await directory.model(service.name)));
    switch (ex.codec.name) {
      case 'json': {
        const target = String(req.headers['x-amz-target'] ?? '');
        const name = target.slice(target.lastIndexOf('.') + 1);
        ex.operation = model.operations[name];
        if (!ex.operation) throw serviceError('UnknownOperationException', 400, `Unknown operation ${name}`);
        break;
      }
      case 'query': {
        const params = form ?? ex.query;
        const action = params.get('Action');
        if (!action) throw serviceError('MissingAction', 400, 'Missing Action');
        ex.operation = model.operations[action];
        if (!ex.operation) {
          throw serviceError('InvalidAction', 400, `The action ${action} is not valid for this web service.`);
        }
        break;
      }
      default: {
        let path = ex.rawPath;
        if (service.name === 's3') {
          const bucket = virtualHostBucket(req.headers.host);
          if (bucket) path = `/${encodeURIComponent(bucket)}${path === '/' ? '' : path}`;
        }
        const router = directory.loadedRouter(service.name) ?? (await directory.router(service.name));
        const match = router.match(req.method ?? 'GET', path, ex.query, req.headers);
        if (!match) {
          if (router.pathExists(path)) throw serviceError('MethodNotAllowed', 405, 'The specified method is not allowed against this resource.');
          throw serviceError(service.name === 's3' ? 'InvalidRequest' : 'UnknownOperationException', service.name === 's3' ? 400 : 404, `No operation of ${service.name} matches ${req.method} ${ex.rawPath}`);
        }
        ex.operation = match.operation;
        ex.uriParams = match.uriParams;
      }
    }
    if (ex.body === undefined && !this.streamsInput(ex)) {
      ex.body = hasNoBody(req) ? EMPTY_BODY : await this.readLimitedBody(ex, service.name);
    }
  }

  private async readLimitedBody(ex: Exchange, service: string): Promise<Buffer> {
    try {
      return await readBody(ex.req, MAX_BODY[service] ?? DEFAULT_MAX_BODY);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        throw serviceError(service === 'lambda' ? 'RequestEntityTooLargeException' : 'RequestEntityTooLarge', 413, 'Request must be smaller than the maximum request size.');
      }
      throw serviceError('IncompleteBody', 400, 'The request body terminated unexpectedly');
    }
  }

  private streamsInput(ex: Exchange): boolean {
    const input = ex.operation?.input;
    if (!input || !ex.model) return false;
    const shape = ex.model.shapes[input.shape];
    if (!shape?.payload) return false;
    const member = shape.members?.[shape.payload];
    return Boolean(member?.streaming || (member && ex.model.shapes[member.shape]?.streaming));
  }

  /**
   * Step 3: SigV4 (header or presigned), or the permissive mode when it was asked for by name.
   * Temporary credentials bring their session token (`X-Amz-Security-Token` header, or query
   * parameter when presigned): STS's opener gives the key's secret and the session's identity.
   */
  private async authenticate(ex: Exchange): Promise<void> {
    const { config, identities } = this.#deps;
    const req = ex.req;
    const dialect = dialectFor(ex.service, ex.codec);
    const kind = authenticationKind({ headers: req.headers, query: ex.rawQuery });
    const scope = ex.scope;
    if (scope?.region) ex.region = scope.region;
    if (config.authMode === 'permissive') {
      const token = kind === 'none' ? undefined : sessionTokenOf(ex);
      const known = scope ? await identities.lookup(scope.accessKeyId, token).catch(() => undefined) : undefined;
      ex.identity = known?.identity ?? rootIdentity(config.accountId, scope?.accessKeyId);
      this.attachStream(ex, undefined);
      return;
    }
    if (kind === 'none') {
      if (ex.service?.name === 's3' || (ex.service?.name === 'sts' && UNSIGNED_STS.has(ex.operation?.name ?? ''))) {
        ex.identity = { type: 'Anonymous', accountId: config.accountId, arn: '', principalId: 'anonymous' };
        this.attachStream(ex, undefined);
        return;
      }
      throw AuthErrors.missingToken(dialect);
    }
    const bodyHash = ex.body !== undefined && needsBodyHash({ headers: req.headers, query: ex.rawQuery }, scope) ? sha256Hex(ex.body) : undefined;
    const result = await verifySigV4(
      { method: req.method ?? 'GET', path: ex.rawPath, query: ex.rawQuery, headers: req.headers, bodyHash },
      {
        lookupSecret: async (accessKeyId, { sessionToken }) => {
          try {
            return await identities.lookup(accessKeyId, sessionToken);
          } catch (error) {
            // Token errors are raised before the dialect is known: answer in the service's own.
            throw error instanceof AuthError ? AuthErrors.inDialect(error, dialect) : error;
          }
        },
        dialect,
        service: ex.service?.entry.signingName,
      },
    );
    ex.identity = result.identity;
    ex.region = result.region;
    this.attachStream(ex, result);
  }

  /** Puts the (decoded, verified) request stream in place for operations with a streaming input. */
  private attachStream(ex: Exchange, auth: Awaited<ReturnType<typeof verifySigV4>> | undefined): void {
    if (ex.body !== undefined) {
      const sha = ex.req.headers['x-amz-content-sha256'];
      if (auth && typeof sha === 'string' && /^[0-9a-f]{64}$/i.test(sha) && sha256Hex(ex.body) !== sha.toLowerCase()) {
        throw AuthErrors.contentSha256Mismatch(sha, sha256Hex(ex.body));
      }
      return;
    }
    const req = ex.req;
    const sha = String(req.headers['x-amz-content-sha256'] ?? '');
    const encoding = String(req.headers['content-encoding'] ?? '');
    const decodedLength = req.headers['x-amz-decoded-content-length'];
    const chunked = sha.startsWith('STREAMING-') || encoding.split(',').map((s) => s.trim()).includes('aws-chunked');
    if (chunked) {
      const signed = sha === STREAMING_SIGNED || sha === STREAMING_SIGNED_TRAILER;
      const decoder = new AwsChunkedDecoder({
        signing: signed && auth ? { signingKey: auth.signingKey, seedSignature: auth.signature, date: auth.date, scope: auth.scope } : undefined,
        trailer: sha === STREAMING_SIGNED_TRAILER || sha === STREAMING_UNSIGNED_TRAILER || req.headers['x-amz-trailer'] !== undefined,
        decodedContentLength: decodedLength !== undefined ? Number(decodedLength) : undefined,
      });
      req.on('error', (e) => decoder.destroy(e));
      // The operation that reads the body sees its errors; a body left unread (the request failed
      // first) must not throw them past the edge as an uncaught exception (found by test/fuzz).
      decoder.on('error', ignoreUnreadBodyError);
      ex.bodyStream = req.pipe(decoder);
      ex.trailers = () => decoder.trailers;
      return;
    }
    if (auth && /^[0-9a-f]{64}$/i.test(sha)) {
      const verifier = new PayloadHashVerifier(sha);
      req.on('error', (e) => verifier.destroy(e));
      verifier.on('error', ignoreUnreadBodyError);
      ex.bodyStream = req.pipe(verifier);
      return;
    }
    ex.bodyStream = req;
  }

  /**
   * Step 5: IAM's decision for IAM users, role sessions, federated users and service principals
   * (the account root passes; anonymous calls reach only S3, which checks its bucket policy; the
   * permissive mode skips this step).
   */
  private async authorize(ex: Exchange): Promise<void> {
    const identity = ex.identity!;
    if (identity.type === 'Root' || identity.type === 'Anonymous' || this.#deps.config.authMode === 'permissive') return;
    await this.checkAccess(identity, ex.service!, ex.provider!, ex.operation!.name, ex.input ?? {}, ex.region, dialectFor(ex.service, ex.codec), {
      sourceIp: ex.req.socket.remoteAddress ?? '',
      userAgent: String(ex.req.headers['user-agent'] ?? ''),
    });
  }

  /**
   * The authorize step's checks, for an edge request or an in-process call: the identity's
   * policies (with boundary and session policies) and each named resource's own policy, for the
   * action on every resource the provider names. Policies are compiled once per text (cached).
   */
  private async checkAccess(
    identity: CallerIdentity,
    service: ServedService,
    provider: ServiceProvider,
    operation: string,
    input: Record<string, unknown>,
    region: string,
    dialect: AuthDialect,
    request: { sourceIp?: string; userAgent?: string },
  ): Promise<void> {
    const signingName = service.entry.signingName;
    const named = provider.authorization?.(operation, input, { accountId: identity.accountId, region, identity });
    const asked = named instanceof Promise ? await named : named;
    const action = asked?.action ?? `${IAM_NAMESPACE[signingName] ?? signingName}:${operation}`;
    if (ALWAYS_ALLOWED.has(action)) return;
    const permissions = identity.type === 'AWSService' ? undefined : await this.#deps.identities.permissionsFor(identity);
    const sessionTexts = permissions?.sessionPolicies ?? (identity.session?.policy !== undefined ? [identity.session.policy] : undefined);
    const identityPolicies = permissions ? compilePolicies(permissions.identityPolicies) : [];
    const boundary = permissions?.boundary;
    const sessionPolicies = sessionTexts ? compilePolicies(sessionTexts) : undefined;
    const principalTags = permissions?.principalTags;
    const context = ConditionContext.forRequest({ identity, ...request, region, ...(principalTags ? { principalTags } : {}) }).with(asked?.context);
    for (const check of iamChecks(action, asked)) {
      let resourcePolicies: string[] | undefined;
      if (check.resource !== '*' && provider.resourcePolicy) {
        const found = provider.resourcePolicy(check.resource);
        const text = found instanceof Promise ? await found : found;
        if (text) resourcePolicies = [text];
      }
      const authorizeInput = {
        identity,
        action: check.action,
        resource: check.resource,
        context,
        identityPolicies,
        ...(resourcePolicies ? { resourcePolicies } : {}),
        ...(boundary !== undefined ? { boundary } : {}),
        ...(sessionPolicies ? { sessionPolicies } : {}),
      };
      const decision = authorizeRequest(authorizeInput);
      if (decision.decision === 'Allow') continue;
      const error = accessDeniedError(dialect, authorizeInput, decision);
      throw asked?.deniedCode ? serviceError(asked.deniedCode, error.status, error.message) : error;
    }
  }

  /** Step 4: the typed input from the wire, checked against the model. */
  private parse(ex: Exchange): void {
    const request: ProtocolRequest = {
      method: ex.req.method ?? 'GET',
      rawPath: ex.rawPath,
      rawQuery: ex.rawQuery,
      query: ex.query,
      headers: ex.req.headers,
      body: ex.body && decodedBody(ex.body, ex.req),
      bodyStream: ex.bodyStream,
    };
    if (ex.codec === queryProtocol) request.query = queryParams(request);
    ex.input = ex.codec!.parseInput(ex.model!, ex.operation!, request, ex.uriParams);
    const invalid = validateInput(ex.model!, ex.operation!.input, ex.input);
    if (invalid) throw invalid;
  }

  /** Step 6: the provider's typed operation, or 501 when Atoll does not implement it. */
  private async dispatch(ex: Exchange): Promise<void> {
    const service = ex.service!;
    const handler = ex.provider!.operations[ex.operation!.name];
    if (!handler) throw CommonErrors.notImplemented(ex.operation!.name, service.entry.serviceId ?? service.name);
    const ctx = new EdgeRequestContext(ex, this.#deps.shutdown, ex.identity!.accountId || this.#deps.config.accountId, this.#deps.endpoint);
    try {
      ex.output = await handler(ex.input ?? {}, ctx);
    } finally {
      ctx.release();
    }
  }

  /** Step 7: the output in the protocol's shape. */
  private async serialize(ex: Exchange): Promise<void> {
    const response = ex.codec!.serializeOutput(ex.model!, ex.operation!, ex.output, {
      requestId: ex.requestId,
      requestContentType: ex.req.headers['content-type'],
      method: ex.req.method ?? 'GET',
    });
    ex.status = response.status;
    await this.send(ex, response);
  }

  private async fail(ex: Exchange, error: unknown): Promise<void> {
    let serviceErr: ServiceError;
    if (error instanceof ServiceError) serviceErr = error;
    else if (isStorageUnavailable(error)) {
      // The database cannot be reached: the caller may retry (SDKs do on 503), and the node recovers by itself.
      this.#deps.logger.warn({ err: error, requestId: ex.requestId, service: ex.service?.name }, 'storage unavailable');
      serviceErr = CommonErrors.serviceUnavailable();
    } else if (isTextRefusedByStorage(error)) {
      // PostgreSQL stores no U+0000 in text: a value that carries one is the caller's fault.
      const message = 'Value contains a character that is not allowed (U+0000).';
      const dialect = dialectFor(ex.service, ex.codec);
      serviceErr = ex.service?.name === 's3'
        ? serviceError('InvalidArgument', 400, message)
        : dialect === 'query' ? CommonErrors.invalidParameterValue(message) : CommonErrors.validation(message);
    } else {
      this.#deps.logger.error({ err: error, requestId: ex.requestId, service: ex.service?.name, operation: ex.operation?.name }, 'request failed');
      serviceErr = ex.service?.name === 's3'
        ? new ServiceError({ code: 'InternalError', status: 500, senderFault: false }, 'We encountered an internal error. Please try again.')
        : CommonErrors.internal();
    }
    ex.error = serviceErr;
    ex.status = serviceErr.status;
    // Drain an unread request body so the connection can be reused.
    if (!ex.req.readableEnded && ex.bodyStream === undefined) ex.req.resume();
    const codec = ex.codec ?? jsonProtocol;
    const response = codec.serializeError(ex.model, serviceErr, {
      requestId: ex.requestId,
      requestContentType: ex.req.headers['content-type'],
      method: ex.req.method ?? 'GET',
    });
    await this.send(ex, response);
  }

  private async send(ex: Exchange, response: ProtocolResponse): Promise<void> {
    // The edge's own headers, as a flat name/value list (the response's own headers win over them).
    const extra = ['x-amzn-trace-id', ex.traceHeader];
    if (ex.service?.name === 's3' || !ex.service) extra.push('x-amz-request-id', ex.requestId);
    // A streamed body the operation did not read (an early error) cannot be drained cheaply: close
    // the connection after the answer instead of reading megabytes nobody wants.
    const unread = ex.bodyStream !== undefined && !ex.req.readableEnded;
    if (unread) extra.push('connection', 'close');
    if (ex.provider?.responseHeaders && ex.operation && ex.input) {
      const added = ex.provider.responseHeaders(ex.operation.name, ex.input, { method: ex.req.method ?? 'GET', headers: ex.req.headers });
      if (added) {
        for (const name in added) if (!namesHeader(extra, name)) extra.push(name, added[name]!);
      }
    }
    await writeResponse(ex.res, response, extra);
    if (unread) ex.req.socket.destroySoon();
  }

  /** Step 8: one audit event, the metrics, one log line. */
  private finalize(ex: Exchange): void {
    const { metrics, audit, logger, config } = this.#deps;
    const service = ex.service?.name ?? 'unknown';
    const operation = ex.operation?.name ?? 'unknown';
    const seconds = (performance.now() - ex.started) / 1000;
    const status = ex.status ?? 500;
    metrics.record(service, operation, status, seconds, ex.error?.code);
    // Platform metrics (CloudWatch): one API call event, built only when something subscribes.
    // Tracing (X-Ray): the call's own segment, only for a request that carried a trace header.
    const bus = this.#deps.bus;
    if (bus && ex.service && ex.operation) {
      const completed = bus.hasHandlers(API_CALL_COMPLETED);
      const traced = (ex.req.headers['x-amzn-trace-id'] !== undefined || ex.req.headers.traceparent !== undefined) && bus.hasHandlers(API_CALL_TRACED);
      if (completed || traced) {
        const detail = apiCallDetail(service, operation, status, ex.error?.code, seconds * 1000, ex.time.getTime(), ex.input, ex.output);
        const accountId = ex.identity?.accountId || config.accountId;
        if (completed) bus.emit({ type: API_CALL_COMPLETED, accountId, region: ex.region, detail });
        if (traced) {
          const tracedDetail = completed ? { ...detail } : detail;
          tracedDetail.traceHeader = ex.traceHeader;
          tracedDetail.requestId = ex.requestId;
          bus.emit({ type: API_CALL_TRACED, accountId, region: ex.region, detail: tracedDetail });
        }
      }
    }
    if (ex.service && ex.operation) {
      try {
        const event = encodeAuditEvent({
          requestId: ex.requestId,
          time: ex.time,
          endpointPrefix: ex.service.entry.endpointPrefix,
          operation,
          region: ex.region,
          accountId: ex.identity?.accountId || config.accountId,
          sourceIp: ex.req.socket.remoteAddress ?? '',
          userAgent: String(ex.req.headers['user-agent'] ?? ''),
          identity: ex.identity ?? { type: 'Anonymous', accountId: config.accountId, arn: '', principalId: 'anonymous' },
          input: ex.input,
          output: ex.output,
          inputPlan: ex.model && ex.operation ? redactionPlan(ex.model, ex.operation.input) : undefined,
          outputPlan: ex.model && ex.operation ? redactionPlan(ex.model, ex.operation.output) : undefined,
          errorCode: ex.error?.code,
          errorMessage: ex.error?.message,
        });
        audit.recordJson(event.text, event.eventTime);
      } catch (error) {
        logger.error({ err: error }, 'audit event not recorded');
      }
    }
    if (logger.isLevelEnabled?.('info') === false) return;
    logger.info(
      { requestId: ex.requestId, service, operation, status, ms: Math.round(seconds * 100000) / 100, ...(ex.error ? { code: ex.error.code } : {}) },
      'request',
    );
  }

  /**
   * PlatformContext.authorizeSignedRequest: steps 3 and 5 for a service's own HTTP route (Lambda's
   * AWS_IAM function URLs), with the action and resources the service names.
   */
  async authorizeSignedRequest(request: SignedHttpRequest, serviceName: string, check: IamRequest & { action: string }): Promise<CallerIdentity> {
    const { config, identities } = this.#deps;
    const query = request.url.indexOf('?');
    const path = query < 0 ? request.url : request.url.slice(0, query);
    const rawQuery = query < 0 ? '' : request.url.slice(query + 1);
    const tokenOf = (): string | undefined => {
      const header = request.headers['x-amz-security-token'];
      return typeof header === 'string' ? header : (new URLSearchParams(rawQuery).get('X-Amz-Security-Token') ?? undefined);
    };
    if (config.authMode === 'permissive') {
      const scope = peekCredentialScope({ headers: request.headers, query: rawQuery });
      const known = scope ? await identities.lookup(scope.accessKeyId, tokenOf()).catch(() => undefined) : undefined;
      return known?.identity ?? rootIdentity(config.accountId, scope?.accessKeyId);
    }
    const result = await verifySigV4(
      { method: request.method, path, query: rawQuery, headers: request.headers, bodyHash: sha256Hex(request.body) },
      { lookupSecret: (accessKeyId, { sessionToken }) => identities.lookup(accessKeyId, sessionToken), dialect: 'rest-json', service: serviceName },
    );
    const { identity, region } = result;
    if (identity.type === 'Root' || identity.type === 'Anonymous') return identity;
    // Signing names of data planes that are not a served model's name: API Gateway's `execute-api`,
    // RDS IAM database authentication's `rds-db`.
    const owner = DATA_PLANE_OWNERS[serviceName] ?? serviceName;
    const service = this.#deps.directory.get(owner);
    if (!service) throw serviceError('UnknownService', 400, `Atoll does not serve ${serviceName}`);
    const provider = await service.activate();
    const named: ServiceProvider = { ...provider, service: provider.service, operations: provider.operations, authorization: () => check };
    if (provider.resourcePolicy) named.resourcePolicy = (arn) => provider.resourcePolicy!(arn);
    await this.checkAccess(identity, service, named, '', {}, region, 'rest-json', { sourceIp: request.sourceIp ?? '', userAgent: String(request.headers['user-agent'] ?? '') });
    return identity;
  }

  /** In-process call of another service's operation (PlatformContext.call). */
  async call(serviceName: string, operation: string, input: unknown, ctx: Partial<RequestContext> & { accountId: string; region: string; traceHeader?: string }): Promise<unknown> {
    const service = this.#deps.directory.get(serviceName);
    if (!service) throw serviceError('UnknownService', 400, `Atoll does not serve ${serviceName}`);
    const model = await this.#deps.directory.model(serviceName);
    const op = model.operations[operation];
    if (!op) throw serviceError('UnknownOperationException', 400, `Unknown operation ${operation}`);
    const invalid = validateInput(model, op.input, (input ?? {}) as Record<string, unknown>);
    if (invalid) throw invalid;
    const provider = await service.activate();
    const handler = provider.operations[operation];
    if (!handler) throw CommonErrors.notImplemented(operation, serviceName);
    const identity = ctx.identity ?? rootIdentity(ctx.accountId);
    // A caller acting as a principal (a role session, a service for its resource) is authorized as
    // an edge request would be; without an identity, the platform acts as the account root.
    if (identity.type !== 'Root' && identity.type !== 'Anonymous' && this.#deps.config.authMode !== 'permissive') {
      await this.checkAccess(identity, service, provider, operation, (input ?? {}) as Record<string, unknown>, ctx.region, callDialect(service), {});
    }
    const traceHeader = ctx.traceHeader;
    const requestContext: RequestContext = {
      requestId: ctx.requestId ?? newRequestId(),
      traceId: ctx.traceId ?? (traceHeader ? traceFromHeaders({ 'x-amzn-trace-id': traceHeader }) : traceFromHeaders({})).traceId,
      service: serviceName,
      operation,
      accountId: ctx.accountId,
      region: ctx.region,
      identity,
      sourceIp: '127.0.0.1',
      userAgent: 'atoll-internal',
      endpoint: ctx.endpoint ?? this.#deps.endpoint(),
      headers: traceHeader ? { 'x-amzn-trace-id': traceHeader } : {},
      signal: ctx.signal ?? this.#deps.shutdown,
    };
    const bus = this.#deps.bus;
    if (!traceHeader || !bus?.hasHandlers(API_CALL_TRACED)) return handler(input ?? {}, requestContext);
    // A traced in-process call (an SNS delivery, an API Gateway integration): its own segment, as
    // for an edge request, so that what the callee hands on names it as the parent.
    const time = Date.now();
    const started = performance.now();
    const traced = (status: number, errorCode: string | undefined, output: unknown) => {
      const detail = apiCallDetail(serviceName, operation, status, errorCode, performance.now() - started, time, (input ?? {}) as Record<string, unknown>, output);
      bus.emit({ type: API_CALL_TRACED, accountId: ctx.accountId, region: ctx.region, detail: { ...detail, traceHeader, requestId: requestContext.requestId } });
    };
    try {
      const output = await handler(input ?? {}, requestContext);
      traced(200, undefined, output);
      return output;
    } catch (error) {
      const e = error instanceof ServiceError ? error : undefined;
      traced(e?.status ?? 500, e?.code ?? 'InternalError', undefined);
      throw error;
    }
  }
}

/** The AccessDenied dialect of a service's own protocol, for in-process calls. */
function callDialect(service: ServedService): AuthDialect {
  if (service.name === 's3') return 's3';
  const protocol = service.entry.protocol;
  return protocol === 'json' ? 'json' : protocol === 'rest-json' ? 'rest-json' : 'query';
}

/** Whether a flat [name, value, …] header list names `name`. */
function namesHeader(list: readonly string[], name: string): boolean {
  for (let i = 0; i < list.length; i += 2) if (list[i] === name) return true;
  return false;
}

/** A body stream's error when nothing reads the body any more: the answer has been chosen already. */
function ignoreUnreadBodyError(): void {}

/** Whether an error (or one of its causes) is PostgreSQL refusing text it cannot store (a NUL character: 22021, 22P05). */
function isTextRefusedByStorage(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === '22021' || code === '22P05') return true;
  }
  return false;
}

/** Whether an error (or one of its causes) is the storage layer saying the database cannot be reached. */
function isStorageUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof AtollError && e.code === 'STORAGE_UNAVAILABLE') return true;
  }
  return false;
}
