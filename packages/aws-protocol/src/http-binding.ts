// HTTP bindings of the rest protocols: members bound to the URI, query string, headers and status
// code, read from a request and written to a response.
import type { ServiceModel, Shape, ShapeRef } from '@atoll/aws-models';
import type { IncomingHttpHeaders } from 'node:http';
import { isBlobLike, setEntry, shapeOf } from './shapes.js';
import { formatTimestamp, isoTimestamp, parseTimestamp } from './timestamps.js';
import { readScalar, XmlValueError } from './xml.js';
import { serviceError } from '@atoll/core';

function scalarFrom(model: ServiceModel, ref: ShapeRef, text: string, where: string): unknown {
  try {
    return readScalar(model, ref, text);
  } catch (error) {
    if (error instanceof XmlValueError) throw serviceError('InvalidArgument', 400, `${error.message} (${where})`);
    throw error;
  }
}

function splitHeaderList(text: string): string[] {
  // Values with commas are quoted, as the SDKs write them.
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|([^,]*))\s*(?:,|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[0] === '') break;
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!.trim());
  }
  return out;
}

interface Binding {
  name: string;
  member: ShapeRef;
  shape: Shape;
  /** The query parameter, the lower-cased header (or header prefix), or the URI label. */
  key: string;
}

interface BindingPlan {
  bindings: Binding[];
  boundQueryNames: Set<string>;
}

/** The HTTP-bound members of each input shape, worked out once: requests only look values up. */
const plans = new WeakMap<Shape, BindingPlan>();

function planFor(model: ServiceModel, input: Shape): BindingPlan {
  let plan = plans.get(input);
  if (plan) return plan;
  const bindings: Binding[] = [];
  const boundQueryNames = new Set<string>();
  for (const [name, member] of Object.entries(input.members ?? {})) {
    if (member.location === 'querystring' && member.locationName) boundQueryNames.add(member.locationName);
    const key = member.locationName ?? (member.location === 'headers' ? '' : name);
    if (member.location === 'uri' || member.location === 'querystring') bindings.push({ name, member, shape: shapeOf(model, member), key });
    else if (member.location === 'header' || member.location === 'headers') bindings.push({ name, member, shape: shapeOf(model, member), key: key.toLowerCase() });
  }
  plan = { bindings, boundQueryNames };
  plans.set(input, plan);
  return plan;
}

/** Reads the members of `input` bound to the URI, query string and headers. */
export function readHttpBindings(
  model: ServiceModel,
  input: Shape,
  headers: IncomingHttpHeaders,
  query: URLSearchParams,
  uriParams: Record<string, string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const { bindings, boundQueryNames } = planFor(model, input);
  for (const { name, member, shape, key } of bindings) {
    switch (member.location) {
      case 'uri': {
        const value = uriParams[key];
        if (value !== undefined) out[name] = shape.type === 'string' ? value : scalarFrom(model, member, value, name);
        break;
      }
      case 'querystring': {
        if (shape.type === 'map') {
          const map: Record<string, unknown> = {};
          for (const queryKey of new Set(query.keys())) {
            if (boundQueryNames.has(queryKey)) continue;
            const values = query.getAll(queryKey);
            setEntry(map, queryKey, shapeOf(model, shape.value!).type === 'list' ? values : values[0]);
          }
          if (Object.keys(map).length > 0) out[name] = map;
          break;
        }
        if (!query.has(key)) break;
        if (shape.type === 'list') {
          out[name] = query.getAll(key).map((v) => scalarFrom(model, shape.member!, v, key));
        } else {
          out[name] = scalarFrom(model, member, query.get(key)!, key);
        }
        break;
      }
      case 'header': {
        const value = headers[key];
        if (value === undefined) break;
        const text = Array.isArray(value) ? value.join(', ') : value;
        if (shape.type === 'list') out[name] = splitHeaderList(text).map((v) => scalarFrom(model, shape.member!, v, name));
        else if (member.jsonvalue || (shape as { jsonvalue?: boolean }).jsonvalue) {
          try {
            out[name] = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
          } catch {
            throw serviceError('InvalidArgument', 400, `Invalid JSON value in header ${member.locationName}`);
          }
        } else out[name] = scalarFrom(model, member, text, member.locationName ?? name);
        break;
      }
      case 'headers': {
        const map: Record<string, string> = {};
        for (const [header, value] of Object.entries(headers)) {
          if (value === undefined || !header.startsWith(key)) continue;
          setEntry(map, header.slice(key.length), Array.isArray(value) ? value.join(', ') : value);
        }
        if (Object.keys(map).length > 0) out[name] = map;
        break;
      }
    }
  }
  return out;
}

function headerText(model: ServiceModel, ref: ShapeRef, value: unknown): string {
  const shape = shapeOf(model, ref);
  if (shape.type === 'timestamp') {
    const date = value instanceof Date ? value : parseTimestamp(value);
    return date ? String(formatTimestamp(date, ref.timestampFormat ?? shape.timestampFormat ?? 'rfc822')) : '';
  }
  if (shape.type === 'blob' && isBlobLike(value)) return Buffer.from(value).toString('base64');
  if (ref.jsonvalue) return Buffer.from(JSON.stringify(value)).toString('base64');
  if (shape.type === 'list') {
    return (value as unknown[])
      .map((v) => {
        const text = headerText(model, shape.member!, v);
        return /[,"]/.test(text) ? `"${text.replace(/(["\\])/g, '\\$1')}"` : text;
      })
      .join(', ');
  }
  return String(value);
}

/** Writes the output members bound to headers; returns the status code member's value, if any. */
/** The header-bound and status members of each output shape, by member name, worked out once. */
const outputPlans = new WeakMap<Shape, Map<string, { member: ShapeRef; header: string }>>();

function outputPlanFor(output: Shape): Map<string, { member: ShapeRef; header: string }> {
  let plan = outputPlans.get(output);
  if (plan) return plan;
  plan = new Map();
  for (const [name, member] of Object.entries(output.members ?? {})) {
    if (member.location === 'statusCode' || member.location === 'header' || member.location === 'headers') {
      plan.set(name, { member, header: (member.locationName ?? (member.location === 'header' ? name : '')).toLowerCase() });
    }
  }
  outputPlans.set(output, plan);
  return plan;
}

export function writeHttpBindings(
  model: ServiceModel,
  output: Shape,
  value: Record<string, unknown>,
  headers: Record<string, string | string[]>,
): number | undefined {
  let status: number | undefined;
  const plan = outputPlanFor(output);
  // An output sets a few of its many members: walk what it set.
  for (const name of Object.keys(value)) {
    const bound = plan.get(name);
    const memberValue = value[name];
    if (!bound || memberValue === undefined || memberValue === null) continue;
    const { member, header } = bound;
    switch (member.location) {
      case 'statusCode':
        status = Number(memberValue);
        break;
      case 'header':
        headers[header] = headerText(model, member, memberValue);
        break;
      case 'headers':
        for (const [key, v] of Object.entries(memberValue as Record<string, unknown>)) headers[`${header}${key.toLowerCase()}`] = String(v);
        break;
    }
  }
  return status;
}

/** Builds a query string member value for output URLs (used by tests and presigning helpers). */
export const queryTimestamp = isoTimestamp;
