// Builds a whole HTTP request of junk for one operation of a served model, in the operation's wire
// protocol (json, query, rest-json, rest-xml), for the platform-level fuzzers.
import type { OperationModel, ServiceModel } from '@atoll/aws-models';
import { encodeForm, httpBindingsFor, Junk, queryParamsFor, rfc3986, shapeValue, XML_JUNK, xmlFor } from './junk.js';
import type { RawRequest } from './raw-http.js';

/**
 * Operations left out of the platform-level junk: they start workloads, bind ports or wait (long
 * polls), which would make the suite slow or touch the machine. Their inputs are still fuzzed at
 * unit level by protocol-parsers.fuzz.test.ts.
 */
export const LEFT_OUT = new Set([
  'ecs.RunTask',
  'ecs.StartTask',
  'ecs.CreateService',
  'ecs.UpdateService',
  'elbv2.CreateListener',
  'elbv2.ModifyListener',
  'lambda.Invoke',
  'lambda.InvokeAsync',
  'lambda.InvokeWithResponseStream',
  'sqs.ReceiveMessage',
]);

export function protocolOf(model: ServiceModel, junk: Junk): string {
  const protocols = model.metadata.protocols?.length ? model.metadata.protocols : [model.metadata.protocol];
  return junk.pick(protocols);
}

function jsonText(model: ServiceModel, operation: OperationModel, junk: Junk, useLocationName: boolean): string {
  if (!operation.input) return junk.chance(0.5) ? '{}' : junk.string();
  if (junk.chance(0.05)) return junk.string();
  const text = JSON.stringify(shapeValue(model, operation.input, junk, { wrongType: junk.pick([0, 0, 0.02, 0.1, 0.3]), useLocationName, maxDepth: 8 }));
  return junk.chance(0.05) ? text.slice(0, junk.int(text.length)) : text;
}

function fillUri(template: string, uri: Record<string, string>, junk: Junk): { path: string; literalQuery: [string, string][] } {
  const [pathTemplate, queryTemplate = ''] = template.split('?');
  const path = pathTemplate!.replace(/\{([^}]+)\}/g, (_m, label: string) => {
    const greedy = label.endsWith('+');
    const name = greedy ? label.slice(0, -1) : label;
    let value = uri[name] ?? junk.ascii(1 + junk.int(8));
    if (value === '' && junk.chance(0.8)) value = 'x';
    return greedy ? value.split('/').map(rfc3986).join('/') : rfc3986(value);
  });
  const literalQuery: [string, string][] = [];
  for (const part of queryTemplate.split('&')) {
    if (!part) continue;
    const [k, v = ''] = part.split('=');
    if (!v.startsWith('{')) literalQuery.push([decodeURIComponent(k!), decodeURIComponent(v)]);
  }
  return { path: path || '/', literalQuery };
}

/** A request of junk for `operation`, signed by the caller for `model.metadata.signingName`. */
export function junkRequest(model: ServiceModel, operation: OperationModel, seed: number): RawRequest {
  const junk = new Junk(seed);
  const protocol = protocolOf(model, junk);
  switch (protocol) {
    case 'json':
      return {
        method: 'POST',
        path: '/',
        headers: {
          'content-type': `application/x-amz-json-${model.metadata.jsonVersion ?? '1.0'}`,
          'x-amz-target': `${model.metadata.targetPrefix}.${operation.name}`,
        },
        body: jsonText(model, operation, junk, false),
      };
    case 'query': {
      const params: [string, string][] = [['Action', operation.name], ['Version', model.metadata.apiVersion]];
      if (operation.input) {
        queryParamsFor(model, operation.input, shapeValue(model, operation.input, junk, { wrongType: junk.pick([0, 0, 0.05, 0.2]), useLocationName: false, maxDepth: 8 }), '', junk, params);
      }
      if (junk.chance(0.1)) params.push([junk.string(), junk.string()]);
      return { method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: encodeForm(params) };
    }
    default: {
      const bindings = httpBindingsFor(model, operation.input, junk);
      const { path, literalQuery } = fillUri(operation.http.requestUri, bindings.uri, junk);
      let body: string | undefined;
      if (operation.input && junk.chance(0.8)) {
        if (protocol === 'rest-json') body = jsonText(model, operation, junk, true);
        else {
          const input = model.shapes[operation.input.shape]!;
          const payload = input.payload ? input.members![input.payload]! : undefined;
          const payloadShape = payload ? model.shapes[payload.shape]! : undefined;
          if (payload && payloadShape && payloadShape.type !== 'structure') body = junk.string();
          else {
            const ref = payload ?? operation.input;
            const root = payload ? (payload.locationName ?? payloadShape!.locationName ?? input.payload!) : (input.locationName ?? `${operation.name}Request`);
            const out: string[] = [];
            if (junk.chance(0.05)) out.push(junk.pick(XML_JUNK));
            xmlFor(model, ref, shapeValue(model, ref, junk, { wrongType: junk.pick([0, 0.05, 0.2]), useLocationName: true, maxDepth: 8 }), root, junk, out);
            body = out.join('');
          }
        }
      }
      const headers: Record<string, string> = { ...bindings.headers };
      if (body !== undefined) headers['content-type'] = protocol === 'rest-json' ? 'application/json' : 'application/xml';
      return { method: operation.http.method, path, query: [...literalQuery, ...bindings.query], headers, body };
    }
  }
}
