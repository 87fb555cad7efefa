// Builds Atoll's runtime ServiceModel (packages/aws-models/src/model-types.ts) for one service from
// its service model (botocore's, or the older aws-sdk v2 one, same JSON format; v2 inlines shapes
// used once and leaves out constraints and error shapes), the v3 client's error table and enum
// values, then the service's patch file deep-merged last. Operation inputs/outputs used by one
// operation are named `<Op>Request`/`<Op>Result` whatever the source calls them (the names the
// services import); every other shape keeps its botocore name.
import { opPath, resolveV2, v2Children, v2Type } from './v2-walk.mjs';

/** Traits that belong to the member reference, not to the shape it points at. */
const REF_TRAITS = ['location', 'locationName', 'queryName', 'flattened', 'xmlAttribute', 'xmlNamespace', 'timestampFormat', 'jsonvalue', 'idempotencyToken', 'streaming', 'hostLabel', 'eventpayload', 'deprecated'];
/** v2 keys with no runtime meaning for Atoll. */
const DROPPED = new Set(['deprecatedMessage', 'deprecatedSince', 'contextParam', 'documentation', 'box', 'resultWrapper']);
const STRUCTURAL = new Set(['type', 'members', 'member', 'key', 'value', 'required']);
const PRIMITIVE = new Set(['string', 'integer', 'long', 'float', 'double', 'boolean', 'timestamp', 'blob', 'bigdecimal', 'biginteger', 'byte', 'short', 'character']);
const PRIMITIVE_NAME = {
  string: 'String', integer: 'Integer', long: 'Long', float: 'Float', double: 'Double', boolean: 'Boolean',
  timestamp: 'Timestamp', blob: 'Blob', bigdecimal: 'BigDecimal', biginteger: 'BigInteger', byte: 'Byte', short: 'Short', character: 'Character',
};
const OP_KEYS_KEPT = ['httpChecksumRequired', 'httpChecksum', 'deprecated', 'authtype', 'unsignedPayload', 'endpoint', 'requestcompression'];

const capitalize = (s) => s.charAt(0).toUpperCase() + s.slice(1);
const sortKeys = (obj) => Object.fromEntries(Object.keys(obj).sort().map((k) => [k, obj[k]]));

/** Returns the pattern when JavaScript can compile it with the `u` flag, else undefined. */
export function jsPattern(pattern) {
  // Java's supplementary-range spelling; JavaScript's `u` mode wants code point escapes.
  pattern = pattern.replace(/\\u10000-\\u10FFFF/g, '\\u{10000}-\\u{10FFFF}');
  try {
    new RegExp(pattern, 'u');
    return pattern;
  } catch {
    return undefined;
  }
}

/**
 * A botocore model in the aws-sdk v2 layout the walk expects: each operation input/output shape that
 * nothing else references is inlined into its operation (so that it is named `<Op>Request`/`<Op>Result`
 * as the v2 minifier's inlining made it), with the operation reference's traits (rest-xml root
 * `locationName`/`xmlNamespace`, `resultWrapper`).
 */
export function inlineOperationShapes(bc) {
  const uses = new Map();
  const count = (ref) => {
    if (ref?.shape !== undefined) uses.set(ref.shape, (uses.get(ref.shape) ?? 0) + 1);
  };
  for (const shape of Object.values(bc.shapes)) {
    for (const ref of Object.values(shape.members ?? {})) count(ref);
    count(shape.member);
    count(shape.key);
    count(shape.value);
  }
  for (const op of Object.values(bc.operations)) {
    count(op.input);
    count(op.output);
  }
  const operations = {};
  for (const [opName, op] of Object.entries(bc.operations)) {
    const o = { ...op };
    for (const io of ['input', 'output']) {
      const ref = op[io];
      if (ref === undefined || uses.get(ref.shape) !== 1) continue;
      const { shape, documentation, ...refTraits } = ref;
      void documentation;
      o[io] = { ...bc.shapes[shape], ...refTraits };
    }
    operations[opName] = o;
  }
  return { ...bc, operations };
}

/** The error tables that the aws-sdk v2 models left out, read from a botocore model itself. */
function botocoreErrorTables(bc) {
  const operations = {};
  for (const [opName, op] of Object.entries(bc.operations)) {
    const entry = { errors: (op.errors ?? []).map((e) => e.shape) };
    const noAuth = Array.isArray(op.auth) && op.auth.length === 1 && op.auth[0] === 'smithy.api#noAuth';
    if (op.authtype !== undefined) entry.authtype = op.authtype;
    else if (noAuth) entry.authtype = 'none';
    operations[opName] = entry;
  }
  const errorShapes = {};
  for (const [n, s] of Object.entries(bc.shapes)) if (s.exception || s.error !== undefined) errorShapes[n] = s;
  return { operations, errorShapes, referencedShapes: bc.shapes };
}

/**
 * @param {string} name Atoll service name
 * @param {{kind: 'botocore'|'aws-sdk-v2', model: object}} source the service model (sources.mjs)
 * @param {{errors: object, enums: object}|undefined} v3 parsed v3 client tables
 * @param {object|undefined} patch tools/codegen/patches/<name>.json
 */
export function buildModel(name, source, v3, patch) {
  const fromBotocore = source.kind === 'botocore';
  const v2 = fromBotocore ? inlineOperationShapes(source.model) : source.model;
  const traits = fromBotocore ? botocoreErrorTables(source.model) : undefined;
  const md = v2.metadata;
  const protocol = md.protocol;
  const awsQueryCompatible = md.awsQueryCompatible !== undefined;
  const drafts = new Map();

  // 1. Walk the v2 model: one draft per shape key, refs point at keys.
  const refTo = (key, traitsSource, named) => {
    const ref = { target: key };
    if (named) {
      for (const [k, v] of Object.entries(traitsSource)) if (k !== 'shape' && !DROPPED.has(k)) ref[k] = v;
    } else {
      for (const k of REF_TRAITS) if (traitsSource[k] !== undefined) ref[k] = traitsSource[k];
    }
    return ref;
  };
  const visit = (def, path, hint) => {
    const { key, shape, named } = resolveV2(v2, def, path);
    // An inline operation input/output keeps its traits (root locationName, xmlNamespace) on the shape.
    const isRoot = named === undefined && hint.root !== undefined;
    const ref = isRoot ? { target: key } : refTo(key, def, named !== undefined);
    if (drafts.has(key)) return ref;
    const draft = { key, type: v2Type(shape), traits: {}, hint };
    if (fromBotocore && named !== undefined) draft.botoName = named;
    drafts.set(key, draft);
    for (const [k, v] of Object.entries(shape)) {
      if (STRUCTURAL.has(k) || DROPPED.has(k)) continue;
      if (named === undefined && !isRoot && REF_TRAITS.includes(k)) continue;
      draft.traits[k] = v;
    }
    if (shape.required !== undefined) draft.required = shape.required;
    if (draft.type === 'structure') draft.members = {};
    for (const child of v2Children(key, shape)) {
      const suffix = child.kind === 'member' ? (child.name !== undefined ? capitalize(child.name) : 'Member') : capitalize(child.kind);
      const r = visit(child.def, child.path, { parent: key, suffix });
      if (child.name !== undefined) draft.members[child.name] = r;
      else if (child.kind === 'member') draft.member = r;
      else if (child.kind === 'key') draft.keyRef = r;
      else draft.valueRef = r;
    }
    return ref;
  };
  const opRefs = {};
  for (const [opName, op] of Object.entries(v2.operations)) {
    const refs = {};
    if (op.input) refs.input = visit(op.input, opPath(opName, 'input'), { root: `${opName}Request` });
    if (op.output) {
      refs.output = visit(op.output, opPath(opName, 'output'), { root: `${opName}Result` });
      if (op.output.resultWrapper) refs.output.resultWrapper = op.output.resultWrapper;
    }
    opRefs[opName] = refs;
  }

  // 2. Enum values newer than the model from the v3 client; for the v2 model (whose shapes used once
  // are inline and nameless), shape names from the v3 client's schemas.
  const v3Enums = v3?.enums ?? {};
  for (const draft of drafts.values()) addV3Enum(draft, v3Enums);
  if (!fromBotocore && v3?.schemas !== undefined) nameFromV3Schemas(v2, drafts, v3.schemas);

  // 3. Errors: the v3 client's table (codes, statuses) and botocore's error shapes (members).
  const bcErrors = traits?.errorShapes ?? {};
  const bcShapes = traits?.referencedShapes ?? {};
  const v3Errors = v3?.errors ?? {};
  const byBotoName = new Map();
  for (const d of drafts.values()) if (d.botoName !== undefined && !byBotoName.has(d.botoName)) byBotoName.set(d.botoName, d);
  const visitBoto = (botoName, refSource) => {
    const ref = (key) => {
      const r = { target: key };
      for (const k of REF_TRAITS) if (refSource?.[k] !== undefined) r[k] = refSource[k];
      return r;
    };
    const existing = byBotoName.get(botoName);
    if (existing !== undefined) return ref(existing.key);
    const s = bcShapes[botoName];
    if (s === undefined) return undefined;
    const key = `!bc:${botoName}`;
    const draft = { key, type: s.type, traits: {}, hint: { root: botoName }, botoName };
    drafts.set(key, draft);
    byBotoName.set(botoName, draft);
    for (const [k, v] of Object.entries(s)) if (!STRUCTURAL.has(k) && !DROPPED.has(k)) draft.traits[k] = v;
    if (s.required !== undefined) draft.required = s.required;
    if (s.type === 'structure') {
      draft.members = {};
      for (const [m, mref] of Object.entries(s.members ?? {})) {
        const r = visitBoto(mref.shape, mref);
        if (r !== undefined) draft.members[m] = r;
      }
    }
    if (s.member !== undefined) draft.member = visitBoto(s.member.shape, s.member);
    if (s.key !== undefined) draft.keyRef = visitBoto(s.key.shape, s.key);
    if (s.value !== undefined) draft.valueRef = visitBoto(s.value.shape, s.value);
    addV3Enum(draft, v3Enums);
    return ref(key);
  };
  const primitiveDraft = (type) => {
    const key = `!prim:${type}`;
    if (!drafts.has(key)) drafts.set(key, { key, type, traits: {}, hint: { root: PRIMITIVE_NAME[type] } });
    return { target: key };
  };
  const errorNames = [...new Set([...Object.keys(v3Errors), ...Object.keys(bcErrors)])].sort();
  const queryPrimary = protocol === 'query' || protocol === 'ec2';
  for (const errName of errorNames) {
    const v = v3Errors[errName];
    const b = bcErrors[errName];
    const senderFault = v !== undefined ? v.fault === 'client' : b.error?.senderFault ?? (b.error?.httpStatusCode ?? 400) < 500;
    const fallbackStatus = senderFault ? 400 : 500;
    let status;
    let code = errName;
    let queryCode;
    if (queryPrimary) {
      status = v?.queryError?.[1] ?? v?.httpStatus ?? b?.error?.httpStatusCode ?? fallbackStatus;
      code = v?.queryError?.[0] ?? b?.error?.code ?? errName;
    } else {
      status = v?.httpStatus ?? b?.error?.httpStatusCode ?? (awsQueryCompatible ? v?.queryError?.[1] : undefined) ?? fallbackStatus;
      if (awsQueryCompatible) queryCode = v?.queryError?.[0] ?? b?.error?.code;
      else code = b?.error?.code ?? errName;
    }
    const error = { httpStatusCode: status, senderFault };
    if (code !== errName) error.code = code;
    if (queryCode !== undefined && queryCode !== code) error.queryCode = queryCode;
    const key = `!err:${errName}`;
    const draft = { key, type: 'structure', traits: { error: sortKeys(error), exception: true }, hint: { root: errName }, members: {}, isError: true };
    drafts.set(key, draft);
    for (const [m, mref] of Object.entries(b?.members ?? {})) {
      const r = visitBoto(mref.shape, mref);
      if (r !== undefined) draft.members[m] = r;
    }
    if (b?.required !== undefined) draft.required = b.required;
    for (const member of v?.members ?? []) {
      if (draft.members[member.name] !== undefined) continue;
      let r;
      if (member.ref !== undefined) r = visitBoto(member.ref, undefined);
      else if (member.type !== undefined) r = primitiveDraft(member.type);
      if (r !== undefined) draft.members[member.name] = r;
    }
  }

  // 4. Names: errors, operation inputs/outputs, then botocore names or paths; primitives deduped.
  const used = new Set();
  const finalName = new Map();
  const unique = (cand) => {
    let n = cand;
    for (let i = 2; used.has(n); i++) n = `${cand}${i}`;
    used.add(n);
    return n;
  };
  const pathName = (draft) => {
    if (draft.hint.root !== undefined) return draft.hint.root;
    return `${finalName.get(draft.hint.parent) ?? 'Shape'}${draft.hint.suffix}`;
  };
  for (const d of drafts.values()) if (d.isError) finalName.set(d.key, unique(d.hint.root));
  for (const d of drafts.values()) {
    if (!d.isError && d.hint.root !== undefined && !d.key.startsWith('!') && !d.key.startsWith('#')) finalName.set(d.key, unique(d.hint.root));
  }
  const primitiveGroups = new Map();
  for (const d of drafts.values()) {
    if (finalName.has(d.key)) continue;
    if (PRIMITIVE.has(d.type)) {
      const sig = JSON.stringify([d.type, sortKeys(d.traits)]);
      if (!primitiveGroups.has(sig)) primitiveGroups.set(sig, []);
      primitiveGroups.get(sig).push(d);
      continue;
    }
    const known = [d.botoName, d.v3Name].find((n) => n !== undefined && !used.has(n));
    const cand = known ?? pathName(d);
    finalName.set(d.key, unique(cand));
  }
  const primitiveShapes = new Map();
  for (const group of primitiveGroups.values()) {
    const first = group[0];
    let n;
    const traitKeys = Object.keys(first.traits);
    if (traitKeys.every((k) => k === 'sensitive' || k === 'timestampFormat')) {
      // Only v2 traits: a descriptive name (`String`, `SensitiveString`, `TimestampRfc822`).
      const t = first.traits;
      n = `${t.sensitive ? 'Sensitive' : ''}${PRIMITIVE_NAME[first.type]}${t.timestampFormat ? capitalize(t.timestampFormat) : ''}`;
    } else {
      const boto = [...group.map((d) => d.botoName), ...group.map((d) => d.v3Name)].find((b) => b !== undefined && !used.has(b));
      n = boto ?? pathName(first);
    }
    n = unique(n);
    for (const d of group) finalName.set(d.key, n);
    primitiveShapes.set(n, first);
  }

  // 5. Assemble.
  const finalRef = (ref) => {
    const out = { shape: finalName.get(ref.target) };
    for (const k of Object.keys(ref).sort()) if (k !== 'target') out[k] = ref[k];
    return out;
  };
  const shapes = {};
  for (const d of drafts.values()) {
    const n = finalName.get(d.key);
    if (shapes[n] !== undefined) continue;
    const shape = { type: d.type };
    if (d.members !== undefined) shape.members = Object.fromEntries(Object.entries(d.members).map(([m, r]) => [m, finalRef(r)]));
    if (d.required !== undefined) shape.required = d.required;
    if (d.member !== undefined) shape.member = finalRef(d.member);
    if (d.keyRef !== undefined) shape.key = finalRef(d.keyRef);
    if (d.valueRef !== undefined) shape.value = finalRef(d.valueRef);
    Object.assign(shape, sortKeys(d.traits));
    if (shape.pattern !== undefined) {
      // AWS's patterns are Java regexes; one JavaScript cannot compile is left out, not half-applied.
      const p = jsPattern(shape.pattern);
      if (p === undefined) delete shape.pattern;
      else shape.pattern = p;
    }
    shapes[n] = shape;
  }
  const errorSet = new Set(errorNames);
  const operations = {};
  for (const [opName, op] of Object.entries(v2.operations)) {
    // The v2 minifier drops the default method (POST) and request URI (/).
    const o = { name: opName, http: { method: 'POST', requestUri: '/', ...op.http } };
    const refs = opRefs[opName];
    if (refs.input !== undefined) o.input = finalRef(refs.input);
    if (refs.output !== undefined) {
      o.output = finalRef(refs.output);
      const wrapper = traits?.operations?.[opName]?.resultWrapper;
      if (wrapper !== undefined && o.output.resultWrapper === undefined) o.output.resultWrapper = wrapper;
    }
    o.errors = (traits?.operations?.[opName]?.errors ?? []).filter((e) => errorSet.has(e));
    for (const k of OP_KEYS_KEPT) if (op[k] !== undefined) o[k] = op[k];
    const authtype = traits?.operations?.[opName]?.authtype;
    if (o.authtype === undefined && authtype !== undefined) o.authtype = authtype;
    operations[opName] = o;
  }
  const metadata = {
    name,
    apiVersion: md.apiVersion,
    endpointPrefix: md.endpointPrefix,
    signingName: md.signingName ?? md.endpointPrefix,
    serviceId: md.serviceId,
    serviceFullName: md.serviceFullName,
    protocol,
    protocols: md.protocols ?? [protocol],
  };
  if (md.targetPrefix !== undefined) metadata.targetPrefix = md.targetPrefix;
  if (md.jsonVersion !== undefined) metadata.jsonVersion = md.jsonVersion;
  if (md.xmlNamespace !== undefined) metadata.xmlNamespace = md.xmlNamespace;
  if (awsQueryCompatible) metadata.awsQueryCompatible = true;
  if (md.globalEndpoint !== undefined) metadata.globalEndpoint = md.globalEndpoint;
  if (md.checksumFormat !== undefined) metadata.checksumFormat = md.checksumFormat;

  let model = { metadata, operations: sortKeys(operations), shapes: sortKeys(shapes) };
  if (patch !== undefined) model = deepMerge(model, stripComments(patch));
  return model;
}

/**
 * Names shapes that botocore (older) does not know from the v3 client's schemas, by walking each
 * operation's v2 input/output and v3 schema in parallel (members by name, kinds must agree).
 */
function nameFromV3Schemas(v2, drafts, schemas) {
  const KIND = { structure: [3, 4], list: [1], map: [2] };
  const seen = new Set();
  const deref = (schema) => {
    if (Array.isArray(schema)) schema = schema[0];
    if (schema !== null && typeof schema === 'object' && typeof schema.ref === 'string') {
      const entry = schemas.vars.get(schema.ref);
      return entry === undefined ? undefined : entry;
    }
    return undefined;
  };
  const visit = (def, path, entry) => {
    const { key, shape } = resolveV2(v2, def, path);
    if (seen.has(key)) return;
    seen.add(key);
    const draft = drafts.get(key);
    const type = v2Type(shape);
    const kind = entry[0];
    const expected = KIND[type] ?? [0];
    if (!expected.includes(kind)) return;
    if (draft !== undefined && draft.v3Name === undefined) draft.v3Name = entry[2];
    for (const child of v2Children(key, shape)) {
      let childSchema;
      if (kind === 3 || kind === 4) {
        const i = (entry[4] ?? []).indexOf(child.name);
        if (i >= 0) childSchema = entry[5]?.[i];
      } else if (kind === 1) childSchema = entry[4];
      else if (kind === 2) childSchema = child.kind === 'key' ? entry[4] : entry[5];
      const childEntry = deref(childSchema);
      if (childEntry !== undefined) visit(child.def, child.path, childEntry);
    }
  };
  for (const [opName, op] of Object.entries(v2.operations)) {
    const entry = schemas.operations.get(opName);
    if (entry === undefined) continue;
    const input = deref(entry[4]);
    const output = deref(entry[5]);
    if (op.input && input !== undefined) visit(op.input, opPath(opName, 'input'), input);
    if (op.output && output !== undefined) visit(op.output, opPath(opName, 'output'), output);
  }
}

function addV3Enum(draft, v3Enums) {
  if (draft.type !== 'string' || draft.botoName === undefined) return;
  const values = v3Enums[draft.botoName];
  if (values === undefined) return;
  const merged = [...(draft.traits.enum ?? [])];
  for (const v of values) if (!merged.includes(v)) merged.push(v);
  draft.traits.enum = merged;
}

function stripComments(obj) {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => !k.startsWith('$')));
}

/** Deep merge: objects merge key by key, arrays and scalars replace, `null` deletes. */
export function deepMerge(base, patch) {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  if (base === null || typeof base !== 'object' || Array.isArray(base)) base = {};
  const out = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = deepMerge(base[k], v);
  }
  return out;
}
