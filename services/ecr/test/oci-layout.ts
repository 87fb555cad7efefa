// Writes an OCI image layout directory (oci-layout, index.json, blobs/sha256/…) holding one image,
// for skopeo to copy from. The layer is gzip (level 1) of random bytes, so that clients keep it as
// it is (they compress uncompressed layers on push); it is streamed to disk, never held in memory.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';

export async function writeOciLayout(dir: string, layerBytes: number, tag: string): Promise<{ layerDigest: string; manifestDigest: string; size: number }> {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const hash = createHash('sha256');
  const diff = createHash('sha256');
  const tmp = join(blobs, 'layer.tmp');
  const out = createWriteStream(tmp);
  const gzip = createGzip({ level: 1 });
  let size = 0;
  gzip.on('data', (c: Buffer) => {
    hash.update(c);
    size += c.length;
    if (!out.write(c)) {
      gzip.pause();
      out.once('drain', () => gzip.resume());
    }
  });
  const chunk = randomBytes(1024 * 1024);
  for (let written = 0; written < layerBytes; ) {
    const piece = chunk.subarray(0, Math.min(chunk.length, layerBytes - written));
    chunk[0] = (chunk[0]! + 1) & 0xff;
    diff.update(piece);
    if (!gzip.write(piece)) await once(gzip, 'drain');
    written += piece.length;
  }
  gzip.end();
  await once(gzip, 'end');
  out.end();
  await once(out, 'finish');
  const layerHex = hash.digest('hex');
  renameSync(tmp, join(blobs, layerHex));
  const put = (bytes: Buffer) => {
    const hex = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(join(blobs, hex), bytes);
    return `sha256:${hex}`;
  };
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${diff.digest('hex')}`] }, config: {} }));
  const configDigest = put(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${layerHex}`, size }],
    }),
  );
  const manifestDigest = put(manifest);
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': tag } }],
    }),
  );
  return { layerDigest: `sha256:${layerHex}`, manifestDigest, size };
}

