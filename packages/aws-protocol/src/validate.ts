// Validation of a parsed input against the model's constraints (required members, enums, lengths,
// ranges), reported in the service's own words. Regular-expression patterns are not checked here
// (the models' Java patterns do not all translate); services check the ones that matter to them.
import type { ServiceModel, Shape, ShapeRef } from '@atoll/aws-models';
import { serviceError, type ServiceError } from '@atoll/core';
import { protocolOverrides } from './overrides.js';
import { NUMERIC_TYPES, shapeOf } from './shapes.js';

interface Violation {
  path: string;
  /** The member name as the service words it (for SQS's MissingParameter). */
  member: string;
  value: unknown;
  constraint: string;
  missing: boolean;
}

const lowerFirst = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1);

function render(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return `'${value}'`;
  if (Array.isArray(value)) return `'[${value.map((v) => (typeof v === 'object' ? '…' : String(v))).join(', ')}]'`;
  return `'${Object.prototype.toString.call(value)}'`;
}

const SURROGATE_PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;

/** Lengths count characters (code points), as the services do. */
function lengthOf(value: unknown): number | undefined {
  if (typeof value === 'string') return value.length - (value.match(SURROGATE_PAIR)?.length ?? 0);
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) return value.length;
  if (value && typeof value === 'object' && !(value instanceof Date) && typeof (value as { pipe?: unknown }).pipe !== 'function') {
    return Object.keys(value).length;
  }
  return undefined;
}

/** A structure's members with their names as violations spell them, made once per shape. */
const membersByShape = new WeakMap<Shape, { name: string; ref: ShapeRef; lower: string }[]>();

function membersOf(shape: Shape): { name: string; ref: ShapeRef; lower: string }[] {
  let members = membersByShape.get(shape);
  if (members === undefined) {
    members = Object.entries(shape.members ?? {}).map(([name, ref]) => ({ name, ref, lower: lowerFirst(name) }));
    membersByShape.set(shape, members);
  }
  return members;
}

function walk(model: ServiceModel, ref: ShapeRef, value: unknown, path: string, member: string, out: Violation[], enums = true): void {
  const shape = shapeOf(model, ref);
  if (value === undefined || value === null) return;
  if (shape.type === 'structure') {
    const source = value as Record<string, unknown>;
    for (const name of shape.required ?? []) {
      const v = source[name];
      if (v === undefined || v === null) {
        out.push({ path: path ? `${path}.${lowerFirst(name)}` : lowerFirst(name), member: name, value: null, constraint: 'Member must not be null', missing: true });
      }
    }
    for (const { name, ref: memberRef, lower } of membersOf(shape)) {
      const v = source[name];
      if (v !== undefined && v !== null) walk(model, memberRef, v, path ? `${path}.${lower}` : lower, name, out, enums);
    }
    return;
  }
  const bounded = shape.min !== undefined || shape.max !== undefined;
  const length = bounded && (shape.type === 'string' || shape.type === 'blob' || shape.type === 'list' || shape.type === 'map') ? lengthOf(value) : undefined;
  if (length !== undefined) {
    if (shape.min !== undefined && length < shape.min) {
      out.push({ path, member, value, constraint: `Member must have length greater than or equal to ${shape.min}`, missing: false });
    }
    if (shape.max !== undefined && length > shape.max) {
      out.push({ path, member, value, constraint: `Member must have length less than or equal to ${shape.max}`, missing: false });
    }
  }
  if (enums && shape.type === 'string' && shape.enum && typeof value === 'string' && !shape.enum.includes(value)) {
    out.push({ path, member, value, constraint: `Member must satisfy enum value set: [${shape.enum.join(', ')}]`, missing: false });
  }
  if (NUMERIC_TYPES.has(shape.type) && typeof value === 'number') {
    if (shape.min !== undefined && value < shape.min) {
      out.push({ path, member, value, constraint: `Member must have value greater than or equal to ${shape.min}`, missing: false });
    }
    if (shape.max !== undefined && value > shape.max) {
      out.push({ path, member, value, constraint: `Member must have value less than or equal to ${shape.max}`, missing: false });
    }
  }
  if (shape.type === 'list' && Array.isArray(value)) {
    value.forEach((item, i) => walk(model, shape.member!, item, `${path}.${i + 1}.member`, member, out, enums));
  } else if (shape.type === 'map' && typeof value === 'object') {
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      walk(model, shape.value!, item, `${path}.${key}.member`, member, out, enums);
    }
  }
}

/** Returns the service's validation error for `input`, or undefined when it satisfies the model. */
export function validateInput(model: ServiceModel, input: ShapeRef | undefined, value: Record<string, unknown>): ServiceError | undefined {
  if (!input) return undefined;
  if (protocolOverrides(model.metadata.name).validation === 'service') return undefined;
  const violations: Violation[] = [];
  walk(model, input, value, '', '', violations, !protocolOverrides(model.metadata.name).skipEnumValidation);
  if (violations.length === 0) return undefined;
  const style = protocolOverrides(model.metadata.name).validation ?? (model.metadata.protocol === 'query' ? 'query' : 'aws-json');
  const first = violations[0]!;
  if (style === 'sqs') {
    return first.missing
      ? serviceError('MissingParameter', 400, `The request must contain the parameter ${first.member}.`)
      : serviceError('InvalidParameterValue', 400, `Value ${render(first.value)} for parameter ${first.member} is invalid. ${first.constraint}.`);
  }
  if (style === 's3') {
    return first.missing
      ? serviceError('InvalidRequest', 400, `Missing required parameter ${first.member}.`)
      : serviceError('InvalidArgument', 400, `Invalid value for ${first.member}: ${first.constraint}.`);
  }
  const count = violations.length;
  const detail = violations.map((v) => `Value ${render(v.value)} at '${v.path}' failed to satisfy constraint: ${v.constraint}`).join('; ');
  const message = `${count} validation error${count === 1 ? '' : 's'} detected: ${detail}`;
  return serviceError(style === 'query' ? 'ValidationError' : 'ValidationException', 400, message);
}
