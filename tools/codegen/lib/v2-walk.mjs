// Gives every shape of an aws-sdk v2 model a stable key, whether named (`#S1r`) or inline (its path
// from the nearest named shape or operation: `SendMessage:input.MessageAttributes`). Shared by
// extract-traits (which records traits per key) and codegen (which reads them back).

/** Resolves a v2 member or shape definition to its key and full shape definition. */
export function resolveV2(model, def, path) {
  if (def.shape !== undefined) {
    const shape = model.shapes[def.shape];
    if (shape === undefined) throw new Error(`unknown v2 shape ${def.shape} at ${path}`);
    return { key: `#${def.shape}`, shape, named: def.shape };
  }
  return { key: path, shape: def, named: undefined };
}

/** The type of a v2 shape definition (`{}` is a string). */
export function v2Type(shape) {
  return shape.type ?? 'string';
}

/** Child definitions of a resolved shape, each with the path its inline shape would get. */
export function v2Children(key, shape) {
  const type = v2Type(shape);
  const out = [];
  if (type === 'structure') {
    for (const [name, def] of Object.entries(shape.members ?? {})) out.push({ kind: 'member', name, def, path: `${key}.${name}` });
  } else if (type === 'list') {
    out.push({ kind: 'member', name: undefined, def: shape.member ?? {}, path: `${key}.member` });
  } else if (type === 'map') {
    out.push({ kind: 'key', name: undefined, def: shape.key ?? {}, path: `${key}.key` });
    out.push({ kind: 'value', name: undefined, def: shape.value ?? {}, path: `${key}.value` });
  }
  return out;
}

export const opPath = (op, io) => `${op}:${io}`;
