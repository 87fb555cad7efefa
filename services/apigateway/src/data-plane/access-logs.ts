// Access logs: a stage with access log settings (REST APIs' `accessLogSettings`, HTTP APIs'
// `AccessLogSettings`) writes one line per request in its format, `$context.<name>` variables
// filled (`-` for an unknown or empty one), to the CloudWatch Logs group its destination ARN
// names, through the logs service's public operations (CreateLogStream, PutLogEvents). Lines are
// batched per stream and flushed every second (and on close), so a request never waits for them.
// The stream is `<apiId>_<stage>`; the group must exist (as in AWS, lines for a missing group are
// dropped, with a warning in the server log). Firehose destinations are not served.
import type { PlatformContext } from '@atoll/core';

export interface AccessLogSettings {
  format: string;
  destinationArn: string;
}

interface Batch {
  accountId: string;
  region: string;
  group: string;
  stream: string;
  events: { timestamp: number; message: string }[];
}

const FLUSH_MS = 1000;
const MAX_BATCH = 5000;

/** `$context.a.b` variables replaced by their values, `-` when missing (as API Gateway writes them). */
export function formatAccessLog(format: string, vars: Readonly<Record<string, string | number | undefined | null>>): string {
  return format.replace(/\$context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_-]+)*)/g, (_m, name: string) => {
    const value = vars[name];
    return value === undefined || value === null || value === '' ? '-' : String(value);
  });
}

/** The log group of `arn:aws:logs:<region>:<account>:log-group:<name>[:*]`. */
export function logGroupOf(arn: string): { region: string; accountId: string; group: string } | undefined {
  const m = /^arn:aws[a-z-]*:logs:([^:]+):(\d{12}):log-group:(.+?)(?::\*)?$/.exec(arn);
  return m ? { region: m[1]!, accountId: m[2]!, group: m[3]! } : undefined;
}

export class AccessLogs {
  readonly #batches = new Map<string, Batch>();
  readonly #knownStreams = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(private readonly platform: PlatformContext) {}

  record(settings: AccessLogSettings, apiId: string, stage: string, vars: Readonly<Record<string, string | number | undefined | null>>): void {
    const target = logGroupOf(settings.destinationArn);
    if (!target || !settings.format) return;
    const stream = `${apiId}_${stage.replace(/\$/g, '')}`;
    const key = `${target.accountId}/${target.region}/${target.group}/${stream}`;
    let batch = this.#batches.get(key);
    if (!batch) {
      batch = { accountId: target.accountId, region: target.region, group: target.group, stream, events: [] };
      this.#batches.set(key, batch);
    }
    if (batch.events.length >= MAX_BATCH) return;
    batch.events.push({ timestamp: Date.now(), message: formatAccessLog(settings.format, vars) });
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, FLUSH_MS).unref();
  }

  /** Writes every pending line (one PutLogEvents per stream). */
  flush(): Promise<void> {
    const batches = [...this.#batches.values()];
    this.#batches.clear();
    this.#flushing = this.#flushing.then(() => Promise.all(batches.map((b) => this.#write(b))).then(() => undefined));
    return this.#flushing;
  }

  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  async #write(batch: Batch): Promise<void> {
    if (batch.events.length === 0) return;
    const ctx = { accountId: batch.accountId, region: batch.region };
    const key = `${batch.accountId}/${batch.region}/${batch.group}/${batch.stream}`;
    try {
      if (!this.#knownStreams.has(key)) {
        await this.platform.call('logs', 'CreateLogStream', { logGroupName: batch.group, logStreamName: batch.stream }, ctx).catch((error: unknown) => {
          if ((error as { code?: string }).code !== 'ResourceAlreadyExistsException') throw error;
        });
        this.#knownStreams.add(key);
      }
      await this.platform.call('logs', 'PutLogEvents', { logGroupName: batch.group, logStreamName: batch.stream, logEvents: batch.events }, ctx);
    } catch (error) {
      this.#knownStreams.delete(key);
      this.platform.logger.warn({ err: error, logGroup: batch.group }, 'API Gateway access log lines dropped');
    }
  }
}
