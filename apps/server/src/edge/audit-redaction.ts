// Which members of an operation's input and output the audit trail must not keep: those whose shape
// the model marks `sensitive` (secret values, passwords, secret access keys, session tokens), at any
// depth. CloudTrail writes such a value as HIDDEN_DUE_TO_SECURITY_REASONS. A plan is worked out once
// per shape and model; a shape with nothing sensitive under it has no plan, so most calls pay nothing.
import type { ServiceModel, ShapeRef } from '@atoll/aws-models';

export const HIDDEN = 'HIDDEN_DUE_TO_SECURITY_REASONS';

/**
 * `true`: hide the whole value. A structure's plan names the members to hide or walk into; a list's
 * or map's plan applies to each element (map values; keys are kept).
 */
export type RedactionPlan = true | { members: Map<string, RedactionPlan> } | { each: RedactionPlan };

const plans = new WeakMap<ServiceModel, Map<string, RedactionPlan | null>>();

/** The plan for a value of `ref`'s shape, or undefined when nothing in it is sensitive. */
export function redactionPlan(model: ServiceModel, ref: ShapeRef | undefined): RedactionPlan | undefined {
  if (!ref) return undefined;
  let byShape = plans.get(model);
  if (!byShape) plans.set(model, (byShape = new Map()));
  return planFor(model, ref.shape, byShape, new Set()) ?? undefined;
}

function planFor(model: ServiceModel, name: string, cache: Map<string, RedactionPlan | null>, walking: Set<string>): RedactionPlan | null {
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  const shape = model.shapes[name];
  if (!shape) return null;
  if (shape.sensitive) return true;
  // A recursive shape (nested filters, document-like types) is taken as having nothing sensitive
  // below the point where it repeats.
  if (walking.has(name)) return null;
  walking.add(name);
  let plan: RedactionPlan | null = null;
  if (shape.type === 'structure' && shape.members) {
    const members = new Map<string, RedactionPlan>();
    for (const [member, ref] of Object.entries(shape.members)) {
      const inner = planFor(model, ref.shape, cache, walking);
      if (inner) members.set(member, inner);
    }
    if (members.size > 0) plan = { members };
  } else if (shape.type === 'list' && shape.member) {
    const inner = planFor(model, shape.member.shape, cache, walking);
    if (inner) plan = { each: inner };
  } else if (shape.type === 'map' && shape.value) {
    const inner = planFor(model, shape.value.shape, cache, walking);
    if (inner) plan = { each: inner };
  }
  walking.delete(name);
  cache.set(name, plan);
  return plan;
}

/** The plan for one member or element of a value under `plan` (undefined: nothing to hide there). */
export function memberPlan(plan: RedactionPlan | undefined, key: string): RedactionPlan | undefined {
  if (plan === undefined || plan === true) return plan;
  return 'members' in plan ? plan.members.get(key) : plan.each;
}
