// Per-operation request metrics in Prometheus form (count, errors, latency histogram), plus the
// process metrics prom-client collects. Served on GET /metrics.
// The request metrics are plain counters kept here and written in Prometheus' text format on a
// scrape: prom-client hashes an observation's labels on every call, even through bound children,
// and that cost ~5 µs of every request. prom-client is loaded after the listener opens (it costs
// tens of milliseconds to import) and serves the process metrics only.
// Limitation: no exemplars, and the metric names and buckets are fixed here.
import type { Registry } from 'prom-client';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const REQUESTS = 'atoll_requests_total';
const ERRORS = 'atoll_request_errors_total';
const LATENCY = 'atoll_request_duration_seconds';

/** One operation's counters: requests by status, and its latency histogram. */
interface OperationSeries {
  service: string;
  operation: string;
  statuses: Map<number, number>;
  /** Observations at or below each bucket's bound (not cumulative until rendered). */
  buckets: Float64Array;
  count: number;
  sum: number;
  errors: Map<string, number>;
}

/** A label value as Prometheus' text format writes it. */
function labelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : value;
}

/** A number as prom-client writes it. */
function sampleValue(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return String(value);
}

export class RequestMetrics {
  readonly #processMetrics: boolean;
  #registry: Registry | undefined;
  #loading: Promise<Registry> | undefined;
  /** By `service\noperation`. */
  readonly #series = new Map<string, OperationSeries>();

  constructor(options: { processMetrics?: boolean } = {}) {
    this.#processMetrics = options.processMetrics ?? true;
  }

  /** Loads prom-client (for the process metrics). Idempotent. */
  load(): Promise<Registry> {
    this.#loading ??= import('prom-client').then((prom) => {
      const registry = new prom.Registry();
      if (this.#processMetrics) prom.collectDefaultMetrics({ register: registry, prefix: 'atoll_' });
      this.#registry = registry;
      return registry;
    });
    return this.#loading;
  }

  record(service: string, operation: string, status: number, seconds: number, errorCode?: string): void {
    const key = `${service}\n${operation}`;
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { service, operation, statuses: new Map(), buckets: new Float64Array(BUCKETS.length), count: 0, sum: 0, errors: new Map() };
      this.#series.set(key, series);
    }
    series.statuses.set(status, (series.statuses.get(status) ?? 0) + 1);
    if (Number.isFinite(seconds)) {
      series.count++;
      series.sum += seconds;
      for (let i = 0; i < BUCKETS.length; i++) {
        if (seconds <= BUCKETS[i]!) {
          series.buckets[i]!++;
          break;
        }
      }
    }
    if (errorCode) series.errors.set(errorCode, (series.errors.get(errorCode) ?? 0) + 1);
  }

  /** The request metrics in Prometheus' text format (version 0.0.4), as prom-client writes them. */
  renderRequests(): string {
    const requests = [`# HELP ${REQUESTS} AWS API requests handled, by service, operation and HTTP status`, `# TYPE ${REQUESTS} counter`];
    const errors = [`# HELP ${ERRORS} AWS API requests that ended in an error, by error code`, `# TYPE ${ERRORS} counter`];
    const latency = [`# HELP ${LATENCY} Time from the first byte of the request to the response, by operation`, `# TYPE ${LATENCY} histogram`];
    for (const s of this.#series.values()) {
      const labels = `service="${labelValue(s.service)}",operation="${labelValue(s.operation)}"`;
      for (const [status, n] of s.statuses) requests.push(`${REQUESTS}{${labels},status="${status}"} ${n}`);
      for (const [code, n] of s.errors) errors.push(`${ERRORS}{${labels},code="${labelValue(code)}"} ${n}`);
      if (s.count === 0) continue;
      let cumulative = 0;
      for (let i = 0; i < BUCKETS.length; i++) {
        cumulative += s.buckets[i]!;
        latency.push(`${LATENCY}_bucket{le="${BUCKETS[i]}",${labels}} ${cumulative}`);
      }
      latency.push(`${LATENCY}_bucket{le="+Inf",${labels}} ${s.count}`);
      latency.push(`${LATENCY}_sum{${labels}} ${sampleValue(s.sum)}`);
      latency.push(`${LATENCY}_count{${labels}} ${s.count}`);
    }
    return `${requests.join('\n')}\n\n${errors.join('\n')}\n\n${latency.join('\n')}\n`;
  }

  async render(): Promise<{ contentType: string; body: string }> {
    const registry = await this.load();
    const processMetrics = await registry.metrics();
    return { contentType: registry.contentType, body: `${this.renderRequests()}${processMetrics ? `\n${processMetrics}` : ''}` };
  }
}
