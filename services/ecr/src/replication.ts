// Registry replication: checks a replication configuration, names the destinations of a pushed image
// (rules whose PREFIX_MATCH filters match the repository, or all repositories for a rule without
// filters), and copies queued images into the same-named repository of each destination registry
// (created if missing, with default settings, as ECR does). Blobs are content-addressed and shared by
// the whole platform, so a copy links them and stores the manifests and tags: no bytes are copied.
//
// A destination in another account needs that registry's policy (PutRegistryPolicy in the
// destination region) to allow `ecr:ReplicateImage` to the source account (or its root); otherwise
// the replication is FAILED with failureCode REGISTRY_POLICY_DENIED. Replicated images are not
// replicated further, and deletes are not replicated (as in ECR).
import type { ReplicationConfiguration } from '@atoll/aws-models/ecr';
import { invalidParameter } from './ecr-errors.js';
import type { EcrStore, RepositoryRecord, ReplicationTarget } from './ecr-store.js';
import type { ImageStatusStore, ReplicationJob } from './image-status-store.js';
import { parseManifest } from './manifest.js';

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const PREFIX = /^(?:[a-z0-9]+(?:[._-][a-z0-9]*)*\/)*[a-z0-9]*(?:[._-][a-z0-9]*)*$/;

const bad = (why: string) => invalidParameter(`Invalid parameter at 'replicationConfiguration' failed to satisfy constraint: '${why}'`);

/** Checks a replication configuration as PutReplicationConfiguration does. */
export function checkReplicationConfiguration(config: ReplicationConfiguration, accountId: string, region: string): ReplicationConfiguration {
  const rules = config?.rules ?? [];
  if (rules.length > 10) throw bad('Member must have length less than or equal to 10');
  let destinations = 0;
  for (const rule of rules) {
    if (!rule.destinations || rule.destinations.length === 0) throw bad('A replication rule must have at least one destination');
    destinations += rule.destinations.length;
    for (const d of rule.destinations) {
      if (!REGION.test(d.region ?? '')) throw bad(`Invalid destination region '${d.region}'`);
      if (!/^\d{12}$/.test(d.registryId ?? '')) throw bad(`Invalid destination registry id '${d.registryId}'`);
      if (d.region === region && d.registryId === accountId) throw bad('Replication destination cannot be the source registry');
    }
    for (const f of rule.repositoryFilters ?? []) {
      if (f.filterType !== 'PREFIX_MATCH') throw bad(`Unsupported filter type '${f.filterType}'`);
      if (typeof f.filter !== 'string' || f.filter.length < 2 || f.filter.length > 256 || !PREFIX.test(f.filter)) throw bad(`Invalid repository filter '${f.filter}'`);
    }
    if ((rule.repositoryFilters ?? []).length > 100) throw bad('A replication rule can have at most 100 repository filters');
  }
  if (destinations > 25) throw bad('A replication configuration can have at most 25 destinations');
  return {
    rules: rules.map((r) => ({
      destinations: r.destinations.map((d) => ({ region: d.region, registryId: d.registryId })),
      ...(r.repositoryFilters && r.repositoryFilters.length > 0 ? { repositoryFilters: r.repositoryFilters.map((f) => ({ filter: f.filter, filterType: f.filterType })) } : {}),
    })),
  };
}

/** The destinations a push into `repositoryName` replicates to (deduplicated). */
export function replicationTargets(config: ReplicationConfiguration | undefined, repositoryName: string): ReplicationTarget[] {
  const out = new Map<string, ReplicationTarget>();
  for (const rule of config?.rules ?? []) {
    const filters = rule.repositoryFilters ?? [];
    if (filters.length > 0 && !filters.some((f) => repositoryName.startsWith(f.filter))) continue;
    for (const d of rule.destinations) out.set(`${d.region} ${d.registryId}`, { region: d.region, registryId: d.registryId });
  }
  return [...out.values()];
}

/** Whether a registry policy lets `sourceAccount` replicate into it. */
export function policyAllowsReplication(policyText: string | null, sourceAccount: string): boolean {
  if (!policyText) return false;
  let doc: { Statement?: unknown };
  try {
    doc = JSON.parse(policyText);
  } catch {
    return false;
  }
  const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const statements = list(doc.Statement as Record<string, unknown> | Record<string, unknown>[]);
  return statements.some((s) => {
    if (s.Effect !== 'Allow') return false;
    const actions = list(s.Action as string | string[]).map((a) => a.toLowerCase());
    if (!actions.some((a) => a === 'ecr:replicateimage' || a === 'ecr:*' || a === '*')) return false;
    const principal = s.Principal as string | { AWS?: string | string[] } | undefined;
    const principals = principal === '*' ? ['*'] : list(typeof principal === 'object' ? principal.AWS : undefined);
    return principals.some((p) => p === '*' || p === sourceAccount || p === `arn:aws:iam::${sourceAccount}:root`);
  });
}

export class Replicator {
  constructor(
    private readonly store: EcrStore,
    private readonly statuses: ImageStatusStore,
  ) {}

  /** Works the queued replications; answers how many finished. */
  async run(now = Date.now()): Promise<number> {
    let done = 0;
    for (const job of await this.statuses.pendingReplications()) {
      const failure = await this.#copy(job).catch((error: Error) => `INTERNAL_ERROR: ${error.message}`.slice(0, 200));
      if (await this.statuses.finishReplication(job, failure === undefined ? 'COMPLETE' : 'FAILED', failure ?? null, now)) done++;
    }
    return done;
  }

  /** Copies one image (its child manifests first) and its current tags; a failure code, or undefined. */
  async #copy(job: ReplicationJob): Promise<string | undefined> {
    const source = await this.store.getRepository(job.accountId, job.sourceRegion, job.repositoryName);
    if (!source || source.id !== job.repositoryId) return 'SOURCE_REPOSITORY_DELETED';
    if (job.registryId !== job.accountId) {
      const settings = await this.store.getRegistrySettings(job.registryId, job.region);
      if (!policyAllowsReplication(settings.policy, job.accountId)) return 'REGISTRY_POLICY_DENIED';
    }
    const destination = await this.#destination(source, job);
    return this.#copyImage(source, destination, job.digest, true);
  }

  async #destination(source: RepositoryRecord, target: ReplicationTarget): Promise<RepositoryRecord> {
    const existing = await this.store.getRepository(target.registryId, target.region, source.name);
    if (existing) return existing;
    const created = await this.store.createRepository({
      accountId: target.registryId,
      region: target.region,
      name: source.name,
      tagMutability: 'MUTABLE',
      scanOnPush: false,
      encryption: { encryptionType: 'AES256' },
      tags: [],
      policy: null,
      lifecyclePolicy: null,
    });
    return created ?? (await this.store.getRepository(target.registryId, target.region, source.name))!;
  }

  async #copyImage(source: RepositoryRecord, destination: RepositoryRecord, digest: string, withTags: boolean): Promise<string | undefined> {
    const image = await this.store.getImage(source.id, digest);
    if (!image) return 'IMAGE_DELETED';
    const parsed = parseManifest(image.manifest, image.mediaType, image.digest);
    for (const ref of parsed.refs) {
      if (ref.kind === 'manifest') {
        const failure = await this.#copyImage(source, destination, ref.digest, false);
        if (failure) return failure;
      } else if (!(await this.store.linkBlob(destination.id, ref.digest))) {
        return 'BLOB_NOT_FOUND';
      }
    }
    const tags = withTags && image.tags.length > 0 ? image.tags : [undefined];
    for (const tag of tags) {
      const result = await this.store.putImage(destination.id, parsed, tag, destination.tagMutability === 'IMMUTABLE');
      if (result.outcome === 'tag-immutable') return 'IMAGE_TAG_ALREADY_EXISTS';
      if (result.outcome === 'no-repository') return 'DESTINATION_REPOSITORY_DELETED';
      if (result.outcome === 'missing-blobs' || result.outcome === 'missing-manifests') return 'BLOB_NOT_FOUND';
    }
    return undefined;
  }
}
