// Calls the platform's signed admin routes (/_atoll/…) with the root key, as `atoll reset` does.
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { AtollError } from '@atoll/core';

export interface AdminCall {
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  region: string;
  method: 'POST' | 'GET';
  path: string;
  query?: Record<string, string>;
}

/** Sends the signed request; resolves with the JSON answer, throws ADMIN_CALL_FAILED with the platform's message. */
export async function callAdmin(call: AdminCall): Promise<unknown> {
  const url = new URL(call.endpoint);
  const signer = new SignatureV4({ credentials: call.credentials, region: call.region, service: 'atoll', sha256: Sha256 });
  const signed = await signer.sign({
    method: call.method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: call.path,
    query: call.query ?? {},
    headers: { host: url.host },
  });
  const qs = new URLSearchParams(call.query ?? {}).toString();
  let response: Response;
  try {
    response = await fetch(`${call.endpoint}${call.path}${qs ? `?${qs}` : ''}`, {
      method: signed.method,
      headers: Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== 'host')) as Record<string, string>,
    });
  } catch (cause) {
    throw new AtollError('ADMIN_UNREACHABLE', `no platform answers at ${call.endpoint}: is it running (npm start)?`, { cause });
  }
  const text = await response.text();
  let body: { __type?: string; message?: string } | undefined;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    throw new AtollError('ADMIN_CALL_FAILED', `${call.path} answered ${response.status} ${body?.__type ?? ''}: ${body?.message ?? text}`.trim());
  }
  return body;
}
