// The services the edge serves: each registered provider with its routing facts (from the eager
// catalog) and, loaded on first use, its full model and rest router.
import { catalog, loadModel, type ServiceCatalogEntry, type ServiceModel } from '@atoll/aws-models';
import { RestRouter } from '@atoll/aws-protocol';
import type { ServiceProvider } from '@atoll/core';

export interface ServedService {
  name: string;
  entry: ServiceCatalogEntry;
  provider: ServiceProvider;
}

export class ServiceDirectory {
  readonly #services = new Map<string, ServedService>();
  readonly #models = new Map<string, Promise<ServiceModel>>();
  readonly #routers = new Map<string, RestRouter>();

  add(provider: ServiceProvider): void {
    const entry = catalog.find((e) => e.name === provider.service);
    if (!entry) throw new Error(`service ${provider.service} has no generated model in @atoll/aws-models`);
    this.#services.set(provider.service, { name: provider.service, entry, provider });
  }

  get(name: string): ServedService | undefined {
    return this.#services.get(name);
  }

  all(): ServedService[] {
    return [...this.#services.values()];
  }

  model(name: string): Promise<ServiceModel> {
    let model = this.#models.get(name);
    if (!model) this.#models.set(name, (model = loadModel(name)));
    return model;
  }

  async router(name: string): Promise<RestRouter> {
    let router = this.#routers.get(name);
    if (!router) this.#routers.set(name, (router = new RestRouter(await this.model(name))));
    return router;
  }
}
