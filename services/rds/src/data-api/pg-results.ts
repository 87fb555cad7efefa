// PostgreSQL result sets in the Data API's shapes: Field unions (ExecuteStatement), Value unions
// (ExecuteSql), column metadata with JDBC type codes, and the JSON string of formatRecordsAs JSON.
// Values arrive as the engine's text output (no client-side parsing), so nothing is lost in between.
import type { ArrayValue, ColumnMetadata, Field, ResultSetOptions, Value } from '@atoll/aws-models/rdsdata';

/** One column as the driver describes it (pg's FieldDef). */
export interface PgColumn {
  name: string;
  dataTypeID: number;
  tableID?: number;
  dataTypeModifier?: number;
}

type Kind = 'bool' | 'int' | 'int8' | 'real' | 'double' | 'numeric' | 'bytea' | 'string';

interface TypeInfo {
  name: string;
  jdbc: number;
  kind: Kind;
  /** Array types: their element's OID. */
  element?: number;
}

const TYPES: Record<number, TypeInfo> = {
  16: { name: 'bool', jdbc: -7, kind: 'bool' },
  17: { name: 'bytea', jdbc: -2, kind: 'bytea' },
  18: { name: 'char', jdbc: 1, kind: 'string' },
  19: { name: 'name', jdbc: 12, kind: 'string' },
  20: { name: 'int8', jdbc: -5, kind: 'int8' },
  21: { name: 'int2', jdbc: 5, kind: 'int' },
  23: { name: 'int4', jdbc: 4, kind: 'int' },
  25: { name: 'text', jdbc: 12, kind: 'string' },
  26: { name: 'oid', jdbc: -5, kind: 'int8' },
  114: { name: 'json', jdbc: 1111, kind: 'string' },
  700: { name: 'float4', jdbc: 7, kind: 'real' },
  701: { name: 'float8', jdbc: 8, kind: 'double' },
  1042: { name: 'bpchar', jdbc: 1, kind: 'string' },
  1043: { name: 'varchar', jdbc: 12, kind: 'string' },
  1082: { name: 'date', jdbc: 91, kind: 'string' },
  1083: { name: 'time', jdbc: 92, kind: 'string' },
  1114: { name: 'timestamp', jdbc: 93, kind: 'string' },
  1184: { name: 'timestamptz', jdbc: 93, kind: 'string' },
  1266: { name: 'timetz', jdbc: 92, kind: 'string' },
  1700: { name: 'numeric', jdbc: 2, kind: 'numeric' },
  2950: { name: 'uuid', jdbc: 1111, kind: 'string' },
  3802: { name: 'jsonb', jdbc: 1111, kind: 'string' },
};
const ARRAYS: Record<number, number> = { 1000: 16, 1001: 17, 1005: 21, 1007: 23, 1009: 25, 1014: 1042, 1015: 1043, 1016: 20, 1021: 700, 1022: 701, 1115: 1114, 1182: 1082, 1185: 1184, 1231: 1700, 2951: 2950, 3807: 3802, 199: 114 };

function typeOf(oid: number): TypeInfo {
  const element = ARRAYS[oid];
  if (element !== undefined) return { name: `_${TYPES[element]!.name}`, jdbc: 2003, kind: 'string', element };
  return TYPES[oid] ?? { name: 'unknown', jdbc: 1111, kind: 'string' };
}

/** Parses PostgreSQL's array text output (`{1,2,NULL}`, `{"a b","c\"d"}`, `{{1,2},{3,4}}`). */
export function parsePgArray(text: string): unknown[] {
  let i = 0;
  const parse = (): unknown[] => {
    const out: unknown[] = [];
    i++; // {
    while (i < text.length && text[i] !== '}') {
      if (text[i] === '{') out.push(parse());
      else if (text[i] === '"') {
        let value = '';
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\') i++;
          value += text[i];
          i++;
        }
        i++;
        out.push(value);
      } else {
        let end = i;
        while (end < text.length && text[end] !== ',' && text[end] !== '}') end++;
        const raw = text.slice(i, end);
        out.push(raw === 'NULL' ? null : raw);
        i = end;
      }
      if (text[i] === ',') i++;
    }
    i++; // }
    return out;
  };
  const start = text.indexOf('{');
  if (start < 0) return [];
  i = start;
  return parse();
}

function scalar(kind: Kind, raw: string): boolean | number | string | Buffer {
  switch (kind) {
    case 'bool':
      return raw === 't' || raw === 'true';
    case 'int':
    case 'int8':
    case 'real':
    case 'double':
      return Number(raw);
    case 'bytea':
      return raw.startsWith('\\x') ? Buffer.from(raw.slice(2), 'hex') : Buffer.from(raw, 'binary');
    default:
      return raw;
  }
}

function arrayValue(kind: Kind, items: unknown[]): ArrayValue {
  if (items.some((item) => Array.isArray(item))) return { arrayValues: items.map((item) => arrayValue(kind, (item as unknown[]) ?? [])) };
  const values = items.map((item) => (item === null ? null : scalar(kind, String(item))));
  if (kind === 'bool') return { booleanValues: values as boolean[] };
  if (kind === 'int' || kind === 'int8') return { longValues: values as number[] };
  if (kind === 'real' || kind === 'double') return { doubleValues: values as number[] };
  return { stringValues: values.map((v) => (Buffer.isBuffer(v) ? v.toString('base64') : (v as string))) };
}

function numericField(raw: string, options: ResultSetOptions | undefined): Field {
  if (options?.decimalReturnType === 'DOUBLE_OR_LONG') return /^-?\d+$/.test(raw) ? { longValue: Number(raw) } : { doubleValue: Number(raw) };
  return { stringValue: raw };
}

/** One value as ExecuteStatement's Field union. */
export function toField(column: PgColumn, raw: string | null, options?: ResultSetOptions): Field {
  if (raw === null) return { isNull: true };
  const type = typeOf(column.dataTypeID);
  if (type.element !== undefined) return { arrayValue: arrayValue(typeOf(type.element).kind, parsePgArray(raw)) };
  switch (type.kind) {
    case 'bool':
      return { booleanValue: scalar('bool', raw) as boolean };
    case 'int':
    case 'int8':
      return options?.longReturnType === 'STRING' ? { stringValue: raw } : { longValue: Number(raw) };
    case 'real':
    case 'double':
      return { doubleValue: Number(raw) };
    case 'numeric':
      return numericField(raw, options);
    case 'bytea':
      return { blobValue: scalar('bytea', raw) as Buffer };
    default:
      return { stringValue: raw };
  }
}

/** One value as ExecuteSql's Value union. */
export function toValue(column: PgColumn, raw: string | null): Value {
  if (raw === null) return { isNull: true };
  const type = typeOf(column.dataTypeID);
  if (type.element !== undefined) {
    const kind = typeOf(type.element).kind;
    const convert = (items: unknown[]): Value[] =>
      items.map((item) => (Array.isArray(item) ? { arrayValues: convert(item) } : item === null ? { isNull: true } : toValue({ name: column.name, dataTypeID: type.element! }, String(item))));
    return { arrayValues: convert(parsePgArray(raw)) };
  }
  switch (type.kind) {
    case 'bool':
      return { bitValue: scalar('bool', raw) as boolean };
    case 'int':
      return { intValue: Number(raw) };
    case 'int8':
      return { bigIntValue: Number(raw) };
    case 'real':
      return { realValue: Number(raw) };
    case 'double':
      return { doubleValue: Number(raw) };
    case 'bytea':
      return { blobValue: scalar('bytea', raw) as Buffer };
    default:
      return { stringValue: raw };
  }
}

/** A value of formatRecordsAs JSON: JSON numbers, booleans, strings, arrays and null. */
export function toJsonValue(column: PgColumn, raw: string | null, options?: ResultSetOptions): unknown {
  const field = toField(column, raw, options);
  if (field.isNull) return null;
  if (field.arrayValue) {
    const flat = (a: ArrayValue): unknown[] => a.arrayValues?.map(flat) ?? a.booleanValues ?? a.longValues ?? a.doubleValues ?? a.stringValues ?? [];
    return flat(field.arrayValue);
  }
  if (field.blobValue) return Buffer.from(field.blobValue).toString('base64');
  return field.booleanValue ?? field.longValue ?? field.doubleValue ?? field.stringValue;
}

export function columnMetadata(column: PgColumn): ColumnMetadata {
  const type = typeOf(column.dataTypeID);
  const modifier = column.dataTypeModifier ?? -1;
  let precision = 0;
  let scale = 0;
  if (type.kind === 'numeric' && modifier > 4) {
    precision = ((modifier - 4) >> 16) & 0xffff;
    scale = (modifier - 4) & 0xffff;
  } else if ((type.name === 'varchar' || type.name === 'bpchar') && modifier > 4) precision = modifier - 4;
  else if (type.kind === 'int') precision = type.name === 'int2' ? 5 : 10;
  else if (type.kind === 'int8') precision = 19;
  else if (type.kind === 'string') precision = 2147483647;
  return {
    name: column.name,
    label: column.name,
    type: type.jdbc,
    typeName: type.name,
    schemaName: '',
    tableName: '',
    isAutoIncrement: false,
    isSigned: ['int', 'int8', 'real', 'double', 'numeric'].includes(type.kind),
    isCurrency: false,
    isCaseSensitive: type.kind === 'string' && type.element === undefined,
    nullable: 2,
    precision,
    scale,
    arrayBaseColumnType: type.element !== undefined ? typeOf(type.element).jdbc : 0,
  };
}
