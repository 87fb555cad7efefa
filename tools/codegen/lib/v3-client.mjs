// Reads the error table and the enum values out of an installed AWS SDK v3 client bundle
// (node_modules/@aws-sdk/client-*/dist-cjs/index.js). The bundle declares string constants
// (`const _QDNE = "QueueDoesNotExist";`) and one schema per error:
//   var QueueDoesNotExist$ = [-3, n0, _QDNE, { [_aQE]: [`AWS.SimpleQueueService.NonExistentQueue`, 400], [_e]: _c, [_hE]: 400 }, [_m], [0]];
// Each entry is cut out by bracket matching and evaluated with the constants in scope; member schema
// references (`() => AttributeMap`) become `{ ref: 'AttributeMap' }`.

/** Returns the index just past the bracket that closes the one at `start`. */
function matchBracket(text, start) {
  let depth = 0;
  let quote = null;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (quote !== null) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '[' || c === '{' || c === '(') depth++;
    else if (c === ']' || c === '}' || c === ')') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  throw new Error('unbalanced brackets in v3 client bundle');
}

function constantsOf(text) {
  const consts = {};
  for (const m of text.matchAll(/^const (_\w*) = ("(?:[^"\\]|\\.)*");$/gm)) consts[m[1]] = JSON.parse(m[2]);
  return consts;
}

/** Smithy schema numeric codes (see @smithy/core schema SCHEMA) -> model shape type. */
function simpleType(code) {
  if (code === 0) return 'string';
  if (code === 1) return 'double';
  if (code === 2) return 'boolean';
  if (code >= 4 && code <= 7) return 'timestamp';
  if (code === 21 || code === 42) return 'blob';
  if (code === 17) return 'biginteger';
  if (code === 19) return 'bigdecimal';
  return undefined;
}

/**
 * Errors of a v3 client: name -> { fault: 'client'|'server', httpStatus?, queryError?: [code, status],
 * members: [{ name, type?: string, ref?: string }] }.
 */
export function parseV3Errors(source) {
  const consts = constantsOf(source);
  const names = Object.keys(consts);
  const values = names.map((n) => consts[n]);
  const errors = {};
  for (const m of source.matchAll(/^var (\w+)\$ = \[-3,/gm)) {
    const start = m.index + m[0].length - 4;
    const end = matchBracket(source, start);
    let literal = source.slice(start, end);
    literal = literal.replace(/\(\) => (\w+?)\$?(?=[\s,\]])/g, (_, ref) => JSON.stringify({ ref }));
    let entry;
    try {
      entry = new Function('n0', '_s', ...names, `return ${literal};`)('n0', '_s', ...values);
    } catch (err) {
      throw new Error(`cannot evaluate v3 error schema ${m[1]}: ${err.message}`);
    }
    const [, namespace, name, traits, memberNames, memberSchemas] = entry;
    if (namespace !== 'n0') continue; // the service's base exception
    const t = traits === 0 ? {} : traits;
    const members = (memberNames ?? []).map((memberName, i) => {
      let schema = memberSchemas?.[i];
      if (Array.isArray(schema)) schema = schema[0];
      if (typeof schema === 'number') return { name: memberName, type: simpleType(schema) };
      if (schema !== null && typeof schema === 'object' && typeof schema.ref === 'string') return { name: memberName, ref: schema.ref };
      return { name: memberName };
    });
    errors[name] = {
      fault: t.error === 'server' ? 'server' : 'client',
      httpStatus: typeof t.httpError === 'number' ? t.httpError : undefined,
      queryError: Array.isArray(t.awsQueryError) ? t.awsQueryError : undefined,
      members,
    };
  }
  return errors;
}

/** Enum objects of a v3 client: `const Runtime = { nodejs20x: "nodejs20.x", ... };` -> name -> values. */
export function parseV3Enums(source) {
  const enums = {};
  for (const m of source.matchAll(/^const ([A-Z]\w*) = \{\n((?:[ \t]+[\w$"']+: (?:"(?:[^"\\]|\\.)*"|-?\d+),?\n)+)\};$/gm)) {
    const values = [...m[2].matchAll(/: ("(?:[^"\\]|\\.)*")/g)].map((v) => JSON.parse(v[1]));
    if (values.length > 0) enums[m[1]] = values;
  }
  return enums;
}

/**
 * Named schemas of a v3 client, for shape names newer than botocore: structures
 * (`var SendMessageRequest$ = [3, n0, _SMR, 0, [members], [schemas]]`), unions (4), lists (1),
 * maps (2), annotated simple types (0) and operations (9). Returns { vars: Map(varName -> entry),
 * operations: Map(operationName -> entry) }, where references read `{ ref: varName }`.
 */
export function parseV3Schemas(source) {
  const consts = constantsOf(source);
  const names = Object.keys(consts);
  const values = names.map((n) => consts[n]);
  const vars = new Map();
  const operations = new Map();
  for (const m of source.matchAll(/^var ([\w$]+) = \[(-?\d+),/gm)) {
    const kind = Number(m[2]);
    if (![0, 1, 2, 3, 4, 9].includes(kind)) continue;
    const start = source.indexOf('[', m.index);
    const end = matchBracket(source, start);
    const literal = source.slice(start, end).replace(/\(\) => ([\w$]+)/g, (_, ref) => JSON.stringify({ ref }));
    let entry;
    try {
      entry = new Function('n0', '_s', ...names, `return ${literal};`)('n0', '_s', ...values);
    } catch {
      continue;
    }
    if (entry[1] !== 'n0' || typeof entry[2] !== 'string') continue;
    vars.set(m[1], entry);
    if (kind === 9) operations.set(entry[2], entry);
  }
  return { vars, operations };
}
