// The Secrets Manager provider: secrets, versions and staging labels, deletion and recovery, tags and
// resource policies here; listings and filters in secret-listing.ts; rotation through Lambda in
// rotation.ts; GetRandomPassword in random-password.ts; policy checks in resource-policy.ts.
//
// Known limitations:
// - Values are sealed at rest with AES-256-GCM under a key in the data directory
//   (`<dataDir>/secretsmanager/secrets.key`, or ATOLL_SECRETS_KEY: nodes sharing a PostgreSQL
//   database must be given the same key). There is no KMS: KmsKeyId is recorded and reported only.
// - Replication (AddReplicaRegions, ReplicateSecretToRegions, RemoveRegionsFromReplication,
//   StopReplicationToReplica) answers 501; PrimaryRegion is never set.
// - Only in-process callers (other services) may create names with `!` and `aws:` tags: a name
//   `<service>!…` (RDS's `rds!db-…`) is owned by that service (OwningService).
// - BatchGetSecretValue with SecretIdList is authorized as a whole (every secret's GetSecretValue),
//   not secret by secret into Errors; with Filters, secrets are not checked one by one.
// - LastAccessedDate is kept to the day (as AWS) and written at most once a day per version.
// - Rotation (rotation.ts): managed rotation of service-owned secrets, external rotation metadata and
//   the rotation window (`Duration`) are not supported; cron schedules take numbers, `*`, `?`,
//   ranges, lists and steps (not L, W or #).
// - ValidateResourcePolicy checks the JSON shape and broad (public) access only (its CheckName values
//   are Atoll's); PutResourcePolicy's BlockPublicPolicy refuses an Allow to every principal without
//   a condition.
// - Secrets owned by a service (OwningService) refuse PutSecretValue, UpdateSecret,
//   UpdateSecretVersionStage and DeleteSecret from callers (InvalidRequestException), as in AWS; the
//   owning service changes them in-process. Deleting the DB instance does not delete RDS's secret yet.
// - Rotation runs on the node that received RotateSecret (or that leads the schedule); two nodes may
//   reattempt the same pending version at once (the steps are idempotent in AWS's template).
// - The edge's audit step records requests after the operation: the provider replaces SecretString
//   in the request with HIDDEN_DUE_TO_SECURITY_REASONS (and drops SecretBinary) once it has read it.
import { randomUUID, randomBytes } from 'node:crypto';
import type { OperationHandler, PlatformContext, RequestContext, ServiceProvider } from '@atoll/core';
import { runEvery } from '@atoll/storage';
import type * as sm from '@atoll/aws-models/secretsmanager';
import { parseSecretArn, secretsAuthorization } from './authorization.js';
import { checkPolicyDocument, validatePolicy } from './resource-policy.js';
import { randomPassword } from './random-password.js';
import { Rotation } from './rotation.js';
import { SecretCipher } from './secret-cipher.js';
import { batchGetSecretValue, listSecretEntries } from './secret-listing.js';
import { openValue, sameValue, sealValue, valueOf, type PlainValue } from './secret-values.js';
import {
  invalidNextToken as invalidNextTokenError,
  invalidParameter,
  invalidRequest,
  markedForDeletion,
  secretExists,
  secretNotFound,
  valueNotFound,
  versionExists,
} from './secrets-errors.js';
import { SecretsStore, type SecretRecord, type SecretTag, type VersionRecord } from './secrets-store.js';

const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const DAY = 86_400_000;
const SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export class SecretsManagerProvider implements ServiceProvider {
  readonly service = 'secretsmanager';
  readonly operations: ServiceProvider['operations'];
  #store: SecretsStore | undefined;
  #cipher: SecretCipher | undefined;
  #rotation: Rotation | undefined;
  #stops: (() => void)[] = [];
  readonly #sweepMs = setting('ATOLL_SECRETSMANAGER_SWEEP_MS', 60_000);

  constructor(readonly platform: PlatformContext) {
    const r = (name: 'RotateSecret' | 'CancelRotateSecret'): OperationHandler => (input, ctx) => this.rotation[name](input, ctx);
    this.operations = {
      CreateSecret: this.CreateSecret,
      GetSecretValue: this.GetSecretValue,
      DescribeSecret: this.DescribeSecret,
      PutSecretValue: this.PutSecretValue,
      UpdateSecret: this.UpdateSecret,
      UpdateSecretVersionStage: this.UpdateSecretVersionStage,
      ListSecrets: (input: sm.ListSecretsRequest, ctx: RequestContext) => listSecretEntries(this, input, ctx, describe, page),
      BatchGetSecretValue: (input: sm.BatchGetSecretValueRequest, ctx: RequestContext) => batchGetSecretValue(this, input, ctx, page),
      ListSecretVersionIds: this.ListSecretVersionIds,
      DeleteSecret: this.DeleteSecret,
      RestoreSecret: this.RestoreSecret,
      TagResource: this.TagResource,
      UntagResource: this.UntagResource,
      PutResourcePolicy: this.PutResourcePolicy,
      GetResourcePolicy: this.GetResourcePolicy,
      DeleteResourcePolicy: this.DeleteResourcePolicy,
      ValidateResourcePolicy: this.ValidateResourcePolicy,
      GetRandomPassword: (input: sm.GetRandomPasswordRequest) => ({ RandomPassword: randomPassword(input) }),
      RotateSecret: r('RotateSecret'),
      CancelRotateSecret: r('CancelRotateSecret'),
    };
  }

  get store(): SecretsStore {
    if (!this.#store) throw new Error('the Secrets Manager provider is not started');
    return this.#store;
  }

  get cipher(): SecretCipher {
    if (!this.#cipher) throw new Error('the Secrets Manager provider is not started');
    return this.#cipher;
  }

  get rotation(): Rotation {
    if (!this.#rotation) throw new Error('the Secrets Manager provider is not started');
    return this.#rotation;
  }

  /** Opens the store and the key; runs the deletion and rotation schedules where this node leads them. */
  async start(): Promise<void> {
    this.#cipher = SecretCipher.forDataDir(this.platform.config.dataDir);
    this.#store = await SecretsStore.open(this.platform.storage);
    this.#rotation = new Rotation(this);
    const logError = (what: string) => (error: unknown) => this.platform.logger.error({ err: error }, what);
    const leadership = this.platform.storage.leadership;
    this.#stops.push(
      leadership.lead('secretsmanager:deletion', (signal) => runEvery(signal, this.#sweepMs, () => this.purgeDeleted(), logError('secrets deletion sweep failed'))),
      leadership.lead('secretsmanager:rotation', (signal) => runEvery(signal, this.#sweepMs, () => this.rotation.rotateDue(), logError('secrets rotation sweep failed'))),
    );
  }

  async close(): Promise<void> {
    for (const stop of this.#stops.splice(0)) stop();
    await this.#rotation?.settle();
    await this.#store?.close();
  }

  /** Removes the secrets whose recovery window has passed. */
  async purgeDeleted(now = Date.now()): Promise<number> {
    let purged = 0;
    for (const arn of await this.store.dueForPurge(now)) if (await this.store.purgeSecret(arn)) purged++;
    return purged;
  }

  // ---- the edge's authorize step ----

  authorization = (operation: string, input: Record<string, unknown>, scope: { accountId: string; region: string }) =>
    secretsAuthorization(operation, input, scope, async (id, s) => (this.#store ? (await this.find(id, s))?.arn : undefined));

  /** A secret's resource policy (from the store's cache). */
  async resourcePolicy(resourceArn: string): Promise<string | undefined> {
    if (!this.#store || !resourceArn.startsWith('arn:')) return undefined;
    return (await this.#store.getSecretByArn(resourceArn))?.policy ?? undefined;
  }

  // ---- lookups ----

  /** A secret by name, full ARN or partial ARN (without the random suffix); undefined when there is none. */
  async find(secretId: string, scope: { accountId: string; region: string }): Promise<SecretRecord | undefined> {
    if (!secretId.startsWith('arn:')) return this.store.getSecret(scope.accountId, scope.region, secretId);
    const parsed = parseSecretArn(secretId);
    if (!parsed) return undefined;
    return (await this.store.getSecretByArn(secretId)) ?? (await this.store.getSecret(parsed.accountId, parsed.region, parsed.rest));
  }

  /** A secret that must exist (ResourceNotFoundException) and, unless `deleted` is allowed, not be scheduled for deletion. */
  async secret(secretId: string, ctx: RequestContext, options: { deleted?: boolean } = {}): Promise<SecretRecord> {
    const secret = await this.find(secretId, ctx);
    if (!secret) throw secretNotFound();
    if (secret.deletionDate !== null && !options.deleted) throw markedForDeletion();
    return secret;
  }

  /**
   * A secret a caller changes: a secret owned by a service (OwningService) is changed only through
   * that service (in-process calls), as AWS's InvalidRequestException says.
   */
  async changeable(secretId: string, ctx: RequestContext, options: { deleted?: boolean } = {}): Promise<SecretRecord> {
    const secret = await this.secret(secretId, ctx, options);
    if (secret.owningService !== null && ctx.userAgent !== 'atoll-internal') {
      throw invalidRequest(`You can't modify this secret because it's managed by ${secret.owningService}: use ${secret.owningService} to update it.`);
    }
    return secret;
  }

  /** The plain value of a version of a secret, as GetSecretValue answers it. */
  async readValue(secret: SecretRecord, by: { VersionId?: string; VersionStage?: string }): Promise<sm.GetSecretValueResult> {
    const version = by.VersionId !== undefined
      ? await this.store.getVersion(secret.arn, { versionId: by.VersionId })
      : await this.store.getVersion(secret.arn, { stage: by.VersionStage ?? 'AWSCURRENT' });
    if (!version || !version.value) throw valueNotFound({ versionId: by.VersionId, stage: by.VersionStage });
    if (by.VersionId !== undefined && by.VersionStage !== undefined && !version.stages.includes(by.VersionStage)) {
      throw invalidRequest('You provided a VersionStage that is not associated to the provided VersionId.');
    }
    const day = Math.floor(Date.now() / DAY) * DAY;
    if (version.lastAccessedAt !== day) await this.store.touchVersion(secret.arn, version.versionId, day);
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      ...openValue(this.cipher, secret.arn, version.versionId, version.value),
      VersionStages: version.stages,
      CreatedDate: new Date(version.createdAt),
    };
  }

  /**
   * Adds a version with labels. A version id already used answers success when it carries the same
   * value (a retry), and ResourceExistsException otherwise.
   */
  async addVersion(secret: SecretRecord, versionId: string, value: PlainValue | null, stages: readonly string[]): Promise<void> {
    const sealed = value ? sealValue(this.cipher, secret.arn, versionId, value) : null;
    const outcome = await this.store.putVersion(secret.arn, versionId, sealed, stages);
    if (outcome === 'missing') throw secretNotFound();
    if (outcome === 'exists') {
      const existing = await this.store.getVersion(secret.arn, { versionId });
      if (!existing?.value || !value || !sameValue(openValue(this.cipher, secret.arn, versionId, existing.value), value)) throw versionExists();
    }
  }

  // ---- secrets ----

  CreateSecret = async (input: sm.CreateSecretRequest, ctx: RequestContext): Promise<sm.CreateSecretResult> => {
    const internal = ctx.userAgent === 'atoll-internal';
    checkName(input.Name, internal);
    if (input.AddReplicaRegions?.length) throw invalidRequest('Replication to other Regions is not available in Atoll.');
    const value = valueOf(input, false);
    const tags = checkTags(input.Tags ?? [], internal);
    const now = Date.now();
    const versionId = input.ClientRequestToken ?? randomUUID();
    const existing = await this.store.getSecret(ctx.accountId, ctx.region, input.Name);
    if (existing) return this.#createdAgain(existing, versionId, value);
    const record: SecretRecord = {
      arn: `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${input.Name}-${suffix()}`,
      accountId: ctx.accountId,
      region: ctx.region,
      name: input.Name,
      description: input.Description ?? null,
      kmsKeyId: input.KmsKeyId ?? null,
      type: input.Type ?? null,
      tags,
      policy: null,
      owningService: internal && input.Name.includes('!') ? input.Name.slice(0, input.Name.indexOf('!')) : null,
      rotationLambdaArn: null,
      rotationRules: null,
      rotationEnabled: false,
      lastRotatedAt: null,
      nextRotationAt: null,
      lastChangedAt: now,
      lastAccessedAt: null,
      createdAt: now,
      deletedAt: null,
      deletionDate: null,
    };
    const created = await this.store.createSecret(record, value ? { versionId, value: sealValue(this.cipher, record.arn, versionId, value) } : undefined);
    if (!created) {
      const raced = await this.store.getSecret(ctx.accountId, ctx.region, input.Name);
      if (raced) return this.#createdAgain(raced, versionId, value);
      throw secretExists(input.Name);
    }
    return { ARN: record.arn, Name: record.name, ...(value ? { VersionId: versionId } : {}) };
  };

  /** CreateSecret for a name that exists: a retry (same token and value) succeeds; anything else is refused. */
  async #createdAgain(existing: SecretRecord, versionId: string, value: PlainValue | undefined): Promise<sm.CreateSecretResult> {
    if (existing.deletionDate !== null) {
      throw invalidRequest("You can't create this secret because a secret with this name is already scheduled for deletion.");
    }
    const version = value ? await this.store.getVersion(existing.arn, { versionId }) : undefined;
    if (version?.value && value && sameValue(openValue(this.cipher, existing.arn, versionId, version.value), value)) {
      return { ARN: existing.arn, Name: existing.name, VersionId: versionId };
    }
    throw secretExists(existing.name);
  }

  GetSecretValue = async (input: sm.GetSecretValueRequest, ctx: RequestContext): Promise<sm.GetSecretValueResult> => {
    const secret = await this.secret(input.SecretId, ctx);
    return this.readValue(secret, input);
  };

  DescribeSecret = async (input: sm.DescribeSecretRequest, ctx: RequestContext): Promise<sm.DescribeSecretResult> => {
    const secret = await this.secret(input.SecretId, ctx, { deleted: true });
    return { ...describe(secret), VersionIdsToStages: await this.store.versionStages(secret.arn) };
  };

  PutSecretValue = async (input: sm.PutSecretValueRequest, ctx: RequestContext): Promise<sm.PutSecretValueResult> => {
    const secret = await this.changeable(input.SecretId, ctx);
    const value = valueOf(input, true)!;
    const stages = input.VersionStages ?? ['AWSCURRENT'];
    const versionId = input.ClientRequestToken ?? randomUUID();
    await this.addVersion(secret, versionId, value, stages);
    const version = await this.store.getVersion(secret.arn, { versionId });
    return { ARN: secret.arn, Name: secret.name, VersionId: versionId, VersionStages: version?.stages ?? [...stages] };
  };

  UpdateSecret = async (input: sm.UpdateSecretRequest, ctx: RequestContext): Promise<sm.UpdateSecretResult> => {
    const secret = await this.changeable(input.SecretId, ctx);
    const value = valueOf(input, false);
    const updated = await this.store.updateSecret(secret, {
      ...(input.Description !== undefined ? { description: input.Description } : {}),
      ...(input.KmsKeyId !== undefined ? { kmsKeyId: input.KmsKeyId } : {}),
      ...(input.Type !== undefined ? { type: input.Type } : {}),
      lastChangedAt: Date.now(),
    });
    if (!updated) throw secretNotFound();
    if (!value) return { ARN: secret.arn, Name: secret.name };
    const versionId = input.ClientRequestToken ?? randomUUID();
    await this.addVersion(secret, versionId, value, ['AWSCURRENT']);
    return { ARN: secret.arn, Name: secret.name, VersionId: versionId };
  };

  UpdateSecretVersionStage = async (input: sm.UpdateSecretVersionStageRequest, ctx: RequestContext): Promise<sm.UpdateSecretVersionStageResult> => {
    const secret = await this.changeable(input.SecretId, ctx);
    const holder = await this.store.getVersion(secret.arn, { stage: input.VersionStage });
    if (input.MoveToVersionId !== undefined && !(await this.store.getVersion(secret.arn, { versionId: input.MoveToVersionId }))) {
      throw invalidParameter(`The version ${input.MoveToVersionId} doesn't exist for the secret.`);
    }
    if (input.RemoveFromVersionId !== undefined && holder?.versionId !== input.RemoveFromVersionId) {
      throw invalidParameter(`The staging label ${input.VersionStage} is currently not attached to version ${input.RemoveFromVersionId}.`);
    }
    if (input.MoveToVersionId === undefined && input.RemoveFromVersionId === undefined) {
      throw invalidParameter('You must specify either MoveToVersionId or RemoveFromVersionId.');
    }
    if (holder && input.MoveToVersionId !== undefined && holder.versionId !== input.MoveToVersionId && input.RemoveFromVersionId === undefined) {
      throw invalidParameter(
        `The parameter RemoveFromVersionId can't be empty. Staging label ${input.VersionStage} is currently attached to version ${holder.versionId}, so you must explicitly reference that version in RemoveFromVersionId.`,
      );
    }
    if (input.VersionStage === 'AWSCURRENT' && input.MoveToVersionId === undefined) {
      throw invalidParameter('You can only move staging label AWSCURRENT to a different secret version. It can’t be completely removed.');
    }
    const done = await this.store.updateStage(secret.arn, input.VersionStage, { to: input.MoveToVersionId, from: input.RemoveFromVersionId });
    if (!done) throw invalidParameter(`The staging label ${input.VersionStage} is currently not attached to version ${input.RemoveFromVersionId}.`);
    return { ARN: secret.arn, Name: secret.name };
  };

  ListSecretVersionIds = async (input: sm.ListSecretVersionIdsRequest, ctx: RequestContext): Promise<sm.ListSecretVersionIdsResult> => {
    const secret = await this.secret(input.SecretId, ctx, { deleted: true });
    const versions = (await this.store.listVersions(secret.arn)).filter((v) => input.IncludeDeprecated || v.stages.length > 0);
    const { items, nextToken } = page(versions, input.NextToken, input.MaxResults);
    return { ARN: secret.arn, Name: secret.name, Versions: items.map((v) => versionEntry(v, secret)), ...(nextToken ? { NextToken: nextToken } : {}) };
  };

  DeleteSecret = async (input: sm.DeleteSecretRequest, ctx: RequestContext): Promise<sm.DeleteSecretResult> => {
    if (input.ForceDeleteWithoutRecovery && input.RecoveryWindowInDays !== undefined) {
      throw invalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
    }
    const days = input.RecoveryWindowInDays ?? 30;
    if (!input.ForceDeleteWithoutRecovery && (days < 7 || days > 30)) {
      throw invalidParameter('The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
    }
    const secret = await this.changeable(input.SecretId, ctx, { deleted: true });
    const now = Date.now();
    if (input.ForceDeleteWithoutRecovery) {
      await this.store.purgeSecret(secret.arn);
      return { ARN: secret.arn, Name: secret.name, DeletionDate: new Date(now) };
    }
    if (secret.deletionDate !== null) throw markedForDeletion();
    const deletionDate = now + days * DAY;
    await this.store.updateSecret(secret, { deletedAt: now, deletionDate });
    return { ARN: secret.arn, Name: secret.name, DeletionDate: new Date(deletionDate) };
  };

  RestoreSecret = async (input: sm.RestoreSecretRequest, ctx: RequestContext): Promise<sm.RestoreSecretResult> => {
    const secret = await this.secret(input.SecretId, ctx, { deleted: true });
    if (secret.deletionDate !== null) await this.store.updateSecret(secret, { deletedAt: null, deletionDate: null });
    return { ARN: secret.arn, Name: secret.name };
  };

  // ---- tags ----

  TagResource = async (input: sm.TagResourceRequest, ctx: RequestContext) => {
    const secret = await this.secret(input.SecretId, ctx);
    const merged = new Map(secret.tags.map((t) => [t.Key, t.Value]));
    for (const t of checkTags(input.Tags, ctx.userAgent === 'atoll-internal')) merged.set(t.Key, t.Value);
    if (merged.size > 50) throw invalidParameter('The number of tags exceeds the limit of 50 tags per secret.');
    await this.store.updateSecret(secret, { tags: [...merged].map(([Key, Value]) => ({ Key, Value })) });
    return {};
  };

  UntagResource = async (input: sm.UntagResourceRequest, ctx: RequestContext) => {
    const secret = await this.secret(input.SecretId, ctx);
    await this.store.updateSecret(secret, { tags: secret.tags.filter((t) => !input.TagKeys.includes(t.Key)) });
    return {};
  };

  // ---- resource policies ----

  PutResourcePolicy = async (input: sm.PutResourcePolicyRequest, ctx: RequestContext): Promise<sm.PutResourcePolicyResult> => {
    const secret = await this.secret(input.SecretId, ctx);
    checkPolicyDocument(input.ResourcePolicy, input.BlockPublicPolicy ?? false);
    await this.store.updateSecret(secret, { policy: input.ResourcePolicy });
    return { ARN: secret.arn, Name: secret.name };
  };

  GetResourcePolicy = async (input: sm.GetResourcePolicyRequest, ctx: RequestContext): Promise<sm.GetResourcePolicyResult> => {
    const secret = await this.secret(input.SecretId, ctx, { deleted: true });
    return { ARN: secret.arn, Name: secret.name, ...(secret.policy !== null ? { ResourcePolicy: secret.policy } : {}) };
  };

  DeleteResourcePolicy = async (input: sm.DeleteResourcePolicyRequest, ctx: RequestContext): Promise<sm.DeleteResourcePolicyResult> => {
    const secret = await this.secret(input.SecretId, ctx);
    await this.store.updateSecret(secret, { policy: null });
    return { ARN: secret.arn, Name: secret.name };
  };

  ValidateResourcePolicy = async (input: sm.ValidateResourcePolicyRequest, ctx: RequestContext): Promise<sm.ValidateResourcePolicyResult> => {
    if (input.SecretId !== undefined) await this.secret(input.SecretId, ctx);
    const errors = validatePolicy(input.ResourcePolicy);
    return { PolicyValidationPassed: errors.length === 0, ValidationErrors: errors };
  };
}

/** DescribeSecret's fields of a secret (ListSecrets' entries share them). */
export function describe(secret: SecretRecord): sm.DescribeSecretResult {
  return {
    ARN: secret.arn,
    Name: secret.name,
    ...(secret.type !== null ? { Type: secret.type } : {}),
    ...(secret.description !== null ? { Description: secret.description } : {}),
    ...(secret.kmsKeyId !== null ? { KmsKeyId: secret.kmsKeyId } : {}),
    ...(secret.rotationEnabled ? { RotationEnabled: true } : {}),
    ...(secret.rotationLambdaArn !== null ? { RotationLambdaARN: secret.rotationLambdaArn } : {}),
    ...(secret.rotationRules !== null ? { RotationRules: secret.rotationRules } : {}),
    ...(secret.lastRotatedAt !== null ? { LastRotatedDate: new Date(secret.lastRotatedAt) } : {}),
    LastChangedDate: new Date(secret.lastChangedAt),
    ...(secret.lastAccessedAt !== null ? { LastAccessedDate: new Date(secret.lastAccessedAt) } : {}),
    ...(secret.deletedAt !== null ? { DeletedDate: new Date(secret.deletedAt) } : {}),
    ...(secret.rotationEnabled && secret.nextRotationAt !== null ? { NextRotationDate: new Date(secret.nextRotationAt) } : {}),
    ...(secret.tags.length > 0 ? { Tags: secret.tags } : {}),
    ...(secret.owningService !== null ? { OwningService: secret.owningService } : {}),
    CreatedDate: new Date(secret.createdAt),
  };
}

function versionEntry(v: VersionRecord, secret: SecretRecord): sm.SecretVersionsListEntry {
  return {
    VersionId: v.versionId,
    VersionStages: v.stages,
    ...(v.lastAccessedAt !== null ? { LastAccessedDate: new Date(v.lastAccessedAt) } : {}),
    CreatedDate: new Date(v.createdAt),
    KmsKeyIds: [secret.kmsKeyId ?? 'DefaultEncryptionKey'],
  };
}

/** Offset paging with opaque tokens; a token that does not decode answers InvalidNextTokenException. */
export function page<T>(all: readonly T[], token: string | undefined, maxResults: number | undefined): { items: T[]; nextToken?: string } {
  let start = 0;
  if (token !== undefined) {
    const decoded = /^o:(\d+)$/.exec(Buffer.from(token, 'base64').toString());
    if (!decoded) throw invalidNextTokenError();
    start = Number(decoded[1]);
  }
  const size = maxResults ?? 100;
  const items = all.slice(start, start + size);
  const next = start + size < all.length ? Buffer.from(`o:${start + size}`).toString('base64') : undefined;
  return next ? { items, nextToken: next } : { items };
}

function suffix(): string {
  const bytes = randomBytes(6);
  return [...bytes].map((b) => SUFFIX_ALPHABET[b % SUFFIX_ALPHABET.length]).join('');
}

function checkName(name: string, internal: boolean): void {
  const allowed = internal ? /^[A-Za-z0-9/_+=.@!-]+$/ : /^[A-Za-z0-9/_+=.@-]+$/;
  if (!allowed.test(name)) {
    throw invalidParameter('Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!');
  }
}

function checkTags(tags: readonly sm.Tag[], internal: boolean): SecretTag[] {
  const out: SecretTag[] = [];
  for (const t of tags) {
    if (t.Key === undefined || t.Value === undefined) throw invalidParameter('A tag needs a Key and a Value.');
    if (!internal && t.Key.toLowerCase().startsWith('aws:')) throw invalidParameter('Invalid tag key. Tag keys can not start with aws:');
    out.push({ Key: t.Key, Value: t.Value });
  }
  if (out.length > 50) throw invalidParameter('The number of tags exceeds the limit of 50 tags per secret.');
  return out;
}
