// Structured logs: pino, one JSON line per event, with the level from the configuration.
import { pino } from 'pino';
import type { Logger, LogLevel } from '@atoll/core';

export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  const options = { level, base: { svc: 'atoll' }, timestamp: pino.stdTimeFunctions.isoTime };
  return (destination ? pino(options, destination) : pino(options)) as unknown as Logger;
}
