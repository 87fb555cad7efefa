import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateLifecyclePolicy, parseLifecyclePolicy } from './lifecycle-policy.js';

const DAY = 86_400_000;
const now = 100 * DAY;
const images = [
  { digest: 'prod-new', tags: ['prod-2'], pushedAt: now - 1 * DAY },
  { digest: 'prod-old', tags: ['prod-1'], pushedAt: now - 30 * DAY },
  { digest: 'dev', tags: ['dev-1'], pushedAt: now - 20 * DAY },
  { digest: 'loose', tags: [], pushedAt: now - 2 * DAY },
];

test('an image selected by a higher-priority rule is not considered by lower ones', () => {
  const rules = parseLifecyclePolicy(
    JSON.stringify({
      rules: [
        { rulePriority: 1, selection: { tagStatus: 'tagged', tagPrefixList: ['prod'], countType: 'imageCountMoreThan', countNumber: 5 }, action: { type: 'expire' } },
        { rulePriority: 2, selection: { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 10 }, action: { type: 'expire' } },
      ],
    }),
  );
  assert.deepEqual(evaluateLifecyclePolicy(rules, images, now).map((v) => [v.digest, v.rulePriority]), [['dev', 2]]);
});

test('imageCountMoreThan keeps the newest images; untagged selects images without tags', () => {
  const rules = parseLifecyclePolicy(
    JSON.stringify({
      rules: [
        { rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }, action: { type: 'expire' } },
        { rulePriority: 2, selection: { tagStatus: 'tagged', tagPatternList: ['prod-*'], countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } },
      ],
    }),
  );
  assert.deepEqual(evaluateLifecyclePolicy(rules, images, now).map((v) => v.digest), ['loose', 'prod-old']);
});

test("a rule with tagStatus 'any' must have the highest rulePriority", () => {
  const text = JSON.stringify({
    rules: [
      { rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } },
      { rulePriority: 2, selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } },
    ],
  });
  assert.throws(() => parseLifecyclePolicy(text), (e: Error & { code?: string }) => e.code === 'InvalidParameterException' && /highest value for rulePriority/.test(e.message));
});
