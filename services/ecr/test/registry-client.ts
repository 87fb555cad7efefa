// Test helpers: a platform serving ECR, a token from GetAuthorizationToken, raw registry requests,
// and a tiny hand-built image (config + one layer) to push.
import { createHash, randomBytes } from 'node:crypto';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { createEcrService } from '../src/index.js';

/** Starts a platform with IAM, STS and ECR (ECR served as an extra provider, activated at once). */
export async function startEcrPlatform(config: Record<string, unknown> = {}): Promise<{ platform: TestPlatform; ecr: ECRClient }> {
  const platform = await startPlatform({ services: ['iam', 'sts'], extraProviders: [createEcrService], config });
  const ecr = platform.client(ECRClient);
  // The first call activates ECR (its registry routes go live with it).
  await ecr.send(new GetAuthorizationTokenCommand({}));
  return { platform, ecr };
}

export async function basicAuth(ecr: ECRClient): Promise<string> {
  const out = await ecr.send(new GetAuthorizationTokenCommand({}));
  return `Basic ${out.authorizationData![0]!.authorizationToken!}`;
}

export const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface TinyImage {
  config: Buffer;
  layer: Buffer;
  manifest: string;
  digest: string;
}

export function tinyImage(layerBytes = 1024): TinyImage {
  const layer = randomBytes(layerBytes);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] }, config: {} }));
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
  });
  return { config, layer, manifest, digest: sha256(manifest) };
}

export class Registry {
  constructor(
    readonly base: string,
    readonly auth: string | undefined,
  ) {}

  async fetch(method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(this.base + path, {
      method,
      headers: { ...(this.auth ? { authorization: this.auth } : {}), ...headers },
      ...(body !== undefined ? { body } : {}),
      redirect: 'manual',
    });
  }

  /** Pushes a blob in one POST (monolithic). */
  async pushBlob(repo: string, bytes: Buffer): Promise<Response> {
    return this.fetch('POST', `/v2/${repo}/blobs/uploads/?digest=${sha256(bytes)}`, bytes, { 'content-type': 'application/octet-stream' });
  }

  async pushImage(repo: string, image: TinyImage, tag: string): Promise<Response> {
    for (const blob of [image.config, image.layer]) {
      const r = await this.pushBlob(repo, blob);
      if (r.status !== 201) throw new Error(`blob push answered ${r.status}: ${await r.text()}`);
    }
    return this.fetch('PUT', `/v2/${repo}/manifests/${tag}`, image.manifest, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
  }
}
