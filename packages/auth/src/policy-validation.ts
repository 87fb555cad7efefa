// IAM's grammar check of a policy document: `validatePolicyDocument(text, kind)` throws a
// MalformedPolicyDocument ServiceError (400) with IAM's message for the first problem it finds, or
// returns the parsed document. Kinds: `identity` (user/group/role and managed policies), `resource`
// (queue, topic, function, bucket policies) and `trust` (a role's assume-role policy).
// As in IAM, unknown actions and unknown service prefixes are accepted (IAM only checks the form
// `vendor:Action`); Access Analyzer-style warnings are not produced.
// Limitations: principals are checked for form only (IAM also checks that a named user/role exists);
// the order in which problems are reported follows IAM where known, not always.
import { serviceError, type ServiceError } from '@atoll/core';
import { CONDITION_OPERATORS, asList, splitConditionOperator, type PolicyDocument, type PolicyStatement } from './policy-document.js';

export type PolicyKind = 'identity' | 'resource' | 'trust';

export interface PolicyLimits {
  /** The most non-whitespace characters the document may have (IAM counts these). */
  maxSize?: number;
  /** The error for a document over `maxSize` (default: LimitExceeded "Cannot exceed quota for PolicySize: N"). */
  tooLarge?: (size: number, maxSize: number) => Error;
  /** Managed policies (CreatePolicy, CreatePolicyVersion) must say Version 2012-10-17. */
  requireCurrentVersion?: boolean;
}

const TOP_ELEMENTS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_ELEMENTS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Principal', 'NotPrincipal', 'Condition']);
const VERSIONS = new Set(['2008-10-17', '2012-10-17']);
const PRINCIPAL_TYPES = new Set(['AWS', 'Service', 'Federated', 'CanonicalUser']);

function malformed(message: string): ServiceError {
  return serviceError('MalformedPolicyDocument', 400, message);
}

const syntax = (): ServiceError => malformed('Syntax errors in policy.');

function isStringOrList(value: unknown): value is string | string[] {
  return typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** IAM's policy size: the characters of the document that are not whitespace. */
export function policySize(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) count++;
  }
  return count;
}

function checkShape(doc: unknown): PolicyStatement[] {
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
      for (const block of Object.values(condition)) {
        if (!isPlainObject(block)) throw syntax();
        for (const value of Object.values(block)) {
          const values = Array.isArray(value) ? value : [value];
          if (!values.every((v) => typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number')) throw syntax();
        }
      }
    }
  }
  return statements as PolicyStatement[];
}

/** `vendor:Action` with at most one colon and a vendor without wildcards; `*` alone is every action. */
function checkAction(action: string): void {
  if (action === '*') return;
  const parts = action.split(':');
  if (parts.length === 1) throw malformed('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
  if (parts.length > 2) throw malformed('Actions/Condition can contain only one colon.');
  const vendor = parts[0]!;
  if (/[*?]/.test(vendor)) throw malformed('Action vendors (e.g., aws, ec2, etc.) must not contain wildcards');
  if (vendor === '' || /[^a-zA-Z0-9\-_.]/.test(vendor)) throw malformed(`Vendor ${vendor} is not valid`);
  if (parts[1] === '' || /\s/.test(parts[1]!)) throw malformed(`Action ${action} is not valid`);
}

function checkResource(resource: string): void {
  if (resource === '*') return;
  if (!resource.startsWith('arn:') || resource.split(':').length < 3) throw malformed(`Resource ${resource} must be in ARN format or "*".`);
  const parts = resource.split(':');
  if (parts[1] === '' || parts[2] === '' || /[*?]/.test(parts[2]!)) throw malformed('Resource vendor must be fully qualified and cannot contain regexes.');
  // An account part that is neither an account id, a wildcard, a variable nor empty (S3) fails IAM's old parser.
  const account = parts[4];
  if (account !== undefined && account !== '' && account !== 'aws' && !/^\d{12}$/.test(account) && !/[*?$]/.test(account)) {
    throw malformed('The policy failed legacy parsing');
  }
}

function checkConditionKey(key: string): void {
  const colon = key.indexOf(':');
  if (colon <= 0) throw malformed('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
}

const ACCOUNT_ARN = /^arn:aws[a-z-]*:iam::\d{12}:root$/;
const IAM_PRINCIPAL_ARN = /^arn:aws[a-z-]*:(iam::\d{12}:(user|role|group)\/[^*?]+|sts::\d{12}:(assumed-role\/[^/*?]+\/[^*?]+|federated-user\/[^*?]+))$/;

function principalValid(type: string, value: string): boolean {
  switch (type) {
    case 'AWS':
      return value === '*' || /^\d{12}$/.test(value) || ACCOUNT_ARN.test(value) || IAM_PRINCIPAL_ARN.test(value) || /^[A-Z0-9]{21}$/.test(value);
    case 'Service':
      return value === '*' || /^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$/.test(value) || /^[a-z0-9][a-z0-9.-]*\.amazon\.com$/.test(value);
    case 'Federated':
      return (
        /^arn:aws[a-z-]*:iam::\d{12}:(saml-provider|oidc-provider)\/\S+$/.test(value) ||
        /^(cognito-identity\.amazonaws\.com|www\.amazon\.com|graph\.facebook\.com|accounts\.google\.com|appleid\.apple\.com)$/.test(value)
      );
    case 'CanonicalUser':
      return /^[0-9a-f]{64}$/.test(value);
    default:
      return false;
  }
}

function checkPrincipal(principal: PolicyStatement['Principal']): void {
  if (principal === undefined || principal === '*') return;
  for (const [type, value] of Object.entries(principal)) {
    if (!PRINCIPAL_TYPES.has(type)) throw malformed('Invalid principal in policy');
    for (const entry of asList(value)) {
      if (!principalValid(type, entry)) throw malformed(`Invalid principal in policy: "${type}":"${entry}"`);
    }
  }
}

/**
 * Parses and validates a policy document's JSON text (or an already-parsed object) as IAM does for
 * its kind. Throws a `MalformedPolicyDocument` ServiceError (400) with IAM's message on the first
 * problem, or the `limits.tooLarge` error for an oversized document.
 */
export function validatePolicyDocument(text: string | object, kind: PolicyKind = 'identity', limits: PolicyLimits = {}): PolicyDocument {
  if (typeof text === 'string' && limits.maxSize !== undefined) {
    const size = policySize(text);
    if (size > limits.maxSize) {
      throw limits.tooLarge?.(size, limits.maxSize) ?? serviceError('LimitExceeded', 409, `Cannot exceed quota for PolicySize: ${limits.maxSize}`);
    }
  }
  let doc: unknown = text;
  if (typeof text === 'string') {
    try {
      doc = JSON.parse(text);
    } catch {
      throw malformed('This policy contains invalid Json');
    }
  }
  const statements = checkShape(doc);
  const version = (doc as PolicyDocument).Version;
  if (limits.requireCurrentVersion && version !== '2012-10-17') throw malformed('Policy document must be version 2012-10-17 or greater.');
  const sids = new Set<string>();
  for (const statement of statements) {
    if (statement.Sid === undefined) continue;
    if (kind !== 'resource' && !/^[0-9A-Za-z]*$/.test(statement.Sid)) {
      throw malformed('Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*');
    }
    if (statement.Sid !== '' && sids.has(statement.Sid)) throw malformed('Statement IDs (SID) in a single policy must be unique.');
    sids.add(statement.Sid);
  }
  for (const statement of statements) {
    const principal = statement.Principal ?? statement.NotPrincipal;
    if (kind === 'identity' && principal !== undefined) throw malformed('Policy document should not specify a principal.');
    if (kind === 'trust') {
      if (statement.Resource !== undefined) throw malformed('Has prohibited field Resource');
      if (statement.NotResource !== undefined) throw malformed('Has prohibited field NotResource');
      if (principal === undefined) throw malformed('Missing required field Principal');
    }
    if (kind === 'resource' && principal === undefined) throw malformed('Missing required field Principal');
    if (asList(statement.Action ?? statement.NotAction).length === 0) throw malformed('Policy statement must contain actions.');
  }
  for (const statement of statements) {
    const resources = asList(statement.Resource ?? statement.NotResource);
    if (resources.length === 0 && kind === 'identity') throw malformed('Policy statement must contain resources.');
    for (const resource of resources) checkResource(resource);
  }
  for (const statement of statements) {
    for (const action of asList(statement.Action ?? statement.NotAction)) checkAction(action);
    checkPrincipal(statement.Principal);
    checkPrincipal(statement.NotPrincipal);
    for (const [operator, block] of Object.entries(statement.Condition ?? {})) {
      const { operator: base } = splitConditionOperator(operator);
      if (!CONDITION_OPERATORS.has(base)) throw malformed(`Invalid Condition type : ${operator}`);
      for (const key of Object.keys(block)) checkConditionKey(key);
    }
  }
  return doc as PolicyDocument;
}

export interface ParsePolicyOptions {
  /** `identity` (the default), `resource` or `trust`: see `validatePolicyDocument`. */
  kind?: PolicyKind;
}

/** `validatePolicyDocument` with the kind in an options object (the older call form). */
export function parsePolicyDocument(text: string | object, options: ParsePolicyOptions = {}): PolicyDocument {
  return validatePolicyDocument(text, options.kind ?? 'identity');
}
