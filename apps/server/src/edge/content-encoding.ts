// Request bodies sent with `Content-Encoding: gzip` (the SDKs compress CloudWatch's PutMetricData
// above 10 KB: the `requestCompression` trait). The signature covers the compressed bytes, so the
// body is verified as received and decoded for routing (query forms) and parsing only.
import { gunzipSync } from 'node:zlib';
import type { IncomingMessage } from 'node:http';
import { serviceError } from '@atoll/core';

const decoded = new WeakMap<Buffer, Buffer>();

/** The body as the protocol reads it: gunzipped when the request says gzip. */
export function decodedBody(body: Buffer, req: IncomingMessage): Buffer {
  const encoding = req.headers['content-encoding'];
  if (typeof encoding !== 'string' || !/^\s*gzip\s*$/i.test(encoding) || body.length === 0) return body;
  let out = decoded.get(body);
  if (!out) {
    try {
      out = gunzipSync(body, { maxOutputLength: 64 * 1024 * 1024 });
    } catch {
      throw serviceError('SerializationException', 400, 'The request body is not valid gzip (Content-Encoding: gzip).');
    }
    decoded.set(body, out);
  }
  return out;
}
