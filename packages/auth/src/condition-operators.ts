// IAM condition operators and the wildcard/ARN matching that policy elements share. Each operator
// compiles a policy value once into a test of one request-context value; set prefixes
// (ForAnyValue/ForAllValues), IfExists and policy variables are applied by the evaluator.
// Limitations: BinaryEquals compares the base64 texts as given (no re-encoding); IP ranges are CIDR only.
import { BlockList, isIP } from 'node:net';

const compiled = new Map<string, RegExp>();
const COMPILED_CACHE_SIZE = 4096;

function wildcardRegex(pattern: string, ignoreCase: boolean): RegExp {
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
  return regex;
}

/** `*` and `?` wildcards, anchored; case-insensitive when asked. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  return wildcardRegex(pattern, ignoreCase).test(value);
}

/** A matcher for one wildcard pattern, compiled once (`value` is compared as given). */
export function wildcardMatcher(pattern: string, ignoreCase = false): (value: string) => boolean {
  if (pattern === '*') return () => true;
  if (!pattern.includes('*') && !pattern.includes('?')) {
    if (!ignoreCase) return (value) => value === pattern;
    const lower = pattern.toLowerCase();
    return (value) => value.length === lower.length && value.toLowerCase() === lower;
  }
  const regex = wildcardRegex(pattern, ignoreCase);
  return (value) => regex.test(value);
}

/** The six parts of an ARN (the last keeps its colons), or undefined for fewer than six. */
export function splitArn(text: string): string[] | undefined {
  const parts = text.split(':');
  if (parts.length < 6) return undefined;
  return parts.length === 6 ? parts : [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/** ARN matching: each of the six colon-separated parts is matched on its own, with wildcards. */
export function arnMatch(pattern: string, arn: string): boolean {
  return arnMatcher(pattern)(arn);
}

/** `arnMatch` compiled once for a pattern; pass the ARN's `splitArn` parts when already split. */
export function arnMatcher(pattern: string): (arn: string, parts?: string[]) => boolean {
  if (pattern === '*') return () => true;
  const patternParts = splitArn(pattern);
  if (!patternParts) {
    const whole = wildcardMatcher(pattern);
    return (arn) => whole(arn);
  }
  const tests = patternParts.map((part) => wildcardMatcher(part));
  return (arn, parts) => {
    const a = parts ?? splitArn(arn);
    if (!a) return false;
    for (let i = 0; i < 6; i++) if (!tests[i]!(a[i]!)) return false;
    return true;
  };
}

function parseNumber(text: string): number | undefined {
  if (!/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(text)) return undefined;
  return Number(text);
}

/** ISO 8601 (with or without time) or epoch seconds. */
export function parseDate(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  if (!/^\d{4}-\d{2}/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** An IPv4 address as an unsigned 32-bit number, or undefined. */
function ipv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

function cidrMatcher(cidr: string): ((address: string) => boolean) | undefined {
  const [net, prefixText, extra] = cidr.trim().split('/');
  if (extra !== undefined || !net) return undefined;
  const family = isIP(net);
  if (family === 0) return undefined;
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return undefined;
  if (family === 4) {
    // IPv4 by arithmetic: BlockList.check allocates a SocketAddress per call.
    const size = 2 ** (32 - prefix);
    const base = Math.floor(ipv4(net)! / size) * size;
    return (address) => {
      const n = ipv4(address.startsWith('::ffff:') ? address.slice(7) : address);
      return n !== undefined && n >= base && n < base + size;
    };
  }
  const list = new BlockList();
  list.addSubnet(net, prefix, 'ipv6');
  return (address) => isIP(address) === 6 && list.check(address, 'ipv6');
}

/** A positive test of one context value, compiled from one policy value (undefined: never matches). */
export type ValueTest = (contextValue: string) => boolean;

export interface OperatorSpec {
  compile(policyValue: string): ValueTest | undefined;
  /** Negated operators (`StringNotEquals` …) are true when no policy value matches. */
  negated: boolean;
  /** Policy values of this operator may contain `${…}` policy variables. */
  variables: boolean;
}

const numeric =
  (test: (x: number, y: number) => boolean) =>
  (p: string): ValueTest | undefined => {
    const y = parseNumber(p);
    if (y === undefined) return undefined;
    return (c) => {
      const x = parseNumber(c);
      return x !== undefined && test(x, y);
    };
  };
const date =
  (test: (x: number, y: number) => boolean) =>
  (p: string): ValueTest | undefined => {
    const y = parseDate(p);
    if (y === undefined) return undefined;
    return (c) => {
      const x = parseDate(c);
      return x !== undefined && test(x, y);
    };
  };

const stringEquals = (p: string): ValueTest => (c) => c === p;
const stringEqualsIgnoreCase = (p: string): ValueTest => {
  const lower = p.toLowerCase();
  return (c) => c.toLowerCase() === lower;
};
const stringLike = (p: string): ValueTest => wildcardMatcher(p);
const bool = (p: string): ValueTest | undefined => {
  const lower = p.toLowerCase();
  if (lower !== 'true' && lower !== 'false') return undefined;
  return (c) => c.toLowerCase() === lower;
};

const spec = (compile: OperatorSpec['compile'], negated: boolean, variables: boolean): OperatorSpec => ({ compile, negated, variables });

/** Every operator IAM knows, without `IfExists` and set prefixes (`Null` is handled by the evaluator). */
export const OPERATORS: Record<string, OperatorSpec> = {
  StringEquals: spec(stringEquals, false, true),
  StringNotEquals: spec(stringEquals, true, true),
  StringEqualsIgnoreCase: spec(stringEqualsIgnoreCase, false, true),
  StringNotEqualsIgnoreCase: spec(stringEqualsIgnoreCase, true, true),
  StringLike: spec(stringLike, false, true),
  StringNotLike: spec(stringLike, true, true),
  NumericEquals: spec(numeric((x, y) => x === y), false, false),
  NumericNotEquals: spec(numeric((x, y) => x === y), true, false),
  NumericLessThan: spec(numeric((x, y) => x < y), false, false),
  NumericLessThanEquals: spec(numeric((x, y) => x <= y), false, false),
  NumericGreaterThan: spec(numeric((x, y) => x > y), false, false),
  NumericGreaterThanEquals: spec(numeric((x, y) => x >= y), false, false),
  DateEquals: spec(date((x, y) => x === y), false, false),
  DateNotEquals: spec(date((x, y) => x === y), true, false),
  DateLessThan: spec(date((x, y) => x < y), false, false),
  DateLessThanEquals: spec(date((x, y) => x <= y), false, false),
  DateGreaterThan: spec(date((x, y) => x > y), false, false),
  DateGreaterThanEquals: spec(date((x, y) => x >= y), false, false),
  Bool: spec(bool, false, true),
  BinaryEquals: spec(stringEquals, false, false),
  IpAddress: spec(cidrMatcher, false, false),
  NotIpAddress: spec(cidrMatcher, true, false),
  ArnEquals: spec(arnMatcher, false, true),
  ArnLike: spec(arnMatcher, false, true),
  ArnNotEquals: spec(arnMatcher, true, true),
  ArnNotLike: spec(arnMatcher, true, true),
};
