// Sends a raw HTTP request signed with SigV4 (via @smithy/signature-v4), for tests that need to
// control the wire: older protocols (SQS query), malformed bodies, tampered signatures.
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import type { Credentials } from './start-platform.js';

export interface SignedRequest {
  service: string;
  method?: string;
  path?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | Buffer;
  region?: string;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

export async function signedFetch(endpoint: string, credentials: Credentials, request: SignedRequest): Promise<RawResponse> {
  const url = new URL(endpoint);
  const signer = new SignatureV4({ credentials, region: request.region ?? 'us-east-1', service: request.service, sha256: Sha256 });
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  const signed = await signer.sign({
    method: request.method ?? 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: request.path ?? '/',
    query: request.query ?? {},
    headers: { host: url.host, ...(request.headers ?? {}) },
    body,
  });
  const qs = new URLSearchParams(request.query ?? {}).toString();
  const response = await fetch(`${endpoint}${request.path ?? '/'}${qs ? `?${qs}` : ''}`, {
    method: signed.method,
    headers: Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== 'host')),
    body,
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}
