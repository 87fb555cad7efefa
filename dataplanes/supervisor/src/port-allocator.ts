// Host ports for task port mappings: finds free ports on the loopback interface and remembers
// the ones it handed out, so that two tasks starting at once never get the same port.
import { createServer } from 'node:net';

export type PortProtocol = 'tcp' | 'udp';

export interface PortRequest {
  containerPort: number;
  /** A fixed host port; 0 or absent asks for a free one. */
  hostPort?: number;
  protocol?: PortProtocol;
}

export interface PortBinding {
  containerPort: number;
  hostPort: number;
  protocol: PortProtocol;
  bindIP: string;
}

/** Thrown when a fixed host port is already taken (ECS reports it as the `RESOURCE:PORTS` failure). */
export class PortInUseError extends Error {
  readonly port: number;
  constructor(port: number) {
    super(`host port ${port} is already in use`);
    this.name = 'PortInUseError';
    this.port = port;
  }
}

/**
 * Allocates host ports. A port stays reserved until `release` is called, even when the process
 * that got it has not bound it yet. Free ports are found by binding port 0 on 127.0.0.1, so a port
 * can still be taken by an unrelated program between allocation and the task's bind; the task then
 * fails to listen, which the supervisor reports as an exit like any other.
 */
export class PortAllocator {
  readonly #reserved = new Set<number>();
  readonly #host: string;

  constructor(host = '127.0.0.1') {
    this.#host = host;
  }

  async allocate(requests: readonly PortRequest[]): Promise<PortBinding[]> {
    const bindings: PortBinding[] = [];
    try {
      for (const request of requests) {
        const protocol = request.protocol ?? 'tcp';
        let hostPort: number;
        if (request.hostPort && request.hostPort > 0) {
          if (this.#reserved.has(request.hostPort) || !(await this.#isFree(request.hostPort))) {
            throw new PortInUseError(request.hostPort);
          }
          hostPort = request.hostPort;
        } else {
          hostPort = await this.#freePort();
        }
        this.#reserved.add(hostPort);
        bindings.push({ containerPort: request.containerPort, hostPort, protocol, bindIP: this.#host });
      }
    } catch (error) {
      this.release(bindings);
      throw error;
    }
    return bindings;
  }

  release(bindings: readonly PortBinding[]): void {
    for (const binding of bindings) this.#reserved.delete(binding.hostPort);
  }

  /** Marks ports as taken (used when re-adopting state). */
  reserve(ports: readonly number[]): void {
    for (const port of ports) this.#reserved.add(port);
  }

  async #freePort(): Promise<number> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = await listenOnce(this.#host, 0);
      if (port !== undefined && !this.#reserved.has(port)) return port;
    }
    throw new Error('no free host port found');
  }

  async #isFree(port: number): Promise<boolean> {
    return (await listenOnce(this.#host, port)) !== undefined;
  }
}

function listenOnce(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * The environment that tells a process where its mapped ports are: `ATOLL_PORT_<containerPort>=<hostPort>`
 * for every binding, and `PORT=<hostPort>` of the first binding. A process cannot bind its
 * container port itself (tasks share the host's network), so it must listen on the host port.
 */
export function portEnvironment(bindings: readonly PortBinding[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const binding of bindings) env[`ATOLL_PORT_${binding.containerPort}`] = String(binding.hostPort);
  if (bindings.length > 0) env.PORT = String(bindings[0]!.hostPort);
  return env;
}
