// Writes a protocol response to the socket: strings and buffers with Content-Length, streams with
// backpressure. Headers go to Node as one flat [name, value, …] list built in one pass (no merged
// header objects per request).
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { ProtocolResponse } from '@atoll/aws-protocol';

/**
 * `extraHeaders` is a flat list of lower-case names and values (the edge's own headers); the
 * response's headers win over them.
 */
export async function writeResponse(res: ServerResponse, response: ProtocolResponse, extraHeaders: readonly string[]): Promise<void> {
  if (res.headersSent || res.destroyed) return;
  const own = response.headers;
  const body = response.body;
  // A string or buffer body's length is ours to state; a stream's or an empty answer's may be given.
  const sized = body !== undefined && !(body instanceof Readable);
  const headers: (string | string[])[] = [];
  for (let i = 0; i < extraHeaders.length; i += 2) {
    if (own[extraHeaders[i]!] === undefined) headers.push(extraHeaders[i]!, extraHeaders[i + 1]!);
  }
  let hasLength = false;
  for (const name in own) {
    const value = own[name];
    if (value === undefined) continue;
    if (name === 'content-length') {
      if (sized) continue;
      hasLength = true;
    }
    headers.push(name, value);
  }
  if (body === undefined) {
    if (!hasLength) headers.push('content-length', '0');
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
  headers.push('content-length', String(typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length));
  res.writeHead(response.status, headers);
  res.end(body);
}
