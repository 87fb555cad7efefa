// Raw HTTP for the platform-level fuzzers: the path, query and headers go on the wire exactly as
// built (no URL normalization, as fetch would do), signed with SigV4 by the SDK's own signer
// (@smithy/signature-v4) so that junk reaches the parsers behind the authenticate step.
import { Agent, request as httpRequest } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Credentials } from '@atoll/test-support';

export interface RawRequest {
  method: string;
  /** The path as sent (already percent-encoded). */
  path: string;
  /** Query parameters, sent RFC 3986-encoded in this order. */
  query?: [string, string][];
  /** A raw query string sent as is (then not signed as parameters; for junk that cannot be signed). */
  rawQuery?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/** Header values Node refuses to send (control characters); junk headers are cleaned of them. */
export function cleanHeaderValue(value: string): string {
  return value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
}

function encode(text: string): string {
  return encodeURIComponent(text.replace(/[\uD800-\uDFFF]/g, '\uFFFD')).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function queryString(query: [string, string][]): string {
  return query.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
}

/** Sends the request as it is (no signature). */
export function sendRaw(endpoint: string, req: RawRequest): Promise<RawResponse> {
  const url = new URL(endpoint);
  const qs = req.rawQuery ?? (req.query && req.query.length > 0 ? queryString(req.query) : '');
  const body = req.body === undefined ? undefined : Buffer.from(req.body);
  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  if (body && headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const r = httpRequest(
      { agent, host: url.hostname, port: Number(url.port), method: req.method, path: `${req.path}${qs ? `?${qs}` : ''}`, headers, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer in 30 s to ${req.method} ${req.path}`)));
    r.on('error', reject);
    r.end(body);
  });
}

/**
 * Signs the request with SigV4 for `service` (S3 signs the path as sent; the others encode it once
 * more, as the SDKs do) and sends it.
 */
export async function sendSigned(endpoint: string, credentials: Credentials, service: string, req: RawRequest, region = 'us-east-1'): Promise<RawResponse> {
  const url = new URL(endpoint);
  const body = req.body === undefined ? undefined : Buffer.from(req.body);
  const s3 = service === 's3';
  const headers: Record<string, string> = { host: url.host, ...(req.headers ?? {}) };
  for (const [k, v] of Object.entries(headers)) headers[k] = cleanHeaderValue(v);
  if (body) headers['content-length'] = String(body.length);
  if (s3 && headers['x-amz-content-sha256'] === undefined) headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of req.query ?? []) {
    const key = k.replace(/[\uD800-\uDFFF]/g, '\uFFFD');
    const value = v.replace(/[\uD800-\uDFFF]/g, '\uFFFD');
    const prior = query[key];
    query[key] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  const signer = new SignatureV4({ credentials, region, service, sha256: Sha256, uriEscapePath: !s3 });
  const signed = await signer.sign({ method: req.method, protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: req.path, query, headers, body });
  const sent = { ...signed.headers } as Record<string, string>;
  delete sent.host;
  sent.host = url.host;
  return sendRaw(endpoint, { ...req, headers: sent, body });
}

/** The answer's status, and the error code in any of the protocols' shapes (for messages). */
export function describeResponse(res: RawResponse): string {
  const text = res.body.subarray(0, 400).toString('utf8');
  return `${res.status} ${text}`;
}
