// Table lifecycle and settings: CreateTable, DescribeTable, UpdateTable (GSI add with backfill,
// GSI delete, billing, throughput, streams), DeleteTable, ListTables, time to live, tags, limits.
// A change reads the stored table, checks and changes it in one transaction (so two nodes changing
// one table do not undo each other), and the store's signal drops every node's cached copy.
import { randomUUID } from 'node:crypto';
import { serviceError, type RequestContext } from '@atoll/core';
import { deserializeItem, itemSize, serializeItem, ValidationError } from './attribute-value.js';
import type { DynamoDbContext } from './dynamodb-context.js';
import type { ServiceError } from './errors.js';
import { Errors, validated } from './errors.js';
import { checkPolicyDocument } from './policy-operations.js';
import { indexKey, projectForIndex } from './table-engine.js';
import {
  checkTableName,
  describeTable,
  indexInfo,
  validateCreateTable,
  validateGsi,
  type CreateTableInput,
  type TableInfo,
} from './table-schema.js';

type Input = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function streamLabel(): string {
  return new Date().toISOString().replace('Z', '');
}

/** The table a request names, from the cache or the database. */
async function find(ctx: DynamoDbContext, req: RequestContext, name: string): Promise<TableInfo | undefined> {
  return ctx.findAny(req.accountId, req.region, name);
}

export function createTableOperations(ctx: DynamoDbContext) {
  const describe = async (table: TableInfo, status = 'ACTIVE') => {
    const stats = await ctx.stats(table);
    return describeTable(table, status, stats, stats.indexes);
  };

  /**
   * Changes a stored table: `change` checks (throwing a ServiceError or ValidationError to refuse)
   * and changes it, on the stored copy inside the transaction. Caches and returns the result.
   */
  async function change<R>(table: TableInfo, fn: (stored: TableInfo) => R, notFound: () => ServiceError): Promise<{ table: TableInfo; result: R }> {
    const done = await ctx.store.updateTable(table.id, (stored) => validated(() => fn(stored)));
    if (!done) {
      ctx.forget(table);
      throw notFound();
    }
    ctx.remember(done.table);
    return done;
  }

  /**
   * Builds a new index's entries from the existing items, 1,000 items per transaction: each chunk
   * reads its items and writes their entries atomically, so a concurrent write of an item either
   * comes before (and is read here) or after (and writes its own entry).
   */
  async function backfill(table: TableInfo, indexName: string): Promise<void> {
    const index = table.indexes.find((i) => i.name === indexName)!;
    let start: { pk: Buffer; sk: Buffer } | undefined;
    for (;;) {
      const from = start;
      const last = await ctx.store.transaction(async (items) => {
        const chunk = await items.scan(table.id, undefined, undefined, from).next(1000);
        for (const row of chunk) {
          const item = deserializeItem(row.item);
          const key = indexKey(index, item);
          if (!key) continue;
          const projected = projectForIndex(table, index, item);
          await items.putIndexEntry(table.id, index.name, key.pk, key.sk, row.pk, row.sk, itemSize(projected), serializeItem(projected));
        }
        return chunk.length < 1000 ? undefined : chunk[chunk.length - 1]!;
      });
      if (!last) return;
      start = { pk: last.pk, sk: last.sk };
    }
  }

  const tableNotFound = (name: string) => () => Errors.notFound(`Requested resource not found: Table: ${name} not found`);
  const arnNotFound = (arn: string) => () => Errors.notFound(`Requested resource not found: ResourcArn: ${arn} not found`);

  return {
    async CreateTable(input: CreateTableInput, req: RequestContext) {
      const indexes = validated(() => {
        checkTableName(input.TableName);
        return validateCreateTable(input);
      });
      if (input.ResourcePolicy !== undefined) checkPolicyDocument(input.ResourcePolicy);
      if (await find(ctx, req, input.TableName)) throw Errors.inUse(`Table already exists: ${input.TableName}`);
      const arn = `arn:aws:dynamodb:${req.region}:${req.accountId}:table/${input.TableName}`;
      const label = streamLabel();
      const base: Omit<TableInfo, 'id'> = {
        name: input.TableName,
        accountId: req.accountId,
        region: req.region,
        arn,
        tableId: randomUUID(),
        keySchema: input.KeySchema,
        attributeDefinitions: input.AttributeDefinitions,
        hashKey: input.KeySchema[0]!.AttributeName,
        ...(input.KeySchema[1] ? { rangeKey: input.KeySchema[1].AttributeName } : {}),
        billingMode: input.BillingMode ?? 'PROVISIONED',
        throughput: input.ProvisionedThroughput ?? { ReadCapacityUnits: 0, WriteCapacityUnits: 0 },
        createdAt: Date.now(),
        indexes,
        ...(input.StreamSpecification?.StreamEnabled
          ? { stream: { enabled: true, viewType: input.StreamSpecification.StreamViewType ?? 'NEW_AND_OLD_IMAGES', arn: `${arn}/stream/${label}`, label } }
          : {}),
        tags: Object.fromEntries((input.Tags ?? []).map((t) => [t.Key, t.Value])),
        deletionProtection: input.DeletionProtectionEnabled === true,
        ...(input.ResourcePolicy !== undefined ? { policy: { text: input.ResourcePolicy, revisionId: String(BigInt(Date.now()) * 1000n) } } : {}),
        ...(input.TableClass ? { tableClass: input.TableClass } : {}),
      };
      if (input.StreamSpecification?.StreamEnabled && !input.StreamSpecification.StreamViewType) {
        throw Errors.validation('One or more parameter values were invalid: StreamViewType is required when StreamEnabled is true');
      }
      const table = await ctx.store.insertTable(base);
      if (!table) throw Errors.inUse(`Table already exists: ${input.TableName}`);
      ctx.remember(table);
      // Tables become ACTIVE at once; the response shows the CREATING state DynamoDB reports first.
      const description = describeTable(table, 'CREATING', { count: 0, bytes: 0 }, new Map());
      if (description.GlobalSecondaryIndexes) {
        for (const g of description.GlobalSecondaryIndexes as Record<string, unknown>[]) g.IndexStatus = 'CREATING';
      }
      return { TableDescription: description };
    },

    async DescribeTable(input: Input, req: RequestContext) {
      const table = await find(ctx, req, input.TableName);
      if (!table) throw tableNotFound(input.TableName)();
      return { Table: await describe(table) };
    },

    async DeleteTable(input: Input, req: RequestContext) {
      const found = await find(ctx, req, input.TableName);
      if (!found) throw tableNotFound(input.TableName)();
      const description = await describe(found, 'DELETING');
      const table = await ctx.store.deleteTable(found.id, (stored) => {
        if (stored.restoring || stored.importing) throw Errors.inUse(`Attempt to change a resource which is still in use: Table is being created: ${stored.name}`);
        if (stored.deletionProtection) {
          throw Errors.validation(`Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.`);
        }
      });
      ctx.forget(found);
      if (!table) throw tableNotFound(input.TableName)();
      return { TableDescription: description };
    },

    async ListTables(input: Input, req: RequestContext) {
      const limit: number = input.Limit ?? 100;
      const names = (await ctx.store.tableNames(req.accountId, req.region)).sort();
      const start = input.ExclusiveStartTableName as string | undefined;
      const after = start === undefined ? names : names.filter((n) => n > start);
      const pageNames = after.slice(0, limit);
      return { TableNames: pageNames, ...(after.length > limit ? { LastEvaluatedTableName: pageNames[pageNames.length - 1] } : {}) };
    },

    async UpdateTable(input: Input, req: RequestContext) {
      const found = await find(ctx, req, input.TableName);
      if (!found) throw tableNotFound(input.TableName)();
      const updates = input.GlobalSecondaryIndexUpdates as Input[] | undefined;
      validated(() => checkUpdateTable(input));
      const { table, result: newIndexes } = await change(
        found,
        (table) => {
          const newIndexes: string[] = [];
          if (input.AttributeDefinitions) {
            for (const d of input.AttributeDefinitions as TableInfo['attributeDefinitions']) {
              const existing = table.attributeDefinitions.find((x) => x.AttributeName === d.AttributeName);
              if (existing && existing.AttributeType !== d.AttributeType) {
                throw new ValidationError(`One or more parameter values were invalid: Cannot change the type of an existing attribute: ${d.AttributeName}`);
              }
            }
          }
          const billing = input.BillingMode ?? table.billingMode;
          checkThroughputChange(input, table);
          for (const u of updates ?? []) {
            if (u.Create) {
              const defs = [...table.attributeDefinitions, ...((input.AttributeDefinitions ?? []) as TableInfo['attributeDefinitions'])];
              validateGsi(u.Create, defs.map((d) => d.AttributeName), billing === 'PAY_PER_REQUEST');
              if (table.indexes.some((i) => i.name === u.Create.IndexName)) {
                throw new ValidationError(`One or more parameter values were invalid: Duplicate index name: ${u.Create.IndexName}`);
              }
            } else if (u.Delete) {
              if (!table.indexes.some((i) => i.name === u.Delete.IndexName && i.kind === 'GSI')) {
                throw Errors.notFound(`Requested resource not found: Index: ${u.Delete.IndexName} not found`);
              }
            } else if (u.Update) {
              if (!table.indexes.some((i) => i.name === u.Update.IndexName && i.kind === 'GSI')) {
                throw Errors.notFound(`Requested resource not found: Index: ${u.Update.IndexName} not found`);
              }
            }
          }
          if (input.StreamSpecification) {
            const spec = input.StreamSpecification;
            if (spec.StreamEnabled && table.stream?.enabled) throw Errors.validation(`Table already has an enabled stream: ${table.stream.arn}`);
            if (!spec.StreamEnabled && !table.stream?.enabled) throw Errors.validation('Stream is already disabled');
            if (spec.StreamEnabled && !spec.StreamViewType) {
              throw Errors.validation('One or more parameter values were invalid: StreamViewType is required when StreamEnabled is true');
            }
          }
          if (input.AttributeDefinitions) {
            for (const d of input.AttributeDefinitions as TableInfo['attributeDefinitions']) {
              if (!table.attributeDefinitions.some((x) => x.AttributeName === d.AttributeName)) table.attributeDefinitions.push(d);
            }
          }
          if (input.BillingMode) table.billingMode = input.BillingMode;
          if (input.ProvisionedThroughput) table.throughput = input.ProvisionedThroughput;
          if (input.DeletionProtectionEnabled !== undefined) table.deletionProtection = input.DeletionProtectionEnabled;
          if (input.TableClass) table.tableClass = input.TableClass;
          if (input.StreamSpecification) {
            const spec = input.StreamSpecification;
            if (spec.StreamEnabled) {
              const label = streamLabel();
              table.stream = { enabled: true, viewType: spec.StreamViewType, arn: `${table.arn}/stream/${label}`, label };
            } else if (table.stream) table.stream.enabled = false;
          }
          for (const u of updates ?? []) {
            if (u.Create) {
              table.indexes.push(indexInfo('GSI', u.Create.IndexName, u.Create.KeySchema, u.Create.Projection, u.Create.ProvisionedThroughput));
              newIndexes.push(u.Create.IndexName);
            } else if (u.Delete) {
              table.indexes = table.indexes.filter((i) => i.name !== u.Delete.IndexName);
            } else if (u.Update) {
              const index = table.indexes.find((i) => i.name === u.Update.IndexName)!;
              if (u.Update.ProvisionedThroughput) index.throughput = u.Update.ProvisionedThroughput;
            }
          }
          return newIndexes;
        },
        tableNotFound(input.TableName),
      );
      // The new index is in the stored table: from now on writes keep its entries, and the backfill
      // adds those of the items written before.
      for (const name of newIndexes) await backfill(table, name);
      return { TableDescription: await describe(table, 'UPDATING') };
    },

    async UpdateTimeToLive(input: Input, req: RequestContext) {
      const found = await find(ctx, req, input.TableName);
      if (!found) throw Errors.notFound();
      const spec = input.TimeToLiveSpecification as { Enabled: boolean; AttributeName: string };
      await change(
        found,
        (table) => {
          if (spec.Enabled && table.ttl?.enabled) throw Errors.validation('TimeToLive is already enabled');
          if (!spec.Enabled && !table.ttl?.enabled) throw Errors.validation('TimeToLive is already disabled');
          if (!spec.Enabled && table.ttl && table.ttl.attribute !== spec.AttributeName) {
            throw Errors.validation('TimeToLive is active on a different AttributeName: current AttributeName is ' + table.ttl.attribute);
          }
          table.ttl = { attribute: spec.AttributeName, enabled: spec.Enabled };
        },
        () => Errors.notFound(),
      );
      return { TimeToLiveSpecification: spec };
    },

    async DescribeTimeToLive(input: Input, req: RequestContext) {
      const table = await find(ctx, req, input.TableName);
      if (!table) throw tableNotFound(input.TableName)();
      return {
        TimeToLiveDescription: table.ttl?.enabled
          ? { TimeToLiveStatus: 'ENABLED', AttributeName: table.ttl.attribute }
          : { TimeToLiveStatus: 'DISABLED' },
      };
    },

    async TagResource(input: Input, req: RequestContext) {
      checkResourceArn('TagResource', input.ResourceArn, req);
      if ((input.Tags as unknown[]).length === 0) throw Errors.validation('Atleast one Tag needs to be provided as Input.');
      const found = await ctx.resolve(req.accountId, req.region, input.ResourceArn);
      if (!found) throw arnNotFound(input.ResourceArn)();
      await change(
        found,
        (table) => {
          for (const t of input.Tags as { Key: string; Value: string }[]) table.tags[t.Key] = t.Value;
        },
        arnNotFound(input.ResourceArn),
      );
      return {};
    },

    async UntagResource(input: Input, req: RequestContext) {
      checkResourceArn('UntagResource', input.ResourceArn, req);
      const found = await ctx.resolve(req.accountId, req.region, input.ResourceArn);
      if (!found) throw arnNotFound(input.ResourceArn)();
      await change(
        found,
        (table) => {
          for (const k of input.TagKeys as string[]) delete table.tags[k];
        },
        arnNotFound(input.ResourceArn),
      );
      return {};
    },

    async ListTagsOfResource(input: Input, req: RequestContext) {
      checkResourceArn('ListTagsOfResource', input.ResourceArn, req);
      const table = await ctx.resolve(req.accountId, req.region, input.ResourceArn);
      if (!table) throw arnNotFound(input.ResourceArn)();
      return { Tags: Object.entries(table.tags).map(([Key, Value]) => ({ Key, Value })) };
    },

    async DescribeLimits() {
      return {
        AccountMaxReadCapacityUnits: 80000,
        AccountMaxWriteCapacityUnits: 80000,
        TableMaxReadCapacityUnits: 40000,
        TableMaxWriteCapacityUnits: 40000,
      };
    },

    async DescribeEndpoints(_input: Input, req: RequestContext) {
      const host = req.endpoint.replace(/^https?:\/\//, '');
      return { Endpoints: [{ Address: host || `dynamodb.${req.region}.amazonaws.com`, CachePeriodInMinutes: 1440 }] };
    },
  };
}

/**
 * A tagging call's ResourceArn, checked as DynamoDB does (dynalite's tests): an ARN that IAM cannot
 * parse is refused by authorization (AccessDeniedException naming the caller); one that is not a
 * table's ARN answers "Invalid TableArn".
 */
function checkResourceArn(operation: string, arn: string, req: RequestContext): void {
  if (!/^.+:.+:.+:.+:.+:.+\/.+$/.test(arn)) {
    throw serviceError('AccessDeniedException', 400, `User: ${req.identity.arn} is not authorized to perform: dynamodb:${operation} on resource: ${arn || '*'}`);
  }
  if (!/^arn:aws:dynamodb:.+:\d+:table\/[^/]{2}[^/]+$/.test(arn)) throw Errors.validation(`Invalid TableArn: Invalid ResourceArn provided as input ${arn}`);
}

/** UpdateTable's checks of the request alone, in DynamoDB's order (dynalite's validations/updateTable.js). */
function checkUpdateTable(input: Input): void {
  const updates = input.GlobalSecondaryIndexUpdates as Input[] | undefined;
  const anything =
    input.ProvisionedThroughput ??
    input.BillingMode ??
    input.StreamSpecification ??
    (updates?.length ? updates : undefined) ??
    input.SSESpecification ??
    input.ReplicaUpdates ??
    input.DeletionProtectionEnabled ??
    input.TableClass ??
    input.OnDemandThroughput;
  if (anything === undefined) {
    throw new ValidationError(
      'At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required',
    );
  }
  if (input.BillingMode === 'PROVISIONED' && !input.ProvisionedThroughput) {
    throw new ValidationError('One or more parameter values were invalid: ProvisionedThroughput must be specified when BillingMode is PROVISIONED');
  }
  const t = input.ProvisionedThroughput as TableInfo['throughput'] | undefined;
  if (t && t.ReadCapacityUnits > 1e12) throw new ValidationError(`Given value ${t.ReadCapacityUnits} for ReadCapacityUnits is out of bounds`);
  if (t && t.WriteCapacityUnits > 1e12) throw new ValidationError(`Given value ${t.WriteCapacityUnits} for WriteCapacityUnits is out of bounds`);
  const names = new Set<string>();
  for (const u of updates ?? []) {
    if (!u.Update && !u.Create && !u.Delete) {
      throw new ValidationError(
        'One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null',
      );
    }
    const name = (u.Update ?? u.Create ?? u.Delete).IndexName as string;
    if (names.has(name)) {
      throw new ValidationError(`One or more parameter values were invalid: Only one global secondary index update per index is allowed simultaneously. Index: ${name}`);
    }
    names.add(name);
  }
  if ((updates?.length ?? 0) > 5) {
    throw Errors.limitExceeded('Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table');
  }
}

/** Throughput changes against the stored table (dynalite's actions/updateTable.js). */
function checkThroughputChange(input: Input, table: TableInfo): void {
  const billing = input.BillingMode ?? table.billingMode;
  const t = input.ProvisionedThroughput as TableInfo['throughput'] | undefined;
  if (t && billing === 'PAY_PER_REQUEST') {
    throw new ValidationError('One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST');
  }
  const updates = (input.GlobalSecondaryIndexUpdates ?? []) as Input[];
  const changes: { asked: TableInfo['throughput']; current: TableInfo['throughput'] }[] = [];
  if (t && table.billingMode === 'PROVISIONED') changes.push({ asked: t, current: table.throughput });
  for (const u of updates) {
    const index = u.Update ? table.indexes.find((i) => i.name === u.Update.IndexName) : undefined;
    if (index?.throughput && u.Update.ProvisionedThroughput) changes.push({ asked: u.Update.ProvisionedThroughput, current: index.throughput });
  }
  for (const { asked, current } of changes) {
    if (asked.ReadCapacityUnits === current.ReadCapacityUnits && asked.WriteCapacityUnits === current.WriteCapacityUnits) {
      throw new ValidationError(
        'The provisioned throughput for the table will not change. The requested value equals the current value. ' +
          `Current ReadCapacityUnits provisioned for the table: ${current.ReadCapacityUnits}. Requested ReadCapacityUnits: ${asked.ReadCapacityUnits}. ` +
          `Current WriteCapacityUnits provisioned for the table: ${current.WriteCapacityUnits}. Requested WriteCapacityUnits: ${asked.WriteCapacityUnits}. ` +
          'Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.',
      );
    }
  }
  if (input.BillingMode === 'PROVISIONED' && table.billingMode !== 'PROVISIONED') {
    const updated = new Set(updates.filter((u) => u.Update?.ProvisionedThroughput).map((u) => u.Update.IndexName as string));
    const missing = table.indexes.filter((i) => i.kind === 'GSI' && !updated.has(i.name)).map((i) => i.name);
    if (missing.length) throw new ValidationError(`One or more parameter values were invalid: ProvisionedThroughput must be specified for index: ${missing.join(',')}`);
  }
}

