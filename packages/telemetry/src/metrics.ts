// Per-operation request metrics in Prometheus form (count, errors, latency histogram), plus the
// process metrics prom-client collects. Served on GET /metrics.
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export class RequestMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'service' | 'operation' | 'status'>;
  readonly #errors: Counter<'service' | 'operation' | 'code'>;
  readonly #latency: Histogram<'service' | 'operation'>;

  constructor(options: { processMetrics?: boolean } = {}) {
    this.#requests = new Counter({
      name: 'atoll_requests_total',
      help: 'AWS API requests handled, by service, operation and HTTP status',
      labelNames: ['service', 'operation', 'status'],
      registers: [this.registry],
    });
    this.#errors = new Counter({
      name: 'atoll_request_errors_total',
      help: 'AWS API requests that ended in an error, by error code',
      labelNames: ['service', 'operation', 'code'],
      registers: [this.registry],
    });
    this.#latency = new Histogram({
      name: 'atoll_request_duration_seconds',
      help: 'Time from the first byte of the request to the response, by operation',
      labelNames: ['service', 'operation'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'atoll_' });
  }

  record(service: string, operation: string, status: number, seconds: number, errorCode?: string): void {
    this.#requests.inc({ service, operation, status: String(status) });
    this.#latency.observe({ service, operation }, seconds);
    if (errorCode) this.#errors.inc({ service, operation, code: errorCode });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
