// Secrets Manager's state behind the asynchronous store contract (SQLite or PostgreSQL): secrets
// (metadata, tags, resource policy, rotation settings, scheduled deletion), their versions (values
// sealed by the provider: this module never sees plain text) and staging labels, one version per
// label per secret. Moving AWSCURRENT puts AWSPREVIOUS on the version that held it, in the same
// transaction, as AWS does.
//
// Known limitations: secrets are cached per node and dropped on a `secretsmanager.secret` signal (a
// moment of staleness across nodes); listings are read whole per account and region and filtered in
// memory. Versions without a label beyond the 100 newest are removed when a version is added.
import type { SqlExecutor, SqlTransaction, StorageBackend, StoreDatabase, StoreMigration } from '@atoll/core';
import { isUniqueViolation } from '@atoll/storage';

const MIGRATIONS: StoreMigration[] = [
  {
    version: 1,
    name: 'secrets, versions, staging labels',
    up: `
      CREATE TABLE secrets (
        arn TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT,
        kms_key_id TEXT,
        secret_type TEXT,
        tags TEXT NOT NULL,
        policy TEXT,
        owning_service TEXT,
        rotation_lambda_arn TEXT,
        rotation_rules TEXT,
        rotation_enabled INTEGER NOT NULL,
        last_rotated_at BIGINT,
        next_rotation_at BIGINT,
        last_changed_at BIGINT NOT NULL,
        last_accessed_at BIGINT,
        created_at BIGINT NOT NULL,
        deleted_at BIGINT,
        deletion_date BIGINT,
        UNIQUE (account_id, region, name)
      );
      CREATE INDEX secrets_deletion ON secrets (deletion_date);
      CREATE INDEX secrets_rotation ON secrets (next_rotation_at);
      CREATE TABLE secret_versions (
        secret_arn TEXT NOT NULL,
        version_id TEXT NOT NULL,
        sealed TEXT,
        kind TEXT,
        created_at BIGINT NOT NULL,
        last_accessed_at BIGINT,
        PRIMARY KEY (secret_arn, version_id)
      );
      CREATE TABLE secret_stages (
        secret_arn TEXT NOT NULL,
        stage TEXT NOT NULL,
        version_id TEXT NOT NULL,
        PRIMARY KEY (secret_arn, stage)
      );
      CREATE INDEX secret_stages_version ON secret_stages (secret_arn, version_id);
    `,
  },
];

export interface SecretTag {
  Key: string;
  Value: string;
}

export interface RotationRules {
  AutomaticallyAfterDays?: number;
  Duration?: string;
  ScheduleExpression?: string;
}

export interface SecretRecord {
  arn: string;
  accountId: string;
  region: string;
  name: string;
  description: string | null;
  kmsKeyId: string | null;
  type: string | null;
  tags: SecretTag[];
  policy: string | null;
  owningService: string | null;
  rotationLambdaArn: string | null;
  rotationRules: RotationRules | null;
  rotationEnabled: boolean;
  lastRotatedAt: number | null;
  nextRotationAt: number | null;
  lastChangedAt: number;
  lastAccessedAt: number | null;
  createdAt: number;
  /** When DeleteSecret was called (DescribeSecret's DeletedDate); null when not scheduled for deletion. */
  deletedAt: number | null;
  /** When the scheduled deletion removes the secret. */
  deletionDate: number | null;
}

export type SecretFields = Partial<Omit<SecretRecord, 'arn' | 'accountId' | 'region' | 'name' | 'createdAt'>>;

/** A value as the store keeps it: sealed text and whether it was a SecretString or a SecretBinary. */
export interface SealedValue {
  sealed: string;
  kind: 'string' | 'binary';
}

export interface VersionRecord {
  versionId: string;
  /** Null for a version that holds only labels (the AWSPENDING placeholder RotateSecret makes). */
  value: SealedValue | null;
  createdAt: number;
  lastAccessedAt: number | null;
  stages: string[];
}

export type PutVersionOutcome = 'created' | 'filled' | 'exists' | 'missing';

interface SecretRow {
  arn: string;
  account_id: string;
  region: string;
  name: string;
  description: string | null;
  kms_key_id: string | null;
  secret_type: string | null;
  tags: string;
  policy: string | null;
  owning_service: string | null;
  rotation_lambda_arn: string | null;
  rotation_rules: string | null;
  rotation_enabled: number;
  last_rotated_at: number | null;
  next_rotation_at: number | null;
  last_changed_at: number;
  last_accessed_at: number | null;
  created_at: number;
  deleted_at: number | null;
  deletion_date: number | null;
}

interface VersionRow {
  version_id: string;
  sealed: string | null;
  kind: string | null;
  created_at: number;
  last_accessed_at: number | null;
}

const SECRET_CHANNEL = 'secretsmanager.secret';
const MAX_UNLABELLED_VERSIONS = 100;

const num = (v: number | null): number | null => (v === null ? null : Number(v));

function toSecret(row: SecretRow): SecretRecord {
  return {
    arn: row.arn,
    accountId: row.account_id,
    region: row.region,
    name: row.name,
    description: row.description,
    kmsKeyId: row.kms_key_id,
    type: row.secret_type,
    tags: JSON.parse(row.tags),
    policy: row.policy,
    owningService: row.owning_service,
    rotationLambdaArn: row.rotation_lambda_arn,
    rotationRules: row.rotation_rules ? JSON.parse(row.rotation_rules) : null,
    rotationEnabled: Boolean(row.rotation_enabled),
    lastRotatedAt: num(row.last_rotated_at),
    nextRotationAt: num(row.next_rotation_at),
    lastChangedAt: Number(row.last_changed_at),
    lastAccessedAt: num(row.last_accessed_at),
    createdAt: Number(row.created_at),
    deletedAt: num(row.deleted_at),
    deletionDate: num(row.deletion_date),
  };
}

function toVersion(row: VersionRow, stages: string[]): VersionRecord {
  return {
    versionId: row.version_id,
    value: row.sealed !== null ? { sealed: row.sealed, kind: row.kind === 'binary' ? 'binary' : 'string' } : null,
    createdAt: Number(row.created_at),
    lastAccessedAt: num(row.last_accessed_at),
    stages,
  };
}

/** Column and value of each settable field. */
const COLUMNS: Record<keyof SecretFields, [string, (v: never) => string | number | null]> = {
  description: ['description', (v: string | null) => v],
  kmsKeyId: ['kms_key_id', (v: string | null) => v],
  type: ['secret_type', (v: string | null) => v],
  tags: ['tags', (v: SecretTag[]) => JSON.stringify(v)],
  policy: ['policy', (v: string | null) => v],
  owningService: ['owning_service', (v: string | null) => v],
  rotationLambdaArn: ['rotation_lambda_arn', (v: string | null) => v],
  rotationRules: ['rotation_rules', (v: RotationRules | null) => (v ? JSON.stringify(v) : null)],
  rotationEnabled: ['rotation_enabled', (v: boolean) => (v ? 1 : 0)],
  lastRotatedAt: ['last_rotated_at', (v: number | null) => v],
  nextRotationAt: ['next_rotation_at', (v: number | null) => v],
  lastChangedAt: ['last_changed_at', (v: number) => v],
  lastAccessedAt: ['last_accessed_at', (v: number | null) => v],
  deletedAt: ['deleted_at', (v: number | null) => v],
  deletionDate: ['deletion_date', (v: number | null) => v],
};

const nameKey = (accountId: string, region: string, name: string) => `${accountId} ${region} ${name}`;

export class SecretsStore {
  readonly db: StoreDatabase;
  /** Secrets by ARN, and ARNs by account, region and name: cached per node. */
  readonly #byArn = new Map<string, SecretRecord>();
  readonly #arnByName = new Map<string, string>();
  readonly #unlisten: () => void;

  private constructor(db: StoreDatabase) {
    this.db = db;
    this.#unlisten = db.signals.listen(SECRET_CHANNEL, (arn) => this.#forget(arn));
  }

  /** Opens the database (`secretsmanager/secretsmanager.db` on SQLite, schema `secretsmanager` on PostgreSQL). */
  static async open(storage: StorageBackend): Promise<SecretsStore> {
    return new SecretsStore(await storage.open('secretsmanager', MIGRATIONS));
  }

  async close(): Promise<void> {
    this.#unlisten();
    await this.db.close();
  }

  #forget(arn: string): void {
    const cached = this.#byArn.get(arn);
    this.#byArn.delete(arn);
    if (cached) this.#arnByName.delete(nameKey(cached.accountId, cached.region, cached.name));
  }

  #remember(record: SecretRecord): SecretRecord {
    this.#byArn.set(record.arn, record);
    this.#arnByName.set(nameKey(record.accountId, record.region, record.name), record.arn);
    return record;
  }

  // ---- secrets ----

  /**
   * Creates a secret, with its first version labelled AWSCURRENT when `first` is given; undefined when
   * the name is taken in that account and region (a secret scheduled for deletion keeps its name).
   */
  async createSecret(record: SecretRecord, first?: { versionId: string; value: SealedValue }): Promise<SecretRecord | undefined> {
    try {
      await this.db.transaction(async (tx) => {
        await tx.run(
          `INSERT INTO secrets (arn, account_id, region, name, description, kms_key_id, secret_type, tags, policy, owning_service,
             rotation_lambda_arn, rotation_rules, rotation_enabled, last_rotated_at, next_rotation_at, last_changed_at,
             last_accessed_at, created_at, deleted_at, deletion_date)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            record.arn, record.accountId, record.region, record.name, record.description, record.kmsKeyId, record.type,
            JSON.stringify(record.tags), record.policy, record.owningService, record.rotationLambdaArn,
            record.rotationRules ? JSON.stringify(record.rotationRules) : null, record.rotationEnabled ? 1 : 0,
            record.lastRotatedAt, record.nextRotationAt, record.lastChangedAt, record.lastAccessedAt, record.createdAt,
            record.deletedAt, record.deletionDate,
          ],
        );
        if (first) {
          await tx.run('INSERT INTO secret_versions (secret_arn, version_id, sealed, kind, created_at) VALUES (?, ?, ?, ?, ?)', [
            record.arn, first.versionId, first.value.sealed, first.value.kind, record.createdAt,
          ]);
          await tx.run('INSERT INTO secret_stages (secret_arn, stage, version_id) VALUES (?, ?, ?)', [record.arn, 'AWSCURRENT', first.versionId]);
        }
        tx.notify(SECRET_CHANNEL, record.arn);
      });
    } catch (error) {
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
    return record;
  }

  /** A secret by name (cached per node; dropped on every node when it changes). */
  async getSecret(accountId: string, region: string, name: string): Promise<SecretRecord | undefined> {
    const arn = this.#arnByName.get(nameKey(accountId, region, name));
    const cached = arn ? this.#byArn.get(arn) : undefined;
    if (cached) return cached;
    const row = await this.db.get<SecretRow>('SELECT * FROM secrets WHERE account_id = ? AND region = ? AND name = ?', [accountId, region, name]);
    return row ? this.#remember(toSecret(row)) : undefined;
  }

  /** A secret by its full ARN (cached as getSecret). */
  async getSecretByArn(arn: string): Promise<SecretRecord | undefined> {
    const cached = this.#byArn.get(arn);
    if (cached) return cached;
    const row = await this.db.get<SecretRow>('SELECT * FROM secrets WHERE arn = ?', [arn]);
    return row ? this.#remember(toSecret(row)) : undefined;
  }

  /** Every secret of an account and region, by name. */
  async listSecrets(accountId: string, region: string): Promise<SecretRecord[]> {
    const rows = await this.db.all<SecretRow>('SELECT * FROM secrets WHERE account_id = ? AND region = ? ORDER BY name', [accountId, region]);
    return rows.map(toSecret);
  }

  /** Changes some fields of a secret; answers the record as it now is, or undefined when it is gone. */
  async updateSecret(secret: SecretRecord, fields: SecretFields): Promise<SecretRecord | undefined> {
    const sets: string[] = [];
    const values: (string | number | null)[] = [];
    for (const [field, value] of Object.entries(fields) as [keyof SecretFields, never][]) {
      if (value === undefined) continue;
      const [column, encode] = COLUMNS[field];
      sets.push(`${column} = ?`);
      values.push(encode(value));
    }
    if (sets.length === 0) return secret;
    const changed = await this.db.transaction(async (tx) => {
      const { changes } = await tx.run(`UPDATE secrets SET ${sets.join(', ')} WHERE arn = ?`, [...values, secret.arn]);
      tx.notify(SECRET_CHANNEL, secret.arn);
      return changes > 0;
    });
    this.#forget(secret.arn);
    return changed ? { ...secret, ...fields } as SecretRecord : undefined;
  }

  /** Removes a secret with its versions and labels (a forced or scheduled deletion). */
  async purgeSecret(arn: string): Promise<boolean> {
    const removed = await this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM secret_stages WHERE secret_arn = ?', [arn]);
      await tx.run('DELETE FROM secret_versions WHERE secret_arn = ?', [arn]);
      const { changes } = await tx.run('DELETE FROM secrets WHERE arn = ?', [arn]);
      tx.notify(SECRET_CHANNEL, arn);
      return changes > 0;
    });
    this.#forget(arn);
    return removed;
  }

  /** ARNs of secrets whose scheduled deletion is due. */
  async dueForPurge(now: number, limit = 500): Promise<string[]> {
    const rows = await this.db.all<{ arn: string }>('SELECT arn FROM secrets WHERE deletion_date IS NOT NULL AND deletion_date <= ? ORDER BY deletion_date LIMIT ?', [now, limit]);
    return rows.map((r) => r.arn);
  }

  /** Secrets whose scheduled rotation is due (rotation enabled, not scheduled for deletion). */
  async dueForRotation(now: number, limit = 100): Promise<SecretRecord[]> {
    const rows = await this.db.all<SecretRow>(
      'SELECT * FROM secrets WHERE rotation_enabled = 1 AND deletion_date IS NULL AND next_rotation_at IS NOT NULL AND next_rotation_at <= ? ORDER BY next_rotation_at LIMIT ?',
      [now, limit],
    );
    return rows.map(toSecret);
  }

  // ---- versions and labels ----

  async #stagesOf(db: SqlExecutor, arn: string, versionId: string): Promise<string[]> {
    const rows = await db.all<{ stage: string }>('SELECT stage FROM secret_stages WHERE secret_arn = ? AND version_id = ? ORDER BY stage', [arn, versionId]);
    return rows.map((r) => r.stage);
  }

  /** A version by id, or the version holding a label. */
  async getVersion(arn: string, by: { versionId: string } | { stage: string }): Promise<VersionRecord | undefined> {
    const row =
      'versionId' in by
        ? await this.db.get<VersionRow>('SELECT * FROM secret_versions WHERE secret_arn = ? AND version_id = ?', [arn, by.versionId])
        : await this.db.get<VersionRow>(
            'SELECT v.* FROM secret_stages s JOIN secret_versions v ON v.secret_arn = s.secret_arn AND v.version_id = s.version_id WHERE s.secret_arn = ? AND s.stage = ?',
            [arn, by.stage],
          );
    return row ? toVersion(row, await this.#stagesOf(this.db, arn, row.version_id)) : undefined;
  }

  /** Every version of a secret with its labels, newest first. */
  async listVersions(arn: string): Promise<VersionRecord[]> {
    const rows = await this.db.all<VersionRow>('SELECT * FROM secret_versions WHERE secret_arn = ? ORDER BY created_at DESC, version_id', [arn]);
    const stages = await this.db.all<{ version_id: string; stage: string }>('SELECT version_id, stage FROM secret_stages WHERE secret_arn = ? ORDER BY stage', [arn]);
    const byVersion = new Map<string, string[]>();
    for (const s of stages) byVersion.set(s.version_id, [...(byVersion.get(s.version_id) ?? []), s.stage]);
    return rows.map((r) => toVersion(r, byVersion.get(r.version_id) ?? []));
  }

  /** Labels of every version (DescribeSecret's VersionIdsToStages): versions without a label are left out. */
  async versionStages(arn: string): Promise<Record<string, string[]>> {
    const stages = await this.db.all<{ version_id: string; stage: string }>('SELECT version_id, stage FROM secret_stages WHERE secret_arn = ? ORDER BY stage', [arn]);
    const out: Record<string, string[]> = {};
    for (const s of stages) (out[s.version_id] ??= []).push(s.stage);
    return out;
  }

  /**
   * Adds a version with labels (moving each label from the version that held it). `value` null makes
   * a placeholder holding only labels. An existing version id answers 'exists' (the caller compares
   * values), except a placeholder, which takes the value ('filled'). 'missing' when the secret is gone.
   */
  async putVersion(arn: string, versionId: string, value: SealedValue | null, stages: readonly string[], now = Date.now()): Promise<PutVersionOutcome> {
    const outcome = await this.db.transaction(async (tx) => {
      const secret = await tx.get(`SELECT arn FROM secrets WHERE arn = ?${tx.dialect.forUpdate}`, [arn]);
      if (!secret) return 'missing' as const;
      const existing = await tx.get<{ sealed: string | null }>('SELECT sealed FROM secret_versions WHERE secret_arn = ? AND version_id = ?', [arn, versionId]);
      let result: PutVersionOutcome = 'created';
      if (existing) {
        if (existing.sealed !== null || value === null) return 'exists' as const;
        await tx.run('UPDATE secret_versions SET sealed = ?, kind = ? WHERE secret_arn = ? AND version_id = ?', [value.sealed, value.kind, arn, versionId]);
        result = 'filled';
      } else {
        await tx.run('INSERT INTO secret_versions (secret_arn, version_id, sealed, kind, created_at) VALUES (?, ?, ?, ?, ?)', [
          arn, versionId, value?.sealed ?? null, value?.kind ?? null, now,
        ]);
      }
      for (const stage of stages) await moveStage(tx, arn, stage, versionId);
      if (value !== null) await tx.run('UPDATE secrets SET last_changed_at = ? WHERE arn = ?', [now, arn]);
      await pruneUnlabelled(tx, arn);
      tx.notify(SECRET_CHANNEL, arn);
      return result;
    });
    this.#forget(arn);
    return outcome;
  }

  /**
   * Moves a label to a version (`to`), or removes it from one (`from`, with `to` absent). Answers false
   * when the label is not where `from` says (the caller checked; this guards against a race).
   */
  async updateStage(arn: string, stage: string, change: { to?: string; from?: string }, now = Date.now()): Promise<boolean> {
    const done = await this.db.transaction(async (tx) => {
      const holder = await tx.get<{ version_id: string }>(`SELECT version_id FROM secret_stages WHERE secret_arn = ? AND stage = ?${tx.dialect.forUpdate}`, [arn, stage]);
      if (change.from !== undefined && holder?.version_id !== change.from) return false;
      if (change.to !== undefined) await moveStage(tx, arn, stage, change.to);
      else await tx.run('DELETE FROM secret_stages WHERE secret_arn = ? AND stage = ?', [arn, stage]);
      await tx.run('UPDATE secrets SET last_changed_at = ? WHERE arn = ?', [now, arn]);
      tx.notify(SECRET_CHANNEL, arn);
      return true;
    });
    this.#forget(arn);
    return done;
  }

  /** Records that a version was read today (LastAccessedDate: AWS keeps the day only). */
  async touchVersion(arn: string, versionId: string, day: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run('UPDATE secret_versions SET last_accessed_at = ? WHERE secret_arn = ? AND version_id = ?', [day, arn, versionId]);
      await tx.run('UPDATE secrets SET last_accessed_at = ? WHERE arn = ?', [day, arn]);
      tx.notify(SECRET_CHANNEL, arn);
    }, { durable: false });
    this.#forget(arn);
  }
}

/** Puts `stage` on `versionId`; moving AWSCURRENT labels the version that held it AWSPREVIOUS. */
async function moveStage(tx: SqlTransaction, arn: string, stage: string, versionId: string): Promise<void> {
  const holder = await tx.get<{ version_id: string }>('SELECT version_id FROM secret_stages WHERE secret_arn = ? AND stage = ?', [arn, stage]);
  if (holder?.version_id === versionId) return;
  if (holder) await tx.run('DELETE FROM secret_stages WHERE secret_arn = ? AND stage = ?', [arn, stage]);
  if (stage === 'AWSCURRENT' && holder) {
    await tx.run('DELETE FROM secret_stages WHERE secret_arn = ? AND stage = ?', [arn, 'AWSPREVIOUS']);
    await tx.run('INSERT INTO secret_stages (secret_arn, stage, version_id) VALUES (?, ?, ?)', [arn, 'AWSPREVIOUS', holder.version_id]);
  }
  await tx.run('INSERT INTO secret_stages (secret_arn, stage, version_id) VALUES (?, ?, ?)', [arn, stage, versionId]);
}

/** Removes the oldest versions without a label beyond MAX_UNLABELLED_VERSIONS. */
async function pruneUnlabelled(tx: SqlTransaction, arn: string): Promise<void> {
  const rows = await tx.all<{ version_id: string }>(
    `SELECT v.version_id FROM secret_versions v
     WHERE v.secret_arn = ? AND NOT EXISTS (SELECT 1 FROM secret_stages s WHERE s.secret_arn = v.secret_arn AND s.version_id = v.version_id)
     ORDER BY v.created_at DESC, v.version_id`,
    [arn],
  );
  for (const row of rows.slice(MAX_UNLABELLED_VERSIONS)) {
    await tx.run('DELETE FROM secret_versions WHERE secret_arn = ? AND version_id = ?', [arn, row.version_id]);
  }
}
