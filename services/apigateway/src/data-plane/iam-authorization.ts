// AWS_IAM authorization of a method (REST APIs) or route (HTTP APIs): the request must carry a
// SigV4 signature with the signing name `execute-api` (header or presigned query), and its caller
// needs `execute-api:Invoke` on the method's ARN (`arn:aws:execute-api:<region>:<account>:<api>/
// <stage>/<METHOD>/<path>`) from the platform's IAM policies (identity policies, boundaries,
// session policies, and the REST API's resource policy), checked by the edge's own authorize step
// (PlatformContext.authorizeSignedRequest). Refusals answer as AWS does: REST APIs 403 with
// `Missing Authentication Token` (no signature), the signature error's message, or the
// AccessDenied message naming the caller; HTTP APIs 403 `Forbidden`.
import type { CallerIdentity, PlatformContext } from '@atoll/core';
import type { ApiRequest } from './proxy-events.js';

export type IamOutcome =
  | { ok: true; caller: CallerIdentity }
  | { ok: false; status: number; body: Record<string, unknown>; errorType: string };

function signed(req: ApiRequest): boolean {
  if (typeof req.headers.authorization === 'string' && req.headers.authorization.startsWith('AWS4-')) return true;
  return /(^|&)X-Amz-Signature=/i.test(req.rawQuery);
}

export async function authorizeIam(platform: PlatformContext, req: ApiRequest, methodArn: string): Promise<IamOutcome> {
  if (!signed(req)) return { ok: false, status: 403, body: { message: 'Missing Authentication Token' }, errorType: 'MissingAuthenticationTokenException' };
  if (!platform.authorizeSignedRequest) return { ok: false, status: 403, body: { message: 'Forbidden' }, errorType: 'ForbiddenException' };
  try {
    const caller = await platform.authorizeSignedRequest(
      { method: req.method, url: req.url ?? `${req.rawPath}${req.rawQuery ? `?${req.rawQuery}` : ''}`, headers: req.receivedHeaders ?? req.headers, body: req.body, sourceIp: req.sourceIp },
      'execute-api',
      { action: 'execute-api:Invoke', resources: [methodArn] },
    );
    return { ok: true, caller };
  } catch (error) {
    const e = error as { status?: number; code?: string; message?: string };
    if (e.status === undefined || e.status >= 500) throw error;
    if (e.code === 'AccessDenied' || e.code === 'AccessDeniedException') {
      return { ok: false, status: 403, body: { Message: e.message ?? 'Forbidden' }, errorType: 'AccessDeniedException' };
    }
    return { ok: false, status: 403, body: { message: e.message ?? 'Forbidden' }, errorType: e.code ?? 'ForbiddenException' };
  }
}

/** The caller as REST APIs' proxy event shows it (`requestContext.identity`). */
export function identityFields(caller: CallerIdentity): Record<string, string | null> {
  return {
    accessKey: caller.accessKeyId ?? null,
    accountId: caller.accountId,
    caller: caller.principalId,
    user: caller.principalId,
    userArn: caller.arn,
  };
}

/** The caller as HTTP APIs' 2.0 event shows it (`requestContext.authorizer.iam`). */
export function iamAuthorizer(caller: CallerIdentity): Record<string, unknown> {
  return {
    iam: {
      accessKey: caller.accessKeyId ?? null,
      accountId: caller.accountId,
      callerId: caller.principalId,
      cognitoIdentity: null,
      principalOrgId: null,
      userArn: caller.arn,
      userId: caller.principalId,
    },
  };
}
