// Tags of ECS resources (clusters, task definitions, services, tasks), found by ARN.
import { ClusterNotFoundException, InvalidParameterException, ResourceNotFoundException } from './ecs-errors.js';
import type { EcsStore, Scope } from './ecs-store.js';
import type { Tag, TaskDefinition } from './ecs-types.js';
import { parseTaskDefinitionRef } from './task-definitions.js';

/**
 * Returns the tags of the resource an ARN names, after applying `change` when given (in one
 * transaction with the read, so that concurrent tag changes on several nodes are all kept).
 */
export async function changeTags(store: EcsStore, scope: Scope, arn: string, change?: (tags: Tag[]) => Tag[]): Promise<Tag[]> {
  const match = /^arn:[^:]+:ecs:[^:]*:[^:]*:(cluster|task-definition|service|task|container-instance|capacity-provider|task-set)\/(.+)$/.exec(arn ?? '');
  if (!match) throw new InvalidParameterException('Invalid resource arn.');
  const type = match[1]!;
  const rest = match[2]!;
  const apply = (doc: { tags?: Tag[] }): boolean => {
    if (!change) return false;
    doc.tags = change(doc.tags ?? []);
    return true;
  };
  if (type === 'cluster') {
    const inactive = (c: { status: string }) => c.status === 'INACTIVE';
    const cluster = change
      ? await store.updateCluster(scope, rest, (c) => {
          if (inactive(c)) throw new ClusterNotFoundException();
          apply(c);
        })
      : await store.getCluster(scope, rest);
    if (!cluster || inactive(cluster)) throw new ClusterNotFoundException();
    return cluster.tags ?? [];
  }
  if (type === 'task-definition') {
    const parsed = parseTaskDefinitionRef(arn);
    const def = change
      ? await store.updateTaskDefinition(scope, parsed.family, parsed.revision, (d) => apply(d as TaskDefinition & { tags?: Tag[] }))
      : await store.getTaskDefinition(scope, parsed.family, parsed.revision);
    if (!def) throw new ResourceNotFoundException();
    return (def as TaskDefinition & { tags?: Tag[] }).tags ?? [];
  }
  if (type === 'service') {
    const parts = rest.split('/');
    const clusterName = parts.length > 1 ? parts[0]! : 'default';
    const name = parts[parts.length - 1]!;
    const stored = change
      ? await store.updateService(scope, clusterName, name, (s) => {
          if (s.service.status === 'INACTIVE') throw new ResourceNotFoundException();
          apply(s.service);
        })
      : await store.getService(scope, clusterName, name);
    if (!stored || stored.service.status === 'INACTIVE') throw new ResourceNotFoundException();
    return stored.service.tags ?? [];
  }
  if (type === 'task') {
    const id = rest.slice(rest.lastIndexOf('/') + 1);
    const stored = change ? await store.updateTask(scope, id, (t) => apply(t.task)) : await store.getTask(scope, id);
    if (!stored) throw new ResourceNotFoundException();
    return stored.task.tags ?? [];
  }
  throw new ResourceNotFoundException();
}
