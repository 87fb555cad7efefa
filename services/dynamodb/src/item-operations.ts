// The item operations: PutItem, GetItem, UpdateItem, DeleteItem, BatchGetItem, BatchWriteItem,
// TransactGetItems and TransactWriteItems. Each write reads, checks its condition and writes inside
// one store transaction (group-committed on SQLite, SERIALIZABLE and re-run on conflict on
// PostgreSQL, where the condition is then evaluated again), so a condition and its write are atomic
// across nodes and acknowledged writes durable.
import { createHash } from 'node:crypto';
import { EncodedJson, type RequestContext } from '@atoll/core';
import { deserializeItem, itemSize, validateItem, ValidationError, type Item } from './attribute-value.js';
import type { DynamoDbContext, TableLookup } from './dynamodb-context.js';
import type { ItemAccess } from './dynamodb-store.js';
import { Errors, toServiceError, validated } from './errors.js';
import type { PathElement, UpdateAction } from './expression/ast.js';
import { applyUpdate, evaluateCondition, project } from './expression/evaluate.js';
import { compileExpressions, type Compiled, type ExpressionInput } from './request-expressions.js';
import {
  checkIndexKeys,
  checkItemSize,
  encodeItemKey,
  encodeKeyParam,
  readItem,
  readUnits,
  writeItem,
  writeUnits,
  type EncodedKey,
} from './table-engine.js';
import { checkTableName, type TableInfo } from './table-schema.js';

type Input = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * ItemCollectionMetrics for a write with `ReturnItemCollectionMetrics: SIZE`: only tables with local
 * secondary indexes have item collections (AWS: "If the table does not have any local secondary
 * indexes, this information is not returned in the response"). The estimate is a range of whole
 * gigabytes around the collection's current size (items and their LSI entries): [0, 1] below 1 GB.
 */
async function collectionMetrics(ctx: DynamoDbContext, table: TableInfo, mode: string | undefined, key: EncodedKey, item: Item | undefined): Promise<Record<string, unknown> | undefined> {
  if (mode !== 'SIZE' || !item) return undefined;
  const lsis = table.indexes.filter((i) => i.kind === 'LSI').map((i) => i.name);
  if (lsis.length === 0) return undefined;
  const bytes = await ctx.store.items.collectionBytes(table.id, key.pk, lsis);
  const low = Math.floor(bytes / 1024 ** 3);
  return { ItemCollectionKey: { [table.hashKey]: item[table.hashKey] }, SizeEstimateRangeGB: [low, low + 1] };
}

export function consumed(table: TableInfo, mode: string | undefined, units: number, kind: 'read' | 'write'): Record<string, unknown> | undefined {
  if (!mode || mode === 'NONE') return undefined;
  void kind;
  const out: Record<string, unknown> = { TableName: table.name, CapacityUnits: units };
  if (mode === 'INDEXES') out.Table = { CapacityUnits: units };
  return out;
}

function checkReturnValues(value: string | undefined, allowed: string[], message: string): void {
  if (value !== undefined && !allowed.includes(value)) throw new ValidationError(message);
}

/** Paths touched by an update, for UPDATED_OLD / UPDATED_NEW. */
function updatedPaths(actions: UpdateAction[]): PathElement[][] {
  return actions.map((a) => a.path.path);
}

function checkKeyNotUpdated(table: TableInfo, actions: UpdateAction[]): void {
  const keys = [table.hashKey, ...(table.rangeKey ? [table.rangeKey] : [])];
  for (const action of actions) {
    const top = action.path.path[0];
    if (typeof top === 'string' && keys.includes(top)) {
      throw new ValidationError(`One or more parameter values were invalid: Cannot update attribute ${top}. This attribute is part of the key`);
    }
  }
}

interface PreparedWrite {
  table: TableInfo;
  key: EncodedKey;
  keyItem?: Item;
  item?: Item;
  compiled: Compiled;
  kind: 'Put' | 'Update' | 'Delete' | 'ConditionCheck';
}

/** The lookup of a request that names one table, from what the cache or the database gave. */
function one(table: TableInfo | undefined): TableLookup {
  return {
    get() {
      if (!table) throw Errors.notFound();
      return table;
    },
  };
}

function preparePut(tables: TableLookup, input: Input): PreparedWrite {
  const item = validateItem(input.Item ?? {});
  const compiled = compileExpressions(pick(input, ['ConditionExpression', 'ExpressionAttributeNames', 'ExpressionAttributeValues', 'Expected', 'ConditionalOperator']));
  const table = tables.get(input.TableName);
  const key = encodeItemKey(table, item);
  checkItemSize(item);
  return { table, key, item, compiled, kind: 'Put' };
}

function prepareKeyed(tables: TableLookup, input: Input, kind: 'Update' | 'Delete' | 'ConditionCheck'): PreparedWrite {
  const keyItem = validateItem(input.Key ?? {});
  const names = ['ConditionExpression', 'ExpressionAttributeNames', 'ExpressionAttributeValues', 'Expected', 'ConditionalOperator'];
  if (kind === 'Update') names.push('UpdateExpression', 'AttributeUpdates');
  const compiled = compileExpressions(pick(input, names));
  const table = tables.get(input.TableName);
  const key = encodeKeyParam(table, keyItem);
  if (compiled.update) checkKeyNotUpdated(table, compiled.update);
  return { table, key, keyItem, compiled, kind };
}

function pick(input: Input, names: string[]): ExpressionInput {
  const out: Input = {};
  for (const n of names) if (input[n] !== undefined) out[n] = input[n];
  return out as ExpressionInput;
}

/** A blind put (no condition, index, stream, PITR or old values asked for) need not read the old item. */
function isBlind(w: PreparedWrite, needOld: boolean): boolean {
  return w.kind === 'Put' && !needOld && !w.compiled.condition && w.table.indexes.length === 0 && !w.table.stream?.enabled && !w.table.pitr?.enabled;
}

/**
 * Runs a prepared write inside the caller's transaction; returns the old and new item. `known` is
 * the old item when the transaction has read it already.
 */
async function execute(
  items: ItemAccess,
  w: PreparedWrite,
  onFail: (old: Item | undefined) => never,
  needOld = true,
  known?: { old: Item | undefined },
): Promise<{ old?: Item; next?: Item }> {
  if (isBlind(w, needOld)) {
    await writeItem(items, w.table, w.key, undefined, w.item, { replace: true });
    return { next: w.item };
  }
  const old = known ? known.old : await readItem(items, w.table, w.key);
  if (w.compiled.condition && !evaluateCondition(w.compiled.condition, old ?? {})) onFail(old);
  let next: Item | undefined;
  switch (w.kind) {
    case 'Put':
      next = w.item;
      break;
    case 'Delete':
      next = undefined;
      break;
    case 'ConditionCheck':
      return { old, next: old };
    case 'Update': {
      next = applyUpdate(w.compiled.update ?? [], old ?? w.keyItem!);
      checkIndexKeys(w.table, next);
      checkItemSize(next, true);
      break;
    }
  }
  await writeItem(items, w.table, w.key, old, next);
  return { old, next };
}

/**
 * One item as a read returns it, with its read units. Without a projection that is the stored text,
 * which is already the JSON the response carries.
 */
async function readForOutput(
  items: ItemAccess,
  table: TableInfo,
  key: EncodedKey,
  projection: PathElement[][] | undefined,
  consistent: boolean,
): Promise<{ item: Item | EncodedJson | undefined; units: number }> {
  const row = await items.getItemRow(table.id, key.pk, key.sk);
  if (!projection) return { item: row && new EncodedJson(row.item), units: readUnits(row?.size ?? 0, consistent) };
  const item = row && deserializeItem(row.item);
  return { item: item && project(item, projection), units: readUnits(item ? itemSize(item) : 0, consistent) };
}

export function createItemOperations(ctx: DynamoDbContext) {
  const run = <T>(work: (items: ItemAccess) => Promise<T>): Promise<T> =>
    ctx.store.transaction(work).catch((error: unknown) => {
      throw toServiceError(error);
    });

  return {
    async PutItem(input: Input, req: RequestContext) {
      // No round trip when the table is cached.
      let found = ctx.find(req.accountId, req.region, input.TableName);
      if (found instanceof Promise) found = await found;
      const tables = one(found);
      const w = validated(() => {
        checkReturnValues(input.ReturnValues, ['NONE', 'ALL_OLD'], 'ReturnValues can only be ALL_OLD or NONE');
        return preparePut(tables, input);
      });
      const needOld = input.ReturnValues === 'ALL_OLD' || (input.ReturnConsumedCapacity !== undefined && input.ReturnConsumedCapacity !== 'NONE');
      const work = (items: ItemAccess) =>
        execute(
          items,
          w,
          (o) => {
            throw Errors.conditionalCheckFailed(input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' ? o : undefined);
          },
          needOld,
        );
      // A blind put is one statement, which commits by itself (one round trip on PostgreSQL).
      const { old } = await (isBlind(w, needOld) ? work(ctx.store.items) : run(work));
      return {
        ...(input.ReturnValues === 'ALL_OLD' && old ? { Attributes: old } : {}),
        ...optional('ConsumedCapacity', consumed(w.table, input.ReturnConsumedCapacity, writeUnits(old, w.item), 'write')),
        ...optional('ItemCollectionMetrics', await collectionMetrics(ctx, w.table, input.ReturnItemCollectionMetrics, w.key, w.item)),
      };
    },

    async DeleteItem(input: Input, req: RequestContext) {
      // No round trip when the table is cached.
      let found = ctx.find(req.accountId, req.region, input.TableName);
      if (found instanceof Promise) found = await found;
      const tables = one(found);
      const w = validated(() => {
        checkReturnValues(input.ReturnValues, ['NONE', 'ALL_OLD'], 'ReturnValues can only be ALL_OLD or NONE');
        return prepareKeyed(tables, input, 'Delete');
      });
      const { old } = await run((items) =>
        execute(items, w, (o) => {
          throw Errors.conditionalCheckFailed(input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' ? o : undefined);
        }),
      );
      return {
        ...(input.ReturnValues === 'ALL_OLD' && old ? { Attributes: old } : {}),
        ...optional('ConsumedCapacity', consumed(w.table, input.ReturnConsumedCapacity, writeUnits(old, undefined), 'write')),
        ...optional('ItemCollectionMetrics', await collectionMetrics(ctx, w.table, input.ReturnItemCollectionMetrics, w.key, old ?? w.keyItem)),
      };
    },

    async UpdateItem(input: Input, req: RequestContext) {
      // No round trip when the table is cached.
      let found = ctx.find(req.accountId, req.region, input.TableName);
      if (found instanceof Promise) found = await found;
      const tables = one(found);
      const w = validated(() => prepareKeyed(tables, input, 'Update'));
      const { old, next } = await run((items) =>
        execute(items, w, (o) => {
          throw Errors.conditionalCheckFailed(input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' ? o : undefined);
        }),
      );
      let attributes: Item | undefined;
      const paths = updatedPaths(w.compiled.update ?? []);
      switch (input.ReturnValues) {
        case 'ALL_OLD':
          attributes = old;
          break;
        case 'ALL_NEW':
          attributes = next;
          break;
        case 'UPDATED_OLD':
          attributes = old ? project(old, paths) : undefined;
          break;
        case 'UPDATED_NEW':
          attributes = next ? project(next, paths) : undefined;
          break;
      }
      return {
        ...(attributes && Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
        ...optional('ConsumedCapacity', consumed(w.table, input.ReturnConsumedCapacity, writeUnits(old, next), 'write')),
        ...optional('ItemCollectionMetrics', await collectionMetrics(ctx, w.table, input.ReturnItemCollectionMetrics, w.key, next ?? w.keyItem)),
      };
    },

    async GetItem(input: Input, req: RequestContext) {
      // No round trip when the table is cached.
      let found = ctx.find(req.accountId, req.region, input.TableName);
      if (found instanceof Promise) found = await found;
      const tables = one(found);
      const { t, key, compiled } = validated(() => {
        const keyItem = validateItem(input.Key ?? {});
        const compiled = compileExpressions(pick(input, ['ProjectionExpression', 'ExpressionAttributeNames', 'AttributesToGet']));
        const t = tables.get(input.TableName);
        return { t, key: encodeKeyParam(t, keyItem), compiled };
      });
      const { item, units } = await readForOutput(ctx.store.items, t, key, compiled.projection, input.ConsistentRead === true);
      return {
        ...(item ? { Item: item } : {}),
        ...optional('ConsumedCapacity', consumed(t, input.ReturnConsumedCapacity, units, 'read')),
      };
    },

    async BatchGetItem(input: Input, req: RequestContext) {
      const lookup = await ctx.lookup(req.accountId, req.region, Object.keys(input.RequestItems ?? {}));
      const requests = validated(() => {
        const tables = Object.keys(input.RequestItems ?? {});
        let total = 0;
        const out: { table: TableInfo; keys: EncodedKey[]; projection?: PathElement[][]; consistent: boolean }[] = [];
        for (const name of tables) {
          checkTableName(name);
          const r = input.RequestItems[name];
          total += (r.Keys ?? []).length;
          if (total > 100) throw new ValidationError('Too many items requested for the BatchGetItem call');
        }
        for (const name of tables) {
          const r = input.RequestItems[name];
          const compiled = compileExpressions(pick(r, ['ProjectionExpression', 'ExpressionAttributeNames', 'AttributesToGet']));
          const table = lookup.get(name);
          const seen = new Set<string>();
          const keys = (r.Keys as Item[]).map((k) => {
            const key = encodeKeyParam(table, validateItem(k));
            const id = key.pk.toString('hex') + '/' + key.sk.toString('hex');
            if (seen.has(id)) throw new ValidationError('Provided list of item keys contains duplicates');
            seen.add(id);
            return key;
          });
          out.push({ table, keys, ...(compiled.projection ? { projection: compiled.projection } : {}), consistent: r.ConsistentRead === true });
        }
        return out;
      });
      // One transaction on one connection for every key: no round trip per key through the pool.
      const reads = await ctx.store.transaction(
        async (items) => {
          const out: Awaited<ReturnType<typeof readForOutput>>[][] = [];
          for (const r of requests) {
            const list: Awaited<ReturnType<typeof readForOutput>>[] = [];
            for (const key of r.keys) list.push(await readForOutput(items, r.table, key, r.projection, r.consistent));
            out.push(list);
          }
          return out;
        },
        { durable: false, isolation: 'read-committed' },
      );
      const responses: Record<string, (Item | EncodedJson)[]> = {};
      const capacity: Record<string, unknown>[] = [];
      for (const [i, r] of requests.entries()) {
        const items: (Item | EncodedJson)[] = [];
        let units = 0;
        for (const read of reads[i]!) {
          units += read.units;
          if (read.item) items.push(read.item);
        }
        responses[r.table.name] = items;
        const c = consumed(r.table, input.ReturnConsumedCapacity, units, 'read');
        if (c) capacity.push(c);
      }
      return { Responses: responses, UnprocessedKeys: {}, ...(capacity.length ? { ConsumedCapacity: capacity } : {}) };
    },

    async BatchWriteItem(input: Input, req: RequestContext) {
      const tables = await ctx.lookup(req.accountId, req.region, Object.keys(input.RequestItems ?? {}));
      const writes = validated(() => {
        const names = Object.keys(input.RequestItems ?? {});
        let total = 0;
        for (const name of names) {
          checkTableName(name);
          total += input.RequestItems[name].length;
        }
        if (total > 25) throw new ValidationError('Too many items requested for the BatchWriteItem call');
        const out: PreparedWrite[] = [];
        for (const name of names) {
          const seen = new Set<string>();
          for (const request of input.RequestItems[name] as Input[]) {
            let w: PreparedWrite;
            if (request.PutRequest) {
              w = preparePut(tables, { TableName: name, Item: request.PutRequest.Item });
            } else if (request.DeleteRequest) {
              w = prepareKeyed(tables, { TableName: name, Key: request.DeleteRequest.Key }, 'Delete');
            } else {
              throw new ValidationError('Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes');
            }
            const id = w.key.pk.toString('hex') + '/' + w.key.sk.toString('hex');
            if (seen.has(id)) throw new ValidationError('Provided list of item keys contains duplicates');
            seen.add(id);
            out.push(w);
          }
        }
        return out;
      });
      const needOld = input.ReturnConsumedCapacity !== undefined && input.ReturnConsumedCapacity !== 'NONE';
      const units = await run(async (items) => {
        const out: { table: TableInfo; units: number }[] = [];
        for (const w of writes) {
          const { old, next } = await execute(
            items,
            w,
            () => {
              throw new Error('unreachable');
            },
            needOld,
          );
          out.push({ table: w.table, units: writeUnits(old, next) });
        }
        return out;
      });
      const capacity = new Map<TableInfo, number>();
      for (const u of units) capacity.set(u.table, (capacity.get(u.table) ?? 0) + u.units);
      const list = [...capacity].map(([t, n]) => consumed(t, input.ReturnConsumedCapacity, n, 'write')).filter((c) => c !== undefined);
      return { UnprocessedItems: {}, ...(list.length ? { ConsumedCapacity: list } : {}) };
    },

    async TransactGetItems(input: Input, req: RequestContext) {
      const tables = await ctx.lookup(req.accountId, req.region, ((input.TransactItems ?? []) as Input[]).map((t) => t.Get?.TableName));
      const gets = validated(() => {
        const failures = new Map<number, string>();
        const seen = new Set<string>();
        const out = (input.TransactItems as Input[]).map((t, i) => {
          const g = t.Get;
          const compiled = compileExpressions(pick(g, ['ProjectionExpression', 'ExpressionAttributeNames']));
          const table = tables.get(g.TableName);
          const key = perItem(failures, i, () => encodeKeyParam(table, validateItem(g.Key)));
          if (key) {
            const id = `${table.id}/${key.pk.toString('hex')}/${key.sk.toString('hex')}`;
            if (seen.has(id)) throw new ValidationError('Transaction request cannot include multiple operations on one item');
            seen.add(id);
          }
          return { table, key: key!, projection: compiled.projection };
        });
        cancelForItems(failures, out.length);
        return out;
      });
      // One snapshot for every item.
      const found = await ctx.store.transaction(
        async (items) => {
          const out: (Item | undefined)[] = [];
          for (const g of gets) out.push(await readItem(items, g.table, g.key));
          return out;
        },
        { durable: false },
      );
      const capacity = new Map<TableInfo, number>();
      const responses = gets.map((g, i) => {
        const item = found[i];
        // Transactional reads cost two strongly consistent reads.
        capacity.set(g.table, (capacity.get(g.table) ?? 0) + 2 * readUnits(item ? itemSize(item) : 0, true));
        return item ? { Item: g.projection ? project(item, g.projection) : item } : {};
      });
      const list = [...capacity].map(([t, n]) => consumed(t, input.ReturnConsumedCapacity, n, 'read')).filter((c) => c !== undefined);
      return { Responses: responses, ...(list.length ? { ConsumedCapacity: list } : {}) };
    },

    async TransactWriteItems(input: Input, req: RequestContext) {
      const items = input.TransactItems as Input[];
      const token: string | undefined = input.ClientRequestToken;
      const fingerprint = token ? createHash('sha256').update(JSON.stringify(input.TransactItems)).digest('hex') : '';
      if (token) {
        const seen = ctx.tokens.get(`${req.accountId}/${token}`);
        if (seen && Date.now() - seen.at < 600_000) {
          if (seen.fingerprint !== fingerprint) throw Errors.idempotentMismatch();
          return seen.result;
        }
      }
      const tables = await ctx.lookup(
        req.accountId,
        req.region,
        (items ?? []).map((t) => (t.Put ?? t.Delete ?? t.Update ?? t.ConditionCheck)?.TableName),
      );
      const writes = validated(() => {
        if (items.length > 100) {
          throw new ValidationError(`1 validation error detected: Value '[${items.length} items]' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100`);
        }
        const seen = new Set<string>();
        const failures = new Map<number, string>();
        let bytes = 0;
        const out = items.map((t, i) => {
          const w = perItem(failures, i, () => {
            if (t.Put) return preparePut(tables, t.Put);
            if (t.Delete) return prepareKeyed(tables, t.Delete, 'Delete');
            if (t.Update) return prepareKeyed(tables, t.Update, 'Update');
            return prepareKeyed(tables, t.ConditionCheck, 'ConditionCheck');
          });
          if (w) {
            const id = `${w.table.id}/${w.key.pk.toString('hex')}/${w.key.sk.toString('hex')}`;
            if (seen.has(id)) throw new ValidationError('Transaction request cannot include multiple operations on one item');
            seen.add(id);
            bytes += itemSize(w.item ?? w.keyItem ?? {});
          }
          return { w: w!, returnOld: (t.Put ?? t.Delete ?? t.Update ?? t.ConditionCheck).ReturnValuesOnConditionCheckFailure === 'ALL_OLD' };
        });
        if (bytes > MAX_TRANSACTION_BYTES) throw new ValidationError('Transaction item size has exceeded the 4 MB limit');
        cancelForItems(failures, out.length);
        return out;
      });
      const units = await run(async (store) => {
        const reasons: { Code: string; Message?: string; Item?: Item }[] = [];
        const olds: (Item | undefined)[] = [];
        let failed = false;
        for (const { w, returnOld } of writes) {
          const old = await readItem(store, w.table, w.key);
          olds.push(old);
          if (w.compiled.condition && !evaluateCondition(w.compiled.condition, old ?? {})) {
            failed = true;
            reasons.push({ Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', ...(returnOld && old ? { Item: old } : {}) });
          } else reasons.push({ Code: 'None' });
        }
        if (failed) throw Errors.transactionCanceled(reasons);
        const out: { table: TableInfo; units: number }[] = [];
        for (const [i, { w }] of writes.entries()) {
          try {
            const { old, next } = await execute(
              store,
              w,
              () => {
                throw new Error('unreachable');
              },
              true,
              { old: olds[i] },
            );
            out.push({ table: w.table, units: 2 * writeUnits(old, next) });
          } catch (error) {
            // An update that cannot apply (wrong operand type, size) cancels the whole transaction.
            if (!(error instanceof ValidationError)) throw error;
            throw Errors.transactionCanceled(writes.map((_, j) => (j === i ? { Code: 'ValidationError', Message: error.message } : { Code: 'None' })));
          }
        }
        return out;
      });
      const capacity = new Map<TableInfo, number>();
      for (const u of units) capacity.set(u.table, (capacity.get(u.table) ?? 0) + u.units);
      const list = [...capacity].map(([t, n]) => consumed(t, input.ReturnConsumedCapacity, n, 'write')).filter((c) => c !== undefined);
      const result = list.length ? { ConsumedCapacity: list } : {};
      if (token) {
        ctx.tokens.set(`${req.accountId}/${token}`, { fingerprint, at: Date.now(), result });
        for (const [k, v] of ctx.tokens) if (Date.now() - v.at >= 600_000) ctx.tokens.delete(k);
      }
      return result;
    },
  };
}

/** The aggregate size of the items of one transaction (AWS: "cannot exceed 4 MB"). */
const MAX_TRANSACTION_BYTES = 4 * 1024 * 1024;

/**
 * Item-level faults of a transaction — a key that does not match the table's schema — cancel it
 * with a ValidationError reason on that item, where malformed input answers ValidationException.
 */
const ITEM_FAULT = /^(The provided key element does not match the schema|One or more parameter values were invalid: (Missing the key|Type mismatch for key))/;

function perItem<T>(failures: Map<number, string>, i: number, prepare: () => T): T | undefined {
  try {
    return prepare();
  } catch (error) {
    if (error instanceof ValidationError && ITEM_FAULT.test(error.message)) {
      failures.set(i, error.message);
      return undefined;
    }
    throw error;
  }
}

function cancelForItems(failures: Map<number, string>, count: number): void {
  if (failures.size === 0) return;
  const reasons = Array.from({ length: count }, (_, i) => {
    const message = failures.get(i);
    return message === undefined ? { Code: 'None' } : { Code: 'ValidationError', Message: message };
  });
  throw Errors.transactionCanceled(reasons);
}

export function optional<K extends string>(name: K, value: unknown): Partial<Record<K, unknown>> {
  return value === undefined ? {} : ({ [name]: value } as Record<K, unknown>);
}
