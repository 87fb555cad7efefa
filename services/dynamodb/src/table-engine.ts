// The item engine of one table: key validation and encoding, index entries and stream records
// written in the same transaction as the item, capacity units, and reading items back.
import { randomUUID } from 'node:crypto';
import {
  deserializeItem,
  itemSize,
  MAX_ITEM_SIZE,
  serializeItem,
  typeOf,
  ValidationError,
  type AttributeValue,
  type Item,
} from './attribute-value.js';
import type { ItemAccess } from './dynamodb-store.js';
import { encodeKeyTuple, encodeKeyValue } from './key-encoding.js';
import { attrType, hashKeysOf, indexKeyNames, rangeKeysOf, type IndexInfo, type TableInfo } from './table-schema.js';

export const EMPTY: Buffer = Buffer.alloc(0);
export const KEY_MISMATCH = 'The provided key element does not match the schema';

export interface EncodedKey {
  pk: Buffer;
  sk: Buffer;
}

function checkKeySize(value: AttributeValue, isHash: boolean): void {
  let length = 0;
  if ('S' in value) length = Buffer.byteLength(value.S, 'utf8');
  else if ('B' in value) length = value.B.length;
  if (isHash && length > 2048) throw new ValidationError('One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes');
  if (!isHash && length > 1024) {
    throw new ValidationError('One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes');
  }
}

function checkEmptyKey(name: string, value: AttributeValue): void {
  if ('S' in value && value.S === '') {
    throw new ValidationError(`One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: ${name}`);
  }
  if ('B' in value && value.B.length === 0) {
    throw new ValidationError(`One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: ${name}`);
  }
}

/** Validates a `Key` parameter (exactly the key attributes, of the right types) and encodes it. */
export function encodeKeyParam(table: TableInfo, key: Item): EncodedKey {
  const names = Object.keys(key);
  const expected = table.rangeKey ? 2 : 1;
  if (names.length !== expected) throw new ValidationError(KEY_MISMATCH);
  const hash = key[table.hashKey];
  if (!hash || typeOf(hash) !== attrType(table, table.hashKey)) throw new ValidationError(KEY_MISMATCH);
  checkEmptyKey(table.hashKey, hash);
  checkKeySize(hash, true);
  let sk: Buffer = EMPTY;
  if (table.rangeKey) {
    const range = key[table.rangeKey];
    if (!range || typeOf(range) !== attrType(table, table.rangeKey)) throw new ValidationError(KEY_MISMATCH);
    checkEmptyKey(table.rangeKey, range);
    checkKeySize(range, false);
    sk = encodeKeyValue(range);
  }
  return { pk: encodeKeyValue(hash), sk };
}

/** Validates the key and index-key attributes of a whole item (PutItem) and encodes its key. */
export function encodeItemKey(table: TableInfo, item: Item): EncodedKey {
  for (const name of [table.hashKey, table.rangeKey]) {
    if (!name) continue;
    const value = item[name];
    if (!value) throw new ValidationError(`One or more parameter values were invalid: Missing the key ${name} in the item`);
    const expected = attrType(table, name);
    if (typeOf(value) !== expected) {
      throw new ValidationError(`One or more parameter values were invalid: Type mismatch for key ${name} expected: ${expected} actual: ${typeOf(value)}`);
    }
    checkEmptyKey(name, value);
    checkKeySize(value, name === table.hashKey);
  }
  checkIndexKeys(table, item);
  return {
    pk: encodeKeyValue(item[table.hashKey]!),
    sk: table.rangeKey ? encodeKeyValue(item[table.rangeKey]!) : EMPTY,
  };
}

export function checkIndexKeys(table: TableInfo, item: Item): void {
  for (const index of table.indexes) {
    for (const name of indexKeyNames(index)) {
      const value = item[name];
      if (!value) continue;
      const expected = attrType(table, name);
      if (typeOf(value) !== expected) {
        throw new ValidationError(
          `One or more parameter values were invalid: Type mismatch for Index Key ${name} Expected: ${expected} Actual: ${typeOf(value)} IndexName: ${index.name}`,
        );
      }
      if (('S' in value && value.S === '') || ('B' in value && value.B.length === 0)) {
        throw new ValidationError(
          `One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty ${'S' in value ? 'string' : 'binary'} value. IndexName: ${index.name}, IndexKey: ${name}`,
        );
      }
    }
  }
}

export function checkItemSize(item: Item, update = false): number {
  const size = itemSize(item);
  if (size > MAX_ITEM_SIZE) {
    throw new ValidationError(update ? 'Item size to update has exceeded the maximum allowed size' : 'Item size has exceeded the maximum allowed size');
  }
  return size;
}

/** The key attributes of an item (of the table, plus those of `index` when given). */
export function keyOf(table: TableInfo, item: Item, index?: IndexInfo): Item {
  const out: Item = { [table.hashKey]: item[table.hashKey]! };
  if (table.rangeKey) out[table.rangeKey] = item[table.rangeKey]!;
  if (index) for (const name of indexKeyNames(index)) out[name] = item[name]!;
  return out;
}

export function projectForIndex(table: TableInfo, index: IndexInfo, item: Item): Item {
  const type = index.projection.ProjectionType ?? 'ALL';
  if (type === 'ALL') return item;
  const out = keyOf(table, item, index);
  if (type === 'INCLUDE') for (const name of index.projection.NonKeyAttributes ?? []) if (item[name]) out[name] = item[name]!;
  return out;
}

/**
 * An item's key in an index, or undefined when the item lacks one of the index's key attributes (it
 * is then not in the index). A part of one attribute is that value's encoding; a multi-attribute
 * part (GSI) is the tuple's.
 */
export function indexKey(index: IndexInfo, item: Item): EncodedKey | undefined {
  if (!complete(index, item)) return undefined;
  return { pk: encodePart(hashKeysOf(index), item)!, sk: encodePart(rangeKeysOf(index), item) ?? EMPTY };
}

function complete(index: IndexInfo, item: Item): boolean {
  for (const name of indexKeyNames(index)) if (!item[name]) return false;
  return true;
}

/** The encoding of one part of a key (its partition or sort attributes), from an item or key. */
export function encodePart(names: string[], item: Item): Buffer | undefined {
  if (names.length === 0) return undefined;
  if (names.length === 1) return encodeKeyValue(item[names[0]!]!);
  return encodeKeyTuple(names.map((n) => item[n]!));
}

export interface WriteOptions {
  /** Set for TTL deletions: the stream record names DynamoDB's service principal. */
  serviceDeletion?: boolean;
  /** The old item was not read (a blind put on a table without indexes or stream). */
  replace?: boolean;
}

/**
 * Writes (or deletes, when `next` is undefined) one item with its index entries and stream record,
 * inside the caller's transaction.
 */
export async function writeItem(
  store: ItemAccess,
  table: TableInfo,
  key: EncodedKey,
  old: Item | undefined,
  next: Item | undefined,
  options: WriteOptions = {},
): Promise<void> {
  let size = 0;
  let text: string | undefined;
  if (next) {
    size = itemSize(next);
    text = serializeItem(next);
    await store.putItem(table.id, key.pk, key.sk, size, text);
  } else if (old) await store.deleteItem(table.id, key.pk, key.sk);
  for (const index of table.indexes) {
    if (index.status === 'DELETING') continue;
    const before = old ? indexKey(index, old) : undefined;
    const after = next ? indexKey(index, next) : undefined;
    if (before && (!after || !before.pk.equals(after.pk) || !before.sk.equals(after.sk))) {
      await store.deleteIndexEntry(table.id, index.name, before.pk, before.sk, key.pk, key.sk);
    }
    if (after && next) {
      const projected = projectForIndex(table, index, next);
      await store.putIndexEntry(table.id, index.name, after.pk, after.sk, key.pk, key.sk, itemSize(projected), serializeItem(projected));
    }
  }
  if (table.pitr?.enabled && (old || next)) {
    await store.appendHistory(table.id, key.pk, key.sk, old ? { size: itemSize(old), text: serializeItem(old) } : undefined);
  }
  // DynamoDB writes a stream record only when the item actually changed.
  const unchanged = old !== undefined && text !== undefined && serializeItem(old) === text;
  if (table.stream?.enabled && (old || next) && !unchanged) {
    const view = table.stream.viewType;
    const keys = keyOf(table, (next ?? old)!);
    const record: Record<string, unknown> = {
      eventID: randomUUID().replace(/-/g, ''),
      eventName: !old ? 'INSERT' : !next ? 'REMOVE' : 'MODIFY',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: table.region,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
        Keys: JSON.parse(serializeItem(keys)),
        ...((view === 'NEW_IMAGE' || view === 'NEW_AND_OLD_IMAGES') && next ? { NewImage: JSON.parse(serializeItem(next)) } : {}),
        ...((view === 'OLD_IMAGE' || view === 'NEW_AND_OLD_IMAGES') && old ? { OldImage: JSON.parse(serializeItem(old)) } : {}),
        SizeBytes: itemSize(keys) + (next ? size : 0) + (old ? itemSize(old) : 0),
        StreamViewType: view,
      },
      ...(options.serviceDeletion ? { userIdentity: { Type: 'Service', PrincipalId: 'dynamodb.amazonaws.com' } } : {}),
    };
    await store.appendStreamRecord(table.id, table.stream.label, JSON.stringify(record));
  }
}

export async function readItem(store: ItemAccess, table: TableInfo, key: EncodedKey): Promise<Item | undefined> {
  const row = await store.getItemRow(table.id, key.pk, key.sk);
  return row === undefined ? undefined : deserializeItem(row.item);
}

/** Write capacity units for one write: 1 per KB (rounded up) of the larger of the old and new item. */
export function writeUnits(old: Item | undefined, next: Item | undefined): number {
  const size = Math.max(old ? itemSize(old) : 0, next ? itemSize(next) : 0);
  return Math.max(1, Math.ceil(size / 1024));
}

/** Read capacity units: 4 KB per unit, halved for eventually consistent reads. */
export function readUnits(bytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(bytes / 4096));
  return consistent ? units : units / 2;
}
