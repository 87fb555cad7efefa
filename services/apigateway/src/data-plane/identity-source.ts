// Authorizers' identity sources: `$request.header.Authorization`, `$request.querystring.token`,
// `$stageVariables.name`, `$context.name` (HTTP APIs) and `method.request.header.Authorization`,
// `method.request.querystring.token`, `stageVariables.name` (REST APIs), `route.request.header.x`
// and `route.request.querystring.x` (WebSocket APIs). All must be present.
import type { ApiRequest } from './proxy-events.js';

/** The values of the identity sources, or undefined when one is missing or empty. */
export function identityValues(sources: readonly string[], req: ApiRequest, stageVariables: Record<string, string>): string[] | undefined {
  const out: string[] = [];
  let query: URLSearchParams | undefined;
  for (const raw of sources.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean)) {
    let value: string | undefined;
    const header = /^(?:\$request|method\.request|route\.request)\.header\.(.+)$/i.exec(raw);
    const qs = /^(?:\$request|method\.request|route\.request)\.querystring\.(.+)$/i.exec(raw);
    const sv = /^\$?stageVariables\.(.+)$/.exec(raw);
    if (header) {
      const v = req.headers[header[1]!.toLowerCase()];
      value = Array.isArray(v) ? v.join(',') : v;
    } else if (qs) {
      query ??= new URLSearchParams(req.rawQuery);
      value = query.get(qs[1]!) ?? undefined;
    } else if (sv) value = stageVariables[sv[1]!];
    else if (raw.startsWith('$context.')) value = raw === '$context.stage' ? req.stage : raw === '$context.requestId' ? req.requestId : undefined;
    if (value === undefined || value === '') return undefined;
    out.push(value);
  }
  return out;
}

/** `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/<path without leading slash>`. */
export function executeApiArn(req: ApiRequest, method: string, path: string): string {
  return `arn:aws:execute-api:${req.region}:${req.accountId}:${req.apiId}/${req.stage}/${method}/${path.replace(/^\//, '')}`;
}
