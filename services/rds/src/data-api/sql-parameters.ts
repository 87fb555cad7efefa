// The Data API's named parameters (`:name`) and typed values (Field unions with typeHint), turned into
// a positional statement for the engine's driver. Quoted strings, quoted identifiers, comments,
// dollar-quoted bodies and `::` casts are skipped, as the Data API does.
import type { ArrayValue, Field, SqlParameter } from '@atoll/aws-models/rdsdata';

export type SqlValue = null | boolean | number | string | Buffer | SqlValue[];

export class ParameterError extends Error {}

/** The PostgreSQL casts that typeHint adds (JSON is left to the column's own type: json or jsonb). */
const PG_CASTS: Record<string, string> = { DATE: 'date', TIME: 'time', TIMESTAMP: 'timestamp', DECIMAL: 'numeric', UUID: 'uuid' };

function arrayValues(value: ArrayValue): SqlValue[] {
  if (value.booleanValues) return value.booleanValues;
  if (value.longValues) return value.longValues;
  if (value.doubleValues) return value.doubleValues;
  if (value.stringValues) return value.stringValues;
  if (value.arrayValues) return value.arrayValues.map(arrayValues);
  return [];
}

/** The JavaScript value of one Field (exactly one member is set, as the union requires). */
export function fieldValue(field: Field | undefined, name: string): SqlValue {
  if (!field) return null;
  const set = Object.entries(field).filter(([, v]) => v !== undefined);
  if (set.length !== 1) throw new ParameterError(`Parameter ${name}: exactly one value type must be set, got ${set.length}.`);
  if (field.isNull !== undefined) return null;
  if (field.booleanValue !== undefined) return field.booleanValue;
  if (field.longValue !== undefined) return field.longValue;
  if (field.doubleValue !== undefined) return field.doubleValue;
  if (field.stringValue !== undefined) return field.stringValue;
  if (field.blobValue !== undefined) return Buffer.from(field.blobValue);
  if (field.arrayValue !== undefined) return arrayValues(field.arrayValue);
  return null;
}

function checkHint(parameter: SqlParameter, name: string): void {
  if (parameter.typeHint && parameter.value?.stringValue === undefined && !parameter.value?.isNull) {
    throw new ParameterError(`Parameter ${name}: typeHint ${parameter.typeHint} applies to a stringValue only.`);
  }
}

export interface PositionalStatement {
  text: string;
  values: SqlValue[];
}

/**
 * Rewrites `:name` placeholders to `$1`, `$2`, … (PostgreSQL) with the typeHint's cast, and orders the
 * values. A name used twice gets one position; a placeholder without a parameter is refused.
 */
export function toPositional(sql: string, parameters: SqlParameter[] = [], style: 'postgres' | 'mysql' = 'postgres'): PositionalStatement {
  const byName = new Map<string, SqlParameter>();
  for (const parameter of parameters) {
    if (!parameter.name) throw new ParameterError('Every parameter needs a name.');
    byName.set(parameter.name, parameter);
  }
  const positions = new Map<string, number>();
  const values: SqlValue[] = [];
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    let end = -1;
    if (ch === "'" || ch === '"' || (ch === '`' && style === 'mysql')) {
      end = i + 1;
      while (end < sql.length) {
        if (sql[end] === ch) {
          if (sql[end + 1] === ch) end += 2;
          else break;
        } else if (sql[end] === '\\' && style === 'mysql') end += 2;
        else end++;
      }
      end = Math.min(end + 1, sql.length);
    } else if (ch === '-' && next === '-') {
      end = sql.indexOf('\n', i);
      if (end < 0) end = sql.length;
    } else if (ch === '/' && next === '*') {
      end = sql.indexOf('*/', i + 2);
      end = end < 0 ? sql.length : end + 2;
    } else if (ch === '$' && style === 'postgres') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        end = close < 0 ? sql.length : close + tag[0].length;
      }
    } else if (ch === ':' && next === ':') {
      end = i + 2;
    } else if (ch === ':' && next !== undefined && /[A-Za-z_]/.test(next)) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1))![0];
      const parameter = byName.get(name);
      if (!parameter) throw new ParameterError(`No value specified for parameter: ${name}`);
      checkHint(parameter, name);
      if (style === 'mysql') {
        values.push(fieldValue(parameter.value, name));
        out += '?';
      } else {
        let position = positions.get(name);
        if (position === undefined) {
          values.push(fieldValue(parameter.value, name));
          position = values.length;
          positions.set(name, position);
        }
        const cast = parameter.typeHint ? PG_CASTS[parameter.typeHint] : undefined;
        out += cast ? `$${position}::${cast}` : `$${position}`;
      }
      i += 1 + name.length;
      continue;
    }
    if (end > i) {
      out += sql.slice(i, end);
      i = end;
    } else {
      out += ch;
      i++;
    }
  }
  return { text: out, values };
}
