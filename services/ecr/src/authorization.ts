// What an ECR call asks of IAM: the action is `ecr:<Operation>`, and the resource is the repository
// ARN (`arn:aws:ecr:<region>:<registryId>:repository/<name>`) for repository-scoped operations, the
// tagged resource for tagging, and `*` for the registry-wide ones (GetAuthorizationToken,
// DescribeRepositories, DescribeRegistry …). The registry's requests reach IAM through the same
// operations (registry/registry-handler.ts), so a repository policy governs both.
import type { IamRequest } from '@atoll/core';

export function repositoryArn(region: string, registryId: string, name: string): string {
  return `arn:aws:ecr:${region}:${registryId}:repository/${name}`;
}

export function ecrAuthorization(_operation: string, input: Record<string, unknown>, scope: { accountId: string; region: string }): IamRequest | undefined {
  if (typeof input.resourceArn === 'string') return { resources: [input.resourceArn] };
  if (typeof input.repositoryName === 'string') {
    const registryId = typeof input.registryId === 'string' ? input.registryId : scope.accountId;
    return { resources: [repositoryArn(scope.region, registryId, input.repositoryName)] };
  }
  return undefined;
}

/** The repository an ARN names: `arn:aws:ecr:<region>:<account>:repository/<name>`. */
export function parseRepositoryArn(arn: string): { region: string; accountId: string; name: string } | undefined {
  const m = /^arn:aws:ecr:([^:]+):(\d{12}):repository\/(.+)$/.exec(arn);
  return m ? { region: m[1]!, accountId: m[2]!, name: m[3]! } : undefined;
}
