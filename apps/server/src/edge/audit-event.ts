// Builds the CloudTrail-shaped audit event of one call. Payloads are summarized: streams and
// binary values are left out and long strings cut, so that the trail stays small.
// `encodeAuditEvent` writes the same event straight as JSON text, as the trail stores it: the
// parts that repeat from call to call (who called, from where, which operation) are written once
// and reused, and the payload summary is written without an intermediate object. Members the model
// marks sensitive are written as HIDDEN_DUE_TO_SECURITY_REASONS, as CloudTrail does (audit-redaction.ts).
import { newUuid, type CallerIdentity } from '@atoll/core';
import { HIDDEN, memberPlan, type RedactionPlan } from './audit-redaction.js';
import type { AuditEvent } from '@atoll/telemetry';

const READ_ONLY = /^(Get|List|Describe|Head|BatchGet|Query|Scan|Lookup|Select|Receive|Check|Search|Test|Validate)/;
const MAX_STRING = 1024;
const MAX_DEPTH = 6;

export function isReadOnlyOperation(operation: string): boolean {
  return READ_ONLY.test(operation);
}

export function summarize(value: unknown, depth = 0, plan?: RedactionPlan): unknown {
  if (value === null || value === undefined) return undefined;
  if (plan === true) return HIDDEN;
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  if (typeof value !== 'object') return value;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return undefined;
  if (typeof (value as { pipe?: unknown }).pipe === 'function') return undefined;
  if (depth >= MAX_DEPTH) return '…';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => summarize(v, depth + 1, memberPlan(plan, '')));
  const out: Record<string, unknown> = {};
  for (const k in value) {
    if (!Object.hasOwn(value, k)) continue;
    const s = summarize((value as Record<string, unknown>)[k], depth + 1, memberPlan(plan, k));
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
  /** What to hide in the input and output (from the model's `sensitive` shapes). */
  inputPlan?: RedactionPlan;
  outputPlan?: RedactionPlan;
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
    requestParameters: (a.input ? (summarize(a.input, 0, a.inputPlan) as Record<string, unknown>) : null) ?? null,
    responseElements: !readOnly && a.output && !a.errorCode ? ((summarize(a.output, 0, a.outputPlan) as Record<string, unknown>) ?? null) : null,
    ...(a.errorCode ? { errorCode: a.errorCode, errorMessage: a.errorMessage ?? '' } : {}),
    requestID: a.requestId,
    readOnly,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: a.accountId,
  };
}

/** The event's JSON text, exactly `JSON.stringify(buildAuditEvent(a))` but built for less, and its eventTime. */
export function encodeAuditEvent(a: AuditInput): { text: string; eventTime: string } {
  const readOnly = isReadOnlyOperation(a.operation);
  const request = a.input ? (summaryJson(a.input, 0, a.inputPlan) ?? 'null') : 'null';
  const response = !readOnly && a.output && !a.errorCode ? (summaryJson(a.output, 0, a.outputPlan) ?? 'null') : 'null';
  const error = a.errorCode ? `,"errorCode":${JSON.stringify(a.errorCode)},"errorMessage":${JSON.stringify(a.errorMessage ?? '')}` : '';
  const eventTime = eventTimeOf(a.time);
  const text =
    `{"eventVersion":"1.08","eventID":"${newUuid()}","eventTime":"${eventTime}",${callerJson(a)},` +
    `"requestParameters":${request},"responseElements":${response}${error},"requestID":${JSON.stringify(a.requestId)},` +
    `"readOnly":${readOnly},"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":${JSON.stringify(a.accountId)}}`;
  return { text, eventTime };
}

/** CloudTrail's event time (whole seconds), worked out once per second. */
let lastSecond = { second: Number.NaN, text: '' };

function eventTimeOf(time: Date): string {
  const second = Math.floor(time.getTime() / 1000);
  if (second !== lastSecond.second) lastSecond = { second, text: time.toISOString().replace(/\.\d{3}Z$/, 'Z') };
  return lastSecond.text;
}

/** `"eventSource":…,"userIdentity":{…}` by everything it is made of; bounded. */
const callers = new Map<string, string>();
const MAX_CALLERS = 1000;

function callerJson(a: AuditInput): string {
  const id = a.identity;
  const key = `${a.endpointPrefix}\0${a.operation}\0${a.region}\0${a.sourceIp}\0${a.userAgent}\0${id.type}\0${id.principalId}\0${id.arn}\0${id.accountId}\0${id.accessKeyId ?? ''}\0${id.userName ?? ''}`;
  let text = callers.get(key);
  if (text === undefined) {
    const userIdentity = {
      type: id.type,
      principalId: id.principalId,
      arn: id.arn,
      accountId: id.accountId,
      ...(id.accessKeyId ? { accessKeyId: id.accessKeyId } : {}),
      ...(id.userName ? { userName: id.userName } : {}),
    };
    text =
      `"eventSource":${JSON.stringify(`${a.endpointPrefix}.amazonaws.com`)},"eventName":${JSON.stringify(a.operation)},` +
      `"awsRegion":${JSON.stringify(a.region)},"sourceIPAddress":${JSON.stringify(a.sourceIp)},"userAgent":${JSON.stringify(a.userAgent)},` +
      `"userIdentity":${JSON.stringify(userIdentity)}`;
    if (callers.size >= MAX_CALLERS) callers.clear();
    callers.set(key, text);
  }
  return text;
}

/** A member name's JSON key in CloudTrail's spelling (`"tableName"`), worked out once. */
const quotedKeys = new Map<string, string>();

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(camelKey(key));
    if (quotedKeys.size < MAX_CAMEL_KEYS) quotedKeys.set(key, quoted);
  }
  return quoted;
}

/**
 * `JSON.stringify(summarize(value))` in one walk, or undefined where summarize leaves the value out.
 * Values JSON has no text for are written as JSON.stringify writes them (null in lists, left out of
 * objects); a bigint, which JSON.stringify refuses, is written as its number.
 */
function summaryJson(value: unknown, depth: number, plan: RedactionPlan | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (plan === true) return `"${HIDDEN}"`;
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return String(value);
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (value instanceof Uint8Array) return undefined;
  if (typeof (value as { pipe?: unknown }).pipe === 'function') return undefined;
  if (depth >= MAX_DEPTH) return '"…"';
  if (Array.isArray(value)) {
    let out = '[';
    const n = Math.min(value.length, 50);
    const each = memberPlan(plan, '');
    for (let i = 0; i < n; i++) out += `${i > 0 ? ',' : ''}${summaryJson(value[i], depth + 1, each) ?? 'null'}`;
    return `${out}]`;
  }
  let out = '{';
  let first = true;
  for (const k in value) {
    if (!Object.hasOwn(value, k)) continue;
    const s = summaryJson((value as Record<string, unknown>)[k], depth + 1, memberPlan(plan, k));
    if (s === undefined) continue;
    out += `${first ? '' : ','}${quotedKey(k)}:${s}`;
    first = false;
  }
  return `${out}}`;
}
