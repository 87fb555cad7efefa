// The OCI Distribution spec's error bodies, and how ECR's service errors map to them.
import type { ServerResponse } from 'node:http';
import { ServiceError } from '@atoll/core';

export class RegistryError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const API_VERSION_HEADER = { 'docker-distribution-api-version': 'registry/2.0' };

export function sendRegistryError(res: ServerResponse, error: RegistryError, head = false): void {
  const body = JSON.stringify({ errors: [{ code: error.code, message: error.message, detail: {} }] });
  res.writeHead(error.status, { ...API_VERSION_HEADER, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...error.headers });
  res.end(head ? undefined : body);
}

/** What the registry answers for an ECR operation's error, given what it was doing. */
export function toRegistryError(error: unknown, doing: 'manifest' | 'put-manifest' | 'blob' | 'upload'): RegistryError | undefined {
  if (error instanceof RegistryError) return error;
  if (!(error instanceof ServiceError)) return undefined;
  const message = error.message;
  switch (error.code) {
    case 'RepositoryNotFoundException':
      return new RegistryError(404, 'NAME_UNKNOWN', message);
    case 'AccessDeniedException':
    case 'AccessDenied':
      return new RegistryError(403, 'DENIED', message);
    case 'LayersNotFoundException':
      return doing === 'put-manifest' ? new RegistryError(400, 'MANIFEST_BLOB_UNKNOWN', message) : new RegistryError(404, 'BLOB_UNKNOWN', message);
    case 'ReferencedImagesNotFoundException':
      return new RegistryError(400, 'MANIFEST_BLOB_UNKNOWN', message);
    case 'ImageNotFoundException':
      return new RegistryError(404, 'MANIFEST_UNKNOWN', message);
    case 'ImageTagAlreadyExistsException':
      return new RegistryError(400, 'TAG_INVALID', message);
    case 'ImageDigestDoesNotMatchException':
    case 'InvalidLayerException':
      return new RegistryError(400, 'DIGEST_INVALID', message);
    case 'UploadNotFoundException':
      return new RegistryError(404, 'BLOB_UPLOAD_UNKNOWN', message);
    case 'EmptyUploadException':
    case 'InvalidLayerPartException':
      return new RegistryError(400, 'BLOB_UPLOAD_INVALID', message);
    case 'InvalidParameterException':
    case 'ValidationException':
      return doing === 'put-manifest' ? new RegistryError(400, 'MANIFEST_INVALID', message) : new RegistryError(400, 'NAME_INVALID', message);
    default:
      return undefined;
  }
}
