// HTTP APIs' parameter mapping: an integration's RequestParameters change the request it sends
// (`append:`/`overwrite:`/`remove:` on `header.<name>` and `querystring.<name>`, `overwrite:path`),
// and its ResponseParameters (by the upstream's status code) change the answer
// (`append:`/`overwrite:`/`remove:` `header.<name>`, `overwrite:statuscode`). Values are literals
// with `$request.header.x`, `$request.querystring.x`, `$request.path.x`, `$request.path`,
// `$request.body.<JSONPath>`, `$context.x`, `$stageVariables.x` (and `$response.header.x` in
// response mappings) substituted, in the form `${...}` or bare.
// Known limitation: `$response.body` is not served (the answer streams through unread).
import type { ApiRequest } from './proxy-events.js';
import { jsonPath } from './mapping-templates.js';

export interface MappingSources {
  req: ApiRequest;
  pathParameters: Record<string, string>;
  stageVariables: Record<string, string>;
  responseHeaders?: Record<string, string | string[] | undefined>;
}

const TOKEN = /\$\{?((?:request\.(?:header|querystring|path|body)\.[A-Za-z0-9_.\-[\]$]+)|request\.path|(?:context|stageVariables)\.[A-Za-z0-9_.]+|response\.header\.[A-Za-z0-9_-]+)\}?/g;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** A mapping value with its variables substituted (empty where a variable has no value). */
export function mappingValue(template: string, s: MappingSources): string {
  let body: unknown;
  let parsed = false;
  return template.replace(TOKEN, (_m, name: string) => {
    const [root, kind, ...rest] = name.split('.');
    const key = rest.join('.');
    if (root === 'request' && kind === 'path' && key === '') return s.req.path;
    if (root === 'request' && kind === 'header') return first(s.req.headers[key.toLowerCase()]) ?? '';
    if (root === 'request' && kind === 'querystring') return new URLSearchParams(s.req.rawQuery).getAll(key).join(',');
    if (root === 'request' && kind === 'path') return s.pathParameters[key] ?? '';
    if (root === 'request' && kind === 'body') {
      if (!parsed) {
        parsed = true;
        try {
          body = JSON.parse(s.req.body.toString('utf8'));
        } catch {
          body = undefined;
        }
      }
      const v = jsonPath(body, `$.${key}`);
      return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
    if (root === 'stageVariables') return s.stageVariables[[kind, ...rest].join('.')] ?? '';
    if (root === 'response') return first(s.responseHeaders?.[key.toLowerCase()]) ?? '';
    const context: Record<string, string> = {
      requestId: s.req.requestId,
      apiId: s.req.apiId,
      stage: s.req.stage,
      accountId: s.req.accountId,
      domainName: s.req.domainName,
      httpMethod: s.req.method,
      path: s.req.rawPath,
      routeKey: s.req.routeKey ?? '',
      'identity.sourceIp': s.req.sourceIp,
      'identity.userAgent': first(s.req.headers['user-agent']) ?? '',
    };
    return context[[kind, ...rest].join('.')] ?? '';
  });
}

/** Applies RequestParameters to the outgoing headers and URL (mutating both). */
export function mapRequestParameters(parameters: Record<string, string>, s: MappingSources, headers: Record<string, string | string[] | undefined>, url: URL): void {
  for (const [target, template] of Object.entries(parameters)) {
    const m = /^(append|overwrite|remove):(header|querystring)\.(.+)$/.exec(target);
    if (m) {
      const [, action, where, rawName] = m as unknown as [string, string, string, string];
      const value = action === 'remove' ? '' : mappingValue(template, s);
      if (where === 'header') {
        const name = rawName.toLowerCase();
        if (action === 'remove') delete headers[name];
        else if (action === 'overwrite' || headers[name] === undefined) headers[name] = value;
        else headers[name] = `${first(headers[name])},${value}`;
      } else if (action === 'remove') url.searchParams.delete(rawName);
      else if (action === 'overwrite') url.searchParams.set(rawName, value);
      else url.searchParams.append(rawName, value);
      continue;
    }
    if (target === 'overwrite:path') {
      const path = mappingValue(template, s);
      url.pathname = path.startsWith('/') ? path : `/${path}`;
    }
  }
}

/** Applies the ResponseParameters for the upstream's status: new status and headers. */
export function mapResponseParameters(
  parameters: Record<string, Record<string, string>> | undefined,
  status: number,
  headers: Record<string, string | string[]>,
  s: MappingSources,
): number {
  const mapping = parameters?.[String(status)];
  if (!mapping) return status;
  const sources = { ...s, responseHeaders: { ...headers } };
  let out = status;
  for (const [target, template] of Object.entries(mapping)) {
    if (target === 'overwrite:statuscode') {
      const code = Number(mappingValue(template, sources));
      if (Number.isInteger(code) && code >= 100 && code <= 599) out = code;
      continue;
    }
    const m = /^(append|overwrite|remove):header\.(.+)$/.exec(target);
    if (!m) continue;
    const name = m[2]!.toLowerCase();
    if (m[1] === 'remove') delete headers[name];
    else if (m[1] === 'overwrite' || headers[name] === undefined) headers[name] = mappingValue(template, sources);
    else headers[name] = `${first(headers[name])},${mappingValue(template, sources)}`;
  }
  return out;
}
