// Compiles a policy's JSON text once into matchers (actions, resources, principals, conditions) so
// that the authorize step does no parsing per request. Compiled policies are cached by text (LRU)
// and by document object. Compiling is lenient: stored policies were validated when written, and a
// text that no longer parses compiles to a policy that grants nothing (`invalid`).
import { OPERATORS, arnMatcher, wildcardMatcher, type ValueTest } from './condition-operators.js';
import { asList, splitConditionOperator, type PolicyDocument, type PolicyPrincipal, type PolicyStatement } from './policy-document.js';

export interface CompiledCondition {
  /** The operator as written (`ForAnyValue:StringLikeIfExists`). */
  name: string;
  operator: string;
  set?: 'ForAnyValue' | 'ForAllValues';
  ifExists: boolean;
  negated: boolean;
  /** The condition key as written, and lower-cased (context keys match case-insensitively). */
  key: string;
  lowerKey: string;
  values: string[];
  /** One test per value; undefined when the values hold policy variables (compiled per request). */
  tests?: (ValueTest | undefined)[];
  /** Operator unknown to IAM: the condition never matches. */
  unknown: boolean;
}

export interface PrincipalEntry {
  type: string;
  value: string;
  /** For AWS entries naming an account (`123456789012`, `arn:aws:iam::123456789012:root`). */
  account?: string;
}

export interface CompiledResource {
  pattern: string;
  /** Set when the pattern holds no policy variables (`parts`: the ARN already split, see `splitArn`). */
  test?: (arn: string, parts?: string[]) => boolean;
}

export interface CompiledStatement {
  /** Position in the policy's Statement list. */
  index: number;
  sid?: string;
  effect: 'Allow' | 'Deny';
  actions?: ((lowerAction: string) => boolean)[];
  notActions?: ((lowerAction: string) => boolean)[];
  resources?: CompiledResource[];
  notResources?: CompiledResource[];
  principal?: PrincipalEntry[];
  notPrincipal?: PrincipalEntry[];
  conditions: CompiledCondition[];
  /** The lower-cased service prefixes its Action names; undefined when any service may match (`*`, `*:…`, NotAction). */
  vendors?: Set<string>;
  /** Its Resource/NotResource hold policy variables: whether it matches depends on the request context. */
  dynamic: boolean;
}

export interface CompiledPolicy {
  /** Policy variables are substituted only in Version 2012-10-17 documents. */
  variables: boolean;
  statements: CompiledStatement[];
  /** The text did not parse as a policy: it grants and denies nothing. */
  invalid: boolean;
  /** The source text, when compiled from text (Simulate reports statement positions from it). */
  text?: string;
  /** Statements that may apply to an action of a service prefix, in order (filled on demand). */
  byVendor?: Map<string, CompiledStatement[]>;
  /** Statements whose Action and Resource match an (action, resource) pair, by `action\nresource` (filled on demand). */
  byRequest?: Map<string, CompiledStatement[]>;
}

/** The statements of a policy that may apply to actions of `vendor` (lower-cased), in policy order. */
export function statementsFor(policy: CompiledPolicy, vendor: string): CompiledStatement[] {
  let map = policy.byVendor;
  if (!map) map = policy.byVendor = new Map();
  let list = map.get(vendor);
  if (!list) {
    list = policy.statements.filter((s) => s.vendors === undefined || s.vendors.has(vendor));
    if (map.size < 64) map.set(vendor, list);
  }
  return list;
}

function vendorsOf(actions: string[] | undefined): Set<string> | undefined {
  if (actions === undefined) return undefined;
  const vendors = new Set<string>();
  for (const action of actions) {
    const colon = action.indexOf(':');
    const vendor = colon < 0 ? action : action.slice(0, colon);
    if (colon < 0 || /[*?]/.test(vendor)) return undefined;
    vendors.add(vendor.toLowerCase());
  }
  return vendors;
}

function compileAction(pattern: string): (lowerAction: string) => boolean {
  return wildcardMatcher(pattern.toLowerCase());
}

function compileResource(pattern: string, variables: boolean): CompiledResource {
  if (variables && pattern.includes('${')) return { pattern };
  return { pattern, test: arnMatcher(pattern) };
}

function compilePrincipal(principal: PolicyPrincipal): PrincipalEntry[] {
  if (principal === '*') return [{ type: '*', value: '*' }];
  const entries: PrincipalEntry[] = [];
  for (const [type, value] of Object.entries(principal)) {
    for (const entry of asList(value)) {
      const account = type === 'AWS' ? (/^\d{12}$/.test(entry) ? entry : /^arn:[^:]+:iam::(\d{12}):root$/.exec(entry)?.[1]) : undefined;
      entries.push({ type, value: entry, ...(account ? { account } : {}) });
    }
  }
  return entries;
}

function compileConditions(block: PolicyStatement['Condition'], variables: boolean): CompiledCondition[] {
  const conditions: CompiledCondition[] = [];
  for (const [name, keys] of Object.entries(block ?? {})) {
    const { set, operator, ifExists } = splitConditionOperator(name);
    const spec = OPERATORS[operator];
    for (const [key, raw] of Object.entries(keys ?? {})) {
      const values = (Array.isArray(raw) ? raw : [raw]).map((v) => String(v));
      const dynamic = variables && spec?.variables === true && values.some((v) => v.includes('${'));
      conditions.push({
        name,
        operator,
        ...(set ? { set } : {}),
        ifExists,
        negated: spec?.negated ?? false,
        key,
        lowerKey: key.toLowerCase(),
        values,
        ...(spec && !dynamic ? { tests: values.map((v) => spec.compile(v)) } : {}),
        unknown: !spec && operator !== 'Null',
      });
    }
  }
  return conditions;
}

function compileStatement(statement: PolicyStatement, index: number, variables: boolean): CompiledStatement | undefined {
  if (statement === null || typeof statement !== 'object') return undefined;
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') return undefined;
  const compiled: CompiledStatement = { index, effect: statement.Effect, conditions: compileConditions(statement.Condition, variables), dynamic: false };
  if (typeof statement.Sid === 'string') compiled.sid = statement.Sid;
  if (statement.Action !== undefined) {
    compiled.actions = asList(statement.Action).map(compileAction);
    const vendors = vendorsOf(asList(statement.Action));
    if (vendors) compiled.vendors = vendors;
  }
  if (statement.NotAction !== undefined) compiled.notActions = asList(statement.NotAction).map(compileAction);
  if (compiled.actions === undefined && compiled.notActions === undefined) return undefined;
  if (statement.Resource !== undefined) compiled.resources = asList(statement.Resource).map((r) => compileResource(r, variables));
  if (statement.NotResource !== undefined) compiled.notResources = asList(statement.NotResource).map((r) => compileResource(r, variables));
  if (statement.Principal !== undefined) compiled.principal = compilePrincipal(statement.Principal);
  if (statement.NotPrincipal !== undefined) compiled.notPrincipal = compilePrincipal(statement.NotPrincipal);
  compiled.dynamic = [...(compiled.resources ?? []), ...(compiled.notResources ?? [])].some((r) => r.test === undefined);
  return compiled;
}

const INVALID: CompiledPolicy = Object.freeze({ variables: false, statements: [], invalid: true }) as CompiledPolicy;

/** Compiles a parsed document (no caching; see `compilePolicy`). */
export function compileDocument(doc: PolicyDocument, text?: string): CompiledPolicy {
  if (doc === null || typeof doc !== 'object' || doc.Statement === undefined) return text === undefined ? INVALID : { ...INVALID, text };
  const variables = doc.Version === '2012-10-17';
  const raw = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  const statements: CompiledStatement[] = [];
  raw.forEach((statement, index) => {
    try {
      const compiled = compileStatement(statement, index, variables);
      if (compiled) statements.push(compiled);
    } catch {
      // A malformed statement (a bad value shape) grants nothing.
    }
  });
  return { variables, statements, invalid: false, ...(text !== undefined ? { text } : {}) };
}

const MAX_CACHED = 2000;
const byText = new Map<string, CompiledPolicy>();
const byDocument = new WeakMap<object, CompiledPolicy>();

/**
 * The compiled form of a policy (JSON text or parsed document), from the cache when it was seen
 * before. Texts are kept in a least-recently-used cache of 2000 entries.
 */
export function compilePolicy(policy: string | PolicyDocument | CompiledPolicy): CompiledPolicy {
  if (typeof policy !== 'string') {
    if ('statements' in policy && 'invalid' in policy) return policy as CompiledPolicy;
    let compiled = byDocument.get(policy);
    if (!compiled) byDocument.set(policy, (compiled = compileDocument(policy as PolicyDocument)));
    return compiled;
  }
  const cached = byText.get(policy);
  if (cached) {
    // Refresh its place in the LRU order only when it is near eviction: most hits cost one lookup.
    if (byText.size > MAX_CACHED / 2) {
      byText.delete(policy);
      byText.set(policy, cached);
    }
    return cached;
  }
  let compiled: CompiledPolicy;
  try {
    compiled = compileDocument(JSON.parse(policy) as PolicyDocument, policy);
  } catch {
    compiled = { ...INVALID, text: policy };
  }
  if (byText.size >= MAX_CACHED) byText.delete(byText.keys().next().value as string);
  byText.set(policy, compiled);
  return compiled;
}

const listCache = new WeakMap<readonly string[], CompiledPolicy[]>();

/**
 * A list of policy texts compiled, cached by the list object itself: a directory that answers the
 * same array for a principal until it changes pays one WeakMap lookup per request.
 */
export function compilePolicies(texts: readonly string[]): CompiledPolicy[] {
  let compiled = listCache.get(texts);
  if (!compiled) listCache.set(texts, (compiled = texts.map((t) => compilePolicy(t))));
  return compiled;
}
