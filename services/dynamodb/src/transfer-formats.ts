// The file formats of S3 exports and imports: DynamoDB JSON lines (`{"Item":{…}}`), Amazon Ion text
// lines (`$ion_1_0 {Item:{…}}`, sets annotated `$dynamodb_SS::` etc., numbers as Ion decimals,
// binaries as blobs), and CSV (RFC 4180 quoting, a header line or a given header list).
import { typeOf, validateItem, ValidationError, type AttributeValue, type Item } from './attribute-value.js';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** Ion keywords that cannot be bare field names. */
const RESERVED = new Set(['null', 'true', 'false', 'nan']);

function ionSymbol(name: string): string {
  if (IDENTIFIER.test(name) && !RESERVED.has(name) && !name.startsWith('$')) return name;
  return `'${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/[\u0000-\u001f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;
}

/** A DynamoDB number as an Ion decimal (an integer stays an Ion int, as DynamoDB writes it). */
function ionNumber(n: string): string {
  return n.replace(/[eE]/, 'd');
}

function ionString(s: string): string {
  // JSON's string escapes are Ion's (\", \\, \n, \uXXXX …); lone surrogates are not valid in either.
  return JSON.stringify(s);
}

function ionBlob(b: Buffer): string {
  return `{{${b.toString('base64')}}}`;
}

export function ionValue(value: AttributeValue): string {
  const v = value as Record<string, unknown>;
  switch (typeOf(value)) {
    case 'S':
      return ionString(v.S as string);
    case 'N':
      return ionNumber(v.N as string);
    case 'B':
      return ionBlob(v.B as Buffer);
    case 'BOOL':
      return v.BOOL ? 'true' : 'false';
    case 'NULL':
      return 'null';
    case 'SS':
      return `$dynamodb_SS::[${(v.SS as string[]).map(ionString).join(',')}]`;
    case 'NS':
      return `$dynamodb_NS::[${(v.NS as string[]).map(ionNumber).join(',')}]`;
    case 'BS':
      return `$dynamodb_BS::[${(v.BS as Buffer[]).map(ionBlob).join(',')}]`;
    case 'L':
      return `[${(v.L as AttributeValue[]).map(ionValue).join(',')}]`;
    case 'M':
      return ionStruct(v.M as Record<string, AttributeValue>);
  }
}

function ionStruct(fields: Record<string, AttributeValue>): string {
  return `{${Object.keys(fields)
    .map((k) => `${ionSymbol(k)}:${ionValue(fields[k]!)}`)
    .join(',')}}`;
}

/** One item as a line of an ION export. */
export function ionLine(item: Item): string {
  return `$ion_1_0 {Item:${ionStruct(item)}}`;
}

/** One stored item (DynamoDB's JSON wire text) as a line of a DYNAMODB_JSON export. */
export function dynamoJsonLine(storedItem: string): string {
  return `{"Item":${storedItem}}`;
}

/** Parses a DYNAMODB_JSON import line (`{"Item":{…}}`) into a validated item. */
export function parseDynamoJsonLine(line: string): Item {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new ValidationError('Invalid JSON');
  }
  const item = (parsed as { Item?: unknown } | null)?.Item;
  if (!item || typeof item !== 'object' || Array.isArray(item)) throw new ValidationError('The line has no Item');
  return validateItem(item as Record<string, AttributeValue>);
}

/** Splits CSV text into rows of fields (RFC 4180: quoted fields may hold delimiters, quotes and newlines). */
export function parseCsv(text: string, delimiter = ','): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endRow = () => {
    row.push(field);
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
    row = [];
    field = '';
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === delimiter) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      endRow();
      if (c === '\r' && text[i + 1] === '\n') i++;
    } else field += c;
    i++;
  }
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

/**
 * Items from CSV rows: every value is a string, except the attributes whose type the table defines
 * (its key attributes), which take that type, as DynamoDB imports CSV. Empty values are left out.
 */
export function csvItems(rows: string[][], header: string[] | undefined, types: Record<string, 'S' | 'N' | 'B'>): { items: Item[]; errors: number } {
  const names = header ?? rows[0] ?? [];
  const data = header ? rows : rows.slice(1);
  const items: Item[] = [];
  let errors = 0;
  for (const row of data) {
    try {
      const raw: Record<string, AttributeValue> = {};
      names.forEach((name, i) => {
        const value = row[i];
        if (value === undefined || value === '') return;
        const type = types[name] ?? 'S';
        raw[name] = (type === 'N' ? { N: value } : type === 'B' ? { B: Buffer.from(value, 'base64') } : { S: value }) as AttributeValue;
      });
      items.push(validateItem(raw));
    } catch {
      errors++;
    }
  }
  return { items, errors };
}
