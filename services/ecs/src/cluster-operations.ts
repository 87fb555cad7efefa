// ECS clusters: create (idempotent), describe with live counts, list, update settings and capacity
// providers, delete (INACTIVE, refused while services or tasks are active), and resolving the
// `cluster` parameter of every other operation (name or ARN; `default` when absent).
import { formatArn, type RequestContext } from '@atoll/core';
import {
  ClusterContainsServicesException,
  ClusterContainsTasksException,
  ClusterNotFoundException,
  InvalidParameterException,
} from './ecs-errors.js';
import { page, toWire, withTags } from './ecs-output.js';
import type { EcsStore, Scope } from './ecs-store.js';
import type { Cluster, Tag } from './ecs-types.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Input = Record<string, any>;

const CLUSTER_NAME = /^[a-zA-Z0-9_-]{1,255}$/;
const PENDING = new Set(['PROVISIONING', 'PENDING', 'ACTIVATING']);
const CAPACITY_PROVIDERS = new Set(['FARGATE', 'FARGATE_SPOT']);

export class ClusterOperations {
  readonly #store: EcsStore;

  constructor(store: EcsStore) {
    this.#store = store;
  }

  static nameOf(ref: string | undefined): string {
    if (!ref) return 'default';
    if (ref.startsWith('arn:')) {
      const idx = ref.indexOf(':cluster/');
      if (idx < 0) throw new InvalidParameterException('Invalid cluster arn.');
      return ref.slice(idx + ':cluster/'.length);
    }
    return ref;
  }

  /** The ACTIVE cluster named by `ref`; with `create`, the default cluster is created on first use. */
  async resolve(scope: Scope, ref: string | undefined, create = false): Promise<Cluster> {
    const name = ClusterOperations.nameOf(ref);
    let cluster = await this.#store.getCluster(scope, name);
    if ((!cluster || cluster.status === 'INACTIVE') && create && name === 'default' && !ref) {
      cluster = (await this.#store.ensureCluster(scope, this.#newCluster(scope, name, [], undefined))).cluster;
    }
    if (!cluster) throw new ClusterNotFoundException();
    if (cluster.status === 'INACTIVE') throw new ClusterNotFoundException('The referenced cluster was inactive.');
    return cluster;
  }

  #newCluster(scope: Scope, name: string, tags: Tag[], settings: unknown): Cluster {
    return {
      clusterArn: formatArn({ service: 'ecs', region: scope.region, accountId: scope.accountId, resource: `cluster/${name}` }),
      clusterName: name,
      status: 'ACTIVE',
      tags,
      settings: (settings as Cluster['settings']) ?? [{ name: 'containerInsights', value: 'disabled' }],
      capacityProviders: [],
      defaultCapacityProviderStrategy: [],
    };
  }

  async view(scope: Scope, cluster: Cluster, include?: string[]): Promise<Cluster> {
    const active = cluster.status === 'ACTIVE';
    const [tasks, services] = active
      ? await Promise.all([this.#store.listTasks(scope, cluster.clusterName), this.#store.listServices(scope, cluster.clusterName)])
      : [[], []];
    return toWire(
      withTags(
        {
          ...cluster,
          registeredContainerInstancesCount: 0,
          runningTasksCount: tasks.filter((t) => t.task.lastStatus === 'RUNNING').length,
          pendingTasksCount: tasks.filter((t) => PENDING.has(t.task.lastStatus)).length,
          activeServicesCount: services.filter((s) => s.service.status === 'ACTIVE').length,
          statistics: [],
        },
        include,
      ),
    );
  }

  /** Idempotent: an ACTIVE cluster of that name is returned as it is. */
  async create(input: Input, ctx: RequestContext) {
    const name = input.clusterName ?? 'default';
    if (!CLUSTER_NAME.test(name)) {
      throw new InvalidParameterException('Cluster name must be 1-255 characters: letters, numbers, hyphens and underscores.');
    }
    const fresh = this.#newCluster(ctx, name, input.tags ?? [], input.settings);
    if (input.capacityProviders) this.#setCapacityProviders(fresh, input.capacityProviders, input.defaultCapacityProviderStrategy);
    if (input.configuration) fresh.configuration = input.configuration;
    const { cluster } = await this.#store.ensureCluster(ctx, fresh);
    return { cluster: await this.view(ctx, cluster, ['TAGS']) };
  }

  async describe(input: Input, ctx: RequestContext) {
    const refs: string[] = input.clusters?.length ? input.clusters : ['default'];
    const clusters: Cluster[] = [];
    const failures: { arn: string; reason: string }[] = [];
    for (const ref of refs) {
      const cluster = await this.#store.getCluster(ctx, ClusterOperations.nameOf(ref));
      if (cluster) clusters.push(await this.view(ctx, cluster, input.include));
      else {
        const arn = ref.startsWith('arn:') ? ref : formatArn({ service: 'ecs', region: ctx.region, accountId: ctx.accountId, resource: `cluster/${ref}` });
        failures.push({ arn, reason: 'MISSING' });
      }
    }
    return { clusters, failures };
  }

  async list(input: Input, ctx: RequestContext) {
    const arns = (await this.#store.listClusters(ctx)).filter((c) => c.status === 'ACTIVE').map((c) => c.clusterArn);
    const { items, nextToken } = page(arns, input.nextToken, input.maxResults);
    return { clusterArns: items, nextToken };
  }

  /** UpdateCluster and UpdateClusterSettings: settings (containerInsights) and configuration are recorded. */
  async update(input: Input, ctx: RequestContext) {
    const resolved = await this.resolve(ctx, input.cluster);
    const cluster = await this.#store.updateCluster(ctx, resolved.clusterName, (cluster) => {
      if (cluster.status !== 'ACTIVE') throw new ClusterNotFoundException('The referenced cluster was inactive.');
      if (input.settings) {
        const settings = [...(cluster.settings ?? [])];
        for (const s of input.settings as { name: string; value: string }[]) {
          const at = settings.findIndex((x) => x.name === s.name);
          if (at >= 0) settings[at] = s;
          else settings.push(s);
        }
        cluster.settings = settings;
      }
      if (input.configuration) cluster.configuration = input.configuration;
      if (input.serviceConnectDefaults) cluster.serviceConnectDefaults = input.serviceConnectDefaults;
    });
    if (!cluster) throw new ClusterNotFoundException();
    return { cluster: await this.view(ctx, cluster, ['TAGS']) };
  }

  async putCapacityProviders(input: Input, ctx: RequestContext) {
    const resolved = await this.resolve(ctx, input.cluster);
    const cluster = await this.#store.updateCluster(ctx, resolved.clusterName, (cluster) => {
      if (cluster.status !== 'ACTIVE') throw new ClusterNotFoundException('The referenced cluster was inactive.');
      this.#setCapacityProviders(cluster, input.capacityProviders ?? [], input.defaultCapacityProviderStrategy ?? []);
    });
    if (!cluster) throw new ClusterNotFoundException();
    return { cluster: await this.view(ctx, cluster, ['TAGS']) };
  }

  /** Only the Fargate capacity providers exist (tasks run locally whichever is chosen). */
  #setCapacityProviders(cluster: Cluster, providers: string[], strategy: { capacityProvider: string }[] = []): void {
    for (const name of providers) {
      if (!CAPACITY_PROVIDERS.has(name)) throw new InvalidParameterException(`The specified capacity provider ${name} does not exist.`);
    }
    for (const item of strategy) {
      if (!providers.includes(item.capacityProvider)) {
        throw new InvalidParameterException(`The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster.`);
      }
    }
    cluster.capacityProviders = providers;
    cluster.defaultCapacityProviderStrategy = strategy;
  }

  /** Refused while a service or a task is still in the cluster (checked in the same transaction). */
  async delete(input: Input, ctx: RequestContext) {
    const resolved = await this.resolve(ctx, input.cluster);
    const cluster = await this.#store.deactivateCluster(ctx, resolved.clusterName);
    if (cluster === 'services') throw new ClusterContainsServicesException();
    if (cluster === 'tasks') throw new ClusterContainsTasksException();
    if (!cluster) throw new ClusterNotFoundException();
    return { cluster: await this.view(ctx, cluster, ['TAGS']) };
  }
}
