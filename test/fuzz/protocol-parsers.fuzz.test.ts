// Unit-level fuzzing of the protocol layer: every operation of every model Atoll generates, read by
// its protocol's parser (json, query, rest-json, rest-xml) from junk that follows the model just
// enough to go deep, then validated. The property: a parser answers with the typed input or a
// ServiceError (4xx), and never throws anything else (TypeError, RangeError, a stack overflow).
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import { catalog, loadModel, type OperationModel, type ServiceModel } from '@atoll/aws-models';
import {
  jsonProtocol,
  parseTimestamp,
  formatTimestamp,
  parseXmlDocument,
  queryParams,
  queryProtocol,
  restJsonProtocol,
  restXmlProtocol,
  RestRouter,
  validateInput,
  type ProtocolCodec,
  type ProtocolRequest,
} from '@atoll/aws-protocol';
import { assertHeapBounded, expectOnlyTypedErrors, fuzzParams, settledHeap } from './fuzz-settings.js';
import { encodeForm, httpBindingsFor, Junk, queryParamsFor, shapeValue, XML_JUNK, xmlFor } from './junk.js';

const CODECS: Record<string, ProtocolCodec> = { json: jsonProtocol, query: queryProtocol, 'rest-json': restJsonProtocol, 'rest-xml': restXmlProtocol };

interface Target {
  model: ServiceModel;
  operation: OperationModel;
  protocol: keyof typeof CODECS;
}

const targets: Target[] = [];
const routers = new Map<string, RestRouter>();

function request(partial: Partial<ProtocolRequest>): ProtocolRequest {
  const rawQuery = partial.rawQuery ?? '';
  return { method: 'POST', rawPath: '/', rawQuery, query: new URLSearchParams(rawQuery), headers: {}, ...partial };
}

/** Deeply nested JSON following a recursive shape where the model has one (DynamoDB's AttributeValue L/M). */
function deepJson(depth: number): string {
  return `${'{"L":['.repeat(depth)}{"S":"x"}${']}'.repeat(depth)}`;
}

function jsonBody(target: Target, junk: Junk): Buffer {
  const { model, operation } = target;
  const useLocationName = target.protocol === 'rest-json';
  switch (junk.int(10)) {
    case 0:
      return Buffer.from(Array.from({ length: junk.int(64) }, () => junk.int(256)));
    case 1: {
      const text = JSON.stringify(shapeValue(model, operation.input!, junk, { wrongType: 0.05, useLocationName, maxDepth: 6 }));
      return Buffer.from(text.slice(0, junk.int(text.length + 1)));
    }
    case 2:
      return Buffer.from(`{"${Object.keys(model.shapes[operation.input!.shape]!.members ?? { X: 1 })[0]}": ${deepJson(junk.pick([40, 2_000, 20_000]))}}`);
    case 3:
      return Buffer.from(junk.pick(['null', '[]', '"x"', '1', 'true', '{"__proto__": {"polluted": 1}}', '\uFEFF{}', '{}{}', '{"a":1,"a":2}']));
    default:
      return Buffer.from(JSON.stringify(shapeValue(model, operation.input!, junk, { wrongType: junk.pick([0, 0.02, 0.1, 0.3]), useLocationName, maxDepth: 8 })));
  }
}

function xmlBody(target: Target, junk: Junk): Buffer {
  const { model, operation } = target;
  const input = model.shapes[operation.input!.shape]!;
  let ref = operation.input!;
  let root = input.locationName ?? `${operation.name}Request`;
  if (input.payload) {
    const member = input.members![input.payload]!;
    ref = member;
    root = member.locationName ?? model.shapes[member.shape]!.locationName ?? input.payload;
  }
  if (junk.chance(0.1)) return Buffer.from(junk.pick(XML_JUNK) + junk.string());
  const value = shapeValue(model, ref, junk, { wrongType: junk.pick([0, 0.05, 0.2]), useLocationName: true, maxDepth: 8 });
  const out: string[] = [];
  if (junk.chance(0.3)) out.push('<?xml version="1.0" encoding="UTF-8"?>');
  if (junk.chance(0.05)) out.push(junk.pick(XML_JUNK));
  xmlFor(model, ref, value, root, junk, out);
  let text = out.join('');
  if (junk.chance(0.05)) text = text.slice(0, junk.int(text.length + 1));
  return Buffer.from(text);
}

function parseOnce(target: Target, seed: number): void {
  const junk = new Junk(seed);
  const { model, operation, protocol } = target;
  const codec = CODECS[protocol]!;
  let req: ProtocolRequest;
  let uriParams: Record<string, string> = {};
  if (protocol === 'json') {
    req = request({ headers: { 'content-type': 'application/x-amz-json-1.0' }, body: operation.input ? jsonBody(target, junk) : Buffer.from(junk.string()) });
  } else if (protocol === 'query') {
    const params: [string, string][] = [['Action', operation.name], ['Version', model.metadata.apiVersion]];
    if (operation.input) {
      queryParamsFor(model, operation.input, shapeValue(model, operation.input, junk, { wrongType: junk.pick([0, 0.05, 0.2]), useLocationName: false, maxDepth: 8 }), '', junk, params);
    }
    for (let i = junk.int(3); i > 0; i--) params.push([junk.chance(0.5) ? junk.string() : `${junk.ascii(4)}.${junk.int(3)}.${junk.ascii(3)}`, junk.string()]);
    let body = encodeForm(params);
    if (junk.chance(0.1)) body = junk.pick(['%', '%E2%82', 'a=%ZZ', '&&&=&', '==', 'a.b.c.d.e.f.g=1']) + body;
    const raw = junk.chance(0.05) ? Buffer.from([0xff, 0xfe, 0x41]) : Buffer.from(body);
    req = request({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: raw });
  } else {
    const bindings = httpBindingsFor(model, operation.input, junk);
    uriParams = bindings.uri;
    const rawQuery = encodeForm(bindings.query);
    const body = !operation.input ? undefined : protocol === 'rest-json' ? jsonBody(target, junk) : xmlBody(target, junk);
    req = request({ method: operation.http.method, rawQuery, headers: bindings.headers, body: junk.chance(0.1) ? undefined : body });
  }
  expectOnlyTypedErrors(
    () => {
      // As the edge does: the query protocol's parameters come from the form body.
      if (protocol === 'query') req.query = queryParams(req);
      const input = codec.parseInput(model, operation, req, uriParams);
      const invalid = validateInput(model, operation.input, input);
      if (invalid) throw invalid;
    },
    () => `${model.metadata.name} ${operation.name} (${protocol}) seed ${seed}: body ${String(req.body?.subarray(0, 300))}`,
  );
}

describe('protocol parsers under junk', () => {
  before(async () => {
    for (const entry of catalog) {
      const model = await loadModel(entry.name);
      for (const protocol of new Set([model.metadata.protocol, ...(model.metadata.protocols ?? [])])) {
        if (!(protocol in CODECS)) continue;
        if (protocol === 'rest-json' || protocol === 'rest-xml') routers.set(model.metadata.name, new RestRouter(model));
        for (const operation of Object.values(model.operations)) targets.push({ model, operation, protocol: protocol as keyof typeof CODECS });
      }
    }
  });

  for (const protocol of Object.keys(CODECS)) {
    test(`${protocol} inputs read from junk throw only ServiceErrors`, () => {
      const mine = targets.filter((t) => t.protocol === protocol);
      const heap = settledHeap();
      fc.assert(
        fc.property(fc.nat(mine.length - 1), fc.integer(), (index, seed) => parseOnce(mine[index]!, seed)),
        fuzzParams(protocol === 'query' || protocol === 'json' ? 1500 : 1000),
      );
      // Every operation at least once, in model order, whatever the seed picked.
      mine.forEach((t, i) => parseOnce(t, i));
      assertHeapBounded(heap, 64, `${protocol} parsing`);
    });
  }

  test('the rest router matches junk methods, paths, queries and headers without throwing', () => {
    const services = [...routers.keys()];
    fc.assert(
      fc.property(
        fc.constantFrom(...services),
        fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'PATCH', 'get', 'OPTIONS', ''),
        fc.array(fc.oneof(fc.string(), fc.constantFrom('%', '%ZZ', '%2F', '..', '.', '', '%E2%82', 'functions', '2015-03-31', 'bucket')), { maxLength: 8 }),
        fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 4 }),
        (service, method, segments, query) => {
          const router = routers.get(service)!;
          const path = `/${segments.join('/')}`;
          const params = new URLSearchParams(query);
          expectOnlyTypedErrors(() => {
            router.match(method, path, params, { 'x-amz-copy-source': 'a/b' });
            router.pathExists(path);
          }, () => `${service} ${method} ${path}`);
        },
      ),
      fuzzParams(3000),
    );
  });

  test('XML documents: any text is read or refused, never thrown on', () => {
    const piece = fc.oneof(
      fc.string(),
      fc.constantFrom(...XML_JUNK, '<a>', '</a>', '<a/>', '<b x="1">', '</b>', '&amp;', '&lt;', '&#', '&#x;', ']]>', '<![CDATA[', '<?xml version="1.0"?>', '<!--', '-->'),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 20 }), (pieces) => {
        const text = pieces.join('');
        expectOnlyTypedErrors(() => parseXmlDocument(text), () => JSON.stringify(text));
      }),
      fuzzParams(5000),
    );
  });

  test('timestamps: whatever parses formats again in every format', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.double(), fc.integer(), fc.constantFrom('1e400', '99999999999999999999', '-99999999999999', '8640000000000.001', '2024-13-01T00:00:00Z', 'Invalid')),
        (value) => {
          const date = parseTimestamp(value);
          if (!date) return;
          for (const format of ['iso8601', 'rfc822', 'unixTimestamp'] as const) formatTimestamp(date, format);
        },
      ),
      fuzzParams(5000),
    );
  });
});
