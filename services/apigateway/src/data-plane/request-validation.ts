// REST APIs' request validation: a method's request validator (`requestValidatorId`) checks the
// required request parameters (`requestParameters` set to true: `method.request.querystring.x`,
// `method.request.header.x`, `method.request.path.x`) and the body against the JSON-schema model
// the method names for the request's Content-Type (`requestModels`, else its `$default`).
// Failures answer as AWS does: 400 `Missing required request parameters: [a, b]` (type
// BAD_REQUEST_PARAMETERS) or 400 `Invalid request body` (BAD_REQUEST_BODY), with the schema's
// complaints in `$context.error.validationErrorString`.
import type { MethodDoc, ModelDoc, RequestValidatorDoc } from '../v1/rest-api-records.js';
import { SchemaValidator, type Schema } from './json-schema.js';
import type { ApiRequest } from './proxy-events.js';

export interface ValidationFailure {
  type: 'BAD_REQUEST_PARAMETERS' | 'BAD_REQUEST_BODY';
  message: string;
  validationError: string;
}

/** The models of a deployment compiled once: schemas by name. */
export function compileModels(models: readonly ModelDoc[]): Map<string, Schema> {
  const out = new Map<string, Schema>();
  for (const m of models) {
    try {
      const schema = JSON.parse(m.schema ?? '{}') as unknown;
      if (schema && typeof schema === 'object') out.set(m.name, schema as Schema);
    } catch {
      // Refused at CreateModel; an unparsable schema never reaches a deployment.
    }
  }
  return out;
}

export function validateRequest(
  method: MethodDoc,
  validator: RequestValidatorDoc | undefined,
  models: ReadonlyMap<string, Schema>,
  req: ApiRequest,
  pathParameters: Record<string, string>,
): ValidationFailure | undefined {
  if (!validator) return undefined;
  if (validator.validateRequestParameters) {
    const query = new URLSearchParams(req.rawQuery);
    const missing: string[] = [];
    for (const [name, required] of Object.entries(method.requestParameters ?? {})) {
      if (!required) continue;
      const m = /^method\.request\.(querystring|header|path|multivaluequerystring|multivalueheader)\.(.+)$/.exec(name);
      if (!m) continue;
      const [, where, key] = m as unknown as [string, string, string];
      const present =
        where.endsWith('querystring') ? query.has(key) : where.endsWith('header') ? req.headers[key.toLowerCase()] !== undefined : pathParameters[key] !== undefined && pathParameters[key] !== '';
      if (!present) missing.push(key);
    }
    if (missing.length > 0) {
      const message = `Missing required request parameters: [${missing.join(', ')}]`;
      return { type: 'BAD_REQUEST_PARAMETERS', message, validationError: message };
    }
  }
  if (validator.validateRequestBody) {
    const requestModels = method.requestModels ?? {};
    const type = String(req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
    const modelName = requestModels[type] ?? requestModels.$default;
    const schema = modelName ? models.get(modelName) : undefined;
    if (schema) {
      let body: unknown;
      try {
        body = JSON.parse(req.body.length === 0 ? 'null' : req.body.toString('utf8'));
      } catch {
        return { type: 'BAD_REQUEST_BODY', message: 'Invalid request body', validationError: '[Invalid JSON in request body]' };
      }
      const errors = new SchemaValidator(models).validate(body, schema);
      if (errors.length > 0) return { type: 'BAD_REQUEST_BODY', message: 'Invalid request body', validationError: `[${errors.join(', ')}]` };
    }
  }
  return undefined;
}
