// How the data plane writes its own answers: API Gateway's JSON error bodies (`{"message":…}`) and
// integration results.
import type { ServerResponse } from 'node:http';
import type { ProxyResult } from './proxy-events.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendResult(res: ServerResponse, result: ProxyResult, extra: Record<string, string> = {}): void {
  const headers: Record<string, string | string[]> = { ...extra, ...result.headers, 'content-length': String(result.body.length) };
  if (headers['content-type'] === undefined) headers['content-type'] = 'application/json';
  res.writeHead(result.status, headers);
  res.end(result.body);
}
