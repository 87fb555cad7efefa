// Active health probes: an HTTP(S) GET of the check path compared against the matcher codes, or a
// bare TCP connect. Each probe has its own connection (never the traffic pool) and its own timeout.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { HealthCheckConfig } from './config.js';
import type { ProbeResult, TargetRuntime } from './target-group.js';

/** Parses an ALB/NLB matcher (`200`, `200,202`, `200-299`) into a predicate on status codes. */
export function parseMatcher(matcher: string): (status: number) => boolean {
  const ranges: [number, number][] = [];
  for (const part of matcher.split(',')) {
    const text = part.trim();
    if (text === '') continue;
    const dash = text.indexOf('-');
    if (dash > 0) ranges.push([Number(text.slice(0, dash)), Number(text.slice(dash + 1))]);
    else ranges.push([Number(text), Number(text)]);
  }
  return (status) => ranges.some(([lo, hi]) => status >= lo && status <= hi);
}

/** True when a matcher is well formed (used by the provider to validate input). */
export function isValidMatcher(matcher: string, min = 200, max = 499): boolean {
  if (!/^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/.test(matcher)) return false;
  for (const part of matcher.split(',')) {
    const [lo, hi = lo] = part.split('-').map(Number) as [number, number?];
    if (lo < min || hi! > max || hi! < lo) return false;
  }
  return true;
}

const matchers = new Map<string, (status: number) => boolean>();

/** The default probe: HTTP/HTTPS by path and matcher, or TCP connect. */
export function probeTarget(target: TargetRuntime, check: HealthCheckConfig, signal: AbortSignal): Promise<ProbeResult> {
  const port = check.port === 'traffic-port' ? target.port : check.port;
  const timeoutMs = check.timeoutSeconds * 1000;
  if (check.protocol === 'TCP') return probeTcp(target.host, port, timeoutMs, signal);
  let match = matchers.get(check.matcher);
  if (match === undefined) {
    match = parseMatcher(check.matcher);
    matchers.set(check.matcher, match);
  }
  const isMatch = match;
  return new Promise<ProbeResult>((resolve) => {
    const request = check.protocol === 'HTTPS' ? httpsRequest : httpRequest;
    let settled = false;
    const done = (r: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const req = request({
      host: target.host,
      port,
      path: check.path,
      method: 'GET',
      agent: false,
      headers: { 'user-agent': 'ELB-HealthChecker/2.0', connection: 'close' },
      rejectUnauthorized: false,
      signal,
    });
    const timer = setTimeout(() => done({ ok: false, kind: 'timeout', detail: 'Request timed out' }), timeoutMs);
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      done(isMatch(status) ? { ok: true } : { ok: false, kind: 'mismatch', detail: String(status) });
    });
    req.on('error', (error) => done({ ok: false, kind: 'failed', detail: error.message }));
    req.end();
  });
}

function probeTcp(host: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise<ProbeResult>((resolve) => {
    const socket = connect({ host, port });
    let settled = false;
    const done = (r: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(r);
    };
    const onAbort = (): void => done({ ok: false, kind: 'failed', detail: 'aborted' });
    signal.addEventListener('abort', onAbort);
    const timer = setTimeout(() => done({ ok: false, kind: 'timeout', detail: 'Request timed out' }), timeoutMs);
    socket.on('connect', () => done({ ok: true }));
    socket.on('error', (error) => done({ ok: false, kind: 'failed', detail: error.message }));
  });
}
