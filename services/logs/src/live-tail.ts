// CloudWatch Logs StartLiveTail: a session streams the events ingested into up to 10 log groups
// (optionally only some streams, or stream name prefixes, and a filter pattern) as an event stream
// (application/vnd.amazon.eventstream over HTTP/1.1): `sessionStart` at once, then one
// `sessionUpdate` a second while there are new events, at most 500 each (more are sampled and
// marked `sampled`, as AWS does). A session ends after 3 hours with SessionTimeoutException, or
// when the client goes away.
// Known limitations: a session sees the events ingested on its own node (the platform bus is
// per node); log groups may also be named by name, not only ARN.
import { PassThrough, type Readable } from 'node:stream';
import { encodeEvent, encodeException } from '@atoll/aws-protocol';
import { newUuid, type EventBus, type Logger, type RequestContext } from '@atoll/core';
import type { LiveTailSessionLogEvent, StartLiveTailRequest } from '@atoll/aws-models/logs';
import { InvalidParameterException } from '@atoll/aws-models/logs';
import { FilterPatternError, compileFilterPattern, type CompiledPattern } from './filter-pattern.js';
import type { LogGroupRecord } from './logs-store.js';

/** AWS sends at most 500 events per update and samples beyond. */
const MAX_RESULTS = 500;

const event = (type: string, body: unknown) => encodeEvent(type, Buffer.from(JSON.stringify(body)), 'application/json');
const exception = (type: string, message: string) => encodeException(type, { message });

export interface LiveTailOptions {
  /** How often a session sends its new events (ms). */
  updateMs?: number;
  /** How long a session lasts (ms): 3 hours in AWS. */
  sessionMs?: number;
}

interface Session {
  stop(): void;
}

export class LiveTail {
  readonly #sessions = new Set<Session>();

  constructor(
    readonly bus: EventBus,
    readonly logger: Logger,
    readonly resolveGroup: (ctx: RequestContext, identifier: string) => Promise<LogGroupRecord>,
    readonly options: LiveTailOptions = {},
  ) {}

  StartLiveTail = async (input: StartLiveTailRequest, ctx: RequestContext): Promise<{ responseStream: Readable }> => {
    const names = input.logStreamNames;
    const prefixes = input.logStreamNamePrefixes;
    if (names?.length && prefixes?.length) throw new InvalidParameterException('logStreamNames and logStreamNamePrefixes are mutually exclusive.');
    if ((names?.length || prefixes?.length) && input.logGroupIdentifiers.length > 1) {
      throw new InvalidParameterException('Only one log group can be specified when logStreamNames or logStreamNamePrefixes is specified.');
    }
    let pattern: CompiledPattern;
    try {
      pattern = compileFilterPattern(input.logEventFilterPattern);
    } catch (error) {
      if (error instanceof FilterPatternError) throw new InvalidParameterException(`Invalid filter pattern: ${error.message}`);
      throw error;
    }
    /** Group name → the identifier results name it by (its ARN). */
    const groups = new Map<string, string>();
    for (const identifier of input.logGroupIdentifiers) {
      const g = await this.resolveGroup(ctx, identifier);
      groups.set(g.name, `arn:aws:logs:${g.region}:${g.accountId}:log-group:${g.name}`);
    }
    const streamWanted = (stream: string) => (names?.length ? names.includes(stream) : prefixes?.length ? prefixes.some((p) => stream.startsWith(p)) : true);

    const out = new PassThrough();
    let pending: LiveTailSessionLogEvent[] = [];
    let seen = 0;
    const unsubscribe = this.bus.on('logs.EventsIngested', (e) => {
      if (e.accountId !== ctx.accountId || e.region !== ctx.region) return;
      const d = e.detail as { logGroupName: string; logStreamName: string; events: { timestamp: number; message: string }[] };
      const identifier = groups.get(d.logGroupName);
      if (identifier === undefined || !streamWanted(d.logStreamName)) return;
      const now = Date.now();
      for (const ev of d.events) {
        if (!pattern.matches(ev.message)) continue;
        seen++;
        const item = { logStreamName: d.logStreamName, logGroupIdentifier: identifier, message: ev.message, timestamp: ev.timestamp, ingestionTime: now };
        // Past 500 in one update, each event replaces a random earlier one (reservoir sampling).
        if (pending.length < MAX_RESULTS) pending.push(item);
        else {
          const slot = Math.floor(Math.random() * seen);
          if (slot < MAX_RESULTS) pending[slot] = item;
        }
      }
    });
    const flush = () => {
      if (pending.length === 0) return;
      const results = pending.sort((a, b) => a.timestamp! - b.timestamp!);
      const sampled = seen > results.length;
      pending = [];
      seen = 0;
      out.write(event('sessionUpdate', { sessionMetadata: { sampled }, sessionResults: results }));
    };
    const timer = setInterval(flush, this.options.updateMs ?? 1000);
    timer.unref();
    const timeout = setTimeout(() => {
      flush();
      out.end(exception('SessionTimeoutException', 'Session timed out'));
      session.stop();
    }, this.options.sessionMs ?? 3 * 3_600_000);
    timeout.unref();
    const session: Session = {
      stop: () => {
        if (!this.#sessions.delete(session)) return;
        unsubscribe();
        clearInterval(timer);
        clearTimeout(timeout);
        if (!out.writableEnded) out.end();
      },
    };
    this.#sessions.add(session);
    out.on('close', () => session.stop());
    ctx.signal.addEventListener('abort', () => session.stop(), { once: true });

    out.write(
      event('sessionStart', {
        requestId: ctx.requestId,
        sessionId: newUuid(),
        logGroupIdentifiers: input.logGroupIdentifiers,
        ...(names?.length ? { logStreamNames: names } : {}),
        ...(prefixes?.length ? { logStreamNamePrefixes: prefixes } : {}),
        ...(input.logEventFilterPattern !== undefined ? { logEventFilterPattern: input.logEventFilterPattern } : {}),
      }),
    );
    return { responseStream: out };
  };

  /** Ends every session (the provider is closing). */
  close(): void {
    for (const s of [...this.#sessions]) s.stop();
  }
}
