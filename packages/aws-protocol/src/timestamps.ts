// Timestamp formats of the AWS protocols: ISO 8601, RFC 822 (HTTP dates) and epoch seconds.
import type { TimestampFormat } from '@atoll/aws-models';

/** Parses a timestamp in any of the three formats; returns undefined when it is none of them. */
export function parseTimestamp(value: unknown): Date | undefined {
  if (value instanceof Date) return valid(value);
  if (typeof value === 'number') return Number.isFinite(value) ? valid(new Date(Math.round(value * 1000))) : undefined;
  if (typeof value !== 'string' || value === '') return undefined;
  if (/^-?\d+(\.\d+)?$/.test(value)) return valid(new Date(Math.round(Number(value) * 1000)));
  return valid(new Date(value));
}

/** A date outside JavaScript's range (±8.64e15 ms) is no timestamp: formatting it would throw. */
function valid(date: Date): Date | undefined {
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** ISO 8601 with milliseconds only when they are not zero, as AWS writes them. */
export function isoTimestamp(date: Date): string {
  const iso = date.toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

export function formatTimestamp(date: Date, format: TimestampFormat): string | number {
  switch (format) {
    case 'iso8601':
      return isoTimestamp(date);
    case 'rfc822':
      return date.toUTCString();
    case 'unixTimestamp':
      return date.getTime() / 1000;
  }
}
