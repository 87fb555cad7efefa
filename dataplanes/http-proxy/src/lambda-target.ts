// Lambda target groups: a request becomes ALB's Lambda event and the function's result becomes
// the response. The invocation itself is the provider's (it calls the Lambda service).
import type { LambdaAlbEvent, LambdaAlbResult, TargetGroupConfig } from './config.js';
import type { RequestHead } from './http-wire.js';

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded))/i;

export function lambdaEvent(group: TargetGroupConfig, head: RequestHead, body: Buffer, extraHeaders: Record<string, string>): LambdaAlbEvent {
  const url = head.url;
  const q = url.indexOf('?');
  const query: Record<string, string> = {};
  if (q >= 0) {
    for (const part of url.slice(q + 1).split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      query[eq < 0 ? part : part.slice(0, eq)] = eq < 0 ? '' : part.slice(eq + 1);
    }
  }
  const headers: Record<string, string> = {};
  for (let i = 0; i < head.names.length; i++) {
    const k = head.names[i]!.toLowerCase();
    headers[k] = headers[k] === undefined ? head.values[i]! : `${headers[k]},${head.values[i]!}`;
  }
  Object.assign(headers, extraHeaders);
  const textual = body.length === 0 || TEXT_TYPES.test(headers['content-type'] ?? 'text/plain');
  return {
    requestContext: { elb: { targetGroupArn: group.id } },
    httpMethod: head.method,
    path: q < 0 ? url : url.slice(0, q),
    queryStringParameters: query,
    headers,
    body: textual ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: !textual,
  };
}

/** The response a Lambda result stands for: status, header lines and body. */
export function lambdaResponse(result: LambdaAlbResult): { status: number; headers: string[]; body: Buffer } {
  const status = result.statusCode ?? 200;
  const body = result.body === undefined ? Buffer.alloc(0) : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  const headers: string[] = [];
  for (const [k, v] of Object.entries(result.headers ?? {})) {
    if (/^(content-length|connection|transfer-encoding)$/i.test(k)) continue;
    headers.push(k, String(v));
  }
  for (const [k, vs] of Object.entries(result.multiValueHeaders ?? {})) for (const v of vs) headers.push(k, String(v));
  return { status, headers, body };
}
