// Per-operation request metrics in Prometheus form (count, errors, latency histogram), plus the
// process metrics prom-client collects. Served on GET /metrics. prom-client is loaded after the
// listener opens (it costs tens of milliseconds to import); observations made before that are
// kept and replayed.
import type { Counter, Histogram, Registry } from 'prom-client';

type Observation = [service: string, operation: string, status: number, seconds: number, errorCode: string | undefined];

interface Instruments {
  registry: Registry;
  requests: Counter<'service' | 'operation' | 'status'>;
  errors: Counter<'service' | 'operation' | 'code'>;
  latency: Histogram<'service' | 'operation'>;
}

/** One operation's (or one status's) bound instruments: prom-client hashes the labels once, here. */
interface Bound {
  requests: { inc(): void };
  latency: { observe(value: number): void };
}

export class RequestMetrics {
  readonly #processMetrics: boolean;
  #instruments: Instruments | undefined;
  #loading: Promise<Instruments> | undefined;
  #pending: Observation[] = [];
  readonly #bound = new Map<string, Bound>();

  constructor(options: { processMetrics?: boolean } = {}) {
    this.#processMetrics = options.processMetrics ?? true;
  }

  /** Loads prom-client and replays what was recorded before. Idempotent. */
  load(): Promise<Instruments> {
    this.#loading ??= import('prom-client').then((prom) => {
      const registry = new prom.Registry();
      const instruments: Instruments = {
        registry,
        requests: new prom.Counter({
          name: 'atoll_requests_total',
          help: 'AWS API requests handled, by service, operation and HTTP status',
          labelNames: ['service', 'operation', 'status'],
          registers: [registry],
        }),
        errors: new prom.Counter({
          name: 'atoll_request_errors_total',
          help: 'AWS API requests that ended in an error, by error code',
          labelNames: ['service', 'operation', 'code'],
          registers: [registry],
        }),
        latency: new prom.Histogram({
          name: 'atoll_request_duration_seconds',
          help: 'Time from the first byte of the request to the response, by operation',
          labelNames: ['service', 'operation'],
          buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
          registers: [registry],
        }),
      };
      if (this.#processMetrics) prom.collectDefaultMetrics({ register: registry, prefix: 'atoll_' });
      this.#instruments = instruments;
      for (const o of this.#pending) this.record(...o);
      this.#pending = [];
      return instruments;
    });
    return this.#loading;
  }

  record(service: string, operation: string, status: number, seconds: number, errorCode?: string): void {
    const m = this.#instruments;
    if (!m) {
      if (this.#pending.length < 100_000) this.#pending.push([service, operation, status, seconds, errorCode]);
      return;
    }
    const key = `${service}\n${operation}\n${status}`;
    let bound = this.#bound.get(key);
    if (!bound) {
      bound = { requests: m.requests.labels(service, operation, String(status)), latency: m.latency.labels(service, operation) };
      this.#bound.set(key, bound);
    }
    bound.requests.inc();
    bound.latency.observe(seconds);
    if (errorCode) m.errors.inc({ service, operation, code: errorCode });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    const { registry } = await this.load();
    return { contentType: registry.contentType, body: await registry.metrics() };
  }
}
