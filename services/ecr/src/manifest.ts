// Image manifests as the registry and the ECR API accept them: OCI image manifest and index, Docker
// v2 schema 2 manifest and manifest list. Reads the media type (declared, or inferred as the OCI
// spec allows), what the manifest references (blobs, child manifests, a subject) and its size.
//
// Known limitations: Docker schema 1 manifests (signed or not) are refused; layers with `urls`
// (non-distributable) are still required to be in the repository.
import { createHash } from 'node:crypto';
import type { NewImage } from './ecr-store.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const MANIFEST_TYPES: readonly string[] = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST];

const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** Whether a string is a digest this registry computes (sha256 or sha512, lower-case hex). */
export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}

/** Any digest the OCI grammar allows (`algorithm:encoded`), for telling a digest from a tag. */
export function looksLikeDigest(value: string): boolean {
  return /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(value);
}

export function digestOf(bytes: Buffer | string, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** A manifest the registry refuses, with the reason (MANIFEST_INVALID / InvalidParameterException). */
export class InvalidManifest extends Error {}

interface Descriptor {
  mediaType?: unknown;
  digest?: unknown;
  size?: unknown;
  annotations?: unknown;
  artifactType?: unknown;
}

function descriptor(value: unknown, where: string): { digest: string; size: number; mediaType?: string } {
  const d = value as Descriptor;
  if (!d || typeof d !== 'object') throw new InvalidManifest(`${where} is not a descriptor`);
  if (typeof d.digest !== 'string' || !isDigest(d.digest)) throw new InvalidManifest(`${where} has an invalid digest`);
  if (typeof d.size !== 'number' || !Number.isInteger(d.size) || d.size < 0) throw new InvalidManifest(`${where} has an invalid size`);
  return { digest: d.digest, size: d.size, ...(typeof d.mediaType === 'string' ? { mediaType: d.mediaType } : {}) };
}

/**
 * Parses a manifest's text. `declaredType` is the Content-Type (registry) or imageManifestMediaType
 * (API); it must agree with the manifest's own `mediaType` when both are given.
 */
export function parseManifest(text: string, declaredType: string | undefined, digest: string): NewImage {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new InvalidManifest('Invalid JSON syntax');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new InvalidManifest('Invalid JSON syntax');
  if (doc.schemaVersion !== 2) throw new InvalidManifest('schemaVersion must be 2');
  const own = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const declared = declaredType?.split(';')[0]!.trim() || undefined;
  if (own && declared && own !== declared) throw new InvalidManifest(`the manifest's mediaType ${own} does not match ${declared}`);
  const isIndex = Array.isArray(doc.manifests);
  const mediaType = own ?? (declared && declared !== 'application/json' ? declared : isIndex ? OCI_INDEX : OCI_MANIFEST);
  if (!MANIFEST_TYPES.includes(mediaType)) throw new InvalidManifest(`unsupported manifest media type ${mediaType}`);
  const refs: NewImage['refs'] = [];
  let size = 0;
  let artifactType: string | null = typeof doc.artifactType === 'string' ? doc.artifactType : null;
  if (mediaType === OCI_INDEX || mediaType === DOCKER_LIST) {
    if (!isIndex) throw new InvalidManifest('an index needs a manifests list');
    (doc.manifests as unknown[]).forEach((m, i) => {
      const d = descriptor(m, `manifests[${i}]`);
      refs.push({ digest: d.digest, kind: 'manifest' });
      size += d.size;
    });
  } else {
    const config = descriptor(doc.config, 'config');
    if (!Array.isArray(doc.layers)) throw new InvalidManifest('an image manifest needs a layers list');
    refs.push({ digest: config.digest, kind: 'blob' });
    size += config.size;
    (doc.layers as unknown[]).forEach((l, i) => {
      const d = descriptor(l, `layers[${i}]`);
      refs.push({ digest: d.digest, kind: 'blob' });
      size += d.size;
    });
    artifactType ??= config.mediaType ?? null;
  }
  let subject: string | null = null;
  if (doc.subject !== undefined) subject = descriptor(doc.subject, 'subject').digest;
  const annotations = doc.annotations && typeof doc.annotations === 'object' ? (doc.annotations as Record<string, string>) : null;
  return { digest, mediaType, artifactType, manifest: text, size, subject, annotations, refs };
}
