// IAM condition operators: each compares one value from the request context with a statement's
// values. Set prefixes (ForAnyValue/ForAllValues) and IfExists are applied by the evaluator.
import { BlockList, isIP } from 'node:net';

const compiled = new Map<string, RegExp>();
const COMPILED_CACHE_SIZE = 2048;

/** `*` and `?` wildcards, anchored; case-insensitive when asked. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  const cacheKey = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let regex = compiled.get(cacheKey);
  if (!regex) {
    let source = '^';
    for (const ch of pattern) {
      if (ch === '*') source += '.*';
      else if (ch === '?') source += '.';
      else source += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
    }
    regex = new RegExp(`${source}$`, ignoreCase ? 'is' : 's');
    if (compiled.size >= COMPILED_CACHE_SIZE) compiled.delete(compiled.keys().next().value as string);
    compiled.set(cacheKey, regex);
  }
  return regex.test(value);
}

/** ARN matching: each of the six colon-separated parts is matched on its own, with wildcards. */
export function arnMatch(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  const p = splitArn(pattern);
  const a = splitArn(arn);
  if (!p || !a) return wildcardMatch(pattern, arn);
  return p.every((part, i) => wildcardMatch(part, a[i]!));
}

function splitArn(text: string): string[] | undefined {
  const parts = text.split(':');
  if (parts.length < 6) return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

function parseNumber(text: string): number | undefined {
  if (!/^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(text)) return undefined;
  return Number(text);
}

function parseDate(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

function ipMatch(cidr: string, address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const [net, prefixText] = cidr.split('/');
  const netFamily = isIP(net ?? '');
  if (netFamily !== family) return false;
  const prefix = prefixText === undefined ? (family === 4 ? 32 : 128) : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) return false;
  const list = new BlockList();
  list.addSubnet(net!, prefix, family === 4 ? 'ipv4' : 'ipv6');
  return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

function compare(a: number | undefined, b: number | undefined, test: (x: number, y: number) => boolean): boolean {
  return a !== undefined && b !== undefined && test(a, b);
}

/** A positive test of one context value against one policy value. */
type Test = (contextValue: string, policyValue: string) => boolean;

interface OperatorSpec {
  test: Test;
  /** Negated operators (`StringNotEquals` …) are true when no policy value matches. */
  negated: boolean;
  /** Policy values of this operator may contain `${…}` policy variables. */
  variables: boolean;
}

const numeric = (test: (x: number, y: number) => boolean): Test => (c, p) => compare(parseNumber(c), parseNumber(p), test);
const date = (test: (x: number, y: number) => boolean): Test => (c, p) => compare(parseDate(c), parseDate(p), test);

const stringEquals: Test = (c, p) => c === p;
const stringEqualsIgnoreCase: Test = (c, p) => c.toLowerCase() === p.toLowerCase();
const stringLike: Test = (c, p) => wildcardMatch(p, c);
const arnLike: Test = (c, p) => arnMatch(p, c);

export const OPERATORS: Record<string, OperatorSpec> = {
  StringEquals: { test: stringEquals, negated: false, variables: true },
  StringNotEquals: { test: stringEquals, negated: true, variables: true },
  StringEqualsIgnoreCase: { test: stringEqualsIgnoreCase, negated: false, variables: true },
  StringNotEqualsIgnoreCase: { test: stringEqualsIgnoreCase, negated: true, variables: true },
  StringLike: { test: stringLike, negated: false, variables: true },
  StringNotLike: { test: stringLike, negated: true, variables: true },
  NumericEquals: { test: numeric((x, y) => x === y), negated: false, variables: false },
  NumericNotEquals: { test: numeric((x, y) => x === y), negated: true, variables: false },
  NumericLessThan: { test: numeric((x, y) => x < y), negated: false, variables: false },
  NumericLessThanEquals: { test: numeric((x, y) => x <= y), negated: false, variables: false },
  NumericGreaterThan: { test: numeric((x, y) => x > y), negated: false, variables: false },
  NumericGreaterThanEquals: { test: numeric((x, y) => x >= y), negated: false, variables: false },
  DateEquals: { test: date((x, y) => x === y), negated: false, variables: false },
  DateNotEquals: { test: date((x, y) => x === y), negated: true, variables: false },
  DateLessThan: { test: date((x, y) => x < y), negated: false, variables: false },
  DateLessThanEquals: { test: date((x, y) => x <= y), negated: false, variables: false },
  DateGreaterThan: { test: date((x, y) => x > y), negated: false, variables: false },
  DateGreaterThanEquals: { test: date((x, y) => x >= y), negated: false, variables: false },
  Bool: { test: (c, p) => c.toLowerCase() === p.toLowerCase(), negated: false, variables: false },
  BinaryEquals: { test: (c, p) => c === p, negated: false, variables: false },
  IpAddress: { test: (c, p) => ipMatch(p, c), negated: false, variables: false },
  NotIpAddress: { test: (c, p) => ipMatch(p, c), negated: true, variables: false },
  ArnEquals: { test: arnLike, negated: false, variables: true },
  ArnLike: { test: arnLike, negated: false, variables: true },
  ArnNotEquals: { test: arnLike, negated: true, variables: true },
  ArnNotLike: { test: arnLike, negated: true, variables: true },
};
