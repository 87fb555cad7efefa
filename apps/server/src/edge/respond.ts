// Writes a protocol response to the socket: buffers with Content-Length, streams with backpressure.
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ProtocolResponse } from '@atoll/aws-protocol';

export async function writeResponse(res: ServerResponse, response: ProtocolResponse, extraHeaders: Record<string, string>): Promise<void> {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string | string[]> = { ...extraHeaders, ...response.headers };
  const body = response.body;
  if (body === undefined) {
    if (headers['content-length'] === undefined) headers['content-length'] = '0';
    res.writeHead(response.status, headers);
    res.end();
    return;
  }
  if (body instanceof Readable) {
    res.writeHead(response.status, headers);
    try {
      await pipeline(body, res);
    } catch {
      res.destroy();
    }
    return;
  }
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  headers['content-length'] = String(bytes.length);
  res.writeHead(response.status, headers);
  res.end(bytes);
}
