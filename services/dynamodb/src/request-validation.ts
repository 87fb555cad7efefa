// DynamoDB's own input validation against the service model, in its words and order (the edge
// leaves DynamoDB's inputs to this module: `validation: 'service'` in @atoll/aws-protocol's overrides).
// DynamoDB checks in three stages, and the first stage that fails answers alone:
//   1. on the table operations, a missing TableName ("The parameter 'TableName' is required …") and a
//      table name's length ("TableName must be at least 3 characters long …");
//   2. every constraint of the model, collected into one message, "N validation error(s) detected: …",
//      each part "Value '…' at 'path' failed to satisfy constraint: …", joined by "; ", at most 10;
//   3. the operation's own checks (in the operation handlers).
// Sources: dynalite (validations/index.js and its tests, recorded against DynamoDB), and AWS answers
// quoted in public issues (cited in request-validation.test.ts).
//
// Known limitations:
// - DynamoDB lists the parts of one message in an order that is not stable between calls; they are
//   listed here in the model's member order, and within a member: null, pattern, length, enum, range.
// - A structure inside a collection is echoed as Java prints it, `com.amazonaws.dynamodb.v20120810.
//   <Shape>@<hash>`; the hash is a digest of the value, not the JVM's.
// - AttributeValues are not walked here: the item engine checks them (attribute-value.ts).
// - Only TableName and IndexName patterns are checked (the other patterns of the model are Java
//   regular expressions that DynamoDB does not enforce in the same way).
import type { ServiceModel, Shape, ShapeRef } from '@atoll/aws-models';

const MAX_ERRORS = 10;
const NAME_PATTERN = '[a-zA-Z0-9_.-]+';
const NAME_RE = /^[a-zA-Z0-9_.-]+$/;
/** The operations whose TableName DynamoDB checks before anything else (dynalite's `required`/`tableName`). */
const TABLE_OPERATIONS = new Set(['CreateTable', 'DeleteTable', 'DescribeTable', 'DescribeTimeToLive', 'UpdateTable']);
/**
 * Members DynamoDB still requires that the current model leaves optional (botocore's CreateTable
 * requires only TableName; DynamoDB answers "Value null at 'keySchema'" — dynalite's tests).
 */
const ALSO_REQUIRED: Record<string, string[]> = { CreateTable: ['AttributeDefinitions', 'KeySchema'] };
/** Enum sets as DynamoDB prints them (a Java hash set's order, recorded by dynalite), where not the model's order. */
const ENUM_ORDER: Record<string, string[]> = {
  ScalarAttributeType: ['B', 'N', 'S'],
  ProjectionType: ['ALL', 'INCLUDE', 'KEYS_ONLY'],
  Select: ['SPECIFIC_ATTRIBUTES', 'COUNT', 'ALL_ATTRIBUTES', 'ALL_PROJECTED_ATTRIBUTES'],
  ReturnValue: ['ALL_NEW', 'UPDATED_OLD', 'ALL_OLD', 'NONE', 'UPDATED_NEW'],
  ConditionalOperator: ['OR', 'AND'],
  ComparisonOperator: ['IN', 'NULL', 'BETWEEN', 'LT', 'NOT_CONTAINS', 'EQ', 'GT', 'NOT_NULL', 'NE', 'LE', 'BEGINS_WITH', 'GE', 'CONTAINS'],
};
/** Shapes that hold attribute values, checked by the item engine rather than here. */
const VALUE_SHAPES = new Set(['AttributeValue', 'AttributeMap', 'Key', 'PutItemInputAttributeMap', 'ExpressionAttributeValueMap']);
/** Shapes naming a table (TableArn accepts an ARN since 2024) or an index. */
const TABLE_NAME_SHAPES = new Set(['TableName', 'TableArn']);
const INDEX_NAME_SHAPES = new Set(['IndexName']);
/** Key schemas limited to one HASH and one RANGE element (table and LSI); GSIs take multi-attribute keys. */
const TWO_ELEMENT_KEY_SCHEMAS = /^(keySchema|localSecondaryIndexes\.\d+\.member\.keySchema)$/;

const lowerFirst = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1);
const SURROGATE_PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;
const charLength = (value: string): number => value.length - (value.match(SURROGATE_PAIR)?.length ?? 0);

function isArn(value: string): boolean {
  return value.startsWith('arn:');
}

/** A small stable digest standing in for Java's identity hash in echoed structures. */
function digest(value: unknown): string {
  const text = JSON.stringify(value) ?? '';
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}

/** A value as DynamoDB's Java validator prints it (`toString`). */
export function javaString(model: ServiceModel, ref: ShapeRef | undefined, value: unknown): string {
  const shape = ref ? model.shapes[ref.shape] : undefined;
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map((v) => javaString(model, shape?.member, v)).join(', ')}]`;
  if (value instanceof Uint8Array) return `java.nio.HeapByteBuffer[pos=0 lim=${value.byteLength} cap=${value.byteLength}]`;
  if (typeof value === 'object') {
    if (shape?.type === 'map' || !shape) {
      const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}=${javaString(model, shape?.value, v)}`);
      return `{${entries.join(', ')}}`;
    }
    return `com.amazonaws.dynamodb.v20120810.${ref!.shape}@${digest(value)}`;
  }
  return String(value);
}

class Collector {
  readonly errors: string[] = [];
  constructor(private readonly model: ServiceModel) {}

  add(path: string, ref: ShapeRef | undefined, value: unknown, constraint: string): void {
    if (this.errors.length >= MAX_ERRORS) return;
    const shown = value === null || value === undefined ? 'null' : `'${javaString(this.model, ref, value)}'`;
    this.errors.push(`Value ${shown} at '${path}' failed to satisfy constraint: ${constraint}`);
  }
}

/** The length constraints of a string, list or map member, as DynamoDB words them. */
function lengthConstraints(shape: Shape, length: number, limits?: { min?: number; max?: number }): string[] {
  const min = limits ? limits.min : shape.min;
  const max = limits ? limits.max : shape.max;
  const out: string[] = [];
  if (min !== undefined && length < min) out.push(`Member must have length greater than or equal to ${min}`);
  if (max !== undefined && length > max) out.push(`Member must have length less than or equal to ${max}`);
  return out;
}

/** A table or index name's constraints: the pattern first, then the length (an ARN: 1 to 1,024). */
function nameConstraints(value: string, maxName = 255): string[] {
  if (isArn(value)) return charLength(value) > 1024 ? ['Member must have length less than or equal to 1024'] : [];
  const out: string[] = [];
  if (!NAME_RE.test(value)) out.push(`Member must satisfy regular expression pattern: ${NAME_PATTERN}`);
  const length = charLength(value);
  if (length < 3) out.push('Member must have length greater than or equal to 3');
  if (length > maxName) out.push(`Member must have length less than or equal to ${maxName}`);
  return out;
}

interface MemberInfo {
  name: string;
  member: ShapeRef;
  /** The member's name in a path (lower first letter). */
  wire: string;
  required: boolean;
}

/** A structure's members in model order, computed once per shape (validation runs on every request). */
const MEMBERS = new WeakMap<Shape, MemberInfo[]>();

function membersOf(shape: Shape): MemberInfo[] {
  let members = MEMBERS.get(shape);
  if (!members) {
    const required = new Set(shape.required ?? []);
    members = Object.entries(shape.members ?? {}).map(([name, member]) => ({ name, member, wire: lowerFirst(name), required: required.has(name) }));
    MEMBERS.set(shape, members);
  }
  return members;
}

function walk(c: Collector, model: ServiceModel, ref: ShapeRef, value: unknown, path: string, alsoRequired: string[] = []): void {
  if (c.errors.length >= MAX_ERRORS || value === undefined || value === null) return;
  if (VALUE_SHAPES.has(ref.shape)) return;
  const shape = model.shapes[ref.shape];
  if (!shape) return;
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) return;
      const source = value as Record<string, unknown>;
      for (const { name, member, wire, required } of membersOf(shape)) {
        const v = source[name];
        if (v === undefined || v === null) {
          if (required || alsoRequired.includes(name)) c.add(path ? `${path}.${wire}` : wire, member, null, 'Member must not be null');
          continue;
        }
        walk(c, model, member, v, path ? `${path}.${wire}` : wire);
      }
      return;
    }
    case 'string': {
      if (typeof value !== 'string') return;
      let constraints: string[];
      if (TABLE_NAME_SHAPES.has(ref.shape)) constraints = nameConstraints(value);
      else if (INDEX_NAME_SHAPES.has(ref.shape)) constraints = nameConstraints(value);
      else constraints = lengthConstraints(shape, charLength(value));
      if (shape.enum && !shape.enum.includes(value)) {
        constraints.push(`Member must satisfy enum value set: [${(ENUM_ORDER[ref.shape] ?? shape.enum).join(', ')}]`);
      }
      for (const constraint of constraints) c.add(path, ref, value, constraint);
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) return;
      // Table and LSI key schemas keep DynamoDB's limit of two elements; GSI key schemas take up to
      // four HASH and four RANGE attributes (checked with the table's definition).
      const limits = ref.shape === 'KeySchema' ? { min: 1, ...(TWO_ELEMENT_KEY_SCHEMAS.test(path) ? { max: 2 } : {}) } : undefined;
      for (const constraint of lengthConstraints(shape, value.length, limits)) c.add(path, ref, value, constraint);
      value.forEach((item, i) => walk(c, model, shape.member!, item, `${path}.${i + 1}.member`));
      return;
    }
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) return;
      const entries = Object.entries(value as Record<string, unknown>);
      for (const constraint of lengthConstraints(shape, entries.length)) c.add(path, ref, value, constraint);
      // Keys and values are each reported once for the whole map.
      if (shape.key && TABLE_NAME_SHAPES.has(shape.key.shape) && entries.some(([k]) => nameConstraints(k).length > 0)) {
        c.add(path, ref, value, `Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: ${NAME_PATTERN}]`);
      }
      const valueShape = shape.value ? model.shapes[shape.value.shape] : undefined;
      if (valueShape?.type === 'list' && (valueShape.min !== undefined || valueShape.max !== undefined)) {
        const bad = entries.some(([, v]) => Array.isArray(v) && lengthConstraints(valueShape, v.length).length > 0);
        if (bad) {
          const parts = [
            ...(valueShape.max !== undefined ? [`Member must have length less than or equal to ${valueShape.max}`] : []),
            ...(valueShape.min !== undefined ? [`Member must have length greater than or equal to ${valueShape.min}`] : []),
          ];
          c.add(path, ref, value, `Map value must satisfy constraint: [${parts.join(', ')}]`);
        }
        return;
      }
      for (const [key, item] of entries) if (shape.value) walk(c, model, shape.value, item, `${path}.${key}.member`);
      return;
    }
    default: {
      if (typeof value !== 'number') return;
      if (shape.min !== undefined && value < shape.min) c.add(path, ref, value, `Member must have value greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value > shape.max) c.add(path, ref, value, `Member must have value less than or equal to ${shape.max}`);
    }
  }
}

/** DynamoDB's ValidationException message for `input`, or undefined when the model is satisfied. */
export function validateRequest(model: ServiceModel, operation: string, input: Record<string, unknown>): string | undefined {
  const op = model.operations[operation];
  if (!op?.input) return undefined;
  if (TABLE_OPERATIONS.has(operation)) {
    const name = input.TableName;
    if (name === undefined || name === null) return "The parameter 'TableName' is required but was not present in the request";
    if (typeof name === 'string' && !isArn(name) && (charLength(name) < 3 || charLength(name) > 255)) {
      return 'TableName must be at least 3 characters long and at most 255 characters long';
    }
  }
  const c = new Collector(model);
  walk(c, model, op.input, input, '', ALSO_REQUIRED[operation]);
  if (c.errors.length === 0) return undefined;
  return `${c.errors.length} validation error${c.errors.length === 1 ? '' : 's'} detected: ${c.errors.join('; ')}`;
}
