// ECR's image and layer operations: PutImage, BatchGetImage, DescribeImages, ListImages,
// BatchDeleteImage, BatchCheckLayerAvailability, GetDownloadUrlForLayer and the layer uploads
// (InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload). The registry (registry/) calls these
// same operations in-process with the token's identity, so both paths share rules and authorization.
import type { RequestContext } from '@atoll/core';
import {
  EmptyUploadException,
  ImageDigestDoesNotMatchException,
  InvalidLayerException,
  InvalidLayerPartException,
  LayersNotFoundException,
  ReferencedImagesNotFoundException,
  type BatchCheckLayerAvailabilityRequest,
  type BatchCheckLayerAvailabilityResult,
  type BatchDeleteImageRequest,
  type BatchDeleteImageResult,
  type BatchGetImageRequest,
  type BatchGetImageResult,
  type CompleteLayerUploadRequest,
  type CompleteLayerUploadResult,
  type DescribeImagesRequest,
  type DescribeImagesResult,
  type GetDownloadUrlForLayerRequest,
  type GetDownloadUrlForLayerResult,
  type ImageDetail,
  type ImageFailure,
  type ImageIdentifier,
  type InitiateLayerUploadRequest,
  type InitiateLayerUploadResult,
  type ListImagesRequest,
  type ListImagesResult,
  type PutImageRequest,
  type PutImageResult,
  type UploadLayerPartRequest,
  type UploadLayerPartResult,
} from '@atoll/aws-models/ecr';
import { imageExists, imageNotFound, invalidParameter, layersNotFound, tagImmutable, uploadNotFound } from './ecr-errors.js';
import type { BlobRecord, EcrStore, ImageRecord, ReplicationTarget, RepositoryRecord } from './ecr-store.js';
import type { ImageStatusStore } from './image-status-store.js';
import type { LayerBlobs } from './layer-blobs.js';
import { InvalidManifest, digestOf, isDigest, parseManifest } from './manifest.js';
import { page } from './paging.js';

/** The blob a GetDownloadUrlForLayer found, for the registry's in-process calls (not serialized). */
export const BLOB = Symbol('ecr.blob');
/** ECR's layer part size hint. */
const PART_SIZE = 20_971_520;
/** Pulls are recorded at most this often per image (ECR's lastRecordedPullTime is approximate too). */
const PULL_RECORD_MS = 60_000;
/** The digest of no bytes: an empty blob is valid in the registry. */
const EMPTY_SHA256 = digestOf('');

export interface RepositoryResolver {
  /** The repository an input names (registryId, repositoryName), or RepositoryNotFoundException. */
  repository(input: { registryId?: string; repositoryName: string }, ctx: RequestContext): Promise<{ repo: RepositoryRecord; registryId: string }>;
  /** `http://<account>.dkr.ecr.<region>.localhost:<port>` for the caller's endpoint. */
  registryUrl(accountId: string, region: string, ctx: RequestContext): string;
  /** Where a push into the repository replicates to (the registry's replication configuration). */
  replicationTargets(repo: RepositoryRecord): Promise<ReplicationTarget[]>;
  /** After an image or tag is stored: scan on push, and the replications it queued (when `replicated`). */
  pushed(repo: RepositoryRecord, image: ImageRecord, replicated: boolean): Promise<void>;
}

function imageId(image: ImageRecord, tag?: string): ImageIdentifier {
  return tag !== undefined ? { imageDigest: image.digest, imageTag: tag } : { imageDigest: image.digest };
}

export class ImageOperations {
  constructor(
    private readonly store: EcrStore,
    private readonly layers: LayerBlobs,
    private readonly resolver: RepositoryResolver,
    private readonly statuses: ImageStatusStore,
  ) {}

  async #find(repo: RepositoryRecord, id: ImageIdentifier): Promise<ImageRecord | 'mismatch' | undefined> {
    if (id.imageTag !== undefined) {
      const image = await this.store.getImageByTag(repo.id, id.imageTag);
      if (image && id.imageDigest !== undefined && image.digest !== id.imageDigest) return 'mismatch';
      return image;
    }
    if (id.imageDigest !== undefined) return this.store.getImage(repo.id, id.imageDigest);
    return undefined;
  }

  PutImage = async (input: PutImageRequest, ctx: RequestContext): Promise<PutImageResult> => {
    const { repo, registryId } = await this.resolver.repository(input, ctx);
    const algorithm = input.imageDigest?.startsWith('sha512:') ? 'sha512' : 'sha256';
    const digest = digestOf(input.imageManifest, algorithm);
    if (input.imageDigest !== undefined && input.imageDigest !== digest) {
      throw new ImageDigestDoesNotMatchException(`Provided image digest '${input.imageDigest}' does not match the calculated digest '${digest}'`);
    }
    let image;
    try {
      image = parseManifest(input.imageManifest, input.imageManifestMediaType, digest);
    } catch (error) {
      if (error instanceof InvalidManifest) throw invalidParameter(`Invalid parameter at 'ImageManifest' failed to satisfy constraint: '${error.message}'`);
      throw error;
    }
    const tag = input.imageTag;
    const targets = await this.resolver.replicationTargets(repo);
    const result = await this.store.putImage(repo.id, image, tag, repo.tagMutability === 'IMMUTABLE', Date.now(), targets);
    switch (result.outcome) {
      case 'no-repository':
        throw invalidParameter(`The repository with name '${repo.name}' was deleted`);
      case 'exists':
        throw imageExists(digest, tag, repo.name, registryId);
      case 'tag-immutable':
        throw tagImmutable(tag!, repo.name);
      case 'missing-blobs':
        throw layersNotFound(result.digests, repo.name, registryId);
      case 'missing-manifests':
        throw new ReferencedImagesNotFoundException(`Manifest references images [${result.digests.join(', ')}] that do not exist in the repository with name '${repo.name}' in the registry with id '${registryId}'`);
    }
    await this.resolver.pushed(repo, result.image, targets.length > 0);
    return {
      image: { registryId, repositoryName: repo.name, imageId: imageId(result.image, tag), imageManifest: input.imageManifest, imageManifestMediaType: image.mediaType },
    };
  };

  BatchGetImage = async (input: BatchGetImageRequest, ctx: RequestContext): Promise<BatchGetImageResult> => {
    const { repo, registryId } = await this.resolver.repository(input, ctx);
    const images: NonNullable<BatchGetImageResult['images']> = [];
    const failures: ImageFailure[] = [];
    const now = Date.now();
    for (const id of input.imageIds) {
      if (id.imageDigest === undefined && id.imageTag === undefined) {
        failures.push({ imageId: id, failureCode: 'MissingDigestAndTag', failureReason: 'Invalid request parameters: both tag and digest cannot be null' });
        continue;
      }
      const found = await this.#find(repo, id);
      if (found === 'mismatch') {
        failures.push({ imageId: id, failureCode: 'ImageTagDoesNotMatchDigest', failureReason: 'Invalid request parameters: image tag does not match digest' });
        continue;
      }
      if (!found) {
        failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
        continue;
      }
      images.push({ registryId, repositoryName: repo.name, imageId: imageId(found, id.imageTag), imageManifest: found.manifest, imageManifestMediaType: found.mediaType });
      if (found.pulledAt === null || now - found.pulledAt > PULL_RECORD_MS) void this.store.recordPull(repo.id, found.digest, now).catch(() => {});
    }
    return { images, failures };
  };

  DescribeImages = async (input: DescribeImagesRequest, ctx: RequestContext): Promise<DescribeImagesResult> => {
    const { repo, registryId } = await this.resolver.repository(input, ctx);
    let images: ImageRecord[];
    if (input.imageIds && input.imageIds.length > 0) {
      images = [];
      for (const id of input.imageIds) {
        const found = await this.#find(repo, id);
        if (!found || found === 'mismatch') throw imageNotFound(id, repo.name, registryId);
        if (!images.some((i) => i.digest === found.digest)) images.push(found);
      }
    } else {
      images = await this.store.listImages(repo.id);
      const status = input.filter?.tagStatus ?? 'ANY';
      if (status === 'TAGGED') images = images.filter((i) => i.tags.length > 0);
      if (status === 'UNTAGGED') images = images.filter((i) => i.tags.length === 0);
    }
    const { items, nextToken } = page(images, input.nextToken, input.maxResults, 100);
    const scans = await this.statuses.scans(repo.id);
    const imageDetails = items.map((i): ImageDetail => ({
      registryId,
      repositoryName: repo.name,
      imageDigest: i.digest,
      ...(i.tags.length > 0 ? { imageTags: i.tags } : {}),
      imageSizeInBytes: i.size,
      imagePushedAt: new Date(i.pushedAt),
      imageManifestMediaType: i.mediaType,
      ...(i.artifactType ? { artifactMediaType: i.artifactType } : {}),
      ...(i.pulledAt !== null ? { lastRecordedPullTime: new Date(i.pulledAt) } : {}),
      ...(i.subject ? { subjectManifestDigest: i.subject } : {}),
      ...(scans.has(i.digest) ? { imageScanStatus: { status: scans.get(i.digest)!.status as 'FAILED', description: scans.get(i.digest)!.description } } : {}),
      imageStatus: 'ACTIVE',
    }));
    return { imageDetails, ...(nextToken ? { nextToken } : {}) };
  };

  ListImages = async (input: ListImagesRequest, ctx: RequestContext): Promise<ListImagesResult> => {
    const { repo } = await this.resolver.repository(input, ctx);
    const status = input.filter?.tagStatus ?? 'ANY';
    const ids: ImageIdentifier[] = [];
    for (const image of await this.store.listImages(repo.id)) {
      if (image.tags.length === 0) {
        if (status !== 'TAGGED') ids.push({ imageDigest: image.digest });
      } else if (status !== 'UNTAGGED') {
        for (const tag of image.tags) ids.push({ imageDigest: image.digest, imageTag: tag });
      }
    }
    const { items, nextToken } = page(ids, input.nextToken, input.maxResults, 100);
    return { imageIds: items, ...(nextToken ? { nextToken } : {}) };
  };

  BatchDeleteImage = async (input: BatchDeleteImageRequest, ctx: RequestContext): Promise<BatchDeleteImageResult> => {
    const { repo } = await this.resolver.repository(input, ctx);
    const imageIds: ImageIdentifier[] = [];
    const failures: ImageFailure[] = [];
    for (const id of input.imageIds) {
      if (id.imageDigest === undefined && id.imageTag === undefined) {
        failures.push({ imageId: id, failureCode: 'MissingDigestAndTag', failureReason: 'Invalid request parameters: both tag and digest cannot be null' });
        continue;
      }
      if (id.imageDigest !== undefined && !isDigest(id.imageDigest)) {
        failures.push({ imageId: id, failureCode: 'InvalidImageDigest', failureReason: 'Invalid request parameters: image digest should satisfy the regex' });
        continue;
      }
      const result = await this.store.deleteImage(repo.id, { ...(id.imageDigest !== undefined ? { digest: id.imageDigest } : {}), ...(id.imageTag !== undefined ? { tag: id.imageTag } : {}) });
      if (result === 'not-found') failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
      else if (result === 'mismatch') failures.push({ imageId: id, failureCode: 'ImageTagDoesNotMatchDigest', failureReason: 'Invalid request parameters: image tag does not match digest' });
      else if (result === 'referenced') {
        failures.push({ imageId: id, failureCode: 'ImageReferencedByManifestList', failureReason: 'Requested image referenced by manifest list' });
      } else if (result.tags.length === 0) imageIds.push({ imageDigest: result.digest });
      else for (const tag of result.tags) imageIds.push({ imageDigest: result.digest, imageTag: tag });
    }
    return { imageIds, failures };
  };

  BatchCheckLayerAvailability = async (input: BatchCheckLayerAvailabilityRequest, ctx: RequestContext): Promise<BatchCheckLayerAvailabilityResult> => {
    const { repo } = await this.resolver.repository(input, ctx);
    const layers: NonNullable<BatchCheckLayerAvailabilityResult['layers']> = [];
    const failures: NonNullable<BatchCheckLayerAvailabilityResult['failures']> = [];
    for (const digest of input.layerDigests) {
      if (!isDigest(digest)) {
        failures.push({ layerDigest: digest, failureCode: 'InvalidLayerDigest', failureReason: 'Invalid layer digest' });
        continue;
      }
      const blob = await this.store.getLinkedBlob(repo.id, digest);
      if (!blob) failures.push({ layerDigest: digest, failureCode: 'MissingLayerDigest', failureReason: 'Could not find layer' });
      else layers.push({ layerDigest: digest, layerAvailability: 'AVAILABLE', layerSize: blob.size, mediaType: 'application/vnd.docker.container.image.rootfs.diff.tar.gzip' });
    }
    return { layers, failures };
  };

  GetDownloadUrlForLayer = async (input: GetDownloadUrlForLayerRequest, ctx: RequestContext): Promise<GetDownloadUrlForLayerResult & { [BLOB]?: BlobRecord }> => {
    const { repo, registryId } = await this.resolver.repository(input, ctx);
    const blob = isDigest(input.layerDigest) ? await this.store.getLinkedBlob(repo.id, input.layerDigest) : undefined;
    if (!blob) {
      throw new LayersNotFoundException(`The image layer with digest '${input.layerDigest}' does not exist in the repository with name '${repo.name}' in the registry with id '${registryId}'`);
    }
    return {
      downloadUrl: `${this.resolver.registryUrl(registryId, repo.region, ctx)}/v2/${repo.name}/blobs/${blob.digest}`,
      layerDigest: blob.digest,
      [BLOB]: blob,
    };
  };

  InitiateLayerUpload = async (input: InitiateLayerUploadRequest, ctx: RequestContext): Promise<InitiateLayerUploadResult> => {
    const { repo } = await this.resolver.repository(input, ctx);
    const upload = await this.store.createUpload(repo.id, ctx.identity.arn);
    return { uploadId: upload.id, partSize: PART_SIZE };
  };

  UploadLayerPart = async (input: UploadLayerPartRequest, ctx: RequestContext): Promise<UploadLayerPartResult> => {
    const { repo, registryId } = await this.resolver.repository(input, ctx);
    const upload = await this.store.getUpload(input.uploadId);
    if (!upload || upload.repositoryId !== repo.id) throw uploadNotFound(input.uploadId, repo.name, registryId);
    const bytes = Buffer.from(input.layerPartBlob);
    if (input.partFirstByte !== upload.size) {
      throw new InvalidLayerPartException(`The part first byte ${input.partFirstByte} does not follow the last byte received (${upload.size - 1}) for upload '${upload.id}'`);
    }
    if (input.partLastByte - input.partFirstByte + 1 !== bytes.length) {
      throw new InvalidLayerPartException(`The part's byte range ${input.partFirstByte}-${input.partLastByte} does not match its length (${bytes.length} bytes)`);
    }
    const part = await this.layers.writePart(bytes, ctx.signal);
    const next = await this.store.appendPart(upload, part);
    if (!next) {
      await this.layers.delete([part]);
      throw new InvalidLayerPartException(`Upload '${upload.id}' received another part meanwhile`);
    }
    return { registryId, repositoryName: repo.name, uploadId: upload.id, lastByteReceived: next.size - 1 };
  };

  CompleteLayerUpload = async (input: CompleteLayerUploadRequest, ctx: RequestContext): Promise<CompleteLayerUploadResult> => {
    const { repo, registryId } = await this.resolver.repository(input, ctx);
    if (input.layerDigests.length !== 1) throw invalidParameter('Invalid parameter: exactly one layer digest is required');
    const wanted = input.layerDigests[0]!;
    if (!isDigest(wanted)) throw new InvalidLayerException(`Invalid layer digest '${wanted}'`);
    const upload = await this.store.getUpload(input.uploadId);
    if (!upload || upload.repositoryId !== repo.id) throw uploadNotFound(input.uploadId, repo.name, registryId);
    if (upload.size === 0 && wanted !== EMPTY_SHA256) throw new EmptyUploadException(`The upload with id '${upload.id}' does not contain any data`);
    const actual = await this.layers.digest(upload.parts, wanted.startsWith('sha512:') ? 'sha512' : 'sha256');
    if (actual !== wanted) {
      // A wrong digest stores nothing: the upload is discarded with its bytes.
      const parts = await this.store.deleteUpload(upload.id);
      if (parts) await this.layers.delete(parts);
      throw new InvalidLayerException(`The layer digest '${wanted}' does not match the digest '${actual}' of the uploaded content`);
    }
    const done = await this.store.completeUpload(upload, wanted);
    if (done === 'missing') throw uploadNotFound(input.uploadId, repo.name, registryId);
    if (done.unused.length > 0) await this.layers.delete(done.unused);
    return { registryId, repositoryName: repo.name, uploadId: upload.id, layerDigest: wanted };
  };
}
