// Extracts from botocore's full service models (python3-botocore / awscli v2 on the build machine)
// what the aws-sdk v2 models leave out: enum/min/max/pattern, botocore shape names, per-operation
// error lists, error shapes, and for SQS the query-era traits (queryName, resultWrapper, flattened).
// Writes tools/codegen/traits/<svc>.json, committed so that codegen runs without botocore.
// Usage: node tools/codegen/extract-traits.mjs [service ...]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codegenDir, findBotocoreModel, loadServices, loadV2Model, aws2Version } from './lib/sources.mjs';
import { opPath, resolveV2, v2Children, v2Type } from './lib/v2-walk.mjs';

const CONSTRAINTS = ['enum', 'min', 'max', 'pattern'];
const PRIMITIVES = new Set(['string', 'integer', 'long', 'float', 'double', 'boolean', 'timestamp', 'blob', 'bigdecimal', 'biginteger', 'byte', 'short', 'character']);
// Shape keys kept when copying botocore shapes (error shapes and what they reference).
const SHAPE_KEYS = ['type', 'required', 'members', 'member', 'key', 'value', 'flattened', 'error', 'exception', 'enum', 'min', 'max', 'pattern', 'timestampFormat', 'union', 'document', 'locationName', 'xmlNamespace'];
const REF_KEYS = ['shape', 'location', 'locationName', 'queryName', 'flattened', 'xmlAttribute', 'xmlNamespace', 'timestampFormat', 'jsonvalue', 'idempotencyToken', 'streaming', 'hostLabel'];

/** Returns the pattern when JavaScript can compile it with the `u` flag, else undefined. */
function jsPattern(pattern) {
  // Java's supplementary-range spelling; JavaScript's `u` mode wants code point escapes.
  pattern = pattern.replace(/\\u10000-\\u10FFFF/g, '\\u{10000}-\\u{10FFFF}');
  try {
    new RegExp(pattern, 'u');
    return pattern;
  } catch {
    return undefined;
  }
}

function pick(obj, keys) {
  const out = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

export function extractTraits(name, spec) {
  const v2 = loadV2Model(spec.model);
  const found = findBotocoreModel(spec.botocore, v2.metadata.apiVersion);
  if (found === undefined) return undefined;
  const bc = found.model;
  const botoProtocol = bc.metadata.protocol;
  // The v2 model is JSON but botocore still has the query-era model (SQS): keep the query traits.
  const queryEra = botoProtocol === 'query' && v2.metadata.protocol !== 'query';
  const shapes = {};
  const stats = { matched: 0, typeMismatch: 0, droppedPatterns: 0, conflicts: 0 };
  const seen = new Set();

  const record = (key, entry) => {
    const prev = shapes[key];
    if (prev === undefined) {
      shapes[key] = entry;
      return;
    }
    // The same v2 shape reached through two different botocore shapes: keep only what agrees.
    for (const k of [...CONSTRAINTS, 'name']) {
      if (JSON.stringify(prev[k]) !== JSON.stringify(entry[k])) {
        if (k !== 'name') delete prev[k];
        stats.conflicts++;
      }
    }
  };

  const visit = (def, path, botoRef) => {
    const { key, shape } = resolveV2(v2, def, path);
    const botoName = botoRef.shape;
    const boto = bc.shapes[botoName];
    if (boto === undefined) return;
    const type = v2Type(shape);
    if (type !== boto.type) {
      stats.typeMismatch++;
      return;
    }
    const pairKey = `${key}|${botoName}`;
    if (seen.has(pairKey)) return;
    seen.add(pairKey);
    stats.matched++;
    const entry = { name: botoName };
    for (const k of CONSTRAINTS) {
      if (boto[k] === undefined) continue;
      if (k === 'pattern') {
        const p = jsPattern(boto.pattern);
        if (p === undefined) stats.droppedPatterns++;
        else entry.pattern = p;
      } else entry[k] = boto[k];
    }
    if (queryEra) {
      const q = {};
      if (type === 'structure') {
        const members = {};
        for (const [m, ref] of Object.entries(boto.members ?? {})) {
          const t = {};
          if (ref.locationName !== undefined && ref.locationName !== m) t.queryName = ref.locationName;
          if (ref.flattened) t.flattened = true;
          if (Object.keys(t).length > 0) members[m] = t;
        }
        if (Object.keys(members).length > 0) q.members = members;
      } else if (type === 'list') {
        if (boto.member?.locationName) q.memberLocationName = boto.member.locationName;
        if (boto.flattened) q.flattened = true;
      } else if (type === 'map') {
        if (boto.key?.locationName) q.keyLocationName = boto.key.locationName;
        if (boto.value?.locationName) q.valueLocationName = boto.value.locationName;
        if (boto.flattened) q.flattened = true;
      }
      if (Object.keys(q).length > 0) entry.query = q;
    }
    if (PRIMITIVES.has(type) && Object.keys(entry).length === 1 && entry.query === undefined) {
      // An unconstrained primitive: the name alone is not worth recording.
      return;
    }
    record(key, entry);
    for (const child of v2Children(key, shape)) {
      let childRef;
      if (type === 'structure') childRef = boto.members?.[child.name];
      else if (type === 'list') childRef = boto.member;
      else if (child.kind === 'key') childRef = boto.key;
      else childRef = boto.value;
      if (childRef !== undefined) visit(child.def, child.path, childRef);
    }
  };

  const operations = {};
  for (const [opName, op] of Object.entries(v2.operations)) {
    const bop = bc.operations[opName];
    if (bop === undefined) continue;
    if (op.input && bop.input) visit(op.input, opPath(opName, 'input'), bop.input);
    if (op.output && bop.output) visit(op.output, opPath(opName, 'output'), bop.output);
    const entry = { errors: (bop.errors ?? []).map((e) => e.shape) };
    if (queryEra && bop.output?.resultWrapper) entry.resultWrapper = bop.output.resultWrapper;
    // Unsigned operations (STS AssumeRoleWithWebIdentity): the v2 models only keep this for S3.
    if (bop.authtype !== undefined) entry.authtype = bop.authtype;
    operations[opName] = entry;
  }

  // Error shapes (every exception shape, referenced or not) and the botocore shapes they reference.
  const errorShapes = {};
  const referenced = {};
  const addReferenced = (botoName) => {
    if (referenced[botoName] !== undefined || errorShapes[botoName] !== undefined) return;
    const s = bc.shapes[botoName];
    if (s === undefined) return;
    const copy = pick(s, SHAPE_KEYS);
    if (copy.pattern !== undefined && jsPattern(copy.pattern) === undefined) delete copy.pattern;
    referenced[botoName] = copy;
    normalizeRefs(copy, addReferenced);
  };
  for (const [botoName, s] of Object.entries(bc.shapes)) {
    if (!s.exception && s.error === undefined) continue;
    const copy = pick(s, SHAPE_KEYS);
    errorShapes[botoName] = copy;
  }
  for (const s of Object.values(errorShapes)) normalizeRefs(s, addReferenced);
  for (const n of Object.keys(errorShapes)) delete referenced[n];

  return {
    $comment: 'Generated by tools/codegen/extract-traits.mjs from botocore; input of codegen. Regenerate, do not edit.',
    source: {
      botocore: `${found.source} ${spec.botocore}/${bc.metadata.apiVersion}`,
      botocoreProtocol: botoProtocol,
      awsSdk: aws2Version(),
      stats,
    },
    ...(queryEra ? { query: { xmlNamespace: bc.metadata.xmlNamespace } } : {}),
    operations: sortObject(operations),
    shapes: sortObject(shapes),
    errorShapes: sortObject(errorShapes),
    referencedShapes: sortObject(referenced),
  };
}

function normalizeRefs(shape, onRef) {
  if (shape.members !== undefined) {
    const members = {};
    for (const [m, ref] of Object.entries(shape.members)) {
      members[m] = pick(ref, REF_KEYS);
      onRef(ref.shape);
    }
    shape.members = members;
  }
  for (const k of ['member', 'key', 'value']) {
    if (shape[k] !== undefined) {
      shape[k] = pick(shape[k], REF_KEYS);
      onRef(shape[k].shape);
    }
  }
}

function sortObject(obj) {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const services = loadServices();
  const wanted = process.argv.slice(2);
  mkdirSync(join(codegenDir, 'traits'), { recursive: true });
  for (const [name, spec] of Object.entries(services)) {
    if (wanted.length > 0 && !wanted.includes(name)) continue;
    const traits = extractTraits(name, spec);
    if (traits === undefined) {
      console.warn(`extract-traits: no botocore model for ${name}; skipped`);
      continue;
    }
    writeFileSync(join(codegenDir, 'traits', `${name}.json`), `${JSON.stringify(traits, null, 1)}\n`);
    const s = traits.source.stats;
    console.log(`${name}: ${Object.keys(traits.shapes).length} shapes with traits, ${Object.keys(traits.errorShapes).length} error shapes, matched ${s.matched}, type mismatches ${s.typeMismatch}, dropped patterns ${s.droppedPatterns}, conflicts ${s.conflicts}`);
  }
}
