// Where each statement of a policy's JSON text begins and ends (line and column), for Simulate's
// MatchedStatements. A small JSON scanner: it skips strings and nesting, and records the spans of
// the top-level `Statement` value's elements (or of the single statement object).
// Lines and columns count from 1; an end position is the column just after the closing brace.

export interface TextPosition {
  Line: number;
  Column: number;
}

export interface StatementPosition {
  start: TextPosition;
  end: TextPosition;
}

function skipString(text: string, i: number): number {
  // i is at the opening quote; returns the index after the closing quote.
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j];
    if (c === '\\') j++;
    else if (c === '"') return j + 1;
  }
  return text.length;
}

/** The index just after the JSON value starting at (or after whitespace from) `i`. */
function skipValue(text: string, i: number): number {
  i = skipSpace(text, i);
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text[j];
      if (d === '"') {
        j = skipString(text, j) - 1;
      } else if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return text.length;
  }
  let j = i;
  while (j < text.length && !/[,}\]\s]/.test(text[j]!)) j++;
  return j;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i]!)) i++;
  return i;
}

function position(text: string, offset: number): TextPosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { Line: line, Column: offset - lineStart + 1 };
}

/** The positions of the statements of a policy text, in order; empty when the text is not a policy. */
export function statementPositions(text: string): StatementPosition[] {
  let i = skipSpace(text, 0);
  if (text[i] !== '{') return [];
  i++;
  const spans: [number, number][] = [];
  while (i < text.length) {
    i = skipSpace(text, i);
    if (text[i] === '}') break;
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] !== '"') return [];
    const keyEnd = skipString(text, i);
    const key = text.slice(i + 1, keyEnd - 1);
    i = skipSpace(text, keyEnd);
    if (text[i] !== ':') return [];
    i = skipSpace(text, i + 1);
    const valueEnd = skipValue(text, i);
    if (key === 'Statement') {
      if (text[i] === '{') spans.push([i, valueEnd]);
      else if (text[i] === '[') {
        let j = i + 1;
        while (j < valueEnd - 1) {
          j = skipSpace(text, j);
          if (text[j] === ',') {
            j++;
            continue;
          }
          if (text[j] === ']') break;
          const end = skipValue(text, j);
          spans.push([j, end]);
          j = end;
        }
      }
    }
    i = valueEnd;
  }
  return spans.map(([start, end]) => ({ start: position(text, start), end: position(text, end) }));
}
