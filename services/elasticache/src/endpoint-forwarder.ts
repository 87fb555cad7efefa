// A replication group's stable endpoints (primary, reader, configuration): a loopback TCP listener on
// a fixed port that splices each connection to one of its current targets, as ElastiCache's DNS names
// resolve to the current primary or a replica. Retargeting (a failover) closes the connections open
// to a node that left, as a DNS change plus the old primary's demotion does for AWS clients.
// Known limitations: the node endpoints (CacheNodes[].Endpoint, NodeGroupMembers[].ReadEndpoint) are
// the engines' own ports; only the group endpoints pass through here. A request through a forwarder
// costs two extra loopback writes and two reads in this process: a CPU profile under
// redis-benchmark shows about two thirds of the busy time in the write syscall (TCP loopback delivery),
// not in JavaScript, so replacing pipe() with hand-written data handlers changed nothing measurable
// (bench/elasticache/forwarder-bench.mjs). On a loaded 2-core host the ratio to a direct connection
// is dominated by scheduling the extra process hop.
import { connect, createServer, type Server, type Socket } from 'node:net';

export class EndpointForwarder {
  readonly port: number;
  readonly #server: Server;
  #targets: number[] = [];
  #next = 0;
  readonly #flows = new Map<Socket, number>();

  private constructor(server: Server, port: number) {
    this.#server = server;
    this.port = port;
  }

  /** Listens on 127.0.0.1:`port` (0 picks a free one). */
  static listen(port: number): Promise<EndpointForwarder> {
    return new Promise((resolve, reject) => {
      let forwarder: EndpointForwarder | undefined;
      const server = createServer({ noDelay: true }, (client) => (forwarder ? forwarder.accept(client) : client.destroy()));
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
        const address = server.address();
        forwarder = new EndpointForwarder(server, typeof address === 'object' && address ? address.port : port);
        server.off('error', reject);
        server.on('error', () => undefined);
        resolve(forwarder);
      });
    });
  }

  get targets(): readonly number[] {
    return this.#targets;
  }

  /** Sets the node ports connections go to (round robin); connections to a removed node are closed. */
  setTargets(ports: readonly number[]): void {
    const keep = new Set(ports);
    this.#targets = [...ports];
    for (const [socket, target] of this.#flows) if (!keep.has(target)) socket.destroy();
  }

  /** Splices one client connection to the next target. */
  accept(client: Socket): void {
    if (this.#targets.length === 0) {
      client.destroy();
      return;
    }
    const target = this.#targets[this.#next++ % this.#targets.length]!;
    const upstream = connect({ host: '127.0.0.1', port: target, noDelay: true });
    this.#flows.set(client, target);
    const end = () => {
      this.#flows.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  close(): Promise<void> {
    for (const socket of this.#flows.keys()) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

