// Function names as the Lambda API accepts them: a name, a partial ARN (`123456789012:function:name`)
// or a full ARN, each optionally with a `:qualifier`, plus the separate Qualifier parameter.
import { LambdaErrors } from './lambda-errors.js';

export interface Scope {
  account: string;
  region: string;
}

export interface FunctionRef {
  name: string;
  qualifier?: string;
  account: string;
  region: string;
}

const NAME = /^[a-zA-Z0-9-_]{1,64}$/;
const QUALIFIER = /^(\$LATEST|[a-zA-Z0-9-_]+)$/;

/** Parses a FunctionName parameter (and an optional Qualifier parameter) into a reference. */
export function parseFunctionName(text: string, scope: Scope, qualifier?: string): FunctionRef {
  let name = text;
  let account = scope.account;
  let region = scope.region;
  let inline: string | undefined;
  if (text.startsWith('arn:')) {
    const parts = text.split(':');
    // arn:aws:lambda:region:account:function:name[:qualifier]
    if (parts.length < 7 || parts[2] !== 'lambda' || parts[5] !== 'function') throw invalidName(text);
    region = parts[3]!;
    account = parts[4]!;
    name = parts[6]!;
    inline = parts[7];
    if (parts.length > 8) throw invalidName(text);
  } else if (/^\d{12}:function:/.test(text)) {
    const parts = text.split(':');
    account = parts[0]!;
    name = parts[2]!;
    inline = parts[3];
    if (parts.length > 4) throw invalidName(text);
  } else if (text.includes(':')) {
    const parts = text.split(':');
    if (parts.length > 2) throw invalidName(text);
    name = parts[0]!;
    inline = parts[1];
  }
  if (!NAME.test(name)) throw invalidName(text);
  if (inline !== undefined && qualifier !== undefined && inline !== qualifier) {
    throw LambdaErrors.invalidParameter('The derived qualifier from the function name does not match the specified qualifier.');
  }
  const q = qualifier ?? inline;
  if (q !== undefined && !QUALIFIER.test(q)) throw LambdaErrors.invalidParameter(`Invalid qualifier: ${q}`);
  if (account !== scope.account || region !== scope.region) {
    // Cross-account and cross-region references are not served by this node.
    throw LambdaErrors.resourceNotFound(`Function not found: ${text}`);
  }
  return { name, qualifier: q, account, region };
}

function invalidName(text: string) {
  return LambdaErrors.invalidParameter(
    `1 validation error detected: Value '${text}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?`,
  );
}

export const functionArn = (scope: Scope, name: string): string => `arn:aws:lambda:${scope.region}:${scope.account}:function:${name}`;

export const isVersion = (qualifier: string): boolean => qualifier === '$LATEST' || /^\d+$/.test(qualifier);

/** Lambda's timestamp format: `2024-01-31T12:00:00.000+0000`. */
export const lambdaTimestamp = (date = new Date()): string => date.toISOString().replace('Z', '+0000');
