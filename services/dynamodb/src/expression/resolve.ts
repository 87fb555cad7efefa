// Semantic checks of parsed expressions, with DynamoDB's messages and its order of reporting:
// placeholders are resolved, reserved words, unknown or misused functions, operand types and
// overlapping document paths are reported; used placeholders are recorded for the "unused" check.
import { compareScalars, typeOf, ValidationError, type AttributeValue } from '../attribute-value.js';
import { isReservedWord } from '../reserved-words.js';
import { pathString, type Condition, type Operand, type PathElement, type UpdateAction } from './ast.js';
import { ExpressionSyntaxError } from './tokenizer.js';
import { parseCondition, parseProjection, parseUpdate } from './parser.js';

export interface ExpressionContext {
  names: Record<string, string> | undefined;
  values: Record<string, AttributeValue> | undefined;
  usedNames: Set<string>;
  usedValues: Set<string>;
}

export function newContext(names?: Record<string, string>, values?: Record<string, AttributeValue>): ExpressionContext {
  return { names, values, usedNames: new Set(), usedValues: new Set() };
}

export type ExpressionKind =
  | 'ConditionExpression'
  | 'FilterExpression'
  | 'KeyConditionExpression'
  | 'UpdateExpression'
  | 'ProjectionExpression';

const CONDITION_FUNCTIONS: Record<string, number> = {
  attribute_exists: 1,
  attribute_not_exists: 1,
  attribute_type: 2,
  begins_with: 2,
  contains: 2,
  size: 1,
};
const UPDATE_FUNCTIONS: Record<string, number> = { if_not_exists: 2, list_append: 2 };
const TYPE_NAMES = ['S', 'SS', 'N', 'NS', 'B', 'BS', 'BOOL', 'NULL', 'L', 'M'];
const LONG_TYPE: Record<string, string> = { S: 'STRING', N: 'NUMBER', B: 'BINARY', NULL: 'NULL', BOOL: 'BOOLEAN', L: 'LIST', M: 'MAP' };

/** First message per category; reported by the category order of the expression kind. */
class Problems {
  readonly first = new Map<string, string>();
  add(category: string, message: string): void {
    if (!this.first.has(category)) this.first.set(category, message);
  }
  raise(kind: ExpressionKind, order: readonly string[]): void {
    for (const category of order) {
      const message = this.first.get(category);
      if (message !== undefined) throw new ValidationError(`Invalid ${kind}: ${message}`);
    }
  }
}

const CONDITION_ORDER = ['syntax', 'parens', 'unknownFunction', 'misusedFunction', 'reserved', 'attrName', 'attrValue', 'operand', 'distinct', 'function'];
const UPDATE_ORDER = ['reserved', 'unknownFunction', 'misusedFunction', 'section', 'attrName', 'attrValue', 'overlap', 'conflict', 'operand', 'function'];

function resolvePath(op: Operand & { k: 'path' }, ctx: ExpressionContext, problems: Problems): void {
  const out: PathElement[] = [];
  for (const el of op.raw) {
    if ('ident' in el) {
      if (isReservedWord(el.ident)) problems.add('reserved', `Attribute name is a reserved keyword; reserved keyword: ${el.ident}`);
      out.push(el.ident);
    } else if ('placeholder' in el) {
      const name = ctx.names?.[el.placeholder];
      if (name === undefined) {
        problems.add('attrName', `An expression attribute name used in the document path is not defined; attribute name: ${el.placeholder}`);
        out.push(el.placeholder);
      } else {
        ctx.usedNames.add(el.placeholder);
        out.push(name);
      }
    } else out.push(el.index);
  }
  op.path = out;
}

function resolveValue(op: Operand & { k: 'value' }, ctx: ExpressionContext, problems: Problems): void {
  const value = ctx.values?.[op.name];
  if (value === undefined) {
    problems.add('attrValue', `An expression attribute value used in expression is not defined; attribute value: ${op.name}`);
  } else {
    ctx.usedValues.add(op.name);
    op.value = value;
  }
}

/** The static type of an operand when it is known before evaluation. */
function staticType(op: Operand): string | undefined {
  if (op.k === 'value') return op.value ? typeOf(op.value) : undefined;
  if (op.k === 'fn') {
    if (op.name === 'size') return 'N';
    if (op.name === 'list_append') return 'L';
    if (op.name === 'if_not_exists') return op.args[1] ? staticType(op.args[1]) : undefined;
  }
  if (op.k === 'arith') return 'N';
  return undefined;
}

function samePath(a: Operand, b: Operand): boolean {
  return a.k === 'path' && b.k === 'path' && a.path.length === b.path.length && a.path.every((p, i) => p === b.path[i]);
}

function resolveOperand(op: Operand, ctx: ExpressionContext, problems: Problems, mode: 'condition' | 'update', top: boolean): void {
  switch (op.k) {
    case 'path':
      resolvePath(op, ctx, problems);
      return;
    case 'value':
      resolveValue(op, ctx, problems);
      return;
    case 'arith':
      resolveOperand(op.a, ctx, problems, mode, false);
      resolveOperand(op.b, ctx, problems, mode, false);
      for (const x of [op.a, op.b]) {
        const t = staticType(x);
        if (t !== undefined && t !== 'N') {
          problems.add('function', `Incorrect operand type for operator or function; operator or function: ${op.op}, operand type: ${t}`);
        }
      }
      return;
    case 'fn': {
      const known = mode === 'condition' ? CONDITION_FUNCTIONS : UPDATE_FUNCTIONS;
      const other = mode === 'condition' ? UPDATE_FUNCTIONS : CONDITION_FUNCTIONS;
      for (const arg of op.args) resolveOperand(arg, ctx, problems, mode, false);
      if (known[op.name] === undefined) {
        if (other[op.name] !== undefined) {
          problems.add(
            'misusedFunction',
            mode === 'condition'
              ? `The function is not allowed to be used this way in an expression; function: ${op.name}`
              : `The function is not allowed in an update expression; function: ${op.name}`,
          );
        } else problems.add('unknownFunction', `Invalid function name; function: ${op.name}`);
        return;
      }
      if (mode === 'condition' && op.name !== 'size' && !top) {
        problems.add('misusedFunction', `The function is not allowed to be used this way in an expression; function: ${op.name}`);
      }
      if (known[op.name] !== op.args.length) {
        // Condition expressions rank operand counts above type errors; update expressions with them.
        problems.add(mode === 'condition' ? 'operand' : 'function', `Incorrect number of operands for operator or function; operator or function: ${op.name}, number of operands: ${op.args.length}`);
        return;
      }
      checkFunctionTypes(op, problems);
      return;
    }
  }
}

function checkFunctionTypes(op: Operand & { k: 'fn' }, problems: Problems): void {
  const name = op.name;
  const first = op.args[0]!;
  switch (name) {
    case 'attribute_exists':
    case 'attribute_not_exists':
    case 'if_not_exists':
      if (first.k !== 'path') problems.add('function', `Operator or function requires a document path; operator or function: ${name}`);
      return;
    case 'attribute_type': {
      if (first.k !== 'path') {
        problems.add('function', `Operator or function requires a document path; operator or function: ${name}`);
        return;
      }
      const t = staticType(op.args[1]!);
      if (t !== 'S') {
        problems.add('function', `Incorrect operand type for operator or function; operator or function: ${name}, operand type: ${t ?? 'PATH'}`);
        return;
      }
      const v = op.args[1]!.k === 'value' ? (op.args[1] as { value?: AttributeValue }).value : undefined;
      const s = v && 'S' in v ? v.S : undefined;
      if (s !== undefined && !TYPE_NAMES.includes(s)) {
        problems.add('function', `Invalid attribute type name found; type: ${s}, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}`);
      }
      return;
    }
    case 'begins_with':
      for (const arg of op.args) {
        const t = staticType(arg);
        if (t !== undefined && t !== 'S' && t !== 'B') {
          problems.add('function', `Incorrect operand type for operator or function; operator or function: ${name}, operand type: ${t}`);
          return;
        }
      }
      if (samePath(op.args[0]!, op.args[1]!)) {
        problems.add('distinct', `The first operand must be distinct from the remaining operands for this operator or function; operator: ${name}, first operand: ${pathString((first as { path: PathElement[] }).path)}`);
      }
      return;
    case 'contains':
      if (samePath(op.args[0]!, op.args[1]!)) {
        problems.add('distinct', `The first operand must be distinct from the remaining operands for this operator or function; operator: ${name}, first operand: ${pathString((first as { path: PathElement[] }).path)}`);
      }
      return;
    case 'size': {
      const t = staticType(first);
      if (t === 'N' || t === 'BOOL' || t === 'NULL') {
        problems.add('function', `Incorrect operand type for operator or function; operator or function: ${name}, operand type: ${t}`);
      }
      return;
    }
    case 'list_append':
      for (const arg of op.args) {
        const t = arg.k === 'value' ? staticType(arg) : undefined;
        if (t !== undefined && t !== 'L') {
          problems.add('function', `Incorrect operand type for operator or function; operator or function: ${name}, operand type: ${t}`);
          return;
        }
      }
      return;
  }
}

function resolveCondition(cond: Condition, ctx: ExpressionContext, problems: Problems): void {
  switch (cond.k) {
    case 'and':
    case 'or':
      resolveCondition(cond.a, ctx, problems);
      resolveCondition(cond.b, ctx, problems);
      return;
    case 'not':
      resolveCondition(cond.a, ctx, problems);
      return;
    case 'fn':
      resolveOperand(cond.fn, ctx, problems, 'condition', true);
      if (cond.fn.name === 'size') {
        problems.add('misusedFunction', 'The function is not allowed to be used this way in an expression; function: size');
      }
      return;
    case 'cmp':
      resolveOperand(cond.a, ctx, problems, 'condition', false);
      resolveOperand(cond.b, ctx, problems, 'condition', false);
      if (samePath(cond.a, cond.b)) {
        problems.add('distinct', `The first operand must be distinct from the remaining operands for this operator or function; operator: ${cond.op}, first operand: ${pathString((cond.a as { path: PathElement[] }).path)}`);
      }
      return;
    case 'between': {
      for (const op of [cond.a, cond.lo, cond.hi]) resolveOperand(op, ctx, problems, 'condition', false);
      const lo = cond.lo.k === 'value' ? cond.lo.value : undefined;
      const hi = cond.hi.k === 'value' ? cond.hi.value : undefined;
      if (lo && hi) {
        const tl = typeOf(lo);
        const th = typeOf(hi);
        const show = (v: AttributeValue, t: string) => `AttributeValue: {${t}:${String((v as Record<string, unknown>)[t])}}`;
        if (tl !== th) {
          problems.add('function', `The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: ${show(lo, tl)}, upper bound operand: ${show(hi, th)}`);
        } else if ((compareScalars(lo, hi) ?? 0) > 0) {
          problems.add('function', `The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: ${show(lo, tl)}, upper bound operand: ${show(hi, th)}`);
        }
      }
      return;
    }
    case 'in':
      resolveOperand(cond.a, ctx, problems, 'condition', false);
      for (const op of cond.list) resolveOperand(op, ctx, problems, 'condition', false);
      if (cond.list.length > 100) {
        problems.add('operand', `Incorrect number of operands for operator or function; operator or function: IN, number of operands: ${cond.list.length + 1}`);
      }
      return;
  }
}

function wrapSyntax<T>(kind: ExpressionKind, source: string, parse: () => T): T {
  if (source.trim() === '') throw new ValidationError(`Invalid ${kind}: The expression can not be empty;`);
  try {
    return parse();
  } catch (error) {
    if (error instanceof ExpressionSyntaxError) throw new ValidationError(`Invalid ${kind}: ${error.message}`);
    throw error;
  }
}

export function compileCondition(source: string, kind: ExpressionKind, ctx: ExpressionContext): Condition {
  const { condition: cond, redundantParentheses } = wrapSyntax(kind, source, () => parseCondition(source));
  const problems = new Problems();
  if (redundantParentheses) problems.add('parens', 'The expression has redundant parentheses;');
  resolveCondition(cond, ctx, problems);
  problems.raise(kind, CONDITION_ORDER);
  return cond;
}

export function compileProjection(source: string, ctx: ExpressionContext): PathElement[][] {
  const kind = 'ProjectionExpression';
  const paths = wrapSyntax(kind, source, () => parseProjection(source));
  const problems = new Problems();
  for (const p of paths) resolvePath(p, ctx, problems);
  problems.raise(kind, CONDITION_ORDER);
  const resolved = paths.map((p) => p.path);
  checkOverlaps(resolved, problems);
  problems.raise(kind, ['overlap', 'conflict']);
  return resolved;
}

function checkOverlaps(paths: PathElement[][], problems: Problems): void {
  for (let j = 1; j < paths.length; j++) {
    for (let i = 0; i < j; i++) {
      const a = paths[i]!;
      const b = paths[j]!;
      let k = 0;
      let conflict = false;
      for (; k < a.length && k < b.length; k++) {
        if (typeof a[k] !== typeof b[k]) {
          conflict = true;
          break;
        }
        if (a[k] !== b[k]) break;
      }
      if (conflict) {
        problems.add('conflict', `Two document paths conflict with each other; must remove or rewrite one of these paths; path one: ${pathString(a)}, path two: ${pathString(b)}`);
      } else if (k === Math.min(a.length, b.length)) {
        problems.add('overlap', `Two document paths overlap with each other; must remove or rewrite one of these paths; path one: ${pathString(a)}, path two: ${pathString(b)}`);
      }
    }
  }
}

export function compileUpdate(source: string, ctx: ExpressionContext): UpdateAction[] {
  const kind = 'UpdateExpression';
  const { actions, sections } = wrapSyntax(kind, source, () => parseUpdate(source));
  const problems = new Problems();
  const seen = new Set<string>();
  for (const s of sections) {
    if (seen.has(s)) problems.add('section', `The "${s}" section can only be used once in an update expression;`);
    seen.add(s);
  }
  for (const action of actions) {
    resolvePath(action.path, ctx, problems);
    if (action.k === 'SET') {
      resolveOperand(action.value, ctx, problems, 'update', true);
    } else if (action.k === 'ADD' || action.k === 'DELETE') {
      resolveValue(action.value, ctx, problems);
      const v = action.value.value;
      if (v) {
        const t = typeOf(v);
        if (LONG_TYPE[t] && !(action.k === 'ADD' && t === 'N')) {
          problems.add('operand', `Incorrect operand type for operator or function; operator: ${action.k}, operand type: ${LONG_TYPE[t]}`);
        }
      }
    }
  }
  checkOverlaps(actions.map((a) => a.path.path), problems);
  problems.raise(kind, UPDATE_ORDER);
  return actions;
}

/** DynamoDB's check, after every expression of a request was compiled. */
export function checkUnused(ctx: ExpressionContext): void {
  if (ctx.names) {
    const unused = Object.keys(ctx.names).filter((k) => !ctx.usedNames.has(k));
    if (unused.length > 0) {
      throw new ValidationError(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${unused.join(', ')}}`);
    }
  }
  if (ctx.values) {
    const unused = Object.keys(ctx.values).filter((k) => !ctx.usedValues.has(k));
    if (unused.length > 0) {
      throw new ValidationError(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${unused.join(', ')}}`);
    }
  }
}
