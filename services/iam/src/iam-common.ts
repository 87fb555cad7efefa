// What IAM's operation modules share: name and path checks, IAM's error messages, Marker/MaxItems
// paging, tags, ARNs, and the validation of policy documents (grammar from @atoll/auth, sizes here).
import { formatArn, serviceError, type ServiceError } from '@atoll/core';
import { validatePolicyDocument } from '@atoll/auth';
import { InvalidInputException, LimitExceededException, NoSuchEntityException } from '@atoll/aws-models/iam';
import type * as iam from '@atoll/aws-models/iam';

export const NAME = /^[\w+=,.@-]+$/;
export const PATH = /^\/([\x21-\x7e]*\/)?$/;

export const validation = (message: string): ServiceError => serviceError('ValidationError', 400, message);

/** IAM's ValidationError for a name that breaks the `[\w+=,.@-]+` pattern. */
export function checkName(value: string, member: string): void {
  if (!NAME.test(value)) {
    throw validation(`1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`);
  }
}

export function checkPath(path: string | undefined): string {
  const value = path ?? '/';
  if (!PATH.test(value)) throw validation('The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.');
  return value;
}

export const noSuch = (message: string): ServiceError => new NoSuchEntityException(message);
export const noSuchUser = (name: string): ServiceError => noSuch(`The user with name ${name} cannot be found.`);
export const noSuchRole = (name: string): ServiceError => noSuch(`The role with name ${name} cannot be found.`);
export const noSuchGroup = (name: string): ServiceError => noSuch(`The group with name ${name} cannot be found.`);
export const noSuchPolicy = (arn: string): ServiceError => noSuch(`Policy ${arn} does not exist or is not attachable.`);

export const iamArn = (accountId: string, resource: string): string => formatArn({ service: 'iam', region: '', accountId, resource });

/** The account of an IAM ARN (`aws` for AWS managed policies), or undefined when it is not one. */
export function arnAccount(arn: string): string | undefined {
  const parts = arn.split(':');
  return parts.length >= 6 && parts[0] === 'arn' && parts[2] === 'iam' ? parts[4] : undefined;
}

/** `arn:aws:iam::<acct>:policy/<path>` → the policy's name (the last segment). */
export const policyNameOf = (arn: string): string => arn.slice(arn.lastIndexOf('/') + 1);

// ---------------------------------------------------------------------------------------------
// Paging: Marker is the base64url of the last item's key on the page before.

export const encodeMarker = (key: string): string => Buffer.from(key, 'utf8').toString('base64url');
export const decodeMarker = (marker: string | undefined): string | undefined =>
  marker === undefined ? undefined : Buffer.from(marker, 'base64url').toString('utf8');

/** Pages an ordered list in memory: items after the marker's key, at most MaxItems (default 100). */
export function page<T>(items: readonly T[], keyOf: (item: T) => string, marker: string | undefined, maxItems: number | undefined): {
  items: T[];
  IsTruncated: boolean;
  Marker?: string;
} {
  const after = decodeMarker(marker);
  const start = after === undefined ? 0 : items.findIndex((item) => keyOf(item) > after);
  const rest = start < 0 ? [] : items.slice(start);
  const max = maxItems ?? 100;
  const slice = rest.slice(0, max);
  const truncated = rest.length > max;
  return { items: slice, IsTruncated: truncated, ...(truncated ? { Marker: encodeMarker(keyOf(slice[slice.length - 1]!)) } : {}) };
}

/** Pages rows read with a limit of MaxItems + 1 (the store did the `after` part). */
export function sqlPage<T>(rows: readonly T[], keyOf: (item: T) => string, maxItems: number): { items: T[]; IsTruncated: boolean; Marker?: string } {
  const slice = rows.slice(0, maxItems);
  const truncated = rows.length > maxItems;
  return { items: slice, IsTruncated: truncated, ...(truncated ? { Marker: encodeMarker(keyOf(slice[slice.length - 1]!)) } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Tags: at most 50 per resource; a tag of an existing key replaces its value.

export const MAX_TAGS = 50;

export function parseTags(text: string): iam.Tag[] {
  return JSON.parse(text) as iam.Tag[];
}

export function checkTags(tags: readonly iam.Tag[] | undefined): iam.Tag[] {
  const list = [...(tags ?? [])];
  const keys = new Set<string>();
  for (const tag of list) {
    if (keys.has(tag.Key.toLowerCase())) throw new InvalidInputException('Duplicate tag keys found. Please note that Tag keys are case insensitive.');
    keys.add(tag.Key.toLowerCase());
  }
  if (list.length > MAX_TAGS) throw new LimitExceededException('The number of tags has reached the maximum limit.');
  return list;
}

/** Existing tags with `added` merged in (a key, in any case, replaces the tag). */
export function mergeTags(existing: readonly iam.Tag[], added: readonly iam.Tag[]): iam.Tag[] {
  checkTags(added);
  const out = existing.filter((t) => !added.some((a) => a.Key.toLowerCase() === t.Key.toLowerCase()));
  out.push(...added);
  if (out.length > MAX_TAGS) throw new LimitExceededException('The number of tags has reached the maximum limit.');
  return out;
}

export function removeTags(existing: readonly iam.Tag[], keys: readonly string[]): iam.Tag[] {
  const drop = new Set(keys.map((k) => k.toLowerCase()));
  return existing.filter((t) => !drop.has(t.Key.toLowerCase()));
}

export const tagsOrNothing = (tags: readonly iam.Tag[]): { Tags?: iam.Tag[] } => (tags.length > 0 ? { Tags: [...tags] } : {});

// ---------------------------------------------------------------------------------------------
// Policy documents.

/** IAM's size limits, in characters other than whitespace. */
export const POLICY_LIMITS = { user: 2048, role: 10240, group: 5120, managed: 6144, trust: 2048 } as const;

/**
 * Validates a policy document with @atoll/auth's `validatePolicyDocument` (MalformedPolicyDocument
 * with IAM's reasons; `kind` trust requires principals, identity forbids them) and its size:
 * `tooLarge` is the error for a document over `limit` non-whitespace characters. Managed policies
 * (`current`) must say Version 2012-10-17.
 */
export function checkPolicyDocument(text: string, kind: 'identity' | 'trust', limit: number, tooLarge: () => ServiceError, current = false): void {
  validatePolicyDocument(text, kind, { maxSize: limit, tooLarge, requireCurrentVersion: current });
}

export const iso = (date: string | null | undefined): Date | undefined => (date ? new Date(date) : undefined);
