// @atoll/dns: Route 53 (hosted zones, record sets, health checks) and Cloud Map (namespaces,
// services, instances) in one package, because both answer through the same authoritative DNS
// server, which the Route 53 provider runs. Cloud Map reaches Route 53 only through its public
// operations (`platform.call('route53', …)`), as in AWS, so the two could be split later.
import type { ServiceFactory } from '@atoll/core';
import { Route53Provider } from './route53-provider.js';

export const createRoute53Service: ServiceFactory = (platform) => new Route53Provider(platform);
export { Route53Provider } from './route53-provider.js';
export { DnsServer } from './dns-server.js';
import { ServiceDiscoveryProvider } from './servicediscovery-provider.js';

export const createServiceDiscoveryService: ServiceFactory = (platform) => new ServiceDiscoveryProvider(platform);
export { ServiceDiscoveryProvider } from './servicediscovery-provider.js';
