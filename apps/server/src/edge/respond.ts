// Writes a protocol response to the socket: strings and buffers with Content-Length, streams with
// backpressure.
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
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
    // pipe() rather than stream.pipeline(): pipeline aborts an AbortController to clean up after
    // every stream, and the DOMException that makes costs more than a small object's whole answer.
    await new Promise<void>((resolve) => {
      body.once('error', () => res.destroy());
      res.once('close', () => {
        if (!res.writableFinished) body.destroy();
        resolve();
      });
      body.pipe(res);
    });
    return;
  }
  // A string body goes to end() as it is: Node then sends the head and the body in one write.
  headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length);
  res.writeHead(response.status, headers);
  res.end(body);
}
