// Builds the CloudTrail-shaped audit event of one call. Payloads are summarized: streams and
// binary values are left out and long strings cut, so that the trail stays small.
import { newUuid, type CallerIdentity } from '@atoll/core';
import type { AuditEvent } from '@atoll/telemetry';

const READ_ONLY = /^(Get|List|Describe|Head|BatchGet|Query|Scan|Lookup|Select|Receive|Check|Search|Test|Validate)/;
const MAX_STRING = 1024;
const MAX_DEPTH = 6;

export function isReadOnlyOperation(operation: string): boolean {
  return READ_ONLY.test(operation);
}

export function summarize(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  if (typeof value !== 'object') return value;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return undefined;
  if (typeof (value as { pipe?: unknown }).pipe === 'function') return undefined;
  if (depth >= MAX_DEPTH) return '…';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => summarize(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const k in value) {
    if (!Object.hasOwn(value, k)) continue;
    const s = summarize((value as Record<string, unknown>)[k], depth + 1);
    if (s !== undefined) out[camelKey(k)] = s;
  }
  return out;
}

/** Member names are few (the models'), so each one's CloudTrail spelling is worked out once. */
const camelKeys = new Map<string, string>();
const MAX_CAMEL_KEYS = 10_000;

function camelKey(key: string): string {
  let camel = camelKeys.get(key);
  if (camel === undefined) {
    camel = key.charAt(0).toLowerCase() + key.slice(1);
    // Map keys (user metadata, attribute names) are not bounded; past the cap they are not kept.
    if (camelKeys.size < MAX_CAMEL_KEYS) camelKeys.set(key, camel);
  }
  return camel;
}

export interface AuditInput {
  requestId: string;
  time: Date;
  endpointPrefix: string;
  operation: string;
  region: string;
  accountId: string;
  sourceIp: string;
  userAgent: string;
  identity: CallerIdentity;
  input?: Record<string, unknown>;
  output?: unknown;
  errorCode?: string;
  errorMessage?: string;
}

export function buildAuditEvent(a: AuditInput): AuditEvent {
  const readOnly = isReadOnlyOperation(a.operation);
  return {
    eventVersion: '1.08',
    eventID: newUuid(),
    eventTime: a.time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: `${a.endpointPrefix}.amazonaws.com`,
    eventName: a.operation,
    awsRegion: a.region,
    sourceIPAddress: a.sourceIp,
    userAgent: a.userAgent,
    userIdentity: {
      type: a.identity.type,
      principalId: a.identity.principalId,
      arn: a.identity.arn,
      accountId: a.identity.accountId,
      ...(a.identity.accessKeyId ? { accessKeyId: a.identity.accessKeyId } : {}),
      ...(a.identity.userName ? { userName: a.identity.userName } : {}),
    },
    requestParameters: (a.input ? (summarize(a.input) as Record<string, unknown>) : null) ?? null,
    responseElements: !readOnly && a.output && !a.errorCode ? ((summarize(a.output) as Record<string, unknown>) ?? null) : null,
    ...(a.errorCode ? { errorCode: a.errorCode, errorMessage: a.errorMessage ?? '' } : {}),
    requestID: a.requestId,
    readOnly,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: a.accountId,
  };
}
