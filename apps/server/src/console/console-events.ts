// Live updates for the console over server-sent events. The page names the read-only calls it wants
// watched (a queue's attributes, an ECS service, a log group's newest events); the server repeats
// them with the session's keys on one timer per connection and sends an `update` event only when an
// answer changed, so that a page open for hours costs one small request per watched call per tick and
// nothing on the wire while nothing changes. A comment line keeps idle proxies from closing the stream.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConsoleAws } from './console-aws.js';
import { ConsoleCallError } from './console-aws.js';
import type { ConsoleSession } from './console-session.js';
import { SECURITY_HEADERS } from './console-assets.js';

export interface WatchedCall {
  id: string;
  service: string;
  operation: string;
  input?: unknown;
}

const READ_ONLY = /^(List|Describe|Get|Filter|Lookup)[A-Za-z]*$/;
const MAX_WATCHED = 12;
export const DEFAULT_TICK_MS = 2000;

/** Parses and checks the `watch` parameter: a JSON list of read-only calls. */
export function parseWatch(raw: string | null): WatchedCall[] {
  if (!raw) throw new ConsoleCallError('ValidationError', 400, 'watch names no call');
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    throw new ConsoleCallError('ValidationError', 400, 'watch is not JSON');
  }
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_WATCHED) {
    throw new ConsoleCallError('ValidationError', 400, `watch must list 1 to ${MAX_WATCHED} calls`);
  }
  return list.map((item: unknown) => {
    const call = item as WatchedCall;
    if (!call || typeof call.id !== 'string' || typeof call.service !== 'string' || typeof call.operation !== 'string') {
      throw new ConsoleCallError('ValidationError', 400, 'each watched call needs id, service and operation');
    }
    if (!READ_ONLY.test(call.operation) || call.operation === 'GetObject') {
      throw new ConsoleCallError('ValidationError', 400, `${call.operation} is not a read-only operation; only List*, Describe*, Get*, Filter* and Lookup* may be watched`);
    }
    return { id: call.id, service: call.service, operation: call.operation, input: call.input ?? {} };
  });
}

export function streamEvents(aws: ConsoleAws, session: ConsoleSession, req: IncomingMessage, res: ServerResponse, calls: WatchedCall[], tickMs: number): void {
  res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
  res.write(': connected\n\n');
  const last = new Map<string, string>();
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let sinceHeartbeat = 0;
  const tick = async () => {
    for (const call of calls) {
      if (closed) return;
      let payload: string;
      try {
        const output = await aws.call(session.credentials, call.service, call.operation, call.input);
        payload = JSON.stringify({ id: call.id, output });
      } catch (error) {
        const e = error instanceof ConsoleCallError ? error : new ConsoleCallError('InternalFailure', 500, String(error));
        payload = JSON.stringify({ id: call.id, error: { code: e.code, status: e.status, message: e.message } });
      }
      if (closed) return;
      if (last.get(call.id) !== payload) {
        last.set(call.id, payload);
        res.write(`event: update\ndata: ${payload}\n\n`);
        sinceHeartbeat = 0;
      }
    }
    sinceHeartbeat += tickMs;
    if (sinceHeartbeat >= 15_000) {
      res.write(': keep-alive\n\n');
      sinceHeartbeat = 0;
    }
    if (!closed) timer = setTimeout(() => void tick(), tickMs);
  };
  const stop = () => {
    closed = true;
    if (timer) clearTimeout(timer);
  };
  req.on('close', stop);
  res.on('close', stop);
  void tick();
}
