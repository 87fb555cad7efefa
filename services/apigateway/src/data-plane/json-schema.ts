// The JSON Schema (draft 4) subset API Gateway's request validation applies to a body against a
// REST API's model: type, enum, properties/required/additionalProperties, items, min/max (and
// exclusive), lengths, pattern, item counts, uniqueItems, allOf/anyOf/oneOf/not, and `$ref` to
// `#/definitions/…` or to another model of the API (`…/restapis/<id>/models/<name>`). `format`
// and draft-6+ keywords are not checked. Errors read as API Gateway's validationErrorString does.

export type Schema = Record<string, unknown>;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

export class SchemaValidator {
  /** `models`: the API's other models by name, for `$ref`s between them. */
  constructor(private readonly models: ReadonlyMap<string, Schema> = new Map()) {}

  /** The problems of `value` against `schema` (empty when valid). */
  validate(value: unknown, schema: Schema, root: Schema = schema, at = ''): string[] {
    const errors: string[] = [];
    const where = at === '' ? '' : ` (at ${at})`;
    if (typeof schema.$ref === 'string') {
      const target = this.resolve(schema.$ref, root);
      if (!target) return [`unresolvable reference ${schema.$ref}`];
      return this.validate(value, target.schema, target.root, at);
    }
    if (schema.type !== undefined) {
      const types = Array.isArray(schema.type) ? (schema.type as string[]) : [String(schema.type)];
      if (!types.some((t) => matchesType(value, t))) {
        return [`instance type (${typeOf(value)}) does not match any allowed primitive type (allowed: [${types.map((t) => `"${t}"`).join(',')}])${where}`];
      }
    }
    if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
      errors.push(`instance value (${JSON.stringify(value)}) not found in enum (possible values: ${JSON.stringify(schema.enum)})${where}`);
    }
    if (typeof value === 'number') {
      if (typeof schema.minimum === 'number' && (schema.exclusiveMinimum === true ? value <= schema.minimum : value < schema.minimum)) {
        errors.push(`numeric instance is lower than the required minimum (minimum: ${schema.minimum}, found: ${value})${where}`);
      }
      if (typeof schema.maximum === 'number' && (schema.exclusiveMaximum === true ? value >= schema.maximum : value > schema.maximum)) {
        errors.push(`numeric instance is greater than the required maximum (maximum: ${schema.maximum}, found: ${value})${where}`);
      }
      if (typeof schema.multipleOf === 'number' && schema.multipleOf > 0 && Math.abs(value / schema.multipleOf - Math.round(value / schema.multipleOf)) > 1e-9) {
        errors.push(`remainder of division is not zero (${value} / ${schema.multipleOf})${where}`);
      }
    }
    if (typeof value === 'string') {
      const length = [...value].length;
      if (typeof schema.minLength === 'number' && length < schema.minLength) errors.push(`string "${value}" is too short (length: ${length}, required minimum: ${schema.minLength})${where}`);
      if (typeof schema.maxLength === 'number' && length > schema.maxLength) errors.push(`string "${value}" is too long (length: ${length}, maximum allowed: ${schema.maxLength})${where}`);
      if (typeof schema.pattern === 'string') {
        let ok = true;
        try {
          ok = new RegExp(schema.pattern, 'u').test(value);
        } catch {
          ok = true;
        }
        if (!ok) errors.push(`ECMA 262 regex "${schema.pattern}" does not match input string "${value}"${where}`);
      }
    }
    if (Array.isArray(value)) {
      if (typeof schema.minItems === 'number' && value.length < schema.minItems) errors.push(`array is too short: must have at least ${schema.minItems} elements but instance has ${value.length} elements${where}`);
      if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) errors.push(`array is too long: must have at most ${schema.maxItems} elements but instance has ${value.length} elements${where}`);
      if (schema.uniqueItems === true && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) errors.push(`array must not contain duplicate elements${where}`);
      if (schema.items && typeof schema.items === 'object') {
        value.forEach((item, i) => {
          const itemSchema = Array.isArray(schema.items) ? (schema.items as Schema[])[i] : (schema.items as Schema);
          if (itemSchema) errors.push(...this.validate(item, itemSchema, root, `${at}/${i}`));
        });
      }
    }
    if (typeOf(value) === 'object') {
      const object = value as Record<string, unknown>;
      const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
      const missing = required.filter((name) => !(name in object));
      if (missing.length > 0) errors.push(`object has missing required properties (${JSON.stringify(missing.sort())})${where}`);
      const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
      const extra: string[] = [];
      for (const [name, v] of Object.entries(object)) {
        if (properties[name]) errors.push(...this.validate(v, properties[name], root, `${at}/${name}`));
        else if (schema.additionalProperties === false) extra.push(name);
        else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') errors.push(...this.validate(v, schema.additionalProperties as Schema, root, `${at}/${name}`));
      }
      if (extra.length > 0) errors.push(`object instance has properties which are not allowed by the schema: ${JSON.stringify(extra.sort())}${where}`);
      const count = Object.keys(object).length;
      if (typeof schema.minProperties === 'number' && count < schema.minProperties) errors.push(`object has too few properties (found ${count} but schema requires at least ${schema.minProperties})${where}`);
      if (typeof schema.maxProperties === 'number' && count > schema.maxProperties) errors.push(`object has too many properties (found ${count} but schema requires at most ${schema.maxProperties})${where}`);
    }
    if (Array.isArray(schema.allOf)) for (const s of schema.allOf as Schema[]) errors.push(...this.validate(value, s, root, at));
    if (Array.isArray(schema.anyOf) && !(schema.anyOf as Schema[]).some((s) => this.validate(value, s, root, at).length === 0)) {
      errors.push(`instance failed to match at least one required schema among ${(schema.anyOf as unknown[]).length}${where}`);
    }
    if (Array.isArray(schema.oneOf)) {
      const matched = (schema.oneOf as Schema[]).filter((s) => this.validate(value, s, root, at).length === 0).length;
      if (matched !== 1) errors.push(`instance failed to match exactly one schema (matched ${matched} out of ${(schema.oneOf as unknown[]).length})${where}`);
    }
    if (schema.not && typeof schema.not === 'object' && this.validate(value, schema.not as Schema, root, at).length === 0) errors.push(`instance matched a schema which it should not have${where}`);
    return errors;
  }

  private resolve(ref: string, root: Schema): { schema: Schema; root: Schema } | undefined {
    const model = /\/models\/([A-Za-z0-9]+)$/.exec(ref)?.[1];
    if (model) {
      const schema = this.models.get(model);
      return schema ? { schema, root: schema } : undefined;
    }
    if (!ref.startsWith('#')) return undefined;
    let node: unknown = root;
    for (const part of ref.slice(1).split('/').filter(Boolean)) {
      if (node === null || typeof node !== 'object') return undefined;
      node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    }
    return node && typeof node === 'object' ? { schema: node as Schema, root } : undefined;
  }
}
