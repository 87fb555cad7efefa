// The DNS data plane as the Route 53 provider runs it: the zone index (fed by the store's signals),
// the answerer over it, and the UDP/TCP server. Every node runs its own, answering from the same
// store. The port is ATOLL_DNS_PORT (default 5353; 0 for a free one) on the edge's listen host;
// when the default port is taken (another platform on this machine), a free port is used instead
// and logged. ATOLL_DNS_FORWARD (`system`, or `host[:port]`) forwards names no zone serves.
import type { Logger } from '@atoll/core';
import { DnsAnswerer } from './dns-answer.js';
import { DnsServer } from './dns-server.js';
import type { Route53Store } from './route53-store.js';
import { ZoneIndex } from './zone-index.js';

export const DEFAULT_DNS_PORT = 5353;

export class DnsPlane {
  readonly index: ZoneIndex;
  readonly answerer: DnsAnswerer;
  server: DnsServer | undefined;

  constructor(
    store: Route53Store,
    private readonly options: { host: string; region: string; logger: Logger },
  ) {
    this.index = new ZoneIndex(store, options.logger);
    this.answerer = new DnsAnswerer(this.index, options.region);
  }

  async start(): Promise<void> {
    await this.index.start();
    const configured = process.env.ATOLL_DNS_PORT;
    const port = configured !== undefined && configured !== '' ? Number(configured) : DEFAULT_DNS_PORT;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`ATOLL_DNS_PORT must be a port number, not ${configured}`);
    const forward = process.env.ATOLL_DNS_FORWARD || undefined;
    const host = this.options.host === 'localhost' ? '127.0.0.1' : this.options.host;
    let server = new DnsServer(this.answerer, { host, port, forward, logger: this.options.logger });
    try {
      await server.listen();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || configured) throw error;
      server = new DnsServer(this.answerer, { host, port: 0, forward, logger: this.options.logger });
      await server.listen();
      this.options.logger.warn({ port: server.port }, `dns: port ${DEFAULT_DNS_PORT} is in use; serving DNS on ${server.port}`);
    }
    this.server = server;
    this.options.logger.info({ host, port: server.port }, 'dns: serving');
  }

  async close(): Promise<void> {
    this.index.stop();
    await this.server?.close();
  }
}
