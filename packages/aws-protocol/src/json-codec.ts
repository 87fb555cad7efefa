// Shape-directed conversion between JSON documents and typed values (Date, Buffer …), for the
// `json` and `rest-json` protocols. `json` names body members by member name; `rest-json` honours
// `locationName` (jsonName).
import type { Shape, ServiceModel, ShapeRef, TimestampFormat } from '@atoll/aws-models';
import { EncodedJson } from '@atoll/core';
import { decodeBase64, INTEGER_TYPES, isBlobLike, NUMERIC_TYPES, serializationError, setEntry, shapeOf } from './shapes.js';
import { formatTimestamp, parseTimestamp } from './timestamps.js';

export interface JsonCodecOptions {
  /** Use `locationName` for member keys (rest-json). */
  useLocationName: boolean;
}

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'object' ? 'object' : typeof value;

/**
 * How deep a request's values may nest through recursive shapes (DynamoDB's AttributeValue, a
 * document) before the protocol refuses it: deeper input would exhaust the stack here or in the
 * provider. Services' own limits are lower (DynamoDB allows 32 levels) and answer in their words.
 */
export const MAX_JSON_DEPTH = 256;

/** A structure's body members (not bound to headers, query or path) with their JSON keys. */
interface BodyMember {
  name: string;
  member: ShapeRef;
  key: string;
}

/** Per shape, made once: walking `Object.entries(members)` cost an array per structure per value. */
const bodyMembersByName = new WeakMap<Shape, BodyMember[]>();
const bodyMembersByLocationName = new WeakMap<Shape, BodyMember[]>();

function bodyMembers(shape: Shape, useLocationName: boolean): BodyMember[] {
  const cache = useLocationName ? bodyMembersByLocationName : bodyMembersByName;
  let members = cache.get(shape);
  if (members === undefined) {
    members = [];
    for (const [name, member] of Object.entries(shape.members ?? {})) {
      if (member.location) continue;
      members.push({ name, member, key: useLocationName ? (member.locationName ?? name) : name });
    }
    cache.set(shape, members);
  }
  return members;
}

/** Converts a parsed JSON value into the typed input the provider receives. */
export function fromJson(model: ServiceModel, ref: ShapeRef, value: unknown, options: JsonCodecOptions, path = '', depth = 0): unknown {
  if (value === null || value === undefined) return undefined;
  if (depth > MAX_JSON_DEPTH) throw serializationError(`The request nests values deeper than ${MAX_JSON_DEPTH} levels.`);
  const shape = shapeOf(model, ref);
  if (shape.document) return value;
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw serializationError(`Expected an object for ${path || 'the request body'}, got ${describe(value)}`);
      }
      const out: Record<string, unknown> = {};
      const source = value as Record<string, unknown>;
      for (const { name, member, key } of bodyMembers(shape, options.useLocationName)) {
        // An absent (or null) member converts to nothing.
        const item = source[key];
        if (item === undefined || item === null) continue;
        const converted = fromJson(model, member, item, options, path ? `${path}.${name}` : name, depth + 1);
        if (converted !== undefined) out[name] = converted;
      }
      return out;
    }
    case 'list': {
      if (!Array.isArray(value)) throw serializationError(`Expected a list for ${path}, got ${describe(value)}`);
      return value.map((item, i) => fromJson(model, shape.member!, item, options, `${path}[${i}]`, depth + 1) ?? null);
    }
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw serializationError(`Expected a map for ${path}, got ${describe(value)}`);
      }
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        setEntry(out, key, fromJson(model, shape.value!, item, options, `${path}.${key}`, depth + 1) ?? null);
      }
      return out;
    }
    case 'string':
    case 'character':
      if (typeof value !== 'string') throw serializationError(`Expected a string for ${path}, got ${describe(value)}`);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw serializationError(`Expected a boolean for ${path}, got ${describe(value)}`);
      return value;
    case 'timestamp': {
      const date = typeof value === 'number' || typeof value === 'string' ? parseTimestamp(value) : undefined;
      if (!date) throw serializationError(`Expected a timestamp for ${path}, got ${JSON.stringify(value)}`);
      return date;
    }
    case 'blob': {
      if (typeof value !== 'string') throw serializationError(`Expected base64 text for ${path}, got ${describe(value)}`);
      const bytes = decodeBase64(value);
      if (!bytes) throw serializationError(`Invalid base64 for ${path}`);
      return bytes;
    }
    default:
      if (NUMERIC_TYPES.has(shape.type)) {
        if (typeof value !== 'number' || !Number.isFinite(value)) {
          throw serializationError(`Expected a number for ${path}, got ${describe(value)}`);
        }
        if (INTEGER_TYPES.has(shape.type) && !Number.isInteger(value)) {
          throw serializationError(`Expected an integer for ${path}, got ${value}`);
        }
        return value;
      }
      return value;
  }
}

/** Converts a typed output value into a JSON-ready value. */
export function toJson(
  model: ServiceModel,
  ref: ShapeRef,
  value: unknown,
  options: JsonCodecOptions,
  defaultTimestamp: TimestampFormat = 'unixTimestamp',
): unknown {
  if (value === null || value === undefined) return undefined;
  // Already in the wire shape; stringifyJson writes it as it is.
  if (value instanceof EncodedJson) return value;
  const shape = shapeOf(model, ref);
  if (shape.document) return value;
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      const source = value as Record<string, unknown>;
      for (const { name, member, key } of bodyMembers(shape, options.useLocationName)) {
        const item = source[name];
        if (item === undefined || item === null) continue;
        const converted = toJson(model, member, item, options, defaultTimestamp);
        if (converted !== undefined) out[key] = converted;
      }
      return out;
    }
    case 'list':
      return (value as unknown[]).map((item) => toJson(model, shape.member!, item, options, defaultTimestamp) ?? null);
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        out[key] = toJson(model, shape.value!, item, options, defaultTimestamp) ?? null;
      }
      return out;
    }
    case 'timestamp': {
      const date = value instanceof Date ? value : parseTimestamp(value);
      if (!date) return undefined;
      return formatTimestamp(date, ref.timestampFormat ?? shape.timestampFormat ?? defaultTimestamp);
    }
    case 'blob':
      if (isBlobLike(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
      return Buffer.from(String(value)).toString('base64');
    default:
      return value;
  }
}
