// The services the edge serves. Each is known at start-up by its routing facts (the eager catalog)
// and activated — module loaded, provider created and started — on first use or by the background
// warm-up right after the listener opens, whichever comes first. Start-up therefore costs only
// what the first request needs. A platform reset deactivates services (their providers closed, to
// be activated afresh by the next request) while it holds their activation back.
import { catalog, loadModel, type ServiceCatalogEntry, type ServiceModel } from '@atoll/aws-models';
import { RestRouter } from '@atoll/aws-protocol';
import type { ServiceFactory, ServiceProvider } from '@atoll/core';

export interface ServedService {
  name: string;
  entry: ServiceCatalogEntry;
  /** The provider, once activated. */
  provider?: ServiceProvider;
  /** Activates the service (once) and resolves with its provider. */
  activate(): Promise<ServiceProvider>;
  /** Closes the provider, if any; the next `activate` creates a new one. */
  deactivate(): Promise<void>;
}

export class ServiceDirectory {
  readonly #services = new Map<string, ServedService>();
  #all: readonly ServedService[] | undefined;
  readonly #models = new Map<string, Promise<ServiceModel>>();
  readonly #loadedModels = new Map<string, ServiceModel>();
  readonly #routers = new Map<string, RestRouter>();
  readonly #onActivated: (provider: ServiceProvider) => void;
  /** Holds on activations: while one covers a service, its activation waits (a reset empties its state). */
  readonly #holds = new Set<{ names: ReadonlySet<string>; released: Promise<void> }>();

  /** `onChanged` runs after a provider is activated or deactivated (the platform's routes follow). */
  constructor(onChanged: (provider: ServiceProvider) => void) {
    this.#onActivated = onChanged;
  }

  /**
   * Holds new activations of `names` back until the returned function is called, or `maxMs` has
   * passed (so that a provider's close calling a held service cannot wait forever). Services already
   * active keep serving.
   */
  hold(names: Iterable<string>, maxMs = 30_000): () => void {
    let release!: () => void;
    const hold = { names: new Set(names), released: new Promise<void>((resolve) => (release = resolve)) };
    this.#holds.add(hold);
    const timer = setTimeout(() => done(), maxMs);
    timer.unref();
    const done = () => {
      clearTimeout(timer);
      this.#holds.delete(hold);
      release();
    };
    return done;
  }

  #heldBack(name: string): Promise<void> | undefined {
    for (const hold of this.#holds) if (hold.names.has(name)) return hold.released;
    return undefined;
  }

  /** Registers a service; `create` loads and constructs its provider when first needed. */
  register(name: string, create: () => Promise<ServiceProvider>): void {
    const entry = catalog.find((e) => e.name === name);
    if (!entry) throw new Error(`service ${name} has no generated model in @atoll/aws-models`);
    let activation: Promise<ServiceProvider> | undefined;
    const service: ServedService = {
      name,
      entry,
      activate: () => {
        const held = activation ? undefined : this.#heldBack(name);
        if (held) return held.then(() => service.activate());
        activation ??= (async () => {
          const provider = await create();
          try {
            if (provider.service !== name) throw new Error(`factory for ${name} returned a provider for ${provider.service}`);
            await provider.start?.();
          } catch (error) {
            await Promise.resolve(provider.close?.()).catch(() => {});
            throw error;
          }
          service.provider = provider;
          this.#onActivated(provider);
          return provider;
        })();
        // A failed activation (its database unreachable, say) is tried again by the next request.
        const current = activation;
        current.catch(() => {
          if (activation === current) activation = undefined;
        });
        return current;
      },
      deactivate: async () => {
        const current = activation;
        if (!current) return;
        activation = undefined;
        const provider = await current.catch(() => undefined);
        if (!provider) return;
        if (service.provider === provider) service.provider = undefined;
        this.#onActivated(provider);
        await provider.close?.();
      },
    };
    this.#services.set(name, service);
    this.#all = undefined;
  }

  get(name: string): ServedService | undefined {
    return this.#services.get(name);
  }

  /** Every registered service, in registration order (one array, made again after a registration). */
  all(): readonly ServedService[] {
    return (this.#all ??= [...this.#services.values()]);
  }

  /** Providers activated so far, in activation order. */
  active(): ServiceProvider[] {
    return this.all().flatMap((s) => (s.provider ? [s.provider] : []));
  }

  /**
   * Activates every service, one after another, yielding to requests in between. A service that
   * fails to start does not keep the others from starting; the failures are returned.
   */
  async activateAll(): Promise<{ service: string; error: unknown }[]> {
    const failures: { service: string; error: unknown }[] = [];
    for (const service of this.all()) {
      try {
        await service.activate();
      } catch (error) {
        failures.push({ service: service.name, error });
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    return failures;
  }

  model(name: string): Promise<ServiceModel> {
    let model = this.#models.get(name);
    if (!model) {
      this.#models.set(name, (model = loadModel(name)));
      model.then((loaded) => this.#loadedModels.set(name, loaded), () => {});
    }
    return model;
  }

  /** The model, if it has finished loading (requests then need no turn of the event loop for it). */
  loadedModel(name: string): ServiceModel | undefined {
    return this.#loadedModels.get(name);
  }

  /** The router, if it was built already. */
  loadedRouter(name: string): RestRouter | undefined {
    return this.#routers.get(name);
  }

  async router(name: string): Promise<RestRouter> {
    let router = this.#routers.get(name);
    if (!router) this.#routers.set(name, (router = new RestRouter(await this.model(name))));
    return router;
  }
}

export type { ServiceFactory };
