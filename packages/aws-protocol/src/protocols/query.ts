// The AWS query protocol: `Action=Op&Version=…&Member.1=…` form parameters in, XML out, as IAM,
// STS, ELBv2, SNS and SQS (for older SDKs) speak it.
import type { OperationModel, ServiceModel, ShapeRef } from '@atoll/aws-models';
import { serviceError, type ServiceError } from '@atoll/core';
import { setEntry, shapeOf } from '../shapes.js';
import type { ProtocolRequest, ProtocolResponse, ResponseContext } from '../types.js';
import { escapeXmlText, readScalar, writeXml, XmlValueError } from '../xml.js';
import { errorShapeName, type ProtocolCodec } from './codec.js';
import { protocolOverrides } from '../overrides.js';

interface ParamNode {
  value?: string;
  children: Map<string, ParamNode>;
}

/** Refuses a form whose bytes or percent-escapes are not UTF-8 (URLSearchParams would hide it). */
function checkUtf8Form(text: string): void {
  for (const part of text.split('&')) {
    try {
      decodeURIComponent(part.replace(/\+/g, ' '));
    } catch {
      throw serviceError('MalformedQueryString', 400, 'The query string or form body is not valid UTF-8 or has a malformed percent-escape.');
    }
  }
}

/** The form parameters of a query request: the body for POST, else the query string. */
export function queryParams(request: ProtocolRequest): URLSearchParams {
  const type = String(request.headers['content-type'] ?? '');
  if (request.method === 'POST' && request.body && request.body.length > 0 && !type.includes('json')) {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(request.body);
    } catch {
      throw serviceError('MalformedQueryString', 400, 'The form body is not valid UTF-8.');
    }
    checkUtf8Form(text);
    const params = new URLSearchParams(text);
    for (const [k, v] of request.query) if (!params.has(k)) params.append(k, v);
    return params;
  }
  checkUtf8Form(request.rawQuery);
  return request.query;
}

function buildTree(params: URLSearchParams): ParamNode {
  const root: ParamNode = { children: new Map() };
  for (const [key, value] of params) {
    let node = root;
    for (const part of key.split('.')) {
      let child = node.children.get(part);
      if (!child) node.children.set(part, (child = { children: new Map() }));
      node = child;
    }
    node.value = value;
  }
  return root;
}

function indexed(node: ParamNode | undefined): ParamNode[] {
  if (!node) return [];
  return [...node.children.entries()]
    .filter(([k]) => /^\d+$/.test(k))
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map(([, v]) => v);
}

function scalar(model: ServiceModel, ref: ShapeRef, text: string, name: string): unknown {
  try {
    return readScalar(model, ref, text);
  } catch (error) {
    if (error instanceof XmlValueError) {
      throw serviceError('InvalidParameterValue', 400, `Value (${text}) for parameter ${name} is invalid. ${error.message}`);
    }
    throw error;
  }
}

function readValue(model: ServiceModel, ref: ShapeRef, node: ParamNode | undefined, parent: ParamNode, name: string): unknown {
  const shape = shapeOf(model, ref);
  switch (shape.type) {
    case 'structure': {
      if (!node) return undefined;
      return readStructure(model, ref, node);
    }
    case 'list': {
      const member = shape.member!;
      const flattened = ref.flattened || shape.flattened;
      let items: ParamNode[] = [];
      if (flattened) {
        const flatName = member.locationName ?? name;
        items = indexed(parent.children.get(flatName) ?? node);
      }
      if (items.length === 0 && node) items = indexed(node.children.get(member.locationName ?? 'member')) ;
      if (items.length === 0 && node) items = indexed(node);
      if (items.length === 0) return node && node.value === '' ? [] : undefined;
      return items.map((item) => readValue(model, member, item, item, name));
    }
    case 'map': {
      if (!node) return undefined;
      const flattened = ref.flattened || shape.flattened;
      let entries = flattened ? indexed(node) : indexed(node.children.get('entry'));
      if (entries.length === 0) entries = flattened ? indexed(node.children.get('entry')) : indexed(node);
      const keyName = shape.key!.locationName ?? 'key';
      const valueName = shape.value!.locationName ?? 'value';
      const out: Record<string, unknown> = {};
      for (const entry of entries) {
        const key = entry.children.get(keyName)?.value;
        if (key === undefined) continue;
        const valueNode = entry.children.get(valueName);
        setEntry(out, key, readValue(model, shape.value!, valueNode, entry, valueName));
      }
      return out;
    }
    default:
      if (!node || node.value === undefined) return undefined;
      return scalar(model, ref, node.value, name);
  }
}

function readStructure(model: ServiceModel, ref: ShapeRef, node: ParamNode): Record<string, unknown> {
  const shape = shapeOf(model, ref);
  const out: Record<string, unknown> = {};
  for (const [memberName, member] of Object.entries(shape.members ?? {})) {
    const name = member.queryName ?? member.locationName ?? memberName;
    let value = readValue(model, member, node.children.get(name), node, name);
    if (value === undefined && name !== memberName) value = readValue(model, member, node.children.get(memberName), node, memberName);
    if (value !== undefined) out[memberName] = value;
  }
  return out;
}

/** Reads an operation's input from query parameters. */
export function readQueryInput(model: ServiceModel, operation: OperationModel, params: URLSearchParams): Record<string, unknown> {
  if (!operation.input) return {};
  return readStructure(model, operation.input, buildTree(params));
}

function namespaceAttr(model: ServiceModel): string {
  const ns = model.metadata.xmlNamespace ?? protocolOverrides(model.metadata.name).queryXmlNamespace;
  return ns ? ` xmlns="${ns}"` : '';
}

export const queryProtocol: ProtocolCodec = {
  name: 'query',

  parseInput(model, operation, request) {
    return readQueryInput(model, operation, queryParams(request));
  },

  serializeOutput(model, operation, output, ctx): ProtocolResponse {
    const out: string[] = [`<${operation.name}Response${namespaceAttr(model)}>`];
    if (operation.output && output) {
      const wrapper = operation.output.resultWrapper ?? `${operation.name}Result`;
      writeXml(model, operation.output, output, wrapper, out, '', 'iso8601', true);
    }
    out.push(`<ResponseMetadata><RequestId>${ctx.requestId}</RequestId></ResponseMetadata></${operation.name}Response>`);
    return {
      status: 200,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': ctx.requestId },
      body: `<?xml version="1.0"?>\n${out.join('')}`,
    };
  },

  serializeError(model, error: ServiceError, ctx): ProtocolResponse {
    const out: string[] = [`<ErrorResponse${model ? namespaceAttr(model) : ''}><Error>`];
    out.push(`<Type>${error.senderFault ? 'Sender' : 'Receiver'}</Type>`);
    out.push(`<Code>${escapeXmlText(error.queryCode)}</Code>`);
    out.push(`<Message>${escapeXmlText(error.message)}</Message>`);
    const shapeName = errorShapeName(model, error.code);
    if (model && shapeName && Object.keys(error.fields).length > 0) {
      const inner: string[] = [];
      writeXml(model, { shape: shapeName }, error.fields, 'x', inner, '', 'iso8601', true);
      out.push(...inner.slice(1, -1));
    }
    out.push(`<Detail/></Error><RequestId>${ctx.requestId}</RequestId></ErrorResponse>`);
    return {
      status: error.status,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': ctx.requestId, ...error.headers },
      body: `<?xml version="1.0"?>\n${out.join('')}`,
    };
  },
};
