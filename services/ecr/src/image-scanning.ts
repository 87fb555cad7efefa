// Image scanning without a vulnerability database: StartImageScan and scan on push (the repository's
// scanOnPush, or a registry scanning rule whose WILDCARD filter matches) complete at once with
// status FAILED and a description saying why, so that waiters (ImageScanComplete) end instead of
// polling forever; DescribeImageScanFindings and DescribeImages report that status. The registry
// scanning configuration (BASIC or ENHANCED, rules) is recorded and drives scan on push.
//
// FAILED, not UNSUPPORTED_IMAGE: the image is not at fault, the scanner is missing.
import type { RequestContext } from '@atoll/core';
import {
  ScanNotFoundException,
  UnsupportedImageTypeException,
  type DescribeImageScanFindingsRequest,
  type DescribeImageScanFindingsResult,
  type GetRegistryScanningConfigurationResult,
  type ImageIdentifier,
  type PutRegistryScanningConfigurationRequest,
  type PutRegistryScanningConfigurationResult,
  type RegistryScanningConfiguration,
  type StartImageScanRequest,
  type StartImageScanResult,
} from '@atoll/aws-models/ecr';
import { imageNotFound, invalidParameter } from './ecr-errors.js';
import type { EcrStore, ImageRecord, RepositoryRecord } from './ecr-store.js';
import type { ImageStatusStore, ScanRecord } from './image-status-store.js';
import type { RepositoryResolver } from './image-operations.js';
import { DOCKER_LIST, OCI_INDEX } from './manifest.js';

export const NO_SCANNER = 'Image scanning failed: no vulnerability database is available on this machine (Atoll has no image scanner).';

const FREQUENCIES = ['SCAN_ON_PUSH', 'CONTINUOUS_SCAN', 'MANUAL'];

/** `*` matches any run of characters; the rest is literal. */
export function wildcardMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`);
  return re.test(name);
}

export class ImageScanning {
  constructor(
    private readonly store: EcrStore,
    private readonly statuses: ImageStatusStore,
    private readonly resolver: RepositoryResolver,
  ) {}

  async #configuration(accountId: string, region: string): Promise<RegistryScanningConfiguration> {
    const text = await this.statuses.getScanningConfiguration(accountId, region);
    return text ? (JSON.parse(text) as RegistryScanningConfiguration) : { scanType: 'BASIC', rules: [] };
  }

  async #image(repo: RepositoryRecord, registryId: string, id: ImageIdentifier): Promise<ImageRecord> {
    const found = id.imageTag !== undefined ? await this.store.getImageByTag(repo.id, id.imageTag) : id.imageDigest !== undefined ? await this.store.getImage(repo.id, id.imageDigest) : undefined;
    if (!found || (id.imageDigest !== undefined && found.digest !== id.imageDigest)) throw imageNotFound(id, repo.name, registryId);
    return found;
  }

  async #scan(repo: RepositoryRecord, digest: string): Promise<ScanRecord> {
    const scan = { status: 'FAILED', description: NO_SCANNER, completedAt: Date.now() };
    await this.statuses.putScan(repo.id, digest, scan);
    return scan;
  }

  /** After a push: scans the image when the repository or a registry rule asks for scan on push. */
  async pushed(repo: RepositoryRecord, image: { digest: string; mediaType: string }): Promise<void> {
    if (image.mediaType === OCI_INDEX || image.mediaType === DOCKER_LIST) return;
    let onPush = repo.scanOnPush;
    if (!onPush) {
      const config = await this.#configuration(repo.accountId, repo.region);
      onPush = (config.rules ?? []).some(
        (r) => (config.scanType === 'ENHANCED' || r.scanFrequency === 'SCAN_ON_PUSH') && r.repositoryFilters.some((f) => wildcardMatch(f.filter, repo.name)),
      );
    }
    if (onPush) await this.#scan(repo, image.digest);
  }

  StartImageScan = async (input: StartImageScanRequest, ctx: RequestContext): Promise<StartImageScanResult> => {
    const { repo, registryId } = await this.resolver.repository(input, ctx);
    const image = await this.#image(repo, registryId, input.imageId);
    if (image.mediaType === OCI_INDEX || image.mediaType === DOCKER_LIST) {
      throw new UnsupportedImageTypeException(`The image type ${image.mediaType} of image ${image.digest} is not supported for scanning`);
    }
    const scan = await this.#scan(repo, image.digest);
    return {
      registryId,
      repositoryName: repo.name,
      imageId: { imageDigest: image.digest, ...(input.imageId.imageTag !== undefined ? { imageTag: input.imageId.imageTag } : {}) },
      imageScanStatus: { status: scan.status as 'FAILED', description: scan.description },
    };
  };

  DescribeImageScanFindings = async (input: DescribeImageScanFindingsRequest, ctx: RequestContext): Promise<DescribeImageScanFindingsResult> => {
    const { repo, registryId } = await this.resolver.repository(input, ctx);
    const image = await this.#image(repo, registryId, input.imageId);
    const scan = await this.statuses.getScan(repo.id, image.digest);
    if (!scan) {
      throw new ScanNotFoundException(
        `Image scan does not exist for the image with '{imageDigest:'${image.digest}', imageTag:'${input.imageId.imageTag ?? 'null'}'}' in the repository with name '${repo.name}' in the registry with id '${registryId}'`,
      );
    }
    return {
      registryId,
      repositoryName: repo.name,
      imageId: { imageDigest: image.digest, ...(input.imageId.imageTag !== undefined ? { imageTag: input.imageId.imageTag } : {}) },
      imageScanStatus: { status: scan.status as 'FAILED', description: scan.description },
    };
  };

  PutRegistryScanningConfiguration = async (input: PutRegistryScanningConfigurationRequest, ctx: RequestContext): Promise<PutRegistryScanningConfigurationResult> => {
    const scanType = input.scanType ?? 'BASIC';
    if (scanType !== 'BASIC' && scanType !== 'ENHANCED') throw invalidParameter(`Invalid parameter at 'scanType' failed to satisfy constraint: 'Member must satisfy enum value set: [BASIC, ENHANCED]'`);
    const rules = input.rules ?? [];
    if (rules.length > 2) throw invalidParameter("Invalid parameter at 'rules' failed to satisfy constraint: 'Member must have length less than or equal to 2'");
    for (const rule of rules) {
      if (!FREQUENCIES.includes(rule.scanFrequency)) throw invalidParameter(`Invalid parameter at 'scanFrequency' failed to satisfy constraint: 'Member must satisfy enum value set: [${FREQUENCIES.join(', ')}]'`);
      if (scanType === 'BASIC' && rule.scanFrequency === 'CONTINUOUS_SCAN') throw invalidParameter('Invalid parameter: CONTINUOUS_SCAN frequency is only supported for ENHANCED scan type');
      if (!rule.repositoryFilters || rule.repositoryFilters.length === 0 || rule.repositoryFilters.length > 100) {
        throw invalidParameter("Invalid parameter at 'repositoryFilters' failed to satisfy constraint: 'Member must have length between 1 and 100'");
      }
      for (const f of rule.repositoryFilters) {
        if (f.filterType !== 'WILDCARD' || typeof f.filter !== 'string' || f.filter.length < 1 || f.filter.length > 256) {
          throw invalidParameter(`Invalid parameter at 'repositoryFilters' failed to satisfy constraint: 'Invalid filter ${String(f.filter)}'`);
        }
      }
    }
    const configuration: RegistryScanningConfiguration = {
      scanType,
      rules: rules.map((r) => ({ scanFrequency: r.scanFrequency, repositoryFilters: r.repositoryFilters.map((f) => ({ filter: f.filter, filterType: f.filterType })) })),
    };
    await this.statuses.putScanningConfiguration(ctx.accountId, ctx.region, JSON.stringify(configuration));
    return { registryScanningConfiguration: configuration };
  };

  GetRegistryScanningConfiguration = async (_input: unknown, ctx: RequestContext): Promise<GetRegistryScanningConfigurationResult> => {
    return { registryId: ctx.accountId, scanningConfiguration: await this.#configuration(ctx.accountId, ctx.region) };
  };
}
