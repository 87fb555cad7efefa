// XML for the query and rest-xml protocols: a shape-directed writer (hand-written: it is the wire
// format itself) and a reader over fast-xml-parser's ordered tree. The reader refuses document type
// declarations and decodes only the predefined entities and character references (no DTD, no
// entity expansion, no external reads); anything it cannot read is "not well-formed".
import type { ServiceModel, ShapeRef, TimestampFormat } from '@atoll/aws-models';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { decodeBase64, INTEGER_TYPES, isBlobLike, NUMERIC_TYPES, setEntry, shapeOf } from './shapes.js';
import { formatTimestamp, parseTimestamp } from './timestamps.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;', '\n': '&#10;' };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"'\r\n]/g, (c) => ESCAPES[c]!);
}

/** Escapes element text; newlines stay literal there, as AWS writes them. */
export function escapeXmlText(text: string): string {
  return text.replace(/[&<>]/g, (c) => ESCAPES[c]!);
}

function scalarText(model: ServiceModel, ref: ShapeRef, value: unknown, defaultTimestamp: TimestampFormat): string {
  const shape = shapeOf(model, ref);
  if (shape.type === 'timestamp') {
    const date = value instanceof Date ? value : parseTimestamp(value);
    return date ? String(formatTimestamp(date, ref.timestampFormat ?? shape.timestampFormat ?? defaultTimestamp)) : '';
  }
  if (shape.type === 'blob') {
    return isBlobLike(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') : Buffer.from(String(value)).toString('base64');
  }
  return String(value);
}

/**
 * Writes `value` of shape `ref` as the element `name` (or, for flattened lists and maps, as the
 * repeated elements) into `out`.
 */
export function writeXml(
  model: ServiceModel,
  ref: ShapeRef,
  value: unknown,
  name: string,
  out: string[],
  xmlnsAttr = '',
  defaultTimestamp: TimestampFormat = 'iso8601',
  useQueryName = false,
): void {
  if (value === undefined || value === null) return;
  const shape = shapeOf(model, ref);
  switch (shape.type) {
    case 'structure': {
      const attrs: string[] = [];
      const body: string[] = [];
      const source = value as Record<string, unknown>;
      for (const [memberName, member] of Object.entries(shape.members ?? {})) {
        const memberValue = source[memberName];
        if (memberValue === undefined || memberValue === null || member.location) continue;
        const elementName = (useQueryName ? member.queryName : undefined) ?? member.locationName ?? memberName;
        if (member.xmlAttribute) {
          attrs.push(` ${elementName}="${escapeXml(scalarText(model, member, memberValue, defaultTimestamp))}"`);
          continue;
        }
        const ns = member.xmlNamespace
          ? ` xmlns${member.xmlNamespace.prefix ? `:${member.xmlNamespace.prefix}` : ''}="${escapeXml(member.xmlNamespace.uri)}"`
          : '';
        writeXml(model, member, memberValue, elementName, body, ns, defaultTimestamp, useQueryName);
      }
      out.push(`<${name}${xmlnsAttr}${attrs.join('')}>`, ...body, `</${name}>`);
      return;
    }
    case 'list': {
      const items = value as unknown[];
      const member = shape.member!;
      if (ref.flattened || shape.flattened) {
        const itemName = ref.locationName ?? member.locationName ?? name;
        for (const item of items) writeXml(model, member, item, itemName, out, '', defaultTimestamp, useQueryName);
        return;
      }
      out.push(`<${name}${xmlnsAttr}>`);
      for (const item of items) writeXml(model, member, item, member.locationName ?? 'member', out, '', defaultTimestamp, useQueryName);
      out.push(`</${name}>`);
      return;
    }
    case 'map': {
      const entries = Object.entries(value as Record<string, unknown>);
      const keyName = shape.key!.locationName ?? 'key';
      const valueName = shape.value!.locationName ?? 'value';
      const flattened = ref.flattened || shape.flattened;
      if (!flattened) out.push(`<${name}${xmlnsAttr}>`);
      for (const [key, item] of entries) {
        out.push(flattened ? `<${name}>` : '<entry>');
        out.push(`<${keyName}>${escapeXmlText(key)}</${keyName}>`);
        writeXml(model, shape.value!, item, valueName, out, '', defaultTimestamp, useQueryName);
        out.push(flattened ? `</${name}>` : '</entry>');
      }
      if (!flattened) out.push(`</${name}>`);
      return;
    }
    default:
      out.push(`<${name}${xmlnsAttr}>${escapeXmlText(scalarText(model, ref, value, defaultTimestamp))}</${name}>`);
  }
}

export interface XmlNode {
  name: string;
  attributes: Record<string, string>;
  children: XmlNode[];
  text: string;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  removeNSPrefix: true,
  // References are decoded here (decodeReferences): the parser's own pass skips character
  // references and would decode CDATA content.
  processEntities: false,
  htmlEntities: false,
  cdataPropName: '#cdata',
});

class MalformedReference extends Error {}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** A character XML 1.0 allows (Char production): a reference to anything else is not well-formed. */
function isXmlChar(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}

/** Decodes the five predefined entities and character references; any other reference is malformed. */
function decodeReferences(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&([^;&]*);?/g, (whole, name: string) => {
    if (!whole.endsWith(';')) throw new MalformedReference();
    const predefined = PREDEFINED[name];
    if (predefined !== undefined) return predefined;
    const m = /^#(?:([0-9]{1,7})|x([0-9a-fA-F]{1,6}))$/.exec(name);
    if (!m) throw new MalformedReference();
    const code = m[1] !== undefined ? Number(m[1]) : parseInt(m[2]!, 16);
    if (!isXmlChar(code)) throw new MalformedReference();
    return String.fromCodePoint(code);
  });
}

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

function convert(nodes: OrderedNode[]): XmlNode[] {
  const out: XmlNode[] = [];
  for (const node of nodes) {
    const name = Object.keys(node).find((k) => k !== ':@');
    if (!name || name === '#text' || name === '#cdata' || name === '?xml' || name === '#comment') continue;
    const children = (node[name] as OrderedNode[]) ?? [];
    let text = '';
    for (const child of children) {
      if ('#text' in child) text += decodeReferences(String(child['#text']));
      else if ('#cdata' in child) for (const part of child['#cdata'] as OrderedNode[]) text += String(part['#text'] ?? '');
    }
    const attributes: Record<string, string> = {};
    for (const [key, value] of Object.entries(node[':@'] ?? {})) attributes[key] = decodeReferences(String(value));
    out.push({ name, attributes, children: convert(children), text });
  }
  return out;
}

/** The prolog before the root element: BOM, XML declaration, comments, processing instructions. */
const PROLOG = /^\uFEFF?(?:\s+|<\?[\s\S]*?\?>|<!--[\s\S]*?-->)*/;

/**
 * Parses an XML document into its root element; returns undefined when it is not well-formed.
 * A document type declaration is refused, as S3 refuses it (MalformedXML): its entities are never
 * resolved, internal or external, so no body can expand or read files.
 */
export function parseXmlDocument(text: string): XmlNode | undefined {
  if (text.trim() === '') return undefined;
  const prolog = PROLOG.exec(text)![0].length;
  if (text.startsWith('<!', prolog) && text.slice(prolog, prolog + 9).toUpperCase() === '<!DOCTYPE') return undefined;
  let roots: XmlNode[];
  try {
    if (XMLValidator.validate(text) !== true) return undefined;
    roots = convert(parser.parse(text) as OrderedNode[]);
  } catch {
    // A reference to an undeclared entity or a character XML forbids, the parser's own limits
    // (nesting depth), or a construct the validator let by.
    return undefined;
  }
  return roots.length === 1 ? roots[0] : undefined;
}

export class XmlValueError extends Error {}

/** Reads the element `node` as a value of shape `ref` (inverse of writeXml). */
export function readXml(model: ServiceModel, ref: ShapeRef, node: XmlNode): unknown {
  const shape = shapeOf(model, ref);
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      for (const [memberName, member] of Object.entries(shape.members ?? {})) {
        if (member.location) continue;
        const elementName = member.locationName ?? memberName;
        if (member.xmlAttribute) {
          const attr = node.attributes[elementName];
          if (attr !== undefined) out[memberName] = readScalar(model, member, attr);
          continue;
        }
        const memberShape = shapeOf(model, member);
        if (memberShape.type === 'list' && (member.flattened || memberShape.flattened)) {
          const itemName = member.locationName ?? memberShape.member!.locationName ?? memberName;
          const items = node.children.filter((c) => c.name === itemName);
          if (items.length > 0) out[memberName] = items.map((c) => readXml(model, memberShape.member!, c));
          continue;
        }
        if (memberShape.type === 'map' && (member.flattened || memberShape.flattened)) {
          const entries = node.children.filter((c) => c.name === elementName);
          if (entries.length > 0) out[memberName] = readMapEntries(model, memberShape.key!, memberShape.value!, entries);
          continue;
        }
        const child = node.children.find((c) => c.name === elementName);
        if (child) out[memberName] = readXml(model, member, child);
      }
      return out;
    }
    case 'list': {
      const itemName = shape.member!.locationName ?? 'member';
      return node.children.filter((c) => c.name === itemName).map((c) => readXml(model, shape.member!, c));
    }
    case 'map':
      return readMapEntries(model, shape.key!, shape.value!, node.children.filter((c) => c.name === 'entry'));
    default:
      return readScalar(model, ref, node.text);
  }
}

function readMapEntries(model: ServiceModel, key: ShapeRef, value: ShapeRef, entries: XmlNode[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keyName = key.locationName ?? 'key';
  const valueName = value.locationName ?? 'value';
  for (const entry of entries) {
    const k = entry.children.find((c) => c.name === keyName);
    const v = entry.children.find((c) => c.name === valueName);
    if (k) setEntry(out, k.text, v ? readXml(model, value, v) : '');
  }
  return out;
}

/** Converts text (XML text, query parameter, header) into the scalar type of `ref`. */
export function readScalar(model: ServiceModel, ref: ShapeRef, text: string): unknown {
  const shape = shapeOf(model, ref);
  if (shape.type === 'boolean') {
    const lower = text.trim().toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    throw new XmlValueError(`Invalid boolean value: ${text}`);
  }
  if (shape.type === 'timestamp') {
    const date = parseTimestamp(text.trim());
    if (!date) throw new XmlValueError(`Invalid timestamp value: ${text}`);
    return date;
  }
  if (shape.type === 'blob') {
    const bytes = decodeBase64(text);
    if (!bytes) throw new XmlValueError('Invalid base64 value');
    return bytes;
  }
  if (NUMERIC_TYPES.has(shape.type)) {
    const trimmed = text.trim();
    const n = Number(trimmed);
    if (trimmed === '' || !Number.isFinite(n) || (INTEGER_TYPES.has(shape.type) && !Number.isInteger(n))) {
      throw new XmlValueError(`Invalid ${shape.type} value: ${text}`);
    }
    return n;
  }
  return text;
}
