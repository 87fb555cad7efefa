// X-Ray on the data plane: a request that carries a sampled trace (`X-Amzn-Trace-Id` or W3C
// `traceparent`), or reaches a REST stage with tracing enabled (which starts one), gets the stage's
// segment (`AWS::ApiGateway::Stage`, named `<apiId>/<stage>`, the caller's segment as parent), and
// its integrations get the trace with that segment as Parent: HTTP_PROXY and Lambda proxy events
// as the `X-Amzn-Trace-Id` header, Lambda invocations as the invocation's trace (`_X_AMZN_TRACE_ID`).
// The segment goes to X-Ray (a bus event) when the answer is sent (nothing when X-Ray is not served).
import { randomBytes } from 'node:crypto';
import type { PlatformContext } from '@atoll/core';
import type { ApiRequest } from './proxy-events.js';

export interface StageTrace {
  root: string;
  /** The caller's segment, when the request named one. */
  parent?: string;
  /** The stage segment's id. */
  id: string;
  /** The header integrations get. */
  header: string;
}

/** The sampled trace a request carries; undefined without one (or when it is not sampled). */
export function carriedTrace(headers: ApiRequest['headers']): { root: string; parent?: string } | undefined {
  const amzn = headers['x-amzn-trace-id'];
  if (typeof amzn === 'string') {
    const root = /(?:^|;)\s*Root=(1-[0-9a-f]{8}-[0-9a-f]{24})/.exec(amzn)?.[1];
    if (!root || /(?:^|;)\s*Sampled=0/.test(amzn)) return undefined;
    const parent = /(?:^|;)\s*Parent=([0-9a-f]{16})/.exec(amzn)?.[1];
    return { root, ...(parent ? { parent } : {}) };
  }
  const m = typeof headers.traceparent === 'string' ? /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(headers.traceparent.trim()) : null;
  if (!m || (parseInt(m[3]!, 16) & 1) === 0) return undefined;
  return { root: `1-${m[1]!.slice(0, 8)}-${m[1]!.slice(8)}`, parent: m[2]! };
}

/**
 * Starts the stage's part of a trace: the carried one, or (`start`) a new one. The request's headers
 * then carry the trace integrations get; the headers as received stay in `receivedHeaders` (SigV4).
 */
export function beginStageTrace(req: ApiRequest, start: boolean): void {
  if (req.trace) return;
  const carried = carriedTrace(req.headers);
  if (!carried && !start) return;
  const root = carried?.root ?? `1-${Math.floor(Date.now() / 1000).toString(16).padStart(8, '0')}-${randomBytes(12).toString('hex')}`;
  const id = randomBytes(8).toString('hex');
  const header = `Root=${root};Parent=${id};Sampled=1`;
  req.trace = { root, ...(carried?.parent ? { parent: carried.parent } : {}), id, header };
  req.receivedHeaders ??= req.headers;
  req.headers = { ...req.headers, 'x-amzn-trace-id': header };
}

/** The stage segment of a traced request, once answered (`status`). */
export function stageSegment(req: ApiRequest, status: number, end: number): Record<string, unknown> | undefined {
  const t = req.trace;
  if (!t || !req.stage) return undefined;
  const host = typeof req.headers.host === 'string' ? req.headers.host : '';
  return {
    name: `${req.apiId}/${req.stage}`,
    id: t.id,
    trace_id: t.root,
    ...(t.parent ? { parent_id: t.parent } : {}),
    start_time: req.time.getTime() / 1000,
    end_time: end / 1000,
    origin: 'AWS::ApiGateway::Stage',
    http: {
      request: { method: req.method, url: `http://${host}${req.rawPath}`, client_ip: req.sourceIp, ...(typeof req.headers['user-agent'] === 'string' ? { user_agent: req.headers['user-agent'] } : {}) },
      response: { status },
    },
    aws: { api_gateway: { account_id: req.accountId, rest_api_id: req.apiId, stage: req.stage, request_id: req.requestId } },
    ...(status === 429 ? { throttle: true, error: true } : status >= 500 ? { fault: true } : status >= 400 ? { error: true } : {}),
  };
}

/**
 * X-Ray's bus event for a segment a platform component built (services/xray platform-segments.ts):
 * unlike PutTraceSegments it takes trace ids from W3C traceparent headers, whose digits are no time.
 */
const PLATFORM_SEGMENT = 'xray.PlatformSegment';

/** Hands a traced request's stage segment to X-Ray, when X-Ray is served (it listens on the bus). */
export function recordStageSegment(platform: PlatformContext, req: ApiRequest, status: number): void {
  if (!req.trace || !platform.bus.hasHandlers(PLATFORM_SEGMENT)) return;
  const doc = stageSegment(req, status, Date.now());
  if (doc) platform.bus.emit({ type: PLATFORM_SEGMENT, accountId: req.accountId, region: req.region, detail: { document: JSON.stringify(doc) } });
}
