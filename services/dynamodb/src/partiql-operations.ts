// ExecuteStatement, BatchExecuteStatement and ExecuteTransaction: PartiQL statements mapped onto
// the item operations (so conditions, streams and indexes behave the same) and onto Query/Scan.
import type { RequestContext } from '@atoll/core';
import { deserializeItem, ValidationError, type Item } from './attribute-value.js';
import { required, type DynamoDbContext } from './dynamodb-context.js';
import type { ItemAccess } from './dynamodb-store.js';
import { Errors, ServiceError, toServiceError, validated } from './errors.js';
import { evaluateCondition, project } from './expression/evaluate.js';
import type { createItemOperations } from './item-operations.js';
import { encodeKeyValue } from './key-encoding.js';
import { equalities, parseStatement, type Statement } from './partiql.js';
import { EMPTY, readItem, writeItem, checkIndexKeys, checkItemSize, encodeItemKey, indexKey } from './table-engine.js';
import { applyUpdate } from './expression/evaluate.js';
import type { TableInfo } from './table-schema.js';

type Input = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type ItemOps = ReturnType<typeof createItemOperations>;

function keyFromWhere(table: TableInfo, st: Statement & { where?: unknown }): Item {
  const eq = equalities((st as { where?: Parameters<typeof equalities>[0] }).where);
  const key: Item = {};
  for (const name of [table.hashKey, table.rangeKey]) {
    if (!name) continue;
    const v = eq.get(name);
    if (!v) throw new ValidationError('Where clause does not contain a mandatory equality on all key attributes');
    key[name] = v;
  }
  return key;
}

export function createPartiqlOperations(ctx: DynamoDbContext, _items: ItemOps) {
  /** Runs one write statement inside the caller's transaction (ValidationErrors become ValidationException). */
  async function writeStatement(items: ItemAccess, table: TableInfo, st: Statement): Promise<void> {
    if (st.kind === 'INSERT') {
      const key = validated(() => {
        const key = encodeItemKey(table, st.item);
        checkItemSize(st.item);
        return key;
      });
      const old = await readItem(items, table, key);
      if (old) throw new ServiceError({ code: 'DuplicateItemException', status: 400, senderFault: true }, 'Duplicate primary key exists in table');
      await writeItem(items, table, key, undefined, st.item);
      return;
    }
    if (st.kind === 'UPDATE' || st.kind === 'DELETE') {
      const key = validated(() => encodeItemKey(table, keyFromWhere(table, st)));
      const old = await readItem(items, table, key);
      if (st.kind === 'UPDATE') {
        if (!old || (st.where && !evaluateCondition(st.where, old))) throw Errors.conditionalCheckFailed();
        const next = validated(() => {
          const next = applyUpdate(st.actions, old);
          checkIndexKeys(table, next);
          checkItemSize(next, true);
          return next;
        });
        await writeItem(items, table, key, old, next);
      } else {
        if (old && st.where && validated(() => !evaluateCondition(st.where!, old))) throw Errors.conditionalCheckFailed();
        if (old) await writeItem(items, table, key, old, undefined);
      }
    }
  }

  async function select(req: RequestContext, st: Statement & { kind: 'SELECT' }, limit: number | undefined, nextToken: string | undefined) {
    const table = required(await ctx.find(req.accountId, req.region, st.table));
    const index = st.index ? table.indexes.find((i) => i.name === st.index) : undefined;
    if (st.index && !index) throw Errors.validation(`The table does not have the specified index: ${st.index}`);
    const hashKey = index ? index.hashKey : table.hashKey;
    const hash = equalities(st.where).get(hashKey);
    const start = nextToken ? (JSON.parse(Buffer.from(nextToken, 'base64').toString()) as { pk: string; sk: string; tpk?: string; tsk?: string }) : undefined;
    const buf = (s: string | undefined) => Buffer.from(s ?? '', 'hex');
    const rows = hash
      ? ctx.store.items.queryPartition(table.id, index?.name, encodeKeyValue(hash), undefined, true, start ? { sk: buf(start.sk), tpk: buf(start.tpk), tsk: buf(start.tsk) } : undefined)
      : ctx.store.items.scan(table.id, index?.name, undefined, start ? { pk: buf(start.pk), sk: buf(start.sk), tpk: buf(start.tpk), tsk: buf(start.tsk) } : undefined);
    const items: Item[] = [];
    let scanned = 0;
    let bytes = 0;
    let last: { pk: Buffer; sk: Buffer; item: Item } | undefined;
    let more = false;
    read: for (;;) {
      if (limit !== undefined && scanned >= limit) break;
      const chunk = await rows.next(bytes >= 1024 * 1024 ? 1 : Math.min(limit !== undefined ? limit - scanned : 1000, 1000));
      if (chunk.length === 0) break;
      for (const row of chunk) {
        if ((limit !== undefined && scanned >= limit) || bytes >= 1024 * 1024) {
          more = true;
          break read;
        }
        scanned++;
        bytes += row.size;
        const item = deserializeItem(row.item);
        last = { pk: row.pk, sk: row.sk, item };
        if (st.where && !evaluateCondition(st.where, item)) continue;
        items.push(st.projection ? project(item, st.projection) : item);
      }
    }
    let token: string | undefined;
    if (more && last) {
      const at = index ? indexKey(index, last.item) : undefined;
      const pos = at
        ? {
            pk: at.pk.toString('hex'),
            sk: at.sk.toString('hex'),
            tpk: encodeKeyValue(last.item[table.hashKey]!).toString('hex'),
            tsk: table.rangeKey ? encodeKeyValue(last.item[table.rangeKey]!).toString('hex') : EMPTY.toString('hex'),
          }
        : { pk: last.pk.toString('hex'), sk: last.sk.toString('hex') };
      token = Buffer.from(JSON.stringify(pos)).toString('base64');
    }
    return { Items: items, ...(token ? { NextToken: token } : {}) };
  }

  async function execute(input: Input, req: RequestContext): Promise<Record<string, unknown>> {
    const st = validated(() => parseStatement(input.Statement, input.Parameters ?? []));
    if (st.kind === 'SELECT') {
      try {
        return await select(req, st, input.Limit, input.NextToken);
      } catch (error) {
        throw toServiceError(error);
      }
    }
    const table = required(await ctx.find(req.accountId, req.region, st.table));
    await ctx.store.transaction((items) => writeStatement(items, table, st)).catch((error: unknown) => {
      throw toServiceError(error);
    });
    return { Items: [] };
  }

  return {
    ExecuteStatement: execute,

    async BatchExecuteStatement(input: Input, req: RequestContext) {
      const statements = input.Statements as Input[];
      if (statements.length > 25) throw Errors.validation('Member must have length less than or equal to 25');
      const responses: Record<string, unknown>[] = [];
      for (const s of statements) {
        try {
          const out = await execute({ Statement: s.Statement, Parameters: s.Parameters }, req);
          const items = out.Items as Item[];
          responses.push(items.length > 0 ? { Item: items[0] } : {});
        } catch (error) {
          if (error instanceof ServiceError) {
            const code = error.code === 'ConditionalCheckFailedException' ? 'ConditionalCheckFailed' : error.code === 'DuplicateItemException' ? 'DuplicateItem' : error.code === 'ValidationException' ? 'ValidationError' : error.code === 'ResourceNotFoundException' ? 'ResourceNotFound' : 'InternalServerError';
            responses.push({ Error: { Code: code, Message: error.message } });
          } else throw error;
        }
      }
      return { Responses: responses };
    },

    async ExecuteTransaction(input: Input, req: RequestContext) {
      const parsed = (input.TransactStatements as Input[]).map((s) => validated(() => parseStatement(s.Statement, s.Parameters ?? [])));
      const tables = await ctx.lookup(
        req.accountId,
        req.region,
        parsed.map((st) => st.table),
      );
      const statements = parsed.map((st) => ({ st, table: tables.get(st.table) }));
      if (statements.some((s) => s.st.kind === 'SELECT') && statements.some((s) => s.st.kind !== 'SELECT')) {
        throw Errors.validation('Transaction must contain either all reads or all writes');
      }
      if (statements.every((s) => s.st.kind === 'SELECT')) {
        const keys = statements.map(({ st, table }) => {
          const key = validated(() => keyFromWhere(table, st));
          return { pk: encodeKeyValue(key[table.hashKey]!), sk: table.rangeKey ? encodeKeyValue(key[table.rangeKey]!) : EMPTY };
        });
        // One snapshot for every item.
        const found = await ctx.store.transaction(
          async (items) => {
            const out: (Item | undefined)[] = [];
            for (const [i, { table }] of statements.entries()) out.push(await readItem(items, table, keys[i]!));
            return out;
          },
          { durable: false },
        );
        return {
          Responses: statements.map(({ st }, i) => {
            const item = found[i];
            const p = (st as { projection?: Parameters<typeof project>[1] }).projection;
            return item ? { Item: p ? project(item, p) : item } : {};
          }),
        };
      }
      // All or nothing: a failed condition anywhere cancels the transaction and rolls back every write.
      await ctx.store.transaction(async (items) => {
        const reasons: { Code: string; Message?: string }[] = [];
        let failed = false;
        for (const { st, table } of statements) {
          try {
            await writeStatement(items, table, st);
            reasons.push({ Code: 'None' });
          } catch (error) {
            if (error instanceof ServiceError && (error.code === 'ConditionalCheckFailedException' || error.code === 'DuplicateItemException')) {
              failed = true;
              reasons.push({ Code: error.code === 'DuplicateItemException' ? 'DuplicateItem' : 'ConditionalCheckFailed', Message: error.message });
            } else throw error;
          }
        }
        if (failed) throw Errors.transactionCanceled(reasons);
      }).catch((error: unknown) => {
        throw toServiceError(error);
      });
      return { Responses: statements.map(() => ({})) };
    },
  };
}
