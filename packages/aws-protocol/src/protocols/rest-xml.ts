// The rest-xml protocol (S3, Route 53, CloudFront): HTTP bindings plus an XML body. S3's errors are
// a bare `<Error>` element; the others wrap it in `<ErrorResponse>`.
import type { ServiceModel } from '@atoll/aws-models';
import { serviceError, type ServiceError } from '@atoll/core';
import { protocolOverrides } from '../overrides.js';
import { shapeOf } from '../shapes.js';
import type { ProtocolResponse, ResponseContext } from '../types.js';
import { escapeXmlText, parseXmlDocument, readXml, writeXml, XmlValueError } from '../xml.js';
import { errorShapeName, type ProtocolCodec } from './codec.js';
import { parseRestInput, serializeRestOutput, type BodyFormat } from './rest.js';

export function malformedXml() {
  return serviceError(
    'MalformedXML',
    400,
    'The XML you provided was not well-formed or did not validate against our published schema',
  );
}

const xmlBody: BodyFormat = {
  contentType: 'application/xml',
  readStructure(model, shapeName, body) {
    const root = parseXmlDocument(body.toString('utf8'));
    if (!root) throw malformedXml();
    try {
      return readXml(model, { shape: shapeName }, root) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof XmlValueError) throw malformedXml();
      throw error;
    }
  },
  writeStructure(model, operation, shapeName, value, rootName) {
    const shape = shapeOf(model, { shape: shapeName });
    const name =
      rootName ??
      protocolOverrides(model.metadata.name).xmlOutputRoots?.[operation.name] ??
      shape.locationName ??
      `${operation.name}Result`;
    const ns = shape.xmlNamespace?.uri ?? model.metadata.xmlNamespace ?? protocolOverrides(model.metadata.name).xmlNamespace;
    const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
    writeXml(model, { shape: shapeName }, value, name, out, ns ? ` xmlns="${ns}"` : '');
    return out.join('');
  },
};

export const restXmlProtocol: ProtocolCodec = {
  name: 'rest-xml',
  parseInput: (model, operation, request, uriParams) => parseRestInput(model, operation, request, uriParams, xmlBody),
  serializeOutput(model, operation, output, ctx) {
    const response = serializeRestOutput(model, operation, output, ctx, xmlBody);
    if (model.metadata.name === 's3') {
      // A ranged read answers 206 Partial Content (the model has no status member for it).
      if (response.status === 200 && response.headers['content-range'] !== undefined) response.status = 206;
      response.headers['x-amz-request-id'] = ctx.requestId;
      response.headers['x-amz-id-2'] = Buffer.from(ctx.requestId).toString('base64');
    }
    return response;
  },
  serializeError(model: ServiceModel | undefined, error: ServiceError, ctx: ResponseContext): ProtocolResponse {
    const bare = model ? protocolOverrides(model.metadata.name).bareXmlErrors : false;
    const inner: string[] = [`<Code>${escapeXmlText(error.code)}</Code><Message>${escapeXmlText(error.message)}</Message>`];
    const shapeName = errorShapeName(model, error.code);
    for (const [key, value] of Object.entries(error.fields)) {
      if (value === undefined || value === null) continue;
      const member = model && shapeName ? model.shapes[shapeName]?.members?.[key] : undefined;
      if (model && member) {
        writeXml(model, member, value, member.locationName ?? key, inner);
      } else {
        inner.push(`<${key}>${escapeXmlText(value instanceof Date ? value.toISOString() : String(value))}</${key}>`);
      }
    }
    const hostId = Buffer.from(ctx.requestId).toString('base64');
    const xml = bare
      ? `<Error>${inner.join('')}<RequestId>${ctx.requestId}</RequestId><HostId>${hostId}</HostId></Error>`
      : `<ErrorResponse${model?.metadata.xmlNamespace ? ` xmlns="${model.metadata.xmlNamespace}"` : ''}><Error><Type>${
          error.senderFault ? 'Sender' : 'Receiver'
        }</Type>${inner.join('')}</Error><RequestId>${ctx.requestId}</RequestId></ErrorResponse>`;
    const headers: Record<string, string> = {
      'content-type': 'application/xml',
      'x-amzn-requestid': ctx.requestId,
      ...error.headers,
    };
    if (bare) {
      headers['x-amz-request-id'] = ctx.requestId;
      headers['x-amz-id-2'] = hostId;
    }
    return {
      status: error.status,
      headers,
      body: ctx.method === 'HEAD' ? undefined : `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`,
    };
  },
};
