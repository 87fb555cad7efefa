// Where an HTTP API's private integration (ConnectionType VPC_LINK) sends its requests: the
// IntegrationUri names an ALB or NLB listener (`arn:aws:elasticloadbalancing:…:listener/…`), read
// through elbv2's public DescribeListeners (its port and protocol; load balancers listen on this
// machine's edge host), or a Cloud Map service (`arn:aws:servicediscovery:…:service/srv-…`), whose
// instances' AWS_INSTANCE_IPV4 and AWS_INSTANCE_PORT are taken in turn. Answers are cached for
// ten seconds per URI.
import type { PlatformContext } from '@atoll/core';

const TTL_MS = 10_000;

export class VpcLinkTargets {
  readonly #cache = new Map<string, { bases: string[]; expires: number; next: number }>();

  constructor(private readonly platform: PlatformContext) {}

  /** The base URL (`http://host:port`) to send to; undefined when the URI names nothing that answers. */
  async base(uri: string, scope: { accountId: string; region: string; requestId: string }): Promise<string | undefined> {
    let entry = this.#cache.get(uri);
    if (!entry || entry.expires < Date.now()) {
      const bases = await this.#resolve(uri, scope).catch((error: unknown) => {
        this.platform.logger.warn({ err: error, uri }, 'VPC link target not resolved');
        return [] as string[];
      });
      entry = { bases, expires: Date.now() + TTL_MS, next: 0 };
      this.#cache.set(uri, entry);
    }
    if (entry.bases.length === 0) return undefined;
    return entry.bases[entry.next++ % entry.bases.length];
  }

  async #resolve(uri: string, scope: { accountId: string; region: string; requestId: string }): Promise<string[]> {
    const region = uri.split(':')[3] || scope.region;
    const ctx = { accountId: scope.accountId, region, requestId: scope.requestId };
    if (/^arn:aws[a-z-]*:elasticloadbalancing:[^:]*:\d{12}:listener\//.test(uri)) {
      const out = await this.platform.call<{ Listeners?: { Port?: number; Protocol?: string }[] }>('elbv2', 'DescribeListeners', { ListenerArns: [uri] }, ctx);
      const listener = out.Listeners?.[0];
      if (!listener?.Port) return [];
      const host = new URL(this.platform.endpoint()).hostname;
      return [`${listener.Protocol === 'HTTPS' ? 'https' : 'http'}://${host}:${listener.Port}`];
    }
    const service = /^arn:aws[a-z-]*:servicediscovery:[^:]*:\d{12}:service\/(.+)$/.exec(uri)?.[1];
    if (service) {
      const found = await this.platform.call<{ Service?: { Name?: string; NamespaceId?: string } }>('servicediscovery', 'GetService', { Id: service }, ctx);
      const namespace = await this.platform.call<{ Namespace?: { Name?: string } }>('servicediscovery', 'GetNamespace', { Id: found.Service?.NamespaceId }, ctx);
      const instances = await this.platform.call<{ Instances?: { Attributes?: Record<string, string> }[] }>(
        'servicediscovery',
        'DiscoverInstances',
        { NamespaceName: namespace.Namespace?.Name, ServiceName: found.Service?.Name },
        ctx,
      );
      return (instances.Instances ?? [])
        .map((i) => i.Attributes ?? {})
        .filter((a) => a.AWS_INSTANCE_IPV4)
        .map((a) => `http://${a.AWS_INSTANCE_IPV4}:${a.AWS_INSTANCE_PORT ?? '80'}`);
    }
    return [];
  }
}
