// The syntax tree of DynamoDB expressions, before and after placeholders are resolved.
import type { AttributeValue } from '../attribute-value.js';

/** A path element as written: an identifier, a `#name` placeholder, or a list index. */
export type RawPathElement = { ident: string } | { placeholder: string } | { index: number };
/** A resolved path element: an attribute (map key) name or a list index. */
export type PathElement = string | number;

export type Operand =
  | { k: 'path'; raw: RawPathElement[]; path: PathElement[] }
  | { k: 'value'; name: string; value?: AttributeValue }
  | { k: 'fn'; name: string; args: Operand[] }
  | { k: 'arith'; op: '+' | '-'; a: Operand; b: Operand };

export type Comparator = '=' | '<>' | '<' | '<=' | '>' | '>=';

export type Condition =
  | { k: 'and' | 'or'; a: Condition; b: Condition }
  | { k: 'not'; a: Condition }
  | { k: 'cmp'; op: Comparator; a: Operand; b: Operand }
  | { k: 'between'; a: Operand; lo: Operand; hi: Operand }
  | { k: 'in'; a: Operand; list: Operand[] }
  | { k: 'fn'; fn: Operand & { k: 'fn' } };

export type UpdateAction =
  | { k: 'SET'; path: Operand & { k: 'path' }; value: Operand }
  | { k: 'REMOVE'; path: Operand & { k: 'path' } }
  | { k: 'ADD' | 'DELETE'; path: Operand & { k: 'path' }; value: Operand & { k: 'value' } };

export function pathString(path: readonly PathElement[]): string {
  return `[${path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join(', ')}]`;
}
