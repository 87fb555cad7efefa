// ListSecrets and BatchGetSecretValue: the account's secrets filtered (AND across filters, OR across
// a filter's values, `!` negates a value) and sorted in memory, paged with opaque tokens.
import type { RequestContext } from '@atoll/core';
import type * as sm from '@atoll/aws-models/secretsmanager';
import { ServiceError } from '@atoll/core';
import { invalidParameter } from './secrets-errors.js';
import type { SecretRecord, SecretsStore } from './secrets-store.js';

/** What the listings need of the provider. */
export interface SecretsAccess {
  readonly store: SecretsStore;
  secret(secretId: string, ctx: RequestContext): Promise<SecretRecord>;
  readValue(secret: SecretRecord, by: { VersionId?: string; VersionStage?: string }): Promise<sm.GetSecretValueResult>;
}

type Describe = (secret: SecretRecord) => sm.DescribeSecretResult;
type Pager = <T>(all: readonly T[], token: string | undefined, max: number | undefined) => { items: T[]; nextToken?: string };

const KEYS = new Set(['description', 'name', 'tag-key', 'tag-value', 'primary-region', 'owning-service', 'all']);

function checkFilters(filters: readonly sm.Filter[]): void {
  for (const f of filters) {
    if (!f.Key || !KEYS.has(f.Key)) throw invalidParameter(`Invalid filter key: ${f.Key ?? ''}`);
    if (!f.Values || f.Values.length === 0) throw invalidParameter(`Invalid filter values for key: ${f.Key}`);
  }
}

const prefix = (value: string | null | undefined, wanted: string, caseless: boolean) =>
  value != null && (caseless ? value.toLowerCase().startsWith(wanted.toLowerCase()) : value.startsWith(wanted));

function fieldMatches(secret: SecretRecord, key: string, wanted: string): boolean {
  switch (key) {
    case 'name':
      return prefix(secret.name, wanted, false);
    case 'description':
      return prefix(secret.description, wanted, true);
    case 'tag-key':
      return secret.tags.some((t) => prefix(t.Key, wanted, false));
    case 'tag-value':
      return secret.tags.some((t) => prefix(t.Value, wanted, false));
    case 'primary-region':
      return false;
    case 'owning-service':
      return prefix(secret.owningService, wanted, false);
    default: {
      // `all`: every word of the value matches the start of some attribute, not case-sensitive.
      const words = wanted.split(/\s+/).filter(Boolean);
      const fields = [secret.name, secret.description, secret.owningService, ...secret.tags.flatMap((t) => [t.Key, t.Value])];
      return words.every((w) => fields.some((f) => prefix(f, w, true)));
    }
  }
}

/** True when the secret passes every filter. */
export function matchesFilters(secret: SecretRecord, filters: readonly sm.Filter[]): boolean {
  return filters.every((f) => {
    const values = f.Values ?? [];
    const positive = values.filter((v) => !v.startsWith('!'));
    const negative = values.filter((v) => v.startsWith('!')).map((v) => v.slice(1));
    if (negative.some((v) => fieldMatches(secret, f.Key!, v))) return false;
    return positive.length === 0 || positive.some((v) => fieldMatches(secret, f.Key!, v));
  });
}

const SORT_KEYS: Record<string, (s: SecretRecord) => number | string> = {
  'created-date': (s) => s.createdAt,
  'last-accessed-date': (s) => s.lastAccessedAt ?? 0,
  'last-changed-date': (s) => s.lastChangedAt,
  name: (s) => s.name,
};

export async function listSecretEntries(
  access: SecretsAccess,
  input: sm.ListSecretsRequest,
  ctx: RequestContext,
  describe: Describe,
  page: Pager,
): Promise<sm.ListSecretsResult> {
  const filters = input.Filters ?? [];
  checkFilters(filters);
  const key = SORT_KEYS[input.SortBy ?? 'created-date'] ?? SORT_KEYS['created-date']!;
  const direction = (input.SortOrder ?? 'desc') === 'asc' ? 1 : -1;
  const secrets = (await access.store.listSecrets(ctx.accountId, ctx.region))
    .filter((s) => (input.IncludePlannedDeletion || s.deletionDate === null) && matchesFilters(s, filters))
    .sort((a, b) => {
      const x = key(a);
      const y = key(b);
      return (x < y ? -1 : x > y ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0) * direction;
    });
  const { items, nextToken } = page(secrets, input.NextToken, input.MaxResults);
  const entries: sm.SecretListEntry[] = [];
  for (const s of items) {
    const { VersionIdsToStages: _omit, ...fields } = describe(s);
    entries.push({ ...fields, SecretVersionsToStages: await access.store.versionStages(s.arn) });
  }
  return { SecretList: entries, ...(nextToken ? { NextToken: nextToken } : {}) };
}

export async function batchGetSecretValue(
  access: SecretsAccess,
  input: sm.BatchGetSecretValueRequest,
  ctx: RequestContext,
  page: Pager,
): Promise<sm.BatchGetSecretValueResult> {
  const byList = input.SecretIdList !== undefined;
  if (byList === (input.Filters !== undefined)) throw invalidParameter("Either 'SecretIdList' or 'Filters' must be provided, but not both.");
  if (byList) {
    if (input.SecretIdList!.length > 20) throw invalidParameter('SecretIdList can contain at most 20 secrets.');
    if (input.MaxResults !== undefined) throw invalidParameter("'MaxResults' is only valid with 'Filters'.");
    const values: sm.SecretValueEntry[] = [];
    const errors: sm.APIErrorType[] = [];
    for (const id of input.SecretIdList!) {
      try {
        values.push(await access.readValue(await access.secret(id, ctx), {}));
      } catch (error) {
        if (!(error instanceof ServiceError)) throw error;
        errors.push({ SecretId: id, ErrorCode: error.code, Message: error.message });
      }
    }
    return { SecretValues: values, Errors: errors };
  }
  checkFilters(input.Filters!);
  const secrets = (await access.store.listSecrets(ctx.accountId, ctx.region)).filter((s) => s.deletionDate === null && matchesFilters(s, input.Filters!));
  const { items, nextToken } = page(secrets, input.NextToken, input.MaxResults ?? 20);
  const values: sm.SecretValueEntry[] = [];
  const errors: sm.APIErrorType[] = [];
  for (const s of items) {
    try {
      values.push(await access.readValue(s, {}));
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      errors.push({ SecretId: s.arn, ErrorCode: error.code, Message: error.message });
    }
  }
  return { SecretValues: values, Errors: errors, ...(nextToken ? { NextToken: nextToken } : {}) };
}
