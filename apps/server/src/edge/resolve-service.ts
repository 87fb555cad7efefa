// Step 2 of the chain: which service a request is for, from the SigV4 signing name, the
// X-Amz-Target prefix, the query `Action`/`Version`, the host (S3 virtual hosts) and the path.
import type { IncomingHttpHeaders } from 'node:http';
import type { CredentialScope } from '@atoll/auth';
import type { ServedService, ServiceDirectory } from './service-directory.js';

export interface ServiceHint {
  headers: IncomingHttpHeaders;
  rawQuery: string;
  rawPath: string;
  method: string;
  /** Form parameters, when the body has been read as a form. */
  form?: URLSearchParams;
  /** The SigV4 credential scope, already read from the request. */
  scope: CredentialScope | undefined;
}

/** Bucket named by a virtual-host-style S3 host (`bucket.s3.localhost`, `bucket.localhost`), if any. */
export function virtualHostBucket(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const name = host.replace(/:\d+$/, '').toLowerCase();
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name) || name === 'localhost' || name.startsWith('[')) return undefined;
  let m = /^(.+)\.s3[.-](?:[a-z0-9-]+\.)*[a-z0-9-]+$/.exec(name);
  if (m && m[1] !== 's3') return m[1];
  m = /^(.+)\.localhost$/.exec(name);
  if (m && m[1] !== 's3' && !m[1]!.endsWith('.s3')) return m[1];
  return undefined;
}

const SIGNING_NAME_ALIASES: Record<string, string> = { monitoring: 'cloudwatch' };

export async function resolveService(directory: ServiceDirectory, hint: ServiceHint): Promise<ServedService | undefined> {
  const target = hint.headers['x-amz-target'];
  if (typeof target === 'string') {
    const prefix = target.slice(0, target.lastIndexOf('.'));
    const byTarget = directory.all().find((s) => s.entry.targetPrefix === prefix);
    if (byTarget) return byTarget;
  }
  const scope = hint.scope;
  const signingName = scope?.service;
  let candidates = signingName
    ? directory.all().filter((s) => s.entry.signingName === signingName || s.name === (SIGNING_NAME_ALIASES[signingName] ?? signingName))
    : [];
  if (candidates.length === 0 && !signingName && virtualHostBucket(hint.headers.host as string | undefined)) {
    candidates = directory.all().filter((s) => s.name === 's3');
  }
  if (candidates.length === 1) return candidates[0];
  if (candidates.length > 1) {
    const version = hint.form?.get('Version') ?? new URLSearchParams(hint.rawQuery).get('Version');
    if (version) {
      const byVersion = candidates.find((s) => s.entry.apiVersion === version);
      if (byVersion) return byVersion;
    }
    for (const candidate of candidates) {
      if (!candidate.entry.protocols.some((p) => p === 'rest-json' || p === 'rest-xml')) continue;
      const router = await directory.router(candidate.name);
      if (router.pathExists(hint.rawPath)) return candidate;
    }
    return candidates[0];
  }
  if (!signingName) {
    // Unsigned query calls (STS's AssumeRoleWithWebIdentity) name their API by Version.
    const version = hint.form?.has('Action') ? hint.form.get('Version') : undefined;
    const byVersion = version ? directory.all().find((s) => s.name === 'sts' && s.entry.apiVersion === version) : undefined;
    if (byVersion) return byVersion;
    // Unsigned requests: anonymous S3 access (public buckets, presigned browser uploads, CORS preflight).
    return directory.get('s3');
  }
  return undefined;
}
