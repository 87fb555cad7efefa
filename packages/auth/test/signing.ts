// Test support: signs requests with the AWS SDK's own signer (@smithy/signature-v4) and turns the
// signed request into what the edge hands to verifySigV4, so the tests check against the SDK.
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { CallerIdentity } from '@atoll/core';
import type { SigV4Request, VerifyOptions } from '../src/sigv4-verifier.js';

export const ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
export const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const IDENTITY: CallerIdentity = {
  type: 'IAMUser',
  accountId: '000000000000',
  arn: 'arn:aws:iam::000000000000:user/alice',
  principalId: 'AIDAEXAMPLE',
  userName: 'alice',
  accessKeyId: ACCESS_KEY_ID,
};

function toBytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** The hash constructor the SDK signer expects, backed by node:crypto. */
export class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

export interface TestRequest {
  method: string;
  /** The path as the SDK puts it on the wire (already encoded where the SDK encodes). */
  path: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface SignOptions {
  service: string;
  region?: string;
  date: Date;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
}

export function signer(options: SignOptions): SignatureV4 {
  return new SignatureV4({
    service: options.service,
    region: options.region ?? 'us-east-1',
    credentials: {
      accessKeyId: options.accessKeyId ?? ACCESS_KEY_ID,
      secretAccessKey: options.secretAccessKey ?? SECRET_ACCESS_KEY,
      ...(options.sessionToken ? { sessionToken: options.sessionToken } : {}),
    },
    sha256: NodeSha256,
    uriEscapePath: options.service !== 's3',
    applyChecksum: options.service === 's3',
  });
}

function escapeUri(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Builds the query string as the SDK's HTTP handler does. */
export function buildQueryString(query: Record<string, string | string[] | null | undefined>): string {
  const parts: string[] = [];
  for (const key of Object.keys(query)) {
    const value = query[key];
    const name = escapeUri(key);
    if (Array.isArray(value)) for (const v of value) parts.push(`${name}=${escapeUri(v)}`);
    else if (value === null || value === undefined) parts.push(name);
    else parts.push(`${name}=${escapeUri(value)}`);
  }
  return parts.join('&');
}

function toSmithy(request: TestRequest): Parameters<SignatureV4['presign']>[0] {
  return {
    method: request.method,
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 4566,
    path: request.path,
    query: { ...(request.query ?? {}) },
    headers: {
      host: '127.0.0.1:4566',
      ...(request.body !== undefined ? { 'content-length': String(Buffer.byteLength(request.body)) } : {}),
      ...(request.headers ?? {}),
    },
    ...(request.body !== undefined ? { body: request.body } : {}),
  };
}

function toVerifiable(signed: Awaited<ReturnType<SignatureV4['presign']>>, body?: string | Buffer): SigV4Request {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = value;
  return {
    method: signed.method,
    path: signed.path,
    query: buildQueryString((signed.query ?? {}) as Record<string, string | string[] | null>),
    headers,
    ...(body !== undefined ? { bodyHash: createHash('sha256').update(body).digest('hex') } : {}),
  };
}

/** Signs with the Authorization header, as SDK clients do. */
export async function signRequest(request: TestRequest, options: SignOptions): Promise<SigV4Request> {
  const signed = await signer(options).sign(toSmithy(request), { signingDate: options.date });
  return toVerifiable(signed, request.body);
}

/** Presigns a URL, as `getSignedUrl` does. */
export async function presignRequest(request: TestRequest, options: SignOptions & { expiresIn?: number }): Promise<SigV4Request> {
  const signed = await signer(options).presign(toSmithy(request), { signingDate: options.date, expiresIn: options.expiresIn ?? 900 });
  return toVerifiable(signed);
}

/** A lookup that knows one key (or the keys given). */
export function lookup(keys: Record<string, string> = { [ACCESS_KEY_ID]: SECRET_ACCESS_KEY }): VerifyOptions['lookupSecret'] {
  return async (accessKeyId) => {
    const secretAccessKey = keys[accessKeyId];
    return secretAccessKey === undefined ? undefined : { secretAccessKey, identity: { ...IDENTITY, accessKeyId } };
  };
}
