// Table definitions: CreateTable validation with DynamoDB's messages, the stored table metadata,
// and the TableDescription that DescribeTable returns.
import { ValidationError } from './attribute-value.js';

export type KeyType = 'S' | 'N' | 'B';

export interface KeySchemaElement {
  AttributeName: string;
  KeyType: 'HASH' | 'RANGE';
}
export interface AttributeDefinition {
  AttributeName: string;
  AttributeType: KeyType;
}
export interface Projection {
  ProjectionType?: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  NonKeyAttributes?: string[];
}
export interface Throughput {
  ReadCapacityUnits: number;
  WriteCapacityUnits: number;
}

export interface IndexInfo {
  name: string;
  kind: 'GSI' | 'LSI';
  keySchema: KeySchemaElement[];
  hashKey: string;
  rangeKey?: string;
  projection: Projection;
  throughput?: Throughput;
  status: 'CREATING' | 'ACTIVE' | 'DELETING';
  backfilling?: boolean;
}

export interface TableInfo {
  id: number;
  name: string;
  accountId: string;
  region: string;
  arn: string;
  tableId: string;
  keySchema: KeySchemaElement[];
  attributeDefinitions: AttributeDefinition[];
  hashKey: string;
  rangeKey?: string;
  billingMode: 'PROVISIONED' | 'PAY_PER_REQUEST';
  throughput: Throughput;
  createdAt: number;
  indexes: IndexInfo[];
  stream?: { enabled: boolean; viewType: string; arn: string; label: string };
  ttl?: { attribute: string; enabled: boolean };
  tags: Record<string, string>;
  deletionProtection: boolean;
  tableClass?: string;
  /** Point-in-time recovery: on since `since` (ms), keeping `days` of write history. */
  pitr?: { enabled: boolean; since: number; days: number };
  /** Resource-based policies of the table and of its stream (JSON text and revision id). */
  policy?: StoredPolicy;
  streamPolicy?: StoredPolicy;
  /** Contributor insights by index name ('' is the table). */
  insights?: Record<string, { enabled: boolean; at: number; mode: string }>;
  /** Set while the table is being restored (CREATING): what to restore from. */
  restoring?: RestoreJob;
  /** Set while an import from S3 fills the table (CREATING): the import's ARN. */
  importing?: string;
  /** How the table was restored (DescribeTable's RestoreSummary). */
  restoreSummary?: { sourceBackupArn?: string; sourceTableArn?: string; at: number };
}

export interface StoredPolicy {
  text: string;
  revisionId: string;
}

/** A restore in progress: from a backup, or from a table's state at a time (ms). */
export interface RestoreJob {
  backupArn?: string;
  sourceTableId?: number;
  at?: number;
  startedAt: number;
}

export function attrType(table: TableInfo, name: string): KeyType {
  return table.attributeDefinitions.find((d) => d.AttributeName === name)!.AttributeType;
}

/** An index's partition key attributes, in key schema order (more than one: a multi-attribute GSI key). */
export function hashKeysOf(index: IndexInfo): string[] {
  return index.keySchema.filter((k) => k.KeyType === 'HASH').map((k) => k.AttributeName);
}

/** An index's sort key attributes, in key schema order (none, one, or up to four on a GSI). */
export function rangeKeysOf(index: IndexInfo): string[] {
  return index.keySchema.filter((k) => k.KeyType === 'RANGE').map((k) => k.AttributeName);
}

/** Every key attribute of an index, partition attributes first. */
export function indexKeyNames(index: IndexInfo): string[] {
  return index.keySchema.map((k) => k.AttributeName);
}

/** Every attribute that is a key of the table or of one of its indexes. */
export function keyAttributes(table: TableInfo): string[] {
  const names = new Set([table.hashKey, ...(table.rangeKey ? [table.rangeKey] : [])]);
  for (const index of table.indexes) for (const name of indexKeyNames(index)) names.add(name);
  return [...names];
}

const fail = (message: string): never => {
  throw new ValidationError(message);
};

function checkKeySchema(keySchema: KeySchemaElement[], defs: string[]): void {
  const keys = keySchema.map((k) => k.AttributeName);
  if (keys.some((k) => !defs.includes(k))) {
    fail(`One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [${keys.join(', ')}], AttributeDefinitions: [${defs.join(', ')}]`);
  }
  if (keys.length === 2 && keys[0] === keys[1]) fail('Both the Hash Key and the Range Key element in the KeySchema have the same name');
  if (keySchema[0]!.KeyType !== 'HASH') fail('Invalid KeySchema: The first KeySchemaElement is not a HASH key type');
  if (keySchema[1] && keySchema[1].KeyType !== 'RANGE') fail('Invalid KeySchema: The second KeySchemaElement is not a RANGE key type');
}

function checkProjection(projection: Projection | undefined): void {
  const type = projection?.ProjectionType;
  if (type === undefined) fail('One or more parameter values were invalid: Unknown ProjectionType: null');
  if (projection!.NonKeyAttributes && type !== 'INCLUDE') {
    fail(`One or more parameter values were invalid: ProjectionType is ${type}, but NonKeyAttributes is specified`);
  }
}

export interface CreateTableInput {
  TableName: string;
  AttributeDefinitions: AttributeDefinition[];
  KeySchema: KeySchemaElement[];
  BillingMode?: 'PROVISIONED' | 'PAY_PER_REQUEST';
  ProvisionedThroughput?: Throughput;
  LocalSecondaryIndexes?: { IndexName: string; KeySchema: KeySchemaElement[]; Projection: Projection }[];
  GlobalSecondaryIndexes?: { IndexName: string; KeySchema: KeySchemaElement[]; Projection: Projection; ProvisionedThroughput?: Throughput }[];
  StreamSpecification?: { StreamEnabled: boolean; StreamViewType?: string };
  Tags?: { Key: string; Value: string }[];
  DeletionProtectionEnabled?: boolean;
  TableClass?: string;
  ResourcePolicy?: string;
}

export function checkTableName(name: string): void {
  if (name.length < 3 || name.length > 255) fail('TableName must be at least 3 characters long and at most 255 characters long');
}

/** Validates CreateTable in DynamoDB's order and returns the indexes it defines. */
export function validateCreateTable(input: CreateTableInput): IndexInfo[] {
  const perRequest = input.BillingMode === 'PAY_PER_REQUEST';
  if (perRequest) {
    if (input.ProvisionedThroughput) {
      fail('One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST');
    }
  } else {
    const t = input.ProvisionedThroughput;
    if (!t || !t.ReadCapacityUnits || !t.WriteCapacityUnits) {
      fail('One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED');
    }
    if (t!.ReadCapacityUnits > 1e12) fail(`Given value ${t!.ReadCapacityUnits} for ReadCapacityUnits is out of bounds`);
    if (t!.WriteCapacityUnits > 1e12) fail(`Given value ${t!.WriteCapacityUnits} for WriteCapacityUnits is out of bounds`);
  }
  const defs = input.AttributeDefinitions.map((d) => d.AttributeName);
  const seenDefs = new Set<string>();
  for (const d of defs) {
    if (seenDefs.has(d)) fail(`Cannot have two attributes with the same name. Attribute name: ${d}`);
    seenDefs.add(d);
  }
  const keys = input.KeySchema.map((k) => k.AttributeName);
  if (keys.length > defs.length) fail('Invalid KeySchema: Some index key attribute have no definition');
  checkKeySchema(input.KeySchema, defs);
  const indexes: IndexInfo[] = [];
  const names = new Set<string>();
  const used = new Set(keys);
  if (input.LocalSecondaryIndexes) {
    if (input.LocalSecondaryIndexes.length === 0) fail('One or more parameter values were invalid: List of LocalSecondaryIndexes is empty');
    if (input.KeySchema.length !== 2) {
      fail('One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex');
    }
    for (const lsi of input.LocalSecondaryIndexes) {
      checkKeySchema(lsi.KeySchema, defs);
      if (lsi.KeySchema.length !== 2) fail(`One or more parameter values were invalid: Index KeySchema does not have a range key for index: ${lsi.IndexName}`);
      const hash = lsi.KeySchema[0]!.AttributeName;
      if (hash !== keys[0]) {
        fail(`One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: ${lsi.IndexName}. index hash key: ${hash}, table hash key: ${keys[0]}`);
      }
      checkProjection(lsi.Projection);
      if (names.has(lsi.IndexName)) fail(`One or more parameter values were invalid: Duplicate index name: ${lsi.IndexName}`);
      names.add(lsi.IndexName);
      lsi.KeySchema.forEach((k) => used.add(k.AttributeName));
      indexes.push(indexInfo('LSI', lsi.IndexName, lsi.KeySchema, lsi.Projection));
    }
    if (input.LocalSecondaryIndexes.length > 5) fail('One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of 5');
  }
  if (input.GlobalSecondaryIndexes) {
    if (input.GlobalSecondaryIndexes.length === 0) fail('One or more parameter values were invalid: List of GlobalSecondaryIndexes is empty');
    for (const gsi of input.GlobalSecondaryIndexes) {
      validateGsi(gsi, defs, perRequest);
      if (names.has(gsi.IndexName)) fail(`One or more parameter values were invalid: Duplicate index name: ${gsi.IndexName}`);
      names.add(gsi.IndexName);
      gsi.KeySchema.forEach((k) => used.add(k.AttributeName));
      indexes.push(indexInfo('GSI', gsi.IndexName, gsi.KeySchema, gsi.Projection, gsi.ProvisionedThroughput));
    }
    if (input.GlobalSecondaryIndexes.length > 20) fail('One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of 20');
  }
  if (!input.LocalSecondaryIndexes && !input.GlobalSecondaryIndexes && keys.length !== defs.length) {
    fail('One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions');
  }
  if (defs.some((d) => !used.has(d))) {
    fail(`One or more parameter values were invalid: Some AttributeDefinitions are not used. AttributeDefinitions: [${defs.join(', ')}], keys used: [${[...used].join(', ')}]`);
  }
  return indexes;
}

/** Multi-attribute GSI keys: up to four partition and four sort key attributes (AWS, November 2025). */
export const MAX_KEY_ATTRIBUTES = 4;

/**
 * A GSI's key schema: one to four HASH elements, then zero to four RANGE elements, each attribute
 * once. A two-element schema keeps DynamoDB's classic messages; the wording of the multi-attribute
 * refusals is Atoll's (AWS's is not published).
 */
function checkGsiKeySchema(indexName: string, keySchema: KeySchemaElement[], defs: string[]): void {
  if (keySchema.length <= 2 && !(keySchema.length === 2 && keySchema[1]!.KeyType === 'HASH')) {
    checkKeySchema(keySchema, defs);
    return;
  }
  const keys = keySchema.map((k) => k.AttributeName);
  if (keys.some((k) => !defs.includes(k))) {
    fail(`One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [${keys.join(', ')}], AttributeDefinitions: [${defs.join(', ')}]`);
  }
  if (keySchema[0]!.KeyType !== 'HASH') fail('Invalid KeySchema: The first KeySchemaElement is not a HASH key type');
  const duplicate = keys.find((k, i) => keys.indexOf(k) !== i);
  if (duplicate) fail(`One or more parameter values were invalid: Duplicate attribute in KeySchema of index ${indexName}: ${duplicate}`);
  const firstRange = keySchema.findIndex((k) => k.KeyType === 'RANGE');
  if (firstRange >= 0 && keySchema.slice(firstRange).some((k) => k.KeyType !== 'RANGE')) {
    fail(`Invalid KeySchema: All HASH KeySchemaElements must precede the RANGE KeySchemaElements for index: ${indexName}`);
  }
  const hashes = keySchema.filter((k) => k.KeyType === 'HASH').length;
  const ranges = keySchema.length - hashes;
  if (hashes > MAX_KEY_ATTRIBUTES || ranges > MAX_KEY_ATTRIBUTES) {
    fail(
      `One or more parameter values were invalid: Index KeySchema of ${indexName} exceeds the limit of ${MAX_KEY_ATTRIBUTES} HASH and ${MAX_KEY_ATTRIBUTES} RANGE key attributes`,
    );
  }
}

export function validateGsi(
  gsi: { IndexName: string; KeySchema: KeySchemaElement[]; Projection: Projection; ProvisionedThroughput?: Throughput },
  defs: string[],
  perRequest: boolean,
): void {
  checkGsiKeySchema(gsi.IndexName, gsi.KeySchema, defs);
  checkProjection(gsi.Projection);
  if (perRequest && gsi.ProvisionedThroughput) {
    fail(`One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: ${gsi.IndexName} when BillingMode is PAY_PER_REQUEST`);
  }
  if (!perRequest && !gsi.ProvisionedThroughput) {
    fail(`One or more parameter values were invalid: ProvisionedThroughput must be specified for index: ${gsi.IndexName}`);
  }
}

export function indexInfo(kind: 'GSI' | 'LSI', name: string, keySchema: KeySchemaElement[], projection: Projection, throughput?: Throughput): IndexInfo {
  return {
    name,
    kind,
    keySchema,
    hashKey: keySchema[0]!.AttributeName,
    ...(keySchema.find((k) => k.KeyType === 'RANGE') ? { rangeKey: keySchema.find((k) => k.KeyType === 'RANGE')!.AttributeName } : {}),
    projection,
    ...(throughput ? { throughput } : {}),
    status: 'ACTIVE',
  };
}

/** The TableDescription shape of the API. */
export function describeTable(table: TableInfo, status: string, stats: { count: number; bytes: number }, indexStats: Map<string, { count: number; bytes: number }>): Record<string, unknown> {
  const created = new Date(table.createdAt);
  const throughput = (t: Throughput | undefined) => ({
    NumberOfDecreasesToday: 0,
    ReadCapacityUnits: t?.ReadCapacityUnits ?? 0,
    WriteCapacityUnits: t?.WriteCapacityUnits ?? 0,
  });
  const out: Record<string, unknown> = {
    AttributeDefinitions: table.attributeDefinitions,
    TableName: table.name,
    KeySchema: table.keySchema,
    TableStatus: (table.restoring || table.importing) && status === 'ACTIVE' ? 'CREATING' : status,
    CreationDateTime: created,
    ProvisionedThroughput: throughput(table.billingMode === 'PAY_PER_REQUEST' ? undefined : table.throughput),
    TableSizeBytes: stats.bytes,
    ItemCount: stats.count,
    TableArn: table.arn,
    TableId: table.tableId,
    DeletionProtectionEnabled: table.deletionProtection,
  };
  if (table.billingMode === 'PAY_PER_REQUEST') {
    out.BillingModeSummary = { BillingMode: 'PAY_PER_REQUEST', LastUpdateToPayPerRequestDateTime: created };
  }
  const lsis = table.indexes.filter((i) => i.kind === 'LSI');
  const gsis = table.indexes.filter((i) => i.kind === 'GSI');
  const base = (i: IndexInfo) => {
    const s = indexStats.get(i.name) ?? { count: 0, bytes: 0 };
    return {
      IndexName: i.name,
      KeySchema: i.keySchema,
      Projection: i.projection,
      IndexSizeBytes: s.bytes,
      ItemCount: s.count,
      IndexArn: `${table.arn}/index/${i.name}`,
    };
  };
  if (lsis.length) out.LocalSecondaryIndexes = lsis.map(base);
  if (gsis.length) {
    out.GlobalSecondaryIndexes = gsis.map((i) => ({
      ...base(i),
      IndexStatus: i.status,
      ...(i.backfilling ? { Backfilling: true } : {}),
      ProvisionedThroughput: throughput(i.throughput),
    }));
  }
  if (table.stream?.enabled) {
    out.StreamSpecification = { StreamEnabled: true, StreamViewType: table.stream.viewType };
  }
  if (table.stream) {
    out.LatestStreamArn = table.stream.arn;
    out.LatestStreamLabel = table.stream.label;
  }
  if (table.tableClass) out.TableClassSummary = { TableClass: table.tableClass };
  if (table.restoreSummary) {
    const r = table.restoreSummary;
    out.RestoreSummary = {
      ...(r.sourceBackupArn ? { SourceBackupArn: r.sourceBackupArn } : {}),
      ...(r.sourceTableArn ? { SourceTableArn: r.sourceTableArn } : {}),
      RestoreDateTime: new Date(r.at),
      RestoreInProgress: table.restoring !== undefined,
    };
  }
  return out;
}
