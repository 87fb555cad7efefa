// The durable queue of asynchronous (`Event`) invocations: an invocation is committed to the store
// before Invoke answers 202, runs as soon as possible, is retried after a function error (twice by
// default, with backoff), waits out throttles, and finally goes to the on-success or on-failure
// destination, or the dead-letter queue. A restart resumes whatever was still queued.
// Any node queues; the node that leads `lambda:async-invocations` runs the queue. It wakes on the
// store's signal when an invocation is queued anywhere, and looks again at least every second.
import type { Logger } from '@atoll/core';
import type { InvocationResult } from '@atoll/function-runtime';
import type { LambdaContext } from './lambda-context.js';
import type { AsyncInvocationRecord, EventInvokeConfig } from './lambda-records.js';
import type { Invoker, ResolvedTarget } from './invoker.js';
import type { DestinationSender } from './destinations.js';
import type { Scope } from './function-names.js';

const MAX_PARALLEL = 64;
const THROTTLE_DELAY_MS = 500;
/** The longest the runner sleeps between looks at the queue (signals can be lost). */
const IDLE_POLL_MS = 1000;

export class AsyncQueue {
  readonly #c: LambdaContext;
  readonly #invoker: Invoker;
  readonly #destinations: DestinationSender;
  readonly #logger: Logger;
  readonly #running = new Map<number, Promise<void>>();
  #timer?: NodeJS.Timeout;
  #leading = false;
  #ticking = false;
  #again = false;

  constructor(c: LambdaContext, invoker: Invoker, destinations: DestinationSender, logger: Logger) {
    this.#c = c;
    this.#invoker = invoker;
    this.#destinations = destinations;
    this.#logger = logger;
  }

  /** Runs the queue until `signal` aborts (this node leads `lambda:async-invocations`). */
  lead(signal: AbortSignal): void {
    if (signal.aborted) return;
    this.#leading = true;
    const unlisten = this.#c.store.onAsyncQueued(() => this.#schedule(0));
    signal.addEventListener('abort', () => {
      this.#leading = false;
      unlisten();
      clearTimeout(this.#timer);
    }, { once: true });
    this.#schedule(0);
  }

  /** Stops looking at the queue and waits for the invocations under way to settle. */
  async close(): Promise<void> {
    this.#leading = false;
    clearTimeout(this.#timer);
    await Promise.allSettled(this.#running.values());
  }

  /** Commits an asynchronous invocation; resolves once it is durable. */
  async enqueue(scope: Scope, target: ResolvedTarget, payload: Buffer, requestId: string, traceId?: string): Promise<void> {
    const record: AsyncInvocationRecord = {
      account: scope.account,
      region: scope.region,
      functionName: target.fn.name,
      qualifier: target.qualifier,
      requestId,
      attempts: 0,
      enqueuedAt: Date.now(),
      ...(traceId ? { traceId } : {}),
    };
    // The store's signal wakes the runner, on this node or another.
    await this.#c.store.enqueueAsync(record, payload, Date.now());
  }

  #schedule(delayMs: number): void {
    if (!this.#leading) return;
    if (this.#ticking) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#tick(), Math.max(0, delayMs));
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    if (!this.#leading) return;
    this.#ticking = true;
    let delay = IDLE_POLL_MS;
    try {
      const room = MAX_PARALLEL - this.#running.size;
      if (room > 0) {
        for (const item of await this.#c.store.dueAsync(Date.now(), room, new Set(this.#running.keys()))) {
          const run = this.#process(item.id, item.record, item.payload)
            .catch((error) => this.#logger.error({ err: error, function: item.record.functionName }, 'lambda: asynchronous invocation could not be settled'))
            .finally(() => {
              this.#running.delete(item.id);
              this.#schedule(0);
            });
          this.#running.set(item.id, run);
        }
      }
      const next = await this.#c.store.nextAsyncDue();
      if (next !== undefined) delay = Math.min(Math.max(next - Date.now(), 10), IDLE_POLL_MS);
    } catch (error) {
      this.#logger.warn({ err: error }, 'lambda: reading the asynchronous invocation queue failed');
    } finally {
      this.#ticking = false;
    }
    if (this.#again) {
      this.#again = false;
      delay = 0;
    }
    this.#schedule(delay);
  }

  async #process(id: number, record: AsyncInvocationRecord, payload: Buffer): Promise<void> {
    const scope = { account: record.account, region: record.region };
    let target: ResolvedTarget;
    try {
      target = await this.#invoker.resolve(scope, record.functionName, record.qualifier === '$LATEST' ? undefined : record.qualifier);
    } catch {
      // The function (or alias) is gone: the event is dropped, as Lambda drops it.
      await this.#c.store.finishAsync(id);
      return;
    }
    const config = this.#config(target);
    const maxRetries = config?.MaximumRetryAttempts ?? 2;
    const maxAgeMs = (config?.MaximumEventAgeInSeconds ?? 21_600) * 1000;
    if (Date.now() - record.enqueuedAt > maxAgeMs) {
      await this.#fail(target, record, payload, undefined, 'EventAgeExceeded', config);
      await this.#c.store.finishAsync(id);
      return;
    }
    let result: InvocationResult;
    try {
      result = await this.#invoker.run(scope, target, { payload, requestId: record.requestId, traceId: record.traceId });
    } catch (error) {
      if ((error as { code?: string }).code === 'TooManyRequestsException') {
        await this.#c.store.rescheduleAsync(id, record, Date.now() + THROTTLE_DELAY_MS);
        return;
      }
      this.#logger.error({ err: error, function: record.functionName }, 'lambda: asynchronous invocation failed in the platform');
      result = { requestId: record.requestId, payload: Buffer.from(JSON.stringify({ errorType: 'ServiceException', errorMessage: String(error) })), functionError: 'Unhandled', durationMs: 0, billedDurationMs: 0, maxMemoryUsedMb: 0 };
    }
    record.attempts += 1;
    if (!result.functionError) {
      const dest = config?.DestinationConfig?.OnSuccess?.Destination;
      if (dest) await this.#sendRecord(dest, target, record, payload, result, 'Success').catch(() => {});
      await this.#c.store.finishAsync(id);
      return;
    }
    if (record.attempts <= maxRetries) {
      const delays = this.#c.options.asyncRetryDelaysMs;
      const delay = delays[Math.min(record.attempts - 1, delays.length - 1)] ?? 1000;
      await this.#c.store.rescheduleAsync(id, record, Date.now() + delay);
      return;
    }
    await this.#fail(target, record, payload, result, 'RetriesExhausted', config);
    await this.#c.store.finishAsync(id);
  }

  #config(target: ResolvedTarget): EventInvokeConfig | undefined {
    return target.fn.eventInvokeConfigs[target.qualifier] ?? target.fn.eventInvokeConfigs['$LATEST'];
  }

  async #fail(target: ResolvedTarget, record: AsyncInvocationRecord, payload: Buffer, result: InvocationResult | undefined, condition: string, config: EventInvokeConfig | undefined): Promise<void> {
    const scope = { account: record.account, region: record.region };
    const dest = config?.DestinationConfig?.OnFailure?.Destination;
    if (dest) {
      await this.#sendRecord(dest, target, record, payload, result, condition).catch(() => {});
      return;
    }
    const dlq = target.version.config.DeadLetterConfig?.TargetArn;
    if (dlq) {
      let message = '';
      try {
        message = result ? String((JSON.parse(result.payload.toString('utf8')) as { errorMessage?: string }).errorMessage ?? '') : condition;
      } catch {
        message = result?.payload.toString('utf8') ?? condition;
      }
      await this.#destinations
        .send(dlq, payload.toString('utf8'), scope, {
          RequestID: { DataType: 'String', StringValue: record.requestId },
          ErrorCode: { DataType: 'Number', StringValue: '200' },
          ErrorMessage: { DataType: 'String', StringValue: message.slice(0, 1024) || 'Unhandled' },
        })
        .catch(() => {});
    }
  }

  #sendRecord(dest: string, target: ResolvedTarget, record: AsyncInvocationRecord, payload: Buffer, result: InvocationResult | undefined, condition: string): Promise<void> {
    const body = {
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: {
        requestId: record.requestId,
        functionArn: `${target.fn.arn}:${target.qualifier}`,
        condition,
        approximateInvokeCount: record.attempts,
      },
      requestPayload: parseJson(payload),
      ...(result
        ? {
            responseContext: { statusCode: 200, executedVersion: target.version.version, ...(result.functionError ? { functionError: result.functionError } : {}) },
            responsePayload: parseJson(result.payload),
          }
        : {}),
    };
    return this.#destinations.send(dest, JSON.stringify(body), { account: record.account, region: record.region });
  }
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return bytes.toString('utf8');
  }
}
