// The ECR provider: repositories, policies, lifecycle policies, registry settings and
// GetAuthorizationToken here; image and layer operations in image-operations.ts; the OCI
// Distribution registry (served on the edge listener under /v2/) in registry/.
//
// Known limitations:
// - Repository URIs are `<account>.dkr.ecr.<region>.localhost:<port>/<name>` (plain HTTP, the edge's
//   port); `127.0.0.1:<port>/<name>` reaches the same repository (the token's account and region).
// - GetDownloadUrlForLayer answers the registry's blob URL (it needs the registry's Basic auth), not
//   a presigned storage URL. `acceptedMediaTypes` is not used to convert or refuse manifests.
// - There is no vulnerability database: StartImageScan and scan on push (scanOnPush, or a registry
//   scanning rule) complete at once with scanStatus FAILED and a description saying so (no findings);
//   no per-image scan quota. The registry scanning configuration (BASIC/ENHANCED, rules) is recorded;
//   ENHANCED scanning is the same FAILED scan (no Inspector). BatchGetRepositoryScanningConfiguration,
//   pull-through cache rules, repository creation templates, signing and account settings answer 501.
// - Replication (replication.ts) copies pushed images to other regions of this platform, and to other
//   accounts whose registry policy allows ecr:ReplicateImage to the source account; repositories are
//   created with default settings (no creation templates). It runs on the leader every
//   ATOLL_ECR_SWEEP_MS and right after a push on the node that took it.
// - Encryption settings are recorded, with no effect (no KMS). Tag mutability exclusion filters are
//   not supported (MUTABLE / IMMUTABLE only).
// - Lifecycle policies expire images on a schedule (every ATOLL_ECR_LIFECYCLE_MS, 1 hour by
//   default); previews complete at once. Only `expire` actions.
// - CompleteLayerUpload of a layer the repository already holds succeeds (no LayerAlreadyExistsException).
// - The registry policy (PutRegistryPolicy) is stored and returned but not enforced.
import type { IncomingMessage } from 'node:http';
import type { HttpRoute, OperationHandler, PlatformContext, RequestContext, ServiceProvider } from '@atoll/core';
import { blobStoreFor, runEvery } from '@atoll/storage';
import {
  InvalidTagParameterException,
  LifecyclePolicyPreviewNotFoundException,
  RegistryPolicyNotFoundException,
  TooManyTagsException,
  type CreateRepositoryRequest,
  type CreateRepositoryResult,
  type DeleteLifecyclePolicyRequest,
  type DeleteRepositoryPolicyRequest,
  type DeleteRepositoryRequest,
  type DescribeImageReplicationStatusRequest,
  type DescribeImageReplicationStatusResult,
  type DescribeRepositoriesRequest,
  type DescribeRepositoriesResult,
  type GetAuthorizationTokenResult,
  type GetLifecyclePolicyPreviewRequest,
  type GetLifecyclePolicyPreviewResult,
  type GetLifecyclePolicyRequest,
  type GetRepositoryPolicyRequest,
  type ListTagsForResourceRequest,
  type PutImageScanningConfigurationRequest,
  type PutImageTagMutabilityRequest,
  type PutLifecyclePolicyRequest,
  type PutReplicationConfigurationRequest,
  type Repository,
  type SetRepositoryPolicyRequest,
  type StartLifecyclePolicyPreviewRequest,
  type TagResourceRequest,
  type UntagResourceRequest,
} from '@atoll/aws-models/ecr';
import { AuthTokens } from './auth-tokens.js';
import { ecrAuthorization, parseRepositoryArn, repositoryArn } from './authorization.js';
import { imageNotFound, invalidParameter, lifecyclePolicyNotFound, policyNotFound, repositoryExists, repositoryNotEmpty, repositoryNotFound } from './ecr-errors.js';
import { EcrStore, type RepositoryRecord } from './ecr-store.js';
import { ImageOperations, type RepositoryResolver } from './image-operations.js';
import { ImageScanning } from './image-scanning.js';
import { ImageStatusStore } from './image-status-store.js';
import { LayerBlobs } from './layer-blobs.js';
import { evaluateLifecyclePolicy, parseLifecyclePolicy, type LifecycleVerdict } from './lifecycle-policy.js';
import { page } from './paging.js';
import { RegistryHandler } from './registry/registry-handler.js';
import { Replicator, checkReplicationConfiguration, replicationTargets } from './replication.js';
import type { ImageRecord, ReplicationTarget } from './ecr-store.js';

/** Sweep timing, from the environment when the provider is made (tests shorten them). */
const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

export class EcrProvider implements ServiceProvider, RepositoryResolver {
  readonly service = 'ecr';
  readonly operations: ServiceProvider['operations'];
  readonly authorization = ecrAuthorization;
  readonly routes: readonly HttpRoute[];
  #store: EcrStore | undefined;
  #images: ImageOperations | undefined;
  #layers: LayerBlobs | undefined;
  #tokens: AuthTokens | undefined;
  #statuses: ImageStatusStore | undefined;
  #scanning: ImageScanning | undefined;
  #replicator: Replicator | undefined;
  #replicating: Promise<unknown> | undefined;
  #stops: (() => void)[] = [];
  readonly #sweepMs = setting('ATOLL_ECR_SWEEP_MS', 60_000);
  /** Unreferenced blobs are kept this long (a push in progress uploads its layers before its manifest). */
  readonly #blobGraceMs = setting('ATOLL_ECR_BLOB_GRACE_MS', 60 * 60_000);
  /** Uploads idle this long are abandoned and removed. */
  readonly #uploadIdleMs = setting('ATOLL_ECR_UPLOAD_IDLE_MS', 24 * 60 * 60_000);
  readonly #lifecycleMs = setting('ATOLL_ECR_LIFECYCLE_MS', 60 * 60_000);
  readonly #registry: RegistryHandler;

  constructor(readonly platform: PlatformContext) {
    const i = (name: keyof ImageOperations): OperationHandler => (input, ctx) => (this.images[name] as OperationHandler)(input, ctx);
    const scan = (name: keyof ImageScanning): OperationHandler => (input, ctx) => (this.scanning[name] as OperationHandler)(input, ctx);
    this.operations = {
      CreateRepository: this.CreateRepository,
      DescribeRepositories: this.DescribeRepositories,
      DeleteRepository: this.DeleteRepository,
      TagResource: this.TagResource,
      UntagResource: this.UntagResource,
      ListTagsForResource: this.ListTagsForResource,
      PutImageTagMutability: this.PutImageTagMutability,
      PutImageScanningConfiguration: this.PutImageScanningConfiguration,
      SetRepositoryPolicy: this.SetRepositoryPolicy,
      GetRepositoryPolicy: this.GetRepositoryPolicy,
      DeleteRepositoryPolicy: this.DeleteRepositoryPolicy,
      GetAuthorizationToken: this.GetAuthorizationToken,
      PutLifecyclePolicy: this.PutLifecyclePolicy,
      GetLifecyclePolicy: this.GetLifecyclePolicy,
      DeleteLifecyclePolicy: this.DeleteLifecyclePolicy,
      StartLifecyclePolicyPreview: this.StartLifecyclePolicyPreview,
      GetLifecyclePolicyPreview: this.GetLifecyclePolicyPreview,
      PutReplicationConfiguration: this.PutReplicationConfiguration,
      DescribeRegistry: this.DescribeRegistry,
      PutRegistryPolicy: this.PutRegistryPolicy,
      GetRegistryPolicy: this.GetRegistryPolicy,
      PutImage: i('PutImage'),
      BatchGetImage: i('BatchGetImage'),
      DescribeImages: i('DescribeImages'),
      ListImages: i('ListImages'),
      BatchDeleteImage: i('BatchDeleteImage'),
      BatchCheckLayerAvailability: i('BatchCheckLayerAvailability'),
      GetDownloadUrlForLayer: i('GetDownloadUrlForLayer'),
      InitiateLayerUpload: i('InitiateLayerUpload'),
      UploadLayerPart: i('UploadLayerPart'),
      CompleteLayerUpload: i('CompleteLayerUpload'),
      DescribeImageScanFindings: scan('DescribeImageScanFindings'),
      StartImageScan: scan('StartImageScan'),
      PutRegistryScanningConfiguration: scan('PutRegistryScanningConfiguration'),
      GetRegistryScanningConfiguration: scan('GetRegistryScanningConfiguration'),
      DescribeImageReplicationStatus: this.DescribeImageReplicationStatus,
    };
    this.#registry = new RegistryHandler(platform, () => ({ store: this.store, layers: this.layers, tokens: this.tokens }));
    // SigV4-signed requests under /v2/ are AWS API calls (API Gateway v2's /v2/apis …), never registry
    // clients, which send Basic or Bearer credentials.
    const notSigV4 = (req: IncomingMessage) => !String(req.headers.authorization ?? '').startsWith('AWS4-');
    this.routes = [{ method: '*', path: '/v2/*', accepts: notSigV4, handle: (req, res) => this.#registry.handle(req, res) }];
  }

  get store(): EcrStore {
    if (!this.#store) throw new Error('the ECR provider is not started');
    return this.#store;
  }

  get images(): ImageOperations {
    if (!this.#images) throw new Error('the ECR provider is not started');
    return this.#images;
  }

  get layers(): LayerBlobs {
    if (!this.#layers) throw new Error('the ECR provider is not started');
    return this.#layers;
  }

  get scanning(): ImageScanning {
    if (!this.#scanning) throw new Error('the ECR provider is not started');
    return this.#scanning;
  }

  get tokens(): AuthTokens {
    if (!this.#tokens) throw new Error('the ECR provider is not started');
    return this.#tokens;
  }

  /** Opens the store and the blob store; runs the garbage and lifecycle sweeps where this node leads them. */
  async start(): Promise<void> {
    const store = await EcrStore.open(this.platform.storage);
    this.#store = store;
    const blobs = blobStoreFor(this.platform.storage, 'ecr');
    blobs.sweepTemporaryFiles();
    this.#layers = new LayerBlobs(blobs);
    this.#statuses = new ImageStatusStore(store.db);
    this.#images = new ImageOperations(store, this.#layers, this, this.#statuses);
    this.#scanning = new ImageScanning(store, this.#statuses, this);
    this.#replicator = new Replicator(store, this.#statuses);
    this.#tokens = await AuthTokens.open(store);
    const logError = (what: string) => (error: unknown) => this.platform.logger.error({ err: error }, what);
    const leadership = this.platform.storage.leadership;
    this.#stops.push(
      leadership.lead('ecr:garbage', (signal) => runEvery(signal, this.#sweepMs, () => this.sweepGarbage(), logError('ecr garbage sweep failed'))),
      leadership.lead('ecr:replication', (signal) => runEvery(signal, this.#sweepMs, () => this.replicate(), logError('ecr replication failed'))),
      leadership.lead('ecr:lifecycle', (signal) => runEvery(signal, Math.min(this.#sweepMs, this.#lifecycleMs), () => this.runLifecyclePolicies(), logError('ecr lifecycle sweep failed'))),
    );
  }

  async close(): Promise<void> {
    for (const stop of this.#stops.splice(0)) stop();
    await this.#store?.close();
  }

  /** Removes blobs no image references (after the grace period) and abandoned uploads. */
  async sweepGarbage(now = Date.now()): Promise<{ blobs: number; uploads: number }> {
    const uploadParts = await this.store.sweepUploads(now - this.#uploadIdleMs);
    await this.layers.delete(uploadParts);
    let blobParts = 0;
    for (;;) {
      const parts = await this.store.sweepBlobs(now - this.#blobGraceMs);
      await this.layers.delete(parts);
      blobParts += parts.length;
      if (parts.length < 500) break;
    }
    return { blobs: blobParts, uploads: uploadParts.length };
  }

  /** Works the queued replications (one run at a time on this node). */
  async replicate(): Promise<number> {
    while (this.#replicating) await this.#replicating.catch(() => {});
    const run = this.#replicator!.run();
    this.#replicating = run;
    try {
      return await run;
    } finally {
      this.#replicating = undefined;
    }
  }

  /** Applies every repository's lifecycle policy whose turn has come: the images it selects are deleted. */
  async runLifecyclePolicies(now = Date.now()): Promise<number> {
    let expired = 0;
    for (const repo of await this.store.repositoriesWithLifecycle()) {
      if (repo.lifecycleEvaluatedAt !== null && now - repo.lifecycleEvaluatedAt < this.#lifecycleMs) continue;
      const verdicts = await this.#evaluate(repo, repo.lifecyclePolicy!, now);
      for (const v of verdicts) {
        const result = await this.store.deleteImage(repo.id, { digest: v.digest });
        if (typeof result === 'object') expired++;
      }
      await this.store.updateRepository(repo, { lifecycleEvaluatedAt: now });
    }
    return expired;
  }

  async #evaluate(repo: RepositoryRecord, policy: string, now: number): Promise<LifecycleVerdict[]> {
    const rules = parseLifecyclePolicy(policy);
    const images = await this.store.listImages(repo.id);
    return evaluateLifecyclePolicy(rules, images.map((i) => ({ digest: i.digest, tags: i.tags, pushedAt: i.pushedAt })), now);
  }

  /** A repository's policy for the edge's authorize step (from the store's repository cache). */
  async resourcePolicy(resourceArn: string): Promise<string | undefined> {
    const parsed = parseRepositoryArn(resourceArn);
    if (!parsed || !this.#store) return undefined;
    return (await this.#store.getRepository(parsed.accountId, parsed.region, parsed.name))?.policy ?? undefined;
  }

  // ---- RepositoryResolver ----

  async repository(input: { registryId?: string; repositoryName: string }, ctx: RequestContext): Promise<{ repo: RepositoryRecord; registryId: string }> {
    const registryId = input.registryId ?? ctx.accountId;
    const repo = await this.store.getRepository(registryId, ctx.region, input.repositoryName);
    if (!repo) throw repositoryNotFound(input.repositoryName, registryId);
    return { repo, registryId };
  }

  async replicationTargets(repo: RepositoryRecord): Promise<ReplicationTarget[]> {
    const settings = await this.store.getRegistrySettings(repo.accountId, repo.region);
    return settings.replication ? replicationTargets(JSON.parse(settings.replication), repo.name) : [];
  }

  async pushed(repo: RepositoryRecord, image: ImageRecord, replicated: boolean): Promise<void> {
    await this.scanning.pushed(repo, image);
    if (replicated) {
      void this.replicate().catch((error: unknown) => this.platform.logger.error({ err: error }, 'ecr replication failed'));
    }
  }

  registryUrl(accountId: string, region: string, ctx: RequestContext): string {
    const endpoint = new URL(ctx.endpoint || this.platform.endpoint());
    return `http://${registryHost(accountId, region, endpoint.port)}`;
  }

  #repository(repo: RepositoryRecord, ctx: RequestContext): Repository {
    const endpoint = new URL(ctx.endpoint || this.platform.endpoint());
    return {
      repositoryArn: repositoryArn(repo.region, repo.accountId, repo.name),
      registryId: repo.accountId,
      repositoryName: repo.name,
      repositoryUri: `${registryHost(repo.accountId, repo.region, endpoint.port)}/${repo.name}`,
      createdAt: new Date(repo.createdAt),
      imageTagMutability: repo.tagMutability as Repository['imageTagMutability'],
      imageScanningConfiguration: { scanOnPush: repo.scanOnPush },
      encryptionConfiguration: repo.encryption as Repository['encryptionConfiguration'],
    };
  }

  async #byArn(arn: string, ctx: RequestContext): Promise<RepositoryRecord> {
    const parsed = parseRepositoryArn(arn);
    if (!parsed) throw invalidParameter(`Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'`);
    const repo = await this.store.getRepository(parsed.accountId, parsed.region, parsed.name);
    if (!repo || parsed.region !== ctx.region) throw repositoryNotFound(parsed.name, parsed.accountId);
    return repo;
  }

  // ---- repositories ----

  CreateRepository = async (input: CreateRepositoryRequest, ctx: RequestContext): Promise<CreateRepositoryResult> => {
    const registryId = input.registryId ?? ctx.accountId;
    const mutability = input.imageTagMutability ?? 'MUTABLE';
    if (mutability !== 'MUTABLE' && mutability !== 'IMMUTABLE') throw invalidParameter(`Image tag mutability ${mutability} with exclusion filters is not supported`);
    const tags = checkTags(input.tags ?? []);
    const encryption = input.encryptionConfiguration ?? { encryptionType: 'AES256' };
    if (encryption.encryptionType === 'AES256' && encryption.kmsKey !== undefined) throw invalidParameter('Invalid parameter: KMS key should not be specified for AES256 encryption type');
    const repo = await this.store.createRepository({
      accountId: registryId,
      region: ctx.region,
      name: input.repositoryName,
      tagMutability: mutability,
      scanOnPush: input.imageScanningConfiguration?.scanOnPush ?? false,
      encryption: encryption.kmsKey !== undefined ? { encryptionType: encryption.encryptionType, kmsKey: encryption.kmsKey } : { encryptionType: encryption.encryptionType },
      tags,
      policy: null,
      lifecyclePolicy: null,
    });
    if (!repo) throw repositoryExists(input.repositoryName, registryId);
    return { repository: this.#repository(repo, ctx) };
  };

  DescribeRepositories = async (input: DescribeRepositoriesRequest, ctx: RequestContext): Promise<DescribeRepositoriesResult> => {
    const registryId = input.registryId ?? ctx.accountId;
    let repos: RepositoryRecord[];
    if (input.repositoryNames && input.repositoryNames.length > 0) {
      repos = [];
      for (const name of input.repositoryNames) {
        const repo = await this.store.getRepository(registryId, ctx.region, name);
        if (!repo) throw repositoryNotFound(name, registryId);
        repos.push(repo);
      }
    } else {
      repos = await this.store.listRepositories(registryId, ctx.region);
    }
    const { items, nextToken } = page(repos, input.nextToken, input.maxResults, 100);
    return { repositories: items.map((r) => this.#repository(r, ctx)), ...(nextToken ? { nextToken } : {}) };
  };

  DeleteRepository = async (input: DeleteRepositoryRequest, ctx: RequestContext) => {
    const { repo, registryId } = await this.repository(input, ctx);
    const result = await this.store.deleteRepository(repo, input.force ?? false);
    if (result === 'missing') throw repositoryNotFound(input.repositoryName, registryId);
    if (result === 'not-empty') throw repositoryNotEmpty(input.repositoryName, registryId);
    await this.layers.delete(result.parts);
    return { repository: this.#repository(repo, ctx) };
  };

  TagResource = async (input: TagResourceRequest, ctx: RequestContext) => {
    const repo = await this.#byArn(input.resourceArn, ctx);
    const merged = new Map(repo.tags.map((t) => [t.Key, t.Value]));
    for (const t of checkTags(input.tags)) merged.set(t.Key, t.Value);
    if (merged.size > 50) throw new TooManyTagsException('Tag limit exceeded: a repository can have at most 50 tags');
    await this.store.updateRepository(repo, { tags: [...merged].map(([Key, Value]) => ({ Key, Value })) });
    return {};
  };

  UntagResource = async (input: UntagResourceRequest, ctx: RequestContext) => {
    const repo = await this.#byArn(input.resourceArn, ctx);
    await this.store.updateRepository(repo, { tags: repo.tags.filter((t) => !input.tagKeys.includes(t.Key)) });
    return {};
  };

  ListTagsForResource = async (input: ListTagsForResourceRequest, ctx: RequestContext) => {
    const repo = await this.#byArn(input.resourceArn, ctx);
    return { tags: repo.tags };
  };

  PutImageTagMutability = async (input: PutImageTagMutabilityRequest, ctx: RequestContext) => {
    const { repo, registryId } = await this.repository(input, ctx);
    if (input.imageTagMutability !== 'MUTABLE' && input.imageTagMutability !== 'IMMUTABLE') {
      throw invalidParameter(`Image tag mutability ${input.imageTagMutability} with exclusion filters is not supported`);
    }
    await this.store.updateRepository(repo, { tagMutability: input.imageTagMutability });
    return { registryId, repositoryName: repo.name, imageTagMutability: input.imageTagMutability };
  };

  PutImageScanningConfiguration = async (input: PutImageScanningConfigurationRequest, ctx: RequestContext) => {
    const { repo, registryId } = await this.repository(input, ctx);
    await this.store.updateRepository(repo, { scanOnPush: input.imageScanningConfiguration.scanOnPush ?? false });
    return { registryId, repositoryName: repo.name, imageScanningConfiguration: { scanOnPush: input.imageScanningConfiguration.scanOnPush ?? false } };
  };

  SetRepositoryPolicy = async (input: SetRepositoryPolicyRequest, ctx: RequestContext) => {
    const { repo, registryId } = await this.repository(input, ctx);
    let doc: { Statement?: unknown };
    try {
      doc = JSON.parse(input.policyText);
    } catch {
      throw invalidParameter("Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'");
    }
    if (!doc || typeof doc !== 'object' || doc.Statement === undefined) {
      throw invalidParameter("Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'");
    }
    await this.store.updateRepository(repo, { policy: input.policyText });
    return { registryId, repositoryName: repo.name, policyText: input.policyText };
  };

  GetRepositoryPolicy = async (input: GetRepositoryPolicyRequest, ctx: RequestContext) => {
    const { repo, registryId } = await this.repository(input, ctx);
    if (!repo.policy) throw policyNotFound(repo.name, registryId);
    return { registryId, repositoryName: repo.name, policyText: repo.policy };
  };

  DeleteRepositoryPolicy = async (input: DeleteRepositoryPolicyRequest, ctx: RequestContext) => {
    const { repo, registryId } = await this.repository(input, ctx);
    if (!repo.policy) throw policyNotFound(repo.name, registryId);
    await this.store.updateRepository(repo, { policy: null });
    return { registryId, repositoryName: repo.name, policyText: repo.policy };
  };

  // ---- authorization tokens ----

  GetAuthorizationToken = async (_input: unknown, ctx: RequestContext): Promise<GetAuthorizationTokenResult> => {
    const { token, expires } = this.tokens.issue(ctx.identity, ctx.region);
    return {
      authorizationData: [
        {
          authorizationToken: Buffer.from(`AWS:${token}`).toString('base64'),
          expiresAt: new Date(expires),
          proxyEndpoint: this.registryUrl(ctx.accountId, ctx.region, ctx),
        },
      ],
    };
  };

  // ---- lifecycle policies ----

  PutLifecyclePolicy = async (input: PutLifecyclePolicyRequest, ctx: RequestContext) => {
    const { repo, registryId } = await this.repository(input, ctx);
    parseLifecyclePolicy(input.lifecyclePolicyText);
    await this.store.updateRepository(repo, { lifecyclePolicy: input.lifecyclePolicyText, lifecycleEvaluatedAt: null });
    return { registryId, repositoryName: repo.name, lifecyclePolicyText: input.lifecyclePolicyText };
  };

  GetLifecyclePolicy = async (input: GetLifecyclePolicyRequest, ctx: RequestContext) => {
    const { repo, registryId } = await this.repository(input, ctx);
    if (!repo.lifecyclePolicy) throw lifecyclePolicyNotFound(repo.name, registryId);
    return {
      registryId,
      repositoryName: repo.name,
      lifecyclePolicyText: repo.lifecyclePolicy,
      ...(repo.lifecycleEvaluatedAt !== null ? { lastEvaluatedAt: new Date(repo.lifecycleEvaluatedAt) } : {}),
    };
  };

  DeleteLifecyclePolicy = async (input: DeleteLifecyclePolicyRequest, ctx: RequestContext) => {
    const { repo, registryId } = await this.repository(input, ctx);
    if (!repo.lifecyclePolicy) throw lifecyclePolicyNotFound(repo.name, registryId);
    await this.store.updateRepository(repo, { lifecyclePolicy: null });
    return {
      registryId,
      repositoryName: repo.name,
      lifecyclePolicyText: repo.lifecyclePolicy,
      ...(repo.lifecycleEvaluatedAt !== null ? { lastEvaluatedAt: new Date(repo.lifecycleEvaluatedAt) } : {}),
    };
  };

  StartLifecyclePolicyPreview = async (input: StartLifecyclePolicyPreviewRequest, ctx: RequestContext) => {
    const { repo, registryId } = await this.repository(input, ctx);
    const policy = input.lifecyclePolicyText ?? repo.lifecyclePolicy;
    if (!policy) throw lifecyclePolicyNotFound(repo.name, registryId);
    const verdicts = await this.#evaluate(repo, policy, Date.now());
    await this.store.putPreview(repo.id, policy, verdicts);
    return { registryId, repositoryName: repo.name, lifecyclePolicyText: policy, status: 'IN_PROGRESS' as const };
  };

  GetLifecyclePolicyPreview = async (input: GetLifecyclePolicyPreviewRequest, ctx: RequestContext): Promise<GetLifecyclePolicyPreviewResult> => {
    const { repo, registryId } = await this.repository(input, ctx);
    const preview = await this.store.getPreview<LifecycleVerdict[]>(repo.id);
    if (!preview) {
      throw new LifecyclePolicyPreviewNotFoundException(`There is no dry run for this repository with name '${repo.name}' in the registry with id '${registryId}'`);
    }
    const results = preview.results.map((v) => ({
      ...(v.tags.length > 0 ? { imageTags: v.tags } : {}),
      imageDigest: v.digest,
      imagePushedAt: new Date(v.pushedAt),
      action: { type: 'EXPIRE' as const },
      appliedRulePriority: v.rulePriority,
    }));
    const { items, nextToken } = page(results, input.nextToken, input.maxResults, 100);
    return {
      registryId,
      repositoryName: repo.name,
      lifecyclePolicyText: preview.policy,
      status: 'COMPLETE',
      previewResults: items,
      summary: { expiringImageTotalCount: results.length },
      ...(nextToken ? { nextToken } : {}),
    };
  };

  // ---- registry settings ----

  PutReplicationConfiguration = async (input: PutReplicationConfigurationRequest, ctx: RequestContext) => {
    const configuration = checkReplicationConfiguration(input.replicationConfiguration, ctx.accountId, ctx.region);
    await this.store.putRegistrySettings(ctx.accountId, ctx.region, { replication: JSON.stringify(configuration) });
    return { replicationConfiguration: configuration };
  };

  DescribeImageReplicationStatus = async (input: DescribeImageReplicationStatusRequest, ctx: RequestContext): Promise<DescribeImageReplicationStatusResult> => {
    const { repo, registryId } = await this.repository(input, ctx);
    const id = input.imageId;
    const image = id.imageTag !== undefined ? await this.store.getImageByTag(repo.id, id.imageTag) : id.imageDigest !== undefined ? await this.store.getImage(repo.id, id.imageDigest) : undefined;
    if (!image || (id.imageDigest !== undefined && image.digest !== id.imageDigest)) {
      throw imageNotFound(id, repo.name, registryId);
    }
    const statuses = await this.#statuses!.replications(repo.id, image.digest);
    return {
      repositoryName: repo.name,
      imageId: { imageDigest: image.digest, ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}) },
      replicationStatuses: statuses.map((r) => ({ region: r.region, registryId: r.registryId, status: r.status, ...(r.failureCode ? { failureCode: r.failureCode } : {}) })),
    };
  };

  DescribeRegistry = async (_input: unknown, ctx: RequestContext) => {
    const settings = await this.store.getRegistrySettings(ctx.accountId, ctx.region);
    return { registryId: ctx.accountId, replicationConfiguration: settings.replication ? JSON.parse(settings.replication) : { rules: [] } };
  };

  PutRegistryPolicy = async (input: { policyText: string }, ctx: RequestContext) => {
    try {
      JSON.parse(input.policyText);
    } catch {
      throw invalidParameter("Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid registry policy provided'");
    }
    await this.store.putRegistrySettings(ctx.accountId, ctx.region, { policy: input.policyText });
    return { registryId: ctx.accountId, policyText: input.policyText };
  };

  GetRegistryPolicy = async (_input: unknown, ctx: RequestContext) => {
    const settings = await this.store.getRegistrySettings(ctx.accountId, ctx.region);
    if (!settings.policy) {
      throw new RegistryPolicyNotFoundException(`Registry policy does not exist in the registry with id '${ctx.accountId}'`);
    }
    return { registryId: ctx.accountId, policyText: settings.policy };
  };
}

/** `<account>.dkr.ecr.<region>.localhost:<port>`. */
export function registryHost(accountId: string, region: string, port: string): string {
  return `${accountId}.dkr.ecr.${region}.localhost${port ? `:${port}` : ''}`;
}

function checkTags(tags: readonly { Key: string; Value: string }[]): { Key: string; Value: string }[] {
  for (const t of tags) {
    if (t.Key.startsWith('aws:')) throw new InvalidTagParameterException("Invalid parameter: tag keys may not start with 'aws:'");
  }
  if (tags.length > 50) throw new TooManyTagsException('Tag limit exceeded: a repository can have at most 50 tags');
  return tags.map((t) => ({ Key: t.Key, Value: t.Value }));
}
