// Gateway responses: what a REST API answers when the gateway itself refuses or fails a request
// (an unknown path, a bad API key, a throttle, a failed authorizer, a validation error …). Each
// type has AWS's default status; an API's own response for the type (PutGatewayResponse), or its
// DEFAULT_4XX/DEFAULT_5XX, replaces the status, adds headers (`gatewayresponse.header.<name>`
// from a literal or from `method.request.*`, `stageVariables.*`, `context.*`) and renders the
// body template with `$context.error.message`, `messageString`, `responseType` and
// `validationErrorString`. Without one, the data plane's built-in answer stands unchanged.
import type { ServerResponse } from 'node:http';
import { renderTemplate, type TemplateScope } from './mapping-templates.js';

export const GATEWAY_RESPONSE_STATUS: Record<string, string | undefined> = {
  DEFAULT_4XX: undefined,
  DEFAULT_5XX: undefined,
  RESOURCE_NOT_FOUND: '404',
  UNAUTHORIZED: '401',
  INVALID_API_KEY: '403',
  ACCESS_DENIED: '403',
  AUTHORIZER_FAILURE: '500',
  AUTHORIZER_CONFIGURATION_ERROR: '500',
  INVALID_SIGNATURE: '403',
  EXPIRED_TOKEN: '403',
  MISSING_AUTHENTICATION_TOKEN: '403',
  INTEGRATION_FAILURE: '504',
  INTEGRATION_TIMEOUT: '504',
  API_CONFIGURATION_ERROR: '500',
  UNSUPPORTED_MEDIA_TYPE: '415',
  BAD_REQUEST_PARAMETERS: '400',
  BAD_REQUEST_BODY: '400',
  REQUEST_TOO_LARGE: '413',
  THROTTLED: '429',
  QUOTA_EXCEEDED: '429',
  WAF_FILTERED: '403',
};

export const DEFAULT_TEMPLATE = '{"message":$context.error.messageString}';

export interface GatewayResponseDoc {
  responseType: string;
  statusCode?: string;
  responseParameters?: Record<string, string>;
  responseTemplates?: Record<string, string>;
  defaultResponse?: boolean;
}

/** The response AWS shows for a type the API has not set. */
export function defaultGatewayResponse(type: string): GatewayResponseDoc {
  const status = GATEWAY_RESPONSE_STATUS[type];
  return { responseType: type, ...(status ? { statusCode: status } : {}), responseParameters: {}, responseTemplates: { 'application/json': DEFAULT_TEMPLATE }, defaultResponse: true };
}

/** The API's own response for a refusal of `type` with `status`, if it set one (the type's, else DEFAULT_4XX/5XX). */
export function customResponse(responses: ReadonlyMap<string, GatewayResponseDoc>, type: string, status: number): GatewayResponseDoc | undefined {
  return responses.get(type) ?? responses.get(status >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX');
}

/** Writes a gateway response: the custom one's status, headers and body template over the built-in answer. */
export function sendGatewayResponse(
  res: ServerResponse,
  custom: GatewayResponseDoc,
  answer: { type: string; status: number; message: string; headers: Record<string, string>; validationError?: string },
  scope: TemplateScope,
): void {
  const status = Number(custom.statusCode ?? answer.status);
  const headers: Record<string, string> = { ...answer.headers };
  const query = new URLSearchParams(scope.req.rawQuery);
  for (const [target, source] of Object.entries(custom.responseParameters ?? {})) {
    const name = /^gatewayresponse\.header\.(.+)$/.exec(target)?.[1];
    if (!name) continue;
    let value = /^'(.*)'$/s.exec(source)?.[1];
    let m: RegExpExecArray | null;
    if (value === undefined && (m = /^method\.request\.header\.(.+)$/.exec(source))) value = [scope.req.headers[m[1]!.toLowerCase()]].flat()[0];
    else if (value === undefined && (m = /^method\.request\.querystring\.(.+)$/.exec(source))) value = query.get(m[1]!) ?? undefined;
    else if (value === undefined && (m = /^method\.request\.path\.(.+)$/.exec(source))) value = scope.pathParameters[m[1]!];
    else if (value === undefined && (m = /^stageVariables\.(.+)$/.exec(source))) value = scope.stageVariables[m[1]!];
    else if (value === undefined && (m = /^context\.(requestId|stage|apiId|resourcePath|httpMethod)$/.exec(source))) {
      const ctx: Record<string, string> = { requestId: scope.req.requestId, stage: scope.req.stage, apiId: scope.req.apiId, resourcePath: scope.resourcePath, httpMethod: scope.req.method };
      value = ctx[m[1]!];
    }
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const templates = custom.responseTemplates ?? {};
  const template = templates['application/json'] ?? Object.values(templates)[0] ?? DEFAULT_TEMPLATE;
  const error = { message: answer.message, messageString: JSON.stringify(answer.message), responseType: answer.type, validationErrorString: answer.validationError ?? '' };
  const body = renderTemplate(template, { ...scope, body: '', error });
  sendRaw(res, status, body, headers);
}

function sendRaw(res: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  res.writeHead(status, { ...headers, 'content-type': headers['content-type'] ?? 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
