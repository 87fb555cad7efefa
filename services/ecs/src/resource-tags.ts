// Tags of ECS resources (clusters, task definitions, services, tasks), found by ARN.
import { ClusterNotFoundException, InvalidParameterException, ResourceNotFoundException } from './ecs-errors.js';
import type { EcsStore, Scope } from './ecs-store.js';
import type { Tag, TaskDefinition } from './ecs-types.js';
import { parseTaskDefinitionRef } from './task-definitions.js';

/** Returns the tags of the resource an ARN names, after applying `change` (and saving) when given. */
export function changeTags(store: EcsStore, scope: Scope, arn: string, change?: (tags: Tag[]) => Tag[]): Tag[] {
  const match = /^arn:[^:]+:ecs:[^:]*:[^:]*:(cluster|task-definition|service|task|container-instance|capacity-provider|task-set)\/(.+)$/.exec(arn ?? '');
  if (!match) throw new InvalidParameterException('Invalid resource arn.');
  const type = match[1]!;
  const rest = match[2]!;
  const apply = <T extends { tags?: Tag[] }>(doc: T, save: () => void): Tag[] => {
    if (change) {
      doc.tags = change(doc.tags ?? []);
      save();
    }
    return doc.tags ?? [];
  };
  if (type === 'cluster') {
    const cluster = store.getCluster(scope, rest);
    if (!cluster || cluster.status === 'INACTIVE') throw new ClusterNotFoundException();
    return apply(cluster, () => store.putCluster(scope, cluster));
  }
  if (type === 'task-definition') {
    const parsed = parseTaskDefinitionRef(arn);
    const def = store.getTaskDefinition(scope, parsed.family, parsed.revision);
    if (!def) throw new ResourceNotFoundException();
    return apply(def as TaskDefinition & { tags?: Tag[] }, () => store.putTaskDefinition(scope, def));
  }
  if (type === 'service') {
    const parts = rest.split('/');
    const clusterName = parts.length > 1 ? parts[0]! : 'default';
    const stored = store.getService(scope, clusterName, parts[parts.length - 1]!);
    if (!stored || stored.service.status === 'INACTIVE') throw new ResourceNotFoundException();
    return apply(stored.service, () => store.putService(stored));
  }
  if (type === 'task') {
    const stored = store.getTask(scope, rest.slice(rest.lastIndexOf('/') + 1));
    if (!stored) throw new ResourceNotFoundException();
    return apply(stored.task, () => store.putTask(stored));
  }
  throw new ResourceNotFoundException();
}
