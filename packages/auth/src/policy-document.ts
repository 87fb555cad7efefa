// The IAM policy grammar: the document types, the condition operator names and their prefixes and
// suffixes. Validation is in policy-validation.ts, evaluation in policy-evaluator.ts.

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

/** A string or a list of strings as a list. */
export function asList(value: StringOrList | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
