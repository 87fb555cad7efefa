// The X-Ray segment document: what PutTraceSegments (and the daemon, and the OTLP receiver) accept,
// and the per-segment rejection codes for what they do not. AWS documents `MissingId` and
// `InvalidTraceId`; the other codes follow the same `Missing<Field>`/`Invalid<Field>` pattern.
import { createHash } from 'node:crypto';

export const MAX_SEGMENT_BYTES = 64 * 1024;
/** How old (by its trace id's epoch or its start time) a segment may be: 30 days, as X-Ray's retention. */
export const MAX_AGE_MS = 30 * 24 * 3600_000;
/** How far in the future a segment may start: clock skew. */
export const MAX_SKEW_MS = 5 * 60_000;

export const TRACE_ID = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;
const SEGMENT_ID = /^[0-9a-f]{16}$/;

/** A segment or subsegment document, as far as Atoll reads it. Other fields are kept as sent. */
export interface SegmentDoc {
  name: string;
  id: string;
  trace_id?: string;
  parent_id?: string;
  type?: string;
  start_time: number;
  end_time?: number;
  in_progress?: boolean;
  origin?: string;
  namespace?: string;
  inferred?: boolean;
  user?: string;
  error?: boolean;
  fault?: boolean;
  throttle?: boolean;
  http?: { request?: { url?: string; method?: string; user_agent?: string; client_ip?: string }; response?: { status?: number } };
  aws?: Record<string, unknown>;
  annotations?: Record<string, string | number | boolean>;
  metadata?: Record<string, unknown>;
  subsegments?: SegmentDoc[];
  [field: string]: unknown;
}

export interface AcceptedSegment {
  doc: SegmentDoc;
  text: string;
  traceId: string;
  id: string;
  startMs: number;
  inProgress: boolean;
}

export interface RejectedSegment {
  id: string;
  code: string;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Validates one segment document (JSON text) against X-Ray's rules at time `now` (epoch ms).
 * `anyTraceEpoch`: W3C trace ids (OTLP) carry no time, so their first 8 digits are not checked.
 */
export function checkSegment(text: string, now: number, options: { anyTraceEpoch?: boolean } = {}): AcceptedSegment | RejectedSegment {
  if (Buffer.byteLength(text, 'utf8') > MAX_SEGMENT_BYTES) return { id: idIn(text), code: 'SegmentTooLarge' };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { id: idIn(text), code: 'ParseError' };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { id: '', code: 'MissingId' };
  const d = doc as Record<string, unknown>;
  const id = typeof d.id === 'string' ? d.id : '';
  if (d.id === undefined) return { id, code: 'MissingId' };
  if (!SEGMENT_ID.test(id)) return { id, code: 'InvalidId' };
  if (d.trace_id === undefined) return { id, code: 'MissingTraceId' };
  if (typeof d.trace_id !== 'string' || !TRACE_ID.test(d.trace_id)) return { id, code: 'InvalidTraceId' };
  const epochMs = parseInt(d.trace_id.slice(2, 10), 16) * 1000;
  if (!options.anyTraceEpoch && (now - epochMs > MAX_AGE_MS || epochMs - now > MAX_SKEW_MS)) return { id, code: 'InvalidTraceId' };
  if (typeof d.name !== 'string' || d.name.length === 0) return { id, code: 'MissingName' };
  if (d.name.length > 200) return { id, code: 'InvalidName' };
  if (d.start_time === undefined) return { id, code: 'MissingStartTime' };
  if (!isNumber(d.start_time)) return { id, code: 'InvalidStartTime' };
  const startMs = d.start_time * 1000;
  if (now - startMs > MAX_AGE_MS || startMs - now > MAX_SKEW_MS) return { id, code: 'InvalidStartTime' };
  const inProgress = d.in_progress === true;
  if (!inProgress) {
    if (d.end_time === undefined) return { id, code: 'MissingEndTime' };
    if (!isNumber(d.end_time) || d.end_time < d.start_time) return { id, code: 'InvalidEndTime' };
  }
  if (d.type === 'subsegment' && typeof d.parent_id !== 'string') return { id, code: 'MissingParentId' };
  if (d.parent_id !== undefined && (typeof d.parent_id !== 'string' || !SEGMENT_ID.test(d.parent_id))) return { id, code: 'InvalidParentId' };
  return { doc: d as SegmentDoc, text, traceId: d.trace_id, id, startMs: Math.round(startMs), inProgress };
}

export const rejected = (r: AcceptedSegment | RejectedSegment): r is RejectedSegment => 'code' in r;

/** The segment's id, when its (malformed or too large) text still shows one. */
function idIn(text: string): string {
  return /"id"\s*:\s*"([0-9a-f]{16})"/.exec(text.slice(0, 4096))?.[1] ?? '';
}

/** A new X-Ray trace id at `now` (epoch ms). */
export function newTraceId(now = Date.now(), random: () => string = () => createHash('sha1').update(`${now}${Math.random()}`).digest('hex')): string {
  return `1-${Math.floor(now / 1000).toString(16).padStart(8, '0')}-${random().slice(0, 24)}`;
}

/** A stable 16-hex-digit id derived from `seed` (inferred segments). */
export function derivedId(seed: string): string {
  return createHash('sha1').update(seed).digest('hex').slice(0, 16);
}
