// From segment documents to what X-Ray answers: the trace (independent subsegments folded into their
// parents, inferred segments for downstream AWS calls), its summary (the indexed facts filter
// expressions read) and its service graph contribution (nodes and edges with statistics).
import { derivedId, type SegmentDoc } from './segment-document.js';

export interface NodeStats {
  name: string;
  type?: string;
  /** A segment node (not inferred): the service that sent it. */
  root?: boolean;
  count: number;
  ok: number;
  error: number;
  throttle: number;
  fault: number;
  /** Seconds. */
  totalResponse: number;
  /** Response times (seconds, ms precision) → count. */
  histogram: Record<string, number>;
  start: number;
  end: number;
}

export interface EdgeStats {
  from: string;
  to: string;
  count: number;
  ok: number;
  error: number;
  throttle: number;
  fault: number;
  totalResponse: number;
  histogram: Record<string, number>;
}

/** The indexed facts of one trace (stored as the trace row's summary). */
export interface TraceFacts {
  id: string;
  start: number;
  end: number;
  duration: number;
  responseTime?: number;
  hasFault: boolean;
  hasError: boolean;
  hasThrottle: boolean;
  isPartial: boolean;
  http?: { url?: string; method?: string; status?: number; userAgent?: string; clientIp?: string };
  annotations: Record<string, { value: string | number | boolean; services: string[] }[]>;
  users: string[];
  entry?: string;
  /** Nodes by key (`name\u0000type`). */
  nodes: Record<string, NodeStats>;
  edges: EdgeStats[];
}

export const nodeKey = (name: string, type?: string) => `${name}\u0000${type ?? ''}`;

/** Parses stored documents; independent subsegments are folded into their parent (segment or subsegment). */
export function assemble(docs: readonly string[]): { segments: SegmentDoc[]; orphans: SegmentDoc[] } {
  const parsed = docs.map((d) => JSON.parse(d) as SegmentDoc);
  const segments = parsed.filter((d) => d.type !== 'subsegment');
  const loose = parsed.filter((d) => d.type === 'subsegment');
  const byId = new Map<string, SegmentDoc>();
  const index = (d: SegmentDoc) => {
    byId.set(d.id, d);
    for (const s of d.subsegments ?? []) index(s);
  };
  for (const s of segments) index(s);
  const orphans: SegmentDoc[] = [];
  let pending = loose;
  // Subsegments may hang from other independent subsegments: fold until nothing moves.
  for (let round = 0; pending.length > 0 && round < 8; round++) {
    const next: SegmentDoc[] = [];
    for (const sub of pending) {
      const parent = sub.parent_id ? byId.get(sub.parent_id) : undefined;
      if (!parent) {
        next.push(sub);
        continue;
      }
      const { trace_id: _t, parent_id: _p, type: _ty, ...rest } = sub;
      const list = (parent.subsegments ??= []);
      const at = list.findIndex((s) => s.id === sub.id);
      if (at >= 0) list[at] = rest as SegmentDoc;
      else list.push(rest as SegmentDoc);
      index(rest as SegmentDoc);
    }
    if (next.length === pending.length) {
      orphans.push(...next);
      pending = [];
    } else pending = next;
  }
  return { segments, orphans };
}

function* walk(subs: readonly SegmentDoc[] | undefined): Generator<SegmentDoc> {
  for (const s of subs ?? []) {
    yield s;
    yield* walk(s.subsegments);
  }
}

const seconds = (v: number) => Math.round(v * 1000) / 1000;

/** The node a downstream AWS or remote call (a subsegment) stands for. */
function inferredNode(sub: SegmentDoc): { name: string; type: string } {
  if (sub.namespace === 'aws') {
    const aws = sub.aws ?? {};
    if (aws.table_name !== undefined) return { name: String(aws.table_name), type: 'AWS::DynamoDB::Table' };
    if (typeof aws.queue_url === 'string') return { name: aws.queue_url.split('/').pop() ?? sub.name, type: 'AWS::SQS::Queue' };
    return { name: sub.name, type: `AWS::${sub.name}` };
  }
  return { name: sub.name, type: 'remote' };
}

function newNode(name: string, type: string | undefined, start: number): NodeStats {
  return { name, ...(type ? { type } : {}), count: 0, ok: 0, error: 0, throttle: 0, fault: 0, totalResponse: 0, histogram: {}, start, end: start };
}

function record(stats: NodeStats | EdgeStats, d: SegmentDoc): void {
  const rt = d.end_time !== undefined ? seconds(d.end_time - d.start_time) : 0;
  stats.count++;
  if (d.fault) stats.fault++;
  else if (d.throttle) {
    stats.throttle++;
    stats.error++;
  } else if (d.error) stats.error++;
  else stats.ok++;
  stats.totalResponse = seconds(stats.totalResponse + rt);
  const bucket = String(rt);
  stats.histogram[bucket] = (stats.histogram[bucket] ?? 0) + 1;
  if ('start' in stats) {
    stats.start = Math.min(stats.start, d.start_time);
    stats.end = Math.max(stats.end, d.end_time ?? d.start_time);
  }
}

/** Inferred segments X-Ray adds for downstream AWS calls that no instrumented service answered. */
export function inferredSegments(segments: readonly SegmentDoc[], traceId: string): SegmentDoc[] {
  const out: SegmentDoc[] = [];
  const answered = new Set(segments.filter((s) => s.parent_id).map((s) => `${s.parent_id}\u0000${nodeKey(s.name, s.origin)}`));
  for (const seg of segments) {
    for (const sub of walk(seg.subsegments)) {
      if (sub.namespace !== 'aws') continue;
      const node = inferredNode(sub);
      if (answered.has(`${sub.id}\u0000${nodeKey(node.name, node.type)}`)) continue;
      out.push({
        id: derivedId(`${traceId}/${sub.id}`),
        name: node.name,
        trace_id: traceId,
        parent_id: sub.id,
        start_time: sub.start_time,
        ...(sub.end_time !== undefined ? { end_time: sub.end_time } : { in_progress: true }),
        inferred: true,
        origin: node.type,
        ...(sub.error ? { error: true } : {}),
        ...(sub.fault ? { fault: true } : {}),
        ...(sub.throttle ? { throttle: true } : {}),
        ...(sub.aws ? { aws: sub.aws } : {}),
      });
    }
  }
  return out;
}

/** The indexed facts of a trace from all its documents. */
export function summarize(traceId: string, docs: readonly string[]): TraceFacts {
  const { segments } = assemble(docs);
  const nodes: Record<string, NodeStats> = {};
  const edges = new Map<string, EdgeStats>();
  const annotations: TraceFacts['annotations'] = {};
  const users = new Set<string>();
  let start = Infinity;
  let end = -Infinity;
  let hasFault = false;
  let hasError = false;
  let hasThrottle = false;
  let isPartial = false;
  const segNode = new Map<string, string>();
  const subOwner = new Map<string, { owner: string; sub: SegmentDoc }>();
  const segIds = new Set(segments.map((s) => s.id));
  for (const seg of segments) {
    const key = nodeKey(seg.name, seg.origin);
    segNode.set(seg.id, key);
    for (const sub of walk(seg.subsegments)) subOwner.set(sub.id, { owner: key, sub });
  }
  const edge = (from: string, to: string, d: SegmentDoc) => {
    const k = `${from}\u0001${to}`;
    let e = edges.get(k);
    if (!e) edges.set(k, (e = { from, to, count: 0, ok: 0, error: 0, throttle: 0, fault: 0, totalResponse: 0, histogram: {} }));
    record(e, d);
  };
  const note = (d: SegmentDoc, owner: string) => {
    start = Math.min(start, d.start_time);
    end = Math.max(end, d.end_time ?? d.start_time);
    hasFault ||= d.fault === true;
    hasError ||= d.error === true;
    hasThrottle ||= d.throttle === true;
    isPartial ||= d.in_progress === true;
    for (const [k, v] of Object.entries(d.annotations ?? {})) {
      const list = (annotations[k] ??= []);
      const found = list.find((x) => x.value === v);
      if (found) {
        if (!found.services.includes(owner)) found.services.push(owner);
      } else list.push({ value: v, services: [owner] });
    }
  };
  const linked = new Set<string>();
  const absorbed = new Set<string>();
  for (const seg of segments) {
    const key = segNode.get(seg.id)!;
    nodes[key] ??= { ...newNode(seg.name, seg.origin, seg.start_time), root: true };
    record(nodes[key]!, seg);
    note(seg, key);
    if (seg.user) users.add(seg.user);
    if (seg.parent_id && segIds.has(seg.parent_id)) edge(segNode.get(seg.parent_id)!, key, seg);
    else if (seg.parent_id && subOwner.has(seg.parent_id)) {
      const { owner, sub } = subOwner.get(seg.parent_id)!;
      linked.add(sub.id);
      const n = sub.namespace === 'aws' ? inferredNode(sub) : undefined;
      if (n && nodeKey(n.name, n.type) !== key) edge(nodeKey(n.name, n.type), key, seg);
      else {
        // The service answered the call itself (the platform's segment): it replaces the inferred node.
        if (n) absorbed.add(sub.id);
        edge(owner, key, seg);
      }
    }
    for (const sub of walk(seg.subsegments)) note(sub, key);
  }
  for (const [subId, { owner, sub }] of subOwner) {
    if (absorbed.has(subId) || (sub.namespace !== 'aws' && (sub.namespace !== 'remote' || linked.has(subId)))) continue;
    const n = inferredNode(sub);
    const key = nodeKey(n.name, n.type);
    nodes[key] ??= newNode(n.name, n.type, sub.start_time);
    record(nodes[key]!, sub);
    edge(owner, key, sub);
  }
  const root = segments.find((s) => !s.parent_id || (!segIds.has(s.parent_id) && !subOwner.has(s.parent_id))) ?? segments[0];
  const http = root?.http;
  if (start === Infinity) start = end = 0;
  return {
    id: traceId,
    start,
    end,
    duration: seconds(end - start),
    ...(root?.end_time !== undefined ? { responseTime: seconds(root.end_time - root.start_time) } : {}),
    hasFault,
    hasError,
    hasThrottle,
    isPartial,
    ...(http
      ? {
          http: {
            url: http.request?.url,
            method: http.request?.method,
            status: http.response?.status,
            userAgent: http.request?.user_agent,
            clientIp: http.request?.client_ip,
          },
        }
      : {}),
    annotations,
    users: [...users],
    ...(root ? { entry: segNode.get(root.id) } : {}),
    nodes,
    edges: [...edges.values()],
  };
}

/** Adds one trace's nodes and edges into a graph being built over many traces. */
export function mergeGraph(into: { nodes: Map<string, NodeStats>; edges: Map<string, EdgeStats> }, facts: TraceFacts): void {
  for (const [k, n] of Object.entries(facts.nodes)) {
    const t = into.nodes.get(k);
    if (!t) into.nodes.set(k, structuredClone(n));
    else mergeStats(t, n);
  }
  for (const e of facts.edges) {
    const k = `${e.from}\u0001${e.to}`;
    const t = into.edges.get(k);
    if (!t) into.edges.set(k, structuredClone(e));
    else mergeStats(t, e);
  }
}

function mergeStats(t: NodeStats | EdgeStats, s: NodeStats | EdgeStats): void {
  t.count += s.count;
  t.ok += s.ok;
  t.error += s.error;
  t.throttle += s.throttle;
  t.fault += s.fault;
  t.totalResponse = seconds(t.totalResponse + s.totalResponse);
  for (const [b, c] of Object.entries(s.histogram)) t.histogram[b] = (t.histogram[b] ?? 0) + c;
  if ('start' in t && 'start' in s) {
    t.start = Math.min(t.start, s.start);
    t.end = Math.max(t.end, s.end);
  }
}
