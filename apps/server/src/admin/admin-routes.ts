// The platform's own signed routes under /_atoll/ (beside the unsigned health, ready and metrics):
// `POST /_atoll/reset[?services=sqs,s3]`. They answer only the account's root identity, signed with
// the root key as any AWS request is (SigV4, any signing name); another identity gets 403
// SNS's local delivery sink (pushes and SMS that no real provider receives) is read the same way:
// `GET /_atoll/sns/deliveries[?kind=push|sms|sms-otp&target=…&after=<id>&limit=…&region=…]`, and
// `POST /_atoll/sns/opt-out?phoneNumber=…` simulates a STOP reply, and
// `POST /_atoll/sns/invalidate-token?endpointArn=…` a push service's "token unregistered" feedback.
// AccessDenied (in `--auth permissive`, any caller is let through and recorded). Answers are JSON: `{ "__type": code, "message": … }` on failure.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServiceDirectory } from '../edge/service-directory.js';
import { peekCredentialScope, sha256Hex, verifySigV4 } from '@atoll/auth';
import { newRequestId, ServiceError, type AtollConfig, type CallerIdentity, type Logger } from '@atoll/core';
import { rootIdentity, type IdentityResolver } from '../identity/identity-resolver.js';
import { UnknownServiceError, type PlatformReset } from './platform-reset.js';

const MAX_BODY = 64 * 1024;

export interface AdminRouteDeps {
  config: AtollConfig;
  identities: IdentityResolver;
  reset: PlatformReset;
  logger: Logger;
  /** For the SNS sink routes (absent: they answer 404). */
  directory?: ServiceDirectory;
}

class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Handles an admin route; false when `path` is not one. */
export function handleAdminRoute(deps: AdminRouteDeps, req: IncomingMessage, res: ServerResponse, path: string, query: string): boolean {
  if (path === SNS_DELIVERIES || path === SNS_OPT_OUT || path === SNS_INVALIDATE) return handleSnsSinkRoute(deps, req, res, path, query);
  if (path !== '/_atoll/reset') return false;
  serveRootRoute(deps, req, res, path, query, 'POST', async (identity, requestId) => {
    const params = new URLSearchParams(query);
    const list = params.get('services');
    const services = list === null ? undefined : list.split(',').map((s) => s.trim()).filter(Boolean);
    if (services && services.length === 0) throw new AdminError(400, 'InvalidParameterValue', 'services names no service');
    try {
      const outcome = await deps.reset.reset({
        services,
        identity,
        requestId,
        region: deps.config.region,
        sourceIp: req.socket.remoteAddress ?? '',
        userAgent: String(req.headers['user-agent'] ?? ''),
      });
      send(res, 200, outcome);
    } catch (error) {
      if (error instanceof UnknownServiceError) throw new AdminError(400, 'InvalidParameterValue', error.message);
      throw error;
    }
  });
  return true;
}

/**
 * Runs one signed root-only route: a request id, the method check, the body, SigV4 with the root
 * identity, then `work`; errors answer as JSON (`{ "__type", "message" }`), unexpected ones as 500.
 */
function serveRootRoute(
  deps: AdminRouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: string,
  method: 'GET' | 'POST',
  work: (identity: CallerIdentity, requestId: string) => Promise<void>,
): void {
  const requestId = newRequestId();
  res.setHeader('x-amzn-requestid', requestId);
  void (async () => {
    if (req.method !== method) throw new AdminError(405, 'MethodNotAllowed', `${req.method} is not allowed on ${path}; use ${method}`);
    const body = await readBody(req);
    await work(await authenticateRoot(deps, req, path, query, body), requestId);
  })().catch((error: unknown) => {
    if (error instanceof AdminError) return send(res, error.status, { __type: error.code, message: error.message });
    if (error instanceof ServiceError) return send(res, error.status, { __type: error.code, message: error.message });
    deps.logger.error({ err: error, path }, 'admin route failed');
    send(res, 500, { __type: 'InternalFailure', message: 'the platform could not complete the request' });
  });
}

/** SigV4 with any key the edge knows; only the root identity is let through. */
async function authenticateRoot(deps: AdminRouteDeps, req: IncomingMessage, path: string, query: string, body: Buffer): Promise<CallerIdentity> {
  if (deps.config.authMode === 'permissive') {
    // Permissive mode skips authorization, as on the edge, but still names the caller.
    const scope = peekCredentialScope({ headers: req.headers, query });
    const known = scope ? await deps.identities.lookup(scope.accessKeyId) : undefined;
    return known?.identity ?? rootIdentity(deps.config.accountId, scope?.accessKeyId);
  }
  const result = await verifySigV4(
    { method: req.method ?? 'POST', path, query, headers: req.headers, bodyHash: sha256Hex(body) },
    { lookupSecret: (accessKeyId) => deps.identities.lookup(accessKeyId), dialect: 'json' },
  );
  if (result.identity.type !== 'Root') {
    throw new AdminError(403, 'AccessDenied', `User: ${result.identity.arn} is not authorized to perform: atoll:${path.slice('/_atoll/'.length)} (only the account's root identity may)`);
  }
  return result.identity;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new AdminError(413, 'RequestEntityTooLarge', `the body exceeds ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.destroy();
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

// ---- SNS delivery sink (helper: snssqs) ------------------------------------------------------
// Mobile pushes and SMS are recorded by SNS (services/sns/src/mobile-store.ts) instead of reaching
// a push service or a carrier. The account's root reads them here, scoped to its own account.

const SNS_DELIVERIES = '/_atoll/sns/deliveries';
const SNS_OPT_OUT = '/_atoll/sns/opt-out';
const SNS_INVALIDATE = '/_atoll/sns/invalidate-token';

/** The SNS provider's sink methods (services/sns SnsProvider). */
interface SnsSink {
  readDeliveries(accountId: string, region: string, filter: { kind?: string; target?: string; afterId?: number; limit?: number }): Promise<unknown[]>;
  optOut(accountId: string, region: string, phoneNumber: string): Promise<boolean>;
  invalidateToken(accountId: string, endpointArn: string): Promise<boolean>;
}

function handleSnsSinkRoute(deps: AdminRouteDeps, req: IncomingMessage, res: ServerResponse, path: string, query: string): boolean {
  serveRootRoute(deps, req, res, path, query, path === SNS_DELIVERIES ? 'GET' : 'POST', async (identity) => {
    const served = deps.directory?.get('sns');
    if (!served) throw new AdminError(404, 'NotFound', 'SNS is not served by this platform');
    const sns = (await served.activate()) as unknown as SnsSink;
    const params = new URLSearchParams(query);
    const region = params.get('region') || deps.config.region;
    if (path === SNS_INVALIDATE) {
      const arn = params.get('endpointArn') ?? '';
      if (!(await sns.invalidateToken(identity.accountId, arn))) throw new AdminError(404, 'NotFound', `no endpoint ${arn}`);
      return send(res, 200, { endpointArn: arn, tokenInvalid: true });
    }
    if (path === SNS_OPT_OUT) {
      const phone = params.get('phoneNumber') ?? '';
      if (!(await sns.optOut(identity.accountId, region, phone))) throw new AdminError(400, 'InvalidParameterValue', `${phone} is not an E.164 phone number`);
      return send(res, 200, { phoneNumber: phone, optedOut: true });
    }
    const number = (name: string): number | undefined => {
      const v = params.get(name);
      if (v === null) return undefined;
      if (!/^\d+$/.test(v)) throw new AdminError(400, 'InvalidParameterValue', `${name} must be a non-negative integer`);
      return Number(v);
    };
    const deliveries = await sns.readDeliveries(identity.accountId, region, {
      kind: params.get('kind') ?? undefined,
      target: params.get('target') ?? undefined,
      afterId: number('after'),
      limit: number('limit'),
    });
    send(res, 200, { deliveries });
  });
  return true;
}
