// Trace context: X-Ray's `X-Amzn-Trace-Id` and W3C `traceparent`, continued when the caller sent
// one, started otherwise.
import { newTraceId, randomHex } from '@atoll/core';
import type { IncomingHttpHeaders } from 'node:http';

export interface TraceContext {
  /** X-Ray form: `1-5f84c7a1-0123456789abcdef01234567`. */
  traceId: string;
  parentId?: string;
  sampled: boolean;
  /** The header value to send back and pass downstream. */
  header: string;
}

/** The header as the X-Ray SDKs and Atoll itself write it: read with one expression, the general parser else. */
const SDK_FORM = /^Root=(1-[0-9a-f]{8}-[0-9a-f]{24});Parent=([0-9a-f]{16});Sampled=([01])$/;

export function traceFromHeaders(headers: IncomingHttpHeaders): TraceContext {
  const amzn = headers['x-amzn-trace-id'];
  if (typeof amzn === 'string') {
    const sdk = SDK_FORM.exec(amzn);
    if (sdk) return { traceId: sdk[1]!, parentId: sdk[2]!, sampled: sdk[3] === '1', header: amzn };
    const parts = Object.fromEntries(amzn.split(';').map((p) => p.trim().split('=') as [string, string]));
    if (parts.Root && /^1-[0-9a-f]{8}-[0-9a-f]{24}$/.test(parts.Root)) {
      return { traceId: parts.Root, parentId: parts.Parent, sampled: parts.Sampled !== '0', header: amzn };
    }
  }
  const parent = headers.traceparent;
  if (typeof parent === 'string') {
    const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(parent.trim());
    if (m) {
      const traceId = `1-${m[1]!.slice(0, 8)}-${m[1]!.slice(8)}`;
      const sampled = (parseInt(m[3]!, 16) & 1) === 1;
      return { traceId, parentId: m[2], sampled, header: `Root=${traceId};Parent=${m[2]};Sampled=${sampled ? 1 : 0}` };
    }
  }
  const traceId = newTraceId();
  return { traceId, sampled: true, header: `Root=${traceId};Parent=${randomHex(8)};Sampled=1` };
}
