// Invokes a Lambda function for an API (proxy integrations and authorizers) through Lambda's
// public Invoke, as the `apigateway.amazonaws.com` service principal for the API's execute-api ARN,
// so the function's resource policy (lambda:AddPermission) decides, as in AWS. A call that takes
// longer than the integration's timeout is abandoned (the function runs on; the answer is dropped).
import type { CallerIdentity, PlatformContext } from '@atoll/core';

export interface InvokeOutcome {
  kind: 'ok' | 'function-error' | 'denied' | 'failed' | 'timeout';
  payload?: string;
  error?: unknown;
}

/** The function ARN in an integration URI: a function ARN, or `arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations`. */
export function functionArnOf(uri: string): string {
  const m = /^arn:aws:apigateway:[^:]*:lambda:path\/[^/]+\/functions\/(.+?)\/invocations$/.exec(uri);
  return m ? decodeURIComponent(m[1]!) : uri;
}

export function apiGatewayIdentity(accountId: string, sourceArn: string): CallerIdentity {
  return {
    type: 'AWSService',
    accountId,
    arn: '',
    principalId: 'apigateway.amazonaws.com',
    service: { principal: 'apigateway.amazonaws.com', sourceArn, sourceAccount: accountId },
  };
}

export async function invokeFunction(
  platform: PlatformContext,
  uri: string,
  event: unknown,
  scope: { accountId: string; region: string; sourceArn: string; requestId: string; traceHeader?: string | undefined },
  timeoutMs: number,
  /** The integration's credentials role session, instead of the service principal. */
  identity?: CallerIdentity,
): Promise<InvokeOutcome> {
  const arn = functionArnOf(uri);
  const region = /^arn:aws:lambda:([^:]+):/.exec(arn)?.[1] ?? scope.region;
  const call = platform
    .call<{ Payload?: Uint8Array | string; FunctionError?: string }>(
      'lambda',
      'Invoke',
      { FunctionName: arn, Payload: Buffer.from(JSON.stringify(event)) },
      { accountId: scope.accountId, region, identity: identity ?? apiGatewayIdentity(scope.accountId, scope.sourceArn), requestId: scope.requestId, ...(scope.traceHeader ? { traceHeader: scope.traceHeader } : {}) },
    )
    .then(
      (out): InvokeOutcome => {
        const payload = out.Payload === undefined ? '' : typeof out.Payload === 'string' ? out.Payload : Buffer.from(out.Payload).toString('utf8');
        return out.FunctionError ? { kind: 'function-error', payload } : { kind: 'ok', payload };
      },
      (error: unknown): InvokeOutcome => {
        const code = (error as { code?: string }).code;
        return { kind: code === 'AccessDeniedException' || code === 'AccessDenied' ? 'denied' : 'failed', error };
      },
    );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<InvokeOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs);
  });
  try {
    return await Promise.race([call, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
