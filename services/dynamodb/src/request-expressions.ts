// Turns a request's expression parameters (and the legacy ones: Expected, AttributeUpdates,
// AttributesToGet, KeyConditions, QueryFilter, ScanFilter) into resolved syntax trees, checking
// them in DynamoDB's order and with its messages.
import { validateValue, ValidationError, type AttributeValue } from './attribute-value.js';
import type { Condition, Operand, PathElement, UpdateAction } from './expression/ast.js';
import { checkUnused, compileCondition, compileProjection, compileUpdate, newContext } from './expression/resolve.js';

export interface ExpressionInput {
  ConditionExpression?: string;
  FilterExpression?: string;
  KeyConditionExpression?: string;
  UpdateExpression?: string;
  ProjectionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
  Expected?: Record<string, LegacyCondition>;
  ConditionalOperator?: 'AND' | 'OR';
  AttributeUpdates?: Record<string, { Action?: 'PUT' | 'ADD' | 'DELETE'; Value?: AttributeValue }>;
  AttributesToGet?: string[];
  KeyConditions?: Record<string, LegacyCondition>;
  QueryFilter?: Record<string, LegacyCondition>;
  ScanFilter?: Record<string, LegacyCondition>;
}

export interface LegacyCondition {
  ComparisonOperator?: string;
  AttributeValueList?: AttributeValue[];
  Value?: AttributeValue;
  Exists?: boolean;
}

export interface Compiled {
  condition?: Condition;
  filter?: Condition;
  keyCondition?: Condition;
  update?: UpdateAction[];
  projection?: PathElement[][];
}

const EXPRESSION_PARAMS = ['UpdateExpression', 'ConditionExpression', 'ProjectionExpression', 'FilterExpression', 'KeyConditionExpression'] as const;
const LEGACY_PARAMS = ['AttributesToGet', 'AttributeUpdates', 'Expected', 'ConditionalOperator', 'KeyConditions', 'QueryFilter', 'ScanFilter'] as const;

const path = (name: string): Operand & { k: 'path' } => ({ k: 'path', raw: [], path: [name] });
const val = (value: AttributeValue): Operand & { k: 'value' } => ({ k: 'value', name: '', value });
const fn = (name: string, args: Operand[]): Condition => ({ k: 'fn', fn: { k: 'fn', name, args } });

const ARG_COUNTS: Record<string, (n: number) => boolean> = {
  EQ: (n) => n === 1,
  NE: (n) => n === 1,
  LE: (n) => n === 1,
  LT: (n) => n === 1,
  GE: (n) => n === 1,
  GT: (n) => n === 1,
  CONTAINS: (n) => n === 1,
  NOT_CONTAINS: (n) => n === 1,
  BEGINS_WITH: (n) => n === 1,
  NOT_NULL: (n) => n === 0,
  NULL: (n) => n === 0,
  IN: (n) => n > 0,
  BETWEEN: (n) => n === 2,
};

function legacyComparison(name: string, op: string, values: AttributeValue[]): Condition {
  const check = ARG_COUNTS[op];
  if (!check || !check(values.length)) {
    throw new ValidationError(`One or more parameter values were invalid: Invalid number of argument(s) for the ${op} ComparisonOperator`);
  }
  const v = values.map((x) => validateValue(x));
  const p = path(name);
  switch (op) {
    case 'EQ':
      return { k: 'cmp', op: '=', a: p, b: val(v[0]!) };
    case 'NE':
      return { k: 'cmp', op: '<>', a: p, b: val(v[0]!) };
    case 'LE':
      return { k: 'cmp', op: '<=', a: p, b: val(v[0]!) };
    case 'LT':
      return { k: 'cmp', op: '<', a: p, b: val(v[0]!) };
    case 'GE':
      return { k: 'cmp', op: '>=', a: p, b: val(v[0]!) };
    case 'GT':
      return { k: 'cmp', op: '>', a: p, b: val(v[0]!) };
    case 'NOT_NULL':
      return fn('attribute_exists', [p]);
    case 'NULL':
      return fn('attribute_not_exists', [p]);
    case 'CONTAINS':
      return fn('contains', [p, val(v[0]!)]);
    case 'NOT_CONTAINS':
      return { k: 'not', a: fn('contains', [p, val(v[0]!)]) };
    case 'BEGINS_WITH':
      return fn('begins_with', [p, val(v[0]!)]);
    case 'IN':
      return { k: 'in', a: p, list: v.map(val) };
    default:
      return { k: 'between', a: p, lo: val(v[0]!), hi: val(v[1]!) };
  }
}

function combine(conditions: Condition[], operator: 'AND' | 'OR' | undefined): Condition | undefined {
  if (conditions.length === 0) return undefined;
  return conditions.reduce((a, b) => ({ k: operator === 'OR' ? 'or' : 'and', a, b }));
}

function legacyFilter(filter: Record<string, LegacyCondition>, operator: 'AND' | 'OR' | undefined): Condition | undefined {
  return combine(
    Object.keys(filter).map((name) => {
      const c = filter[name]!;
      return legacyComparison(name, c.ComparisonOperator ?? '', c.AttributeValueList ?? []);
    }),
    operator,
  );
}

function legacyExpected(expected: Record<string, LegacyCondition>, operator: 'AND' | 'OR' | undefined): Condition | undefined {
  const conditions: Condition[] = [];
  for (const name of Object.keys(expected)) {
    const c = expected[name]!;
    if (c.ComparisonOperator !== undefined) {
      if (c.Exists !== undefined) {
        throw new ValidationError(`One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for Attribute: ${name}`);
      }
      if (c.AttributeValueList !== undefined && c.Value !== undefined) {
        throw new ValidationError(`One or more parameter values were invalid: Value and AttributeValueList cannot be used together for Attribute: ${name}`);
      }
      conditions.push(legacyComparison(name, c.ComparisonOperator, c.AttributeValueList ?? (c.Value ? [c.Value] : [])));
      continue;
    }
    if (c.AttributeValueList !== undefined) {
      throw new ValidationError(`One or more parameter values were invalid: AttributeValueList can only be used with a ComparisonOperator for Attribute: ${name}`);
    }
    const exists = c.Exists === undefined || c.Exists;
    if (exists && c.Value === undefined) {
      throw new ValidationError(`One or more parameter values were invalid: Value must be provided when Exists is ${c.Exists === undefined ? 'null' : String(c.Exists)} for Attribute: ${name}`);
    }
    if (!exists && c.Value !== undefined) {
      throw new ValidationError(`One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: ${name}`);
    }
    conditions.push(exists ? { k: 'cmp', op: '=', a: path(name), b: val(validateValue(c.Value!)) } : fn('attribute_not_exists', [path(name)]));
  }
  return combine(conditions, operator);
}

function legacyUpdates(updates: Record<string, { Action?: string; Value?: AttributeValue }>): UpdateAction[] {
  const actions: UpdateAction[] = [];
  for (const name of Object.keys(updates)) {
    const u = updates[name]!;
    const action = u.Action ?? 'PUT';
    if (action === 'PUT') {
      if (!u.Value) throw new ValidationError(`One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified`);
      actions.push({ k: 'SET', path: path(name), value: val(validateValue(u.Value)) });
    } else if (action === 'DELETE') {
      if (u.Value) actions.push({ k: 'DELETE', path: path(name), value: val(validateValue(u.Value)) });
      else actions.push({ k: 'REMOVE', path: path(name) });
    } else {
      if (!u.Value) throw new ValidationError(`One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified`);
      const v = validateValue(u.Value);
      if ('L' in v) {
        // legacy ADD appends to a list
        actions.push({ k: 'SET', path: path(name), value: { k: 'fn', name: 'list_append', args: [{ k: 'fn', name: 'if_not_exists', args: [path(name), val({ L: [] })] }, val(v)] } });
      } else actions.push({ k: 'ADD', path: path(name), value: val(v) });
    }
  }
  return actions;
}

export interface CompileOptions {
  /** The expression parameters this operation accepts. */
  allowed: readonly (typeof EXPRESSION_PARAMS)[number][];
}

/** Compiles every expression parameter of a request. */
export function compileExpressions(input: ExpressionInput): Compiled {
  const usedExpr = EXPRESSION_PARAMS.filter((p) => input[p] !== undefined);
  const usedLegacy = LEGACY_PARAMS.filter((p) => input[p] !== undefined);
  if (usedExpr.length > 0 && usedLegacy.length > 0) {
    throw new ValidationError(
      `Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {${usedLegacy.join(', ')}} Expression parameters: {${usedExpr.join(', ')}}`,
    );
  }
  const names = input.ExpressionAttributeNames;
  const values = input.ExpressionAttributeValues;
  if (names !== undefined && usedExpr.length === 0) throw new ValidationError('ExpressionAttributeNames can only be specified when using expressions');
  if (values !== undefined && usedExpr.length === 0) throw new ValidationError('ExpressionAttributeValues can only be specified when using expressions');
  if (names !== undefined && Object.keys(names).length === 0) throw new ValidationError('ExpressionAttributeNames must not be empty');
  if (values !== undefined && Object.keys(values).length === 0) throw new ValidationError('ExpressionAttributeValues must not be empty');
  for (const key of Object.keys(names ?? {})) {
    if (!/^#[A-Za-z0-9_]+$/.test(key)) throw new ValidationError(`ExpressionAttributeNames contains invalid key: Syntax error; key: "${key}"`);
  }
  const resolvedValues: Record<string, AttributeValue> = {};
  for (const key of Object.keys(values ?? {})) {
    if (!/^:[A-Za-z0-9_]+$/.test(key)) throw new ValidationError(`ExpressionAttributeValues contains invalid key: Syntax error; key: "${key}"`);
    try {
      resolvedValues[key] = validateValue(values![key]!);
    } catch (error) {
      if (error instanceof ValidationError) throw new ValidationError(`ExpressionAttributeValues contains invalid value: ${error.message} for key ${key}`);
      throw error;
    }
  }
  const out: Compiled = {};
  if (usedExpr.length > 0) {
    const ctx = newContext(names, values ? resolvedValues : undefined);
    if (input.KeyConditionExpression !== undefined) out.keyCondition = compileCondition(input.KeyConditionExpression, 'KeyConditionExpression', ctx);
    if (input.UpdateExpression !== undefined) out.update = compileUpdate(input.UpdateExpression, ctx);
    if (input.ConditionExpression !== undefined) out.condition = compileCondition(input.ConditionExpression, 'ConditionExpression', ctx);
    if (input.FilterExpression !== undefined) out.filter = compileCondition(input.FilterExpression, 'FilterExpression', ctx);
    if (input.ProjectionExpression !== undefined) out.projection = compileProjection(input.ProjectionExpression, ctx);
    checkUnused(ctx);
    return out;
  }
  if (input.AttributesToGet) {
    const seen = new Set<string>();
    for (const name of input.AttributesToGet) {
      if (seen.has(name)) throw new ValidationError(`One or more parameter values were invalid: Duplicate value in attribute name: ${name}`);
      seen.add(name);
    }
    out.projection = input.AttributesToGet.map((n) => [n]);
  }
  if (input.Expected) out.condition = legacyExpected(input.Expected, input.ConditionalOperator);
  if (input.AttributeUpdates) out.update = legacyUpdates(input.AttributeUpdates);
  if (input.KeyConditions) out.keyCondition = legacyFilter(input.KeyConditions, 'AND');
  if (input.QueryFilter) out.filter = legacyFilter(input.QueryFilter, input.ConditionalOperator);
  if (input.ScanFilter) out.filter = legacyFilter(input.ScanFilter, input.ConditionalOperator);
  return out;
}
