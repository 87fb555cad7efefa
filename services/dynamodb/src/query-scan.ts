// Query and Scan: key conditions turned into a range over encoded keys, rows read from the store in
// key order (in chunks sized by Limit), Limit and the 1 MB page limit applied to items read (before
// the filter), and LastEvaluatedKey / ExclusiveStartKey in DynamoDB's shape.
import { EncodedJson, type RequestContext } from '@atoll/core';
import { deserializeItem, typeOf, validateItem, ValidationError, type AttributeValue, type Item } from './attribute-value.js';
import type { DynamoDbContext } from './dynamodb-context.js';
import { prefixEnd, type RangeBound, type RowCursor } from './dynamodb-store.js';
import { Errors, toServiceError } from './errors.js';
import type { Condition, Operand } from './expression/ast.js';
import { evaluateCondition, project } from './expression/evaluate.js';
import { consumed, optional } from './item-operations.js';
import { encodeKeyTuple, encodeKeyTuplePrefix, encodeKeyValue } from './key-encoding.js';
import { compileExpressions, type Compiled, type ExpressionInput } from './request-expressions.js';
import { EMPTY, encodePart, readItem, readUnits } from './table-engine.js';
import { attrType, hashKeysOf, indexKeyNames, rangeKeysOf, type IndexInfo, type TableInfo } from './table-schema.js';

type Input = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const PAGE_BYTES = 1024 * 1024;
/** Rows per read when no Limit bounds the page: small first (most queries are short), then larger. */
const FIRST_CHUNK = 100;
const NEXT_CHUNK = 1000;

interface KeyPlan {
  hash: AttributeValue;
  range?: RangeBound;
}

const KCE = 'Invalid KeyConditionExpression: ';

function flatten(cond: Condition, out: Condition[]): void {
  if (cond.k === 'and') {
    flatten(cond.a, out);
    flatten(cond.b, out);
  } else out.push(cond);
}

function operatorName(c: Condition): string {
  switch (c.k) {
    case 'or':
      return 'OR';
    case 'not':
      return 'NOT';
    case 'in':
      return 'IN';
    case 'cmp':
      return c.op;
    case 'fn':
      return c.fn.name;
    default:
      return c.k.toUpperCase();
  }
}

function attrOf(op: Operand): string | undefined {
  return op.k === 'path' && op.path.length === 1 && typeof op.path[0] === 'string' ? op.path[0] : undefined;
}

function valueOf(op: Operand): AttributeValue | undefined {
  return op.k === 'value' ? op.value : undefined;
}

function conditionAttribute(c: Condition): string | undefined {
  if (c.k === 'cmp') return attrOf(c.a) ?? attrOf(c.b);
  if (c.k === 'between') return attrOf(c.a);
  if (c.k === 'fn') return c.fn.args[0] ? attrOf(c.fn.args[0]) : undefined;
  return undefined;
}

/** One condition of a key condition: the attribute, the operator and its values. */
interface KeyPart {
  name: string;
  op: RangeBound['op'];
  values: AttributeValue[];
}

/**
 * The conditions of a key condition on a multi-attribute GSI key: every partition attribute with
 * `=`, and sort attributes from the left, all but the last with `=`. AWS's wording for the refusals
 * specific to multi-attribute keys is not published: they answer DynamoDB's general
 * "Query key condition not supported".
 */
function planMultiKeys(cond: Condition, hashKeys: string[], rangeKeys: string[], types: (n: string) => string): { pk: Buffer; range?: RangeBound } {
  const parts: Condition[] = [];
  flatten(cond, parts);
  checkOperators(parts, false);
  const found = new Map<string, KeyPart>();
  const described = parts.map(describePart);
  for (const part of described) {
    if (!hashKeys.includes(part.name) && !rangeKeys.includes(part.name)) {
      const missing = hashKeys.find((h) => !described.some((d) => d.name === h));
      throw new ValidationError(missing ? `Query condition missed key schema element: ${missing}` : 'Query key condition not supported');
    }
    if (found.has(part.name)) throw new ValidationError(`${KCE}KeyConditionExpressions must only contain one condition per key`);
    found.set(part.name, part);
    for (const v of part.values) {
      if (typeOf(v) !== types(part.name)) throw new ValidationError('One or more parameter values were invalid: Condition parameter type does not match schema type');
    }
  }
  const hashValues: AttributeValue[] = [];
  for (const h of hashKeys) {
    const part = found.get(h);
    if (!part) throw new ValidationError(`Query condition missed key schema element: ${h}`);
    if (part.op !== '=') throw new ValidationError('Query key condition not supported');
    hashValues.push(part.values[0]!);
  }
  const pk = hashValues.length === 1 ? encodeKeyValue(hashValues[0]!) : encodeKeyTuple(hashValues);
  const used = rangeKeys.filter((r) => found.has(r));
  if (used.length === 0) return { pk };
  if (used.some((r, i) => rangeKeys[i] !== r)) throw new ValidationError('Query key condition not supported');
  if (used.slice(0, -1).some((r) => found.get(r)!.op !== '=')) throw new ValidationError('Query key condition not supported');
  const last = found.get(used[used.length - 1]!)!;
  if (last.op === 'begins_with' && types(last.name) === 'N') {
    throw new ValidationError(`${KCE}Incorrect operand type for operator or function; operator or function: begins_with, operand type: N`);
  }
  if (rangeKeys.length === 1) return { pk, range: singleBound(last) };
  const prefix = used.slice(0, -1).map((r) => found.get(r)!.values[0]!);
  const p = encodeKeyTuple(prefix);
  const upTo = (bytes: Buffer) => prefixEnd(bytes);
  const e = (v: AttributeValue) => encodeKeyTuple([...prefix, v]);
  const v = last.values[0]!;
  let range: RangeBound;
  switch (last.op) {
    case '=':
      range = { op: 'range', a: e(v), ...optionalBuffer(upTo(e(v))) };
      break;
    case '<':
      range = { op: 'range', a: p, b: e(v) };
      break;
    case '<=':
      range = { op: 'range', a: p, ...optionalBuffer(upTo(e(v))) };
      break;
    case '>':
      range = { op: 'range', a: upTo(e(v)) ?? e(v), ...optionalBuffer(p.length ? upTo(p) : undefined) };
      break;
    case '>=':
      range = { op: 'range', a: e(v), ...optionalBuffer(p.length ? upTo(p) : undefined) };
      break;
    case 'between': {
      const hi = last.values[1]!;
      if (Buffer.compare(encodeKeyValue(v), encodeKeyValue(hi)) > 0) {
        throw new ValidationError(`${KCE}Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound`);
      }
      range = { op: 'range', a: e(v), ...optionalBuffer(upTo(e(hi))) };
      break;
    }
    default: {
      const start = encodeKeyTuplePrefix(prefix, v);
      range = { op: 'range', a: start, ...optionalBuffer(upTo(start)) };
    }
  }
  return { pk, range };
}

function optionalBuffer(b: Buffer | undefined): { b?: Buffer } {
  return b ? { b } : {};
}

/** A sort key bound on a single sort attribute (a multi-attribute partition key's index). */
function singleBound(part: KeyPart): RangeBound {
  const bound: RangeBound = { op: part.op, a: encodeKeyValue(part.values[0]!) };
  if (part.values[1]) bound.b = encodeKeyValue(part.values[1]);
  if (bound.b && Buffer.compare(bound.a, bound.b) > 0) {
    throw new ValidationError(`${KCE}Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound`);
  }
  return bound;
}

function checkOperators(parts: Condition[], legacy: boolean): void {
  for (const p of parts) {
    if (p.k === 'or' || p.k === 'not' || p.k === 'in' || (p.k === 'cmp' && p.op === '<>') || (p.k === 'fn' && p.fn.name !== 'begins_with')) {
      throw new ValidationError(legacy ? `Unsupported operator on KeyCondition: ${operatorName(p)}` : `${KCE}Invalid operator used in KeyConditionExpression: ${operatorName(p)}`);
    }
  }
}

/** The attribute, operator and values of one key condition (DynamoDB's messages for malformed ones). */
function describePart(p: Condition): KeyPart {
  if (p.k === 'cmp') {
    let op = p.op;
    let name = attrOf(p.a);
    let v = valueOf(p.b);
    if (name === undefined) {
      name = attrOf(p.b);
      v = valueOf(p.a);
      const flip: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=' };
      op = flip[op] as typeof op;
    }
    if (name === undefined || v === undefined) throw new ValidationError(`${KCE}Invalid condition in KeyConditionExpression: ${p.op} operator must have exactly one key attribute and one value`);
    return { name, op: op as RangeBound['op'], values: [v] };
  }
  if (p.k === 'between') {
    const name = attrOf(p.a);
    const lo = valueOf(p.lo);
    const hi = valueOf(p.hi);
    if (!name || !lo || !hi) throw new ValidationError(`${KCE}Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand`);
    return { name, op: 'between', values: [lo, hi] };
  }
  if (p.k === 'fn') {
    const name = attrOf(p.fn.args[0]!);
    const v = valueOf(p.fn.args[1]!);
    if (!name || !v) throw new ValidationError(`${KCE}Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand`);
    return { name, op: 'begins_with', values: [v] };
  }
  throw new ValidationError('Query key condition not supported');
}

/** Turns a key condition into the partition value and a sort key range, with DynamoDB's messages. */
function planKeys(cond: Condition, hashKey: string, rangeKey: string | undefined, types: (n: string) => string, legacy: boolean): KeyPlan {
  const parts: Condition[] = [];
  flatten(cond, parts);
  for (const p of parts) {
    if (p.k === 'or' || p.k === 'not' || p.k === 'in' || (p.k === 'cmp' && p.op === '<>') || (p.k === 'fn' && p.fn.name !== 'begins_with')) {
      throw new ValidationError(legacy ? `Unsupported operator on KeyCondition: ${operatorName(p)}` : `${KCE}Invalid operator used in KeyConditionExpression: ${operatorName(p)}`);
    }
  }
  if (parts.length > 2) throw new ValidationError(legacy ? 'Conditions can be of length 1 or 2 only' : `${KCE}KeyConditionExpressions must only contain one condition per key`);
  let hash: AttributeValue | undefined;
  let range: RangeBound | undefined;
  const seen = new Set<string>();
  for (const p of parts) {
    let name: string | undefined;
    let bound: RangeBound | undefined;
    let values: AttributeValue[] = [];
    if (p.k === 'cmp') {
      let op = p.op;
      name = attrOf(p.a);
      let v = valueOf(p.b);
      if (name === undefined) {
        name = attrOf(p.b);
        v = valueOf(p.a);
        const flip: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=' };
        op = flip[op] as typeof op;
      }
      if (name === undefined || v === undefined) throw new ValidationError(`${KCE}Invalid condition in KeyConditionExpression: ${p.op} operator must have exactly one key attribute and one value`);
      values = [v];
      bound = { op: op as RangeBound['op'], a: EMPTY };
    } else if (p.k === 'between') {
      name = attrOf(p.a);
      const lo = valueOf(p.lo);
      const hi = valueOf(p.hi);
      if (!name || !lo || !hi) throw new ValidationError(`${KCE}Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand`);
      values = [lo, hi];
      bound = { op: 'between', a: EMPTY };
    } else if (p.k === 'fn') {
      name = attrOf(p.fn.args[0]!);
      const v = valueOf(p.fn.args[1]!);
      if (!name || !v) throw new ValidationError(`${KCE}Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand`);
      values = [v];
      bound = { op: 'begins_with', a: EMPTY };
    }
    if (!name || !bound) throw new ValidationError('Query key condition not supported');
    if (name !== hashKey && name !== rangeKey) {
      // A condition on a non-key attribute: DynamoDB names the missing partition key if there is none.
      const hasHash = parts.some((q) => q !== p && conditionAttribute(q) === hashKey);
      throw new ValidationError(hasHash ? 'Query key condition not supported' : `Query condition missed key schema element: ${hashKey}`);
    }
    if (seen.has(name)) throw new ValidationError(`${KCE}KeyConditionExpressions must only contain one condition per key`);
    seen.add(name);
    for (const v of values) {
      if (typeOf(v) !== types(name)) throw new ValidationError('One or more parameter values were invalid: Condition parameter type does not match schema type');
    }
    if (name === hashKey) {
      if (bound.op !== '=') throw new ValidationError('Query key condition not supported');
      hash = values[0];
    } else {
      if (bound.op === 'begins_with' && types(name) === 'N') {
        throw new ValidationError(`${KCE}Incorrect operand type for operator or function; operator or function: begins_with, operand type: N`);
      }
      bound.a = encodeKeyValue(values[0]!);
      if (values[1]) {
        bound.b = encodeKeyValue(values[1]);
        if (Buffer.compare(bound.a, bound.b) > 0) {
          throw new ValidationError(`${KCE}Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound`);
        }
      }
      range = bound;
    }
  }
  if (!hash) throw new ValidationError(`Query condition missed key schema element: ${hashKey}`);
  return { hash, ...(range ? { range } : {}) };
}

interface Source {
  table: TableInfo;
  index?: IndexInfo;
  hashKey: string;
  rangeKey?: string;
  /** Set for a GSI with a multi-attribute partition or sort key. */
  multi?: { hashKeys: string[]; rangeKeys: string[] };
}

function source(found: TableInfo | undefined, input: Input): Source {
  if (!found) throw Errors.notFound();
  const table = found;
  if (input.IndexName === undefined) return { table, hashKey: table.hashKey, ...(table.rangeKey ? { rangeKey: table.rangeKey } : {}) };
  const index = table.indexes.find((i) => i.name === input.IndexName);
  if (!index) throw new ValidationError(`The table does not have the specified index: ${input.IndexName}`);
  if (index.kind === 'GSI' && input.ConsistentRead) throw new ValidationError('Consistent reads are not supported on global secondary indexes');
  const hashKeys = hashKeysOf(index);
  const rangeKeys = rangeKeysOf(index);
  const multi = hashKeys.length > 1 || rangeKeys.length > 1 ? { multi: { hashKeys, rangeKeys } } : {};
  return { table, index, hashKey: index.hashKey, ...(index.rangeKey ? { rangeKey: index.rangeKey } : {}), ...multi };
}

/** Validates ExclusiveStartKey and decodes it to the position after which to resume. */
function startKey(src: Source, esk: Item | undefined): { pk: Buffer; sk: Buffer; tpk?: Buffer; tsk?: Buffer } | undefined {
  if (!esk) return undefined;
  let key: Item;
  try {
    key = validateItem(esk);
  } catch (error) {
    // DynamoDB prefixes some value errors of the starting key, and not others.
    const m = error instanceof ValidationError ? error.message : '';
    if (/^Supplied AttributeValue|^One or more parameter values were invalid: (Null attribute|An string set|Binary sets)/.test(m)) {
      throw new ValidationError(`The provided starting key is invalid: ${m}`);
    }
    throw error;
  }
  const { table, index } = src;
  const needed = new Set([table.hashKey, ...(table.rangeKey ? [table.rangeKey] : [])]);
  if (index) for (const name of indexKeyNames(index)) needed.add(name);
  const names = Object.keys(key);
  if (names.length !== needed.size || names.some((n) => !needed.has(n) || typeOf(key[n]!) !== attrType(table, n))) {
    throw new ValidationError('The provided starting key is invalid: The provided key element does not match the schema');
  }
  const enc = (n: string | undefined) => (n ? encodeKeyValue(key[n]!) : EMPTY);
  const tpk = enc(table.hashKey);
  const tsk = enc(table.rangeKey);
  if (!index) return { pk: tpk, sk: tsk };
  return { pk: encodePart(hashKeysOf(index), key)!, sk: encodePart(rangeKeysOf(index), key) ?? EMPTY, tpk, tsk };
}

function compileFor(input: Input, names: string[]): Compiled {
  const pickIt: Input = {};
  for (const n of names) if (input[n] !== undefined) pickIt[n] = input[n];
  return compileExpressions(pickIt as ExpressionInput);
}

function checkSelect(input: Input, compiled: Compiled, src: Source): void {
  const select = input.Select;
  if (select === 'SPECIFIC_ATTRIBUTES' && !compiled.projection) {
    throw new ValidationError('One or more parameter values were invalid: Must specify a ProjectionExpression or AttributesToGet when choosing to get SPECIFIC_ATTRIBUTES');
  }
  if (select && select !== 'SPECIFIC_ATTRIBUTES' && compiled.projection) {
    const param = input.ProjectionExpression !== undefined ? 'ProjectionExpression' : 'AttributesToGet';
    throw new ValidationError(`One or more parameter values were invalid: Cannot specify the ${param} when choosing to get ${select}`);
  }
  if (select === 'ALL_PROJECTED_ATTRIBUTES' && !src.index) {
    throw new ValidationError('One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is not supported for table queries');
  }
  if (select === 'ALL_ATTRIBUTES' && src.index?.kind === 'GSI' && src.index.projection.ProjectionType !== 'ALL') {
    throw new ValidationError(
      `One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index ${src.index.name} because its projection type is not ALL`,
    );
  }
}

function lastKey(src: Source, item: Item): Item {
  const out: Item = { [src.table.hashKey]: item[src.table.hashKey]! };
  if (src.table.rangeKey) out[src.table.rangeKey] = item[src.table.rangeKey]!;
  if (src.index) for (const name of indexKeyNames(src.index)) out[name] = item[name]!;
  return out;
}

async function page(ctx: DynamoDbContext, src: Source, rows: RowCursor, input: Input, compiled: Compiled): Promise<Record<string, unknown>> {
  const limit: number | undefined = input.Limit;
  const count = input.Select === 'COUNT';
  const fetchFromTable = src.index?.kind === 'LSI' && src.index.projection.ProjectionType !== 'ALL' && (input.Select === 'ALL_ATTRIBUTES' || compiled.projection !== undefined);
  // Without a projection the stored text is the item as the response carries it: it is decoded only
  // when a filter must look at it, and sent as it is.
  const verbatim = !fetchFromTable && !compiled.projection;
  const decodeEach = compiled.filter !== undefined || (!count && !verbatim);
  const items: (Item | EncodedJson)[] = [];
  let scanned = 0;
  let matched = 0;
  let bytes = 0;
  let lastRow: { item: string } | undefined;
  let lastItem: Item | undefined;
  let more = false;
  let chunkSize = FIRST_CHUNK;
  read: for (;;) {
    // Once Limit rows are read the page is over (LastEvaluatedKey is set below); past 1 MB, one more
    // row tells whether there is more.
    if (limit !== undefined && scanned >= limit) break;
    const want = bytes >= PAGE_BYTES ? 1 : limit !== undefined ? Math.min(limit - scanned, NEXT_CHUNK) : chunkSize;
    const chunk = await rows.next(want);
    if (chunk.length === 0) break;
    chunkSize = NEXT_CHUNK;
    for (const row of chunk) {
      if ((limit !== undefined && scanned >= limit) || bytes >= PAGE_BYTES) {
        more = true;
        break read;
      }
      scanned++;
      bytes += row.size;
      lastRow = row;
      lastItem = undefined;
      if (decodeEach) {
        lastItem = deserializeItem(row.item);
        if (fetchFromTable) lastItem = (await readItem(ctx.store.items, src.table, { pk: row.pk, sk: row.sk })) ?? lastItem;
        if (compiled.filter && !evaluateCondition(compiled.filter, lastItem)) continue;
      }
      matched++;
      if (!count) items.push(verbatim ? new EncodedJson(row.item) : compiled.projection ? project(lastItem!, compiled.projection) : lastItem!);
    }
  }
  const last = lastRow && (lastItem ?? deserializeItem(lastRow.item));
  if (!more && limit !== undefined && scanned === limit && last) more = true;
  const consistent = input.ConsistentRead === true;
  return {
    ...(count ? {} : { Items: items }),
    Count: matched,
    ScannedCount: scanned,
    ...(more && last ? { LastEvaluatedKey: lastKey(src, last) } : {}),
    ...optional('ConsumedCapacity', consumed(src.table, input.ReturnConsumedCapacity, readUnits(bytes, consistent), 'read')),
  };
}

const QUERY_PARAMS = [
  'KeyConditionExpression',
  'FilterExpression',
  'ProjectionExpression',
  'ExpressionAttributeNames',
  'ExpressionAttributeValues',
  'KeyConditions',
  'QueryFilter',
  'ConditionalOperator',
  'AttributesToGet',
];

/** Runs `fn`, turning engine ValidationErrors (thrown at once or later) into ValidationException. */
async function validatedAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toServiceError(error);
  }
}

export function createQueryOperations(ctx: DynamoDbContext) {
  return {
    async Query(input: Input, req: RequestContext) {
      let found = ctx.find(req.accountId, req.region, input.TableName);
      if (found instanceof Promise) found = await found;
      const table = found;
      return validatedAsync(async () => {
        const compiled = compileFor(input, QUERY_PARAMS);
        if (!compiled.keyCondition) throw new ValidationError('Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.');
        const src = source(table, input);
        checkSelect(input, compiled, src);
        const types = (n: string) => attrType(src.table, n);
        const plan = src.multi
          ? planMultiKeys(compiled.keyCondition, src.multi.hashKeys, src.multi.rangeKeys, types)
          : (({ hash, range }: KeyPlan) => ({ pk: encodeKeyValue(hash), ...(range ? { range } : {}) }))(
              planKeys(compiled.keyCondition, src.hashKey, src.rangeKey, types, input.KeyConditions !== undefined),
            );
        const pk = plan.pk;
        const start = startKey(src, input.ExclusiveStartKey);
        if (start && !start.pk.equals(pk)) throw new ValidationError('The provided starting key is outside query boundaries based on provided conditions');
        const forward = input.ScanIndexForward !== false;
        const rows = ctx.store.items.queryPartition(
          src.table.id,
          src.index?.name,
          pk,
          plan.range,
          forward,
          start ? { sk: start.sk, ...(src.index ? { tpk: start.tpk!, tsk: start.tsk! } : {}) } : undefined,
        );
        return page(ctx, src, rows, input, compiled);
      });
    },

    async Scan(input: Input, req: RequestContext) {
      let found = ctx.find(req.accountId, req.region, input.TableName);
      if (found instanceof Promise) found = await found;
      const table = found;
      return validatedAsync(async () => {
        const total: number | undefined = input.TotalSegments;
        const segment: number | undefined = input.Segment;
        if (total !== undefined && segment === undefined) {
          throw new ValidationError('The Segment parameter is required but was not present in the request when parameter TotalSegments is present');
        }
        if (segment !== undefined && total === undefined) {
          throw new ValidationError('The TotalSegments parameter is required but was not present in the request when Segment parameter is present');
        }
        if (segment !== undefined && total !== undefined && segment >= total) {
          throw new ValidationError(`The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: ${segment} is not less than TotalSegments: ${total}`);
        }
        const compiled = compileFor(input, ['FilterExpression', 'ProjectionExpression', 'ExpressionAttributeNames', 'ExpressionAttributeValues', 'ScanFilter', 'ConditionalOperator', 'AttributesToGet']);
        const src = source(table, input);
        checkSelect(input, compiled, src);
        const start = startKey(src, input.ExclusiveStartKey);
        const range =
          total !== undefined && segment !== undefined
            ? { lo: Math.ceil((segment * 2 ** 32) / total), hi: Math.ceil(((segment + 1) * 2 ** 32) / total) }
            : undefined;
        const rows = ctx.store.items.scan(src.table.id, src.index?.name, range, start);
        return page(ctx, src, rows, input, compiled);
      });
    },
  };
}
