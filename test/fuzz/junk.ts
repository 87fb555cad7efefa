// Generators of junk for the fuzz suite: a seeded random source, hostile scalars, and inputs that
// follow an operation's model just enough to reach deep into the parsers (structure members by
// their wire names, lists, maps) while breaking it at random (wrong types, hostile keys, bad XML).
// fast-check picks the seed of each case, so a failure replays from the suite's seed; the cases
// themselves are built here and do not shrink.
import type { ServiceModel, ShapeRef } from '@atoll/aws-models';

/** mulberry32: a small, fast, seeded generator. */
export class Junk {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(max: number): number {
    return Math.floor(this.next() * max);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** A hostile string: empty, huge, control characters, lone surrogates, prototype keys, syntax. */
  string(): string {
    switch (this.int(14)) {
      case 0:
        return '';
      case 1:
        return this.pick(HOSTILE_WORDS);
      case 2:
        return 'x'.repeat(this.pick([255, 256, 1024, 70_000]));
      case 3:
        return String.fromCharCode(...Array.from({ length: 1 + this.int(12) }, () => this.int(0x20)));
      case 4:
        return '\uD800' + this.ascii(3) + '\uDFFF';
      case 5:
        return String(this.number());
      case 6:
        return this.pick(['true', 'false', 'null', 'TRUE', ' 1 ', '1e309', '-0', '0x10', '1_000']);
      case 7:
        return this.pick(['2024-02-30T25:61:61Z', 'Tue, 32 Feb 2024 00:00:00 GMT', '-1', '99999999999999999', '1.5e12']);
      case 8:
        return this.pick(['arn:aws:', 'arn:aws:sqs:us-east-1:000000000000:', 'arn:::::', 'arn:aws:s3:::b/k', 'arn:aws:iam::123:role/']);
      case 9:
        return this.pick(['http://', 'http://127.0.0.1:1/000000000000/q', 'https://[::1', '/../../etc/passwd', 'file:///etc/passwd']);
      case 10:
        return this.unicode(1 + this.int(16));
      case 11:
        return this.pick(['%', '%ZZ', '%E2%82', '%00', '+', '&', '=', '?', '#', '\\', '"', "'", '<', '>', ']]>']);
      case 12:
        return this.pick(['{', '[', '{"a":', '${a}', '#n', ':v', 'a.b[0]', '((((', 'SELECT * FROM', "'", '\\u0000']);
      default:
        return this.ascii(1 + this.int(24));
    }
  }

  ascii(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += String.fromCharCode(0x20 + this.int(95));
    return out;
  }

  unicode(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) {
      const code = this.pick([this.int(0x80), 0x80 + this.int(0x780), 0x800 + this.int(0xd000), 0x10000 + this.int(0xfffff)]);
      out += String.fromCodePoint(code >= 0xd800 && code <= 0xdfff ? 0x41 : code);
    }
    return out;
  }

  number(): number {
    return this.pick([0, -1, 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, Number.MAX_VALUE, Number.MIN_VALUE, 0.5, -0.000001, 1e21, this.int(100)]);
  }

  /** Any JSON value, nested up to `depth`. */
  json(depth = 2): unknown {
    switch (this.int(depth > 0 ? 8 : 5)) {
      case 0:
        return null;
      case 1:
        return this.chance(0.5);
      case 2:
        return this.number();
      case 3:
      case 4:
        return this.string();
      case 5:
        return Array.from({ length: this.int(4) }, () => this.json(depth - 1));
      default: {
        const out: Record<string, unknown> = {};
        for (let i = this.int(4); i > 0; i--) out[this.chance(0.3) ? this.pick(HOSTILE_WORDS) : this.ascii(1 + this.int(8))] = this.json(depth - 1);
        return out;
      }
    }
  }
}

/** Words that have broken parsers elsewhere: prototype keys, type names, syntax of the languages inside AWS inputs. */
export const HOSTILE_WORDS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'NaN',
  'Infinity',
  'undefined',
  'null',
  '*',
  '$',
  '.',
  '..',
  '/',
  '\u0000',
  '\r\n',
  '😀',
  'member',
  'entry',
  'Action',
  'Version',
] as const;

export type Protocol = 'json' | 'rest-json' | 'query' | 'rest-xml';

/** How wrong the generated value should be: the chance of replacing any value by junk of any type. */
export interface ShapeJunkOptions {
  wrongType: number;
  /** rest-json and rest-xml name body members by locationName; json by member name. */
  useLocationName: boolean;
  maxDepth: number;
}

/**
 * A value for shape `ref` as a client would send it on the JSON protocols (timestamps as numbers,
 * blobs as base64), broken at random: wrong types, missing or extra members, hostile keys.
 * Members bound to the URI, query string or headers are left out (see httpBindingsFor).
 */
export function shapeValue(model: ServiceModel, ref: ShapeRef, junk: Junk, options: ShapeJunkOptions, depth = 0): unknown {
  if (junk.chance(options.wrongType) || depth > options.maxDepth) return junk.json(1);
  const shape = model.shapes[ref.shape]!;
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      for (const [name, member] of Object.entries(shape.members ?? {})) {
        if (member.location) continue;
        const required = shape.required?.includes(name);
        if (!junk.chance(required ? 0.9 : 0.5)) continue;
        out[options.useLocationName ? (member.locationName ?? name) : name] = shapeValue(model, member, junk, options, depth + 1);
      }
      if (junk.chance(0.1)) out[junk.pick(HOSTILE_WORDS)] = junk.json(1);
      return out;
    }
    case 'list':
      return Array.from({ length: junk.pick([0, 1, 1, 2, 3]) }, () => shapeValue(model, shape.member!, junk, options, depth + 1));
    case 'map': {
      const out: Record<string, unknown> = {};
      for (let i = junk.int(3); i > 0; i--) {
        const key = junk.chance(0.2) ? junk.pick(HOSTILE_WORDS) : junk.ascii(1 + junk.int(6));
        out[key] = shapeValue(model, shape.value!, junk, options, depth + 1);
      }
      return out;
    }
    case 'string':
      if (shape.enum && junk.chance(0.7)) return junk.pick(shape.enum);
      return junk.chance(0.5) ? junk.ascii(1 + junk.int(20)) : junk.string();
    case 'boolean':
      return junk.chance(0.5);
    case 'timestamp':
      return junk.chance(0.5) ? Math.floor(Date.now() / 1000) + junk.int(1000) - 500 : junk.string();
    case 'blob':
      return junk.chance(0.7) ? Buffer.from(junk.unicode(1 + junk.int(8))).toString('base64') : junk.string();
    default:
      if (shape.type === 'integer' || shape.type === 'long' || shape.type === 'float' || shape.type === 'double') {
        return junk.chance(0.5) && shape.min !== undefined ? shape.min + junk.int(3) : junk.number();
      }
      return junk.json(0);
  }
}

/** Scalar text of a value for a header, query parameter, URI label, form parameter or XML element. */
export function scalarText(value: unknown, junk: Junk): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return junk.chance(0.5) ? JSON.stringify(value) : junk.string();
  return String(value);
}

/** The HTTP-bound members of an operation's input, with junk values: uri labels, query, headers. */
export function httpBindingsFor(model: ServiceModel, input: ShapeRef | undefined, junk: Junk): { uri: Record<string, string>; query: [string, string][]; headers: Record<string, string> } {
  const uri: Record<string, string> = {};
  const query: [string, string][] = [];
  const headers: Record<string, string> = {};
  if (!input) return { uri, query, headers };
  const shape = model.shapes[input.shape]!;
  for (const [name, member] of Object.entries(shape.members ?? {})) {
    const required = shape.required?.includes(name);
    if (!member.location || !junk.chance(required ? 0.9 : 0.4)) continue;
    const text = () => scalarText(shapeValue(model, member, junk, { wrongType: 0.1, useLocationName: true, maxDepth: 1 }), junk);
    const key = member.locationName ?? name;
    switch (member.location) {
      case 'uri':
        uri[key.replace(/\+$/, '')] = text();
        break;
      case 'querystring':
        query.push([key, text()]);
        if (junk.chance(0.1)) query.push([key, text()]);
        break;
      case 'header':
        headers[key.toLowerCase()] = text();
        break;
      case 'headers':
        headers[`${key.toLowerCase()}${junk.ascii(3).replace(/[^a-z0-9-]/gi, 'a')}`] = junk.string();
        break;
    }
  }
  return { uri, query, headers };
}

/** Flattens a value of shape `ref` into awsQuery form parameters (`A.member.1.B=…`), breaking it at random. */
export function queryParamsFor(model: ServiceModel, ref: ShapeRef, value: unknown, prefix: string, junk: Junk, out: [string, string][]): void {
  const shape = model.shapes[ref.shape]!;
  if (value === null || value === undefined) return;
  const join = (name: string) => (prefix ? `${prefix}.${name}` : name);
  if (shape.type === 'structure' && value && typeof value === 'object' && !Array.isArray(value)) {
    const source = value as Record<string, unknown>;
    for (const [name, member] of Object.entries(shape.members ?? {})) {
      if (!(name in source)) continue;
      queryParamsFor(model, member, source[name], join(member.queryName ?? member.locationName ?? name), junk, out);
    }
    return;
  }
  if (shape.type === 'list' && Array.isArray(value)) {
    const flattened = ref.flattened || shape.flattened;
    if (value.length === 0) out.push([prefix, '']);
    value.forEach((item, i) => {
      const index = junk.chance(0.05) ? junk.pick(['0', '-1', '99999999999', 'x', '']) : String(i + 1);
      queryParamsFor(model, shape.member!, item, flattened ? `${prefix}.${index}` : `${prefix}.${shape.member!.locationName ?? 'member'}.${index}`, junk, out);
    });
    return;
  }
  if (shape.type === 'map' && value && typeof value === 'object' && !Array.isArray(value)) {
    const flattened = ref.flattened || shape.flattened;
    Object.entries(value as Record<string, unknown>).forEach(([key, item], i) => {
      const entry = flattened ? `${prefix}.${i + 1}` : `${prefix}.entry.${i + 1}`;
      out.push([`${entry}.${shape.key!.locationName ?? 'key'}`, key]);
      queryParamsFor(model, shape.value!, item, `${entry}.${shape.value!.locationName ?? 'value'}`, junk, out);
    });
    return;
  }
  out.push([prefix, scalarText(value, junk)]);
}

/** Encodes a form or query string the way SDKs do (RFC 3986, UTF-8), so SigV4 signs what is sent. */
export function encodeForm(params: [string, string][]): string {
  return params.map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).join('&');
}

export function rfc3986(text: string): string {
  // Lone surrogates cannot be encoded as UTF-8; a client would send U+FFFD.
  return encodeURIComponent(text.replace(/[\uD800-\uDFFF]/g, '\uFFFD')).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * Writes a value of shape `ref` as the XML element `name` (rest-xml bodies), with junk at random:
 * unescaped text, stray entities, a DOCTYPE, CDATA, comments, deep nesting, unknown elements.
 */
export function xmlFor(model: ServiceModel, ref: ShapeRef, value: unknown, name: string, junk: Junk, out: string[]): void {
  if (value === null || value === undefined) return;
  const shape = model.shapes[ref.shape]!;
  if (junk.chance(0.01)) out.push(junk.pick(XML_JUNK));
  if (shape.type === 'structure' && value && typeof value === 'object' && !Array.isArray(value)) {
    out.push(`<${name}>`);
    for (const [memberName, member] of Object.entries(shape.members ?? {})) {
      const key = member.locationName ?? memberName;
      if (!(key in (value as object))) continue;
      const memberShape = model.shapes[member.shape]!;
      const item = (value as Record<string, unknown>)[key];
      if (memberShape.type === 'list' && (member.flattened || memberShape.flattened) && Array.isArray(item)) {
        for (const element of item) xmlFor(model, memberShape.member!, element, key, junk, out);
      } else xmlFor(model, member, item, key, junk, out);
    }
    out.push(`</${name}>`);
    return;
  }
  if (shape.type === 'list' && Array.isArray(value)) {
    out.push(`<${name}>`);
    for (const item of value) xmlFor(model, shape.member!, item, shape.member!.locationName ?? 'member', junk, out);
    out.push(`</${name}>`);
    return;
  }
  if (shape.type === 'map' && value && typeof value === 'object' && !Array.isArray(value)) {
    out.push(`<${name}>`);
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      out.push(`<entry><key>${escapeXml(key)}</key>`);
      xmlFor(model, shape.value!, item, 'value', junk, out);
      out.push('</entry>');
    }
    out.push(`</${name}>`);
    return;
  }
  let text = scalarText(shape.type === 'timestamp' && typeof value === 'number' ? new Date(value * 1000).toISOString() : value, junk);
  text = junk.chance(0.05) ? text : escapeXml(text);
  out.push(`<${name}>${text}</${name}>`);
}

function escapeXml(text: string): string {
  return text.replace(/[&<>]/g, (c) => XML_ESCAPES[c]!).replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '');
}

export const XML_JUNK = [
  '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
  '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
  '<!DOCTYPE x>',
  '&e;',
  '&#0;',
  '&#xFFFFFFFF;',
  '&#x1F600;',
  '<![CDATA[<x>]]>',
  '<!-- c -->',
  '<?pi x?>',
  '<a xmlns:p="urn:x" p:b="1"/>',
  '<a b="1" b="2"/>',
  '</unopened>',
  '<' + 'a>'.repeat(5_000),
  '<a>' + '<b>'.repeat(200) + '</b>'.repeat(200) + '</a>',
  '\uFEFF',
  '\u0000',
];
