// REST APIs' integration request parameters: `integration.request.(path|querystring|header).<name>`
// mapped from `method.request.(path|querystring|multivaluequerystring|header|multivalueheader).<name>`,
// `method.request.body` (or a JSONPath in it), `stageVariables.<name>`, `context.<name>` or a
// quoted literal (`'value'`). The path values fill the integration URI's `{name}` placeholders.
import type { ApiRequest } from './proxy-events.js';
import { jsonPath } from './mapping-templates.js';

export interface IntegrationParameters {
  path: Record<string, string>;
  querystring: Record<string, string>;
  header: Record<string, string>;
}

export function integrationParameters(
  mapping: Record<string, string> | undefined,
  req: ApiRequest,
  pathParameters: Record<string, string>,
  stageVariables: Record<string, string>,
): IntegrationParameters {
  const out: IntegrationParameters = { path: {}, querystring: {}, header: {} };
  if (!mapping) return out;
  let query: URLSearchParams | undefined;
  for (const [target, source] of Object.entries(mapping)) {
    const t = /^integration\.request\.(path|querystring|header)\.(.+)$/.exec(target);
    if (!t) continue;
    let value: string | undefined;
    let m: RegExpExecArray | null;
    const literal = /^'(.*)'$/s.exec(source);
    if (literal) value = literal[1];
    else if ((m = /^method\.request\.path\.(.+)$/.exec(source))) value = pathParameters[m[1]!];
    else if ((m = /^method\.request\.(multivalue)?querystring\.(.+)$/.exec(source))) {
      query ??= new URLSearchParams(req.rawQuery);
      value = m[1] ? query.getAll(m[2]!).join(',') || undefined : (query.getAll(m[2]!).at(-1) ?? undefined);
    } else if ((m = /^method\.request\.(multivalue)?header\.(.+)$/.exec(source))) {
      const v = req.headers[m[2]!.toLowerCase()];
      value = Array.isArray(v) ? v.join(',') : v;
    } else if (source === 'method.request.body') value = req.body.toString('utf8');
    else if ((m = /^method\.request\.body\.(.+)$/.exec(source))) {
      try {
        const v = jsonPath(JSON.parse(req.body.toString('utf8')), `$.${m[1]}`);
        value = v === undefined || v === null ? undefined : typeof v === 'object' ? JSON.stringify(v) : String(v);
      } catch {
        value = undefined;
      }
    } else if ((m = /^stageVariables\.(.+)$/.exec(source))) value = stageVariables[m[1]!];
    else if ((m = /^context\.(.+)$/.exec(source))) {
      const context: Record<string, string> = { requestId: req.requestId, stage: req.stage, apiId: req.apiId, accountId: req.accountId, httpMethod: req.method, resourcePath: req.resourcePath ?? '', domainName: req.domainName, 'identity.sourceIp': req.sourceIp };
      value = context[m[1]!];
    }
    if (value === undefined) continue;
    out[t[1] as keyof IntegrationParameters][t[2]!] = value;
  }
  return out;
}
