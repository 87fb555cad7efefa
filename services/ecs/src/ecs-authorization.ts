// What an ECS call asks of IAM beyond `ecs:<Operation>` on `*`: handing roles to tasks passes them,
// so RegisterTaskDefinition (taskRoleArn, executionRoleArn), RunTask and StartTask (the task
// definition's roles and the overrides') ask iam:PassRole on each role, as AWS does.
// Known limitations: ECS actions are authorized on `*` (not on cluster, task definition or service
// ARNs); CreateService and UpdateService do not ask iam:PassRole.
import type { IamRequest } from '@atoll/core';
import { parseTaskDefinitionRef } from './task-definitions.js';
import type { Scope } from './ecs-store.js';

/** How the hook reads a task definition's roles (undefined: no such definition). */
export type TaskDefinitionRoles = (scope: Scope, family: string, revision?: number) => Promise<{ taskRoleArn?: string; executionRoleArn?: string } | undefined>;

const passing = (roles: Iterable<unknown>): IamRequest | undefined => {
  const also = [...new Set([...roles].filter((r): r is string => typeof r === 'string' && r !== ''))].map((resource) => ({ action: 'iam:PassRole', resource }));
  return also.length > 0 ? { also } : undefined;
};

export function ecsAuthorization(definitionRoles: TaskDefinitionRoles) {
  return (operation: string, input: Record<string, unknown>, scope: Scope): IamRequest | undefined | Promise<IamRequest | undefined> => {
    if (operation === 'RegisterTaskDefinition') return passing([input.taskRoleArn, input.executionRoleArn]);
    if (operation !== 'RunTask' && operation !== 'StartTask') return undefined;
    const overrides = (input.overrides ?? {}) as Record<string, unknown>;
    let parsed: { family: string; revision?: number };
    try {
      parsed = parseTaskDefinitionRef(String(input.taskDefinition ?? ''));
    } catch {
      return passing([overrides.taskRoleArn, overrides.executionRoleArn]);
    }
    return definitionRoles({ accountId: scope.accountId, region: scope.region }, parsed.family, parsed.revision).then((def) =>
      passing([overrides.taskRoleArn ?? def?.taskRoleArn, overrides.executionRoleArn ?? def?.executionRoleArn]),
    );
  };
}
