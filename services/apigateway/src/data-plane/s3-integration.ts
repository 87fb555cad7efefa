// REST APIs' `AWS` integrations to S3 by path: `arn:aws:apigateway:<region>:s3:path/<bucket>[/<key>]`
// (placeholders already filled from the integration's path parameters) with the integration's HTTP
// method: GET reads the object (or lists the bucket when there is no key), PUT writes the body,
// DELETE deletes, HEAD describes, through S3's public operations (platform.call, as the
// integration's `credentials` role, else the API's account). The answer carries the object's bytes and headers (Content-Type, ETag, Content-Length,
// Last-Modified), or the S3 error's status with `{"__type","message"}`.
import type { CallerIdentity, PlatformContext } from '@atoll/core';
import type { Readable } from 'node:stream';

export interface S3Answer {
  status: number;
  body: Buffer;
  headers: Record<string, string>;
}

export function parseS3Uri(uri: string): { region: string; bucket: string; key: string } | undefined {
  const m = /^arn:aws:apigateway:([^:]*):s3:path\/([^/]+)(?:\/(.*))?$/.exec(uri);
  if (!m) return undefined;
  return { region: m[1]!, bucket: decodeURIComponent(m[2]!), key: m[3] ? decodeURIComponent(m[3]) : '' };
}

async function bytes(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (typeof body === 'string') return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body as Readable) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

export async function callS3(
  platform: PlatformContext,
  uri: string,
  method: string,
  body: Buffer,
  contentType: string | undefined,
  scope: { accountId: string; region: string; requestId: string; identity?: CallerIdentity },
): Promise<S3Answer | undefined> {
  const target = parseS3Uri(uri);
  if (!target) return undefined;
  const ctx = { accountId: scope.accountId, region: target.region || scope.region, requestId: scope.requestId, ...(scope.identity ? { identity: scope.identity } : {}) };
  const json = (status: number, value: unknown): S3Answer => ({ status, body: Buffer.from(JSON.stringify(value)), headers: { 'content-type': 'application/json' } });
  try {
    const { bucket: Bucket, key: Key } = target;
    if (method === 'GET' && Key === '') return json(200, await platform.call('s3', 'ListObjectsV2', { Bucket }, ctx));
    if (method === 'GET' || method === 'HEAD') {
      const out = await platform.call<Record<string, unknown>>('s3', method === 'GET' ? 'GetObject' : 'HeadObject', { Bucket, Key }, ctx);
      const data = method === 'GET' ? await bytes(out.Body) : Buffer.alloc(0);
      const headers: Record<string, string> = { 'content-type': String(out.ContentType ?? 'application/octet-stream') };
      if (out.ETag) headers.etag = String(out.ETag);
      if (out.LastModified) headers['last-modified'] = new Date(out.LastModified as string).toUTCString();
      if (out.ContentLength !== undefined) headers['x-amz-meta-content-length'] = String(out.ContentLength);
      return { status: 200, body: data, headers };
    }
    if (method === 'PUT') {
      const out = await platform.call<Record<string, unknown>>('s3', 'PutObject', { Bucket, Key, Body: body, ContentLength: body.length, ...(contentType ? { ContentType: contentType } : {}) }, ctx);
      return { status: 200, body: Buffer.alloc(0), headers: { ...(out.ETag ? { etag: String(out.ETag) } : {}) } };
    }
    if (method === 'DELETE') {
      await platform.call('s3', 'DeleteObject', { Bucket, Key }, ctx);
      return { status: 204, body: Buffer.alloc(0), headers: {} };
    }
    return json(405, { __type: 'MethodNotAllowed', message: `S3 path integrations take GET, HEAD, PUT and DELETE, not ${method}` });
  } catch (error) {
    const e = error as { code?: string; status?: number; message?: string };
    if (e.status === undefined) throw error;
    return json(e.status, { __type: e.code ?? 'InternalError', message: e.message ?? 'S3 error' });
  }
}
