// Registers a service's tasks as Cloud Map instances (the service's `serviceRegistries`) and takes them
// out when they stop, through Cloud Map's public operations only (RegisterInstance,
// DeregisterInstance), so that the DNS server answers the service's name with its running tasks.
// Tasks run as processes on this machine: an instance's address is the binding's host IP
// (127.0.0.1) and its port the host port that the registry's container port is mapped to.
import type { CallContext, Logger, PlatformContext } from '@atoll/core';

export interface RegisteredInstance {
  /** `srv-…`, from the registry's ARN. */
  serviceId: string;
  /** The task id, as ECS names the instances it registers. */
  instanceId: string;
}

/** The Cloud Map service id of a registry ARN (`arn:aws:servicediscovery:<region>:<account>:service/srv-…`). */
export function cloudMapServiceId(registryArn: string): string | undefined {
  const m = /^arn:aws[a-z-]*:servicediscovery:[a-z0-9-]+:\d{12}:service\/(srv-[a-z0-9]+)$/.exec(registryArn);
  return m?.[1];
}

export class CloudMapRegistrar {
  readonly #platform: PlatformContext;
  readonly #logger: Logger;

  constructor(platform: PlatformContext) {
    this.#platform = platform;
    this.#logger = platform.logger;
  }

  async register(instance: RegisteredInstance, attributes: Record<string, string>, ctx: CallContext): Promise<void> {
    await this.#platform.call('servicediscovery', 'RegisterInstance', { ServiceId: instance.serviceId, InstanceId: instance.instanceId, Attributes: attributes }, ctx);
  }

  /** Deregisters every instance; failures are logged (the task is going away either way). */
  async deregister(instances: readonly RegisteredInstance[], ctx: CallContext): Promise<void> {
    await Promise.all(
      instances.map((instance) =>
        this.#platform
          .call('servicediscovery', 'DeregisterInstance', { ServiceId: instance.serviceId, InstanceId: instance.instanceId }, ctx)
          .catch((error: unknown) => this.#logger.warn({ err: error, instance }, 'ecs: DeregisterInstance failed')),
      ),
    );
  }
}
