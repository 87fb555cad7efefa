// ECR lifecycle policies: validation of the policy text and the evaluation rules of the ECR User
// Guide ("How lifecycle policies work"): rules apply by ascending rulePriority; an image whose tags
// a rule selects is never considered by a lower-priority rule; an image is expired by at most one
// rule; `any` must be the rule with the highest rulePriority. tagPrefixList and tagPatternList
// select images having a tag for every prefix (pattern) listed.
//
// Known limitations: only `expire` actions (no `transition` to archive); countUnit is `days` only.
import { invalidParameter } from './ecr-errors.js';

export interface LifecycleRule {
  rulePriority: number;
  description?: string;
  selection: {
    tagStatus: 'tagged' | 'untagged' | 'any';
    tagPrefixList?: string[];
    tagPatternList?: string[];
    countType: 'imageCountMoreThan' | 'sinceImagePushed';
    countUnit?: 'days';
    countNumber: number;
  };
  action: { type: 'expire' };
}

export interface LifecycleImage {
  digest: string;
  tags: string[];
  pushedAt: number;
}

export interface LifecycleVerdict {
  digest: string;
  tags: string[];
  pushedAt: number;
  rulePriority: number;
}

function fail(reason: string): never {
  throw invalidParameter(`Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: ${reason}'`);
}

/** Parses and validates a policy text; throws InvalidParameterException with the reason. */
export function parseLifecyclePolicy(text: string): LifecycleRule[] {
  let doc: { rules?: unknown };
  try {
    doc = JSON.parse(text);
  } catch {
    fail('Could not map policyString into LifecyclePolicy.');
  }
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.rules) || doc.rules.length === 0) fail('object has missing required properties (["rules"])');
  const rules = doc.rules as LifecycleRule[];
  const priorities = new Set<number>();
  rules.forEach((rule) => {
    if (!rule || typeof rule !== 'object') fail('instance type is not an object');
    if (!Number.isInteger(rule.rulePriority) || rule.rulePriority < 1) fail('rulePriority must be a positive integer');
    if (priorities.has(rule.rulePriority)) fail(`rulePriority ${rule.rulePriority} is used more than once`);
    priorities.add(rule.rulePriority);
    const s = rule.selection;
    if (!s || typeof s !== 'object') fail('object has missing required properties (["selection"])');
    if (!['tagged', 'untagged', 'any'].includes(s.tagStatus)) fail(`instance value ("${String(s.tagStatus)}") not found in enum (possible values: ["tagged","untagged","any"])`);
    if (!['imageCountMoreThan', 'sinceImagePushed'].includes(s.countType)) {
      fail(`instance value ("${String(s.countType)}") not found in enum (possible values: ["imageCountMoreThan","sinceImagePushed"])`);
    }
    if (!Number.isInteger(s.countNumber) || s.countNumber < 1) fail('countNumber must be a positive integer');
    if (s.countType === 'sinceImagePushed' && s.countUnit !== 'days') fail('countUnit must be "days" when countType is sinceImagePushed');
    if (s.countType === 'imageCountMoreThan' && s.countUnit !== undefined) fail('countUnit must not be set when countType is imageCountMoreThan');
    const lists = [s.tagPrefixList, s.tagPatternList].filter((l) => l !== undefined);
    if (s.tagStatus === 'tagged' && lists.length !== 1) fail('tagPrefixList or tagPatternList (one of them) is required when tagStatus is tagged');
    if (s.tagStatus !== 'tagged' && lists.length > 0) fail('tagPrefixList and tagPatternList are only allowed when tagStatus is tagged');
    for (const list of lists) if (!Array.isArray(list) || list.length === 0 || list.some((t) => typeof t !== 'string' || t === '')) fail('tag lists must hold non-empty strings');
    if (!rule.action || rule.action.type !== 'expire') fail('action type must be "expire"');
  });
  const any = rules.filter((r) => r.selection.tagStatus === 'any');
  const highest = Math.max(...rules.map((r) => r.rulePriority));
  if (any.length > 1 || (any.length === 1 && any[0]!.rulePriority !== highest)) fail("The rule with tagStatus 'any' must have the highest value for rulePriority");
  return rules;
}

function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

function selects(rule: LifecycleRule, image: LifecycleImage): boolean {
  const s = rule.selection;
  if (s.tagStatus === 'untagged') return image.tags.length === 0;
  if (s.tagStatus === 'any') return true;
  if (image.tags.length === 0) return false;
  if (s.tagPrefixList) return s.tagPrefixList.every((prefix) => image.tags.some((t) => t.startsWith(prefix)));
  return s.tagPatternList!.every((pattern) => {
    const re = wildcard(pattern);
    return image.tags.some((t) => re.test(t));
  });
}

/** The images the policy expires now, each with the rule that expires it. */
export function evaluateLifecyclePolicy(rules: readonly LifecycleRule[], images: readonly LifecycleImage[], now = Date.now()): LifecycleVerdict[] {
  const considered = new Set<string>();
  const verdicts: LifecycleVerdict[] = [];
  for (const rule of [...rules].sort((a, b) => a.rulePriority - b.rulePriority)) {
    const selected = images.filter((i) => !considered.has(i.digest) && selects(rule, i)).sort((a, b) => b.pushedAt - a.pushedAt || a.digest.localeCompare(b.digest));
    for (const image of selected) considered.add(image.digest);
    const { countType, countNumber } = rule.selection;
    const expired =
      countType === 'imageCountMoreThan' ? selected.slice(countNumber) : selected.filter((i) => now - i.pushedAt > countNumber * 86_400_000);
    for (const image of expired) verdicts.push({ digest: image.digest, tags: image.tags, pushedAt: image.pushedAt, rulePriority: rule.rulePriority });
  }
  return verdicts;
}
