// The edge's `edge.ApiCallCompleted` bus event: one per AWS API request that reached a service and
// operation, published only while something subscribes (EventBus.hasHandlers), so that the edge
// builds nothing otherwise. CloudWatch's platform metrics (AWS/SQS, AWS/SNS, AWS/DynamoDB, AWS/S3
// request counts) are derived from it. In-process calls (PlatformContext.call) do not publish it.

import crypto, { createHash } from 'node:crypto';

/** `crypto.hash` (Node 20.12 and later): a one-shot digest, ~3 µs less than a Hash object here. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

export const API_CALL_COMPLETED = 'edge.ApiCallCompleted';

/** The resource names a call's typed input named (only those present). */
export interface ApiCallResources {
  /** From QueueUrl (its last path segment) or QueueName. */
  queueName?: string;
  topicArn?: string;
  tableName?: string;
  bucket?: string;
  functionName?: string;
}

export interface ApiCallCompletedDetail extends Record<string, unknown> {
  service: string;
  operation: string;
  /** HTTP status of the answer. */
  status: number;
  /** The AWS error code, when the call failed. */
  errorCode?: string;
  durationMs: number;
  /** Epoch ms when the request arrived. */
  time: number;
  resources: ApiCallResources;
  /** The typed input and output, by reference (read, never modify; a streamed body is not to be read). */
  input?: Record<string, unknown>;
  output?: unknown;
}

/**
 * `edge.ApiCallTraced`: one per AWS API request that carried a trace header (`X-Amzn-Trace-Id` or
 * W3C `traceparent`), published only while something subscribes (X-Ray, which records the call's
 * segment). Requests without a header build nothing.
 */
export const API_CALL_TRACED = 'edge.ApiCallTraced';

export interface ApiCallTracedDetail extends ApiCallCompletedDetail {
  /** `Root=…;Parent=…;Sampled=…` as received (W3C `traceparent` converted). */
  traceHeader: string;
  requestId: string;
}

/**
 * The id of the segment the platform records for a traced request (X-Ray's edge segment): derived
 * from the request id, so that a service can name it as the parent of what it hands on (SQS's
 * AWSTraceHeader, SNS deliveries) before the segment is written.
 */
export function platformSegmentId(requestId: string): string {
  const text = `atoll-segment:${requestId}`;
  return (oneShot ? oneShot('sha1', text, 'hex') : createHash('sha1').update(text).digest('hex')).slice(0, 16);
}

/**
 * The trace header a service hands downstream for a request that carried one (`X-Amzn-Trace-Id` or
 * W3C `traceparent`): the same Root, the platform's segment of this request as Parent, and the
 * sampling decision as received. Undefined for requests without a trace header.
 */
/** `Root=…;Parent=…;Sampled=…` as the X-Ray SDKs and Atoll write it: read with one expression. */
const SDK_FORM = /^Root=(1-[0-9a-f]{8}-[0-9a-f]{24});Parent=[0-9a-f]{16};Sampled=([01])$/;

export function propagatedTraceHeader(headers: Record<string, string | string[] | undefined>, requestId: string): string | undefined {
  const amzn = headers['x-amzn-trace-id'];
  let root: string | undefined;
  let sampled = '1';
  if (typeof amzn === 'string') {
    const sdk = SDK_FORM.exec(amzn);
    root = sdk ? sdk[1] : /(?:^|;)\s*Root=(1-[0-9a-f]{8}-[0-9a-f]{24})/.exec(amzn)?.[1];
    sampled = sdk ? sdk[2]! : (/(?:^|;)\s*Sampled=([01?])/.exec(amzn)?.[1] ?? '1');
  } else if (typeof headers.traceparent === 'string') {
    const m = /^00-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})$/.exec(headers.traceparent.trim());
    if (m) {
      root = `1-${m[1]!.slice(0, 8)}-${m[1]!.slice(8)}`;
      sampled = (parseInt(m[2]!, 16) & 1) === 1 ? '1' : '0';
    }
  }
  return root ? `Root=${root};Parent=${platformSegmentId(requestId)};Sampled=${sampled}` : undefined;
}
