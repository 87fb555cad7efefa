// Custom domain names on the data plane: the Host header (port dropped, any case) names a domain,
// and the domain's mapping with the longest key that begins the path names the API and stage
// (REST APIs' base path mappings and HTTP APIs' API mappings are the same records). The domains
// of every account are held in memory and reloaded when the store signals a change, so the edge's
// synchronous host match (`HttpRoute.host`) can ask them.
import type { ApiGatewayStore } from '../apigateway-store.js';
import type { MappingDoc } from '../domains/domain-operations.js';

interface Mapping {
  key: string[];
  apiId: string;
  stage: string;
}

interface Domain {
  accountId: string;
  region: string;
  mappings: Mapping[];
}

export interface DomainTarget {
  apiId: string;
  /** Empty when the mapping has no stage: the next path segment names it. */
  stage: string;
  /** The path after the mapping's key (`/` at least). */
  path: string;
}

/** A host "pattern" that is the set of custom domain names (the edge only calls `test`). */
class HostSet extends RegExp {
  #has: (host: string) => boolean;
  constructor(has: (host: string) => boolean) {
    super('(?!)');
    this.#has = has;
  }
  override test(host: string): boolean {
    return this.#has(host);
  }
}

export function hostName(host: string): string {
  return host.replace(/:\d+$/, '').replace(/\.$/, '').toLowerCase();
}

export class CustomDomains {
  #byHost = new Map<string, Domain>();
  #loads = 0;
  readonly hosts: RegExp = new HostSet((host) => this.#byHost.size > 0 && this.#byHost.has(hostName(host)));

  constructor(private readonly store: ApiGatewayStore) {}

  /** Reads every domain and mapping again; a slower earlier reload never overwrites a later one. */
  async reload(): Promise<void> {
    const mine = ++this.#loads;
    const rows = await this.store.loadDomains();
    if (mine !== this.#loads) return;
    const next = new Map<string, Domain>();
    for (const row of rows) if (row.kind === 'domainname') next.set(`${row.accountId}/${row.region}/${row.id}`, { accountId: row.accountId, region: row.region, mappings: [] });
    for (const row of rows) {
      if (row.kind !== 'apimapping') continue;
      const doc = row.doc as unknown as MappingDoc;
      next.get(`${row.accountId}/${row.region}/${row.apiId}`)?.mappings.push({ key: doc.ApiMappingKey === '' ? [] : doc.ApiMappingKey.split('/'), apiId: doc.ApiId, stage: doc.Stage });
    }
    const byHost = new Map<string, Domain>();
    for (const [key, domain] of next) {
      domain.mappings.sort((a, b) => b.key.length - a.key.length);
      byHost.set(key.split('/').slice(2).join('/'), domain);
    }
    this.#byHost = byHost;
  }

  has(host: string): boolean {
    return this.#byHost.size > 0 && this.#byHost.has(hostName(host));
  }

  /** The API, stage and remaining path a request on a custom domain goes to; undefined when no mapping takes the path. */
  resolve(host: string, rawPath: string): DomainTarget | undefined {
    const domain = this.#byHost.get(hostName(host));
    if (!domain) return undefined;
    const parts = rawPath.split('/').filter((p) => p !== '');
    for (const m of domain.mappings) {
      if (m.key.length > parts.length || m.key.some((k, i) => k !== parts[i])) continue;
      const rest = parts.slice(m.key.length);
      const trailing = rawPath.endsWith('/') && rest.length > 0 ? '/' : '';
      return { apiId: m.apiId, stage: m.stage, path: `/${rest.join('/')}${trailing}` };
    }
    return undefined;
  }
}
