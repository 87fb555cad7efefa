// The OCI Distribution v2 registry in front of ECR, served on the edge listener under /v2/. Its own
// chain, in order: authenticate (Basic `AWS:<token>` from GetAuthorizationToken, or any caller in
// permissive mode) → route (path and method) → the ECR operation of the step, called in-process with
// the token's identity, so that IAM and the repository policy authorize it as ECR does (manifest
// GET: BatchGetImage; blob GET: GetDownloadUrlForLayer; blob HEAD: BatchCheckLayerAvailability;
// POST upload: InitiateLayerUpload; PUT upload: CompleteLayerUpload; manifest PUT: PutImage;
// DELETE: BatchDeleteImage; tags, referrers: ListImages; _catalog: DescribeRepositories) → the
// spec's answer, or its error JSON.
//
// Known limitations: PATCH (UploadLayerPart) is not authorized on its own: an upload accepts parts
// only from the principal that started it. Registry requests are not in the audit trail or the
// request metrics. Blob DELETE answers 405 (blobs go with the garbage sweep). Manifests up to 4 MiB.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { CallerIdentity, PlatformContext } from '@atoll/core';
import type { AuthTokens } from '../auth-tokens.js';
import type { EcrStore, RepositoryRecord, UploadRecord } from '../ecr-store.js';
import { BLOB } from '../image-operations.js';
import type { LayerBlobs } from '../layer-blobs.js';
import { OCI_INDEX, digestOf, isDigest, looksLikeDigest } from '../manifest.js';
import { API_VERSION_HEADER, RegistryError, sendRegistryError, toRegistryError } from './registry-errors.js';

export interface RegistryDeps {
  store: EcrStore;
  layers: LayerBlobs;
  tokens: AuthTokens;
}

interface Caller {
  identity: CallerIdentity;
  /** The registry (account) the request addresses: the host's, or the caller's own. */
  registryId: string;
  region: string;
}

const NAME = '((?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)';
const ROUTES = {
  tags: new RegExp(`^/v2/${NAME}/tags/list$`),
  manifest: new RegExp(`^/v2/${NAME}/manifests/([^/]+)$`),
  uploadStart: new RegExp(`^/v2/${NAME}/blobs/uploads/?$`),
  upload: new RegExp(`^/v2/${NAME}/blobs/uploads/([^/]+)$`),
  blob: new RegExp(`^/v2/${NAME}/blobs/([^/]+)$`),
  referrers: new RegExp(`^/v2/${NAME}/referrers/([^/]+)$`),
};
const HOST = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.localhost(?::\d+)?$/;
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const nameUnknown = (name: string) => new RegistryError(404, 'NAME_UNKNOWN', `repository name not known to registry: ${name}`);
const manifestUnknown = (ref: string) => new RegistryError(404, 'MANIFEST_UNKNOWN', `manifest unknown: ${ref}`);
const uploadUnknown = () => new RegistryError(404, 'BLOB_UPLOAD_UNKNOWN', 'blob upload unknown to registry');
const unsupported = () => new RegistryError(405, 'UNSUPPORTED', 'The operation is unsupported.');

export class RegistryHandler {
  constructor(
    private readonly platform: PlatformContext,
    private readonly deps: () => RegistryDeps,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const head = req.method === 'HEAD';
    try {
      const url = new URL(req.url ?? '/', 'http://registry');
      const caller = this.#authenticate(req, url);
      await this.#route(req, res, url, caller);
    } catch (error) {
      let mapped = toRegistryError(error, 'manifest');
      if (!mapped) {
        this.platform.logger.error({ err: error, path: req.url }, 'registry request failed');
        mapped = new RegistryError(500, 'UNKNOWN', 'internal error');
      }
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (!req.readableEnded) res.setHeader('connection', 'close');
      sendRegistryError(res, mapped, head);
    }
  }

  /** Step 1: who calls. Basic `AWS:<token>`; in permissive mode, anyone acts as the account root. */
  #authenticate(req: IncomingMessage, url: URL): Caller {
    const host = HOST.exec(String(req.headers.host ?? ''));
    const config = this.platform.config;
    const header = req.headers.authorization ?? '';
    let identity: CallerIdentity | undefined;
    let region = host?.[2] ?? config.region;
    if (header.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString();
      const colon = decoded.indexOf(':');
      if (decoded.slice(0, colon) === 'AWS') {
        const token = this.deps().tokens.open(decoded.slice(colon + 1));
        if (token) {
          identity = token.identity;
          if (!host) region = token.region;
        }
      }
    }
    if (!identity && config.authMode === 'permissive') {
      const account = host?.[1] ?? config.accountId;
      identity = { type: 'Root', accountId: account, arn: `arn:aws:iam::${account}:root`, principalId: account };
    }
    if (!identity) {
      const realm = `http://${req.headers.host ?? '127.0.0.1'}/`;
      throw new RegistryError(401, 'UNAUTHORIZED', 'authentication required', {
        'www-authenticate': `Basic realm="${realm}",service="ecr.amazonaws.com"`,
      });
    }
    void url;
    return { identity, registryId: host?.[1] ?? identity.accountId, region };
  }

  /** Calls an ECR operation as the caller (authorized by the edge's rules). */
  #call<O>(caller: Caller, operation: string, input: Record<string, unknown>): Promise<O> {
    return this.platform.call<O>('ecr', operation, { registryId: caller.registryId, ...input }, {
      accountId: caller.identity.accountId,
      region: caller.region,
      identity: caller.identity,
    });
  }

  async #repo(caller: Caller, name: string): Promise<RepositoryRecord> {
    const repo = await this.deps().store.getRepository(caller.registryId, caller.region, name);
    if (!repo) throw nameUnknown(name);
    return repo;
  }

  /** Step 2: the route. */
  async #route(req: IncomingMessage, res: ServerResponse, url: URL, caller: Caller): Promise<void> {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (path === '/v2/' || path === '/v2') {
      if (method !== 'GET' && method !== 'HEAD') throw unsupported();
      return this.#json(res, 200, {}, {}, method === 'HEAD');
    }
    if (path === '/v2/_catalog') return this.#catalog(res, url, caller);
    let m: RegExpExecArray | null;
    if ((m = ROUTES.tags.exec(path))) return this.#tags(res, url, caller, m[1]!);
    if ((m = ROUTES.manifest.exec(path))) {
      const [, name, ref] = m as unknown as [string, string, string];
      if (method === 'GET' || method === 'HEAD') return this.#getManifest(res, caller, name, ref, method === 'HEAD');
      if (method === 'PUT') return this.#putManifest(req, res, caller, name, ref);
      if (method === 'DELETE') return this.#deleteManifest(res, caller, name, ref);
      throw unsupported();
    }
    if ((m = ROUTES.uploadStart.exec(path))) {
      if (method !== 'POST') throw unsupported();
      return this.#startUpload(req, res, url, caller, m[1]!);
    }
    if ((m = ROUTES.upload.exec(path))) return this.#upload(req, res, url, caller, m[1]!, m[2]!);
    if ((m = ROUTES.blob.exec(path))) {
      if (method === 'GET' || method === 'HEAD') return this.#getBlob(req, res, caller, m[1]!, m[2]!, method === 'HEAD');
      throw unsupported();
    }
    if ((m = ROUTES.referrers.exec(path))) {
      if (method !== 'GET') throw unsupported();
      return this.#referrers(res, url, caller, m[1]!, m[2]!);
    }
    throw new RegistryError(404, 'NAME_INVALID', 'invalid repository name');
  }

  #json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, head = false): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { ...API_VERSION_HEADER, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
    res.end(head ? undefined : text);
  }

  #empty(res: ServerResponse, status: number, headers: Record<string, string>): void {
    res.writeHead(status, { ...API_VERSION_HEADER, 'content-length': '0', ...headers });
    res.end();
  }

  async #catalog(res: ServerResponse, url: URL, caller: Caller): Promise<void> {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.#call<{ repositories?: { repositoryName?: string }[]; nextToken?: string }>(caller, 'DescribeRepositories', {
        maxResults: 1000,
        ...(nextToken ? { nextToken } : {}),
      });
      for (const r of out.repositories ?? []) names.push(r.repositoryName!);
      nextToken = out.nextToken;
    } while (nextToken);
    names.sort();
    const { items, link } = listPage(names, url, '/v2/_catalog');
    this.#json(res, 200, { repositories: items }, link ? { link } : {});
  }

  async #tags(res: ServerResponse, url: URL, caller: Caller, name: string): Promise<void> {
    await this.#call(caller, 'ListImages', { repositoryName: name, maxResults: 1 });
    const repo = await this.#repo(caller, name);
    const n = url.searchParams.has('n') ? Math.max(0, Number(url.searchParams.get('n')) || 0) : 1000;
    const last = url.searchParams.get('last') ?? undefined;
    const tags = n === 0 ? [] : await this.deps().store.listTags(repo.id, last, n + 1);
    const more = tags.length > n;
    const items = tags.slice(0, n);
    const link = more ? `</v2/${name}/tags/list?n=${n}&last=${encodeURIComponent(items[items.length - 1]!)}>; rel="next"` : undefined;
    this.#json(res, 200, { name, tags: items }, link ? { link } : {});
  }

  async #getManifest(res: ServerResponse, caller: Caller, name: string, ref: string, head: boolean): Promise<void> {
    const id = looksLikeDigest(ref) ? { imageDigest: ref } : { imageTag: ref };
    const out = await this.#call<{ images?: { imageManifest?: string; imageManifestMediaType?: string; imageId?: { imageDigest?: string } }[] }>(caller, 'BatchGetImage', {
      repositoryName: name,
      imageIds: [id],
    });
    const image = out.images?.[0];
    if (!image) throw manifestUnknown(ref);
    const body = Buffer.from(image.imageManifest!);
    res.writeHead(200, {
      ...API_VERSION_HEADER,
      'content-type': image.imageManifestMediaType!,
      'content-length': String(body.length),
      'docker-content-digest': image.imageId!.imageDigest!,
      etag: `"${image.imageId!.imageDigest!}"`,
    });
    res.end(head ? undefined : body);
  }

  async #putManifest(req: IncomingMessage, res: ServerResponse, caller: Caller, name: string, ref: string): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_MANIFEST_BYTES) throw new RegistryError(413, 'SIZE_INVALID', `manifest larger than ${MAX_MANIFEST_BYTES} bytes`);
      chunks.push(chunk as Buffer);
    }
    const raw = Buffer.concat(chunks);
    const text = raw.toString('utf8');
    if (!Buffer.from(text).equals(raw)) throw new RegistryError(400, 'MANIFEST_INVALID', 'manifest invalid: not UTF-8');
    const byDigest = looksLikeDigest(ref);
    if (byDigest && !isDigest(ref)) throw new RegistryError(400, 'DIGEST_INVALID', `unsupported digest ${ref}`);
    const digest = byDigest ? ref : digestOf(raw);
    const contentType = req.headers['content-type'];
    try {
      await this.#call(caller, 'PutImage', {
        repositoryName: name,
        imageManifest: text,
        ...(contentType ? { imageManifestMediaType: contentType.split(';')[0]!.trim() } : {}),
        ...(byDigest ? { imageDigest: ref } : { imageTag: ref }),
      });
    } catch (error) {
      // Pushing what is already there is not an error for the registry.
      if (!(error instanceof Error && (error as { code?: string }).code === 'ImageAlreadyExistsException')) throw toRegistryError(error, 'put-manifest') ?? error;
    }
    let subject: string | undefined;
    try {
      subject = (JSON.parse(text) as { subject?: { digest?: string } }).subject?.digest;
    } catch {
      subject = undefined;
    }
    this.#empty(res, 201, {
      location: `/v2/${name}/manifests/${digest}`,
      'docker-content-digest': digest,
      ...(subject ? { 'oci-subject': subject } : {}),
    });
  }

  async #deleteManifest(res: ServerResponse, caller: Caller, name: string, ref: string): Promise<void> {
    const id = looksLikeDigest(ref) ? { imageDigest: ref } : { imageTag: ref };
    const out = await this.#call<{ failures?: { failureCode?: string; failureReason?: string }[] }>(caller, 'BatchDeleteImage', { repositoryName: name, imageIds: [id] });
    const failure = out.failures?.[0];
    if (failure?.failureCode === 'ImageNotFound') throw manifestUnknown(ref);
    if (failure) throw new RegistryError(400, 'UNSUPPORTED', failure.failureReason ?? 'manifest cannot be deleted');
    this.#empty(res, 202, {});
  }

  async #getBlob(req: IncomingMessage, res: ServerResponse, caller: Caller, name: string, digest: string, head: boolean): Promise<void> {
    if (!isDigest(digest)) throw new RegistryError(400, 'DIGEST_INVALID', `invalid digest ${digest}`);
    if (head) {
      const out = await this.#call<{ layers?: { layerSize?: number }[] }>(caller, 'BatchCheckLayerAvailability', { repositoryName: name, layerDigests: [digest] });
      const layer = out.layers?.[0];
      if (!layer) throw new RegistryError(404, 'BLOB_UNKNOWN', `blob unknown to registry: ${digest}`);
      return this.#empty(res, 200, { 'content-length': String(layer.layerSize), 'docker-content-digest': digest, 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' });
    }
    let blob;
    try {
      blob = (await this.#call<{ [BLOB]?: { size: number; parts: [] } }>(caller, 'GetDownloadUrlForLayer', { repositoryName: name, layerDigest: digest }))[BLOB];
    } catch (error) {
      throw toRegistryError(error, 'blob') ?? error;
    }
    if (!blob) throw new RegistryError(404, 'BLOB_UNKNOWN', `blob unknown to registry: ${digest}`);
    const range = parseRange(req.headers.range, blob.size);
    if (range === 'invalid') {
      throw new RegistryError(416, 'BLOB_UNKNOWN', 'requested range not satisfiable', { 'content-range': `bytes */${blob.size}` });
    }
    const headers: Record<string, string> = {
      ...API_VERSION_HEADER,
      'content-type': 'application/octet-stream',
      'docker-content-digest': digest,
      'accept-ranges': 'bytes',
      etag: `"${digest}"`,
    };
    if (range) {
      res.writeHead(206, { ...headers, 'content-length': String(range.end - range.start + 1), 'content-range': `bytes ${range.start}-${range.end}/${blob.size}` });
    } else {
      res.writeHead(200, { ...headers, 'content-length': String(blob.size) });
    }
    if (blob.size === 0) return void res.end();
    await pipeline(this.deps().layers.read(blob.parts, range ?? undefined), res);
  }

  #uploadHeaders(name: string, upload: UploadRecord): Record<string, string> {
    return {
      location: `/v2/${name}/blobs/uploads/${upload.id}`,
      range: `0-${Math.max(0, upload.size - 1)}`,
      'docker-upload-uuid': upload.id,
    };
  }

  async #startUpload(req: IncomingMessage, res: ServerResponse, url: URL, caller: Caller, name: string): Promise<void> {
    const started = await this.#call<{ uploadId: string }>(caller, 'InitiateLayerUpload', { repositoryName: name });
    const { store, layers } = this.deps();
    const mount = url.searchParams.get('mount');
    const from = url.searchParams.get('from');
    if (mount && from && isDigest(mount)) {
      // Cross-repository mount: the caller must be able to read the blob where it is.
      const source = await this.#call<{ [BLOB]?: unknown }>(caller, 'GetDownloadUrlForLayer', { repositoryName: from, layerDigest: mount }).catch(() => undefined);
      const repo = await this.#repo(caller, name);
      if (source && (await store.linkBlob(repo.id, mount))) {
        const parts = await store.deleteUpload(started.uploadId);
        if (parts) await layers.delete(parts);
        return this.#empty(res, 201, { location: `/v2/${name}/blobs/${mount}`, 'docker-content-digest': mount });
      }
    }
    let upload = (await store.getUpload(started.uploadId))!;
    const digest = url.searchParams.get('digest');
    if (digest !== null) {
      // Monolithic upload: the body is the blob.
      upload = await this.#appendBody(req, upload);
      return this.#complete(res, caller, name, upload, digest);
    }
    req.resume();
    this.#empty(res, 202, this.#uploadHeaders(name, upload));
  }

  /** Streams the request body into a part of the upload (nothing when it is empty). */
  async #appendBody(req: IncomingMessage, upload: UploadRecord): Promise<UploadRecord> {
    const { store, layers } = this.deps();
    const part = await layers.writePart(req);
    if (part.size === 0) {
      await layers.delete([part]);
      return upload;
    }
    const next = await store.appendPart(upload, part);
    if (!next) {
      await layers.delete([part]);
      throw new RegistryError(416, 'BLOB_UPLOAD_INVALID', 'the upload moved on meanwhile', { range: `0-${Math.max(0, upload.size - 1)}` });
    }
    return next;
  }

  async #complete(res: ServerResponse, caller: Caller, name: string, upload: UploadRecord, digest: string): Promise<void> {
    if (!isDigest(digest)) {
      const parts = await this.deps().store.deleteUpload(upload.id);
      if (parts) await this.deps().layers.delete(parts);
      throw new RegistryError(400, 'DIGEST_INVALID', `invalid digest ${digest}`);
    }
    try {
      await this.#call(caller, 'CompleteLayerUpload', { repositoryName: name, uploadId: upload.id, layerDigests: [digest] });
    } catch (error) {
      throw toRegistryError(error, 'upload') ?? error;
    }
    this.#empty(res, 201, { location: `/v2/${name}/blobs/${digest}`, 'docker-content-digest': digest });
  }

  async #upload(req: IncomingMessage, res: ServerResponse, url: URL, caller: Caller, name: string, id: string): Promise<void> {
    const { store, layers } = this.deps();
    const repo = await this.#repo(caller, name);
    let upload = await store.getUpload(id);
    if (!upload || upload.repositoryId !== repo.id || upload.owner !== caller.identity.arn) throw uploadUnknown();
    switch (req.method) {
      case 'GET':
        return this.#empty(res, 204, this.#uploadHeaders(name, upload));
      case 'DELETE': {
        const parts = await store.deleteUpload(upload.id);
        if (!parts) throw uploadUnknown();
        await layers.delete(parts);
        return this.#empty(res, 204, {});
      }
      case 'PATCH': {
        const range = req.headers['content-range'];
        if (range !== undefined) {
          const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/\d+|\/\*)?$/.exec(range);
          if (!m || Number(m[1]) !== upload.size) throw new RegistryError(416, 'BLOB_UPLOAD_INVALID', 'range not satisfiable', { ...this.#uploadHeaders(name, upload) });
        }
        upload = await this.#appendBody(req, upload);
        return this.#empty(res, 202, this.#uploadHeaders(name, upload));
      }
      case 'PUT': {
        const digest = url.searchParams.get('digest');
        if (digest === null) throw new RegistryError(400, 'DIGEST_INVALID', 'a digest is required to complete an upload');
        upload = await this.#appendBody(req, upload);
        return this.#complete(res, caller, name, upload, digest);
      }
      default:
        throw unsupported();
    }
  }

  async #referrers(res: ServerResponse, url: URL, caller: Caller, name: string, digest: string): Promise<void> {
    if (!isDigest(digest)) throw new RegistryError(400, 'DIGEST_INVALID', `invalid digest ${digest}`);
    await this.#call(caller, 'ListImages', { repositoryName: name, maxResults: 1 });
    const repo = await this.#repo(caller, name);
    const artifactType = url.searchParams.get('artifactType');
    let found = await this.deps().store.referrers(repo.id, digest);
    if (artifactType) found = found.filter((i) => i.artifactType === artifactType);
    const manifests = found.map((i) => ({
      mediaType: i.mediaType,
      digest: i.digest,
      size: Buffer.byteLength(i.manifest),
      ...(i.artifactType ? { artifactType: i.artifactType } : {}),
      ...(i.annotations ? { annotations: i.annotations } : {}),
    }));
    const body = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests });
    res.writeHead(200, {
      ...API_VERSION_HEADER,
      'content-type': OCI_INDEX,
      'content-length': String(Buffer.byteLength(body)),
      ...(artifactType ? { 'oci-filters-applied': 'artifactType' } : {}),
    });
    res.end(body);
  }
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` within a blob of `size` bytes. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'invalid' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) return 'invalid';
  return { start, end };
}

/** A page of a sorted list by the spec's `n` and `last`, with the next page's Link. */
function listPage(all: string[], url: URL, path: string): { items: string[]; link?: string } {
  const last = url.searchParams.get('last');
  const from = last === null ? all : all.filter((x) => x > last);
  if (!url.searchParams.has('n')) return { items: from };
  const n = Math.max(0, Number(url.searchParams.get('n')) || 0);
  const items = from.slice(0, n);
  if (from.length <= n || items.length === 0) return { items };
  return { items, link: `<${path}?n=${n}&last=${encodeURIComponent(items[items.length - 1]!)}>; rel="next"` };
}
