// Splits a DynamoDB expression into tokens, keeping each token's offsets so that syntax errors can
// quote the text "near" the failure as DynamoDB does.

export type TokenKind = 'ident' | 'name' | 'value' | 'number' | 'punct' | 'eof';

export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
}

/** A syntax error; `token` is the offending token's text ("<EOF>" at the end). */
export class ExpressionSyntaxError extends Error {
  constructor(readonly token: string, readonly near: string) {
    super(`Syntax error; token: "${token}", near: "${near}"`);
  }
}

const PUNCT2 = new Set(['<=', '>=', '<>']);
const PUNCT1 = new Set(['(', ')', '[', ']', '.', ',', '=', '<', '>', '+', '-']);

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}
function isIdentPart(c: string): boolean {
  return isIdentStart(c) || (c >= '0' && c <= '9');
}

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (isIdentStart(c)) {
      while (i < n && isIdentPart(source[i]!)) i++;
      tokens.push({ kind: 'ident', text: source.slice(start, i), start, end: i });
    } else if (c === '#' || c === ':') {
      i++;
      while (i < n && isIdentPart(source[i]!)) i++;
      tokens.push({ kind: c === '#' ? 'name' : 'value', text: source.slice(start, i), start, end: i });
    } else if (c >= '0' && c <= '9') {
      while (i < n && source[i]! >= '0' && source[i]! <= '9') i++;
      tokens.push({ kind: 'number', text: source.slice(start, i), start, end: i });
    } else if (PUNCT2.has(source.slice(i, i + 2))) {
      i += 2;
      tokens.push({ kind: 'punct', text: source.slice(start, i), start, end: i });
    } else if (PUNCT1.has(c)) {
      i++;
      tokens.push({ kind: 'punct', text: c, start, end: i });
    } else {
      // An unknown character is a token of its own; the parser reports it.
      i++;
      tokens.push({ kind: 'punct', text: c, start, end: i });
      const prev = tokens[tokens.length - 2];
      const from = prev ? prev.start : start;
      let to = i;
      while (to < n && source[to] === ' ') to++;
      // include the next token for context, like DynamoDB
      let j = to;
      if (j < n && isIdentPart(source[j]!)) while (j < n && isIdentPart(source[j]!)) j++;
      else if (j < n) j++;
      throw new ExpressionSyntaxError(c, source.slice(from, j));
    }
  }
  tokens.push({ kind: 'eof', text: '<EOF>', start: n, end: n });
  return tokens;
}

/** The "near" text for an error at token `index`: from the previous token to the next one. */
export function nearText(source: string, tokens: Token[], index: number): string {
  const prev = tokens[index - 1];
  const tok = tokens[index]!;
  const next = tokens[index + 1];
  const from = prev ? prev.start : tok.start;
  const to = tok.kind === 'eof' ? tok.end : next && next.kind !== 'eof' ? next.end : tok.end;
  return source.slice(from, to);
}
