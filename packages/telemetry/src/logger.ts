// Structured logs: pino, one JSON line per event, with the level from the configuration. Lines go
// to stdout asynchronously (a write per request would otherwise be a blocking syscall on the hot
// path); `flushLogger` writes what is buffered, for shutdown.
import { pino } from 'pino';
import type { Logger, LogLevel } from '@atoll/core';

const destinations = new WeakMap<object, { flushSync(): void }>();

export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  const options = { level, base: { svc: 'atoll' }, timestamp: pino.stdTimeFunctions.isoTime };
  if (destination) return pino(options, destination) as unknown as Logger;
  const stdout = pino.destination({ dest: 1, sync: false });
  const logger = pino(options, stdout);
  destinations.set(logger, stdout);
  return logger as unknown as Logger;
}

/** Writes buffered log lines synchronously (call before the process exits). */
export function flushLogger(logger: Logger): void {
  try {
    destinations.get(logger)?.flushSync();
  } catch {
    // Nothing more can be done for logs at exit.
  }
}
