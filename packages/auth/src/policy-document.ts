// The IAM policy grammar: the document types and `parsePolicyDocument`, which validates a policy's
// text the way IAM does and throws MalformedPolicyDocument with IAM's messages.
import { serviceError, type ServiceError } from '@atoll/core';

export type StringOrList = string | string[];

/** `"*"` or `{ "AWS": …, "Service": …, "Federated": …, "CanonicalUser": … }`. */
export type PolicyPrincipal = '*' | Record<string, StringOrList>;

/** `{ "StringEquals": { "aws:username": ["alice"] } }`: operator → condition key → values. */
export type PolicyConditionBlock = Record<string, Record<string, StringOrList | boolean | number | Array<string | boolean | number>>>;

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: StringOrList;
  NotAction?: StringOrList;
  Resource?: StringOrList;
  NotResource?: StringOrList;
  Principal?: PolicyPrincipal;
  NotPrincipal?: PolicyPrincipal;
  Condition?: PolicyConditionBlock;
}

export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

export interface ParsePolicyOptions {
  /**
   * `identity` (the default) for policies attached to users, groups and roles: Version 2012-10-17,
   * no Principal, Action and Resource required. `resource` for queue, topic and bucket policies:
   * Principal allowed, Version 2008-10-17 accepted.
   */
  kind?: 'identity' | 'resource';
}

const TOP_ELEMENTS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_ELEMENTS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Principal', 'NotPrincipal', 'Condition']);
const VERSIONS = new Set(['2008-10-17', '2012-10-17']);

export const CONDITION_OPERATORS = new Set([
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
  'DateEquals',
  'DateNotEquals',
  'DateLessThan',
  'DateLessThanEquals',
  'DateGreaterThan',
  'DateGreaterThanEquals',
  'Bool',
  'BinaryEquals',
  'IpAddress',
  'NotIpAddress',
  'ArnEquals',
  'ArnLike',
  'ArnNotEquals',
  'ArnNotLike',
  'Null',
]);

/** Splits `ForAnyValue:StringLikeIfExists` into its set prefix, operator and IfExists flag. */
export function splitConditionOperator(name: string): { set?: 'ForAnyValue' | 'ForAllValues'; operator: string; ifExists: boolean } {
  let rest = name;
  let set: 'ForAnyValue' | 'ForAllValues' | undefined;
  if (rest.startsWith('ForAnyValue:')) {
    set = 'ForAnyValue';
    rest = rest.slice('ForAnyValue:'.length);
  } else if (rest.startsWith('ForAllValues:')) {
    set = 'ForAllValues';
    rest = rest.slice('ForAllValues:'.length);
  }
  const ifExists = rest.endsWith('IfExists') && rest !== 'IfExists';
  if (ifExists) rest = rest.slice(0, -'IfExists'.length);
  return { ...(set ? { set } : {}), operator: rest, ifExists };
}

function malformed(message: string): ServiceError {
  return serviceError('MalformedPolicyDocument', 400, message);
}

function isStringOrList(value: unknown): value is StringOrList {
  return typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
}

function asList(value: StringOrList | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkSyntax(doc: unknown, kind: 'identity' | 'resource'): PolicyStatement[] {
  const syntax = (): ServiceError => malformed('Syntax errors in policy.');
  if (!isPlainObject(doc)) throw syntax();
  for (const key of Object.keys(doc)) if (!TOP_ELEMENTS.has(key)) throw syntax();
  if (doc['Version'] !== undefined && (typeof doc['Version'] !== 'string' || !VERSIONS.has(doc['Version']))) throw syntax();
  if (doc['Id'] !== undefined && typeof doc['Id'] !== 'string') throw syntax();
  const raw = doc['Statement'];
  if (raw === undefined || !(isPlainObject(raw) || Array.isArray(raw))) throw syntax();
  const statements = (Array.isArray(raw) ? raw : [raw]) as unknown[];
  if (statements.length === 0) throw syntax();
  for (const statement of statements) {
    if (!isPlainObject(statement)) throw syntax();
    for (const key of Object.keys(statement)) if (!STATEMENT_ELEMENTS.has(key)) throw syntax();
    if ('Action' in statement && 'NotAction' in statement) throw syntax();
    if ('Resource' in statement && 'NotResource' in statement) throw syntax();
    if ('Principal' in statement && 'NotPrincipal' in statement) throw syntax();
    if (statement['Effect'] !== 'Allow' && statement['Effect'] !== 'Deny') throw syntax();
    for (const key of ['Action', 'NotAction', 'Resource', 'NotResource']) {
      if (key in statement && !isStringOrList(statement[key])) throw syntax();
    }
    if (statement['Sid'] !== undefined && typeof statement['Sid'] !== 'string') throw syntax();
    for (const key of ['Principal', 'NotPrincipal']) {
      const principal = statement[key];
      if (principal === undefined) continue;
      if (principal !== '*' && !(isPlainObject(principal) && Object.values(principal).every(isStringOrList))) throw syntax();
    }
    const condition = statement['Condition'];
    if (condition !== undefined) {
      if (!isPlainObject(condition)) throw syntax();
      for (const [operator, block] of Object.entries(condition)) {
        if (!isPlainObject(block)) throw syntax();
        for (const value of Object.values(block)) {
          const values = Array.isArray(value) ? value : [value];
          if (!values.every((v) => typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number')) throw syntax();
        }
        if (!CONDITION_OPERATORS.has(splitConditionOperator(operator).operator) && Object.keys(block).length > 0) throw syntax();
      }
    }
  }
  if (kind === 'identity' && doc['Version'] !== '2012-10-17') throw malformed('Policy document must be version 2012-10-17 or greater.');
  return statements as PolicyStatement[];
}

function checkAction(action: string): void {
  if (action === '*') return;
  const parts = action.split(':');
  if (parts.length === 1) throw malformed('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
  if (parts.length > 2) throw malformed('Actions/Condition can contain only one colon.');
  if (/[^a-zA-Z0-9\-.]/.test(parts[0]!) && parts[0] !== '*') throw malformed(`Vendor ${parts[0]} is not valid`);
}

function checkResource(resource: string): void {
  if (resource === '*') return;
  if (!resource.includes(':')) throw malformed(`Resource ${resource} must be in ARN format or "*".`);
  const parts = resource.split(':');
  if (parts.length < 3 || parts[2] === '' || /[*?]/.test(parts[2]!)) {
    throw malformed('Resource vendor must be fully qualified and cannot contain regexes.');
  }
}

/**
 * Parses and validates a policy document's JSON text (or an already-parsed object). Throws a
 * `MalformedPolicyDocument` ServiceError (400) with IAM's message on the first problem.
 */
export function parsePolicyDocument(text: string | object, options: ParsePolicyOptions = {}): PolicyDocument {
  const kind = options.kind ?? 'identity';
  let doc: unknown = text;
  if (typeof text === 'string') {
    try {
      doc = JSON.parse(text);
    } catch {
      throw malformed('This policy contains invalid Json');
    }
  }
  const statements = checkSyntax(doc, kind);
  const sids = new Set<string>();
  for (const statement of statements) {
    if (statement.Sid) {
      if (sids.has(statement.Sid)) throw malformed('Statement IDs (SID) in a single policy must be unique.');
      sids.add(statement.Sid);
    }
  }
  for (const statement of statements) {
    if (kind === 'identity' && (statement.Principal !== undefined || statement.NotPrincipal !== undefined)) {
      throw malformed('Policy document should not specify a principal.');
    }
    const actions = asList(statement.Action ?? statement.NotAction);
    if (actions.length === 0) throw malformed('Policy statement must contain actions.');
  }
  for (const statement of statements) {
    const resources = asList(statement.Resource ?? statement.NotResource);
    if (resources.length === 0 && kind === 'identity') throw malformed('Policy statement must contain resources.');
    for (const resource of resources) checkResource(resource);
  }
  for (const statement of statements) for (const action of asList(statement.Action ?? statement.NotAction)) checkAction(action);
  return doc as PolicyDocument;
}
