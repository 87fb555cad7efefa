// What AssumeRole and AssumeRoleWithWebIdentity check of a session's inputs beyond the model's traits
// (which the edge validates): the duration against the role, the session policy's grammar, the
// session tags, and the packed size of policies and tags together.
//
// Known limitations: the packed size is the deflated size of the session policy, policy ARNs and tags
// against a 2,048-byte budget — AWS's exact packing is not published, so percentages differ from AWS's.
import { deflateRawSync } from 'node:zlib';
import { parsePolicyDocument } from '@atoll/auth';
import { serviceError } from '@atoll/core';
import { errors } from '@atoll/aws-models/sts';
import type { PolicyDescriptorType, Tag } from '@atoll/aws-models/sts';

const PACKED_BUDGET_BYTES = 2048;
/** Role chaining (a role session assuming a role) is limited to one hour, as in AWS. */
export const CHAINED_MAX_SECONDS = 3600;

export function validationError(message: string) {
  return serviceError('ValidationError', 400, message);
}

const SESSION_NAME = /^[\w+=,.@-]*$/;
const SOURCE_IDENTITY = /^[\w+=,.@-]*$/;

/** The patterns the model gives RoleSessionName and SourceIdentity (the edge checks lengths, not patterns). */
export function checkNames(input: { RoleSessionName: string; SourceIdentity?: string }): void {
  if (!SESSION_NAME.test(input.RoleSessionName)) {
    throw validationError(`1 validation error detected: Value '${input.RoleSessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
  }
  if (input.SourceIdentity !== undefined && !SOURCE_IDENTITY.test(input.SourceIdentity)) {
    throw validationError(`1 validation error detected: Value '${input.SourceIdentity}' at 'sourceIdentity' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
  }
}

/** The session's duration in seconds: `requested` or one hour, within the role's maximum. */
export function sessionDuration(requested: number | undefined, roleMax: number, chained: boolean): number {
  const seconds = requested ?? 3600;
  if (chained && seconds > CHAINED_MAX_SECONDS) {
    throw validationError('The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
  }
  if (seconds > roleMax) throw validationError('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  return seconds;
}

/** The session policy's text, checked as an identity policy (MalformedPolicyDocument otherwise). */
export function checkSessionPolicy(policy: string | undefined): void {
  if (policy === undefined) return;
  try {
    parsePolicyDocument(policy);
  } catch (error) {
    throw new errors.MalformedPolicyDocumentException((error as Error).message);
  }
}

/** Session tags by key; keys compare case-insensitively, and a key may appear once. */
export function sessionTags(tags: readonly Tag[] | undefined, inherited: Record<string, string> = {}): Record<string, string> | undefined {
  if (!tags?.length && Object.keys(inherited).length === 0) return undefined;
  const out: Record<string, string> = { ...inherited };
  const seen = new Set<string>();
  for (const tag of tags ?? []) {
    const lower = tag.Key.toLowerCase();
    if (seen.has(lower)) throw validationError('Duplicate tag keys found. Please note that Tag keys are case insensitive.');
    seen.add(lower);
    for (const key of Object.keys(out)) if (key.toLowerCase() === lower) delete out[key];
    out[tag.Key] = tag.Value;
  }
  return out;
}

/**
 * The packed size of the session policies and tags, in percent of what a session may carry;
 * PackedPolicyTooLarge beyond 100.
 */
export function packedPolicySize(policy: string | undefined, policyArns: readonly PolicyDescriptorType[] | undefined, tags: Record<string, string> | undefined): number | undefined {
  if (policy === undefined && !policyArns?.length && !tags) return undefined;
  let compact = '';
  if (policy !== undefined) {
    try {
      compact = JSON.stringify(JSON.parse(policy));
    } catch {
      compact = policy;
    }
  }
  const packed = deflateRawSync(Buffer.from(JSON.stringify([compact, (policyArns ?? []).map((p) => p.arn), tags ?? {}])));
  const percent = Math.max(1, Math.ceil((packed.length * 100) / PACKED_BUDGET_BYTES));
  if (percent > 100) throw new errors.PackedPolicyTooLargeException(`Packed policy consumes ${percent}% of allotted space, please use smaller policy.`);
  return percent;
}
